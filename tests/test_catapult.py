"""Tests of the momentum-catapult slice (arXiv:2311.15051): claims and their mutated twins at the fast budget,
closed forms against the stated ones (docs/papers/catapult.md#jury-thresholds), optax conventions against the paper's eq. (1), properties."""
import math

import jax.numpy as jnp
import numpy as np
import optax
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import catapult as nc
from proofs_check import claims_for
from proofs_check.testing import assert_claim, claim_tests
from theory import catapult as tc

CLAIMS = claims_for("catapult")
B = tc.beta_s
H = tc.h
Z = tc.z


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


def test_every_claim_has_a_twin_and_a_tag():
    for c in CLAIMS:
        assert c.mutations, c.id
        assert any(tag in c.doc for tag in ("confirmed from the paper's abstract", "recalled, not confirmed",
                                            "observed in our runs", "derived here")), c.id


# ------------------------------------------------------------------------------- closed forms (B.2)
@pytest.mark.parametrize("method,expected", [
    ("gd", Z - (1 - H)),
    ("heavy_ball", Z ** 2 - (1 + B - H) * Z + B),
    ("nesterov", Z ** 2 - (1 + B) * (1 - H) * Z + B * (1 - H)),
    ("heavy_ball_ema", Z ** 2 - (1 + B - (1 - B) * H) * Z + B),
])
def test_characteristic_polynomial_matches_stated_form(method, expected):
    assert sp.expand(tc.characteristic_polynomial(method).as_expr() - expected) == 0


@pytest.mark.parametrize("method,expected", [
    ("gd", sp.Integer(2)), ("heavy_ball", 2 * (1 + B)), ("nesterov", 2 * (1 + B) / (1 + 2 * B)),
    ("heavy_ball_ema", 2 * (1 + B) / (1 - B)),
])
def test_jury_threshold_matches_stated_form(method, expected):
    assert sp.simplify(tc.critical_h(method) - expected) == 0


def test_stability_threshold_values():
    assert tc.stability_threshold("gd", 0.1) == pytest.approx(20.0, rel=1e-14)
    assert tc.stability_threshold("heavy_ball", 0.01, 0.9) == pytest.approx(380.0, rel=1e-14)
    assert tc.stability_threshold("nesterov", 1.0, 0.9) == pytest.approx(3.8 / 2.8, rel=1e-14)  # 1.3571
    assert tc.stability_threshold("heavy_ball_ema", 0.1, 0.9) == pytest.approx(380.0, rel=1e-12)
    assert isinstance(tc.stability_threshold("heavy_ball", 0.1, 0.5), float)


@pytest.mark.parametrize("kw,match", [
    (dict(method="heavy_ball", eta=0.1, beta=1.0), "beta"), (dict(method="heavy_ball", eta=0.1, beta=-0.1), "beta"),
    (dict(method="heavy_ball", eta=0.0, beta=0.5), "eta"), (dict(method="nesterov", eta=-1.0, beta=0.5), "eta"),
    (dict(method="adam", eta=0.1, beta=0.5), "gd, heavy_ball, nesterov"),
    (dict(method="gd", eta=0.1, beta=0.5), "beta must be 0"),
    (dict(method="heavy_ball", eta=float("nan"), beta=0.5), "eta"),
])
def test_stability_threshold_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        tc.stability_threshold(kw["method"], kw["eta"], kw["beta"])


def test_spectral_radius_recorded_spot_checks():
    """docs/papers/catapult.md#jury-thresholds; observed in our runs: PHB beta = 0.9: 0.949 at 0.99x and 1.166 at 1.01x; Nesterov beta = 0.9: 0.971 / 1.029."""
    hb, ne = float(tc.critical_h("heavy_ball").subs(B, 0.9)), float(tc.critical_h("nesterov").subs(B, 0.9))
    assert tc.spectral_radius("heavy_ball", 0.99 * hb, 0.9) == pytest.approx(0.949, abs=5e-4)
    assert tc.spectral_radius("heavy_ball", 1.01 * hb, 0.9) == pytest.approx(1.166, abs=5e-4)
    assert ne == pytest.approx(1.3571, abs=1e-4)
    assert tc.spectral_radius("nesterov", 0.99 * ne, 0.9) == pytest.approx(0.971, abs=5e-4)
    assert tc.spectral_radius("nesterov", 1.01 * ne, 0.9) == pytest.approx(1.029, abs=5e-4)


def test_ema_conversion():
    assert tc.ema_heavy_ball_equivalence() == 0
    assert tc.ema_to_heavy_ball(0.1, 0.9) == pytest.approx(0.01)
    assert tc.heavy_ball_to_ema(0.01, 0.9) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="beta"):
        tc.ema_to_heavy_ball(0.1, 1.0)


# ------------------------------------------------------------------- optax conventions vs eq. (1)
def _hand_phb(grad, w0, etas, beta):
    """The paper's eq. (1) written out: w_{t+1} = w_t - eta_t grad L(w_t) + beta (w_t - w_{t-1}), w_{-1} = w_0."""
    w_prev, w = np.array(w0), np.array(w0)
    out = [w]
    for e in etas:
        w_prev, w = w, w - e * grad(w) + beta * (w - w_prev)
        out.append(w)
    return np.array(out)


def _hand_nesterov(grad, w0, eta, beta, T):
    """docs/papers/catapult.md#jury-thresholds: y_t = w_t + beta (w_t - w_{t-1}), w_{t+1} = y_t - eta grad L(y_t); returns the y_t."""
    w_prev, w = np.array(w0), np.array(w0)
    ys = []
    for _ in range(T):
        y = w + beta * (w - w_prev)
        ys.append(y)
        w_prev, w = w, y - eta * grad(y)
    return np.array(ys)


def _optax_traj(opt, grad, w0, T):
    w = jnp.asarray(w0)
    s = opt.init(w)
    out = [np.asarray(w)]
    for _ in range(T):
        u, s = opt.update(jnp.asarray(grad(np.asarray(w))), s, w)
        w = optax.apply_updates(w, u)
        out.append(np.asarray(w))
    return np.array(out)


GRAD = lambda w: np.array([w[0] * w[1] ** 2, w[0] ** 2 * w[1]])  # toy T: grad of (xy)^2/2
W0 = np.array([0.3, 1.7])


def test_optax_sgd_momentum_is_polyak_heavy_ball_at_constant_lr():
    """optax.sgd(eta, momentum=beta) (trace then scale, PyTorch's convention) equals the paper's eq. (1) for a
    constant learning rate, and so does our 'paper' convention."""
    eta, beta, T = 0.05, 0.9, 60
    ref = _hand_phb(GRAD, W0, [eta] * T, beta)
    np.testing.assert_allclose(_optax_traj(optax.sgd(eta, momentum=beta), GRAD, W0, T), ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_optax_traj(nc.momentum_optimizer(eta, beta), GRAD, W0, T), ref, rtol=1e-12,
                               atol=1e-14)


def test_paper_convention_is_eq1_under_warmup_and_optax_sgd_is_not():
    """With a warm-up schedule eq. (1) needs the lr applied before the momentum buffer ('paper'); optax.sgd
    applies it after (w_{t+1} = w_t - eta_t (g_t + beta b_{t-1})), which differs while eta_t changes."""
    eta, beta, W, T = 0.05, 0.9, 20, 40
    sched = nc.lr_schedule(eta, W)
    etas = [float(sched(t)) for t in range(T)]
    assert etas[0] == pytest.approx(eta / W) and etas[W - 1] == pytest.approx(eta) and etas[-1] == pytest.approx(eta)
    ref = _hand_phb(GRAD, W0, etas, beta)
    got = _optax_traj(nc.momentum_optimizer(sched, beta, "heavy_ball", "paper"), GRAD, W0, T)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
    other = _optax_traj(nc.momentum_optimizer(sched, beta, "heavy_ball", "optax_sgd"), GRAD, W0, T)
    assert np.max(np.abs(other - ref)) > 1e-4


def test_optax_nesterov_iterates_are_the_lookahead_points():
    eta, beta, T = 0.05, 0.9, 60
    ys = _hand_nesterov(GRAD, W0, eta, beta, T)
    for conv in ("paper", "optax_sgd"):
        got = _optax_traj(nc.momentum_optimizer(eta, beta, "nesterov", conv), GRAD, W0, T - 1)
        np.testing.assert_allclose(got, ys, rtol=1e-12, atol=1e-14)


def test_ema_convention_is_heavy_ball_with_scaled_lr():
    eta, beta, T = 0.1, 0.8, 50
    ref = _hand_phb(GRAD, W0, [tc.ema_to_heavy_ball(eta, beta)] * T, beta)
    got = _optax_traj(nc.momentum_optimizer(eta, beta, "heavy_ball", "ema"), GRAD, W0, T)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_scan_training_matches_hand_loop():
    eta, beta, W, T = 0.05, 0.9, 10, 30
    etas = [float(nc.lr_schedule(eta, W)(t)) for t in range(T)]
    ref = _hand_phb(GRAD, W0, etas, beta)
    out = nc.train(nc.toy_loss, jnp.asarray(W0), jnp.zeros(()), eta, beta, method="heavy_ball", warmup=W, steps=T)
    np.testing.assert_allclose(np.asarray(out["w"]), ref, rtol=1e-12, atol=1e-14)


def test_numerics_bad_input():
    with pytest.raises(ValueError, match="method"):
        nc.momentum_optimizer(0.1, 0.5, "adam")
    with pytest.raises(ValueError, match="convention"):
        nc.momentum_optimizer(0.1, 0.5, "heavy_ball", "torch")
    with pytest.raises(ValueError, match="beta"):
        nc.momentum_optimizer(0.1, 1.0, "heavy_ball")
    with pytest.raises(ValueError, match="warmup"):
        nc.lr_schedule(0.1, -3)
    with pytest.raises(ValueError, match="k"):
        nc.diagonal_network_data(0, d=4, k=5)


# ---------------------------------------------------------------------------------------- models
def test_toy_sharpness_and_normalisation():
    assert float(nc.toy_sharpness(jnp.array([0.0, 3.0]))) == pytest.approx(9.0)
    assert float(nc.toy_sharpness(jnp.array([2.0, 0.0]))) == pytest.approx(4.0)
    assert float(nc.normalised_sharpness(380.0, 0.01, 0.9)) == pytest.approx(1.0)
    for b in (0.0, 0.5, 0.9):
        S = tc.stability_threshold("heavy_ball", 0.01, b)
        assert float(nc.normalised_sharpness(S, 0.01, b)) == pytest.approx(1.0)


def test_diagonal_network_data_and_initial_sharpness():
    d = nc.diagonal_network_data(0)
    assert d["X"].shape == (40, 100) and int(jnp.sum(d["w_star"] != 0)) == 5
    assert set(np.unique(np.asarray(d["w_star"]))) <= {-1.0, 0.0, 1.0}
    S0 = nc.sharpness_along(nc.diagonal_network_loss, nc.diagonal_network_init()[None], d)[0]
    assert 12.0 < S0 < 16.0  # docs/papers/catapult.md#diagonal-network: 14.2 on its numpy data; 13.99 on ours


def test_stage_model_reduces_to_damian_at_beta0():
    xn, yn, s = tc.stage_model_map(False)
    x, y, eta, alpha, b_s = (s[k] for k in ("x", "y", "eta", "alpha", "b_s"))
    assert sp.simplify(xn - (-(1 + eta * y) * x)) == 0
    assert sp.simplify(yn - (y + eta * (alpha - b_s * x ** 2 / 2))) == 0
    with pytest.raises(ValueError, match="b_s"):
        tc.stage_model_step(0.1, 0.0, 0.1, 0.0, eta=0.01, alpha=0.1, b_s=0.0, beta=0.5)


# ------------------------------------------------------------------------------------ properties
@settings(max_examples=40, deadline=None)
@given(method=st.sampled_from(["heavy_ball", "nesterov"]), beta=st.floats(0.0, 0.98),
       factor=st.one_of(st.floats(0.3, 0.985), st.floats(1.015, 1.6)))
def test_threshold_separates_stable_from_unstable(method, beta, factor):
    """Property: the optax step (numerics) is stable iff lam < the Jury threshold (theory), and its spectral
    radius equals that of the derived characteristic polynomial."""
    eta = 0.1
    lam = factor * tc.stability_threshold(method, eta, beta)
    r_num = nc.one_step_spectral_radius(method, eta, beta, lam)
    r_sym = tc.spectral_radius(method, eta * lam, beta)
    assert r_num == pytest.approx(r_sym, rel=1e-7, abs=1e-7)
    assert (r_num < 1.0) == (factor < 1.0)


@settings(max_examples=50, deadline=None)
@given(eta=st.floats(1e-4, 10.0), beta=st.floats(0.0, 0.999))
def test_ema_roundtrip_and_threshold_scaling(eta, beta):
    assert tc.heavy_ball_to_ema(tc.ema_to_heavy_ball(eta, beta), beta) == pytest.approx(eta, rel=1e-12)
    # EMA heavy ball at eta == PHB at eta (1 - beta): same threshold
    assert tc.stability_threshold("heavy_ball_ema", eta, beta) == pytest.approx(
        tc.stability_threshold("heavy_ball", tc.ema_to_heavy_ball(eta, beta), beta), rel=1e-10)
    assert math.isfinite(tc.stability_threshold("nesterov", eta, beta))


# ------------------------------------------------------------------------------------ full budget
@pytest.mark.slow
@pytest.mark.parametrize("cid", ["catapult.toy_monotone", "catapult.gd_reflection", "catapult.diagonal_network",
                                 "catapult.mlp_not_flatter"])
def test_claims_full_budget(cid):
    c = next(c for c in CLAIMS if c.id == cid)
    assert_claim(c, budget="full")
