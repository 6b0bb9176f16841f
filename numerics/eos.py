"""Full-parameter GD simulations for the Edge-of-Stability slice (arXiv:2307.04204, Song & Yun 2023).

The model classes are the paper's (confirmed from the paper's abstract: a two-layer linear network and a
single neuron, each on one data point; the exact single-neuron model is ours) and the slides' toy l(xy);
the measurements are our reparameterisation (docs/papers/eos.md#canonical-reparameterisation):

* residual p_t = f(x; theta_t) - y,
* q_t = 2 / (eta ||grad_theta f(x; theta_t)||^2), by autodiff of the model output,
* sharpness lambda_max(grad^2 L(theta_t)), the top eigenvalue of the *actual* Hessian
  (:func:`sharpness_hvp`: Lanczos with full reorthogonalisation on :func:`numerics.hessian.hvp`,
  jittable inside ``lax.scan``), never a reduced formula.

Everything is float64, jitted, ``lax.scan`` over steps and ``vmap`` over (initialisation, step size)
pairs. This module never imports ``theory``.

Losses (even, l''(0) = 1): ``logcosh`` log cosh p, ``sqrt`` sqrt(1+p^2) - 1, ``squared`` p^2/2.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .hessian import hvp
from .linalg import tridiag_max_eig
from . import random as rnd
from .jit import jit

__all__ = ["LOSSES", "ACTIVATIONS", "loss_fn", "lanczos_top", "top_eigenvalue", "sharpness_hvp", "linear_net_output", "init_linear_net",
           "imbalanced_init", "gd_linear_net", "gd_toy", "gd_neuron", "scalar_gd_orbits",
           "scalar_gd_orbits_python"]


def _logcosh(z):
    a = jnp.abs(z)
    return a + jnp.log1p(jnp.exp(-2.0 * a)) - jnp.log(2.0)


LOSSES = {
    "logcosh": _logcosh,
    "sqrt": lambda z: jnp.sqrt(1.0 + z * z) - 1.0,
    "squared": lambda z: 0.5 * z * z,
}
ACTIVATIONS = {"tanh": jnp.tanh}


def loss_fn(name: str):
    """The scalar loss l(p) named ``name`` (the loss library of docs/papers/eos.md#canonical-reparameterisation)."""
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {name!r}")
    return LOSSES[name]


def linear_net_output(theta, x, m: int, d: int):
    """f(x; U, v) = v^T U x for the flat parameter theta = (vec U (m*d), v (m)) (docs/papers/eos.md#exact-reduction)."""
    U = theta[: m * d].reshape(m, d)
    v = theta[m * d:]
    # written with elementwise products and sums (not matmuls): under vmap, XLA-CPU fuses these, while
    # batched tiny matmuls run ~10x slower
    return jnp.sum(v * jnp.sum(U * x, axis=1))


def init_linear_net(key, m: int, d: int, scale_U: float, scale_v: float, n: int = 1):
    """``n`` random flat initialisations of the linear net: U ~ scale_U N(0,1), v ~ scale_v N(0,1)."""
    kU, kv = jax.random.split(key)
    U = scale_U * rnd.normal(kU, (n, m * d), dtype=jnp.float64)
    v = scale_v * rnd.normal(kv, (n, m), dtype=jnp.float64)
    return jnp.concatenate([U, v], axis=1)


def imbalanced_init(key, m: int, d: int, D: float, eps: float = 1e-3, n: int = 1):
    """Imbalanced initialisation of docs/papers/eos.md#exact-reduction: ||v_0||^2 = D (random direction), U_0 = eps N(0,1) ~ 0,
    so that the gradient-flow invariant ||v||^2 - ||Ux||^2 is ~D."""
    if D < 0:
        raise ValueError(f"D must be >= 0 (D = ||v||^2 - ||Ux||^2 at init), got {D}")
    kU, kv = jax.random.split(key)
    U = eps * rnd.normal(kU, (n, m * d), dtype=jnp.float64)
    v = rnd.normal(kv, (n, m), dtype=jnp.float64)
    v = v / jnp.linalg.norm(v, axis=1, keepdims=True) * jnp.sqrt(D)
    return jnp.concatenate([U, v], axis=1)


def _check(steps, sharp_every, etas):
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if sharp_every < 0 or (sharp_every and steps % sharp_every):
        raise ValueError(f"sharp_every must be 0 (no sharpness) or a divisor of steps ({steps}), "
                         f"got {sharp_every}")
    if not np.all(np.asarray(etas) > 0):
        raise ValueError("eta must be positive for every run")


def lanczos_top(matvec, dim: int, dtype=jnp.float64, k: int = 30):
    """Largest eigenvalue of a symmetric operator given by ``matvec`` by ``min(k, dim)`` Lanczos steps with
    full reorthogonalisation (jittable, vmappable), as Cohen et al. (2021) measure sharpness from HVPs.

    The top Ritz value never exceeds lambda_max and equals it once the Krylov space holds the top
    eigenvector (exact for dim <= k; in our models the top eigenvalue ~2/eta is separated from the rest,
    |l'(p)| ||grad^2 f|| <= ~1, so a few steps already give machine precision; the tests compare with a dense
    ``eigvalsh``). If the Krylov space becomes invariant early, the remaining Lanczos vectors are 0 and the
    padding Ritz values are 0, so the result is max(lambda_max, 0) (sharpness is >= 0 in our models)."""
    k = min(k, dim)
    v0 = jnp.cos(1.3 * jnp.arange(dim, dtype=dtype) + 0.4)
    v0 = v0 / jnp.linalg.norm(v0)
    V0 = jnp.zeros((k, dim), dtype).at[0].set(v0)

    def body(j, carry):
        V, al, be = carry
        v = V[j]
        w = matvec(v)
        a = v @ w
        w = w - V.T @ (V @ w)
        w = w - V.T @ (V @ w)
        b = jnp.linalg.norm(w)
        good = b > 1e-12 * jnp.maximum(jnp.abs(a), 1.0)
        nxt = jnp.where(good, w / jnp.where(b > 0, b, 1.0), 0.0)
        V = jnp.where(j + 1 < k, V.at[jnp.minimum(j + 1, k - 1)].set(nxt), V)
        return V, al.at[j].set(a), be.at[j].set(jnp.where(good, b, 0.0))

    _, al, be = lax.fori_loop(0, k, body, (V0, jnp.zeros(k, dtype), jnp.zeros(k, dtype)))
    # top Ritz value without LAPACK: a batched in-graph eigvalsh can deadlock XLA's CPU pool
    return tridiag_max_eig(al, be[:-1])


def top_eigenvalue(H, k: int = 30):
    """Largest eigenvalue of a dense symmetric matrix ``H`` by :func:`lanczos_top` (jittable)."""
    return lanczos_top(lambda v: H @ v, H.shape[0], H.dtype, k)


def sharpness_hvp(loss, theta, k: int = 30):
    """lambda_max(grad^2 loss(theta)) by Lanczos on Hessian-vector products
    (:func:`numerics.hessian.hvp`); jittable and vmappable, unlike the scipy-based
    :func:`numerics.hessian.sharpness`."""
    return lanczos_top(lambda v: hvp(loss, theta, v), theta.shape[0], theta.dtype, k)


def _trajectory(f, ell, theta0, eta, target, steps, sharp_every, record_theta):
    """GD theta <- theta - eta grad l(f(theta) - target); records p, q each step and the sharpness every
    ``sharp_every`` steps (and at the last step)."""
    L = lambda th: ell(f(th) - target)
    gradL = jax.grad(L)
    gradf = jax.grad(f)

    def meas(th):
        gf = gradf(th)
        return f(th) - target, 2.0 / (eta * (gf @ gf))

    def sharp(th):
        return sharpness_hvp(L, th)

    def step(th, _):
        p, q = meas(th)
        out = (p, q, th) if record_theta else (p, q)
        return th - eta * gradL(th), out

    if sharp_every == 0:                     # no sharpness: one plain scan
        thT, out = lax.scan(step, theta0, None, length=steps)
        s_all = jnp.zeros((0,), theta0.dtype)
    else:
        def chunk(th, _):
            s = sharp(th)
            th, out = lax.scan(step, th, None, length=sharp_every)
            return th, (out, s)

        thT, (out, s) = lax.scan(chunk, theta0, None, length=steps // sharp_every)
        s_all = jnp.append(s, sharp(thT))
    pT, qT = meas(thT)
    res = {"p": jnp.append(out[0].reshape(-1), pT), "q": jnp.append(out[1].reshape(-1), qT),
           "sharpness": s_all, "theta_T": thT}
    if record_theta:
        res["theta"] = jnp.concatenate([out[2].reshape(-1, theta0.shape[0]), thT[None]], axis=0)
    return res


@functools.partial(jit, static_argnames=("m", "d", "loss", "steps", "sharp_every", "record_theta"))
def _gd_linear(theta0s, etas, x, ys, m, d, loss, steps, sharp_every, record_theta):
    f = lambda th: linear_net_output(th, x, m, d)
    ell = LOSSES[loss]
    run = lambda th, et, yy: _trajectory(f, ell, th, et, yy, steps, sharp_every, record_theta)
    return jax.vmap(run)(theta0s, etas, ys)


def gd_linear_net(theta0s, etas, x, y, *, m: int, d: int, loss: str = "logcosh", steps: int = 200,
                  sharp_every: int | None = None, record_theta: bool = False) -> dict:
    """GD on L(U, v) = l(v^T U x - y) for a batch of (initialisation, step size) pairs (docs/papers/eos.md#exact-reduction).

    theta0s (B, m*d + m) flat initialisations (see :func:`init_linear_net`), etas (B,) or scalar step
    sizes eta, x (d,) the data point, y scalar or (B,) targets. Returns numpy arrays: ``p`` and ``q``
    (B, steps+1) with p = f - y and q = 2/(eta ||grad f||^2); ``sharpness`` (B, steps/sharp_every + 1),
    the top Hessian eigenvalue at steps 0, k, 2k, ..., steps with k = ``sharp_every`` (default: steps; 0
    records no sharpness); ``theta_T`` (B, P); ``theta`` (B, steps+1, P) if ``record_theta``."""
    loss_fn(loss)
    theta0s = jnp.atleast_2d(jnp.asarray(theta0s, dtype=jnp.float64))
    B, P = theta0s.shape
    if P != m * d + m:
        raise ValueError(f"theta0s must have m*d + m = {m * d + m} columns, got {P}")
    x = jnp.asarray(x, dtype=jnp.float64)
    if x.shape != (d,):
        raise ValueError(f"x must have shape ({d},), got {x.shape}")
    etas = jnp.broadcast_to(jnp.asarray(etas, dtype=jnp.float64), (B,))
    ys = jnp.broadcast_to(jnp.asarray(y, dtype=jnp.float64), (B,))
    sharp_every = steps if sharp_every is None else sharp_every
    _check(steps, sharp_every, etas)
    out = _gd_linear(theta0s, etas, x, ys, m, d, loss, steps, sharp_every, record_theta)
    return {k: np.asarray(v) for k, v in out.items()}


def gd_toy(xy0, etas, *, loss: str = "logcosh", steps: int = 200, sharp_every: int | None = None,
           record_theta: bool = False) -> dict:
    """GD on the slides' toy L(x, y) = l(xy) (docs/papers/eos.md#what-the-paper-states; confirmed from the NeurIPS slides): the linear net with m = d = 1,
    input 1 and target 0. ``xy0`` (B, 2) rows (x_0, y_0). Same outputs as :func:`gd_linear_net`."""
    xy0 = jnp.atleast_2d(jnp.asarray(xy0, dtype=jnp.float64))
    if xy0.shape[1] != 2:
        raise ValueError(f"xy0 must have 2 columns (x_0, y_0), got shape {xy0.shape}")
    return gd_linear_net(xy0, etas, jnp.ones(1), 0.0, m=1, d=1, loss=loss, steps=steps,
                         sharp_every=sharp_every, record_theta=record_theta)


@functools.partial(jit, static_argnames=("act", "steps", "sharp_every"))
def _gd_neuron(uv0, etas, act, steps, sharp_every):
    sig = ACTIVATIONS[act]
    f = lambda th: th[1] * sig(th[0])
    run = lambda th, et: _trajectory(f, LOSSES["squared"], th, et, 0.0, steps, sharp_every, True)
    return jax.vmap(run)(uv0, etas)


def gd_neuron(uv0, etas, *, activation: str = "tanh", steps: int = 200,
              sharp_every: int | None = None) -> dict:
    """GD on the single neuron L(u, v) = (v sigma(u))^2 / 2 (x = 1, target 0, squared loss; docs/papers/eos.md#single-neuron-model; our reconstruction).

    ``uv0`` (B, 2) rows (u_0, v_0). Returns ``theta`` (B, steps+1, 2) (columns u, v), ``p`` = f, ``q`` =
    2/(eta ||grad f||^2) and the Hessian ``sharpness`` as in :func:`gd_linear_net`."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}, got {activation!r}")
    uv0 = jnp.atleast_2d(jnp.asarray(uv0, dtype=jnp.float64))
    if uv0.shape[1] != 2:
        raise ValueError(f"uv0 must have 2 columns (u_0, v_0), got shape {uv0.shape}")
    etas = jnp.broadcast_to(jnp.asarray(etas, dtype=jnp.float64), (uv0.shape[0],))
    sharp_every = steps if sharp_every is None else sharp_every
    _check(steps, sharp_every, etas)
    out = _gd_neuron(uv0, etas, activation, steps, sharp_every)
    return {k: np.asarray(v) for k, v in out.items()}


# ------------------------------------------------------------------ 1-D orbit diagrams

def _scalar_loss(name):
    if name in LOSSES:
        return LOSSES[name]
    if name.startswith("neuron_") and name[7:] in ACTIVATIONS:
        sig = ACTIVATIONS[name[7:]]
        return lambda z: 0.5 * sig(z) ** 2
    raise ValueError(f"loss must be one of {tuple(LOSSES)} or 'neuron_<activation>' with activation in "
                     f"{tuple(ACTIVATIONS)}, got {name!r}")


@functools.partial(jit, static_argnames=("loss", "n_iter", "n_keep"))
def _orbits(lrs, p0, loss, n_iter, n_keep):
    dl = jax.grad(_scalar_loss(loss))

    def one(lr):
        step = lambda z, _: (z - lr * dl(z), None)
        z, _ = lax.scan(step, p0, None, length=n_iter - n_keep)
        keep = lambda z, _: (z - lr * dl(z), z)
        _, zs = lax.scan(keep, z, None, length=n_keep)
        return zs

    return jax.vmap(one)(lrs)


def scalar_gd_orbits(loss: str, lrs, *, p0: float = 0.3, n_iter: int = 2000, n_keep: int = 64):
    """Attractor of 1-D GD z <- z - lr * l'(z) for each step size in ``lrs`` (one jitted vmapped scan).

    With lr = 2/q this is the canonical map g_q(p) = p - (2/q) l'(p) of docs/papers/eos.md#canonical-reparameterisation (the orbit diagram);
    with ``loss="neuron_tanh"`` (l = tanh(u)^2/2) it is the single neuron's u-map at frozen v
    (docs/papers/eos.md#single-neuron-model).
    Returns (len(lrs), n_keep): the last ``n_keep`` of ``n_iter`` iterates."""
    _scalar_loss(loss)
    if not 0 < n_keep <= n_iter:
        raise ValueError(f"n_keep must satisfy 0 < n_keep <= n_iter ({n_iter}), got {n_keep}")
    lrs = jnp.asarray(lrs, dtype=jnp.float64)
    return np.asarray(_orbits(lrs, jnp.float64(p0), loss, n_iter, n_keep))


def scalar_gd_orbits_python(loss: str, lrs, *, p0: float = 0.3, n_iter: int = 2000, n_keep: int = 64):
    """The same iteration as :func:`scalar_gd_orbits` as a plain Python loop (benchmark baseline).
    Supports ``logcosh`` (l' = tanh), ``sqrt`` and ``squared``."""
    import math
    dl = {"logcosh": math.tanh, "sqrt": lambda z: z / math.sqrt(1.0 + z * z),
          "squared": lambda z: z}.get(loss)
    if dl is None:
        raise ValueError(f"python baseline supports logcosh, sqrt, squared; got {loss!r}")
    out = np.empty((len(lrs), n_keep))
    for i, lr in enumerate(np.asarray(lrs, dtype=float)):
        z = float(p0)
        for t in range(n_iter):
            if t >= n_iter - n_keep:
                out[i, t - (n_iter - n_keep)] = z
            z = z - lr * dl(z)
    return out
