"""Closed forms for Song, Ahn & Yun, *Does SGD really happen in tiny subspaces?* (arXiv:2405.16002,
ICLR 2025).

The paper's definitions (its Section 2): for the top-k eigenvectors u_1..u_k of the training-loss
Hessian, the dominant projector ``P_k = sum_{i<=k} u_i u_i^T``, the bulk projector ``P_k^perp = I - P_k``
and the alignment ``chi_k(v) = ||P_k v|| / ||v||``. Everything below is derived here with sympy; nothing
is the paper's own theorem (its Section 5 toy analysis is not reproduced; the toy valley is ours):

* :func:`projector_identities`    P^2 = P, P^T = P, P + P^perp = I, P P^perp = 0, <P g, P^perp g> = 0 and
                                  chi_k^2 + chi_perp^2 = 1 (so chi_k in [0, 1]), as sympy expressions that
                                  simplify to 0 for a generic full-rank basis.
* :func:`random_chi_sq_mean_expr` E chi_k(u)^2 = k/p for u uniform on the sphere (E u u^T = I/p, tr P = k);
  :func:`random_baseline`         the random-direction baseline sqrt(k/p);
  :func:`random_chi_mean`         the exact E chi_k(u) (chi_k^2 ~ Beta(k/2, (p-k)/2)).
* :func:`toy_dom_gd_solution`     the deterministic valley L(a, b) = (lam_s/2) a^2 + (lam_b/2) b^2
                                  (lam_b > lam_s) under Dom-GD with k = 1, solved with ``sympy.rsolve``
                                  from the update: a_t = a_0, b_t = (1 - eta lam_b)^t b_0, and its loss,
                                  which stalls at (lam_s/2) a_0^2; :func:`toy_gd_solution` for plain GD.
* :func:`toy_noise_mean_expr`     the per-sample loss l_xi = L + c xi a b averages (xi = +-1) to L.
* :func:`toy_dom_update_a_expr`   the a-component of the Dom-(S)GD update on any per-sample loss: 0.
"""
from __future__ import annotations

import functools
import math

import sympy as sp

__all__ = ["projector_identities", "random_chi_sq_mean_expr", "random_baseline", "random_chi_mean",
           "toy_hessian_top_eigvec", "toy_dom_gd_solution", "toy_gd_solution", "toy_dom_gd",
           "toy_noise_mean_expr", "toy_dom_update_a_expr", "toy_dom_gd_limit"]

a, b, a0, b0 = sp.symbols("a b a_0 b_0", real=True)
eta, lam_b, lam_s, c = sp.symbols("eta lambda_b lambda_s c", positive=True)
t = sp.symbols("t", integer=True, nonnegative=True)
xi = sp.symbols("xi", real=True)


def _int(name, v, lo):
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")


@functools.lru_cache(maxsize=4)
def projector_identities(p: int = 3, k: int = 2) -> dict:
    """The projector algebra of the paper's Section 2 for a generic basis V (p x k, symbolic entries,
    full rank): P = V (V^T V)^{-1} V^T (the orthogonal projector onto span V, = V V^T when V is
    orthonormal), Q = I - P. Returns ``{name: expression}``; each expression (a matrix or scalar)
    cancels to 0 identically in the entries of V and of a symbolic vector g:
    ``idempotent`` P^2 - P, ``symmetric`` P^T - P, ``complement`` P + Q - I, ``orthogonal`` P Q,
    ``cross_term`` <P g, Q g>, ``pythagoras`` ||P g||^2 + ||Q g||^2 - ||g||^2, ``trace`` tr P - k."""
    _int("k", k, 1)
    _int("p", p, k + 1)
    V = sp.Matrix(p, k, lambda i, j: sp.Symbol(f"v_{i}{j}", real=True))
    g = sp.Matrix(p, 1, lambda i, j: sp.Symbol(f"g_{i}", real=True))
    G = V.T * V
    # P = N / d with the polynomial numerator N = V adj(G) V^T and d = det G; Q = (d I - N) / d. Each
    # identity is (polynomial numerator) / d^m: expanding the numerator decides it exactly (a polynomial
    # is identically zero iff its expansion is 0), much faster than sympy.cancel on the rational entries.
    N, d = V * G.adjugate() * V.T, G.det()
    I = sp.eye(p)
    M = d * I - N                                 # numerator of Q
    ex = lambda A: A.applyfunc(sp.expand) if isinstance(A, sp.MatrixBase) else sp.expand(A)
    return {
        "idempotent": ex(N * N - d * N) / d**2,
        "symmetric": ex(N.T - N) / d,
        "complement": ex(N + M - d * I) / d,
        "orthogonal": ex(N * M) / d**2,
        "cross_term": ex(((N * g).T * (M * g))[0, 0]) / d**2,
        "pythagoras": ex(((N * g).T * (N * g))[0, 0] + ((M * g).T * (M * g))[0, 0]
                         - d**2 * (g.T * g)[0, 0]) / d**2,
        "trace": ex(N.trace() - k * d) / d,
    }


def random_chi_sq_mean_expr():
    """E chi_k(u)^2 for u uniform on the unit sphere of R^p, derived: E u u^T = I/p (isotropy and
    ||u|| = 1), so E ||P u||^2 = tr(P E u u^T) = tr(P)/p = k/p (tr P = rank P = k). Returns the sympy
    expression in the symbols (k, p)."""
    k_, p_ = sp.symbols("k p", positive=True, integer=True)
    E_uuT_scale = 1 / p_                          # E u u^T = (1/p) I
    trP = k_                                      # tr P = k for a rank-k orthogonal projector
    return sp.simplify(trP * E_uuT_scale)


def random_baseline(k: int, p: int) -> float:
    """The random-direction baseline of the alignment: sqrt(E chi_k^2) = sqrt(k/p) (k <= p)."""
    _int("k", k, 1)
    _int("p", p, k)
    kk, pp = sp.symbols("k p", positive=True, integer=True)
    return float(sp.sqrt(random_chi_sq_mean_expr().subs({kk: k, pp: p})))


def random_chi_mean(k: int, p: int) -> float:
    """Exact E chi_k(u) for u uniform on the sphere of R^p: chi_k^2 ~ Beta(k/2, (p-k)/2), so
    E chi_k = B((k+1)/2, (p-k)/2) / B(k/2, (p-k)/2) (<= sqrt(k/p) by Jensen)."""
    _int("k", k, 1)
    _int("p", p, k + 1)
    lg = math.lgamma
    return math.exp(lg((k + 1) / 2) + lg(p / 2) - lg(k / 2) - lg((p + 1) / 2))


def _toy_L():
    return lam_s * a**2 / 2 + lam_b * b**2 / 2


def toy_hessian_top_eigvec():
    """Top eigenpair of the deterministic valley's Hessian diag(lam_s, lam_b) under lam_b > lam_s,
    from sympy's ``eigenvects``: (lam_b, e_b)."""
    H = sp.hessian(_toy_L(), (a, b))
    pairs = H.eigenvects()
    top = [(val, vecs[0]) for val, _m, vecs in pairs if val == lam_b]
    val, vec = top[0]
    return val, vec / vec.norm()


def _solve_linear(coef, x0):
    """x_{t+1} = coef x_t, x_0 given, by sympy.rsolve."""
    x = sp.Function("x")
    sol = sp.rsolve(x(t + 1) - coef * x(t), x(t), {x(0): x0})
    return sp.simplify(sol)


@functools.lru_cache(maxsize=2)
def toy_dom_gd_solution():
    """Dom-GD (k = 1) on L(a, b) = (lam_s/2) a^2 + (lam_b/2) b^2, derived from the update
    theta_{t+1} = theta_t - eta u u^T grad L(theta_t), u = e_b (:func:`toy_hessian_top_eigvec`):
    returns sympy expressions ``(a_t, b_t, L_t)`` in t (rsolve of the componentwise recurrences)."""
    _, u = toy_hessian_top_eigvec()
    th = sp.Matrix([a, b])
    grad = sp.Matrix([sp.diff(_toy_L(), v) for v in (a, b)])
    new = th - eta * u * (u.T * grad)
    # each component is linear in its own coordinate: read off the multipliers
    ca = sp.simplify(sp.diff(new[0], a)), sp.simplify(new[0].subs(a, 0))
    cb = sp.simplify(sp.diff(new[1], b)), sp.simplify(new[1].subs(b, 0))
    assert ca[1] == 0 and cb[1] == 0 and sp.diff(new[0], b) == 0 and sp.diff(new[1], a) == 0
    at = _solve_linear(ca[0], a0)
    bt = _solve_linear(cb[0], b0)
    Lt = sp.simplify(_toy_L().subs({a: at, b: bt}))
    return at, bt, Lt


@functools.lru_cache(maxsize=2)
def toy_gd_solution():
    """Plain GD on the same valley: ``(a_t, b_t, L_t)`` with a_t = (1 - eta lam_s)^t a_0."""
    th = sp.Matrix([a, b])
    grad = sp.Matrix([sp.diff(_toy_L(), v) for v in (a, b)])
    new = th - eta * grad
    at = _solve_linear(sp.simplify(sp.diff(new[0], a)), a0)
    bt = _solve_linear(sp.simplify(sp.diff(new[1], b)), b0)
    return at, bt, sp.simplify(_toy_L().subs({a: at, b: bt}))


def toy_dom_gd_limit():
    """lim_{t -> oo} L_t of Dom-GD for 0 < eta lam_b < 2, i.e. |1 - eta lam_b| < 1: every power
    (1 - eta lam_b)^(m t) tends to 0, leaving (lam_s/2) a_0^2, the valley's height over a_0: the loss
    stalls."""
    _, _, Lt = toy_dom_gd_solution()
    return sp.simplify(Lt.replace(lambda e: e.is_Pow and e.exp.has(t), lambda e: sp.Integer(0)))


def toy_dom_gd(a_0: float, b_0: float, eta_: float, lam_big: float, lam_small: float, steps: int):
    """Float evaluation of :func:`toy_dom_gd_solution` for t = 0..steps: returns (a_t, b_t, L_t) lists.
    Raises ValueError unless lam_big > lam_small > 0, 0 < eta lam_big < 2 and steps >= 0."""
    for name, v in (("a_0", a_0), ("b_0", b_0), ("eta", eta_), ("lam_big", lam_big),
                    ("lam_small", lam_small)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite real number, got {v!r}")
    if not lam_big > lam_small > 0:
        raise ValueError(f"need lam_big > lam_small > 0, got {lam_big}, {lam_small}")
    if not 0 < eta_ * lam_big < 2:
        raise ValueError(f"eta must satisfy 0 < eta lam_big < 2 (stable across the valley), got {eta_}")
    _int("steps", steps, 0)
    at, bt, Lt = toy_dom_gd_solution()
    subs = {a0: a_0, b0: b_0, eta: eta_, lam_b: lam_big, lam_s: lam_small}
    fa, fb, fL = (sp.lambdify(t, e.subs(subs), "math") for e in (at, bt, Lt))
    ts = range(steps + 1)
    return [float(fa(i)) for i in ts], [float(fb(i)) for i in ts], [float(fL(i)) for i in ts]


def toy_noise_mean_expr():
    """E_xi l_xi - L for the noisy per-sample valley l_xi = L + c xi a b, xi = +-1 with probability 1/2
    each: 0 (the noise enters only through the xy-coupling term)."""
    l_xi = _toy_L() + c * xi * a * b
    return sp.simplify((l_xi.subs(xi, 1) + l_xi.subs(xi, -1)) / 2 - _toy_L())


def toy_dom_update_a_expr():
    """The a-component of the Dom-SGD step -eta u u^T grad l_xi on the noisy valley (u = e_b, the top
    eigenvector of the full-loss Hessian): 0 for every xi, so Dom-SGD never moves along the valley."""
    _, u = toy_hessian_top_eigvec()
    l_xi = _toy_L() + c * xi * a * b
    grad = sp.Matrix([sp.diff(l_xi, v) for v in (a, b)])
    return sp.simplify((-eta * u * (u.T * grad))[0])
