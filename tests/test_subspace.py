"""Tests of the tiny-subspaces slice (Song, Ahn & Yun, arXiv:2405.16002)."""
import math

import numpy as np
import pytest
import sympy as sp

from proofs_check import claims_for
from proofs_check.testing import claim_tests
from theory import subspace as ts

CLAIMS = claims_for("subspace")


def test_registered():
    assert {c.id for c in CLAIMS} == {
        "subspace.eigensolver_planted", "subspace.dom_sgd_stalls", "subspace.bulk_sgd_effective",
        "subspace.noise_alignment", "subspace.eos_dom_bulk", "subspace.toy_dom_no_progress",
        "subspace.bulk_effective_lr"}
    assert all(c.mutations for c in CLAIMS)


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


# ------------------------------------------------------------------ theory (sympy)
def _is_zero(e):
    return e == sp.zeros(*e.shape) if isinstance(e, sp.MatrixBase) else sp.simplify(e) == 0


def test_projector_identities():
    ids = ts.projector_identities(3, 2)
    assert set(ids) == {"idempotent", "symmetric", "complement", "orthogonal", "cross_term",
                        "pythagoras", "trace"}
    assert all(_is_zero(e) for e in ids.values())


def test_random_baseline():
    k, p = sp.symbols("k p", positive=True, integer=True)
    assert sp.simplify(ts.random_chi_sq_mean_expr() - k / p) == 0
    assert ts.random_baseline(10, 3392) == pytest.approx(math.sqrt(10 / 3392), rel=1e-14)
    # exact E chi below sqrt(k/p) (Jensen), close to it for large p; Monte Carlo agrees
    m = ts.random_chi_mean(10, 3392)
    assert m < ts.random_baseline(10, 3392) and m == pytest.approx(math.sqrt(10 / 3392), rel=0.03)
    rng = np.random.default_rng(0)
    u = rng.standard_normal((4000, 60))
    mc = np.mean(np.linalg.norm(u[:, :5], axis=1) / np.linalg.norm(u, axis=1))
    assert mc == pytest.approx(ts.random_chi_mean(5, 60), abs=4e-3)


def test_toy_closed_forms():
    at, bt, Lt = ts.toy_dom_gd_solution()
    assert at == ts.a0
    assert sp.simplify(bt - ts.b0 * (1 - ts.eta * ts.lam_b) ** ts.t) == 0
    assert sp.simplify(ts.toy_dom_gd_limit() - ts.lam_s * ts.a0**2 / 2) == 0
    ga, gb, _ = ts.toy_gd_solution()
    assert sp.simplify(ga - ts.a0 * (1 - ts.eta * ts.lam_s) ** ts.t) == 0
    assert ts.toy_noise_mean_expr() == 0
    assert ts.toy_dom_update_a_expr() == 0
    val, vec = ts.toy_hessian_top_eigvec()
    assert val == ts.lam_b and list(vec) == [0, 1]
    a_, b_, L_ = ts.toy_dom_gd(1.0, 0.5, 0.5, 1.0, 0.01, 3)
    assert a_ == [1.0] * 4 and b_ == pytest.approx([0.5, 0.25, 0.125, 0.0625])


def test_theory_bad_input():
    with pytest.raises(ValueError, match="k"):
        ts.random_baseline(0, 10)
    with pytest.raises(ValueError, match="p"):
        ts.random_baseline(5, 3)
    with pytest.raises(ValueError, match="k"):
        ts.random_baseline(True, 10)
    with pytest.raises(ValueError, match="eta"):
        ts.toy_dom_gd(1.0, 0.1, 2.5, 1.0, 0.01, 10)
    with pytest.raises(ValueError, match="lam_big > lam_small"):
        ts.toy_dom_gd(1.0, 0.1, 0.5, 0.01, 1.0, 10)
    with pytest.raises(ValueError, match="a_0"):
        ts.toy_dom_gd("1", 0.1, 0.5, 1.0, 0.01, 10)


# ------------------------------------------------------------------ numerics
def test_jacobi_and_orthonormalize():
    import jax
    import jax.numpy as jnp
    from numerics.hessian import jacobi_eigh, orthonormalize
    rng = np.random.default_rng(3)
    A = rng.standard_normal((12, 12))
    A = A + A.T
    w, Q = jax.jit(jacobi_eigh)(jnp.asarray(A))         # jitted: one program, not one per primitive
    assert np.allclose(np.asarray(w), np.linalg.eigvalsh(A)[::-1], atol=1e-12)
    assert np.allclose(A @ np.asarray(Q), np.asarray(Q) * np.asarray(w), atol=1e-11)
    W = rng.standard_normal((200, 7))
    Qo = np.asarray(jax.jit(orthonormalize)(jnp.asarray(W)))
    assert np.allclose(Qo.T @ Qo, np.eye(7), atol=1e-13)
    assert np.allclose(Qo @ (Qo.T @ W), W, atol=1e-12)       # same span


def test_toy_dom_sgd_matches_theory():
    """Dom-SGD never moves a (theory.subspace.toy_dom_update_a_expr == 0), for any noise sequence."""
    from numerics import subspace as ns
    r = ns.toy_run((0.7, -0.2), mode="dom", eta=0.3, steps=50, c=0.5, seed=4)
    assert np.all(r["theta"][:, 0] == 0.7)
    g = ns.toy_run((0.7, -0.2), mode="sgd", eta=0.3, steps=50, stochastic=False, c=0.5)
    ga, gb, _ = ts.toy_gd_solution()
    f = sp.lambdify(ts.t, ga.subs({ts.a0: 0.7, ts.eta: 0.3, ts.lam_s: 0.01}))
    assert np.allclose(g["theta"][:, 0], [f(i) for i in range(51)], rtol=1e-13)


def test_plateau_rule():
    from numerics.subspace import plateau_step
    c = np.concatenate([np.linspace(0.0, 0.5, 300), np.full(700, 0.5)])
    s, found = plateau_step(c, window=100, stride=50)
    assert found and 300 <= s <= 500
    s, found = plateau_step(np.linspace(0, 1, 400), window=100, stride=50)
    assert not found and s == 400


def test_numerics_bad_input():
    from numerics import subspace as ns
    with pytest.raises(ValueError, match="eta"):
        ns.switch_experiment(eta=-0.1)
    with pytest.raises(ValueError, match="eta"):
        ns.switch_experiment(eta=True)
    with pytest.raises(ValueError, match="block"):
        ns.Setting(block=5)
    with pytest.raises(ValueError, match="batch"):
        ns.Setting(batch=2000)
    with pytest.raises(ValueError, match="n must be"):
        ns.digits(5000)
    with pytest.raises(ValueError, match="optimizer"):
        ns.effective_lr(optimizers=("lion",), lrs=(0.1,))
    with pytest.raises(ValueError, match="eta must be < 2/lam_big"):
        ns.toy_run((1.0, 0.0), eta=3.0)
    with pytest.raises(ValueError, match="check_eigensolver"):
        ns.switch_experiment(check_eigensolver="lanczos")


def test_notebook_entry_point_signature():
    """``from numerics import subspace`` runs the switch experiment in one call (keyword args in the
    paper's notation); the fast claims run it, so here only the signature is checked."""
    import inspect
    from numerics import subspace
    params = inspect.signature(subspace.switch_experiment).parameters
    for name in ("eta", "k", "batch", "steps_after", "seed"):
        assert name in params and params[name].kind is inspect.Parameter.KEYWORD_ONLY
