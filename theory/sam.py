"""Closed forms for Si & Yun, "Practical Sharpness-Aware Minimization Cannot Converge All the Way to Optima"
(arXiv:2306.09850, NeurIPS 2023). What is the paper's and what is ours: ``docs/papers/sam.md``.

Symbols (the paper's notation, docs/papers/sam.md#algorithms): ``beta`` smoothness, ``mu`` strong convexity, ``L`` Lipschitz
constant of f, ``Delta = f(x_0) - f*``, ``eta`` step size, ``rho`` SAM radius, ``sigma^2`` gradient-noise
variance, ``T`` number of steps, ``lam`` a Hessian eigenvalue.

Three kinds of statements live here, each tagged:

* ``RATES``: the paper's rate table (docs/papers/sam.md#rate-table). Only the orders of the headline claims are
  confirmed from the paper's abstract; constants and log factors are recalled, not confirmed. Every entry is tagged
  ``paper-order``: use them for shapes, never for constants.
* ``D1``-``D4``: per-step and averaged bounds derived and proved here (docs/papers/sam.md#d1-d4-descent-bounds), tagged
  ``derived``; these are safe to assert.
* Constructions (L1)-(L3), derived here (docs/papers/sam.md#what-we-derived): :func:`limit_cycle_amplitude`, :func:`stuck_point_gradient_sq`,
  :func:`stochastic_floor`, :func:`usam_contraction`. Each is *derived with sympy* from the update map
  (a 2-cycle, a fixed point, a mean-dynamics equilibrium); our closed form is the test.

Every float function returns a plain ``float`` for float inputs and raises ``ValueError`` naming the
violated condition outside its theorem's assumptions; the sympy object is available from the
matching ``*_expr()`` accessor.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import sympy as sp

from ._check import real

__all__ = [
    "eta", "lam", "rho", "beta", "mu", "T", "Delta", "sigma", "p", "L", "x",
    "Rate", "RATES", "rate", "rate_value",
    "Bound", "DERIVED", "derived_bound", "d1_step_constant", "d1_average_bound", "d2_step_constant",
    "d2_convex_average_bound", "d2_strongly_convex_bound", "d3_step_constant", "d3_pl_bound",
    "d3_nonconvex_bound", "d4_step_bound_constants", "proof_step_identities", "strongly_convex_step_size",
    "sam_map_1d", "limit_cycle_amplitude_expr", "limit_cycle_condition_expr", "limit_cycle_amplitude",
    "limit_cycle_value",
    "stuck_point_function_expr", "stuck_point_gradient_sq_expr", "stuck_point_gradient_sq",
    "stochastic_floor_expr", "stochastic_floor", "stochastic_gap_expr", "stochastic_gap",
    "usam_contraction_expr", "usam_contraction", "usam_threshold_expr",
]

eta, lam, rho, beta, mu, sigma, Delta, L = sp.symbols("eta lam rho beta mu sigma Delta L", positive=True)
T = sp.Symbol("T", positive=True)
p = sp.Symbol("p", positive=True)
x = sp.Symbol("x", real=True)
#: the symbols by name, for functions whose float parameters carry the same names
_S = {"eta": eta, "lam": lam, "rho": rho, "beta": beta, "mu": mu, "sigma": sigma, "Delta": Delta, "L": L,
      "T": T, "p": p, "x": x}


def _num(name, v, *, positive=True, allow_zero=False):
    """``v`` as a float (see :func:`theory._check.real`: bools, strings, NaN, inf refused); with
    ``positive``, > 0 (>= 0 with ``allow_zero``). Raises ValueError naming ``name``."""
    return real(name, v, positive=positive and not allow_zero, nonneg=positive and allow_zero)


def _check_eta(eta, beta, factor=1.0, label="1/beta"):
    if eta > factor / beta * (1 + 1e-12):
        raise ValueError(f"eta must satisfy eta <= {label} (got eta={eta}, beta={beta})")


# ------------------------------------------------------------------------------------------ rate table
@dataclass(frozen=True)
class Rate:
    """One row of the paper's rate table (docs/papers/sam.md#rate-table).

    setting      ``strongly_convex``, ``convex``, ``lipschitz_nonconvex`` or ``nonconvex``
    stochastic   deterministic SAM (False) or stochastic SAM (True)
    quantity     what is bounded
    upper        sympy expression of the upper bound, up to constants and log factors (O~)
    floor        the additive rho^2 term (0 where the paper proves convergence)
    lower        sympy expression of the lower bound's order, or None where none is recalled
    source       always ``paper-order``: the order is confirmed from the paper's abstract, the constants are
                 recalled, not confirmed
    tags         what is confirmed and what is recalled, in words
    """
    setting: str
    stochastic: bool
    quantity: str
    upper: sp.Expr
    floor: sp.Expr
    lower: sp.Expr | None
    source: str = "paper-order"
    tags: str = "order confirmed from the paper's abstract; constants recalled, not confirmed"


_avg_g = "(1/T) sum_t ||grad f(x_t)||^2"
RATES: tuple[Rate, ...] = (
    Rate("strongly_convex", False, "f(x_T) - f*",
         sp.exp(-mu * T / (2 * beta)) * Delta + beta ** 3 * rho ** 2 / (mu ** 2 * T ** 2), sp.Integer(0),
         rho ** 2 / T ** 2, tags="Theta~(1/T^2), tight: confirmed from the paper's abstract; constants recalled, not confirmed"),
    Rate("convex", False, _avg_g, 1 / sp.sqrt(T), sp.Integer(0), None,
         tags="no rho^2 term: inferred from the paper's abstract; rate recalled, not confirmed"),
    Rate("lipschitz_nonconvex", False, _avg_g, beta * Delta / T + beta ** 2 * rho ** 2, beta ** 2 * rho ** 2,
         beta ** 2 * rho ** 2, tags="O(rho^2) term unavoidable: confirmed from the paper's abstract; constants recalled, not confirmed"),
    Rate("nonconvex", False, _avg_g, beta * Delta / T + beta ** 2 * rho ** 2, beta ** 2 * rho ** 2,
         beta ** 2 * rho ** 2, tags="O(rho^2) term unavoidable: confirmed from the paper's abstract; constants recalled, not confirmed"),
    Rate("strongly_convex", True, "E f(x_T) - f*",
         sp.exp(-mu * T / (2 * beta)) * Delta + sigma ** 2 / (mu * T) + beta ** 2 * rho ** 2 / mu,
         beta ** 2 * rho ** 2 / mu, rho ** 2, tags="additive O(rho^2) unavoidable: confirmed from the paper's abstract; constants recalled, not confirmed"),
    Rate("convex", True, "(1/T) sum_t E||grad f(x_t)||^2", 1 / sp.sqrt(T) + beta ** 2 * rho ** 2,
         beta ** 2 * rho ** 2, rho ** 2, tags="O(rho^2) unavoidable: confirmed from the paper's abstract; constants recalled, not confirmed"),
    Rate("lipschitz_nonconvex", True, "(1/T) sum_t E||grad f(x_t)||^2", 1 / sp.sqrt(T) + beta ** 2 * rho ** 2,
         beta ** 2 * rho ** 2, rho ** 2, tags="O(rho^2) unavoidable: confirmed from the paper's abstract; constants recalled, not confirmed"),
    Rate("nonconvex", True, "(1/T) sum_t E||grad f(x_t)||^2", 1 / sp.sqrt(T) + beta ** 2 * rho ** 2,
         beta ** 2 * rho ** 2, rho ** 2, tags="O(rho^2) unavoidable: confirmed from the paper's abstract; constants recalled, not confirmed"),
)
_SETTINGS = ("strongly_convex", "convex", "lipschitz_nonconvex", "nonconvex")


def rate(setting: str, stochastic: bool = False) -> Rate:
    """The row of the paper's rate table (Si & Yun, docs/papers/sam.md#rate-table) for ``setting`` (one of
    strongly_convex, convex, lipschitz_nonconvex, nonconvex) and deterministic/stochastic SAM.
    Source ``paper-order``: orders confirmed from the paper's abstract, constants recalled, not confirmed."""
    if setting not in _SETTINGS:
        raise ValueError(f"setting must be one of {_SETTINGS}, got {setting!r}")
    for r in RATES:
        if r.setting == setting and r.stochastic == bool(stochastic):
            return r
    raise AssertionError("unreachable")


def rate_value(setting: str, stochastic: bool = False, **values) -> float:
    """The upper-bound order of :func:`rate` evaluated at ``values`` (keyword per symbol, e.g.
    ``T=100, beta=1, mu=0.1, rho=0.1, Delta=1``), as a float. Constants are recalled, not confirmed."""
    r = rate(setting, stochastic)
    syms = {s.name: s for s in r.upper.free_symbols}
    missing = sorted(set(syms) - set(values))
    if missing:
        raise ValueError(f"rate {setting} needs values for {missing}")
    subs = {syms[k]: _num(k, v) for k, v in values.items() if k in syms}
    return float(r.upper.subs(subs))


# --------------------------------------------------------------------------------- derived bounds D1-D4
@dataclass(frozen=True)
class Bound:
    """A bound derived and proved here (docs/papers/sam.md#d1-d4-descent-bounds); ``condition`` is its step-size condition."""
    name: str
    statement: str
    expr: sp.Expr
    condition: str
    source: str = "derived"


DERIVED: dict[str, Bound] = {b.name: b for b in (
    Bound("D1_step", "f(x+) <= f(x) - (eta/2)||g||^2 + C for any beta-smooth f", eta / 2 * beta ** 2 * rho ** 2,
          "eta <= 1/beta"),
    Bound("D1_average", "(1/T) sum_{t<T} ||g_t||^2 <= C (beta-smooth f)", 2 * Delta / (eta * T) + beta ** 2 * rho ** 2,
          "eta <= 1/beta"),
    Bound("D2_step", "f(x+) <= f(x) - (eta/2)||g||^2 + C for convex beta-smooth f", beta ** 3 * eta ** 2 * rho ** 2 / 2,
          "eta <= 1/beta"),
    Bound("D2_convex_average", "(1/T) sum_{t<T} ||g_t||^2 <= C (convex)", 2 * Delta / (eta * T) + beta ** 3 * eta * rho ** 2,
          "eta <= 1/beta"),
    Bound("D2_strongly_convex", "f(x_T) - f* <= C (mu-strongly convex or PL)",
          (1 - eta * mu) ** T * Delta + beta ** 3 * eta * rho ** 2 / (2 * mu), "eta <= 1/beta"),
    Bound("D3_step", "E[f(x+)|x] <= f(x) - (eta/2)||g||^2 + C (n-SAM, variance sigma^2)",
          eta / 2 * beta ** 2 * rho ** 2 + beta * eta ** 2 * sigma ** 2 / 2, "eta <= 1/beta"),
    Bound("D3_pl", "E f(x_T) - f* <= C (n-SAM, PL)", (1 - eta * mu) ** T * Delta + beta ** 2 * rho ** 2 / (2 * mu)
          + beta * eta * sigma ** 2 / (2 * mu), "eta <= 1/beta"),
    Bound("D3_nonconvex", "(1/T) sum E||g_t||^2 <= C (n-SAM)", 2 * Delta / (eta * T) + beta ** 2 * rho ** 2
          + beta * eta * sigma ** 2, "eta <= 1/beta"),
    Bound("D4_step", "E f(x+) <= f(x) - (eta/4)||g||^2 + C (m-SAM, each l(.;xi) beta-smooth)",
          sp.Rational(3, 4) * eta * beta ** 2 * rho ** 2 + sp.Rational(3, 2) * beta * eta ** 2 * sigma ** 2,
          "eta <= 1/(6 beta)"),
)}


def derived_bound(name: str) -> Bound:
    """The derived bound ``name`` (one of ``DERIVED``: D1_step, D1_average, D2_step, ...), derived here (docs/papers/sam.md#d1-d4-descent-bounds)."""
    try:
        return DERIVED[name]
    except KeyError:
        raise ValueError(f"name must be one of {sorted(DERIVED)}, got {name!r}") from None


def proof_step_identities() -> dict[str, tuple[sp.Expr, sp.Expr]]:
    """The algebraic last steps of the proofs of D1 and D2 (docs/papers/sam.md#d1-d4-descent-bounds), as (gap, certificate) pairs of sympy
    expressions: ``gap`` = RHS - LHS of the step, ``certificate`` a sum of terms that are each >= 0 under the
    step's conditions (eta <= 1/beta; 0 <= c <= beta*rho; ||g - h|| <= beta*rho). ``gap - certificate``
    simplifies to 0, which is what the tests check.

    D1: from f(x+) <= f(x) - eta<g,h> + (beta eta^2/2)||h||^2 and <g,h> = (G^2 + H^2 - D^2)/2 (G = ||g||,
    H = ||h||, D = ||g - h||), the bound f(x) - (eta/2)G^2 + (eta/2) beta^2 rho^2 has slack
    (eta/2)(1 - beta eta) H^2 + (eta/2)(beta^2 rho^2 - D^2).
    D2: from f(x+) - f(x) <= -eta(1 - beta eta/2)G^2 - eta G c(1 - beta eta) + beta^2 eta^2 rho c/2 with
    c = <u, h - g>, the bound -(eta/2)G^2 + beta^3 eta^2 rho^2/2 has slack
    (eta/2)(1 - beta eta) G^2 + eta G c (1 - beta eta) + (beta^2 eta^2 rho/2)(beta rho - c)."""
    G, H, D, c = sp.symbols("G H D c", nonnegative=True)
    d1_lhs = -eta * (G ** 2 + H ** 2 - D ** 2) / 2 + beta * eta ** 2 / 2 * H ** 2
    d1_gap = (-eta / 2 * G ** 2 + eta / 2 * beta ** 2 * rho ** 2) - d1_lhs
    d1_cert = eta / 2 * (1 - beta * eta) * H ** 2 + eta / 2 * (beta ** 2 * rho ** 2 - D ** 2)
    d2_lhs = -eta * (1 - beta * eta / 2) * G ** 2 - eta * G * c * (1 - beta * eta) + beta ** 2 * eta ** 2 * rho * c / 2
    d2_gap = (-eta / 2 * G ** 2 + beta ** 3 * eta ** 2 * rho ** 2 / 2) - d2_lhs
    d2_cert = (eta / 2 * (1 - beta * eta) * G ** 2 + eta * G * c * (1 - beta * eta)
               + beta ** 2 * eta ** 2 * rho / 2 * (beta * rho - c))
    return {"D1": (d1_gap, d1_cert), "D2": (d2_gap, d2_cert)}


def d1_step_constant(eta, beta, rho) -> float:
    """(D1) additive constant (eta/2) beta^2 rho^2 of the per-step inequality
    f(x_{t+1}) <= f(x_t) - (eta/2)||grad f(x_t)||^2 + (eta/2) beta^2 rho^2, any beta-smooth f,
    deterministic SAM (any perturbation of norm rho), eta <= 1/beta. Derived here (docs/papers/sam.md#d1-d4-descent-bounds)."""
    e, b, r = _num("eta", eta), _num("beta", beta), _num("rho", rho, allow_zero=True)
    _check_eta(e, b)
    return e / 2 * b ** 2 * r ** 2


def d1_average_bound(Delta, eta, T, beta, rho) -> float:
    """(D1, averaged) (1/T) sum_{t<T} ||grad f(x_t)||^2 <= 2 Delta/(eta T) + beta^2 rho^2, eta <= 1/beta."""
    d, e, t = _num("Delta", Delta, allow_zero=True), _num("eta", eta), _num("T", T)
    b, r = _num("beta", beta), _num("rho", rho, allow_zero=True)
    _check_eta(e, b)
    return 2 * d / (e * t) + b ** 2 * r ** 2


def d2_step_constant(eta, beta, rho) -> float:
    """(D2) additive constant beta^3 eta^2 rho^2 / 2 of f(x+) <= f(x) - (eta/2)||g||^2 + C for convex
    beta-smooth f and deterministic SAM with eta <= 1/beta. Derived here (docs/papers/sam.md#d1-d4-descent-bounds)."""
    e, b, r = _num("eta", eta), _num("beta", beta), _num("rho", rho, allow_zero=True)
    _check_eta(e, b)
    return b ** 3 * e ** 2 * r ** 2 / 2


def d2_convex_average_bound(Delta, eta, T, beta, rho) -> float:
    """(D2, convex) (1/T) sum ||g_t||^2 <= 2 Delta/(eta T) + beta^3 eta rho^2, eta <= 1/beta. Derived here (docs/papers/sam.md#d1-d4-descent-bounds)."""
    d, e, t = _num("Delta", Delta, allow_zero=True), _num("eta", eta), _num("T", T)
    b, r = _num("beta", beta), _num("rho", rho, allow_zero=True)
    _check_eta(e, b)
    return 2 * d / (e * t) + b ** 3 * e * r ** 2


def d2_strongly_convex_bound(T, eta, mu, beta, rho, Delta) -> float:
    """(D2, strongly convex / PL) f(x_T) - f* <= (1 - eta mu)^T Delta + beta^3 eta rho^2/(2 mu),
    from f(x+) - f* <= (1 - eta mu)(f(x) - f*) + beta^3 eta^2 rho^2 / 2; needs eta <= 1/beta, mu <= beta."""
    t, e, m = _num("T", T, allow_zero=True), _num("eta", eta), _num("mu", mu)
    b, r, d = _num("beta", beta), _num("rho", rho, allow_zero=True), _num("Delta", Delta, allow_zero=True)
    _check_eta(e, b)
    if m > b:
        raise ValueError(f"mu must satisfy mu <= beta (got mu={m}, beta={b})")
    return (1 - e * m) ** t * d + b ** 3 * e * r ** 2 / (2 * m)


def d3_step_constant(eta, beta, rho, sigma) -> float:
    """(D3) n-SAM: E[f(x+)|x] <= f(x) - (eta/2)||g||^2 + (eta/2) beta^2 rho^2 + beta eta^2 sigma^2/2,
    eta <= 1/beta. Derived here (docs/papers/sam.md#d1-d4-descent-bounds)."""
    e, b = _num("eta", eta), _num("beta", beta)
    r, s = _num("rho", rho, allow_zero=True), _num("sigma", sigma, allow_zero=True)
    _check_eta(e, b)
    return e / 2 * b ** 2 * r ** 2 + b * e ** 2 * s ** 2 / 2


def d3_pl_bound(T, eta, mu, beta, rho, sigma, Delta) -> float:
    """(D3, PL) E f(x_T) - f* <= (1 - eta mu)^T Delta + beta^2 rho^2/(2 mu) + beta eta sigma^2/(2 mu)."""
    t, e, m = _num("T", T, allow_zero=True), _num("eta", eta), _num("mu", mu)
    b, r = _num("beta", beta), _num("rho", rho, allow_zero=True)
    s, d = _num("sigma", sigma, allow_zero=True), _num("Delta", Delta, allow_zero=True)
    _check_eta(e, b)
    if m > b:
        raise ValueError(f"mu must satisfy mu <= beta (got mu={m}, beta={b})")
    return (1 - e * m) ** t * d + b ** 2 * r ** 2 / (2 * m) + b * e * s ** 2 / (2 * m)


def d3_nonconvex_bound(Delta, eta, T, beta, rho, sigma) -> float:
    """(D3, nonconvex) (1/T) sum E||g_t||^2 <= 2 Delta/(eta T) + beta^2 rho^2 + beta eta sigma^2."""
    d, e, t = _num("Delta", Delta, allow_zero=True), _num("eta", eta), _num("T", T)
    b, r, s = _num("beta", beta), _num("rho", rho, allow_zero=True), _num("sigma", sigma, allow_zero=True)
    _check_eta(e, b)
    return 2 * d / (e * t) + b ** 2 * r ** 2 + b * e * s ** 2


def d4_step_bound_constants(eta, beta, rho, sigma) -> tuple[float, float]:
    """(D4) m-SAM: E f(x+) <= f(x) - (eta/4)||g||^2 + C; returns (eta/4, C) with
    C = (3 eta/4) beta^2 rho^2 + (3/2) beta eta^2 sigma^2; needs eta <= 1/(6 beta). Derived here
    (docs/papers/sam.md#d1-d4-descent-bounds)."""
    e, b = _num("eta", eta), _num("beta", beta)
    r, s = _num("rho", rho, allow_zero=True), _num("sigma", sigma, allow_zero=True)
    _check_eta(e, b, 1 / 6, "1/(6 beta)")
    return e / 4, 0.75 * e * b ** 2 * r ** 2 + 1.5 * b * e ** 2 * s ** 2


def strongly_convex_step_size(T, beta, mu, rho, Delta) -> float:
    """The step schedule recalled for the paper's strongly convex theorem (docs/papers/sam.md#rate-table; recalled, not confirmed):
    eta_T = min{1/beta, max(1, log(mu^2 Delta T^2/(beta^3 rho^2))) / (mu T)}."""
    t, b, m = _num("T", T), _num("beta", beta), _num("mu", mu)
    r, d = _num("rho", rho), _num("Delta", Delta)
    return min(1 / b, max(1.0, math.log(m ** 2 * d * t ** 2 / (b ** 3 * r ** 2))) / (m * t))


# ------------------------------------------------------------------------------- (L1) the limit cycle
def sam_map_1d(sign: int = 1) -> sp.Expr:
    """The 1-D SAM map on f(x) = (lam/2) x^2 on the half-line sign(x) = ``sign`` (docs/papers/sam.md#l1-limit-cycle):
    y = x + rho*sign(x), x+ = x - eta*lam*y. Returned as a sympy expression in ``x``."""
    if sign not in (1, -1):
        raise ValueError(f"sign must be +1 or -1, got {sign!r}")
    y = x + rho * sign
    return x - eta * lam * y


@functools.lru_cache(maxsize=None)
def _limit_cycle():
    a = sp.Symbol("a", positive=True)
    # a symmetric 2-cycle +a -> -a -> +a of the piecewise-linear SAM map
    sol = sp.solve(sp.Eq(sam_map_1d(+1).subs(x, a), -a), a)
    if len(sol) != 1:
        raise AssertionError(f"expected one 2-cycle amplitude, sympy found {sol}")
    amp = sp.simplify(sol[0])
    back = sp.simplify(sam_map_1d(-1).subs(x, -amp) - amp)      # -a maps back to +a
    if back != 0:
        raise AssertionError("the 2-cycle is not symmetric")
    # stability: the two-step map is affine with slope (d/dx map)^2 = (1 - eta*lam)^2 < 1
    slope = sp.diff(sam_map_1d(-1), x) * sp.diff(sam_map_1d(+1), x)
    s = sp.Symbol("s", positive=True)    # s = eta*lam
    cond = sp.solve_univariate_inequality(sp.expand(slope.subs(eta, s / lam)) < 1, s, relational=False)
    return amp, cond


def limit_cycle_amplitude_expr() -> sp.Expr:
    """Sympy expression of the 2-cycle amplitude a* of deterministic SAM on (lam/2) x^2, *derived* by
    solving map_+(a) = -a for the 1-D SAM map (docs/papers/sam.md#l1-limit-cycle, L1, derived here); equals eta*lam*rho/(2 - eta*lam)."""
    return _limit_cycle()[0]


def limit_cycle_condition_expr() -> sp.Set:
    """The set of s = eta*lam on which the 2-cycle is attracting, derived from the slope (1 - s)^2 < 1 of
    the two-step map: the interval (0, 2)."""
    return _limit_cycle()[1]


def limit_cycle_amplitude(eta, lam, rho) -> float:
    """Amplitude a* = eta*lam*rho/(2 - eta*lam) of the 2-cycle +-a* that deterministic SAM reaches on
    f(x) = (lam/2) x^2 (docs/papers/sam.md#l1-limit-cycle, L1, derived here; consistent with Bartlett, Long & Bousquet 2022).

    Derived with sympy (:func:`limit_cycle_amplitude_expr`). Raises ValueError unless 0 < eta*lam < 2
    (the condition under which the cycle exists and attracts)."""
    e, l, r = _num("eta", eta), _num("lam", lam), _num("rho", rho, allow_zero=True)
    s = e * l
    lo, hi, lo_open, hi_open = _lc_interval()
    if not ((lo < s if lo_open else lo <= s) and (s < hi if hi_open else s <= hi)):
        raise ValueError(f"need 0 < eta*lam < 2 for the SAM 2-cycle; got eta*lam = {s}")
    return float(_lc_float()(e, l, r))


@functools.lru_cache(maxsize=None)
def _lc_interval():
    """Float end points of the derived condition set (an interval in s = eta*lam)."""
    iv = limit_cycle_condition_expr()
    if not isinstance(iv, sp.Interval):
        raise AssertionError(f"expected an interval, sympy found {iv}")
    return float(iv.start), float(iv.end), bool(iv.left_open), bool(iv.right_open)


@functools.lru_cache(maxsize=None)
def _lc_float():
    return sp.lambdify((eta, lam, rho), limit_cycle_amplitude_expr(), "math")


def limit_cycle_value(eta, lam, rho) -> float:
    """f on the 2-cycle: (lam/2) (a*)^2 with a* = :func:`limit_cycle_amplitude` (docs/papers/sam.md#l1-limit-cycle)."""
    a = limit_cycle_amplitude(eta, lam, rho)
    return 0.5 * _num("lam", lam) * a * a


# ------------------------------------------------------------------------------ (L2) the stuck point
def stuck_point_function_expr() -> sp.Expr:
    """f(x) = -(4 beta rho^2/(9 pi^2)) cos(3 pi x/(2 rho)), the stuck-point example (docs/papers/sam.md#l2-stuck-point, L2, derived here)."""
    return -(4 * beta * rho ** 2 / (9 * sp.pi ** 2)) * sp.cos(3 * sp.pi * x / (2 * rho))


@functools.lru_cache(maxsize=None)
def _stuck():
    f = stuck_point_function_expr()
    fp, fpp = sp.diff(f, x), sp.diff(f, x, 2)
    x0 = -rho
    g0 = sp.simplify(fp.subs(x, x0))
    if not g0.is_positive:
        raise AssertionError("f'(-rho) must be > 0 so that the ascent points to +rho")
    y = x0 + rho                                          # normalized ascent from x0
    if sp.simplify(fp.subs(x, y)) != 0:
        raise AssertionError("y must be stationary so that SAM stays at x0")
    if sp.simplify(fpp.subs(x, 0) - beta) != 0:           # max |f''| = beta is attained at 0
        raise AssertionError("f must be beta-smooth with max |f''| = beta")
    return sp.simplify(g0 ** 2)


def stuck_point_gradient_sq_expr() -> sp.Expr:
    """||grad f(-rho)||^2 of the stuck-point example, derived with sympy: f'(-rho) > 0, the SAM ascent
    lands on y = 0 where f'(0) = 0, so x_t = -rho forever; equals 4 beta^2 rho^2/(9 pi^2)."""
    return _stuck()


def stuck_point_gradient_sq(beta, rho) -> float:
    """4 beta^2 rho^2/(9 pi^2): the squared gradient at which deterministic SAM stays forever on the
    cosine example of docs/papers/sam.md#l2-stuck-point, L2, derived here, for every eta in (0, 1/beta]. Shows the beta^2 rho^2 term of
    the nonconvex rates (and of D1) is unavoidable up to a constant."""
    b, r = _num("beta", beta), _num("rho", rho)
    return float(_lambdified("stuck", (_S["beta"], _S["rho"]))(b, r))


# ------------------------------------------------------------------------- (L3) the stochastic floor
@functools.lru_cache(maxsize=None)
def _floor():
    xe = sp.Symbol("x_eq", real=True)
    bias = p * 1 + (1 - p) * (-1)                    # E sign(lam x + xi) for |lam x| < min(s1, s2)
    mean_step = xe - eta * lam * (xe + rho * bias)   # E[x+ | x] of n-SAM and m-SAM
    sol = sp.solve(sp.Eq(mean_step, xe), xe)
    if len(sol) != 1:
        raise AssertionError(f"expected one equilibrium, got {sol}")
    floor = sp.factor(sp.simplify(lam / 2 * sol[0] ** 2))
    # stationary variance of the linear recursion e+ = (1 - eta lam) e + eta * noise, noise variance V
    V, v = sp.symbols("V v", positive=True)
    var = sp.solve(sp.Eq(v, (1 - eta * lam) ** 2 * v + eta ** 2 * V), v)[0]
    gap = floor + lam / 2 * sp.simplify(var)
    return floor, sp.simplify(gap), V


def stochastic_floor_expr() -> sp.Expr:
    """Sympy expression of the eta -> 0 floor of E f(x_t) - f* for n-SAM and m-SAM on (lam/2)x^2 with
    skewed two-point noise (docs/papers/sam.md#l3-stochastic-floor, L3, derived here), derived as f at the equilibrium of the mean dynamics
    x = x - eta*lam*(x + rho*(2p - 1)); equals (lam/2) rho^2 (2p - 1)^2."""
    return _floor()[0]


def stochastic_floor(lam, rho, p) -> float:
    """(lam/2) rho^2 (2p-1)^2, the rho^2 floor of stochastic SAM (n-SAM and m-SAM) on f = (lam/2) x^2 with
    noise +s1 w.p. p, -s2 w.p. 1-p (docs/papers/sam.md#l3-stochastic-floor, L3, derived here); valid while lam*rho*|2p-1| < min(s1, s2)."""
    l, r, pv = _num("lam", lam), _num("rho", rho, allow_zero=True), _num("p", p, allow_zero=True)
    if not 0 <= pv <= 1:
        raise ValueError(f"p must satisfy 0 <= p <= 1, got {p}")
    return float(_lambdified("floor", (_S["lam"], _S["rho"], _S["p"]))(l, r, pv))


def stochastic_gap_expr() -> tuple[sp.Expr, sp.Symbol]:
    """(expression, V): floor + (lam/2) * stationary variance eta^2 V/(1 - (1 - eta lam)^2), i.e.
    floor + eta V/(2(2 - eta lam)), where V is the variance of the per-step noise of the linearized
    recursion (derived here, refining an earlier estimate '+ about eta Var(xi)/4'). For n-SAM V = Var(xi) +
    lam^2 rho^2 (1 - (2p-1)^2); for m-SAM add 2 lam rho Cov(sign xi, xi)."""
    _, gap, V = _floor()
    return gap, V


def stochastic_gap(eta, lam, rho, p, noise_var) -> float:
    """Float version of :func:`stochastic_gap_expr`; needs 0 < eta*lam < 2."""
    e, l = _num("eta", eta), _num("lam", lam)
    if not e * l < 2:
        raise ValueError(f"need 0 < eta*lam < 2 for a stationary law; got eta*lam = {e * l}")
    V = stochastic_gap_expr()[1]
    fn = _lambdified("gap", (_S["eta"], _S["lam"], _S["rho"], _S["p"], V))
    return float(fn(e, l, _num("rho", rho, allow_zero=True), _num("p", p, allow_zero=True),
                    _num("noise_var", noise_var, allow_zero=True)))


@functools.lru_cache(maxsize=None)
def _lambdified(name, args):
    """Float versions of the derived expressions (compiled once with sympy.lambdify)."""
    expr = {"stuck": stuck_point_gradient_sq_expr, "floor": stochastic_floor_expr,
            "gap": lambda: stochastic_gap_expr()[0]}[name]()
    return sp.lambdify(args, expr, "math")


# ----------------------------------------------------------------------------------------- USAM control
@functools.lru_cache(maxsize=None)
def usam_contraction_expr() -> sp.Expr:
    """Per-eigendirection factor of USAM on 0.5 x^T A x, derived from y = x + rho*A x, x+ = x - eta*A y:
    x+ = (1 - eta*lam - eta*rho*lam^2) x along an eigenvector with eigenvalue lam (docs/papers/sam.md#algorithms; derived here)."""
    y = x + rho * lam * x
    return sp.expand((x - eta * lam * y) / x)


@functools.lru_cache(maxsize=None)
def usam_threshold_expr() -> sp.Expr:
    """The largest stable eta for USAM along eigenvalue lam, derived from |contraction| < 1:
    eta < 2/(lam (1 + rho lam)), i.e. eta*lam*(1 + rho*lam) < 2 (docs/papers/sam.md#algorithms; derived here)."""
    sols = sp.solve(sp.Eq(usam_contraction_expr(), -1), eta)
    return sp.simplify(sols[0])


def usam_contraction(eta, lams, rho) -> float:
    """max_i |1 - eta lam_i (1 + rho lam_i)|: USAM's linear rate on 0.5 x^T A x with eigenvalues ``lams``
    (docs/papers/sam.md#algorithms; derived here). Raises ValueError unless eta*lam*(1 + rho*lam) < 2 for every lam."""
    e, r = _num("eta", eta), _num("rho", rho, allow_zero=True)
    ls = [_num("lams", v) for v in (lams if hasattr(lams, "__iter__") and not isinstance(lams, str) else [lams])]
    thr, c = _usam_floats()
    bad = [l for l in ls if not e < thr(l, r)]
    if bad:
        raise ValueError(f"USAM needs eta*lam*(1 + rho*lam) < 2 for every lam; violated at lam={bad[0]}")
    return max(abs(c(e, l, r)) for l in ls)


@functools.lru_cache(maxsize=None)
def _usam_floats():
    """Float versions of :func:`usam_threshold_expr` (in lam, rho) and :func:`usam_contraction_expr`
    (in eta, lam, rho), lambdified once."""
    return (sp.lambdify((lam, rho), usam_threshold_expr(), "math"),
            sp.lambdify((eta, lam, rho), usam_contraction_expr(), "math"))
