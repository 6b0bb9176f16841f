"""Tests of the SAM slice (Si & Yun, arXiv:2306.09850): the claims at the fast budget, their mutated twins,
closed forms against known values (docs/papers/sam.md), and property tests."""
import math

import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import sam as ns
from proofs_check import claims_for
from proofs_check.testing import assert_claim, claim_tests
from theory import sam as ts

CLAIMS = claims_for("sam")


def test_eight_claims_registered_with_twins():
    ids = {c.id for c in CLAIMS}
    assert {"sam.d1_descent", "sam.d2_descent", "sam.rate_1_over_T2", "sam.limit_cycle", "sam.stuck_point",
            "sam.stochastic_floor", "sam.usam_control", "sam.d2_sdp_certificate"} <= ids
    assert all(c.mutations for c in CLAIMS)


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


@pytest.mark.slow
@pytest.mark.parametrize("c", CLAIMS, ids=lambda c: c.id)
def test_claim_full_budget(c):
    assert_claim(c, budget="full")


# ----------------------------------------------------------------------------- closed forms (theory)
def test_limit_cycle_amplitude_acceptance():
    a = ts.limit_cycle_amplitude(0.5, 1.0, 0.1)
    assert isinstance(a, float)
    assert a == pytest.approx(0.1 / 3, rel=1e-15)
    with pytest.raises(ValueError, match=r"eta\*lam < 2"):
        ts.limit_cycle_amplitude(3.0, 1.0, 0.1)
    with pytest.raises(ValueError, match=r"eta\*lam < 2"):
        ts.limit_cycle_amplitude(2.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="eta"):
        ts.limit_cycle_amplitude(-0.1, 1.0, 0.1)


def test_limit_cycle_known_values():
    # docs/papers/sam.md#what-we-check item 2: 0.0052632 at eta = 0.1 and 0.1 at eta = 1 (lam = 1, rho = 0.1)
    assert ts.limit_cycle_amplitude(0.1, 1.0, 0.1) == pytest.approx(0.0052632, abs=1e-7)
    assert ts.limit_cycle_amplitude(1.0, 1.0, 0.1) == pytest.approx(0.1, rel=1e-14)


def test_limit_cycle_derivation_matches_stated_closed_form():
    expr = ts.limit_cycle_amplitude_expr()
    assert sp.simplify(expr - ts.eta * ts.lam * ts.rho / (2 - ts.eta * ts.lam)) == 0
    assert ts.limit_cycle_condition_expr() == sp.Interval.open(0, 2)


def test_stuck_point_closed_form():
    assert sp.simplify(ts.stuck_point_gradient_sq_expr() - 4 * ts.beta ** 2 * ts.rho ** 2 / (9 * sp.pi ** 2)) == 0
    assert ts.stuck_point_gradient_sq(1.0, 1.0) == pytest.approx(0.045031637, rel=1e-8)  # recorded: ~0.045
    with pytest.raises(ValueError, match="rho"):
        ts.stuck_point_gradient_sq(1.0, 0.0)


def test_stochastic_floor_closed_form():
    assert sp.simplify(ts.stochastic_floor_expr() - ts.lam / 2 * ts.rho ** 2 * (2 * ts.p - 1) ** 2) == 0
    assert ts.stochastic_floor(1.0, 0.2, 0.25) == pytest.approx(0.005)           # docs/papers/sam.md#l3-stochastic-floor
    assert ts.stochastic_floor(1.0, 0.2, 0.02) == pytest.approx(0.0184, abs=1e-4)  # recorded: 0.0184
    with pytest.raises(ValueError, match="p must satisfy"):
        ts.stochastic_floor(1.0, 0.2, 1.5)


def test_stochastic_gap_reproduces_recorded_n_sam_numbers():
    # docs/papers/sam.md#l3-stochastic-floor: n-SAM tail averages 0.0847 / 0.0281 / 0.0127 / 0.0073 at eta = 0.1 / 0.03 / 0.01 / 0.003
    V = 3.0 + 0.2 ** 2 * (1 - 0.5 ** 2)
    for eta, want in [(0.1, 0.0847), (0.03, 0.0281), (0.01, 0.0127), (0.003, 0.0073)]:
        assert ts.stochastic_gap(eta, 1.0, 0.2, 0.25, V) == pytest.approx(want, rel=0.03)


def test_usam_threshold_and_rate():
    assert sp.simplify(ts.usam_threshold_expr() - 2 / (ts.lam * (1 + ts.rho * ts.lam))) == 0
    assert ts.usam_contraction(0.5, [1.0, 0.5, 0.1], 0.1) == pytest.approx(0.9495)
    with pytest.raises(ValueError, match=r"eta\*lam\*\(1 \+ rho\*lam\) < 2"):
        ts.usam_contraction(2.0, [1.0], 0.1)


def test_derived_bounds_values_and_conditions():
    assert ts.d2_step_constant(0.5, 1.0, 0.1) == pytest.approx(1.25e-3)       # docs/papers/sam.md#pep-certificate-of-d2
    assert ts.d1_step_constant(0.5, 1.0, 0.1) == pytest.approx(2.5e-3)
    assert ts.d4_step_bound_constants(0.1, 1.0, 0.1, 1.0) == pytest.approx((0.025, 0.75 * 0.1 * 0.01 + 0.015))
    for fn, args in [(ts.d1_step_constant, (1.5, 1.0, 0.1)), (ts.d2_step_constant, (1.1, 1.0, 0.1)),
                     (ts.d3_step_constant, (2.0, 1.0, 0.1, 1.0))]:
        with pytest.raises(ValueError, match="eta <= 1/beta"):
            fn(*args)
    with pytest.raises(ValueError, match=r"1/\(6 beta\)"):
        ts.d4_step_bound_constants(0.5, 1.0, 0.1, 1.0)
    with pytest.raises(ValueError, match="mu <= beta"):
        ts.d2_strongly_convex_bound(10, 0.5, 2.0, 1.0, 0.1, 1.0)
    assert set(ts.DERIVED) >= {"D1_step", "D2_step", "D3_step", "D4_step"}
    assert all(b.source == "derived" for b in ts.DERIVED.values())


def test_proof_steps_of_d1_d2_are_identities():
    """The last algebraic step of D1/D2 (docs/papers/sam.md#d1-d4-descent-bounds): RHS - LHS equals a sum of nonnegative terms."""
    for name, (gap, cert) in ts.proof_step_identities().items():
        assert sp.simplify(gap - cert) == 0, name
    # and a wrong constant (D2 with beta^3 eta^2 rho^2 / 4) is not an identity
    gap, cert = ts.proof_step_identities()["D2"]
    wrong = gap - ts.beta ** 3 * ts.eta ** 2 * ts.rho ** 2 / 4
    assert sp.simplify(wrong - cert) != 0


def test_rate_table():
    assert len(ts.RATES) == 8
    assert all(r.source == "paper-order" for r in ts.RATES)
    det_sc = ts.rate("strongly_convex")
    assert det_sc.floor == 0 and det_sc.lower == ts.rho ** 2 / ts.T ** 2
    assert ts.rate("convex").floor == 0                 # deterministic convex: no rho^2 term
    for s in ("strongly_convex", "convex", "lipschitz_nonconvex", "nonconvex"):
        assert ts.rate(s, stochastic=True).floor != 0   # stochastic: an O(rho^2) term in all four classes
    v = ts.rate_value("strongly_convex", T=100, beta=1, mu=0.1, rho=0.1, Delta=1.0)
    assert isinstance(v, float) and v > 0
    with pytest.raises(ValueError, match="setting"):
        ts.rate("concave")
    with pytest.raises(ValueError, match="needs values"):
        ts.rate_value("nonconvex", T=10)


def test_step_schedule_recorded_values():
    # docs/papers/sam.md#what-we-check item 3: eta_T for beta = 1, mu = 0.1, rho = 0.1, Delta = 0.55
    assert ts.strongly_convex_step_size(100, 1.0, 0.1, 0.1, 0.55) == pytest.approx(
        math.log(0.01 * 0.55 * 1e4 / 0.01) / 10)
    assert ts.strongly_convex_step_size(10, 1.0, 0.1, 0.1, 0.55) == 1.0


# ----------------------------------------------------------------------------------- numerics units
def test_zero_gradient_means_y_equals_x():
    g = jnp.zeros(3)
    assert np.all(np.asarray(ns.normalized_ascent(g, 0.5)) == 0)
    x = ns.run(ns.quadratic[1], jnp.eye(2), jnp.zeros(2), 0.3, 0.1, 5)
    assert np.all(np.asarray(x) == 0)   # SAM stays at the stationary point, no NaN


def test_square_wave_is_beta_smooth_and_tight():
    f, grad = ns.square_wave_curvature
    beta, rho = 2.0, 0.3
    xs = jnp.linspace(-3, 3, 2001)
    gs = np.asarray(grad((beta, rho), xs))
    assert np.max(np.abs(np.diff(gs) / np.diff(np.asarray(xs)))) <= beta * (1 + 1e-9)
    # f' is the derivative of f
    fs = np.array([float(f((beta, rho), jnp.array([v]))) for v in np.asarray(xs)])
    assert np.allclose(np.gradient(fs, np.asarray(xs)), gs, atol=1e-2)
    assert abs(float(grad((beta, rho), jnp.array([-rho]))[0]) - beta * rho) < 1e-14


def test_xy_problem_sam_reaches_flattest_minimizer():
    f, grad = ns.xy_problem
    zs = np.asarray(ns.run(grad, 0.0, jnp.array([2.0, 0.6]), 0.05, 0.05, 20000, "sam"))
    assert np.allclose(zs[-2:].mean(0), [1.0, 1.0], atol=0.01)
    # docs/papers/sam.md#figure-1-function: the two f values of the cycle are about 1.5e-4 and 1e-5
    fv = sorted(float(f(0.0, z)) for z in zs[-2:])
    assert fv[0] == pytest.approx(1.0e-5, rel=0.05) and fv[1] == pytest.approx(1.5e-4, rel=0.05)


def test_stochastic_runner_rejects_bad_mode():
    import jax
    with pytest.raises(ValueError, match="mode"):
        ns.stochastic_sam_tail_mean(jax.random.PRNGKey(0), 1.0, 0.1, 0.1, 0.25, 3.0, 1.0, 10, 5, 4, "x")


# --------------------------------------------------------------------------------- property tests
@settings(max_examples=60, deadline=None)
@given(eta_lam=st.floats(0.01, 1.99), rho=st.floats(1e-3, 10.0), lam=st.floats(0.1, 10.0))
def test_amplitude_is_a_two_cycle_of_the_sam_map(eta_lam, rho, lam):
    """The derived a* is a fixed point of the two-step SAM map (docs/papers/sam.md#l1-limit-cycle), checked by iterating the map."""
    eta = eta_lam / lam
    a = ts.limit_cycle_amplitude(eta, lam, rho)
    x1 = a - eta * lam * (a + rho)
    x2 = x1 - eta * lam * (x1 - rho)
    assert x1 == pytest.approx(-a, rel=1e-9, abs=1e-12) and x2 == pytest.approx(a, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(eta_lam=st.floats(2.0, 50.0), rho=st.floats(1e-3, 1.0))
def test_amplitude_rejects_eta_lam_at_least_2(eta_lam, rho):
    with pytest.raises(ValueError, match=r"eta\*lam < 2"):
        ts.limit_cycle_amplitude(eta_lam, 1.0, rho)


@settings(max_examples=40, deadline=None)
@given(beta=st.floats(0.1, 10.0), rho=st.floats(1e-3, 1.0))
def test_d2_constant_never_exceeds_d1_constant(beta, rho):
    """For eta <= 1/beta, D2's constant beta^3 eta^2 rho^2/2 <= D1's (eta/2) beta^2 rho^2 (equal at eta = 1/beta)."""
    for f in (0.1, 0.5, 1.0):
        eta = f / beta
        assert ts.d2_step_constant(eta, beta, rho) <= ts.d1_step_constant(eta, beta, rho) * (1 + 1e-12)


def test_two_point_pairs_law():
    """The exact two-point law: weights sum to 1, mean zero when p s1 = (1-p) s2, E||xi||^2 as stated."""
    v = np.array([0.6, 0.8, 0.0])
    for mode, n in (("n", 4), ("m", 2)):
        a, d, w = ns.two_point_pairs(v, 0.25, 3.0, 1.0, mode)
        assert len(w) == n and abs(w.sum() - 1) < 1e-15
        assert np.allclose(w @ a, 0) and np.allclose(w @ d, 0)
        assert abs(w @ np.sum(d ** 2, 1) - (0.25 * 9 + 0.75)) < 1e-12
    with pytest.raises(ValueError, match="mode"):
        ns.two_point_pairs(v, 0.25, 3.0, 1.0, "x")
    with pytest.raises(ValueError, match="p must"):
        ns.two_point_pairs(v, 1.0, 3.0, 1.0, "n")


def test_stochastic_step_values_exact_on_isotropic_quadratic():
    """On f = (lam/2)||x||^2 the n-SAM step's exact expectation is f(x - eta lam (x + rho u_k)) averaged plus
    lam eta^2 E||xi'||^2/2 (independent descent noise), computed here by hand at asymmetric values."""
    lam_, eta_, rho_ = 1.7, 0.37, 0.23
    A = lam_ * jnp.eye(3)
    x = jnp.array([0.4, -1.1, 0.25])
    a, d, w = ns.two_point_pairs(np.array([0.0, 0.6, 0.8]), 0.3, 1.4, 0.6, "n")
    vals = np.asarray(ns.stochastic_step_values(*ns.quadratic, A, x, eta_, rho_, jnp.asarray(a), jnp.asarray(d)))
    want = 0.0
    for ak, dk, wk in zip(a, d, w):
        g = lam_ * np.asarray(x) + ak
        y = np.asarray(x) + rho_ * g / np.linalg.norm(g)
        xn = np.asarray(x) - eta_ * (lam_ * y + dk)
        want += wk * 0.5 * lam_ * xn @ xn
    assert abs(w @ vals - want) < 1e-12
