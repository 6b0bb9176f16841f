"""Small eigenvalue routines in pure ``jax.numpy`` for use inside jitted, vmapped code.

Why not ``jnp.linalg.eigvalsh``/``eigvals`` there: on CPU (jaxlib 0.10.2) a *batched* LAPACK call
spreads its batch over XLA's intra-op thread pool and waits for it; when the call itself runs on a
pool thread (after a parallelised kernel) and every pool thread does the same, the process
deadlocks (observed in this project on 2 cores: all ``tf_XLAEigen`` threads parked in
``jax::ParallelBatchMap`` under ``lapack_dsyevd_ffi``). These routines use only elementwise ops,
matmuls and loops, so they never call LAPACK.

* :func:`tridiag_max_eig`   largest eigenvalue of a symmetric tridiagonal matrix (Sturm bisection).
* :func:`sym2_max_eig`      largest eigenvalue of a symmetric 2 x 2 matrix (closed form).
* :func:`spectral_radius`   spectral radius of a small square matrix (repeated squaring,
                            rho = lim ||M^(2^k)||^(1/2^k), Gelfand's formula).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from .jit import jit

__all__ = ["tridiag_max_eig", "sym2_max_eig", "spectral_radius"]


def _count_below(alpha, beta2, x):
    """Number of eigenvalues < x of the tridiagonal (diag ``alpha``, squared off-diagonal
    ``beta2``) by the signs of the LDL^T pivots (Sturm count)."""
    tiny = jnp.finfo(alpha.dtype).tiny

    def body(carry, ab):
        d_prev, count = carry
        a, b2 = ab
        d = a - x - b2 / d_prev
        d = jnp.where(d == 0, -tiny, d)
        return (d, count + (d < 0)), None

    init = (jnp.asarray(1.0, alpha.dtype), jnp.asarray(0, jnp.int32))
    b2 = jnp.concatenate([jnp.zeros((1,), alpha.dtype), beta2])
    (_, count), _ = lax.scan(body, init, (alpha, b2))
    return count


def _bisect_max_eig(alpha, b2, lo, hi, iters):
    """Bisection on the Sturm count of (``alpha``, ``b2``) inside [lo, hi]."""
    k = alpha.shape[0]

    def body(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        all_below = _count_below(alpha, b2, mid) >= k      # every eigenvalue < mid
        return jnp.where(all_below, lo, mid), jnp.where(all_below, mid, hi)

    lo, hi = lax.fori_loop(0, iters, body, (lo, hi))
    return 0.5 * (lo + hi)


_bisect_max_eig_jit = jit(_bisect_max_eig, static_argnames=("iters",))


def tridiag_max_eig(alpha, beta, iters: int = 200):
    """Largest eigenvalue of the symmetric tridiagonal matrix with diagonal ``alpha`` (k,) and
    off-diagonal ``beta`` (k-1,), by bisection on the Sturm count inside Gershgorin bounds.
    Accurate to a few ulps of the spectrum's scale; jittable and vmappable.

    Called on concrete arrays (outside a trace), the matrix is padded to the next power of two
    with decoupled diagonal entries below the Gershgorin interval, which add exactly the padding to
    every Sturm count, so the bisection takes the same steps and returns the same value; one
    compilation then serves every k up to that power of two."""
    if any(isinstance(v, jax.core.Tracer) for v in (alpha, beta)):
        alpha = jnp.asarray(alpha)
        beta = jnp.asarray(beta, alpha.dtype)
        lo, hi = _gershgorin(jnp, alpha, beta)
        return _bisect_max_eig(alpha, beta * beta, lo, hi, iters)
    # concrete input: the same (exactly rounded) Gershgorin bounds and squares in numpy, then one
    # jitted bisection on the padded matrix
    alpha = np.asarray(alpha)
    beta = np.asarray(beta, alpha.dtype)
    lo, hi = _gershgorin(np, alpha, beta)
    b2 = beta * beta
    k = alpha.shape[0]
    pad = (1 << max(k - 1, 0).bit_length()) - k
    if pad:
        below = lo - (hi - lo) - 1.0      # every pivot of a padded entry is below - x < 0
        alpha = np.concatenate([alpha, np.full((pad,), below, alpha.dtype)])
        b2 = np.concatenate([b2, np.zeros((pad,), alpha.dtype)])
    return _bisect_max_eig_jit(alpha, b2, lo, hi, iters=iters)


def _gershgorin(xp, alpha, beta):
    """Gershgorin interval [lo, hi] of the symmetric tridiagonal (``alpha``, ``beta``), with the
    array module ``xp`` (numpy or jax.numpy: the same exactly rounded operations)."""
    ab = xp.abs(beta)
    r = xp.concatenate([ab, xp.zeros((1,), alpha.dtype)]) + xp.concatenate(
        [xp.zeros((1,), alpha.dtype), ab])
    return xp.min(alpha - r), xp.max(alpha + r)


def sym2_max_eig(H):
    """Largest eigenvalue of a symmetric 2 x 2 matrix ``H``: (a+c)/2 + sqrt(((a-c)/2)^2 + b^2)."""
    a, b, c = H[0, 0], 0.5 * (H[0, 1] + H[1, 0]), H[1, 1]
    return 0.5 * (a + c) + jnp.hypot(0.5 * (a - c), b)


def spectral_radius(M, squarings: int = 60):
    """Spectral radius of a small square matrix by repeated squaring with renormalisation:
    M^(2^j) = exp(s_j) B_j, rho = lim (s_j + log||B_j||)/2^j. The error after ``squarings`` steps is
    O(log(cond)/2^squarings) plus round-off of a few ulps; a nilpotent M gives 0."""
    M = jnp.asarray(M)

    def body(carry, _):
        B, s = carry
        n = jnp.max(jnp.abs(B))
        n_safe = jnp.where(n > 0, n, 1.0)
        C = B / n_safe
        return (C @ C, 2.0 * (s + jnp.log(n_safe))), None

    (B, s), _ = lax.scan(body, (M, jnp.asarray(0.0, M.dtype)), None, length=squarings)
    nB = jnp.max(jnp.abs(B))
    return jnp.where(nB > 0, jnp.exp((s + jnp.log(jnp.where(nB > 0, nB, 1.0))) / 2.0 ** squarings), 0.0)
