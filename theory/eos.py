"""Trajectory alignment at the Edge of Stability via bifurcation theory.

Song & Yun, *Trajectory Alignment: Understanding the Edge of Stability Phenomenon via Bifurcation
Theory*, arXiv:2307.04204 (NeurIPS 2023). The paper's two theorems were not available; this module
implements this toolkit's reconstruction (docs/papers/eos.md):

* confirmed from the paper's abstract (and the NeurIPS slides): trajectories, once *canonically
  reparameterised*, align on one bifurcation diagram; the results are proved for a two-layer linear
  network and a single-neuron network, each on a single data point; sharpness -> 2/eta.
* our reconstruction, derived here with sympy: the reparameterisation p = f(x; theta) - y (residual),
  q = 2 / (eta ||grad_theta f||^2); the 1-D map g_q(p) = p (1 - 2 r(p)/q), r(p) = l'(p)/p; the exact
  2-D (p, q) maps below; the single-neuron model and its critical point (the paper's exact
  single-neuron model is not confirmed).

Everything symbolic is *derived* from the GD update equations:

* :func:`linear_net_map_expr` derives the exact (p, q) map of f(x; U, v) = v^T U x (any width m, any input
  dimension d, ||x|| = 1) by expanding the update of the Gram quantities <v, Ux>, ||v||^2 + ||Ux||^2.
* :func:`g_map_expr` is that map's p-update at eta -> 0 with q held as a parameter (the canonical 1-D map).
* :func:`flip_point`, :func:`bifurcation_branch`, :func:`branch_multiplier_expr`,
  :func:`branch_stability_condition` are derived from g_q (multiplier at 0, period-2 condition
  g_q(p) = -p, derivative on the branch, |multiplier| < 1).
* :func:`neuron_map_expr` derives the exact (u, q) map of the single neuron f = v sigma(u x), x = 1,
  target 0, squared loss, with p := u and q := 2/(eta v^2) (docs/papers/eos.md#single-neuron-model); :func:`tanh_critical_point` solves
  "elasticity of r_sigma = -1" for tanh.

Float versions (``r``, ``rhat``, ``branch_multiplier``, ``linear_net_step``, ``neuron_step``) are
lambdified from the same expressions. No simulation lives here: the maps are one step; callers iterate.
"""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from ._check import integer, real, reals

__all__ = [
    "LOSSES", "ACTIVATIONS", "p", "q", "eta", "y", "u", "e",
    "loss_expr", "r_expr", "linear_net_map_expr", "g_map_expr", "fixed_point_multiplier_expr",
    "flip_point", "bifurcation_branch", "branch_multiplier_expr", "elasticity_expr",
    "branch_stability_condition", "activation_expr", "r_sigma_expr", "neuron_map_expr",
    "tanh_critical_point", "r", "rhat", "branch_multiplier", "linear_net_step", "neuron_step",
    "g_step", "r_sigma", "rhat_sigma", "neuron_branch_multiplier", "sharpness_at_interpolation",
]

#: canonical coordinates: p residual, q = 2/(eta ||grad f||^2), eta step size, y target, u neuron weight,
#: e elasticity p r'(p)/r(p)
p = sp.Symbol("p", real=True)
q = sp.Symbol("q", positive=True)
eta = sp.Symbol("eta", positive=True)
y = sp.Symbol("y", real=True)
u = sp.Symbol("u", real=True)
e = sp.Symbol("e", real=True)
#: the symbols by name, for functions whose float parameters carry the same names
_S = {"p": p, "q": q, "eta": eta, "y": y, "u": u, "e": e}

#: the loss library of docs/papers/eos.md#canonical-reparameterisation: even, C^2, l''(0) = 1
LOSSES = ("logcosh", "sqrt", "squared")
#: activations of the single-neuron model (docs/papers/eos.md#single-neuron-model): odd, sigma(0) = 0, sigma'(0) = 1
ACTIVATIONS = ("tanh",)


def _check_loss(name: str) -> str:
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {name!r}")
    return name


def loss_expr(name: str) -> sp.Expr:
    """The loss l(p) of our loss library (docs/papers/eos.md#canonical-reparameterisation): ``logcosh`` log cosh p,
    ``sqrt`` sqrt(1 + p^2) - 1, ``squared`` p^2/2; each even with l''(0) = 1."""
    _check_loss(name)
    return {"logcosh": sp.log(sp.cosh(p)), "sqrt": sp.sqrt(1 + p**2) - 1,
            "squared": p**2 / 2}[name]


@functools.cache
def _dloss(name: str) -> sp.Expr:
    return sp.trigsimp(sp.diff(loss_expr(name), p))


@functools.cache
def r_expr(name: str) -> sp.Expr:
    """r(p) = l'(p)/p, the bifurcation curve's profile (docs/papers/eos.md#canonical-reparameterisation; our reconstruction); r is even with r(0) = 1."""
    return sp.simplify(_dloss(name) / p)


@functools.cache
def _gram_update():
    """Exact GD update of the Gram quantities of f = v^T U x, ||x|| = 1.

    With a = Ux and g = l'(p): v' = v - eta g a and a' = U'x = a - eta g ||x||^2 v. Writing vectors in the
    basis (a, v) with Gram matrix [[A, s], [s, V]] (A = ||a||^2, V = ||v||^2, s = <v, a> = p + y) gives
    s' and K' = A' + V' for any width m and input dimension d."""
    A, V, s, g = sp.symbols("A V s g", real=True)
    G = sp.Matrix([[A, s], [s, V]])
    ca = sp.Matrix([1, -eta * g])      # a' = 1*a - eta g v
    cv = sp.Matrix([-eta * g, 1])      # v' = -eta g a + 1*v
    s_new = sp.expand((cv.T * G * ca)[0])
    K_new = sp.expand((ca.T * G * ca)[0] + (cv.T * G * cv)[0])
    return A, V, s, g, s_new, K_new


@functools.cache
def linear_net_map_expr(name: str) -> tuple[sp.Expr, sp.Expr]:
    """Exact (p, q) map of GD on l(v^T U x - y), two-layer linear network of any width, one data point
    with ||x|| = 1 (docs/papers/eos.md#exact-reduction; our reconstruction, derived here).

    Returns ``(p_next, q_next)`` in the symbols ``p, q, eta, y``; with g = l'(p) the derivation gives
    p' = p - (2/q) g + eta^2 g^2 (p + y) and 1/q' = (1 + eta^2 g^2)/q - 2 eta^2 g (p + y)."""
    A, V, s, g, s_new, K_new = _gram_update()
    K = 2 / (eta * q)                  # ||grad f||^2 = ||Ux||^2 + ||v||^2 ||x||^2 = A + V
    gl = _dloss(name)
    # K' depends on A, V only through A + V: substitute A = K - V and check V drops out
    K_new = sp.expand(K_new.subs(A, K - V))
    s_new = sp.expand(s_new.subs(A, K - V))
    assert not (K_new.has(V) or s_new.has(V)), "Gram update does not close on (s, A + V)"
    p_next = s_new.subs({s: p + y, g: gl}) - y
    q_next = 2 / (eta * K_new.subs({s: p + y, g: gl}))
    return sp.collect(sp.expand(p_next), eta), sp.factor(q_next)


@functools.cache
def g_map_expr(name: str) -> sp.Expr:
    """The canonical 1-D map g_q(p) (docs/papers/eos.md#canonical-reparameterisation; our reconstruction): the p-update of :func:`linear_net_map_expr` at
    eta -> 0 with q as the bifurcation parameter; equals p (1 - 2 r(p)/q)."""
    p_next, _ = linear_net_map_expr(name)
    assert sp.Poly(p_next, eta).degree() == 2       # polynomial in eta: eta -> 0 is a substitution
    return sp.simplify(p_next.subs(eta, 0))


@functools.cache
def fixed_point_multiplier_expr(name: str) -> sp.Expr:
    """g_q'(0), the multiplier of the fixed point p = 0 (docs/papers/eos.md#canonical-reparameterisation: 1 - 2/q)."""
    return sp.simplify(sp.limit(sp.diff(g_map_expr(name), p), p, 0))


def flip_point(name: str) -> sp.Expr:
    """The flip (period-doubling) bifurcation value of q: the root of g_q'(0) = -1 (docs/papers/eos.md#canonical-reparameterisation: q = 1).
    For ``squared`` the flip is degenerate (no period-2 branch: r is constant)."""
    sol = sp.solve(sp.Eq(fixed_point_multiplier_expr(name), -1), q)
    if len(sol) != 1:
        raise ValueError(f"loss {name!r}: expected one flip point, got {sol}")
    return sol[0]


@functools.cache
def bifurcation_branch(name: str) -> sp.Equality:
    """The period-2 branch of g_q as a sympy curve ``Eq(q, r(p))`` (docs/papers/eos.md#canonical-reparameterisation; our reconstruction).

    Derived by solving the symmetric 2-cycle condition g_q(p) = -p, p != 0, for q (g_q is odd, so
    {p, -p} is a 2-cycle iff g_q(p) = -p). For ``squared`` r = 1 and the branch is the vertical line q = 1:
    the loss gives no bifurcation curve (the single neuron takes its curve from the activation)."""
    sol = sp.solve(sp.Eq(sp.cancel(g_map_expr(name) / p), -1), q)
    if len(sol) != 1:
        raise ValueError(f"loss {name!r}: expected one branch, got {sol}")
    return sp.Eq(q, sp.simplify(sol[0]))


@functools.cache
def elasticity_expr(name: str) -> sp.Expr:
    """Elasticity p r'(p)/r(p) of r (docs/papers/eos.md#canonical-reparameterisation); the branch is stable iff it lies in (-1, 0)."""
    rr = r_expr(name)
    return sp.simplify(p * sp.diff(rr, p) / rr)


@functools.cache
def branch_multiplier_expr(name: str) -> sp.Expr:
    """g_q'(p) on the branch q = r(p) (docs/papers/eos.md#canonical-reparameterisation: -1 - 2 p r'(p)/r(p)); the 2-cycle {p, -p} has
    multiplier g_q'(p) g_q'(-p) = g_q'(p)^2 since g_q is odd."""
    return sp.simplify(sp.diff(g_map_expr(name), p).subs(q, bifurcation_branch(name).rhs))


@functools.cache
def branch_stability_condition():
    """The stability condition of the 2-cycle in terms of the elasticity ``e`` = p r'/r, derived from
    multiplier = -1 - 2e (read off :func:`branch_multiplier_expr`) and |multiplier| < 1: ``-1 < e < 0``."""
    rr = sp.Function("r")(p)
    g = p * (1 - 2 * rr / q)
    mult = sp.diff(g, p).subs(q, rr)
    mult_e = sp.simplify(mult.subs(sp.Derivative(rr, p), e * rr / p))
    return sp.solve_univariate_inequality(sp.Abs(mult_e) < 1, e, relational=True)


# ---------------------------------------------------------------- single neuron (docs/papers/eos.md#single-neuron-model)

def activation_expr(name: str = "tanh") -> sp.Expr:
    """Activation sigma(u) of the single-neuron model (docs/papers/eos.md#single-neuron-model; our reconstruction): odd, sigma(0)=0, sigma'(0)=1."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
    return sp.tanh(u)


@functools.cache
def r_sigma_expr(name: str = "tanh") -> sp.Expr:
    """r_sigma(u) = sigma(u) sigma'(u)/u, the neuron's branch profile (docs/papers/eos.md#single-neuron-model; our reconstruction)."""
    s = activation_expr(name)
    return sp.simplify(s * sp.diff(s, u) / u)


@functools.cache
def neuron_map_expr(name: str = "tanh") -> tuple[sp.Expr, sp.Expr]:
    """Exact (u, q) map of GD on L = (v sigma(u))^2 / 2 (single neuron, x = 1, target 0, squared loss) in
    our coordinates p := u, q := 2/(eta v^2) (docs/papers/eos.md#single-neuron-model; our reconstruction, derived here from the update).

    Returns ``(u_next, q_next)``: u' = u (1 - (2/q) r_sigma(u)), q' = q / (1 - eta sigma(u)^2)^2."""
    v = sp.Symbol("v", positive=True)
    s = activation_expr(name)
    L = (v * s) ** 2 / 2
    u_next = u - eta * sp.diff(L, u)
    v_next = v - eta * sp.diff(L, v)
    vq = sp.sqrt(2 / (eta * q))
    u_next = sp.simplify(u_next.subs(v, vq))
    q_next = sp.simplify((2 / (eta * v_next**2)).subs(v, vq))
    return u_next, q_next


def tanh_critical_point(digits: int = 15) -> tuple[float, float]:
    """(u_c, q_c): where the elasticity of r_sigma (tanh) reaches -1, i.e. where the neuron's 2-cycle on
    q = r_sigma(u) loses stability (docs/papers/eos.md#single-neuron-model; our reconstruction: u_c = 0.658479, q_c = 0.584529). Solved with
    sympy's ``nsolve`` on u r_sigma'(u)/r_sigma(u) + 1 = 0."""
    return _tanh_critical_point(integer("digits", digits, lo=1))


@functools.cache
def _tanh_critical_point(digits: int) -> tuple[float, float]:
    rs = r_sigma_expr("tanh")
    el = sp.simplify(u * sp.diff(rs, u) / rs)
    uc = sp.nsolve(el + 1, u, 0.6, prec=digits + 5)
    return float(uc), float(rs.subs(u, uc).evalf(digits + 5))


# ---------------------------------------------------------------- float versions

@functools.cache
def _lam(expr_key: tuple, args: tuple):
    kind, name = expr_key
    expr = {"r": lambda: r_expr(name), "mult": lambda: branch_multiplier_expr(name),
            "rs": lambda: r_sigma_expr(name)}[kind]()
    return sp.lambdify(args, expr, modules="numpy")


def _p_array(x, what="p"):
    return reals(what, x)


def _safe_even(f, x):
    """Evaluate an even function with a removable singularity at 0 (value 1 there)."""
    x = np.abs(x)
    small = x < 1e-8
    out = np.asarray(f(np.where(small, 1.0, x)), dtype=float)
    return np.where(small, 1.0, out)


def r(name: str, p) -> np.ndarray:
    """Float r(p) = l'(p)/p (docs/papers/eos.md#canonical-reparameterisation), vectorised; r(0) = 1."""
    _check_loss(name)
    return _safe_even(_lam(("r", name), (_S["p"],)), _p_array(p))


def rhat(name: str, q: float) -> float:
    """Positive branch amplitude p_hat(q) > 0 solving r(p_hat) = q (docs/papers/eos.md#canonical-reparameterisation), for 0 < q < 1.

    Raises ValueError when q is outside (0, 1) (no 2-cycle) or the loss is ``squared`` (r = 1)."""
    _check_loss(name)
    if name == "squared":
        raise ValueError("loss 'squared' has r = 1: no period-2 branch (the condition r decreasing fails)")
    q = real("q", q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must satisfy 0 < q < 1 for a period-2 orbit, got q={q}")
    hi = 1.0
    while r(name, hi) > q:
        hi *= 2.0
    return brentq(lambda t: float(r(name, t)) - q, 0.0, hi, xtol=1e-15, rtol=1e-15)


def branch_multiplier(name: str, p) -> np.ndarray:
    """Float g_q'(p) on the branch q = r(p) (docs/papers/eos.md#canonical-reparameterisation); |.| < 1 means the 2-cycle is stable."""
    _check_loss(name)
    f = _lam(("mult", name), (_S["p"],))
    x = np.abs(_p_array(p))
    small = x < 1e-6
    return np.where(small, -1.0, np.asarray(f(np.where(small, 1.0, x)), dtype=float))


def r_sigma(u, name: str = "tanh") -> np.ndarray:
    """Float r_sigma(u) = sigma(u) sigma'(u)/u (docs/papers/eos.md#single-neuron-model), r_sigma(0) = 1."""
    activation_expr(name)
    return _safe_even(_lam(("rs", name), (_S["u"],)), _p_array(u, "u"))


def rhat_sigma(q: float, name: str = "tanh") -> float:
    """Branch amplitude u_hat(q) > 0 solving r_sigma(u_hat) = q, for 0 < q < 1 (docs/papers/eos.md#single-neuron-model)."""
    activation_expr(name)
    q = real("q", q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must satisfy 0 < q < 1 for a period-2 orbit, got q={q}")
    hi = 1.0
    while r_sigma(hi, name) > q:
        hi *= 2.0
    return brentq(lambda t: float(r_sigma(t, name)) - q, 0.0, hi, xtol=1e-15, rtol=1e-15)


@functools.cache
def _neuron_mult_lam(name: str):
    un, _ = neuron_map_expr(name)
    g = sp.limit(un, eta, 0) if un.has(eta) else un
    m = sp.diff(g, u).subs(q, r_sigma_expr(name))
    return sp.lambdify((u,), sp.simplify(m), modules="numpy")


def neuron_branch_multiplier(u, name: str = "tanh") -> np.ndarray:
    """Multiplier d u'/d u of the neuron's u-map (q frozen) on its branch q = r_sigma(u) (docs/papers/eos.md#single-neuron-model);
    |.| < 1 iff the 2-cycle is stable, which for tanh holds iff u < u_c, i.e. q > q_c."""
    x = np.abs(_p_array(u, "u"))
    small = x < 1e-6
    f = _neuron_mult_lam(name)
    return np.where(small, -1.0, np.asarray(f(np.where(small, 1.0, x)), dtype=float))


def _check_eta(eta):
    return real("eta", eta, positive=True)


@functools.cache
def _linear_step_lam(name: str):
    pn, qn = linear_net_map_expr(name)
    return sp.lambdify((p, q, eta, y), (pn, qn), modules="numpy")


def linear_net_step(name: str, p: float, q: float, eta: float, y: float = 0.0):
    """One step of the exact reduced (p, q) map of the two-layer linear network (docs/papers/eos.md#exact-reduction; our reconstruction).

    Raises ValueError for eta <= 0 or q <= 0 (q = 2/(eta ||grad f||^2) is positive by definition)."""
    _check_loss(name)
    eta, p, y = _check_eta(eta), real("p", p), real("y", y)
    if not real("q", q) > 0:
        raise ValueError(f"q must be positive (q = 2/(eta ||grad f||^2)), got q={q}")
    pn, qn = _linear_step_lam(name)(p, q, eta, y)
    return float(pn), float(qn)


@functools.cache
def _neuron_step_lam(name: str):
    un, qn = neuron_map_expr(name)
    return sp.lambdify((u, q, eta), (un, qn), modules="numpy")


def neuron_step(u: float, q: float, eta: float, name: str = "tanh"):
    """One step of the exact reduced (u, q) map of the single neuron (docs/papers/eos.md#single-neuron-model; our reconstruction)."""
    activation_expr(name)
    eta, u = _check_eta(eta), real("u", u)
    if not real("q", q) > 0:
        raise ValueError(f"q must be positive (q = 2/(eta v^2)), got q={q}")
    un, qn = _neuron_step_lam(name)(u, q, eta)
    return float(un), float(qn)


@functools.cache
def _g_lam(name: str):
    return sp.lambdify((p, q), g_map_expr(name), modules="numpy")


def g_step(name: str, p, q):
    """Float canonical 1-D map g_q(p) = p (1 - 2 r(p)/q) (docs/papers/eos.md#canonical-reparameterisation; our reconstruction), vectorised; q > 0."""
    _check_loss(name)
    q = reals("q", q)
    if not np.all(q > 0):
        raise ValueError(f"q must be positive, got q={q}")
    return np.asarray(_g_lam(name)(_p_array(p), q), dtype=float)


def sharpness_at_interpolation(q: float, eta: float, lpp0: float = 1.0) -> float:
    """Sharpness at an interpolating point (p = 0): l''(0) ||grad f||^2 = 2 l''(0)/(eta q) (docs/papers/eos.md#canonical-reparameterisation)."""
    eta, q, lpp0 = _check_eta(eta), real("q", q), real("lpp0", lpp0, positive=True)
    if not q > 0:
        raise ValueError(f"q must be positive, got q={q}")
    return 2.0 * lpp0 / (eta * q)
