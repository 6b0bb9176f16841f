"""Tests of the SAM + reset slice (Lee et al., arXiv:2306.10711; v1 SAM + reset, v3 PLASTIC)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import plasticity as npl
from numerics import sam as ns
from proofs_check import claims_for
from proofs_check.testing import assert_claim, assert_twin_refuted, claim_tests
from theory import plasticity as tp

CLAIMS = claims_for("plasticity")
FAST = [c for c in CLAIMS if c.decides_at == "fast"]
FULL_ONLY = [c for c in CLAIMS if c.decides_at == "full"]


def test_registered():
    assert {c.id for c in CLAIMS} == {
        "plasticity.label_shift_loss", "plasticity.sam_reset_label", "plasticity.sam_input",
        "plasticity.reset_input", "plasticity.plastic_both", "plasticity.reset_mechanics",
        "plasticity.sam_perturbation", "plasticity.crelu_no_dead", "plasticity.reset_schedule",
        "plasticity.rl_cartpole"}
    assert all(c.mutations for c in CLAIMS)
    assert [c.id for c in FULL_ONLY] == ["plasticity.rl_cartpole"] and FULL_ONLY[0].slow


# each fast claim at the fast budget, and each of its mutated twins refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(FAST)


@pytest.mark.slow
@pytest.mark.parametrize("c", FULL_ONLY, ids=lambda c: c.id)
def test_full_budget_claim_and_twin(c):
    """The RL claim (gymnax, the ``rl`` extra) at the budget that decides it, and its twin."""
    pytest.importorskip("gymnax")
    assert_claim(c, budget="full")
    for m in c.mutations:
        assert_twin_refuted(c, m, budget="full")


# ------------------------------------------------------------------------------- SAM (shared step)
def test_sam_grad_pytree_matches_flat_step():
    """The pytree step equals the SAM slice's flat step (make_step with the normalized ascent)."""
    A = np.diag([1.0, 3.0, 0.5, 2.0])
    w = np.array([0.3, -1.0, 2.0, 0.7])
    f = lambda q: 0.5 * jnp.concatenate([q["a"], q["b"]]) @ (A @ jnp.concatenate([q["a"], q["b"]]))  # noqa: E731
    _, g, eps = ns.sam_grad(f, {"a": jnp.asarray(w[:1]), "b": jnp.asarray(w[1:])}, 0.2)
    step = ns.make_step(lambda A_, x: A_ @ x)
    x1 = step(jnp.asarray(A), jnp.asarray(w), 1.0, 0.2)
    assert np.allclose(w - np.concatenate([g["a"], g["b"]]), x1, atol=1e-14)
    assert np.isclose(np.sqrt(sum(float(jnp.sum(v ** 2)) for v in eps.values())), 0.2, rtol=1e-13)


def test_sam_grad_zero_gradient_and_rho_zero():
    f = lambda q: jnp.sum(q["a"] ** 2)  # noqa: E731
    val, g, eps = ns.sam_grad(f, {"a": jnp.zeros(3)}, 0.5)
    assert float(val) == 0 and np.all(np.asarray(eps["a"]) == 0) and np.all(np.asarray(g["a"]) == 0)
    _, g0, eps0 = ns.sam_grad(f, {"a": jnp.ones(3)}, 0.0)
    assert np.all(np.asarray(eps0["a"]) == 0) and np.allclose(g0["a"], 2.0)


_QUAD_SAM = jax.jit(lambda A, w, rho: ns.sam_grad(lambda x: 0.5 * x @ (A @ x), w, rho)[1])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(1e-3, 10.0))
def test_sam_quadratic_closed_form(seed, rho):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((4, 4))
    A = M @ M.T + 0.5 * np.eye(4)
    w = rng.standard_normal(4)
    g = _QUAD_SAM(jnp.asarray(A), jnp.asarray(w), rho)
    assert np.allclose(g, tp.sam_quadratic_gradient(A, w, rho), rtol=1e-11, atol=1e-12)


# --------------------------------------------------------------------------------- theory
def test_reset_counts_of_the_papers_configs():
    assert [tp.resets(tp.atari_updates(rr), 40_000) for rr in (2, 4, 8)] == [4, 9, 19]
    assert tp.atari_updates(2) == 196_002
    assert tp.resets(1_000_000, 100_000) == 9
    assert tp.resets_expr() == sp.floor((tp.U - 1) / tp.I)


def test_sam_first_order_value_is_rho_norm():
    val, eps = tp.sam_linear_ascent_expr(3)
    g = sp.symbols("g1:4", real=True)
    rho = sp.Symbol("rho", positive=True)
    assert sp.simplify(val - rho * sp.sqrt(sum(x ** 2 for x in g))) == 0
    assert sp.simplify(sum(e ** 2 for e in eps) - rho ** 2) == 0


@pytest.mark.parametrize("bad", [dict(total_updates=0, every=1), dict(total_updates=5, every=True),
                                 dict(total_updates=2.5, every=1)])
def test_resets_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        tp.resets(**bad)


def test_theory_rejects_bad_input():
    with pytest.raises(ValueError, match="symmetric"):
        tp.sam_quadratic_gradient(np.array([[1.0, 2.0], [0.0, 1.0]]), np.ones(2), 0.1)
    with pytest.raises(ValueError, match="rho"):
        tp.sam_quadratic_gradient(np.eye(2), np.ones(2), -1.0)
    with pytest.raises(ValueError, match="stationary"):
        tp.sam_quadratic_gradient(np.eye(2), np.zeros(2), 0.1)
    with pytest.raises(ValueError, match="zero"):
        tp.crelu_positive_count([1.0, 0.0])


# --------------------------------------------------------------------------------- numerics
# normal floats only: XLA on CPU flushes subnormals to zero, so a subnormal pre-activation *is* 0 for
# the model (hypothesis found z = 1.1e-308 -> relu(z) = relu(-z) = 0)
@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-5, 5).filter(lambda v: abs(v) >= np.finfo(np.float64).tiny), min_size=1,
                max_size=16))
def test_crelu_half_positive(z):
    out = np.asarray(npl.crelu(jnp.asarray(z)))
    assert out.shape == (2 * len(z),) and int(np.sum(out > 0)) == tp.crelu_positive_count(z)


def test_dead_units_relu_vs_crelu():
    a = jnp.asarray([[0.0, 1.0, 0.0, 0.0], [0.0, 2.0, 0.0, 3.0]])
    assert float(npl.dead_head_units(a, False)) == 0.5          # units 0 and 2 never fire
    assert float(npl.dead_head_units(a, True)) == 0.5           # neuron 0: a_0 = a_2 = 0 throughout


def test_reset_schedule_counts():
    assert list(npl.reset_steps(10, 3)) == [3, 6, 9]
    assert list(npl.reset_steps(9, 3)) == [3, 6]                # none after the final update
    with pytest.raises(ValueError):
        npl.reset_steps(10, 0)


def test_init_and_reset_shapes_and_errors():
    p = npl.init_params(jax.random.PRNGKey(0), 16, 8)
    assert p["head"]["W3"].shape == (16, 8) and p["backbone"]["W2"].shape == (16, 16)
    q = npl.reset_head(p, jax.random.PRNGKey(1))
    assert q["backbone"] is p["backbone"] and q["head"]["W3"].shape == (16, 8)
    for bad in (dict(d_hidden=1), dict(d_head=7), dict(d_hidden=True)):
        with pytest.raises(ValueError):
            npl.init_params(jax.random.PRNGKey(0), **{**dict(d_hidden=16, d_head=8), **bad})


def test_run_protocol_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown variants"):
        npl.run_protocol(["nope"], [0])
    with pytest.raises(ValueError, match="seeds"):
        npl.run_protocol(["base"], [-1])
    with pytest.raises(ValueError, match="seeds"):
        npl.run_protocol(["base"], [True])
    with pytest.raises(ValueError, match="shifts"):
        npl.run_protocol(["base"], [0], shifts=("both",))
    with pytest.raises(ValueError, match="rho"):
        npl.run_protocol({"x": npl.Variant(rho=-0.1)}, [0])
    with pytest.raises(ValueError, match="n_chunks"):
        npl.run_protocol(["base"], [0], npl.Protocol(n_chunks=1))


def test_iqm_and_bootstrap():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 100.0])
    assert npl.iqm(x) == pytest.approx(3.5)                     # mean of the middle four
    m, lo, hi = npl.iqm_bootstrap_ci(x, n_resamples=500)
    assert lo <= m <= hi
    with pytest.raises(ValueError):
        npl.iqm_bootstrap_ci([1.0])
    with pytest.raises(ValueError):
        npl.iqm_bootstrap_ci(x, confidence=1.5)


def test_digits_split():
    Xtr, ytr, Xte, yte = npl.load_digits_split()
    assert Xtr.shape == (1257, 64) and Xte.shape == (540, 64) and Xtr.max() <= 1.0
    assert set(np.unique(ytr)) == set(range(10))
