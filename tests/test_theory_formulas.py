"""Every public function of ``theory/`` checked against an independent computation at random,
asymmetric parameters (sigma != 1, mu_x != mu_y, eta*lam != 1, ...), hypothesis driving the draws.

The independent computation is never the theory module itself: a short numpy simulation of the
update equations, numpy eigenvalues of a hand-built iteration matrix, a finite difference of a
hand-written loss, a brute-force count, or an explicit formula written here from the paper's
statement. Each test names the theory functions it checks with ``@covers(...)``; while the test
runs, those functions are wrapped and the test fails if it never called one of them, and
``test_every_public_function_is_covered`` fails for a public function no test here covers (so a new
function fails the suite until it is checked). Budget: a few CPU-seconds in total; no JAX.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import math
import random

import numpy as np
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

MODULES = ("sam", "gda", "eos", "catapult", "position_coupling", "multi_operand")
_COVERED: set[str] = set()
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def covers(*names):
    """Declare (and enforce) that the decorated test calls the theory functions ``names``
    (``"sam.limit_cycle_amplitude"``, ...): each is wrapped in the module while the test runs."""
    _COVERED.update(names)

    def deco(test):
        @functools.wraps(test)
        def run(*args, **kwargs):
            calls, saved = {}, []
            for qual in names:
                mod = importlib.import_module("theory." + qual.split(".", 1)[0])
                attr = qual.split(".", 1)[1]
                orig = getattr(mod, attr)

                def counting(*a, _orig=orig, _qual=qual, **k):
                    calls[_qual] = calls.get(_qual, 0) + 1
                    return _orig(*a, **k)

                functools.update_wrapper(counting, orig)
                setattr(mod, attr, counting)
                saved.append((mod, attr, orig))
            try:
                test(*args, **kwargs)
            finally:
                for mod, attr, orig in saved:
                    setattr(mod, attr, orig)
            missing = [q for q in names if not calls.get(q)]
            assert not missing, f"{test.__name__} declares {missing} but never calls them"
        return run
    return deco


def public_functions() -> set[str]:
    """Every public callable defined in a theory module (functions and cached functions; classes,
    constants and sympy symbols excluded)."""
    out = set()
    for m in MODULES:
        mod = importlib.import_module(f"theory.{m}")
        for name, obj in vars(mod).items():
            if name.startswith("_") or inspect.isclass(obj) or inspect.ismodule(obj):
                continue
            if callable(obj) and getattr(obj, "__module__", None) == mod.__name__:
                out.add(f"{m}.{name}")
    return out


def test_every_public_function_is_covered():
    have = public_functions()
    assert len(have) > 90
    uncovered = sorted(have - _COVERED)
    assert not uncovered, f"public theory functions without an independent check here: {uncovered}"
    stale = sorted(_COVERED - have)
    assert not stale, f"covered names that are not public theory functions: {stale}"


def close(a, b, rtol=1e-9, atol=1e-12):
    return abs(a - b) <= atol + rtol * abs(b)


pos = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)
_ONCE: dict = {}


def once(mod, name, *args):
    """``mod.name(*args)`` called (through the module, so that ``covers`` sees it) on the first
    example only: symbolic derivations cost seconds, the checks of their values are per example."""
    key = (mod.__name__, name, args)
    if key not in _ONCE:
        _ONCE[key] = getattr(mod, name)(*args)
    return _ONCE[key]


SYMBOLIC = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# =============================================================================================== SAM
def _sam_1d(x, eta, lam, rho, steps):
    """Deterministic SAM on f = lam x^2 / 2: y = x + rho sign(f'(x)), x+ = x - eta f'(y)."""
    for _ in range(steps):
        y = x + rho * math.copysign(1.0, lam * x)
        x = x - eta * lam * y
    return x


@covers("sam.limit_cycle_amplitude", "sam.limit_cycle_value", "sam.limit_cycle_amplitude_expr",
        "sam.limit_cycle_condition_expr", "sam.sam_map_1d")
@FAST
@given(s=pos(0.05, 1.9), lam=pos(0.1, 10.0), rho=pos(0.01, 1.0), x0=pos(0.5, 5.0))
def test_sam_limit_cycle_against_simulation(s, lam, rho, x0):
    from theory import sam
    eta = s / lam
    n = int(60 / min(s, 2 - s)) + 50                        # contraction |1 - s| per step
    xa, xb = _sam_1d(x0, eta, lam, rho, n), _sam_1d(x0, eta, lam, rho, n + 1)
    a = sam.limit_cycle_amplitude(eta=eta, lam=lam, rho=rho)
    assert close(abs(xa), a, 1e-8) and close(abs(xb), a, 1e-8) and xa * xb < 0
    assert close(sam.limit_cycle_value(eta=eta, lam=lam, rho=rho), lam / 2 * xa * xa, 1e-7)
    expr = sam.limit_cycle_amplitude_expr().subs({sam.eta: eta, sam.lam: lam, sam.rho: rho})
    assert close(float(expr), a, 1e-12)
    cond = sam.limit_cycle_condition_expr()
    assert cond.contains(s) == sp.true and cond.contains(2 + s) == sp.false
    step = sam.sam_map_1d(+1).subs({sam.x: x0, sam.eta: eta, sam.lam: lam, sam.rho: rho})
    assert close(float(step), _sam_1d(x0, eta, lam, rho, 1), 1e-12)
    step = sam.sam_map_1d(-1).subs({sam.x: -x0, sam.eta: eta, sam.lam: lam, sam.rho: rho})
    assert close(float(step), _sam_1d(-x0, eta, lam, rho, 1), 1e-12)


def _stuck_f(x, beta, rho):
    return -(4 * beta * rho ** 2 / (9 * math.pi ** 2)) * math.cos(3 * math.pi * x / (2 * rho))


@covers("sam.stuck_point_gradient_sq", "sam.stuck_point_gradient_sq_expr", "sam.stuck_point_function_expr")
@FAST
@given(beta=pos(0.1, 5.0), rho=pos(0.01, 1.0), t=pos(-2.0, 2.0))
def test_sam_stuck_point_against_finite_differences(beta, rho, t):
    from theory import sam
    h = 1e-5 * rho
    d1 = lambda x: (_stuck_f(x + h, beta, rho) - _stuck_f(x - h, beta, rho)) / (2 * h)
    d2 = lambda x: (_stuck_f(x + h, beta, rho) - 2 * _stuck_f(x, beta, rho) + _stuck_f(x - h, beta, rho)) / h ** 2
    g2 = sam.stuck_point_gradient_sq(beta=beta, rho=rho)
    assert close(g2, d1(-rho) ** 2, 1e-6)
    assert d1(-rho) > 0 and abs(d1(0.0)) < 1e-9 * beta * rho     # the ascent lands on a stationary point
    assert close(d2(0.0), beta, 1e-4)                              # beta-smooth, max |f''| attained at 0
    subs = {sam.beta: beta, sam.rho: rho}
    assert close(float(sam.stuck_point_gradient_sq_expr().subs(subs)), g2, 1e-12)
    f = sam.stuck_point_function_expr().subs({**subs, sam.x: t * rho})
    assert close(float(f), _stuck_f(t * rho, beta, rho), 1e-10, 1e-15)


@covers("sam.stochastic_floor", "sam.stochastic_floor_expr", "sam.stochastic_gap", "sam.stochastic_gap_expr")
@FAST
@given(lam=pos(0.1, 5.0), rho=pos(0.01, 1.0), p=pos(0.05, 0.95), s=pos(0.02, 1.5), V=pos(0.1, 10.0))
def test_sam_stochastic_floor_against_mean_and_variance_recursions(lam, rho, p, s, V):
    """The mean dynamics x <- x - eta lam (x + rho (2p - 1)) and the variance recursion
    v <- (1 - eta lam)^2 v + eta^2 V iterated to their fixed points."""
    from theory import sam
    assume(abs(p - 0.5) > 0.02)
    eta = s / lam
    m, v = 0.0, 0.0
    for _ in range(int(80 / min(s, 2 - s)) + 50):
        m = m - eta * lam * (m + rho * (2 * p - 1))
        v = (1 - eta * lam) ** 2 * v + eta ** 2 * V
    floor = lam / 2 * m * m
    assert close(sam.stochastic_floor(lam=lam, rho=rho, p=p), floor, 1e-9)
    assert close(sam.stochastic_gap(eta=eta, lam=lam, rho=rho, p=p, noise_var=V), floor + lam / 2 * v, 1e-9)
    subs = {sam.lam: lam, sam.rho: rho, sam.p: p, sam.eta: eta}
    assert close(float(sam.stochastic_floor_expr().subs(subs)), floor, 1e-9)
    gap, Vs = sam.stochastic_gap_expr()
    assert close(float(gap.subs({**subs, Vs: V})), floor + lam / 2 * v, 1e-9)


@covers("sam.usam_contraction", "sam.usam_contraction_expr", "sam.usam_threshold_expr")
@FAST
@given(lams=st.lists(pos(0.05, 5.0), min_size=1, max_size=4), rho=pos(0.01, 1.0), frac=pos(0.05, 0.95))
def test_sam_usam_rate_against_simulation(lams, rho, frac):
    from theory import sam
    A = np.diag(lams)
    eta = frac * min(2 / (l * (1 + rho * l)) for l in lams)
    x = np.ones(len(lams))
    x1 = x - eta * A @ (x + rho * A @ x)                      # one USAM step, coordinatewise factor
    assert close(sam.usam_contraction(eta=eta, lams=lams, rho=rho), float(np.max(np.abs(x1 / x))), 1e-12)
    l0 = lams[0]
    c = sam.usam_contraction_expr().subs({sam.eta: eta, sam.lam: l0, sam.rho: rho})
    assert close(float(c), x1[0] / x[0], 1e-12)
    thr = float(sam.usam_threshold_expr().subs({sam.lam: l0, sam.rho: rho}))
    y = 1.0 - thr * l0 * (1.0 + rho * l0)                     # the factor at the threshold step
    assert close(y, -1.0, 1e-12)


def _hand_bounds(eta, beta, rho, sigma, mu, T, Delta):
    return {
        "d1_step_constant": eta / 2 * beta ** 2 * rho ** 2,
        "d1_average_bound": 2 * Delta / (eta * T) + beta ** 2 * rho ** 2,
        "d2_step_constant": beta ** 3 * eta ** 2 * rho ** 2 / 2,
        "d2_convex_average_bound": 2 * Delta / (eta * T) + beta ** 3 * eta * rho ** 2,
        "d2_strongly_convex_bound": (1 - eta * mu) ** T * Delta + beta ** 3 * eta * rho ** 2 / (2 * mu),
        "d3_step_constant": eta / 2 * beta ** 2 * rho ** 2 + beta * eta ** 2 * sigma ** 2 / 2,
        "d3_pl_bound": (1 - eta * mu) ** T * Delta + beta ** 2 * rho ** 2 / (2 * mu) + beta * eta * sigma ** 2 / (2 * mu),
        "d3_nonconvex_bound": 2 * Delta / (eta * T) + beta ** 2 * rho ** 2 + beta * eta * sigma ** 2,
    }


_BOUND_NAMES = {"d1_step_constant": "D1_step", "d1_average_bound": "D1_average", "d2_step_constant": "D2_step",
                "d2_convex_average_bound": "D2_convex_average", "d2_strongly_convex_bound": "D2_strongly_convex",
                "d3_step_constant": "D3_step", "d3_pl_bound": "D3_pl", "d3_nonconvex_bound": "D3_nonconvex"}


@covers(*(f"sam.{n}" for n in _BOUND_NAMES), "sam.d4_step_bound_constants", "sam.derived_bound",
        "sam.strongly_convex_step_size")
@FAST
@given(beta=pos(0.2, 5.0), f=pos(0.05, 1.0), rho=pos(0.01, 1.0), sigma=pos(0.05, 3.0), mq=pos(0.05, 0.9),
       T=st.integers(2, 500), Delta=pos(0.1, 10.0))
def test_sam_derived_bounds_against_their_formulas(beta, f, rho, sigma, mq, T, Delta):
    from theory import sam
    eta, mu = f / beta, mq * beta
    want = _hand_bounds(eta, beta, rho, sigma, mu, T, Delta)
    kw = {"eta": eta, "beta": beta, "rho": rho, "sigma": sigma, "mu": mu, "T": T, "Delta": Delta}
    syms = {sam.eta: eta, sam.beta: beta, sam.rho: rho, sam.sigma: sigma, sam.mu: mu, sam.T: T, sam.Delta: Delta}
    for name, value in want.items():
        fn = getattr(sam, name)
        got = fn(**{k: kw[k] for k in inspect.signature(fn).parameters})
        assert close(got, value, 1e-12), name
        assert close(float(sam.derived_bound(_BOUND_NAMES[name]).expr.subs(syms)), value, 1e-10), name
    e4 = eta / 6
    k, C = sam.d4_step_bound_constants(eta=e4, beta=beta, rho=rho, sigma=sigma)
    assert close(k, e4 / 4) and close(C, 0.75 * e4 * beta ** 2 * rho ** 2 + 1.5 * beta * e4 ** 2 * sigma ** 2)
    assert close(float(sam.derived_bound("D4_step").expr.subs({**syms, sam.eta: e4})), C, 1e-10)
    want_eta = min(1 / beta, max(1.0, math.log(mu ** 2 * Delta * T ** 2 / (beta ** 3 * rho ** 2))) / (mu * T))
    assert close(sam.strongly_convex_step_size(T=T, beta=beta, mu=mu, rho=rho, Delta=Delta), want_eta, 1e-12)


_RATE_FORMULAS = {
    ("strongly_convex", False): lambda T, beta, mu, rho, Delta, sigma:
        math.exp(-mu * T / (2 * beta)) * Delta + beta ** 3 * rho ** 2 / (mu ** 2 * T ** 2),
    ("convex", False): lambda T, **_: 1 / math.sqrt(T),
    ("lipschitz_nonconvex", False): lambda T, beta, rho, Delta, **_: beta * Delta / T + beta ** 2 * rho ** 2,
    ("nonconvex", False): lambda T, beta, rho, Delta, **_: beta * Delta / T + beta ** 2 * rho ** 2,
    ("strongly_convex", True): lambda T, beta, mu, rho, Delta, sigma:
        math.exp(-mu * T / (2 * beta)) * Delta + sigma ** 2 / (mu * T) + beta ** 2 * rho ** 2 / mu,
    ("convex", True): lambda T, beta, rho, **_: 1 / math.sqrt(T) + beta ** 2 * rho ** 2,
    ("lipschitz_nonconvex", True): lambda T, beta, rho, **_: 1 / math.sqrt(T) + beta ** 2 * rho ** 2,
    ("nonconvex", True): lambda T, beta, rho, **_: 1 / math.sqrt(T) + beta ** 2 * rho ** 2,
}


@covers("sam.rate", "sam.rate_value")
@FAST
@given(T=st.integers(10, 10 ** 4), beta=pos(0.5, 5.0), mq=pos(0.05, 0.9), rho=pos(0.01, 1.0),
       Delta=pos(0.1, 10.0), sigma=pos(0.1, 3.0))
def test_sam_rate_table_against_its_rows(T, beta, mq, rho, Delta, sigma):
    from theory import sam
    vals = dict(T=T, beta=beta, mu=mq * beta, rho=rho, Delta=Delta, sigma=sigma)
    for (setting, stoch), want in _RATE_FORMULAS.items():
        row = sam.rate(setting, stoch)
        assert row.setting == setting and row.stochastic == stoch
        assert close(sam.rate_value(setting, stoch, **vals), want(**vals), 1e-10), (setting, stoch)


@covers("sam.proof_step_identities")
@FAST
@given(eta_f=pos(0.01, 1.0), beta=pos(0.2, 5.0), rho=pos(0.01, 1.0), G=pos(0.0, 5.0), H=pos(0.0, 5.0),
       Df=pos(0.0, 1.0), cf=pos(0.0, 1.0))
def test_sam_proof_step_certificates_evaluate_to_their_gaps(eta_f, beta, rho, G, H, Df, cf):
    """gap - certificate evaluates to 0 at random points, and the certificate is >= 0 under the
    step's conditions (eta <= 1/beta, D <= beta rho, 0 <= c <= beta rho)."""
    from theory import sam
    ids = once(sam, "proof_step_identities")
    Gs, Hs, Ds, cs = sp.symbols("G H D c", nonnegative=True)
    vals = {sam.eta: eta_f / beta, sam.beta: beta, sam.rho: rho, Gs: G, Hs: H, Ds: Df * beta * rho,
            cs: cf * beta * rho}
    for name, (gap, cert) in ids.items():
        g, c = float(gap.subs(vals)), float(cert.subs(vals))
        assert close(g, c, 1e-9, 1e-12), name
        assert c >= -1e-12, name


# =============================================================================================== GDA
def _grads(a, b, c):
    """f = a x^2/2 + b x y - c y^2/2 (bilinear: a = c = 0, b = sigma)."""
    return (lambda x, y: a * x + b * y), (lambda x, y: b * x - c * y)


def _hand_step(method, alpha, beta, gamma, delta, a, b, c, z):
    gx, gy = _grads(a, b, c)
    if method == "sim":
        x, y = z
        return np.array([x - alpha * gx(x, y), y + beta * gy(x, y)])
    if method == "alt":
        x, y = z
        x1 = x - alpha * gx(x, y)
        return np.array([x1, y + beta * gy(x1, y)])
    if method == "eg":
        x, y = z
        xh, yh = x - alpha * gx(x, y), y + beta * gy(x, y)
        return np.array([x - alpha * gx(xh, yh), y + beta * gy(xh, yh)])
    x, y, yt = z
    x1 = x - alpha * gx(x, yt)
    xt = x - gamma * alpha * gx(x, yt)
    return np.array([x1, y + beta * gy(xt, y), y + delta * beta * gy(xt, y)])


def _hand_matrix(method, alpha, beta, gamma, delta, a, b, c):
    """The (linear) one-step map's matrix, column by column."""
    n = 3 if method == "alex" else 2
    return np.stack([_hand_step(method, alpha, beta, gamma, delta, a, b, c, e) for e in np.eye(n)], 1)


steps = st.tuples(pos(0.05, 1.5), pos(0.05, 1.5))


@covers("gda.iteration_matrix")
@FAST
@given(ab=steps, gd=st.tuples(pos(0.0, 3.0), pos(0.0, 3.0)), sigma=pos(0.1, 3.0),
       abc=st.tuples(pos(0.1, 3.0), pos(-2.0, 2.0), pos(0.1, 3.0)))
def test_gda_iteration_matrices_against_the_update_equations(ab, gd, sigma, abc):
    from theory import gda
    alpha, beta = ab
    gamma, delta = gd
    vals = {gda.alpha: alpha, gda.beta: beta, gda.gamma: gamma, gda.delta: delta, gda.sigma: sigma,
            gda.a_: abc[0], gda.b_: abc[1], gda.c_: abc[2]}
    for method in gda.METHODS:
        for kind, (a, b, c) in (("bilinear", (0.0, sigma, 0.0)), ("scalar", abc)):
            M = np.array(once(gda, "iteration_matrix", method, kind).subs(vals), float)
            assert np.allclose(M, _hand_matrix(method, alpha, beta, gamma, delta, a, b, c), atol=1e-12), \
                (method, kind)


def _spd(rng, d, lo, hi):
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (Q * rng.uniform(lo, hi, d)) @ Q.T


def _hand_block_step(method, alpha, beta, gamma, delta, A, B, C, x, y, yt):
    gx = lambda x, y: A @ x + B @ y
    gy = lambda x, y: B.T @ x - C @ y
    if method == "sim":
        return x - alpha * gx(x, y), y + beta * gy(x, y)
    if method == "alt":
        x1 = x - alpha * gx(x, y)
        return x1, y + beta * gy(x1, y)
    if method == "eg":
        xh, yh = x - alpha * gx(x, y), y + beta * gy(x, y)
        return x - alpha * gx(xh, yh), y + beta * gy(xh, yh)
    x1, xt = x - alpha * gx(x, yt), x - gamma * alpha * gx(x, yt)
    return x1, y + beta * gy(xt, y), y + delta * beta * gy(xt, y)


@covers("gda.block_iteration_matrix", "gda.spectral_radius")
@FAST
@given(seed=st.integers(0, 2 ** 31), dims=st.tuples(st.integers(1, 3), st.integers(1, 3)), ab=steps,
       gd=st.tuples(pos(0.0, 3.0), pos(0.0, 3.0)), sigma=pos(0.1, 3.0))
def test_gda_block_matrices_and_radius_against_numpy(seed, dims, ab, gd, sigma):
    from theory import gda
    rng = np.random.default_rng(seed)
    dx, dy = dims
    A, C, B = _spd(rng, dx, 0.2, 2.0), _spd(rng, dy, 0.3, 3.0), rng.standard_normal((dx, dy))
    (alpha, beta), (gamma, delta) = ab, gd
    for method in gda.METHODS:
        n = dx + dy + (dy if method == "alex" else 0)
        cols = []
        for e in np.eye(n):
            x, y = e[:dx], e[dx:dx + dy]
            yt = e[dx + dy:] if method == "alex" else y
            cols.append(np.concatenate(_hand_block_step(method, alpha, beta, gamma, delta, A, B, C, x, y, yt)))
        M = np.stack(cols, 1)
        got = gda.block_iteration_matrix(method, alpha=alpha, beta=beta, A=A, B=B, C=C, gamma=gamma, delta=delta)
        assert np.allclose(got, M, atol=1e-12), method
        r = float(np.max(np.abs(np.linalg.eigvals(M))))
        assert close(gda.spectral_radius(method, alpha=alpha, beta=beta, gamma=gamma, delta=delta, A=A, B=B, C=C),
                     r, 1e-9)
        Mb = _hand_matrix(method, alpha, beta, gamma, delta, 0.0, sigma, 0.0)
        assert close(gda.spectral_radius(method, alpha=alpha, beta=beta, gamma=gamma, delta=delta, sigma=sigma),
                     float(np.max(np.abs(np.linalg.eigvals(Mb)))), 1e-9)
        a, b, c = float(A[0, 0]), float(B[0, 0]), float(C[0, 0])
        Ms = _hand_matrix(method, alpha, beta, gamma, delta, a, b, c)
        assert close(gda.spectral_radius(method, alpha=alpha, beta=beta, gamma=gamma, delta=delta, a=a, b=b, c=c),
                     float(np.max(np.abs(np.linalg.eigvals(Ms)))), 1e-9)


def _multiset_close(u, v, tol):
    u, v = sorted(u, key=lambda z: (round(z.real, 6), z.imag)), list(v)
    for z in u:
        j = int(np.argmin([abs(z - w) for w in v]))
        if abs(z - v.pop(j)) > tol:
            return False
    return True


@covers("gda.bilinear_charpoly", "gda.sim_charpoly", "gda.alt_charpoly")
@SYMBOLIC
@given(gd=st.tuples(pos(0.0, 3.0), pos(0.0, 3.0)), ab=steps, sigma=pos(0.1, 2.0))
def test_gda_charpolys_against_numpy_eigenvalues(gd, ab, sigma):
    from theory import gda
    (gamma, delta), (alpha, beta) = gd, ab
    p = alpha * beta * sigma ** 2
    for poly, (g, d) in ((gda.bilinear_charpoly(gamma=gamma, delta=delta, p=p), (gamma, delta)),
                         (once(gda, "sim_charpoly"), (0.0, 1.0)), (once(gda, "alt_charpoly"), (1.0, 1.0))):
        poly = sp.Poly(poly.as_expr().subs(gda.p, p), gda.lam)
        roots = np.roots([float(c) for c in poly.all_coeffs()])
        ev = np.linalg.eigvals(_hand_matrix("alex", alpha, beta, g, d, 0.0, sigma, 0.0))
        assert _multiset_close(roots, ev, 1e-6), (g, d)
    # Sim and Alt themselves (2 x 2) are the Alex forms with (0, 1) and (1, 1), plus a root at 0
    for method, (g, d) in (("sim", (0.0, 1.0)), ("alt", (1.0, 1.0))):
        ev2 = np.linalg.eigvals(_hand_matrix(method, alpha, beta, 0, 0, 0.0, sigma, 0.0))
        ev3 = np.linalg.eigvals(_hand_matrix("alex", alpha, beta, g, d, 0.0, sigma, 0.0))
        assert _multiset_close(list(ev2) + [0.0], ev3, 1e-6), method


def _oscillating_modulus_sq(gamma, delta, p):
    ev = np.linalg.eigvals(_hand_matrix("alex", 1.0, p, gamma, delta, 0.0, 1.0, 0.0))
    osc = [z for z in ev if abs(z.imag) > 1e-12]
    return max(abs(z) ** 2 for z in osc)


@covers("gda.small_p_modulus_sq", "gda.delta1_stability_interval")
@FAST
@given(gamma=pos(0.2, 3.0), delta=pos(0.2, 3.0), p=pos(1e-4, 1e-3), g1=pos(1.05, 3.0))
def test_gda_small_p_modulus_and_delta1_interval_against_eigenvalues(gamma, delta, p, g1):
    from theory import gda
    m1 = float(once(gda, "small_p_modulus_sq", 1).subs({gda.gamma: gamma, gda.delta: delta, gda.p: p}))
    exact = _oscillating_modulus_sq(gamma, delta, p)
    assert abs(m1 - exact) <= 50 * p ** 2
    assert close(m1, 1 - (gamma + delta - 2) * p, 1e-12)
    upper, _ = once(gda, "delta1_stability_interval")
    pu = float(upper.subs(gda.gamma, g1))
    radius = lambda pp: float(np.max(np.abs(np.linalg.eigvals(_hand_matrix("alex", 1.0, pp, g1, 1.0, 0.0, 1.0, 0.0)))))
    assert radius(0.98 * pu) < 1.0 < radius(1.02 * pu)
    assert close(pu, 4 / (2 * g1 - 1), 1e-12)


@covers("gda.alt_conserved_form")
@FAST
@given(ab=steps, sigma=pos(0.1, 1.5), z0=st.tuples(pos(-2.0, 2.0), pos(-2.0, 2.0)))
def test_gda_alt_invariant_along_a_simulation(ab, sigma, z0):
    from theory import gda
    alpha, beta = ab
    assume(alpha * beta * sigma ** 2 < 3.9)
    Q = np.array(once(gda, "alt_conserved_form").subs({gda.alpha: alpha, gda.beta: beta, gda.sigma: sigma}), float)
    z = np.array(z0)
    V0 = z @ Q @ z
    for _ in range(50):
        z = _hand_step("alt", alpha, beta, 0, 0, 0.0, sigma, 0.0, z)
        assert close(z @ Q @ z, V0, 1e-9, 1e-12)


@covers("gda.am_gm_certificate", "gda.complexity")
@FAST
@given(kx=pos(1.0, 1e3), ky=pos(1.0, 1e3), kxy=pos(0.0, 1e3))
def test_gda_complexities_and_certificate(kx, ky, kxy):
    from theory import gda
    want = {("sim", "upper"): kx + ky + kxy ** 2, ("sim", "lower"): kx + ky + kxy ** 2,
            ("alt", "upper"): kx + ky + kxy * (math.sqrt(kx) + math.sqrt(ky)),
            ("alex", "upper"): kx + ky + kxy, ("alex", "lower"): kx + ky + kxy, ("eg", "upper"): kx + ky + kxy}
    for (m, side), v in want.items():
        assert close(gda.complexity(m, kappa_x=kx, kappa_y=ky, kappa_xy=kxy, side=side), v, 1e-12)
    cert = once(gda, "am_gm_certificate")
    assert cert["identity_holds"] and cert["alt_le_2sim_identity"]
    vals = {gda.kx: kx, gda.ky: ky, gda.kxy: kxy}
    g, s = float(cert["gap"].subs(vals)), float(cert["sos"].subs(vals))
    assert close(g, s, 1e-9, 1e-9) and s >= 0
    assert want[("alt", "upper")] <= 2 * want[("sim", "upper")] * (1 + 1e-12)


@covers("gda.step_sizes")
@FAST
@given(mux=pos(0.1, 3.0), muy=pos(0.1, 3.0), kx=pos(1.0, 50.0), ky=pos(1.0, 50.0), Lxy=pos(0.0, 20.0))
def test_gda_step_sizes_against_their_rules(mux, muy, kx, ky, Lxy):
    from theory import gda
    Lx, Ly = kx * mux, ky * muy
    r = math.sqrt(mux / muy)
    s = math.sqrt(kx) + math.sqrt(ky)
    inv = 1 / Lxy ** 2 if Lxy ** 2 > 0 else math.inf
    want = {"sim": (0.5 * min(1 / Lx, muy * inv), 0.5 * min(1 / Ly, mux * inv)),
            "alt": (1 / (Lx + Lxy * r * s), 1 / (Ly + Lxy * s / r)),
            "alex": (0.5 / (Lx + Lxy * r), 0.5 / (Ly + Lxy / r)),
            "eg": (0.5 / (Lx + Lxy * r), 0.5 / (Ly + Lxy / r))}
    for m, (a, b) in want.items():
        got = gda.step_sizes(m, mu_x=mux, mu_y=muy, L_x=Lx, L_y=Ly, L_xy=Lxy)
        assert close(got[0], a, 1e-12) and close(got[1], b, 1e-12), m


# =============================================================================================== EoS
_LOSS = {"logcosh": lambda z: math.log(math.cosh(z)), "sqrt": lambda z: math.sqrt(1 + z * z) - 1,
         "squared": lambda z: z * z / 2}


def _d(f, z, h=1e-5):
    return (f(z + h) - f(z - h)) / (2 * h)


def _d2(f, z, h=1e-4):
    return (f(z + h) - 2 * f(z) + f(z - h)) / h ** 2


@covers("eos.loss_expr", "eos.r_expr", "eos.r", "eos.g_step", "eos.g_map_expr", "eos.branch_multiplier",
        "eos.branch_multiplier_expr", "eos.elasticity_expr", "eos.bifurcation_branch", "eos.rhat",
        "eos.fixed_point_multiplier_expr", "eos.flip_point")
@FAST
@given(z=pos(0.05, 4.0), q=pos(0.05, 0.95), qq=pos(0.2, 3.0))
def test_eos_loss_maps_against_finite_differences(z, q, qq):
    from theory import eos
    for name in ("logcosh", "sqrt"):
        l = _LOSS[name]
        r_fd = lambda t: _d(l, t) / t
        assert close(float(eos.loss_expr(name).subs(eos.p, z)), l(z), 1e-12)
        assert close(float(eos.r(name, p=z)), r_fd(z), 1e-7)
        assert close(float(eos.r_expr(name).subs(eos.p, z)), r_fd(z), 1e-7)
        g = z - (2 / qq) * _d(l, z)                                   # the canonical map at eta -> 0
        assert close(float(eos.g_step(name, p=z, q=qq)), g, 1e-7)
        assert close(float(eos.g_map_expr(name).subs({eos.p: z, eos.q: qq})), g, 1e-7)
        qb = r_fd(z)                                                   # on the branch q = r(p)
        mult = 1 - (2 / qb) * _d2(l, z)
        assert close(float(eos.branch_multiplier(name, p=z)), mult, 1e-5, 1e-6)
        assert close(float(eos.branch_multiplier_expr(name).subs(eos.p, z)), mult, 1e-5, 1e-6)
        el = z * _d(r_fd, z, 1e-4) / r_fd(z)
        assert close(float(eos.elasticity_expr(name).subs(eos.p, z)), el, 1e-5, 1e-6)
        assert close(float(eos.bifurcation_branch(name).rhs.subs(eos.p, z)), qb, 1e-7)
        ph = eos.rhat(name, q=q)
        assert close(r_fd(ph), q, 1e-7)
        fp = 1 - (2 / qq) * _d2(l, 0.0)                                # multiplier of p = 0
        assert close(float(eos.fixed_point_multiplier_expr(name).subs(eos.q, qq)), fp, 1e-6, 1e-6)
        qf = float(once(eos, "flip_point", name))
        assert close(1 - (2 / qf) * _d2(l, 0.0), -1.0, 1e-6)


@covers("eos.branch_stability_condition")
@FAST
@given(e=pos(-3.0, 3.0))
def test_eos_branch_stability_condition(e):
    from theory import eos
    assume(abs(e) > 1e-6 and abs(e + 1) > 1e-6)
    cond = once(eos, "branch_stability_condition")
    assert bool(cond.subs(eos.e, e)) == (abs(-1 - 2 * e) < 1)


@covers("eos.linear_net_map_expr", "eos.linear_net_step")
@FAST
@given(seed=st.integers(0, 2 ** 31), m=st.integers(1, 4), d=st.integers(1, 4), eta=pos(0.01, 0.5),
       y=pos(-2.0, 2.0))
def test_eos_linear_net_map_against_a_gd_step(seed, m, d, eta, y):
    """One GD step of l(v^T U x - y) on a random two-layer linear net, ||x|| = 1, reduced to (p, q)."""
    from theory import eos
    rng = np.random.default_rng(seed)
    U, v = rng.standard_normal((m, d)), rng.standard_normal(m)
    x = rng.standard_normal(d)
    x /= np.linalg.norm(x)
    for name in ("logcosh", "sqrt", "squared"):
        l = _LOSS[name]
        p0 = v @ U @ x - y
        q0 = 2 / (eta * (np.sum((U @ x) ** 2) + np.sum(v ** 2)))
        g = _d(l, p0, 1e-6)
        U1, v1 = U - eta * g * np.outer(v, x), v - eta * g * (U @ x)
        p1 = v1 @ U1 @ x - y
        q1 = 2 / (eta * (np.sum((U1 @ x) ** 2) + np.sum(v1 ** 2)))
        got = eos.linear_net_step(name, p=p0, q=q0, eta=eta, y=y)
        assert close(got[0], p1, 1e-6, 1e-8) and close(got[1], q1, 1e-6), name
        pn, qn = eos.linear_net_map_expr(name)
        vals = {eos.p: p0, eos.q: q0, eos.eta: eta, eos.y: y}
        assert close(float(pn.subs(vals)), p1, 1e-6, 1e-8) and close(float(qn.subs(vals)), q1, 1e-6), name


@covers("eos.sharpness_at_interpolation")
@FAST
@given(seed=st.integers(0, 2 ** 31), eta=pos(0.01, 0.5), lpp0=pos(0.3, 3.0))
def test_eos_sharpness_at_interpolation_against_a_numeric_hessian(seed, eta, lpp0):
    """Top eigenvalue of the finite-difference Hessian of lpp0 * logcosh(v^T U x - y) at an
    interpolating point equals 2 lpp0/(eta q), q = 2/(eta ||grad f||^2)."""
    from theory import eos
    rng = np.random.default_rng(seed)
    m, d = 3, 2
    th0 = rng.standard_normal(m * d + m)
    x = rng.standard_normal(d)
    x /= np.linalg.norm(x)
    f = lambda th: th[m * d:] @ th[:m * d].reshape(m, d) @ x
    y = f(th0)
    L = lambda th: lpp0 * math.log(math.cosh(f(th) - y))
    n, h = len(th0), 1e-4
    H = np.zeros((n, n))
    E = np.eye(n) * h
    for i in range(n):
        for j in range(n):
            H[i, j] = (L(th0 + E[i] + E[j]) - L(th0 + E[i] - E[j]) - L(th0 - E[i] + E[j]) + L(th0 - E[i] - E[j])) / (4 * h * h)
    U, v = th0[:m * d].reshape(m, d), th0[m * d:]
    q = 2 / (eta * (np.sum((U @ x) ** 2) + np.sum(v ** 2)))
    assert close(eos.sharpness_at_interpolation(q=q, eta=eta, lpp0=lpp0), float(np.linalg.eigvalsh(H)[-1]), 1e-5)


def _rs(u):
    return math.tanh(u) * (1 - math.tanh(u) ** 2) / u


@covers("eos.activation_expr", "eos.r_sigma_expr", "eos.r_sigma", "eos.rhat_sigma", "eos.neuron_map_expr",
        "eos.neuron_step", "eos.neuron_branch_multiplier", "eos.tanh_critical_point")
@FAST
@given(u=pos(0.05, 2.5), q=pos(0.05, 0.95), eta=pos(0.01, 0.5), qq=pos(0.3, 3.0))
def test_eos_single_neuron_against_a_gd_step(u, q, eta, qq):
    from theory import eos
    assert close(float(eos.activation_expr("tanh").subs(eos.u, u)), math.tanh(u), 1e-12)
    assert close(float(eos.r_sigma(u=u)), _rs(u), 1e-10)
    assert close(float(eos.r_sigma_expr("tanh").subs(eos.u, u)), _rs(u), 1e-10)
    uh = eos.rhat_sigma(q=q)
    assert close(_rs(uh), q, 1e-9)
    v = math.sqrt(2 / (eta * qq))                     # GD on L = (v tanh u)^2 / 2, x = 1, target 0
    gu, gv = v * v * math.tanh(u) * (1 - math.tanh(u) ** 2), v * math.tanh(u) ** 2
    u1, v1 = u - eta * gu, v - eta * gv
    got = eos.neuron_step(u=u, q=qq, eta=eta)
    assert close(got[0], u1, 1e-10, 1e-12) and close(got[1], 2 / (eta * v1 * v1), 1e-10)
    un, qn = sp.lambdify((eos.u, eos.q, eos.eta), once(eos, "neuron_map_expr", "tanh"))(u, qq, eta)
    assert close(float(un), u1, 1e-10, 1e-12) and close(float(qn), 2 / (eta * v1 * v1), 1e-10)
    qb = _rs(u)                                         # on the branch, the u-map at eta -> 0
    umap = lambda t: t - (2 / qb) * math.tanh(t) * (1 - math.tanh(t) ** 2)
    assert close(float(eos.neuron_branch_multiplier(u=u)), _d(umap, u, 1e-6), 1e-6, 1e-7)
    uc, qc = eos.tanh_critical_point()
    assert close(uc * _d(_rs, uc, 1e-6) / _rs(uc), -1.0, 1e-7) and close(qc, _rs(uc), 1e-10)


# ========================================================================================== catapult
def _catapult_matrix(method, h, beta, eta=1.0):
    """The one-step map written from each optimiser's update (EMA: the (w, m) state itself)."""
    if method == "gd":
        return np.array([[1 - h]])
    if method == "heavy_ball":
        return np.array([[1 + beta - h, -beta], [1.0, 0.0]])
    if method == "nesterov":
        return np.array([[(1 + beta) * (1 - h), -beta * (1 - h)], [1.0, 0.0]])
    lam = h / eta                                       # m' = beta m + (1 - beta) lam w, w' = w - eta m'
    return np.array([[1 - eta * (1 - beta) * lam, -eta * beta], [(1 - beta) * lam, beta]])


@covers("catapult.characteristic_polynomial", "catapult.jury_conditions", "catapult.critical_h",
        "catapult.stability_threshold", "catapult.spectral_radius")
@FAST
@given(h=pos(0.01, 8.0), beta=pos(0.0, 0.95), eta=pos(0.01, 1.0))
def test_catapult_thresholds_against_numpy_eigenvalues(h, beta, eta):
    from theory import catapult
    for method in catapult.METHODS:
        b = 0.0 if method == "gd" else beta
        M = _catapult_matrix(method, h, b, eta)
        rad = float(np.max(np.abs(np.linalg.eigvals(M))))
        poly = catapult.characteristic_polynomial(method)
        coeffs = [float(c.subs({catapult.h: h, catapult.beta_s: b, catapult.eta_s: eta})) for c in poly.all_coeffs()]
        assert _multiset_close(np.roots(coeffs), np.linalg.eigvals(M), 1e-7), method
        assert close(catapult.spectral_radius(method, h=h, beta=b), rad, 1e-9), method
        hs = float(catapult.critical_h(method).subs(catapult.beta_s, b))
        r = lambda hh: float(np.max(np.abs(np.linalg.eigvals(_catapult_matrix(method, hh, b, eta)))))
        assert r(0.99 * hs) < 1.0 < r(1.01 * hs), method
        assert close(catapult.stability_threshold(method, eta=eta, beta=b), hs / eta, 1e-12)
        jury = [float(c.subs({catapult.h: h, catapult.beta_s: b})) for c in catapult.jury_conditions(method)]
        if abs(rad - 1) > 1e-6:
            assert all(j > 0 for j in jury) == (rad < 1), method


@covers("catapult.ema_heavy_ball_equivalence", "catapult.ema_to_heavy_ball", "catapult.heavy_ball_to_ema")
@FAST
@given(eta=pos(0.01, 0.5), beta=pos(0.0, 0.95), lams=st.lists(pos(0.1, 5.0), min_size=1, max_size=3))
def test_catapult_conventions_against_simulation(eta, beta, lams):
    """EMA momentum at eta and PHB at ema_to_heavy_ball(eta, beta) give the same iterates."""
    from theory import catapult
    lam = np.array(lams)
    w_e = w_p = w_prev = np.ones_like(lam)
    m = np.zeros_like(lam)
    eta_p = catapult.ema_to_heavy_ball(eta=eta, beta=beta)
    for _ in range(30):
        m = beta * m + (1 - beta) * lam * w_e
        w_e = w_e - eta * m
        w_p, w_prev = w_p - eta_p * lam * w_p + beta * (w_p - w_prev), w_p
        assert np.allclose(w_e, w_p, rtol=1e-9, atol=1e-12)
    assert close(catapult.heavy_ball_to_ema(eta=eta_p, beta=beta), eta, 1e-12)
    assert once(catapult, "ema_heavy_ball_equivalence") == 0


@covers("catapult.stage_model_map", "catapult.stage_model_step")
@FAST
@given(x=pos(-1.0, 1.0), y=pos(-3.0, 3.0), xp=pos(-1.0, 1.0), yp=pos(-3.0, 3.0), eta=pos(0.01, 0.5),
       alpha=pos(0.0, 2.0), b_s=pos(0.1, 5.0), beta=pos(0.0, 0.95))
def test_catapult_stage_map_against_a_phb_step_on_the_local_model(x, y, xp, yp, eta, alpha, b_s, beta):
    """PHB on L(x, z) = -(alpha/sqrt b_s) z + (S_ref + sqrt b_s z) x^2/2, S_ref = 2(1 + beta)/eta,
    reported in (x, y = sqrt(b_s) z)."""
    from theory import catapult
    sb = math.sqrt(b_s)
    for mom in (beta, 0.0):
        S_ref = 2 * (1 + mom) / eta
        z, zp = y / sb, yp / sb
        gx, gz = (S_ref + sb * z) * x, -alpha / sb + sb * x * x / 2
        x1 = x - eta * gx + mom * (x - xp)
        y1 = sb * (z - eta * gz + mom * (z - zp))
        got = catapult.stage_model_step(x, y, xp, yp, eta=eta, alpha=alpha, b_s=b_s, beta=mom)
        assert close(got[0], x1, 1e-10, 1e-10) and close(got[1], y1, 1e-10, 1e-10)
        xn, yn, s = catapult.stage_model_map(mom != 0.0)
        vals = {s["x"]: x, s["y"]: y, s["x_prev"]: xp, s["y_prev"]: yp, s["eta"]: eta, s["alpha"]: alpha,
                s["b_s"]: b_s, s["beta"]: mom}
        assert close(float(xn.subs(vals)), x1, 1e-10, 1e-10) and close(float(yn.subs(vals)), y1, 1e-10, 1e-10)


# ================================================================================ position coupling
_TOL_PC = min(0.15 / 30.6, 0.04)
_TOL_MO = min(0.15 / 29.7, 0.1, min(0.36 - 1 / 3, 0.5 - 0.47))


@covers("position_coupling.embedding_dim", "position_coupling.code_length", "position_coupling.capacity",
        "position_coupling.capacity_expr", "position_coupling.capacity_of_d", "position_coupling.sequence_length",
        "position_coupling.leak_bound", "position_coupling.leak_bound_expr", "position_coupling.tolerance_expr",
        "position_coupling.leak_tolerance", "position_coupling.hardness_needed",
        "position_coupling.hardness_needed_expr", "position_coupling.hardness_for_capacity",
        "position_coupling.nope_pair", "position_coupling.hardness_paper", "position_coupling.hardness_paper_expr",
        "position_coupling.paper_hardness_slack")
@FAST
@given(P=st.integers(2, 12), d=st.integers(21, 60), n=st.integers(1, 40), N=st.integers(2, 10 ** 5),
       M=pos(0.5, 20.0), seed=st.integers(0, 2 ** 31))
def test_position_coupling_sizes_against_counting(P, d, n, N, M, seed):
    from numerics import arithmetic as ar
    from theory import position_coupling as th
    assert th.embedding_dim(P=P) == 17 + 2 * P
    assert th.code_length(d=d) == max(q for q in range(0, d) if 17 + 2 * q <= d)
    assert th.capacity(P=P) == 2 ** P - 2 == int(th.capacity_expr().subs(th.P, P))
    assert th.capacity_of_d(d=d) == 2 ** ((d - 17) // 2) - 2
    rng = random.Random(seed)
    a, b = (rng.randrange(10 ** (n - 1), 10 ** n) for _ in range(2))
    assert th.sequence_length(n=n) == ar.addition(a, b).T
    assert close(th.leak_bound(N=N, M=M), N * math.exp(-2 * M), 1e-12)
    assert close(float(th.leak_bound_expr().subs({th.N: N, th.M: M})), N * math.exp(-2 * M), 1e-12)
    assert close(th.leak_tolerance(), _TOL_PC, 1e-12) and close(float(th.tolerance_expr()), _TOL_PC, 1e-12)
    Mh = th.hardness_needed(N=N)
    assert close(N * math.exp(-2 * Mh), _TOL_PC, 1e-9)
    assert close(float(th.hardness_needed_expr().subs(th.N, N)), Mh, 1e-12)
    assert close(th.hardness_for_capacity(P=P), math.log((3 * (2 ** P - 2) + 5) / _TOL_PC) / 2, 1e-12)
    Mp = th.hardness_paper(N=N)                          # the paper's M >= (1/2) log N + 3
    assert close(Mp, 0.5 * math.log(N) + 3, 1e-12)
    assert close(float(th.hardness_paper_expr().subs(th.N, N)), Mp, 1e-12)
    assert close(float(once(th, "paper_hardness_slack")), Mp - Mh, 1e-9)
    p1, p2, d1, d2 = th.nope_pair()
    assert sorted(p1) == sorted(p2) and p1[-1] == p2[-1] and p1 != p2
    assert d1 == sum(map(int, p1[:-1].split("+"))) % 10 and d2 == sum(map(int, p2[:-1].split("+"))) % 10
    assert d1 != d2


@covers("position_coupling.mult_embedding_dim", "position_coupling.mult_code_length",
        "position_coupling.mult_capacity", "position_coupling.mult_capacity_expr",
        "position_coupling.mult_capacity_of_d", "position_coupling.mult_max_carry")
@FAST
@given(P=st.integers(2, 12), d=st.integers(46, 110))
def test_position_coupling_multiplication_sizes_against_counting(P, d):
    from theory import position_coupling as th
    assert th.mult_embedding_dim(P=P) == 6 * P + 34
    assert th.mult_code_length(d=d) == max(q for q in range(0, d) if 6 * q + 34 <= d)
    assert th.mult_capacity(P=P) == 2 ** P - 3 == int(th.mult_capacity_expr().subs(th.P, P))
    assert th.mult_capacity_of_d(d=d) == 2 ** ((d - 34) // 6) - 3
    # the column recurrence c_{k+1} = floor((a_k b_0 + a_{k-1} b_1 + c_k) / 10) from c_0 = 0 with
    # all-9 digits: the largest carry it reaches is the invariant bound
    c, seen = 0, 0
    for _ in range(50):
        c = (81 + 81 + c) // 10
        seen = max(seen, c)
    assert once(th, "mult_max_carry") == seen == 17


@covers("multi_operand.embedding_dim", "multi_operand.width", "multi_operand.sequence_length",
        "multi_operand.count_capacity", "multi_operand.count_capacity_expr", "multi_operand.width_capacity",
        "multi_operand.width_capacity_expr", "multi_operand.length_capacity", "multi_operand.capacities_of_d",
        "multi_operand.tolerance_expr", "multi_operand.leak_tolerance", "multi_operand.hardness_needed",
        "multi_operand.hardness_needed_expr")
@FAST
@given(P1=st.integers(2, 8), P2=st.integers(2, 10), n=st.integers(1, 12), m=st.integers(2, 9),
       d=st.integers(27, 45), N=st.integers(2, 10 ** 5), seed=st.integers(0, 2 ** 31))
def test_multi_operand_sizes_against_counting(P1, P2, n, m, d, N, seed):
    from numerics import arithmetic as ar
    from theory import multi_operand as th
    assert th.embedding_dim(P1=P1, P2=P2) == 19 + 2 * P1 + 2 * P2
    width = lambda n_, m_: len(str(m_ * (10 ** n_ - 1)))
    assert th.width(n=n, m=m) == width(n, m)
    rng = random.Random(seed)
    ops = [rng.randrange(10 ** (n - 1), 10 ** n) for _ in range(m)]
    assert th.sequence_length(n=n, m=m) == ar.multi_operand_addition(ops).T
    assert th.count_capacity(P2=P2) == 2 ** P2 - 1 == int(th.count_capacity_expr().subs(th.P2, P2))
    assert th.width_capacity(P1=P1) == 2 ** P1 - 2 == int(th.width_capacity_expr().subs(th.P1, P1))
    fits = [k for k in range(1, 2 ** P1) if width(k, m) <= 2 ** P1 - 2]
    assert th.length_capacity(P1=P1, m=m) == (max(fits) if fits else 0)
    q = (d - 19) // 4
    fits2 = [k for k in range(1, 2 ** q) if width(k, 2) <= 2 ** q - 2]
    assert th.capacities_of_d(d=d) == ((max(fits2) if fits2 else 0), 2 ** q - 1)
    assert close(th.leak_tolerance(), _TOL_MO, 1e-12) and close(float(th.tolerance_expr()), _TOL_MO, 1e-12)
    Mh = th.hardness_needed(N=N)
    assert close(N * math.exp(-2 * Mh), _TOL_MO, 1e-9)
    assert close(float(th.hardness_needed_expr().subs(th.N, N)), Mh, 1e-12)
