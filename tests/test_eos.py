"""Tests of the Edge-of-Stability slice (Song & Yun, arXiv:2307.04204; docs/papers/eos.md)."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics.eos as ne
from numerics.hessian import full_hessian
from proofs_check import claims_for
from proofs_check.testing import claim_tests
from theory import eos as te

CLAIMS = claims_for("eos")


def test_registered():
    assert {c.id for c in CLAIMS} == {
        "eos.exact_reduction", "eos.alignment", "eos.slides_toy", "eos.sharpness_limit",
        "eos.sharpness_band", "eos.qinf_scaling",
        "eos.init_independence", "eos.progressive_sharpening", "eos.tanh_stability"}
    assert all(c.mutations for c in CLAIMS)


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


# ------------------------------------------------------------------ closed forms (docs/papers/eos.md#what-we-check)
p, q = te.p, te.q


def _num_eq(a, b, pts=(0.1, 0.7, 1.9, 5.0), tol=1e-12):
    fa, fb = sp.lambdify(p, a), sp.lambdify(p, b)
    return all(abs(fa(x) - fb(x)) < tol for x in pts)


def test_notebook_entry_point():
    curve = te.bifurcation_branch("logcosh")
    assert isinstance(curve, sp.Equality)
    assert curve.lhs == q and sp.simplify(curve.rhs - sp.tanh(p) / p) == 0


@pytest.mark.parametrize("name", te.LOSSES)
def test_g_map_and_flip(name):
    g = te.g_map_expr(name)
    assert sp.simplify(g - p * (1 - 2 * te.r_expr(name) / q)) == 0
    assert sp.simplify(te.fixed_point_multiplier_expr(name) - (1 - 2 / q)) == 0
    assert te.flip_point(name) == 1


def test_linear_net_map_matches_stated_form():
    eta, y = te.eta, te.y
    for name in te.LOSSES:
        pn, qn = te.linear_net_map_expr(name)
        g = sp.diff(te.loss_expr(name), p)
        stated_p = p - 2 / q * g + eta**2 * g**2 * (p + y)
        stated_inv_q = (1 + eta**2 * g**2) / q - 2 * eta**2 * g * (p + y)
        f1 = sp.lambdify((p, q, eta, y), pn - stated_p)
        f2 = sp.lambdify((p, q, eta, y), 1 / qn - stated_inv_q)
        for args in [(0.3, 0.8, 0.1, 3.0), (-1.7, 1.3, 0.05, -2.0), (2.5, 0.4, 0.2, 0.0)]:
            assert abs(f1(*args)) < 1e-12 and abs(f2(*args)) < 1e-12


def test_branch_multipliers_match_stated_forms():
    assert _num_eq(te.branch_multiplier_expr("logcosh"), 1 - 4 * p / sp.sinh(2 * p))
    assert _num_eq(te.branch_multiplier_expr("sqrt"), (p**2 - 1) / (p**2 + 1))
    assert _num_eq(te.elasticity_expr("logcosh"), 2 * p / sp.sinh(2 * p) - 1)
    assert _num_eq(te.elasticity_expr("sqrt"), -p**2 / (1 + p**2))
    for name in ("logcosh", "sqrt"):
        m = te.branch_multiplier(name, np.linspace(1e-3, 20, 2001))
        assert np.all(np.abs(m) < 1)
    assert te.bifurcation_branch("squared").rhs == 1


def test_stability_condition():
    cond = te.branch_stability_condition()
    assert sp.simplify(cond) == sp.And(-1 < te.e, te.e < 0)


def test_r_series():
    rr = sp.series(te.r_expr("logcosh"), p, 0, 6).removeO()
    assert sp.simplify(rr - (1 - p**2 / 3 + 2 * p**4 / 15)) == 0
    rs = sp.series(te.r_sigma_expr("tanh"), te.u, 0, 6).removeO()
    assert sp.simplify(rs - (1 - 4 * te.u**2 / 3 + 17 * te.u**4 / 15)) == 0


def test_tanh_critical_point():
    uc, qc = te.tanh_critical_point()
    assert abs(uc - 0.658479) < 1e-6 and abs(qc - 0.584529) < 1e-6
    assert abs(te.neuron_branch_multiplier(uc) - 1.0) < 1e-8


def test_neuron_map_matches_stated_form():
    un, qn = te.neuron_map_expr()
    u, eta = te.u, te.eta
    f = sp.lambdify((u, q, eta), (un - u * (1 - 2 / q * te.r_sigma_expr()),
                                  qn - q / (1 - eta * sp.tanh(u) ** 2) ** 2))
    for args in [(0.3, 0.7, 0.1), (-1.2, 0.4, 0.05)]:
        assert max(abs(v) for v in f(*args)) < 1e-12


def test_bad_input():
    with pytest.raises(ValueError, match="loss"):
        te.r_expr("hinge")
    with pytest.raises(ValueError, match="0 < q < 1"):
        te.rhat("logcosh", 1.2)
    with pytest.raises(ValueError, match="squared"):
        te.rhat("squared", 0.5)
    with pytest.raises(ValueError, match="eta"):
        te.linear_net_step("logcosh", 0.1, 0.5, -0.1)
    with pytest.raises(ValueError, match="q must be positive"):
        te.neuron_step(0.1, 0.0, 0.1)
    with pytest.raises(ValueError, match="sharp_every"):
        ne.gd_toy([[0.1, 5.0]], 0.1, steps=10, sharp_every=3)
    with pytest.raises(ValueError, match="eta"):
        ne.gd_toy([[0.1, 5.0]], -0.1, steps=10)
    with pytest.raises(ValueError, match="columns"):
        ne.gd_linear_net(np.zeros((1, 5)), 0.1, np.ones(2), 0.0, m=2, d=2)
    with pytest.raises(ValueError, match="activation"):
        ne.gd_neuron([[0.1, 1.0]], 0.1, activation="relu")


# ------------------------------------------------------------------ numerics
def test_lanczos_sharpness_matches_dense():
    """The in-scan Lanczos sharpness equals eigvalsh of numerics.hessian.full_hessian (same shapes as the
    progressive-sharpening claim, so the compiled simulation is reused)."""
    import jax
    import jax.numpy as jnp
    m, d = 5, 3
    th = np.asarray(ne.init_linear_net(jax.random.PRNGKey(3), m, d, 0.7, 0.7, n=3))
    x = np.ones(d) / np.sqrt(d)
    ys = np.array([1.5, -2.0, 0.5])
    out = ne.gd_linear_net(th, 0.1, x, ys, m=m, d=d, steps=3000, sharp_every=10)
    L = lambda t, yb: ne.LOSSES["logcosh"](ne.linear_net_output(t, jnp.asarray(x), m, d) - yb)
    H = jax.jit(lambda t, yb: full_hessian(lambda z: L(z, yb), t))
    for b in range(3):
        for theta, s in ((th[b], out["sharpness"][b, 0]), (out["theta_T"][b], out["sharpness"][b, -1])):
            dense = float(np.linalg.eigvalsh(np.asarray(H(jnp.asarray(theta), ys[b])))[-1])
            assert abs(s - dense) < 1e-10 * max(1.0, abs(s))


def test_orbit_python_baseline_agrees():
    lrs = 2.0 / np.linspace(0.4, 1.4, 7)
    a = ne.scalar_gd_orbits("logcosh", lrs, n_iter=300, n_keep=4)
    b = ne.scalar_gd_orbits_python("logcosh", lrs, n_iter=300, n_keep=4)
    assert np.max(np.abs(a - b)) < 1e-10


@settings(max_examples=15, deadline=None)
@given(qv=st.floats(0.05, 0.95), name=st.sampled_from(["logcosh", "sqrt"]))
def test_branch_is_period_two_orbit(qv, name):
    """Property: p_hat = rhat(q) is a symmetric 2-cycle of g_q and it is stable (|g_q'| < 1)."""
    ph = te.rhat(name, qv)
    assert abs(te.g_step(name, ph, qv) + ph) < 1e-9 * max(1.0, ph)
    assert abs(te.branch_multiplier(name, ph)) < 1


@settings(max_examples=10, deadline=None)
@given(pv=st.floats(-3, 3), qv=st.floats(0.3, 3.0), etav=st.floats(0.01, 0.3), yv=st.floats(-5, 5))
def test_reduced_map_one_step_matches_toy_formula(pv, qv, etav, yv):
    """Property: one reduced step equals the hand expansion of the Gram update for any (p, q, eta, y)."""
    g = np.tanh(pv)
    pn, qn = te.linear_net_step("logcosh", pv, qv, etav, yv)
    assert abs(pn - (pv - 2 / qv * g + etav**2 * g**2 * (pv + yv))) < 1e-10 * max(1, abs(pn))
    inv = (1 + etav**2 * g**2) / qv - 2 * etav**2 * g * (pv + yv)
    if inv > 1e-6:
        assert abs(1 / qn - inv) < 1e-10 * max(1, abs(inv))
