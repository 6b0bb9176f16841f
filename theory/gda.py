"""Closed forms for Lee, Cho & Yun, "Fundamental Benefit of Alternating Updates in Minimax
Optimization" (arXiv:2402.10475, ICML 2024): Sim-GDA, Alt-GDA and Alex-GDA.

Notation (the paper's): ``f(x, y)`` is mu_x-strongly convex in x, mu_y-strongly concave in y, with
gradient-Lipschitz constants L_x, L_y, L_xy; kappa_x = L_x/mu_x, kappa_y = L_y/mu_y,
kappa_xy = L_xy/sqrt(mu_x mu_y). Alex-GDA (Algorithm 2) has step sizes alpha, beta and
extrapolation parameters gamma, delta; Sim-GDA = (gamma, delta) = (0, 1), Alt-GDA = (1, 1).

What is the paper's and what is ours (docs/papers/gda.md):

* the complexity table (:data:`COMPLEXITY`), orders only, confirmed from the authors' ICML 2024 poster;
* the AM-GM comparison of Alt and Sim (:func:`am_gm_certificate`) is derived here;
* iteration matrices, the bilinear characteristic polynomial, its small-p expansion, the delta = 1
  stability interval and the Alt-GDA invariant are *derived with sympy from the update equations*
  (docs/papers/gda.md#bilinear-spectra; the closed forms stated there are the unit tests, not the source);
* the step-size rules (:func:`step_sizes`) are ours (derived and measured here,
  docs/papers/gda.md#step-rules), not the paper's constants.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from ._check import real, reals

__all__ = [
    "kx", "ky", "kxy", "COMPLEXITY", "complexity", "am_gm_certificate", "iteration_matrix",
    "bilinear_charpoly", "sim_charpoly", "alt_charpoly", "small_p_modulus_sq",
    "delta1_stability_interval", "alt_conserved_form", "spectral_radius", "step_sizes",
    "block_iteration_matrix", "METHODS",
]

METHODS = ("sim", "alt", "alex", "eg")

kx, ky, kxy = sp.symbols("kappa_x kappa_y kappa_xy", positive=True)

#: Iteration complexities without the log(1/eps) factor (confirmed from the authors' poster); keys are
#: ``(method, "upper"|"lower")``. Extra-gradient's is the order the poster says Alex matches.
COMPLEXITY: dict[tuple[str, str], sp.Expr] = {
    ("sim", "upper"): kx + ky + kxy**2,                       # Thm 3.1 / Cor 3.2
    ("sim", "lower"): kx + ky + kxy**2,                       # Thm 3.3
    ("alt", "upper"): kx + ky + kxy * (sp.sqrt(kx) + sp.sqrt(ky)),  # Thm 4.1 / Cor 4.2
    ("alex", "upper"): kx + ky + kxy,                         # Thm 5.1 / Cor 5.2
    ("alex", "lower"): kx + ky + kxy,                         # Thm 5.3
    ("eg", "upper"): kx + ky + kxy,                           # Extra-gradient (poster: "identical")
}


def _check_kappas(kappa_x, kappa_y, kappa_xy):
    kappa_x, kappa_y, kappa_xy = (real(n, v) for n, v in (("kappa_x", kappa_x), ("kappa_y", kappa_y),
                                                          ("kappa_xy", kappa_xy)))
    for name, v in (("kappa_x", kappa_x), ("kappa_y", kappa_y)):
        if not v >= 1:
            raise ValueError(f"{name} must be >= 1 (L >= mu), got {v}")
    if not kappa_xy >= 0:
        raise ValueError(f"kappa_xy must be >= 0, got {kappa_xy}")
    return kappa_x, kappa_y, kappa_xy


def complexity(method: str, kappa_x: float, kappa_y: float, kappa_xy: float,
               side: str = "upper") -> float:
    """The poster's complexity term of ``method`` (arXiv:2402.10475, Thms 3.1/3.3/4.1/5.1/5.3) at
    numeric condition numbers, without the log(1/eps) factor and without constants (confirmed from the authors' poster).

    Raises ValueError for kappa_x or kappa_y below 1, negative kappa_xy, or an unknown entry."""
    kappa_x, kappa_y, kappa_xy = _check_kappas(kappa_x, kappa_y, kappa_xy)
    key = (method, side)
    if key not in COMPLEXITY:
        raise ValueError(f"no complexity entry for method={method!r}, side={side!r}; "
                         f"known: {sorted(COMPLEXITY)}")
    return float(COMPLEXITY[key].subs({kx: kappa_x, ky: kappa_y, kxy: kappa_xy}))


def am_gm_certificate() -> dict:
    """Why Alt's bound is below Sim's (arXiv:2402.10475, discussion after Thm 4.1) (derived here).

    Returns the sum-of-squares identity
    ``(kxy^2 + 2(kx + ky))/2 - kxy (sqrt kx + sqrt ky)
       = ((kxy - sqrt kx - sqrt ky)^2 + (sqrt kx - sqrt ky)^2)/2 >= 0``
    checked by ``sympy.simplify``, and the consequence Alt term <= 2 x Sim term."""
    sx, sy = sp.sqrt(kx), sp.sqrt(ky)
    gap = (kxy**2 + 2 * (kx + ky)) / 2 - kxy * (sx + sy)
    sos = ((kxy - sx - sy) ** 2 + (sx - sy) ** 2) / 2
    identity = sp.simplify(sp.expand(gap - sos)) == 0
    ratio_gap = sp.expand(2 * COMPLEXITY[("sim", "upper")] - COMPLEXITY[("alt", "upper")])
    # 2*Sim - Alt = kx + ky + 2 kxy^2 - kxy(sx+sy) = gap + (3/2) kxy^2 >= 0
    second = sp.simplify(ratio_gap - (gap + 3 * kxy**2 / 2)) == 0
    return {"gap": gap, "sos": sos, "identity_holds": bool(identity),
            "alt_le_2sim_identity": bool(second)}


# --------------------------------------------------------------------------- iteration matrices
_x, _y, _yt = sp.symbols("x y ytilde")
alpha, beta, gamma, delta, sigma = sp.symbols("alpha beta gamma delta sigma", positive=True)
a_, b_, c_ = sp.symbols("a b c", real=True)
lam = sp.Symbol("lambda")
p = sp.Symbol("p", positive=True)


def _grads(kind):
    """Gradients of the scalar block: bilinear f = sigma x y, or SCSC f = a x^2/2 + b x y - c y^2/2."""
    if kind == "bilinear":
        f = sigma * _x * _y
    elif kind == "scalar":
        f = a_ * _x**2 / 2 + b_ * _x * _y - c_ * _y**2 / 2
    else:
        raise ValueError(f"kind must be 'bilinear' or 'scalar', got {kind!r}")
    fx, fy = sp.diff(f, _x), sp.diff(f, _y)
    return (lambda X, Y: fx.subs({_x: X, _y: Y}, simultaneous=True),
            lambda X, Y: fy.subs({_x: X, _y: Y}, simultaneous=True))


def _update(method, kind, g=None, d=None):
    """New state written from the update equations (arXiv:2402.10475, Algorithm 1 and 2)."""
    gx, gy = _grads(kind)
    if method == "sim":
        return (_x,_y), (_x - alpha * gx(_x, _y), _y + beta * gy(_x, _y))
    if method == "alt":
        x1 = _x - alpha * gx(_x, _y)
        return (_x, _y), (x1, _y + beta * gy(x1, _y))
    if method == "eg":
        xh, yh = _x - alpha * gx(_x, _y), _y + beta * gy(_x, _y)
        return (_x, _y), (_x - alpha * gx(xh, yh), _y + beta * gy(xh, yh))
    if method == "alex":
        g = gamma if g is None else g
        d = delta if d is None else d
        x1 = _x - alpha * gx(_x, _yt)
        xt1 = _x - g * alpha * gx(_x, _yt)
        y1 = _y + beta * gy(xt1, _y)
        yt1 = _y + d * beta * gy(xt1, _y)
        return (_x, _y, _yt), (x1, y1, yt1)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def iteration_matrix(method: str, kind: str = "bilinear", gamma=None, delta=None) -> sp.Matrix:
    """The linear iteration matrix z_{k+1} = M z_k of ``method`` on one scalar block, as a sympy
    Matrix derived as the Jacobian of the update equations (arXiv:2402.10475, Alg. 1-2) (derived here).

    kind ``"bilinear"``: f = sigma x y (one singular value of B; symbols alpha, beta, sigma).
    kind ``"scalar"``: f = a x^2/2 + b x y - c y^2/2 (one SCSC block; symbols a, b, c).
    State (x, y) for sim/alt/eg, (x, y, y~) for alex with parameters ``gamma``, ``delta``
    (symbols gamma, delta when omitted)."""
    state, new = _update(method, kind, gamma, delta)
    return sp.Matrix(new).jacobian(sp.Matrix(state)).applyfunc(sp.expand)


def bilinear_charpoly(gamma=None, delta=None, p=None) -> sp.Poly:
    """Characteristic polynomial in lambda of Alex-GDA on a bilinear block, in p = alpha beta sigma^2
    (arXiv:2402.10475, Sec. 6 / Thm 6.1) (derived here).

    Derived from :func:`iteration_matrix` ("alex", "bilinear"): det(lambda I - M), then
    alpha beta sigma^2 -> p. Arguments may be numbers or sympy symbols (defaults: gamma, delta, p).
    Returns a ``sympy.Poly`` in ``lambda``."""
    for name, v in (("gamma", gamma), ("delta", delta), ("p", p)):
        if v is None or (isinstance(v, sp.Basic) and not v.is_number):
            continue                                   # a symbol: kept symbolic
        real(name, v, nonneg=True)
    return _bilinear_charpoly_cached(*(sp.sympify(v) if v is not None else None
                                       for v in (gamma, delta, p)))


@functools.lru_cache(maxsize=None)
def _bilinear_charpoly_symbolic():
    """det(lambda I - M) of Alex-GDA's bilinear iteration matrix with gamma, delta symbolic, in
    p = alpha beta sigma^2 (derived once; numbers are substituted into it)."""
    M = iteration_matrix("alex", "bilinear")
    cp = (lam * sp.eye(3) - M).det()
    cp = sp.expand(cp).subs(beta, p / (alpha * sigma**2))
    return sp.expand(sp.simplify(cp))


@functools.lru_cache(maxsize=256)
def _bilinear_charpoly_cached(g, d, pp):
    subs = {s_: v for s_, v in ((gamma, g), (delta, d), (p, pp)) if v is not None}
    return sp.Poly(sp.expand(_bilinear_charpoly_symbolic().subs(subs, simultaneous=True)), lam)


def sim_charpoly() -> sp.Poly:
    """Alex charpoly specialised to Sim-GDA, (gamma, delta) = (0, 1) (derived here)."""
    return bilinear_charpoly(0, 1)


def alt_charpoly() -> sp.Poly:
    """Alex charpoly specialised to Alt-GDA, (gamma, delta) = (1, 1) (derived here)."""
    return bilinear_charpoly(1, 1)


def small_p_modulus_sq(order: int = 1) -> sp.Expr:
    """|lambda|^2 of the oscillating Alex-GDA bilinear eigenvalue to O(p^(order+1)), derived by a
    series ansatz lambda = 1 + i s + sum_k c_k s^k with s = sqrt(p) solved order by order from
    :func:`bilinear_charpoly` (arXiv:2402.10475, Thm 6.1) (derived here). For order 1 this is
    1 - (gamma + delta - 2) p."""
    s = sp.Symbol("s", positive=True)
    n = 2 * order + 1
    cs = sp.symbols(f"c2:{n + 1}")
    lam_s = 1 + sp.I * s + sum(c * s**k for k, c in zip(range(2, n + 1), cs))
    poly = bilinear_charpoly().as_expr().subs(p, s**2)
    ser = sp.expand(poly.subs(lam, lam_s))
    sol = {}
    for k in range(3, n + 2):
        coef = sp.expand(ser.coeff(s, k).subs(sol))
        free = [c for c in cs if c not in sol and coef.has(c)]
        if not free:
            continue
        sol[free[0]] = sp.solve(coef, free[0])[0]
    lam_sol = sp.expand(lam_s.subs(sol))
    mod2 = sp.expand(lam_sol * lam_sol.subs(sp.I, -sp.I).subs(
        {c: sp.conjugate(c) for c in cs}))
    mod2 = sp.expand(sp.simplify(mod2))
    trunc = sum(mod2.coeff(s, 2 * k) * s**(2 * k) for k in range(0, order + 1))
    return sp.expand(sp.simplify(trunc.subs(s, sp.sqrt(p))))


def delta1_stability_interval():
    """For delta = 1 the Alex charpoly is lambda (lambda^2 + a1 lambda + a0); the Jury conditions
    on the quadratic (|a0| < 1, 1 + a1 + a0 > 0, 1 - a1 + a0 > 0) give stability iff gamma > 1 and
    0 < p < 4/(2 gamma - 1) (arXiv:2402.10475, Thm 6.1 with delta = 1) (derived here).

    Returns ``(upper, conditions)``: the binding upper end of p, derived as the smallest positive
    root among the Jury boundaries for gamma > 1, and the Jury expressions."""
    cp = bilinear_charpoly(gamma, 1)
    quad = sp.Poly(sp.cancel(cp.as_expr() / lam), lam)
    if sp.simplify(quad.as_expr() * lam - cp.as_expr()) != 0:
        raise RuntimeError("charpoly at delta=1 does not factor as lambda * quadratic")
    _, a1, a0 = quad.all_coeffs()
    conds = {"1+a1+a0": sp.expand(1 + a1 + a0), "1-a1+a0": sp.expand(1 - a1 + a0),
             "1-a0": sp.expand(1 - a0), "1+a0": sp.expand(1 + a0)}
    g = sp.Symbol("g", positive=True)  # g = gamma - 1 > 0
    roots = []
    for e in conds.values():
        r = sp.solve(e, p)
        for rr in r:
            rr = sp.simplify(rr)
            if sp.simplify(rr.subs(gamma, g + 1)).is_positive:
                roots.append(sp.simplify(rr))
    upper = roots[0]
    for r in roots[1:]:
        if sp.simplify((r - upper).subs(gamma, g + 1)).is_negative:
            upper = r
    return sp.simplify(upper), conds


def alt_conserved_form() -> sp.Matrix:
    """The symmetric Q with M^T Q M = Q for Alt-GDA on a bilinear block, solved from the linear
    equations (arXiv:2402.10475, Sec. 6: Alt-GDA cycles) (derived here). Normalised so that
    V = z^T Q z = x^2/alpha - sigma x y + y^2/beta, i.e. V = ||x||^2/alpha + ||y||^2/beta - <x, B y>."""
    M = iteration_matrix("alt", "bilinear")
    q11, q12, q22 = sp.symbols("q11 q12 q22")
    Q = sp.Matrix([[q11, q12], [q12, q22]])
    eqs = sp.expand(M.T * Q * M - Q)
    sol = sp.solve([e for e in eqs if e != 0], [q11, q12], dict=True)[0]
    Qs = Q.subs(sol)
    return sp.simplify(Qs.subs(q22, 1 / beta))


# --------------------------------------------------------------------------- floats
def _check_steps(alpha, beta, gamma, delta):
    """The step sizes and Alex-GDA's (gamma, delta) as floats; ValueError unless each is a finite
    number >= 0."""
    return tuple(real(name, v, nonneg=True) for name, v in
                 (("alpha", alpha), ("beta", beta), ("gamma", gamma), ("delta", delta)))


@functools.lru_cache(maxsize=None)
def _lambdified(method, kind):
    M = iteration_matrix(method, kind)
    args = [alpha, beta, gamma, delta, sigma, a_, b_, c_]
    return sp.lambdify(args, M, "numpy")


def block_iteration_matrix(method, alpha, beta, A, B, C, gamma=2.0, delta=1.0) -> np.ndarray:
    """Dense iteration matrix of ``method`` on the quadratic f = x^T A x/2 + x^T B y - y^T C y/2
    (arXiv:2402.10475, Algorithms 1-2 for general matrices), state (x, y) or (x, y, y~) for alex."""
    alpha, beta, gamma, delta = _check_steps(alpha, beta, gamma, delta)
    A, B, C = (np.atleast_2d(reals(n, m)) for n, m in (("A", A), ("B", B), ("C", C)))
    dx, dy = B.shape
    Ix, Iy = np.eye(dx), np.eye(dy)
    if method == "sim":
        return np.block([[Ix - alpha * A, -alpha * B], [beta * B.T, Iy - beta * C]])
    if method == "alt":
        X = np.hstack([Ix - alpha * A, -alpha * B])
        return np.vstack([X, beta * B.T @ X + np.hstack([np.zeros((dy, dx)), Iy - beta * C])])
    if method == "eg":
        G = np.block([[A, B], [-B.T, C]])
        S = np.diag(np.r_[np.full(dx, alpha), np.full(dy, beta)])
        I = np.eye(dx + dy)
        return I - S @ G @ (I - S @ G)
    if method == "alex":
        Zxy = np.zeros((dx, dy))
        X1 = np.hstack([Ix - alpha * A, Zxy, -alpha * B])
        Xt = np.hstack([Ix - gamma * alpha * A, Zxy, -gamma * alpha * B])
        ey = np.hstack([np.zeros((dy, dx)), Iy, np.zeros((dy, dy))])
        gy = B.T @ Xt - C @ ey
        return np.vstack([X1, ey + beta * gy, ey + delta * beta * gy])
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def spectral_radius(method: str, alpha: float, beta: float, gamma: float = 2.0,
                    delta: float = 1.0, *, sigma: float | None = None, a: float | None = None,
                    b: float | None = None, c: float | None = None, A=None, B=None,
                    C=None) -> float:
    """Spectral radius of the iteration matrix of ``method`` (``sim``, ``alt``, ``alex``, ``eg``)
    with step sizes ``alpha``, ``beta`` (and ``gamma``, ``delta`` for Alex-GDA, arXiv:2402.10475
    Algorithm 2), on one of:

    * a bilinear block f = sigma x y (pass ``sigma``; the value depends only on p = alpha beta sigma^2);
    * a scalar SCSC block f = a x^2/2 + b x y - c y^2/2 (pass ``a``, ``b``, ``c``);
    * a quadratic game with matrices ``A``, ``B``, ``C``.

    Returns a float. ValueError for negative step sizes or parameters, or no problem given."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    alpha, beta, gamma, delta = _check_steps(alpha, beta, gamma, delta)
    sigma, a, b, c = (None if v is None else real(n, v)
                      for n, v in (("sigma", sigma), ("a", a), ("b", b), ("c", c)))
    if A is not None or B is not None or C is not None:
        if A is None or B is None or C is None:
            raise ValueError("pass all of A, B, C for a quadratic game")
        M = block_iteration_matrix(method, alpha, beta, A, B, C, gamma, delta)
    elif sigma is not None:
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0 (a singular value), got {sigma}")
        M = np.asarray(_lambdified(method, "bilinear")(alpha, beta, gamma, delta, sigma, 0, 0, 0),
                       float)
    elif None not in (a, b, c):
        if a < 0 or c < 0:
            raise ValueError(f"a and c must be >= 0 (convex-concave block), got a={a}, c={c}")
        M = np.asarray(_lambdified(method, "scalar")(alpha, beta, gamma, delta, 0, a, b, c), float)
    else:
        raise ValueError("pass sigma (bilinear), a, b, c (scalar block) or A, B, C (matrices)")
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def step_sizes(method: str, mu_x, mu_y, L_x, L_y, L_xy) -> tuple[float, float]:
    """Step sizes (alpha, beta) that reproduce each upper bound's order (ours, derived and measured here: docs/papers/gda.md#step-rules; the
    paper's constants were not available):

    * sim:  0.5 min{1/L_x, mu_y/L_xy^2},   0.5 min{1/L_y, mu_x/L_xy^2}
    * alt:  1/(L_x + L_xy sqrt(mu_x/mu_y) (sqrt kx + sqrt ky)), symmetric for beta
    * alex (gamma, delta) = (2, 1):  0.5/(L_x + L_xy sqrt(mu_x/mu_y)), symmetric for beta
    * eg:   0.5/(L_x + L_xy sqrt(mu_x/mu_y)), symmetric (ours, same scale as Alex)

    ValueError for non-positive constants or mu > L."""
    mu_x, mu_y, L_x, L_y = (real(n, v, positive=True) for n, v in
                            (("mu_x", mu_x), ("mu_y", mu_y), ("L_x", L_x), ("L_y", L_y)))
    L_xy = real("L_xy", L_xy)
    if not L_xy >= 0:
        raise ValueError(f"L_xy must be >= 0, got {L_xy}")
    _check_kappas(L_x / mu_x, L_y / mu_y, L_xy / math.sqrt(mu_x * mu_y))
    if method == "sim":
        inv = (1.0 / L_xy**2) if L_xy**2 > 0 else math.inf   # L_xy**2 underflows for tiny L_xy
        return 0.5 * min(1 / L_x, mu_y * inv), 0.5 * min(1 / L_y, mu_x * inv)
    r = math.sqrt(mu_x / mu_y)
    if method == "alt":
        s = math.sqrt(L_x / mu_x) + math.sqrt(L_y / mu_y)
        return 1 / (L_x + L_xy * r * s), 1 / (L_y + L_xy * s / r)
    if method in ("alex", "eg"):
        return 0.5 / (L_x + L_xy * r), 0.5 / (L_y + L_xy / r)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")
