"""Tests of the GDA slice (arXiv:2402.10475): claims at the fast budget, their mutated twins,
closed forms against our values, and property tests over random instances."""
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import gda as ng
from proofs_check import claims_for
from proofs_check.core import lazy
from proofs_check.testing import claim_tests
from theory import gda as tg

sdp = lazy("proofs_check.sdp")       # cvxpy is imported by the tests that use it, not at collection

CLAIMS = claims_for("gda")


def test_claims_registered():
    assert {c.id for c in CLAIMS} == {
        "gda.bilinear_spectra", "gda.alex_rule", "gda.bilinear_alex_rate", "gda.sim_lower_bound",
        "gda.upper_bounds", "gda.lyapunov_sdp", "gda.pepit_sim", "gda.official_tuned_counts",
        "gda.alex_lower_bound", "gda.alt_below_sim_lower_bound", "gda.alex_vs_eg_gradient_calls"}
    assert all(c.mutations for c in CLAIMS)


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


# ----------------------------------------------------------------------------- closed forms
lam, p, g, d = tg.lam, tg.p, tg.gamma, tg.delta


def test_charpoly_matches_stated_closed_form():
    stated = (lam**3 + (g * d * p - 2) * lam**2 + (1 + (g + d) * p - 2 * g * d * p) * lam
             + (1 - g) * (1 - d) * p)
    assert sp.expand(tg.bilinear_charpoly().as_expr() - stated) == 0
    # symmetric under gamma <-> delta
    e = tg.bilinear_charpoly().as_expr()
    assert sp.expand(e - e.subs({g: d, d: g}, simultaneous=True)) == 0


def test_specialisations():
    assert sp.expand(tg.sim_charpoly().as_expr() - lam * (lam**2 - 2 * lam + 1 + p)) == 0
    assert sp.expand(tg.alt_charpoly().as_expr() - lam * (lam**2 + (p - 2) * lam + 1)) == 0
    assert isinstance(tg.bilinear_charpoly(2, 1, sp.Rational(1, 2)), sp.Poly)


def test_small_p_and_stability_interval():
    assert sp.simplify(tg.small_p_modulus_sq() - (1 - (g + d - 2) * p)) == 0
    upper, _ = tg.delta1_stability_interval()
    assert sp.simplify(upper - 4 / (2 * g - 1)) == 0
    assert float(upper.subs(g, 2)) == pytest.approx(4 / 3)
    assert float(upper.subs(g, 3)) == pytest.approx(0.8)


def test_alt_invariant_form_and_am_gm():
    Q = tg.alt_conserved_form()
    assert sp.simplify(Q - sp.Matrix([[1 / tg.alpha, -tg.sigma / 2], [-tg.sigma / 2, 1 / tg.beta]])) == sp.zeros(2)
    M = tg.iteration_matrix("alt", "bilinear")
    assert sp.simplify(M.T * Q * M - Q) == sp.zeros(2)
    cert = tg.am_gm_certificate()
    assert cert["identity_holds"] and cert["alt_le_2sim_identity"]


def test_spectral_radius_known_values():
    # Alex (2,1), alpha = beta = 1: rho = sqrt(1 - p) (docs/papers/gda.md#bilinear-spectra: 0.97468, 0.83666, 0.44721)
    for q, want in ((0.05, 0.97468), (0.3, 0.83666), (0.8, 0.44721)):
        r = tg.spectral_radius("alex", 1.0, 1.0, 2.0, 1.0, sigma=math.sqrt(q))
        assert isinstance(r, float) and r == pytest.approx(want, abs=1e-5)
    assert tg.spectral_radius("sim", 0.5, 0.5, sigma=1.0) == pytest.approx(math.sqrt(1.25))
    assert tg.spectral_radius("alt", 0.5, 0.5, sigma=1.0) == pytest.approx(1.0)
    # nilpotent at sigma = L_xy
    assert tg.spectral_radius("alex", 1.0, 1.0, 2.0, 1.0, sigma=1.0) < 1e-4


def test_value_errors():
    with pytest.raises(ValueError, match="alpha"):
        tg.spectral_radius("alex", -0.1, 1.0, sigma=1.0)
    with pytest.raises(ValueError, match="kappa_x"):
        tg.complexity("sim", 0.5, 2.0, 1.0)
    with pytest.raises(ValueError, match="kappa_y"):
        tg.step_sizes("alt", 1.0, 1.0, 2.0, 0.5, 1.0)
    with pytest.raises(ValueError, match="method"):
        tg.spectral_radius("foo", 0.1, 0.1, sigma=1.0)
    with pytest.raises(ValueError, match="delta"):
        tg.bilinear_charpoly(1, -1, 0.1)
    with pytest.raises(ValueError):
        ng.make_step(lambda x, y: x @ y, "alex", -1.0, 1.0)


def test_complexity_table_values():
    assert tg.complexity("sim", 10, 10, 3) == 29
    assert tg.complexity("alt", 4, 9, 2) == pytest.approx(13 + 2 * 5)
    assert tg.complexity("alex", 10, 10, 30, side="lower") == 50


# ----------------------------------------------------------------------------- numerics
def test_sim_lower_family_matches_recorded_table():
    # docs/papers/gda.md#three-block-family: best-tuned Sim 1/(1 - rho) = 14.8, 106, 906 for kappa_xy = 3, 10, 30
    for kxy_, want in ((3, 14.8), (10, 106), (30, 906)):
        a, b, c = ng.three_block(10, 10, kxy_)
        rho, _, _ = ng.tune_steps("sim", a, b, c)
        assert 1 / (1 - rho) == pytest.approx(want, rel=0.01)


def test_official_instance_reproduces_official_count_seed00():
    a, b, c, x0, y0, (A, B, C, X0, Y0) = ng.official_instance(0, 0, 0.1, 0.1, 0.1, 1, 1, 1, 100, 100)
    assert np.allclose(np.linalg.eigvalsh(A)[[0, -1]], [0.1, 1.0])
    assert np.linalg.svd(B, compute_uv=False).min() > 0.1  # official: mu_xy not attained (d_x >= d_y)
    hit, _, _ = ng.diag_hitting("alex", 1.0, 1.0, 1.6, 0.7, *(jnp.asarray(v) for v in (a, b, c, x0, y0)),
                                1e-8, 1000, unroll=1)  # not unrolled: the same iterations, cheaper to compile
    assert int(hit) + 1 == 66  # the official tuned Alex count on seed (0, 0) (factor 1.0)


def test_dense_and_block_forms_agree():
    a, b, c, x0, y0, (A, B, C, X0, Y0) = ng.official_instance(0, 3, 0.1, 0.1, 0.1, 1, 1, 1, 20, 20)
    xs, ys, _ = ng.run(ng.quadratic_f(A, B, C), X0, Y0, 40, "alex", 0.7, 0.7, 1.6, 0.7)
    z = tuple(jnp.asarray(v) for v in (x0, y0, y0))
    for _ in range(40):
        z = ng.block_step("alex", 0.7, 0.7, 1.6, 0.7, *(jnp.asarray(v) for v in (a, b, c)), z)
    assert float(xs[-1] @ xs[-1] + ys[-1] @ ys[-1]) == pytest.approx(float(z[0] @ z[0] + z[1] @ z[1]),
                                                                      rel=1e-10)


def test_random_quadratic_constants_attained():
    A, B, C = ng.random_scsc_quadratic(jax.random.PRNGKey(3), 4, 3, 0.5, 2.0, 7.0, 9.0, 3.0)
    ea, ec = np.linalg.eigvalsh(np.asarray(A)), np.linalg.eigvalsh(np.asarray(C))
    assert ea[0] == pytest.approx(0.5) and ea[-1] == pytest.approx(7.0)
    assert ec[0] == pytest.approx(2.0) and ec[-1] == pytest.approx(9.0)
    assert np.linalg.norm(np.asarray(B), 2) == pytest.approx(3.0)
    assert not np.allclose(np.asarray(A @ B), np.asarray(B @ C))  # not simultaneously diagonal


def test_sdp_uniform_template_guard():
    """docs/papers/gda.md#lyapunov-certificates regression guard at a small grid: affine-in-sigma certifies, constant fails."""
    Mf = lambda s: np.asarray(tg.block_iteration_matrix("alex", 1.0, 1.0, [[0.0]], [[s]], [[0.0]], 2.0, 1.0))
    sig = np.linspace(0.3, 1.0, 8)
    aff = sdp.uniform_rate(Mf, sig, (lambda s: 1.0, lambda s: s), tol=1e-4)
    const = sdp.uniform_rate(Mf, sig, (lambda s: 1.0,), tol=1e-3)
    assert aff.rate <= math.sqrt(1 - 0.09) + 1e-3
    assert const.rate > 1.0


# ----------------------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(gam=st.floats(0.0, 3.0), dlt=st.floats(0.0, 3.0), q=st.floats(1e-3, 2.0))
def test_charpoly_roots_equal_jacobian_eigenvalues(gam, dlt, q):
    """Eigenvalues of the autodiff Jacobian of the numerics step = roots of the derived cubic."""
    s = math.sqrt(q)
    J = np.asarray(ng.jacobian_at(lambda x, y: x[0] * y[0], jnp.zeros(1), jnp.zeros(1), "alex",
                                  s, s, gam, dlt))
    coeffs = [float(c) for c in tg.bilinear_charpoly(gam, dlt, q).all_coeffs()]
    ev = np.sort_complex(np.linalg.eigvals(J))
    rt = np.sort_complex(np.roots(coeffs).astype(complex))
    assert np.max(np.abs(np.sort(np.abs(ev)) - np.sort(np.abs(rt)))) < 1e-6


@settings(max_examples=20, deadline=None)
@given(kx_=st.floats(1.0, 100.0), ky_=st.floats(1.0, 100.0), kxy_=st.floats(0.01, 100.0))
def test_step_rules_converge_and_alt_below_twice_sim(kx_, ky_, kxy_):
    a, b, c = ng.three_block(kx_, ky_, kxy_)
    for m in ("sim", "alt", "alex"):
        al, be = tg.step_sizes(m, 1.0, 1.0, kx_, ky_, kxy_)
        assert tg.spectral_radius(m, al, be, 2.0, 1.0, A=np.diag(np.asarray(a)), B=np.diag(np.asarray(b)),
                                  C=np.diag(np.asarray(c))) < 1.0
    assert tg.complexity("alt", kx_, ky_, kxy_) <= 2 * tg.complexity("sim", kx_, ky_, kxy_) + 1e-9


def test_theory_radius_equals_numerics_radius():
    A, B, C = (np.asarray(m) for m in ng.random_scsc_quadratic(jax.random.PRNGKey(1), 3, 2, 1, 1, 5, 8, 4))
    for m in ("sim", "alt", "alex", "eg"):
        J = np.asarray(ng.jacobian_at(ng.quadratic_f(A, B, C), jnp.zeros(3), jnp.zeros(2), m, 0.05, 0.04))
        assert tg.spectral_radius(m, 0.05, 0.04, 2.0, 1.0, A=A, B=B, C=C) == pytest.approx(
            float(np.max(np.abs(np.linalg.eigvals(J)))), abs=1e-10)


# ----------------------------------------------------------------------------- early-exit sweeps
def test_hitting_early_equals_full_scan_and_stops_early():
    """hitting_early's hit equals the full-budget diag_hitting on converging, diverging and
    undecided rows, its blow equals it wherever the row never converged, and it runs fewer steps."""
    seeds = [(0, 0), (1, 3)]
    a, b, c, x0, y0 = ng.official_instances(seeds, 0.1, 0.1, 0.1, 1, 1, 1, 100, 100)
    rng = np.random.default_rng(0)
    n = 150
    inst = rng.integers(0, 2, n)
    fac = rng.choice(ng.OFFICIAL_FACTORS, n)
    g = rng.uniform(0.5, 3.0, n).round(1)
    d = rng.uniform(0.5, 3.0, n).round(1)
    rows = [jnp.asarray(v) for v in (fac, fac, g, d, a[inst], b[inst], c[inst], x0[inst], y0[inst])]
    hit, blow, dh, steps = ng.hitting_early(*rows, 1e-8, 400, batch_size=32, chunk=16)
    # the reference scan not unrolled: the same iterations, a much smaller graph to compile
    full = jax.vmap(lambda *r: ng.diag_hitting("alex", *r, 1e-8, 400, unroll=1))(*rows)
    hit, blow, fh, fb = (np.asarray(v) for v in (hit, blow, full[0], full[1]))
    assert (hit > 0).any() and (blow > 0).any() and ((hit < 0) & (blow < 0)).any()
    assert np.array_equal(hit, fh)
    assert np.array_equal(blow[hit < 0], fb[hit < 0])
    assert np.allclose(np.asarray(dh)[hit > 0], np.asarray(full[2])[hit > 0], rtol=1e-12, atol=0)  # summation order differs
    # batches whose rows all converge (the tuned Alex point of seed (0, 0)) stop at their slowest
    # row (the same row count, step budget and batch size as above: the compiled sweep is reused)
    one = [jnp.asarray(np.repeat(np.atleast_1d(v), n, axis=0)) for v in (1.0, 1.0, 1.6, 0.7)]
    one += [jnp.asarray(np.repeat(v[:1], n, axis=0)) for v in (a, b, c, x0, y0)]
    hit, _, _, steps = ng.hitting_early(*one, 1e-8, 400, batch_size=32, chunk=16)
    assert np.all(np.asarray(hit) == 65) and np.all(np.asarray(steps) == 80)  # 5 chunks of 16


def test_official_instances_equal_official_instance():
    cfg = (0.1, 0.1, 0.05, 1.0, 1.0, 2.0, 12, 9)
    seeds = [(0, 0), (2, 7), (1, 4)]
    batch = ng.official_instances(seeds, *cfg)
    for i, s in enumerate(seeds):
        one = ng.official_instance(*s, *cfg)
        for j in range(5):
            assert np.allclose(batch[j][i], one[j], rtol=0, atol=1e-12)


def test_official_tuning_reproduces_the_authors_log_seed00():
    """Sim 1745 and Alt 97 on seed (0, 0) (the authors' log), and Alex 66 at (1.6, 0.7) on a grid
    holding the logged best pair and two others."""
    r = ng.official_tuning([(0, 0)], 0.1, 0.1, 0.1, 1, 1, 1, 100, 100, eps=1e-8,
                           gd_grid=[(2.0, 1.0), (1.6, 0.7), (0.7, 2.4)])[0]
    assert (r["sim"], r["alt"], r["alex"], r["alex_gd"]) == (1745, 97, 66, (1.6, 0.7))


def test_hitting_early_split_eg_equals_eg_when_steps_coincide():
    """eg="split" (the official EG, separate extrapolation and update steps) equals eg=True when the update
    steps equal the extrapolation steps, and differs when they do not."""
    a, b, c, x0, y0 = (jnp.asarray(v) for v in ng.official_instances([(0, 1)], 0.1, 0.1, 0.1, 1.0, 1.0, 1.0, 6, 5))
    rep = lambda v: jnp.repeat(v, 3, axis=0)
    al = jnp.array([0.3, 0.55, 0.9]); be = jnp.array([0.4, 0.6, 0.7])
    h1 = ng.hitting_early(al, be, al, be, *map(rep, (a, b, c, x0, y0)), 1e-8, 2000, batch_size=4, eg=True)[0]
    h2 = ng.hitting_early(al, be, al, be, *map(rep, (a, b, c, x0, y0)), 1e-8, 2000, batch_size=4, eg="split")[0]
    h3 = ng.hitting_early(al, be, 0.5 * al, 0.5 * be, *map(rep, (a, b, c, x0, y0)), 1e-8, 2000, batch_size=4,
                          eg="split")[0]
    assert np.array_equal(np.asarray(h1), np.asarray(h2)) and np.all(np.asarray(h1) > 0)
    assert not np.array_equal(np.asarray(h1), np.asarray(h3))

