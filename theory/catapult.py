"""Closed forms for *Large Catapults in Momentum Gradient Descent with Warmup: An Empirical Study*
(Phunyaphibarn, Lee, Wang, Zhang, Yun; arXiv:2311.15051 v1/v2; v3 has a new title and drops warm-up).

Every formula here is *derived* with sympy from an update equation, never typed in as a final answer; the
closed forms stated in ``docs/papers/catapult.md`` are what the tests compare against.

What is the paper's and what is ours:

* confirmed from the paper's abstract and its eq. (1): the optimiser, Polyak heavy ball (PHB)
  ``w_{t+1} = w_t - eta_t grad L(w_t) + beta (w_t - w_{t-1})``, and the claim that PHB with a large
  learning rate (and warm-up) makes large catapults and ends at flatter minima than GD, by amplifying
  (v1) / prolonging (v3) self-stabilisation. Where eta_t sits under warm-up is recalled, not confirmed.
* derived in this toolkit: the Jury-condition thresholds (docs/papers/catapult.md#jury-thresholds), the
  EMA/PHB conversion, and the momentum variant of the stage model of Damian, Nichani & Lee (ICLR 2023,
  arXiv:2209.15594; their equations recalled, not confirmed), docs/papers/catapult.md#stage-model. The
  stage model is our extension of Damian et al., not the paper's theory.

Symbols: ``eta`` learning rate, ``beta`` momentum (0 <= beta < 1), ``lam`` a Hessian eigenvalue (curvature of
the quadratic ``L = lam w^2 / 2``), ``h = eta * lam``.

Public API (floats unless stated):

* :func:`stability_threshold` (method, eta, beta) -> the largest stable sharpness ``lam*`` (float).
* :func:`critical_h` (method) -> sympy expression of ``h* = eta lam*`` in ``beta``, derived by Jury.
* :func:`characteristic_polynomial` (method) -> sympy polynomial in ``z`` from the update equations.
* :func:`jury_conditions` (method) -> the Jury inequalities (sympy expressions that must be > 0).
* :func:`ema_to_heavy_ball`, :func:`heavy_ball_to_ema` -> learning-rate conversion between conventions.
* :func:`stage_model_map` (beta) -> the (x, y) stage map of self-stabilisation, derived from a cubic local model.
"""
from __future__ import annotations

import functools

import sympy as sp

from ._check import real

__all__ = [
    "METHODS", "characteristic_polynomial", "jury_conditions", "critical_h", "stability_threshold",
    "spectral_radius", "ema_to_heavy_ball", "heavy_ball_to_ema", "ema_heavy_ball_equivalence",
    "stage_model_map", "stage_model_step",
]

#: optimisers with a stability threshold; ``heavy_ball_ema`` is heavy ball in the EMA convention
#: ``m <- beta m + (1 - beta) g, w <- w - eta m``.
METHODS = ("gd", "heavy_ball", "nesterov", "heavy_ball_ema")

z, h = sp.symbols("z h")                       # characteristic variable, h = eta * lam
_H = h                                         # for spectral_radius, whose parameter is named h
eta_s, lam_s = sp.symbols("eta lambda", positive=True)
beta_s = sp.symbols("beta", nonnegative=True)


# ---------------------------------------------------------------------------------- validation
def _check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    return method


def _check_beta(beta) -> float:
    b = real("beta", beta)
    if not (0.0 <= b < 1.0):
        raise ValueError(f"beta (momentum) must satisfy 0 <= beta < 1; got {beta!r}")
    return b


def _check_eta(eta) -> float:
    e = real("eta", eta)
    if not e > 0.0:
        raise ValueError(f"eta (learning rate) must satisfy eta > 0 (finite); got {eta!r}")
    return e


# ---------------------------------------------------------------- update equations on a quadratic
def _update_matrix(method: str):
    """The one-step linear map on the state (w_t, w_{t-1}) for L = lam w^2/2 (grad L = lam w), written from
    the optimiser's update equation with h = eta lam.

    gd:             w_{t+1} = w_t - h w_t
    heavy_ball:     w_{t+1} = w_t - h w_t + beta (w_t - w_{t-1})                         (paper eq. (1))
    nesterov:       y_t = w_t + beta (w_t - w_{t-1});  w_{t+1} = y_t - h y_t              (docs/papers/catapult.md#jury-thresholds)
    heavy_ball_ema: m_t = beta m_{t-1} + (1 - beta) lam w_t;  w_{t+1} = w_t - eta m_t; eliminating m
                    (eta m_{t-1} = w_{t-1} - w_t) gives w_{t+1} = w_t - (1-beta) h w_t + beta (w_t - w_{t-1}).
    """
    w, wm, m = sp.symbols("w_t w_tm1 m_tm1")
    b = beta_s
    if method == "gd":
        new = w - h * w
        return sp.Matrix([[sp.diff(new, w)]])
    if method == "heavy_ball":
        new = w - h * w + b * (w - wm)
    elif method == "nesterov":
        y = w + b * (w - wm)
        new = y - h * y
    else:  # heavy_ball_ema: derive the elimination of m symbolically
        m_t = b * m + (1 - b) * (h / eta_s) * w          # lam = h / eta
        new = (w - eta_s * m_t).subs(m, (wm - w) / eta_s)  # eta m_{t-1} = w_{t-1} - w_t
        new = sp.expand(new)
    return sp.Matrix([[sp.diff(new, w), sp.diff(new, wm)], [1, 0]])


@functools.lru_cache(maxsize=None)
def characteristic_polynomial(method: str) -> sp.Poly:
    """Characteristic polynomial ``det(z I - M)`` of the optimiser's one-step map on ``L = lam w^2/2``
    (docs/papers/catapult.md#jury-thresholds; our reconstruction), as a monic sympy ``Poly`` in ``z`` with coefficients in ``h = eta lam`` and ``beta``.

    Expected (docs/papers/catapult.md#jury-thresholds): GD ``z - (1 - h)``; heavy ball ``z^2 - (1 + beta - h) z + beta``; Nesterov
    ``z^2 - (1 + beta)(1 - h) z + beta (1 - h)``.
    """
    _check_method(method)
    M = _update_matrix(method)
    return sp.Poly(sp.expand((z * sp.eye(M.shape[0]) - M).det()), z)


@functools.lru_cache(maxsize=None)
def jury_conditions(method: str) -> tuple:
    """The Jury (Schur-Cohn) stability conditions of :func:`characteristic_polynomial`, as sympy
    expressions that must all be strictly positive for every root to lie in the open unit disc.

    Degree 1, ``z + a0``: ``1 - a0 > 0`` and ``1 + a0 > 0``. Degree 2, ``z^2 + a1 z + a0``:
    ``p(1) > 0``, ``p(-1) > 0`` (degree even), ``1 - a0 > 0`` and ``1 + a0 > 0`` (i.e. ``|a0| < 1``).
    """
    p = characteristic_polynomial(method)
    coeffs = p.all_coeffs()                     # monic
    if p.degree() == 1:
        a0 = coeffs[1]
        return (sp.expand(1 - a0), sp.expand(1 + a0))
    a0 = coeffs[2]
    return (sp.expand(p.eval(1)), sp.expand(p.eval(-1)), sp.expand(1 - a0), sp.expand(1 + a0))


@functools.lru_cache(maxsize=None)
def critical_h(method: str) -> sp.Expr:
    """The stability threshold ``h* = eta lam*`` as a sympy expression in ``beta``, derived from the Jury
    conditions (docs/papers/catapult.md#jury-thresholds; our reconstruction): the stable set in ``h > 0`` is ``(0, h*)``.

    Derivation: every Jury expression is affine in ``h``. Each one that decreases in ``h`` gives an upper
    boundary ``h_i(beta)`` (its root); ones that increase give lower boundaries, which must be ``<= 0``
    for ``beta`` in [0, 1). ``h*`` is the smallest upper boundary; that it is the smallest is checked
    symbolically (the differences to the others are sign-definite for 0 < beta < 1).
    Expected: GD 2, heavy ball 2(1 + beta), Nesterov 2(1 + beta)/(1 + 2 beta), EMA heavy ball
    2(1 + beta)/(1 - beta).
    """
    conds = jury_conditions(method)
    b = sp.symbols("b", positive=True)          # beta in (0, 1): b = beta
    uppers, lowers = [], []
    for c in conds:
        if not c.has(h):
            # a condition free of h must hold for every 0 <= beta < 1 (e.g. 1 - beta > 0)
            if not all(bool(c.subs(beta_s, v) > 0) for v in (0, sp.Rational(1, 2), sp.Rational(99, 100))):
                raise AssertionError(f"Jury condition {c} fails for some beta in [0,1)")
            continue
        slope = sp.diff(c, h)
        if sp.diff(c, h, 2) != 0:
            raise AssertionError(f"Jury condition {c} not affine in h")
        root = sp.simplify(sp.solve(sp.Eq(c, 0), h)[0])
        (uppers if slope.subs(beta_s, b).is_negative or _neg_on_grid(slope) else lowers).append(root)
    for lo in lowers:                            # every lower boundary must be <= 0 on [0, 1)
        if not all(float(lo.subs(beta_s, v)) <= 0 for v in (0.0, 0.25, 0.5, 0.9, 0.999)
                   if lo.subs(beta_s, v).is_finite):
            raise AssertionError(f"lower boundary {lo} positive for some beta")
    best = uppers[0]
    for u in uppers[1:]:
        d = sp.simplify(sp.together((u - best).subs(beta_s, b)))
        if _sign_definite_positive(d, b):
            continue                               # u > best everywhere: best stays
        if _sign_definite_positive(sp.simplify(-d), b):
            best = u
            continue
        raise AssertionError(f"upper boundaries {u} and {best} cross inside 0 < beta < 1")
    return sp.simplify(best)


def _neg_on_grid(expr) -> bool:
    return all(float(expr.subs(beta_s, v)) < 0 for v in (0.0, 0.3, 0.6, 0.95))


def _sign_definite_positive(expr, b) -> bool:
    """True when ``expr(b) > 0`` for all 0 < b < 1 (sympy assumptions, else a solveset check)."""
    if expr.is_positive:
        return True
    if expr.has(sp.zoo, sp.oo):
        return False
    # substitute b = s/(1+s), s > 0, and ask sympy; fall back to the solution set of expr <= 0 on (0,1)
    s = sp.symbols("s", positive=True)
    e2 = sp.simplify(sp.together(expr.subs(b, s / (1 + s))))
    if e2.is_positive:
        return True
    bad = sp.solveset(expr <= 0, b, sp.Interval.open(0, 1))
    return bad == sp.S.EmptySet


def stability_threshold(method: str, eta: float, beta: float = 0.0) -> float:
    """Largest stable sharpness ``lam* = h*(beta)/eta`` of ``method`` on a quadratic (docs/papers/catapult.md#jury-thresholds; our reconstruction, derived
    from the Jury conditions by :func:`critical_h`). Gradient descent on ``L = lam w^2/2`` with these updates
    is linearly stable iff ``0 < lam < lam*``.

    ``method``: ``"gd"`` (2/eta), ``"heavy_ball"`` (PHB, paper eq. (1): 2(1+beta)/eta), ``"nesterov"``
    (2(1+beta)/((1+2beta) eta)), ``"heavy_ball_ema"`` (EMA momentum, 2(1+beta)/((1-beta) eta)).
    Raises ``ValueError`` for an unknown method (listing the valid ones), ``eta <= 0``, or ``beta`` outside
    [0, 1); ``gd`` requires ``beta == 0``.
    """
    _check_method(method)
    e, b = _check_eta(eta), _check_beta(beta)
    if method == "gd" and b != 0.0:
        raise ValueError(f"beta must be 0 for method 'gd' (use 'heavy_ball' for momentum); got {beta!r}")
    return float(_critical_h_float(method)(b)) / e


@functools.lru_cache(maxsize=None)
def _critical_h_float(method):
    return sp.lambdify(beta_s, critical_h(method), "math")


def spectral_radius(method: str, h: float, beta: float = 0.0) -> float:
    """Spectral radius (largest |root|) of :func:`characteristic_polynomial` at ``h = eta lam``
    (docs/papers/catapult.md#jury-thresholds; our reconstruction); the quadratic iteration is stable iff this is < 1. Roots are found by numpy."""
    import numpy as np

    _check_method(method)
    hv, b = real("h", h), _check_beta(beta)
    p = characteristic_polynomial(method)
    coeffs = [float(c.subs({_H: hv, beta_s: b, eta_s: 1.0})) for c in p.all_coeffs()]
    return float(np.max(np.abs(np.roots(coeffs))))


# --------------------------------------------------------------------------- momentum conventions
def ema_heavy_ball_equivalence() -> sp.Expr:
    """The symbolic identity behind the convention trap (docs/papers/catapult.md#jury-thresholds; our reconstruction): with ``m_t = beta m_{t-1} +
    (1 - beta) g_t`` and ``w_{t+1} = w_t - eta m_t``, eliminating ``m`` gives PHB
    ``w_{t+1} = w_t - eta (1 - beta) g_t + beta (w_t - w_{t-1})``. Returns the difference between the
    eliminated EMA update and that PHB update, which simplifies to 0 (checked in the tests)."""
    w, wm, g, m = sp.symbols("w_t w_tm1 g_t m_tm1")
    ema = (w - eta_s * (beta_s * m + (1 - beta_s) * g)).subs(m, (wm - w) / eta_s)
    phb = w - eta_s * (1 - beta_s) * g + beta_s * (w - wm)
    return sp.simplify(ema - phb)


def ema_to_heavy_ball(eta: float, beta: float) -> float:
    """Learning rate of the PHB (paper eq. (1), PyTorch ``SGD(momentum=beta)``) run that equals EMA momentum
    ``m <- beta m + (1 - beta) g, w <- w - eta m`` with the same ``beta``: ``eta_PHB = eta (1 - beta)``
    (docs/papers/catapult.md#jury-thresholds; our reconstruction; identity :func:`ema_heavy_ball_equivalence`)."""
    e, b = _check_eta(eta), _check_beta(beta)
    return e * (1.0 - b)


def heavy_ball_to_ema(eta: float, beta: float) -> float:
    """Inverse of :func:`ema_to_heavy_ball`: the EMA learning rate ``eta / (1 - beta)`` equal to PHB with
    learning rate ``eta`` and momentum ``beta`` (docs/papers/catapult.md#jury-thresholds; our reconstruction)."""
    e, b = _check_eta(eta), _check_beta(beta)
    return e / (1.0 - b)


# ------------------------------------------------------------------------------ stage model
@functools.lru_cache(maxsize=None)
def stage_model_map(momentum: bool = True):
    """The self-stabilisation stage map, *derived* here from a cubic local model (docs/papers/catapult.md#stage-model; our reconstruction).

    Local model around a reference point on the constrained trajectory, in the coordinates
    ``x`` (along the top Hessian eigenvector u) and ``z`` (along grad S / ||grad S||), with ``y = sqrt(b_s) z``:
    ``L(x, z) = L0 - (alpha / sqrt(b_s)) z + (S_ref + sqrt(b_s) z) x^2 / 2``, so that
    ``-grad L . grad S = alpha`` (progressive-sharpening strength), ``||grad S||^2 = b_s`` (Damian et al.'s
    beta, self-stabilisation strength), and the sharpness is ``S_ref + y``.

    One PHB step ``theta' = theta - eta grad L + beta (theta - theta_prev)`` is applied symbolically with
    ``S_ref = 2 (1 + beta) / eta`` (the PHB threshold; ``beta = 0``, ``S_ref = 2/eta`` for GD) and the result
    expressed in (x, y). Returns ``(x_next, y_next, symbols)`` where ``symbols`` is the dict of the sympy
    symbols used: ``x, y, x_prev, y_prev, eta, alpha, b_s, beta``.

    Expected (docs/papers/catapult.md#stage-model): GD (Damian et al.; recalled, not confirmed) ``x' = -(1 + eta y) x``,
    ``y' = y + eta (alpha - b_s x^2 / 2)``; momentum variant (our reconstruction) ``x' = -(1 + beta + eta y) x - beta x_prev``,
    ``y' = y + eta (alpha - b_s x^2/2) + beta (y - y_prev)``. With ``momentum=False`` beta is set to 0.
    """
    x, y, xp, yp = sp.symbols("x y x_prev y_prev", real=True)
    eta, alpha, b_s = sp.symbols("eta alpha b_s", positive=True)
    beta = beta_s if momentum else sp.Integer(0)
    zc, zp = sp.symbols("z z_prev", real=True)
    xx = sp.symbols("xx", real=True)
    S_ref = 2 * (1 + beta) / eta
    L = -(alpha / sp.sqrt(b_s)) * zc + (S_ref + sp.sqrt(b_s) * zc) * xx ** 2 / 2
    gx, gz = sp.diff(L, xx), sp.diff(L, zc)
    x_next = xx - eta * gx + beta * (xx - xp)
    z_next = zc - eta * gz + beta * (zc - zp)
    sub = {xx: x, zc: y / sp.sqrt(b_s), zp: yp / sp.sqrt(b_s)}
    x_next = sp.expand(x_next.subs(sub))
    y_next = sp.expand(sp.sqrt(b_s) * z_next.subs(sub))
    syms = {"x": x, "y": y, "x_prev": xp, "y_prev": yp, "eta": eta, "alpha": alpha, "b_s": b_s,
            "beta": beta_s}
    return x_next, y_next, syms


def stage_model_step(x, y, x_prev, y_prev, *, eta, alpha, b_s, beta=0.0):
    """One step of :func:`stage_model_map` as floats (the lambdified derived map). ``y`` is the sharpness
    minus the optimiser's threshold ``2(1 + beta)/eta``. Raises ``ValueError`` for eta <= 0, beta outside
    [0, 1), alpha < 0 or b_s <= 0."""
    e, b = _check_eta(eta), _check_beta(beta)
    x, y, x_prev, y_prev = (real(n, v) for n, v in (("x", x), ("y", y), ("x_prev", x_prev),
                                                    ("y_prev", y_prev)))
    alpha, b_s = real("alpha", alpha), real("b_s", b_s)
    if alpha < 0:
        raise ValueError(f"alpha (progressive-sharpening strength) must be >= 0; got {alpha!r}")
    if not b_s > 0:
        raise ValueError(f"b_s (self-stabilisation strength ||grad S||^2) must be > 0; got {b_s!r}")
    return _stage_lambdified()(x, y, x_prev, y_prev, e, float(alpha), float(b_s), b)


@functools.lru_cache(maxsize=None)
def _stage_lambdified():
    xn, yn, s = stage_model_map(True)
    args = [s[k] for k in ("x", "y", "x_prev", "y_prev", "eta", "alpha", "b_s", "beta")]
    return sp.lambdify(args, (xn, yn), "math")
