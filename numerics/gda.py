"""Simulations for Lee, Cho & Yun, "Fundamental Benefits of Alternating Updates in Minimax
Optimization" (arXiv:2402.10475): Sim-, Alt-, Alex-GDA and Extra-gradient (JAX, float64).

Alex-GDA (the paper's Algorithm 2), state (x_k, y_k, y~_k), y~_0 = y_0::

    x_{k+1}  = x_k - alpha grad_x f(x_k, y~_k)
    x~_{k+1} = x_k - gamma alpha grad_x f(x_k, y~_k)
    y_{k+1}  = y_k + beta grad_y f(x~_{k+1}, y_k)
    y~_{k+1} = y_k + delta beta grad_y f(x~_{k+1}, y_k)

Sim-GDA is (gamma, delta) = (0, 1) and Alt-GDA is (1, 1) (the poster's remark); the official code's
"SimGDA" is (1, 0), the same dynamics read at (x_{k+1}, y_k). Extra-gradient (Korpelevich) is the
reference method. Everything here is a pure function: ``lax.scan`` over iterations, ``vmap`` over
instances and step sizes. This module never imports ``theory``.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import numerics  # noqa: F401  (enables float64)
from .linalg import spectral_radius
from . import random as rnd
from .jit import jit

__all__ = [
    "GAMMA_DELTA", "make_step", "init_state", "run", "jacobian_at", "random_orthogonal",
    "random_scsc_quadratic", "quadratic_f", "three_block", "bilinear_matrix", "nonlinear_scsc",
    "block_step", "block_radius", "tune_steps", "diag_hitting", "sweep_hitting",
    "hitting_early", "official_instance", "official_instances", "official_grid",
    "OFFICIAL_FACTORS", "OFFICIAL_GD_GRID", "official_tuning", "official_eg_tuning", "tune_alex",
]

#: (gamma, delta) of the special cases, as the poster defines them.
GAMMA_DELTA = {"sim": (0.0, 1.0), "alt": (1.0, 1.0), "alex": (2.0, 1.0)}


def _gd(method, gamma, delta):
    if method in GAMMA_DELTA and method != "alex":
        return GAMMA_DELTA[method]
    if method == "alex":
        g0, d0 = GAMMA_DELTA["alex"]
        return (g0 if gamma is None else gamma), (d0 if delta is None else delta)
    raise ValueError(f"method must be 'sim', 'alt', 'alex' or 'eg', got {method!r}")


def make_step(f, method: str, alpha, beta, gamma=None, delta=None):
    """One iteration z -> z+ of ``method`` on any differentiable ``f(x, y)`` through ``jax.grad``
    (arXiv:2402.10475, Algorithms 1-2; extra-gradient for ``method="eg"``).

    The state is the tuple (x, y, y~) for every method (y~ is unused by sim/alt/eg and carried
    equal to y), so one scan/vmap code path serves all. ``gamma``, ``delta`` apply to ``alex``."""
    for name, v in (("alpha", alpha), ("beta", beta)):
        if isinstance(v, (int, float)) and not v >= 0:
            raise ValueError(f"step size {name} must be >= 0, got {v}")
    gx = jax.grad(f, argnums=0)
    gy = jax.grad(f, argnums=1)
    if method == "eg":
        def step(z):
            x, y, _ = z
            xh, yh = x - alpha * gx(x, y), y + beta * gy(x, y)
            x1, y1 = x - alpha * gx(xh, yh), y + beta * gy(xh, yh)
            return (x1, y1, y1)
        return step
    g, d = _gd(method, gamma, delta)

    def step(z):
        x, y, yt = z
        g_x = gx(x, yt)
        x1 = x - alpha * g_x
        xt = x - g * alpha * g_x
        g_y = gy(xt, y)
        return (x1, y + beta * g_y, y + d * beta * g_y)
    return step


def init_state(x0, y0):
    """Alex-GDA's initial state (x_0, y_0, y~_0 = y_0) (arXiv:2402.10475, Algorithm 2)."""
    x0, y0 = jnp.asarray(x0, jnp.float64), jnp.asarray(y0, jnp.float64)
    return (x0, y0, y0)


def run(f, x0, y0, n_steps: int, method: str, alpha, beta, gamma=None, delta=None):
    """Iterate ``method`` for ``n_steps`` with ``lax.scan``; returns (xs, ys, yts) of shape
    (n_steps + 1, d) including the initial point (arXiv:2402.10475, Alg. 1-2)."""
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    step = make_step(f, method, alpha, beta, gamma, delta)
    z0 = init_state(x0, y0)

    def body(z, _):
        z1 = step(z)
        return z1, z1
    _, traj = lax.scan(body, z0, None, length=n_steps)
    return tuple(jnp.concatenate([z0[i][None], traj[i]]) for i in range(3))


def jacobian_at(f, x0, y0, method, alpha, beta, gamma=None, delta=None):
    """Jacobian of one iteration at (x0, y0, y0), as a dense matrix on the stacked state
    (x, y, y~): for a quadratic f this is the exact iteration matrix, measured by autodiff."""
    step = make_step(f, method, alpha, beta, gamma, delta)
    dx, dy = jnp.size(x0), jnp.size(y0)

    def flat(v):
        z = step((v[:dx], v[dx:dx + dy], v[dx + dy:]))
        return jnp.concatenate(z)
    v0 = jnp.concatenate([jnp.asarray(x0, float), jnp.asarray(y0, float), jnp.asarray(y0, float)])
    return jax.jacfwd(flat)(v0)


# --------------------------------------------------------------------------- instances
def random_orthogonal(key, d):
    """Haar-random orthogonal d x d matrix (QR of a Gaussian with sign fix); used for the
    non-commuting SCSC instances of the arXiv:2402.10475 checks."""
    q, r = jnp.linalg.qr(rnd.normal(key, (d, d)))
    return q * jnp.sign(jnp.diag(r))[None, :]


def _spectrum(key, d, lo, hi):
    """d values with min exactly lo and max exactly hi (for d >= 2), the rest U(lo, hi)."""
    if d == 1:
        return jnp.array([lo])
    return jnp.concatenate([jnp.array([lo, hi]), rnd.uniform(key, (d - 2,), minval=lo,
                                                                       maxval=hi)])


def random_scsc_quadratic(key, d_x, d_y, mu_x, mu_y, L_x, L_y, L_xy, mu_xy=None):
    """Random SCSC quadratic f = x^T A x/2 + x^T B y - y^T C y/2 whose constants are attained
    exactly: eig(A) in [mu_x, L_x] with both ends attained, eig(C) in [mu_y, L_y], ||B|| = L_xy.
    A block of dimension 1 has the single eigenvalue mu (mu_x for A, mu_y for C): its L is then an
    upper bound, not attained (checked in tests/test_generator_constants.py).
    A, B, C use independent random rotations, so they do not commute (unlike the official code's
    simultaneously diagonalizable instances). ``mu_xy`` (default L_xy/10) is B's smallest
    singular value. Returns (A, B, C)."""
    if d_x < 1 or d_y < 1:
        raise ValueError(f"dimensions must be >= 1, got d_x={d_x}, d_y={d_y}")
    vals = (mu_x, mu_y, L_x, L_y, L_xy)
    if all(isinstance(v, (int, float)) for v in vals) and not (
            0 < mu_x <= L_x and 0 < mu_y <= L_y and L_xy >= 0):
        raise ValueError("need 0 < mu_x <= L_x, 0 < mu_y <= L_y, L_xy >= 0")
    k = jax.random.split(key, 8)
    m = min(d_x, d_y)
    mu_xy = L_xy / 10 if mu_xy is None else mu_xy
    A = random_orthogonal(k[0], d_x)
    A = (A * _spectrum(k[1], d_x, mu_x, L_x)) @ A.T
    C = random_orthogonal(k[2], d_y)
    C = (C * _spectrum(k[3], d_y, mu_y, L_y)) @ C.T
    s = _spectrum(k[4], m, mu_xy, L_xy)[::-1] if m > 1 else jnp.array([L_xy])
    U, V = random_orthogonal(k[5], d_x), random_orthogonal(k[6], d_y)
    B = (U[:, :m] * s) @ V[:, :m].T
    return (A + A.T) / 2, B, (C + C.T) / 2


def quadratic_f(A, B, C):
    """The SCSC quadratic game f(x, y) = x^T A x/2 + x^T B y - y^T C y/2 (arXiv:2402.10475,
    quadratic experiments) as a JAX function."""
    A, B, C = (jnp.asarray(m) for m in (A, B, C))
    return lambda x, y: 0.5 * x @ A @ x + x @ B @ y - 0.5 * y @ C @ y


def three_block(kappa_x, kappa_y, kappa_xy, mu=1.0):
    """Our Sim-GDA lower-bound family (ours, derived and measured here: docs/papers/gda.md#three-block-family):
    three decoupled scalar blocks
    (a, b, c) = (L_x, 0, L_y), (mu, 0, mu), (mu, L_xy, mu) with mu_x = mu_y = mu,
    L_x = kappa_x mu, L_y = kappa_y mu, L_xy = kappa_xy mu. Returns arrays a, b, c of length 3."""
    if kappa_x < 1 or kappa_y < 1 or kappa_xy < 0:
        raise ValueError("need kappa_x, kappa_y >= 1 and kappa_xy >= 0")
    a = jnp.array([kappa_x * mu, mu, mu])
    b = jnp.array([0.0, 0.0, kappa_xy * mu])
    c = jnp.array([kappa_y * mu, mu, mu])
    return a, b, c


def bilinear_matrix(key, d_x, d_y, singular_values):
    """B = U diag(s) V^T with prescribed singular values (zeros allowed: rank-deficient B)."""
    s = jnp.asarray(singular_values, jnp.float64)
    m = min(d_x, d_y)
    if s.shape != (m,):
        raise ValueError(f"need min(d_x, d_y) = {m} singular values, got {s.shape}")
    if bool(jnp.any(s < 0)):
        raise ValueError("singular values must be >= 0")
    k1, k2 = jax.random.split(key)
    U, V = random_orthogonal(k1, d_x), random_orthogonal(k2, d_y)
    return (U[:, :m] * s) @ V[:, :m].T


def nonlinear_scsc(key, A, B, C, w_x, w_y):
    """A nonlinear SCSC function with known curvature bounds and saddle point 0:
    f(x, y) = x^T A x/2 + x^T B y - y^T C y/2 + w_x sum_i logcosh((P x)_i) - w_y sum_j logcosh((Q y)_j)
    with random orthogonal P, Q. Since logcosh'' = sech^2 in (0, 1]:
    mu_x = lambda_min(A), L_x <= lambda_max(A) + w_x (same for y), L_xy = ||B||, and
    grad f(0, 0) = 0. Returns f."""
    if any(isinstance(w, (int, float)) and w < 0 for w in (w_x, w_y)):
        raise ValueError("w_x, w_y must be >= 0 (convex/concave extra terms)")
    P = random_orthogonal(jax.random.fold_in(key, 1), A.shape[0])
    Q = random_orthogonal(jax.random.fold_in(key, 2), C.shape[0])
    lc = lambda u: jnp.sum(jnp.logaddexp(u, -u) - jnp.log(2.0))
    return lambda x, y: (0.5 * x @ A @ x + x @ B @ y - 0.5 * y @ C @ y
                         + w_x * lc(P @ x) - w_y * lc(Q @ y))


# --------------------------------------------------------------------------- block-diagonal fast path
def block_step(method, alpha, beta, gamma, delta, a, b, c, z):
    """One step on decoupled scalar blocks f = sum_i a_i x_i^2/2 + b_i x_i y_i - c_i y_i^2/2 (the
    eigenbasis of a simultaneously diagonalizable quadratic game), elementwise; same update
    equations as :func:`make_step` written out for this f."""
    x, y, yt = z
    if method == "eg":
        xh = x - alpha * (a * x + b * y)
        yh = y + beta * (b * x - c * y)
        y1 = y + beta * (b * xh - c * yh)
        return (x - alpha * (a * xh + b * yh), y1, y1)
    gx = a * x + b * yt
    xt = x - gamma * alpha * gx
    gy = b * xt - c * y
    return (x - alpha * gx, y + beta * gy, y + delta * beta * gy)


def block_radius(method, alpha, beta, a, b, c, gamma=None, delta=None):
    """Spectral radius max_i rho(M_i) over scalar blocks, each M_i the autodiff Jacobian of
    :func:`block_step` (3 x 3 on (x, y, y~)); vmappable over alpha, beta."""
    g, d = (0.0, 0.0) if method == "eg" else _gd(method, gamma, delta)

    def one(ai, bi, ci):
        J = jax.jacfwd(lambda v: jnp.stack(block_step(method, alpha, beta, g, d, ai, bi, ci,
                                                      (v[0], v[1], v[2]))))(jnp.zeros(3))
        return spectral_radius(J)  # no batched LAPACK eigvals in the vmapped graph (CPU deadlock)
    return jnp.max(jax.vmap(one)(a, b, c))


@partial(jit, static_argnames=("eg",))
def _radius_batch(alpha, beta, a, b, c, gamma, delta, eg=False):
    """:func:`block_radius` at each (alpha_i, beta_i) of the vectors ``alpha``, ``beta``: Sim-, Alt-
    and Alex-GDA through traced (gamma, delta), so one compilation per batch length serves every
    method, instance and (gamma, delta); extra-gradient (``eg=True``) is its own graph."""
    method = "eg" if eg else "alex"
    return jax.vmap(lambda al, be: block_radius(method, al, be, a, b, c, gamma, delta))(alpha, beta)


def tune_steps(method, a, b, c, gamma=None, delta=None, lo=1e-4, hi=10.0, n_grid=60,
               refine=40, n_refine=15, polish=True):
    """Best (alpha, beta) minimising the spectral radius: a log grid (``n_grid`` x ``n_grid`` on
    [lo, hi]^2), then up to ``refine`` rounds of a local ``n_refine`` x ``n_refine`` log grid around
    the incumbent (the window moves while the best point is on its edge and halves otherwise), all
    grid evaluations vmapped; finally a Nelder-Mead polish (scipy) in log coordinates, kept only
    if it improves. The minimiser often sits in a long narrow valley of the radius, which a single
    shrinking refinement misses. Returns (rho, alpha, beta).

    The radius is evaluated by one module-level jitted function (:func:`_radius_batch`) with the
    instance and (gamma, delta) as traced arguments, so repeated tunings reuse its compilations."""
    from scipy.optimize import minimize

    eg = method == "eg"
    g, d = (0.0, 0.0) if eg else _gd(method, gamma, delta)
    a, b, c = (jnp.asarray(v, jnp.float64) for v in (a, b, c))
    g, d = jnp.asarray(g, jnp.float64), jnp.asarray(d, jnp.float64)
    f = lambda al, be: _radius_batch(al, be, a, b, c, g, d, eg=eg)
    la = jnp.linspace(jnp.log(lo), jnp.log(hi), n_grid)
    A_, B_ = jnp.meshgrid(la, la, indexing="ij")
    r = f(jnp.exp(A_.ravel()), jnp.exp(B_.ravel()))
    i = int(jnp.argmin(r))
    ca, cb, h = float(A_.ravel()[i]), float(B_.ravel()[i]), float(la[1] - la[0])
    best = float(r[i])
    for _ in range(refine):
        da = jnp.linspace(-h, h, n_refine)
        A2, B2 = jnp.meshgrid(ca + da, cb + da, indexing="ij")
        r2 = f(jnp.exp(A2.ravel()), jnp.exp(B2.ravel()))
        j = int(jnp.argmin(r2))
        ja, jb = divmod(j, n_refine)
        if float(r2[j]) < best:
            best, ca, cb = float(r2[j]), float(A2.ravel()[j]), float(B2.ravel()[j])
        if ja not in (0, n_refine - 1) and jb not in (0, n_refine - 1):
            h /= 2
        if h < 1e-7:
            break
    if polish:
        g1 = lambda v: float(f(jnp.exp(jnp.asarray(v[:1])), jnp.exp(jnp.asarray(v[1:2])))[0])
        res = minimize(g1, np.array([ca, cb]),
                       method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-15,
                                                      "maxiter": 3000})
        if float(res.fun) < best:
            best, ca, cb = float(res.fun), float(res.x[0]), float(res.x[1])
    return best, float(np.exp(ca)), float(np.exp(cb))


@partial(jit, static_argnames=("method", "n_steps", "unroll"))
def diag_hitting(method, alpha, beta, gamma, delta, a, b, c, x0, y0, eps, n_steps,
                 div=1e6, unroll=16):
    """Run ``n_steps`` iterations on decoupled blocks (vectors a, b, c; padded coordinates have
    b = 0 and zero initial value) and record, for the squared distance ||x_k||^2 + ||y_k||^2:
    ``hit``, the first k >= 1 with distance < eps (-1 if none), ``blow``, the first k with
    distance > div (-1 if none), and the distance at ``hit``. ``lax.scan`` over iterations, all
    n_steps are run (a fixed workload); ``unroll`` iterations per scan step (faster on CPU).
    Vmap it over instances or step sizes."""
    def body(carry, k):
        z, hit, blow, dhit = carry
        z = block_step(method, alpha, beta, gamma, delta, a, b, c, z)
        dist = jnp.sum(z[0] ** 2) + jnp.sum(z[1] ** 2)
        new_blow = (blow < 0) & (dist > div)
        blow = jnp.where(new_blow, k, blow)
        new_hit = (hit < 0) & (dist < eps) & (blow < 0)
        return (z, jnp.where(new_hit, k, hit), blow, jnp.where(new_hit, dist, dhit)), None
    z0 = (x0, y0, y0)
    init = (z0, jnp.array(-1), jnp.array(-1), jnp.array(jnp.inf))
    (_, hit, blow, dhit), _ = lax.scan(body, init, jnp.arange(1, n_steps + 1), unroll=unroll)
    return hit, blow, dhit


@partial(jit, static_argnames=("method", "n_steps", "gamma", "delta", "batch_size"))
def sweep_hitting(method, alpha, beta, a, b, c, x0, y0, eps, n_steps, gamma=2.0, delta=1.0,
                  batch_size=100):
    """:func:`diag_hitting` over many instances with one (gamma, delta) shared by all rows (static
    floats): the leading axis of alpha, beta (n,) and a, b, c, x0, y0 (n, d) is the batch. Batches
    of ``batch_size`` rows are vmapped and run one after another (``lax.map``), which keeps each
    batch's state in cache. Measured on CPU: about 3x faster than one vmap over all rows, and
    about 10x faster than passing gamma, delta as traced per-row values."""
    def one(args):
        return diag_hitting(method, args[0], args[1], gamma, delta, *args[2:], eps, n_steps)
    return lax.map(one, (alpha, beta, a, b, c, x0, y0), batch_size=batch_size)


def _hitting_rows(alpha, beta, gamma, delta, a, b, c, x0, y0, eps, n_steps, div, chunk, eg):
    """Early-exit hitting times for one batch of rows (the body of :func:`hitting_early`)."""
    al, be, g, dl = (v[:, None] for v in (alpha, beta, gamma, delta))
    n = alpha.shape[0]

    def step(z):
        x, y, yt = z
        if eg == "split":  # the official EG: extrapolate with (alpha, beta), update with (gamma, delta)
            xh = x - al * (a * x + b * y)
            yh = y + be * (b * x - c * y)
            return (x - g * (a * xh + b * yh), y + dl * (b * xh - c * yh), y + dl * (b * xh - c * yh))
        # block_step is elementwise, so the per-row (n, 1) step sizes broadcast over the blocks
        return block_step("eg" if eg else "alex", al, be, g, dl, a, b, c, z)

    def one(carry, _):
        z, k, hit, blow, dhit = carry
        done = (hit >= 0) | (blow >= 0)
        z1 = step(z)
        z1 = tuple(jnp.where(done[:, None], zi, z1i) for zi, z1i in zip(z, z1))  # finished rows freeze
        k = k + 1
        dist = jnp.sum(z1[0] ** 2, axis=1) + jnp.sum(z1[1] ** 2, axis=1)
        live = ~done & (k <= n_steps)
        new_blow = live & (dist > div)
        new_hit = live & ~new_blow & (dist < eps)
        return (z1, k, jnp.where(new_hit, k, hit), jnp.where(new_blow, k, blow),
                jnp.where(new_hit, dist, dhit)), None

    def cond(carry):
        _, k, hit, blow, _ = carry
        return (k < n_steps) & jnp.any((hit < 0) & (blow < 0))

    def body(carry):
        carry, _ = lax.scan(one, carry, None, length=chunk)
        return carry

    init = ((x0, y0, y0), jnp.array(0), jnp.full(n, -1), jnp.full(n, -1), jnp.full(n, jnp.inf))
    _, k, hit, blow, dhit = lax.while_loop(cond, body, init)
    return hit, blow, dhit, k


@partial(jit, static_argnames=("n_steps", "chunk", "batch_size", "eg"))
def hitting_early(alpha, beta, gamma, delta, a, b, c, x0, y0, eps, n_steps, div=1e6, chunk=16,
                  batch_size=256, eg=False):
    """First hitting times of ||x_k||^2 + ||y_k||^2 < eps for many rows at once, stopping as soon
    as every row of a batch has converged or diverged (the official code's stopping rule,
    HanseulJo/Alex-GDA ``quadratic-extensive/algo.py``: a run ends at the first k with squared
    distance > ``div`` or < ``eps``).

    Every argument has a leading row axis: step sizes alpha, beta and the Alex-GDA parameters
    gamma, delta are per-row *traced* values (shape (n,)), so one compiled graph serves every
    (gamma, delta) of a grid (Sim-GDA as the official (1, 0), Alt-GDA (1, 1)); a, b, c, x0, y0 are
    the block (eigenbasis) form (n, d) of :func:`official_instance`. ``eg=True`` runs
    extra-gradient (gamma, delta unused); ``eg="split"`` runs the official code's EG
    (HanseulJo/Alex-GDA ``quadratic-extensive/algo.py``, class ``EG``): the extrapolation uses
    (alpha, beta) and the update (gamma, delta) as its own step sizes. Rows are processed in batches of ``batch_size``
    (``lax.map``); each batch runs chunks of ``chunk`` iterations under a ``lax.while_loop`` until
    all its rows are done or ``n_steps`` is reached; a finished row's state is frozen.

    Returns (hit, blow, dist_at_hit, steps_run): ``hit`` the first k in 1..n_steps with squared
    distance < eps and no earlier divergence (-1 if none), ``blow`` the first k with squared
    distance > div before any hit (-1 if none), and the iterations each row's batch executed.
    ``hit`` equals :func:`diag_hitting`'s on every row (tested); ``blow`` equals it wherever the
    row never converged (after a hit the official run has stopped, so later blow-ups are not
    recorded)."""
    n = alpha.shape[0]
    pad = (-n) % batch_size
    def padded(v, fill):
        v = jnp.asarray(v, jnp.float64)
        return jnp.concatenate([v, jnp.full((pad,) + v.shape[1:], fill, v.dtype)]) if pad else v
    # padded rows: a = c = 1, b = 0, x0 = y0 = 0 -> they hit at k = 1 and never hold a batch back
    rows = (padded(alpha, 0.5), padded(beta, 0.5), padded(gamma, 1.0), padded(delta, 1.0),
            padded(a, 1.0), padded(b, 0.0), padded(c, 1.0), padded(x0, 0.0), padded(y0, 0.0))
    nb = (n + pad) // batch_size
    rows = tuple(r.reshape((nb, batch_size) + r.shape[1:]) for r in rows)

    def one_batch(r):
        hit, blow, dhit, k = _hitting_rows(*r, eps, n_steps, div, chunk, eg)
        return hit, blow, dhit, jnp.full(hit.shape, k)

    out = lax.map(one_batch, rows)
    return tuple(o.reshape(-1)[:n] for o in out)


# --------------------------------------------------------------------------- official instances
def official_instance(seed_init, seed_func, mu_x, mu_y, mu_xy, L_x, L_y, L_xy, d_x, d_y):
    """The instance of the official code (HanseulJo/Alex-GDA, ``quadratic-extensive``) for the
    seeds (seed_init, seed_func), reproduced from facts about its generator (confirmed from the official code at 752f36c; our own
    code): NumPy's legacy RNG seeded with seed_init draws x_0, y_0 ~ 2 N(0, I);
    seeded with seed_func it draws Gaussian d_x x d_x and d_y x d_y matrices whose QR factors are
    the rotations U, V, then A's interior spectrum ~ U(mu_x, L_x), C's interior spectrum ALSO
    ~ U(mu_x, L_x) (the official typo), and B's diagonal [L_xy, L_xy, U(mu_xy, L_xy)...] when
    d_x >= d_y (so mu_xy is not attained), else [L_xy, mu_xy, ...]. A = U D_A U^T,
    C = V D_C V^T, B = U D_B V^T.

    Returns the eigenbasis (block) form as NumPy arrays padded to d = max(d_x, d_y):
    a, b, c, x0' = U^T x_0, y0' = V^T y_0, plus the dense (A, B, C, x_0, y_0) for cross-checks."""
    r0 = np.random.RandomState(seed_init)
    x0 = r0.normal(size=(d_x,)) * 2
    y0 = r0.normal(size=(d_y,)) * 2
    r1 = np.random.RandomState(seed_func)
    U, _ = np.linalg.qr(r1.normal(size=(d_x, d_x)))
    V, _ = np.linalg.qr(r1.normal(size=(d_y, d_y)))
    da = np.r_[mu_x, L_x, r1.uniform(mu_x, L_x, d_x - 2)]
    dc = np.r_[mu_y, L_y, r1.uniform(mu_x, L_x, d_y - 2)]
    m = min(d_x, d_y)
    second = L_xy if d_x >= d_y else mu_xy
    db = np.r_[L_xy, second, r1.uniform(mu_xy, L_xy, m - 2)]
    d = max(d_x, d_y)
    a = np.ones(d); a[:d_x] = da
    c = np.ones(d); c[:d_y] = dc
    b = np.zeros(d); b[:m] = db
    xe = np.zeros(d); xe[:d_x] = U.T @ x0
    ye = np.zeros(d); ye[:d_y] = V.T @ y0
    Bd = np.zeros((d_x, d_y)); Bd[:m, :m] = np.diag(db)
    dense = (U @ np.diag(da) @ U.T, U @ Bd @ V.T, V @ np.diag(dc) @ V.T, x0, y0)
    return a, b, c, xe, ye, dense


def official_instances(seeds, mu_x, mu_y, mu_xy, L_x, L_y, L_xy, d_x, d_y):
    """The block form (a, b, c, x0', y0') of :func:`official_instance` for many
    (seed_init, seed_func) pairs at once, as arrays of shape (len(seeds), max(d_x, d_y)).

    The legacy NumPy draws are sequential per seed (as in the official generator), but no dense
    matrix is formed and the QR factorisations of all seeds run as one batched LAPACK call
    (``np.linalg.qr`` on a stack, outside any JAX graph); the result equals
    :func:`official_instance` seed by seed (tested)."""
    seeds = [(int(si), int(sf)) for si, sf in seeds]
    S, d, m = len(seeds), max(d_x, d_y), min(d_x, d_y)
    X0, Y0 = np.empty((S, d_x)), np.empty((S, d_y))
    GU, GV = np.empty((S, d_x, d_x)), np.empty((S, d_y, d_y))
    a, c, b = np.ones((S, d)), np.ones((S, d)), np.zeros((S, d))
    second = L_xy if d_x >= d_y else mu_xy
    for i, (si, sf) in enumerate(seeds):
        r0 = np.random.RandomState(si)
        X0[i] = r0.normal(size=(d_x,)) * 2
        Y0[i] = r0.normal(size=(d_y,)) * 2
        r1 = np.random.RandomState(sf)
        GU[i] = r1.normal(size=(d_x, d_x))
        GV[i] = r1.normal(size=(d_y, d_y))
        a[i, :d_x] = np.r_[mu_x, L_x, r1.uniform(mu_x, L_x, d_x - 2)]
        c[i, :d_y] = np.r_[mu_y, L_y, r1.uniform(mu_x, L_x, d_y - 2)]
        b[i, :m] = np.r_[L_xy, second, r1.uniform(mu_xy, L_xy, m - 2)]
    U, _ = np.linalg.qr(GU)
    V, _ = np.linalg.qr(GV)
    xe, ye = np.zeros((S, d)), np.zeros((S, d))
    xe[:, :d_x] = np.einsum("sij,si->sj", U, X0)
    ye[:, :d_y] = np.einsum("sij,si->sj", V, Y0)
    return a, b, c, xe, ye


# --------------------------------------------------------------------------- official tuning protocol
def official_grid(start, stop, step):
    """Evenly spaced values rounded to 3 decimals, as the official tuning grids are built
    (HanseulJo/Alex-GDA ``quadratic-extensive/run.py``)."""
    n = round((stop - start) / step) + 1
    return [round(float(v), 3) for v in np.linspace(start, stop, n)]


#: the 15 step-size factors 0.1, 0.2, ..., 1.5 multiplying the base step sizes
OFFICIAL_FACTORS = official_grid(0.1, 1.5, 0.1)
#: the 675 (gamma, delta) pairs of the Alex-GDA grid, [0.5, 3.0]^2 in steps of 0.1 without (1, 1)
OFFICIAL_GD_GRID = [(g, d) for g in official_grid(0.5, 3.0, 0.1) for d in official_grid(0.5, 3.0, 0.1)
                    if not g == d == 1]


def _official_counts(hit, dist, cap):
    """The official count len(record) = hit + 1, accepted when the run converged and
    len(record) < cap (the tuner's strict '<' against its initial n_iter); else ``cap``."""
    hit = np.asarray(hit)
    ok = (hit >= 1) & (hit + 1 < cap)
    return np.where(ok, hit + 1, cap), np.where(ok, np.asarray(dist), np.inf)


def official_tuning(seeds, mu_x, mu_y, mu_xy, L_x, L_y, L_xy, d_x, d_y, eps, n_iter=1000,
                    gd_grid=None, batch_size=64):
    """The official tuning protocol of Sim-, Alt- and Alex-GDA without momentum
    (HanseulJo/Alex-GDA ``quadratic-extensive/run.py``: ``tune_GDA``) for each
    (seed_init, seed_func) in ``seeds``, with the early-exit sweep :func:`hitting_early`.

    Per seed: Sim-GDA (the official (gamma, delta) = (1, 0)) over the 15 factors of its base steps
    (min(mu_x/L_x^2, mu_x/L_xy^2), min(mu_y/L_y^2, mu_y/L_xy^2)) with cap 1000 * n_iter; Alt-GDA
    (1, 1) over the 15 factors of (min(1/L_x, 1/L_xy), min(1/L_y, 1/L_xy)) with cap n_iter; Alex-GDA
    on every (gamma, delta) of ``gd_grid`` (default the 675 official pairs) over the same 15 factors,
    cap n_iter. A tuned count is the smallest len(record) = hitting step + 1 (first factor on ties);
    the best (gamma, delta) minimises (count, last squared distance), first in grid order on ties.

    Returns a list of dicts (one per seed): ``sim``, ``alt``, ``alex`` (counts), ``alex_gd`` (the
    best pair), the tuned factors ``sim_factor``, ``alt_factor``, ``alex_factor``, and ``steps`` (iterations executed, summed over all rows, for throughput)."""
    gd_grid = OFFICIAL_GD_GRID if gd_grid is None else list(gd_grid)
    fac = np.asarray(OFFICIAL_FACTORS)
    nf = len(fac)
    base_sim = (min(mu_x / L_x**2, mu_x / L_xy**2), min(mu_y / L_y**2, mu_y / L_xy**2))
    base_alt = (min(1 / L_x, 1 / L_xy), min(1 / L_y, 1 / L_xy))
    A, B, C, X0, Y0 = official_instances(seeds, mu_x, mu_y, mu_xy, L_x, L_y, L_xy, d_x, d_y)
    # Alt-GDA then the Alex grid share one call (same cap); rows sorted by factor so that a batch
    # holds runs of similar length (the early exit is per batch)
    G = np.r_[np.ones(nf), np.repeat([g for g, _ in gd_grid], nf)]
    D = np.r_[np.ones(nf), np.repeat([d for _, d in gd_grid], nf)]
    F = np.tile(fac, 1 + len(gd_grid))
    order = np.argsort(F, kind="stable")
    inv = np.argsort(order)
    out = []
    for i in range(len(seeds)):
        inst = lambda n: tuple(jnp.asarray(np.repeat(v[i:i + 1], n, axis=0)) for v in (A, B, C, X0, Y0))
        h, _, dh, k = hitting_early(jnp.asarray(fac * base_sim[0]), jnp.asarray(fac * base_sim[1]),
                                    jnp.ones(nf), jnp.zeros(nf), *inst(nf), eps, 1000 * n_iter,
                                    batch_size=nf)
        cs, _ = _official_counts(h, dh, 1000 * n_iter)
        sim_factor = float(fac[int(np.argmin(cs))])
        steps = int(np.asarray(k).sum())
        al, be = F[order] * base_alt[0], F[order] * base_alt[1]
        h, _, dh, k = hitting_early(jnp.asarray(al), jnp.asarray(be), jnp.asarray(G[order]),
                                    jnp.asarray(D[order]), *inst(len(F)), eps, n_iter,
                                    batch_size=batch_size)
        steps += int(np.asarray(k).sum())
        h, dh = np.asarray(h)[inv], np.asarray(dh)[inv]
        ca, da = _official_counts(h, dh, n_iter)
        ca, da = ca.reshape(-1, nf), da.reshape(-1, nf)
        j = np.argmin(ca, axis=1)                       # first factor with the smallest count
        r = np.arange(ca.shape[0])
        bc, bd = ca[r, j], da[r, j]
        alt, alt_factor = int(bc[0]), float(fac[j[0]])
        bc, bd, j = bc[1:], bd[1:], j[1:]
        best = int(np.lexsort((np.arange(len(bc)), bd, bc))[0])
        out.append({"seed": tuple(seeds[i]), "sim": int(cs.min()), "sim_factor": sim_factor,
                    "alt": alt, "alt_factor": alt_factor, "alex": int(bc[best]),
                    "alex_gd": tuple(gd_grid[best]), "alex_factor": float(fac[j[best]]),
                    "steps": steps})
    return out


def official_eg_tuning(seeds, mu_x, mu_y, mu_xy, L_x, L_y, L_xy, d_x, d_y, eps, n_iter=1000):
    """The official tuning of extra-gradient (HanseulJo/Alex-GDA ``quadratic-extensive/run.py``,
    ``tune_baseline(EG, ...)``; class ``EG`` of ``algo.py``) for each (seed_init, seed_func) of
    ``seeds``: the extrapolation steps (alpha, beta) = factor x (min(1/L_x, 1/L_xy), min(1/L_y, 1/L_xy))
    and the update steps (gamma, delta) = factor2 x the same base, factor and factor2 over the 15
    official factors (225 runs), each stopped as the official loop stops (:func:`hitting_early` with
    ``eg="split"``); the tuned count is the smallest len(record) = hitting step + 1 below ``n_iter``.
    The official code reports EG's gradient complexity as 2 x that count (``grad_complexity = 2``:
    two gradient evaluations per iteration).

    Returns a list of dicts (one per seed): ``iters`` (the tuned len(record)), ``factors`` (the
    tuned (factor, factor2), first in grid order on ties) and ``steps`` (iterations executed)."""
    fac = np.asarray(OFFICIAL_FACTORS)
    nf = len(fac)
    base = (min(1 / L_x, 1 / L_xy), min(1 / L_y, 1 / L_xy))
    F1, F2 = np.repeat(fac, nf), np.tile(fac, nf)
    A, B, C, X0, Y0 = official_instances(seeds, mu_x, mu_y, mu_xy, L_x, L_y, L_xy, d_x, d_y)
    out = []
    for i in range(len(seeds)):
        inst = tuple(jnp.asarray(np.repeat(v[i:i + 1], nf * nf, axis=0)) for v in (A, B, C, X0, Y0))
        h, _, dh, k = hitting_early(jnp.asarray(F1 * base[0]), jnp.asarray(F1 * base[1]),
                                    jnp.asarray(F2 * base[0]), jnp.asarray(F2 * base[1]), *inst, eps,
                                    n_iter, batch_size=nf * nf, eg="split")
        cnt, _ = _official_counts(h, dh, n_iter)
        j = int(np.argmin(cnt))
        out.append({"seed": tuple(seeds[i]), "iters": int(cnt[j]), "factors": (float(F1[j]), float(F2[j])),
                    "steps": int(np.asarray(k).sum())})
    return out


@jit
def _alex_radius_batch(la, lb, g, d, a, b, c):
    """:func:`block_radius` of Alex-GDA at (exp(la_i), exp(lb_i), g_i, d_i); module-level, so every
    call of :func:`tune_alex` with the same batch length reuses one compilation."""
    return jax.vmap(lambda la_, lb_, g_, d_: block_radius("alex", jnp.exp(la_), jnp.exp(lb_), a, b, c,
                                                          g_, d_))(la, lb, g, d)


def tune_alex(a, b, c, n_random=4096, n_polish=4, seed=0, log_lo=-6.0, log_hi=2.0, gd_hi=4.0,
              starts=(), maxiter=4000):
    """Best-tuned Alex-GDA (the paper's Algorithm 2) on decoupled scalar blocks: the four
    parameters (alpha, beta, gamma, delta) minimising the spectral radius :func:`block_radius`.
    ``n_random`` points (log alpha, log beta uniform on [``log_lo``, ``log_hi``], gamma, delta
    uniform on [0, ``gd_hi``]; NumPy ``default_rng(seed)``) are evaluated in one vmapped call, then
    the ``n_polish`` best are polished by Nelder-Mead (scipy, at most ``maxiter`` iterations) in (log alpha, log beta, gamma, delta).
    Sim-GDA (0, 1) and Alt-GDA (1, 1) lie inside the searched box, so the tuned radius is at most
    theirs up to the search's accuracy; ``starts`` adds points (alpha, beta, gamma, delta) to the
    candidates (e.g. the tuned Alt-GDA point (alpha*, beta*, 1, 1), so that the result is never
    worse than it). Returns (rho, alpha, beta, gamma, delta)."""
    from scipy.optimize import minimize

    a, b, c = (jnp.asarray(v, jnp.float64) for v in (a, b, c))
    f = lambda la, lb, g, d: _alex_radius_batch(la, lb, g, d, a, b, c)
    rng = np.random.default_rng(seed)
    P = np.c_[rng.uniform(log_lo, log_hi, (n_random, 2)), rng.uniform(0.0, gd_hi, (n_random, 2))]
    if len(starts):
        S = np.asarray(starts, float).reshape(-1, 4)
        P = np.r_[np.c_[np.log(S[:, :2]), S[:, 2:]], P]
    r = np.asarray(f(*(jnp.asarray(P[:, k]) for k in range(4))))
    g1 = lambda v: float(f(*(jnp.asarray(v[k:k + 1]) for k in range(4)))[0])
    best = (float(r.min()), P[int(np.argmin(r))])
    for i in np.argsort(r)[:n_polish]:
        res = minimize(g1, P[i], method="Nelder-Mead",
                       options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": maxiter})
        if float(res.fun) < best[0]:
            best = (float(res.fun), res.x)
    v = best[1]
    return best[0], float(np.exp(v[0])), float(np.exp(v[1])), float(v[2]), float(v[3])
