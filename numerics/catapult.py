"""Simulations for *Large Catapults in Momentum Gradient Descent with Warmup: An Empirical Study*
(Phunyaphibarn et al., arXiv:2311.15051).

Everything runs in float64 under ``jax.lax.scan`` and is vmapped over instances; nothing here knows a
stability threshold (thresholds live in :mod:`theory.catapult`, the claims put the two together).

* Optimisers (:func:`momentum_optimizer`) are built from optax pieces. The paper's eq. (1), Polyak heavy ball
  (PHB) ``w_{t+1} = w_t - eta_t grad L(w_t) + beta (w_t - w_{t-1})``, is ``chain(scale_by_learning_rate(eta_t),
  trace(beta))``: the learning rate is applied *before* the momentum buffer, so the buffer is the last
  displacement ``w_t - w_{t-1}`` (this reading of where eta_t sits in eq. (1) under a varying learning rate
  is recalled, not confirmed; docs/papers/catapult.md#what-the-paper-states). ``optax.sgd(eta_t, momentum=beta)`` (= PyTorch ``SGD``) applies the learning
  rate *after* the buffer, ``w_{t+1} = w_t - eta_t (g_t + beta b_{t-1})``: identical for a constant learning
  rate, different while ``eta_t`` changes (warm-up). Both are available (``convention="paper"`` or
  ``"optax_sgd"``), plus the EMA convention ``m <- beta m + (1 - beta) g, w <- w - eta m`` (``"ema"``).
  Nesterov (docs/papers/catapult.md#jury-thresholds: ``y_t = w_t + beta (w_t - w_{t-1}), w_{t+1} = y_t - eta grad L(y_t)``) is
  ``trace(beta, nesterov=True)``; its iterates are the look-ahead points ``y_t``.
* Schedules (:func:`lr_schedule`): constant or linear warm-up (optax schedules).
* Models: the toy ``L(x, y) = (x y)^2 / 2`` (docs/papers/catapult.md#toy-t, toy T); the linear diagonal network
  ``f(x) = <u * v, x>`` with ``L = mean((f - y)^2)/2`` (docs/papers/catapult.md#diagonal-network; n = 40, d = 100, 5-sparse ``w*``, init
  ``u = v = 1``); a small tanh MLP on synthetic 10-class data (our negative result,
  docs/papers/catapult.md#tanh-mlp). These settings are ours, not the paper's.
* Measurements: dense-Hessian sharpness along a trajectory, the normalised sharpness ``S eta / (2(1+beta))``,
  the spectral radius of one optimiser step (Jacobian of the optax update on a quadratic), and the
  self-stabilisation stage model (docs/papers/catapult.md#stage-model) simulated from its update equations.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax
from jax.flatten_util import ravel_pytree

from . import hessian as _hessian
from .linalg import sym2_max_eig
from . import random as rnd
from .jit import jit

__all__ = [
    "METHODS", "CONVENTIONS", "lr_schedule", "momentum_optimizer", "train", "train_batch",
    "toy_loss", "toy_sharpness", "diagonal_network_data", "diagonal_network_loss", "diagonal_network_init",
    "normalised_sharpness", "sharpness_along", "one_step_spectral_radius", "stage_model_step",
    "simulate_stage_model",
    "mlp_data", "mlp_loss_fn", "mlp_init",
]

METHODS = ("gd", "heavy_ball", "nesterov")
CONVENTIONS = ("paper", "optax_sgd", "ema")


# ----------------------------------------------------------------------------------- optimisers
def lr_schedule(eta, warmup: int = 0):
    """Learning-rate schedule ``eta_t`` (paper eq. (1) allows a time-varying ``eta_t``): constant ``eta`` for
    ``warmup <= 1``, else the linear warm-up ``eta_t = eta (t + 1)/warmup`` for ``t < warmup`` and ``eta``
    after (``optax.linear_schedule``, evaluated on a float64 step count). ``eta`` may be a traced JAX value."""
    if int(warmup) != warmup or warmup < 0:
        raise ValueError(f"warmup must be a non-negative integer number of steps; got {warmup!r}")
    if warmup <= 1:
        return optax.constant_schedule(eta)
    base = optax.linear_schedule(init_value=eta / warmup, end_value=eta, transition_steps=warmup - 1)
    # optax counts steps in int32 and the schedule then evaluates in float32 (eta_t off by ~1e-7 relative);
    # evaluate it on a float64 count so the whole run stays float64
    return lambda count: base(jnp.asarray(count, dtype=jnp.float64))


def momentum_optimizer(schedule, beta, method: str = "heavy_ball", convention: str = "paper"):
    """optax transformation of GD, heavy ball (PHB, paper eq. (1)) or Nesterov (docs/papers/catapult.md#jury-thresholds) with momentum
    ``beta`` and learning-rate schedule ``schedule`` (a float or an optax schedule).

    ``convention``: ``"paper"`` = ``chain(scale_by_learning_rate, trace(beta))`` (exactly eq. (1) also for a
    varying learning rate); ``"optax_sgd"`` = ``optax.sgd(schedule, momentum=beta, nesterov=...)`` (PyTorch's
    convention; equal to eq. (1) for a constant rate); ``"ema"`` = ``chain(ema(beta, debias=False),
    scale_by_learning_rate)``, i.e. ``m <- beta m + (1 - beta) g``. ``method="gd"`` ignores ``beta``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}; got {convention!r}")
    if isinstance(beta, (int, float)) and not 0.0 <= beta < 1.0:
        raise ValueError(f"beta (momentum) must satisfy 0 <= beta < 1; got {beta!r}")
    nesterov = method == "nesterov"
    if method == "gd":
        return optax.sgd(schedule)
    if convention == "paper":
        return optax.chain(optax.scale_by_learning_rate(schedule), optax.trace(decay=beta, nesterov=nesterov))
    if convention == "optax_sgd":
        return optax.sgd(schedule, momentum=beta, nesterov=nesterov)
    if nesterov:
        raise ValueError("convention 'ema' is defined for method 'heavy_ball' only")
    return optax.chain(optax.ema(decay=beta, debias=False), optax.scale_by_learning_rate(schedule))


@functools.partial(jit, static_argnames=("loss_fn", "method", "warmup", "steps", "convention",
                                             "record_every"))
def train(loss_fn, w0, data, eta, beta, *, method="heavy_ball", warmup=0, steps=1000, convention="paper",
          record_every=1):
    """Run ``steps`` full-batch steps of :func:`momentum_optimizer` on ``loss_fn(w, data)`` from ``w0`` (with
    ``w_{-1} = w0``, zero momentum buffer) inside ``lax.scan``.

    Returns a dict: ``loss`` (steps,) the loss *before* each step; ``w`` (steps // record_every + 1, p) the
    iterate at steps 0, record_every, 2 record_every, ...; ``w_final``; ``final_loss``.
    """
    if steps % record_every:
        raise ValueError(f"steps ({steps}) must be a multiple of record_every ({record_every})")
    opt = momentum_optimizer(lr_schedule(eta, warmup), beta, method, convention)
    vg = jax.value_and_grad(loss_fn)

    def step(carry, _):
        w, s = carry
        val, g = vg(w, data)
        u, s = opt.update(g, s, w)
        return (optax.apply_updates(w, u), s), val

    def chunk(carry, _):
        carry, vals = lax.scan(step, carry, None, length=record_every)
        return carry, (carry[0], vals)

    (w, _), (ws, vals) = lax.scan(chunk, (w0, opt.init(w0)), None, length=steps // record_every)
    return {"loss": vals.reshape(-1), "w": jnp.concatenate([w0[None], ws]), "w_final": w,
            "final_loss": loss_fn(w, data)}


def train_batch(loss_fn, w0, data, eta, beta, **kw):
    """:func:`train` vmapped over a leading axis of ``w0``, ``data`` (a pytree), ``eta`` and ``beta``
    (every one batched; broadcast them first)."""
    return jax.vmap(lambda a, b, c, d: train(loss_fn, a, b, c, d, **kw))(w0, data, eta, beta)


# ----------------------------------------------------------------------------------------- models
def toy_loss(w, data=None):
    """Toy T of docs/papers/catapult.md#toy-t: ``L(x, y) = (x y)^2 / 2`` with ``w = (x, y)``. The minimisers are ``{x = 0}``
    (and ``{y = 0}``), and the sharpness at ``(0, y)`` is ``y^2``."""
    return 0.5 * (w[0] * w[1]) ** 2


def toy_sharpness(w):
    """Largest eigenvalue of the toy's 2x2 Hessian at ``w`` (vmappable; ``w`` of shape (..., 2)).
    The Hessian is ``[[y^2, 2xy], [2xy, x^2]]``, computed by autodiff."""
    H = jax.hessian(toy_loss)
    f = lambda v: sym2_max_eig(H(v))  # closed form: no batched LAPACK call in the graph
    w = jnp.asarray(w)
    return jax.vmap(f)(w.reshape(-1, 2)).reshape(w.shape[:-1])


def diagonal_network_data(seed: int, n: int = 40, d: int = 100, k: int = 5):
    """Sparse regression data of docs/papers/catapult.md#diagonal-network: ``X ~ N(0, 1)^{n x d}``, ``w*`` with ``k`` nonzeros of +-1 at random
    positions, ``y = X w*``. Returns ``{"X", "y", "w_star"}`` (float64), all from ``PRNGKey(seed)``."""
    if not (n >= 1 and d >= 1 and 1 <= k <= d):
        raise ValueError(f"need n >= 1, d >= 1 and 1 <= k <= d; got n={n}, d={d}, k={k}")
    kx, ks, kp = jax.random.split(jax.random.PRNGKey(seed), 3)
    X = rnd.normal(kx, (n, d), dtype=jnp.float64)
    idx = jax.random.permutation(kp, d)[:k]
    signs = jnp.where(jax.random.bernoulli(ks, 0.5, (k,)), 1.0, -1.0)
    w_star = jnp.zeros(d, dtype=jnp.float64).at[idx].set(signs)
    return {"X": X, "y": X @ w_star, "w_star": w_star}


def diagonal_network_init(d: int = 100, scale: float = 1.0):
    """Initialisation ``u = v = scale * 1`` (docs/papers/catapult.md#diagonal-network: scale alpha = 1) as the flat vector ``(u, v)``."""
    return jnp.full(2 * d, float(scale), dtype=jnp.float64)


def diagonal_network_loss(theta, data):
    """Linear diagonal network (the model class of v3, docs/papers/catapult.md#diagonal-network): ``f(x) = <u * v, x>``, loss
    ``L(u, v) = mean_i (f(x_i) - y_i)^2 / 2`` with ``theta = (u, v)``."""
    d = data["X"].shape[1]
    u, v = theta[:d], theta[d:]
    r = data["X"] @ (u * v) - data["y"]
    return 0.5 * jnp.mean(r ** 2)


def mlp_data(seed: int, n: int = 256, d: int = 64, classes: int = 10, noise: float = 1.0):
    """Synthetic stand-in for the sklearn-digits set of a scratch run (docs/papers/catapult.md#tanh-mlp): ``n`` points in ``d`` dimensions,
    balanced classes with means ``N(0, I)`` and within-class noise ``noise * N(0, I)``, features scaled by
    ``1/sqrt(d)`` per unit; targets are one-hot (MSE). Returns ``{"X", "Y"}``."""
    km, kx, kc = jax.random.split(jax.random.PRNGKey(seed), 3)
    means = rnd.normal(km, (classes, d), dtype=jnp.float64)
    c = jnp.arange(n) % classes
    X = means[c] + noise * rnd.normal(kx, (n, d), dtype=jnp.float64)
    X = (X - X.mean(0)) / X.std(0)
    return {"X": X, "Y": jax.nn.one_hot(c, classes, dtype=jnp.float64)}


@functools.lru_cache(maxsize=None)
def mlp_loss_fn(widths: tuple):
    """Loss ``theta -> mean_i ||MLP(x_i) - Y_i||^2 / 2`` of a tanh MLP with layer ``widths`` (input first,
    output last) on a flat parameter vector; cached so the same widths give the same function object."""
    shapes = [(a, b) for a, b in zip(widths[:-1], widths[1:])]
    sizes = [a * b + b for a, b in shapes]
    offs = np.cumsum([0] + sizes)

    def loss(theta, data):
        h = data["X"]
        for i, (a, b) in enumerate(shapes):
            W = theta[offs[i]: offs[i] + a * b].reshape(a, b)
            c = theta[offs[i] + a * b: offs[i + 1]]
            h = h @ W + c
            if i < len(shapes) - 1:
                h = jnp.tanh(h)
        return 0.5 * jnp.mean(jnp.sum((h - data["Y"]) ** 2, axis=1))

    loss.num_params = int(offs[-1])
    return loss


def mlp_init(seed: int, widths: tuple):
    """LeCun-normal weights, zero biases, flattened in the order :func:`mlp_loss_fn` reads them."""
    keys = jax.random.split(jax.random.PRNGKey(seed), len(widths) - 1)
    parts = []
    for k, a, b in zip(keys, widths[:-1], widths[1:]):
        parts += [rnd.normal(k, (a * b,), dtype=jnp.float64) / math.sqrt(a), jnp.zeros(b)]
    return jnp.concatenate(parts)


# ----------------------------------------------------------------------------------- measurements
def normalised_sharpness(S, eta, beta):
    """``S eta / (2 (1 + beta))``: sharpness divided by the heavy-ball edge ``2(1 + beta)/eta`` (our working definition of a large catapult,
    docs/papers/catapult.md#large-catapult: the final value ends well under 1)."""
    return jnp.asarray(S) * eta / (2.0 * (1.0 + jnp.asarray(beta)))


def sharpness_along(loss_fn, ws, data):
    """Dense-Hessian sharpness (largest eigenvalue) at each row of ``ws`` (k, p), for small models (p up to a
    few hundred). Hessians by :func:`numerics.hessian.full_hessian` (vmapped, jitted), the top
    eigenvalue by LAPACK (``scipy.linalg.eigh`` restricted to the largest one; on CPU this is ~10x faster
    than ``jnp.linalg.eigvalsh``). Returns a numpy array (k,); NaN where the Hessian is not finite (diverged)."""
    import scipy.linalg

    ws = jnp.asarray(ws)
    Hs = np.asarray(_batched_hessian(loss_fn)(ws, data))
    p = ws.shape[1]
    return np.array([scipy.linalg.eigh(H, eigvals_only=True, subset_by_index=[p - 1, p - 1])[0]
                     if np.all(np.isfinite(H)) else np.nan for H in Hs])


@functools.lru_cache(maxsize=None)
def _batched_hessian(loss_fn):
    return jit(jax.vmap(lambda w, data: _hessian.full_hessian(lambda v: loss_fn(v, data), w),
                            in_axes=(0, None)))


def one_step_spectral_radius(method: str, eta: float, beta: float, lam: float, convention: str = "paper"):
    """Spectral radius of one optimiser step on ``L = lam w^2 / 2`` (constant learning rate): the Jacobian of
    the map ``(w, optimiser state) -> (w', state')`` of the optax update, by ``jax.jacfwd``, then its
    largest |eigenvalue| (numpy). The iteration is linearly stable iff this is < 1."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    J = np.asarray(_step_jacobian(method, convention)(float(eta), float(beta), float(lam)))
    return float(np.max(np.abs(np.linalg.eigvals(J))))


@functools.lru_cache(maxsize=None)
def _step_jacobian(method, convention):
    def jac(eta, beta, lam):
        opt = momentum_optimizer(eta, beta, method, convention)
        w0 = jnp.ones(1, dtype=jnp.float64)
        flat0, unravel = ravel_pytree((w0, opt.init(w0)))

        def F(flat):
            w, s = unravel(flat)
            u, s2 = opt.update(lam * w, s, w)
            return ravel_pytree((optax.apply_updates(w, u), s2))[0]

        return jax.jacfwd(F)(flat0)

    return jit(jac)


# ------------------------------------------------------------------------------------ stage model
def stage_model_step(x, y, x_prev, y_prev, eta, alpha, b_s, beta):
    """One step of the self-stabilisation stage model (docs/papers/catapult.md#stage-model; Damian, Nichani & Lee 2023 for beta = 0
    (recalled, not confirmed), momentum variant (our reconstruction)), written from its update equations:

    ``x_{t+1} = -(1 + beta + eta y_t) x_t - beta x_{t-1}``,
    ``y_{t+1} = y_t + eta (alpha - b_s x_t^2 / 2) + beta (y_t - y_{t-1})``,

    where ``x`` is the displacement along the top Hessian eigenvector, ``y`` the sharpness minus the
    optimiser's threshold, ``alpha`` the progressive-sharpening strength and ``b_s = ||grad S||^2``.
    Returns ``(x_{t+1}, y_{t+1})``; elementwise, so it broadcasts and vmaps."""
    xn = -(1.0 + beta + eta * y) * x - beta * x_prev
    yn = y + eta * (alpha - 0.5 * b_s * x ** 2) + beta * (y - y_prev)
    return xn, yn


@functools.partial(jit, static_argnames=("steps",))
def simulate_stage_model(x0, y0, eta, alpha, b_s, beta, *, steps: int):
    """Iterate :func:`stage_model_step` from ``x_{-1} = x_0 = x0``, ``y_{-1} = y_0 = y0`` inside ``lax.scan``.
    Returns ``(x, y)`` arrays of length ``steps + 1``. vmappable over all numeric arguments."""
    def step(c, _):
        x, y, xp, yp = c
        xn, yn = stage_model_step(x, y, xp, yp, eta, alpha, b_s, beta)
        return (xn, yn, x, y), (xn, yn)

    x0 = jnp.asarray(x0, dtype=jnp.float64)
    y0 = jnp.asarray(y0, dtype=jnp.float64)
    _, (xs, ys) = lax.scan(step, (x0, y0, x0, y0), None, length=steps)
    return jnp.concatenate([x0[None], xs]), jnp.concatenate([y0[None], ys])
