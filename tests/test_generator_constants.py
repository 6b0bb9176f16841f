"""The constants a problem generator of ``numerics/`` states (smoothness beta / L, strong convexity
mu, singular values, condition numbers, the toy's sharpness) checked against the Hessian or
spectrum it actually builds: numpy ``eigvalsh`` / ``svd`` on the built matrices, hand-written
Hessians, finite differences. Hypothesis draws the seeds and constants (few examples, small
fixed shapes, so JAX compiles each generator once)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jax

from numerics import catapult as nc
from numerics import gda as ng
from numerics import sam as ns

FEW = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pos = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@FEW
@given(seed=st.integers(0, 2 ** 31), c=pos(0.01, 1.0))
def test_cosine_sum_beta_bounds_the_hessian_and_f_lb_bounds_f(seed, c):
    prob = ns.cosine_sum_problem(seed, 4, d=3, m=4, c=c)
    a, W, cc = (np.asarray(t) for t in prob.params)
    rng = np.random.default_rng(seed)
    for i in range(4):
        for x in rng.standard_normal((5, 3)) * 3:
            H = -np.einsum("k,k,ki,kj->ij", a[i], np.cos(W[i] @ x), W[i], W[i]) + cc[i] * np.eye(3)
            assert np.max(np.abs(np.linalg.eigvalsh(H))) <= prob.beta[i] * (1 + 1e-12)
            f = np.sum(a[i] * np.cos(W[i] @ x)) + 0.5 * cc[i] * x @ x
            assert f >= prob.f_lb[i] - 1e-12
    assert np.allclose(prob.beta, np.sum(np.abs(a) * np.sum(W ** 2, -1), -1) + c)


@FEW
@given(seed=st.integers(0, 2 ** 31), mu=pos(0.0, 1.0))
def test_logistic_beta_is_the_largest_hessian_eigenvalue_and_mu_the_smallest_bound(seed, mu):
    """H(x) = Z^T diag(s(1-s)) Z / n + mu I, s(1-s) <= 1/4 with equality at x = 0: beta is attained
    at x = 0 and bounds every H(x); every eigenvalue is >= mu."""
    n, d = 20, 3
    prob = ns.logistic_problem(seed, 3, n=n, d=d, mu=mu)
    Z, yv, m = (np.asarray(t) for t in prob.params)
    rng = np.random.default_rng(seed)
    for i in range(3):
        def H(x):
            s = 1 / (1 + np.exp(-yv[i] * (Z[i] @ x)))
            return Z[i].T @ (Z[i] * (s * (1 - s))[:, None]) / n + m[i] * np.eye(d)
        assert np.isclose(np.linalg.eigvalsh(H(np.zeros(d)))[-1], prob.beta[i], rtol=1e-12)
        for x in rng.standard_normal((5, d)) * 2:
            ev = np.linalg.eigvalsh(H(x))
            assert ev[-1] <= prob.beta[i] * (1 + 1e-12) and ev[0] >= mu * (1 - 1e-12)


def test_square_wave_curvature_is_plus_minus_beta():
    beta, rho = 1.7, 0.3
    grad = ns.square_wave_curvature[1]
    xs = np.linspace(-3, 3, 241) + 0.0137
    h = 1e-6
    g = lambda x: float(np.asarray(grad((beta, rho), np.array([x])))[0])
    f2 = np.array([(g(x + h) - g(x - h)) / (2 * h) for x in xs])
    far = np.abs(((xs + rho) % (2 * rho))) > 1e-3       # away from the curvature jumps
    assert np.allclose(np.abs(f2[far]), beta, rtol=1e-6)
    assert f2[far].min() < 0 < f2[far].max()


_scsc = jax.jit(ng.random_scsc_quadratic, static_argnums=(1, 2))


@FEW
@given(seed=st.integers(0, 2 ** 31), mus=st.tuples(pos(0.1, 2.0), pos(0.1, 2.0)),
       ks=st.tuples(pos(1.0, 50.0), pos(1.0, 50.0)), Lxy=pos(0.1, 20.0), dims=st.sampled_from([(2, 3), (1, 2)]))
def test_random_scsc_quadratic_spectra_are_the_stated_constants(seed, mus, ks, Lxy, dims):
    """eig(A) in [mu_x, L_x], eig(C) in [mu_y, L_y], singular values of B in [L_xy/10, L_xy], each
    end attained when the block has dimension >= 2; a 1-dimensional block has the one eigenvalue mu
    (its L is an upper bound, not attained)."""
    (mux, muy), (kx, ky) = mus, ks
    dx, dy = dims
    A, B, C = (np.asarray(t) for t in _scsc(jax.random.PRNGKey(seed), dx, dy, mux, muy, kx * mux, ky * muy, Lxy))
    for M, mu, L, dim in ((A, mux, kx * mux, dx), (C, muy, ky * muy, dy)):
        ev = np.linalg.eigvalsh(M)
        assert np.allclose(M, M.T) and ev[0] >= mu * (1 - 1e-12) and ev[-1] <= L * (1 + 1e-12)
        assert np.isclose(ev[0], mu, rtol=1e-10)
        if dim >= 2:
            assert np.isclose(ev[-1], L, rtol=1e-10)
    sv = np.linalg.svd(B, compute_uv=False)
    assert np.isclose(sv[0], Lxy, rtol=1e-10)
    if min(dx, dy) >= 2:
        assert np.isclose(sv[-1], Lxy / 10, rtol=1e-10)


@FEW
@given(seed=st.integers(0, 2 ** 31), s=st.lists(pos(0.0, 5.0), min_size=2, max_size=2))
def test_bilinear_matrix_has_the_stated_singular_values(seed, s):
    B = np.asarray(ng.bilinear_matrix(jax.random.PRNGKey(seed), 3, 2, s))
    assert np.allclose(np.linalg.svd(B, compute_uv=False), sorted(s, reverse=True), atol=1e-12)


@FEW
@given(kx=pos(1.0, 100.0), ky=pos(1.0, 100.0), kxy=pos(0.0, 100.0), mu=pos(0.1, 3.0))
def test_three_block_condition_numbers(kx, ky, kxy, mu):
    a, b, c = (np.asarray(t) for t in ng.three_block(kx, ky, kxy, mu))
    assert np.isclose(a.max() / a.min(), kx) and np.isclose(c.max() / c.min(), ky)
    assert np.isclose(a.min(), mu) and np.isclose(c.min(), mu) and np.isclose(np.abs(b).max() / mu, kxy)


@pytest.mark.parametrize("dims", [(4, 3), (3, 4)])
def test_official_instance_spectra(dims):
    """The official generator's documented spectra: eig(A) = {mu_x, L_x, interior in [mu_x, L_x]},
    eig(C) = {mu_y, L_y, interior in [mu_x, L_x]} (the official code's typo, reproduced), ||B|| = L_xy."""
    dx, dy = dims
    mux, muy, muxy, Lx, Ly, Lxy = 0.5, 2.0, 0.3, 5.0, 30.0, 7.0
    *_, (A, B, C, x0, y0) = ng.official_instance(1, 2, mux, muy, muxy, Lx, Ly, Lxy, dx, dy)
    ea, ec = np.linalg.eigvalsh(A), np.linalg.eigvalsh(C)
    assert np.isclose(ea[0], mux) and np.isclose(ea[-1], Lx)
    assert np.any(np.isclose(ec, muy)) and np.any(np.isclose(ec, Ly))
    interior = [e for e in ec if not (np.isclose(e, muy) or np.isclose(e, Ly))]
    assert all(mux - 1e-12 <= e <= Lx + 1e-12 for e in interior)
    assert np.isclose(np.linalg.svd(B, compute_uv=False)[0], Lxy)


def test_nonlinear_scsc_curvature_bounds():
    """x-block of the Hessian in [lambda_min(A), lambda_max(A) + w_x], -(y-block) in
    [lambda_min(C), lambda_max(C) + w_y], cross block = B, at random points."""
    key = jax.random.PRNGKey(3)
    A, B, C = ng.random_scsc_quadratic(key, 3, 2, 0.7, 1.3, 4.0, 6.0, 2.5)
    wx, wy = 1.5, 0.8
    f = ng.nonlinear_scsc(jax.random.fold_in(key, 9), A, B, C, wx, wy)
    A, B, C = (np.asarray(t) for t in (A, B, C))
    H = jax.jit(jax.hessian(lambda z: f(z[:3], z[3:])))
    rng = np.random.default_rng(0)
    for z in rng.standard_normal((6, 5)) * 2:
        Hz = np.asarray(H(jax.numpy.asarray(z)))
        hx, hy = np.linalg.eigvalsh(Hz[:3, :3]), np.linalg.eigvalsh(-Hz[3:, 3:])
        assert hx[0] >= np.linalg.eigvalsh(A)[0] - 1e-12 and hx[-1] <= np.linalg.eigvalsh(A)[-1] + wx + 1e-12
        assert hy[0] >= np.linalg.eigvalsh(C)[0] - 1e-12 and hy[-1] <= np.linalg.eigvalsh(C)[-1] + wy + 1e-12
        assert np.allclose(Hz[:3, 3:], B)


_toy_sharpness = jax.jit(nc.toy_sharpness)


@FEW
@given(x=pos(-3.0, 3.0), y=pos(-3.0, 3.0))
def test_catapult_toy_sharpness_is_the_top_hessian_eigenvalue(x, y):
    """L(x, y) = (xy)^2/2 has Hessian [[y^2, 2xy], [2xy, x^2]] (finite differences of L here)."""
    L = lambda u, v: 0.5 * (u * v) ** 2
    h = 1e-4
    H = np.array([[(L(x + h, y) - 2 * L(x, y) + L(x - h, y)) / h ** 2,
                   (L(x + h, y + h) - L(x + h, y - h) - L(x - h, y + h) + L(x - h, y - h)) / (4 * h * h)],
                  [0.0, (L(x, y + h) - 2 * L(x, y) + L(x, y - h)) / h ** 2]])
    H[1, 0] = H[0, 1]
    got = float(np.asarray(_toy_sharpness(np.array([x, y]))))
    assert np.isclose(got, np.linalg.eigvalsh(H)[-1], rtol=1e-5, atol=1e-6)


def test_diagonal_network_data_is_k_sparse_and_noiseless():
    data = nc.diagonal_network_data(4, n=12, d=30, k=5)
    X, y, w = (np.asarray(data[k]) for k in ("X", "y", "w_star"))
    assert np.count_nonzero(w) == 5 and set(np.abs(w[w != 0])) == {1.0}
    assert np.allclose(X @ w, y)
