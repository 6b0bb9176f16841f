"""Sharpness-aware minimization (SAM) and its variants, as in Si & Yun, "Practical Sharpness-Aware
Minimization Cannot Converge All the Way to Optima" (arXiv:2306.09850, NeurIPS 2023).

Deterministic SAM with constant perturbation radius ``rho`` and normalized ascent (the paper's eqs. (2)-(3)):

    y_t     = x_t + rho * grad f(x_t) / ||grad f(x_t)||          (y_t = x_t when grad f(x_t) = 0)
    x_{t+1} = x_t - eta * grad f(y_t)

Variants are built by composition, not flags: a *step* is ``make_step(grad, ascent)`` where ``ascent`` is
one of :func:`normalized_ascent` (SAM), :func:`unnormalized_ascent` (USAM, y = x + rho grad f(x)) or
:func:`no_ascent` (gradient descent). The stochastic variants (:func:`stochastic_sam_tail_mean`) draw a
sample xi_t for the ascent and either an independent sample (n-SAM) or the same one (m-SAM) for the
descent.

Test problems (all pure JAX, float64): random cosine sums plus a quadratic (smooth nonconvex), L2-regularized
logistic regression (smooth convex / strongly convex), quadratics, the 1-D cosine of the stuck-point
example, a square-wave-curvature function on which the per-step descent inequality D1 is tight, and the
paper's Figure-1 function f(x, y) = (xy - 1)^2.

This module never imports :mod:`theory` (a simulation must not know the bound it is checked against).
"""
from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import numerics  # noqa: F401  (enables float64)
from . import random as rnd
from .jit import jit

__all__ = [
    "normalized_ascent", "unnormalized_ascent", "no_ascent", "ASCENTS", "make_step", "run",
    "run_batch", "trajectory_stats", "stochastic_sam_tail_mean", "skewed_noise",
    "cosine_sum_problem", "logistic_problem", "logistic_minimum", "quadratic", "stuck_cosine",
    "square_wave_curvature", "xy_problem", "Problem", "tree_normalized_ascent", "sam_grad",
    "stochastic_step_values", "two_point_pairs",
]


# ----------------------------------------------------------------------------------------- ascents
def normalized_ascent(g, rho):
    """SAM's ascent (Si & Yun eq. (2)): ``rho * g / ||g||``, and ``0`` when ``g = 0`` (then y = x)."""
    n = jnp.linalg.norm(g)
    safe = jnp.where(n > 0, n, 1.0)
    return jnp.where(n > 0, rho * g / safe, jnp.zeros_like(g))


def unnormalized_ascent(g, rho):
    """USAM's ascent (Andriushchenko & Flammarion 2022): ``rho * g``."""
    return rho * g


def no_ascent(g, rho):
    """No perturbation: the step becomes plain gradient descent."""
    return jnp.zeros_like(g)


ASCENTS = {"sam": normalized_ascent, "usam": unnormalized_ascent, "gd": no_ascent}


def make_step(grad: Callable, ascent: Callable = normalized_ascent):
    """The pure step ``(params, x, eta, rho) -> x_next`` of SAM-type methods.

    ``grad(params, x)`` is grad f(x) of the instance ``params``; the step evaluates g = grad f(x),
    y = x + ascent(g, rho), and returns x - eta * grad f(y) (Si & Yun eqs. (2)-(3))."""

    def step(params, x, eta, rho):
        g = grad(params, x)
        y = x + ascent(g, rho)
        return x - eta * grad(params, y)

    return step


# ------------------------------------------------------------------------------- pytree SAM step
def tree_normalized_ascent(grads, rho):
    """SAM's ascent on a pytree of parameters: ``eps = rho * g / ||g||_2`` with the *global* norm
    ||g||_2 over every leaf (Foret et al. 2021, eq. (2); Si & Yun eq. (2) for a flat vector), and
    ``eps = 0`` when ``g = 0``. ``||eps||_2 = rho`` whenever ``g != 0``."""
    leaves = jax.tree_util.tree_leaves(grads)
    n = jnp.sqrt(sum(jnp.sum(jnp.square(x)) for x in leaves))
    safe = jnp.where(n > 0, n, 1.0)
    return jax.tree_util.tree_map(lambda x: jnp.where(n > 0, rho * x / safe, jnp.zeros_like(x)), grads)


def sam_grad(loss_fn: Callable, params, rho, *args, has_aux: bool = False):
    """The SAM gradient of a pytree model: the normalized two-step update of Foret et al. (2021)
    (Si & Yun eqs. (2)-(3) with the descent step left to the caller).

    With ``g = grad_w L(w)`` and ``eps = rho g / ||g||`` (:func:`tree_normalized_ascent`) it returns
    ``(L(w), g_sam, eps)`` where ``g_sam = grad_w L(w + eps)``; any optax optimizer then takes
    ``g_sam`` in place of ``g``. ``loss_fn(params, *args)`` returns a scalar (or ``(scalar, aux)``
    with ``has_aux=True``, then the first output is ``(L(w), aux)``). ``rho = 0`` gives plain
    gradient descent's gradient (eps = 0) at the same cost of two gradient evaluations, so variants
    with and without SAM can share one vmapped, compiled graph."""
    vg = jax.value_and_grad(loss_fn, has_aux=has_aux)
    val, g = vg(params, *args)
    eps = tree_normalized_ascent(g, rho)
    perturbed = jax.tree_util.tree_map(lambda w, e: w + e, params, eps)
    _, g_sam = vg(perturbed, *args)
    return val, g_sam, eps


def _ascent(name):
    try:
        return ASCENTS[name]
    except KeyError:
        raise ValueError(f"method must be one of {sorted(ASCENTS)}, got {name!r}") from None


@functools.partial(jit, static_argnames=("grad", "T", "method"))
def run(grad, params, x0, eta, rho, T: int, method: str = "sam"):
    """Iterates x_0..x_T of ``method`` ("sam", "usam" or "gd") on one instance; shape (T+1, d).

    ``eta`` is the step size, ``rho`` the perturbation radius (Si & Yun eqs. (2)-(3))."""
    step = make_step(grad, _ascent(method))

    def body(x, _):
        xn = step(params, x, eta, rho)
        return xn, xn

    _, xs = jax.lax.scan(body, jnp.asarray(x0, jnp.float64), None, length=T)
    return jnp.concatenate([jnp.asarray(x0, jnp.float64)[None], xs], axis=0)


def run_batch(grad, params, x0, eta, rho, T: int, method: str = "sam"):
    """:func:`run` vmapped over a leading batch axis of ``params``, ``x0``, ``eta`` and ``rho``
    (instances x step sizes x radii flattened into one axis). Returns (B, T+1, d)."""
    return jax.vmap(lambda p, x, e, r: run(grad, p, x, e, r, T, method))(params, x0, eta, rho)


@functools.partial(jit, static_argnames=("f", "grad", "T", "method"))
def trajectory_stats(f, grad, params, x0, eta, rho, T: int, method: str = "sam"):
    """``(f(x_t), ||grad f(x_t)||^2)`` for t = 0..T on one instance (two arrays of shape (T+1,)).

    These are the quantities of the per-step descent inequalities D1/D2 (docs/papers/sam.md#d1-d4-descent-bounds)."""
    xs = run(grad, params, x0, eta, rho, T, method)
    fs = jax.vmap(lambda x: f(params, x))(xs)
    gs = jax.vmap(lambda x: jnp.sum(grad(params, x) ** 2))(xs)
    return fs, gs


# ---------------------------------------------------------------------------------------- stochastic
def skewed_noise(key, shape, p, s1, s2):
    """Zero-mean two-point noise xi = +s1 w.p. p, -s2 w.p. 1-p (docs/papers/sam.md#l3-stochastic-floor; mean zero iff p*s1 = (1-p)*s2)."""
    u = rnd.uniform(key, shape)
    return jnp.where(u < p, s1, -s2)


@functools.partial(jit, static_argnames=("T", "tail", "n_chains", "mode"))
def stochastic_sam_tail_mean(key, lam, rho, eta, p, s1, s2, T: int, tail: int, n_chains: int,
                             mode: str = "n", x0=0.0):
    """Stochastic SAM on f(x) = (lam/2) x^2 with stochastic gradients lam*x + xi, xi from
    :func:`skewed_noise` (docs/papers/sam.md#l3-stochastic-floor; L3; Si & Yun's stochastic SAM, docs/papers/sam.md#algorithms).

    ``mode="n"``: n-SAM, the descent gradient uses an independent sample xi'_t; ``mode="m"``: m-SAM,
    the same sample xi_t for ascent and descent. The ascent is normalized, which in one dimension is
    y = x + rho * sign(lam*x + xi). ``n_chains`` chains run ``T`` steps from ``x0``; returns the mean of
    f(x_t) - f* = (lam/2) x_t^2 over the last ``tail`` steps and all chains. The scalar arguments
    (``lam``, ``rho``, ``eta``, ``p``, ``s1``, ``s2``) are traced, so callers ``jax.vmap`` over them;
    a shared ``key`` gives common random numbers across the batch."""
    if mode not in ("n", "m"):
        raise ValueError(f"mode must be 'n' (n-SAM) or 'm' (m-SAM), got {mode!r}")
    if not 0 < tail <= T:
        raise ValueError(f"tail must satisfy 0 < tail <= T, got tail={tail}, T={T}")

    def body(carry, k):
        x, acc, t = carry
        k1, k2 = jax.random.split(k)
        xi = skewed_noise(k1, (n_chains,), p, s1, s2)
        xi2 = xi if mode == "m" else skewed_noise(k2, (n_chains,), p, s1, s2)
        y = x + normalized_ascent_1d(lam * x + xi, rho)
        xn = x - eta * (lam * y + xi2)
        acc = acc + jnp.where(t >= T - tail, 0.5 * lam * xn ** 2, 0.0)
        return (xn, acc, t + 1), None

    keys = jax.random.split(key, T)
    xs = jnp.full((n_chains,), x0, jnp.float64)
    (_, acc, _), _ = jax.lax.scan(body, (xs, jnp.zeros(n_chains), 0), keys)
    return jnp.mean(acc) / tail


def normalized_ascent_1d(g, rho):
    """Elementwise 1-D normalized ascent ``rho * sign(g)`` (0 at g = 0), for batched scalar chains."""
    return rho * jnp.sign(g)


# ------------------------------------------------------------------------------------------ problems
class Problem(NamedTuple):
    """A family of test functions: ``f(params, x)``, ``grad(params, x)``, a batch of ``params``,
    and per-instance smoothness constants ``beta`` (valid upper bounds) and lower bounds ``f_lb``."""
    f: Callable
    grad: Callable
    params: object
    beta: np.ndarray
    f_lb: np.ndarray


def _cos_f(params, x):
    a, W, c = params
    return jnp.sum(a * jnp.cos(W @ x)) + 0.5 * c * jnp.sum(x ** 2)


_cos_grad = jax.grad(_cos_f, argnums=1)


def cosine_sum_problem(seed: int, n_instances: int, d: int = 5, m: int = 8, c: float = 0.1) -> Problem:
    """Random smooth nonconvex functions f(x) = sum_i a_i cos(w_i^T x) + (c/2)||x||^2 (an instance family of ours, docs/papers/sam.md#what-we-check).

    a_i ~ N(0,1), w_i ~ N(0, I_d), drawn from ``numpy.random.default_rng(seed)``. Smoothness
    beta = sum_i |a_i| ||w_i||^2 + c (an upper bound on ||Hessian||) and lower bound f_lb = -sum_i |a_i|."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_instances, m))
    W = rng.standard_normal((n_instances, m, d))
    beta = np.sum(np.abs(a) * np.sum(W ** 2, -1), -1) + c
    f_lb = -np.sum(np.abs(a), -1)
    params = (jnp.asarray(a), jnp.asarray(W), jnp.full((n_instances,), c))
    return Problem(_cos_f, _cos_grad, params, beta, f_lb)


def _logistic_f(params, x):
    Z, yv, mu = params
    return jnp.mean(jnp.logaddexp(0.0, -yv * (Z @ x))) + 0.5 * mu * jnp.sum(x ** 2)


_logistic_grad = jax.grad(_logistic_f, argnums=1)


def logistic_problem(seed: int, n_instances: int, n: int = 50, d: int = 5, mu: float = 0.0) -> Problem:
    """L2-regularized logistic regression f(x) = (1/n) sum log(1 + exp(-y_i z_i^T x)) + (mu/2)||x||^2
    on Gaussian features with labels from a noisy random teacher (ours, docs/papers/sam.md#what-we-check), drawn from
    ``numpy.random.default_rng(seed)``. Smoothness beta = ||Z||_2^2 / (4n) + mu; lower bound f_lb = 0."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n_instances, n, d))
    w = rng.standard_normal((n_instances, d))
    yv = np.sign(np.einsum("bnd,bd->bn", Z, w) + rng.standard_normal((n_instances, n)))
    yv[yv == 0] = 1.0
    beta = np.linalg.norm(Z, ord=2, axis=(1, 2)) ** 2 / (4 * n) + mu
    params = (jnp.asarray(Z), jnp.asarray(yv), jnp.full((n_instances,), mu))
    return Problem(_logistic_f, _logistic_grad, params, beta, np.zeros(n_instances))


def logistic_minimum(params, iters: int = 50) -> np.ndarray:
    """f* of each regularized logistic instance (mu > 0) of a batch, by Newton's method from 0 in numpy
    (converges to machine precision; d is small)."""
    Z, yv, mu = (np.asarray(a) for a in params)
    out = []
    for Zb, yb, mb in zip(Z, yv, mu):
        n, d = Zb.shape
        x = np.zeros(d)
        for _ in range(iters):
            m = yb * (Zb @ x)
            s = 0.5 * (1 - np.tanh(0.5 * m))            # sigmoid(-m), stable
            g = -(Zb.T @ (yb * s)) / n + mb * x
            H = (Zb.T * (s * (1 - s))) @ Zb / n + mb * np.eye(d)
            x = x - np.linalg.solve(H, g)
        out.append(np.mean(np.logaddexp(0.0, -yb * (Zb @ x))) + 0.5 * mb * x @ x)
    return np.array(out)


def _quad_f(A, x):
    return 0.5 * x @ (A @ x)


def _quad_grad(A, x):
    return A @ x


quadratic = (_quad_f, _quad_grad)
"""(f, grad) of f(x) = 0.5 x^T A x with ``params = A``."""


def _stuck_f(params, x):
    beta, rho = params
    return jnp.sum(-(4 * beta * rho ** 2 / (9 * jnp.pi ** 2)) * jnp.cos(3 * jnp.pi * x / (2 * rho)))


stuck_cosine = (_stuck_f, jax.grad(_stuck_f, argnums=1))
"""(f, grad) of the stuck-point example f(x) = -(4 beta rho^2/(9 pi^2)) cos(3 pi x/(2 rho)) (docs/papers/sam.md#l2-stuck-point),
``params = (beta, rho)``; x has shape (1,)."""


def _sq_wave_grad(params, x):
    beta, rho = params
    z = jnp.mod(x + rho, 4 * rho) - rho          # z in [-rho, 3 rho)
    return jnp.where(z <= rho, -beta * z, beta * (z - 2 * rho))


def _sq_wave_f(params, x):
    beta, rho = params
    z = jnp.mod(x + rho, 4 * rho) - rho
    return jnp.sum(jnp.where(z <= rho, beta * rho ** 2 - 0.5 * beta * z ** 2,
                             0.5 * beta * (z - 2 * rho) ** 2))


square_wave_curvature = (_sq_wave_f, _sq_wave_grad)
"""(f, grad) of the 4rho-periodic function whose curvature is the square wave f'' = -beta on
|z| < rho, +beta on rho < z < 3 rho (z = x mod 4 rho). It is beta-smooth, nonconvex, bounded below by 0.
From x_0 = -rho SAM is stuck (y = 0 is a stationary point) with |f'(x_0)| = beta*rho, which makes the
per-step inequality D1 hold with equality (our construction, docs/papers/sam.md#d1-d4-descent-bounds). ``params = (beta, rho)``."""


def _xy_f(params, z):
    return (z[0] * z[1] - 1.0) ** 2


xy_problem = (_xy_f, jax.grad(_xy_f, argnums=1))
"""(f, grad) of the paper's Figure-1 function f(x, y) = (xy - 1)^2 (confirmed from a reproducibility report's
Figure 1 caption, not from the abstract; the start point and step sizes used with it are ours). ``params``
unused, pass 0.0."""


# ------------------------------------------------------------------- stochastic SAM: one step, chains
@functools.partial(jit, static_argnames=("f", "grad"))
def stochastic_step_values(f, grad, params, x, eta, rho, xi_a, xi_d):
    """f(x+) of one stochastic SAM step for each pair (xi_a[k], xi_d[k]) of gradient-noise draws
    (Si & Yun's stochastic SAM, docs/papers/sam.md#algorithms) with additive noise:
    g~ = grad f(x) + xi_a, y = x + rho g~/||g~||, x+ = x - eta (grad f(y) + xi_d).
    n-SAM passes independent draws (xi_d independent of xi_a), m-SAM the same draw (xi_d = xi_a; the
    per-sample loss f + <xi, .> is then beta-smooth whenever f is). ``xi_a``, ``xi_d``: (K, d);
    returns (K,). Weighting the values by the draws' probabilities gives E[f(x+) | x]."""
    def one(a, d_):
        y = x + normalized_ascent(grad(params, x) + a, rho)
        return f(params, x - eta * (grad(params, y) + d_))
    return jax.vmap(one)(xi_a, xi_d)


def two_point_pairs(v, p, s1, s2, mode):
    """The exact law of two-point noise xi = +s1 v w.p. p, -s2 v w.p. 1 - p (mean zero iff
    p s1 = (1 - p) s2; E||xi||^2 = (p s1^2 + (1-p) s2^2) ||v||^2) as weighted pairs of draws for
    :func:`stochastic_step_values`: ``mode="n"`` (n-SAM, independent ascent and descent draws) gives the
    4 pairs, ``mode="m"`` (m-SAM, one draw) the 2 pairs. Returns (xi_a, xi_d, weights) as NumPy arrays."""
    if mode not in ("n", "m"):
        raise ValueError(f"mode must be 'n' (n-SAM) or 'm' (m-SAM), got {mode!r}")
    if not 0 < p < 1:
        raise ValueError(f"p must satisfy 0 < p < 1, got {p}")
    v = np.asarray(v, float)
    pts, w = np.stack([s1 * v, -s2 * v]), np.array([p, 1 - p])
    if mode == "m":
        return pts, pts, w
    i, j = np.meshgrid([0, 1], [0, 1], indexing="ij")
    return pts[i.ravel()], pts[j.ravel()], (w[:, None] * w[None, :]).ravel()
