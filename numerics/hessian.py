"""Hessian tools shared by the training-dynamics papers (EoS, catapults, tiny subspaces, linear attention).

* :func:`hvp`                 Hessian-vector product by forward-over-reverse differentiation.
* :func:`full_hessian`        the dense Hessian of a loss over a flat parameter vector (small models).
* :func:`top_eigenvalues`     the k largest Hessian eigenvalues by Lanczos (scipy ``eigsh`` on a
                              ``LinearOperator`` of HVPs), as Cohen et al. (2021) measure sharpness.
* :func:`sharpness`           the largest Hessian eigenvalue, dense for small models, Lanczos otherwise.
* :func:`hvp_block`           ``H V`` for a block of vectors (one vmapped HVP per column).
* :func:`orthonormalize`      Gram-Schmidt (twice) in pure ``jax.numpy``: no LAPACK ``qr``.
* :func:`jacobi_eigh`         eigen-decomposition of a small symmetric matrix by cyclic Jacobi
                              rotations, in pure ``jax.numpy`` (usable inside ``lax.scan``/``vmap``).
* :func:`subspace_iteration`  warm-started block subspace iteration with Rayleigh-Ritz for the top-k
                              eigenspace of an HVP operator, jittable inside ``lax.scan``.
* :func:`principal_angles`    principal angles between two subspaces (numpy/scipy, outside a scan).

All functions take ``loss(theta) -> scalar`` on a flat float64 parameter vector ``theta``; use
``jax.flatten_util.ravel_pytree`` to flatten a pytree of parameters.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from jax import lax
from scipy.sparse.linalg import LinearOperator, eigsh
from .jit import jit

__all__ = ["hvp", "full_hessian", "top_eigenvalues", "sharpness", "hvp_block", "orthonormalize",
           "jacobi_eigh", "subspace_iteration", "principal_angles"]


def hvp(loss, theta, v):
    """Hessian-vector product ``(nabla^2 loss)(theta) v`` (forward-over-reverse)."""
    return jax.jvp(jax.grad(loss), (theta,), (v,))[1]


def full_hessian(loss, theta):
    """The dense Hessian ``nabla^2 loss(theta)`` as a (p, p) array."""
    theta = jnp.asarray(theta)
    if theta.ndim != 1:
        raise ValueError(f"theta must be a flat vector, got shape {theta.shape}")
    return jax.hessian(loss)(theta)


def top_eigenvalues(loss, theta, k: int = 1, *, tol: float = 1e-10, seed: int = 0):
    """The k largest (algebraic) Hessian eigenvalues and eigenvectors by Lanczos.

    Returns ``(eigenvalues (k,), eigenvectors (p, k))``, eigenvalues in decreasing order."""
    theta = jnp.asarray(theta)
    p = theta.shape[0]
    if not 1 <= k < p:
        raise ValueError(f"k must satisfy 1 <= k < number of parameters ({p}), got {k}")
    mv = jit(lambda v: hvp(loss, theta, v))
    op = LinearOperator((p, p), matvec=lambda v: np.asarray(mv(jnp.asarray(v, dtype=theta.dtype))),
                        dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(p)
    vals, vecs = eigsh(op, k=k, which="LA", tol=tol, v0=v0)
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


def sharpness(loss, theta, *, dense_max: int = 2000) -> float:
    """Largest eigenvalue of the Hessian of ``loss`` at ``theta`` (dense ``eigh`` up to
    ``dense_max`` parameters, Lanczos above)."""
    theta = jnp.asarray(theta)
    p = theta.shape[0]
    if p <= dense_max:
        # scipy's LAPACK eigh is several times faster than jnp.linalg.eigvalsh on CPU
        H = np.asarray(full_hessian(loss, theta))
        return float(scipy.linalg.eigh(H, eigvals_only=True, subset_by_index=[p - 1, p - 1])[0])
    return float(top_eigenvalues(loss, theta, 1)[0][0])


# ---------------------------------------------------------------- top-k eigenspace inside lax.scan
# Why these are written by hand: jnp.linalg.qr/eigh inside a scanned or vmapped graph is a (batched)
# LAPACK call, which can deadlock XLA's CPU thread pool (see numerics/linalg.py). The routines below
# use only matmuls, elementwise ops and loops.

def hvp_block(loss, theta, V):
    """``H V`` with ``H = nabla^2 loss(theta)`` for a block ``V`` (p, b): one forward-over-reverse
    HVP per column, vmapped."""
    return jax.vmap(lambda v: hvp(loss, theta, v), in_axes=1, out_axes=1)(V)


def orthonormalize(W):
    """Orthonormal basis of the columns of ``W`` (p, b) by classical Gram-Schmidt applied twice
    ("CGS2", numerically as orthogonal as Householder QR for full-rank ``W``). Column j of the result
    spans the same flag as ``W[:, :j+1]``. Pure ``jax.numpy``; jittable and vmappable."""
    p, b = W.shape

    def body(j, Q):
        v = W[:, j]
        for _ in range(2):
            v = v - Q @ (Q.T @ v)           # unfilled columns of Q are 0
        nv = jnp.linalg.norm(v)
        return Q.at[:, j].set(v / jnp.where(nv > 0, nv, 1.0))

    return lax.fori_loop(0, b, body, jnp.zeros_like(W))


def jacobi_eigh(A, sweeps: int = 8):
    """Eigenvalues (descending) and eigenvectors of a small symmetric matrix ``A`` (b, b) by cyclic
    Jacobi rotations (Golub & Van Loan, Algorithm 8.5.3), ``sweeps`` sweeps over all pairs.
    Convergence is quadratic; 8 sweeps reach machine precision for b <= ~30. Pure ``jax.numpy``: no
    LAPACK call, so it may run inside ``lax.scan`` and ``vmap``. Returns ``(w (b,), Q (b, b))`` with
    ``A Q = Q diag(w)``."""
    A = 0.5 * (A + A.T)
    b = A.shape[0]
    if b == 1:
        return A[0], jnp.ones((1, 1), A.dtype)
    pp, qq = np.triu_indices(b, 1)
    pairs = jnp.asarray(np.tile(np.stack([pp, qq], 1), (sweeps, 1)))

    def rot(carry, pq):
        A, Q = carry
        p_, q_ = pq[0], pq[1]
        apq, app, aqq = A[p_, q_], A[p_, p_], A[q_, q_]
        small = jnp.abs(apq) <= 1e-300
        tau = (aqq - app) / (2.0 * jnp.where(small, 1.0, apq))
        t = jnp.where(tau >= 0, 1.0, -1.0) / (jnp.abs(tau) + jnp.sqrt(1.0 + tau * tau))
        t = jnp.where(small, 0.0, t)
        c = 1.0 / jnp.sqrt(1.0 + t * t)
        s = t * c
        rp, rq = A[p_], A[q_]                       # rows p, q -> J^T A
        A = A.at[p_].set(c * rp - s * rq).at[q_].set(s * rp + c * rq)
        cp, cq = A[:, p_], A[:, q_]                 # columns p, q -> (J^T A) J
        A = A.at[:, p_].set(c * cp - s * cq).at[:, q_].set(s * cp + c * cq)
        qp, qqv = Q[:, p_], Q[:, q_]
        Q = Q.at[:, p_].set(c * qp - s * qqv).at[:, q_].set(s * qp + c * qqv)
        return (A, Q), None

    (A, Q), _ = lax.scan(rot, (A, jnp.eye(b, dtype=A.dtype)), pairs)
    w = jnp.diag(A)
    order = jnp.argsort(-w)
    return w[order], Q[:, order]


def subspace_iteration(matmat, V, iters: int = 1):
    """``iters`` steps of block subspace iteration with Rayleigh-Ritz for the top eigenspace of a
    symmetric operator given by ``matmat(V) = H V`` (e.g. :func:`hvp_block`), warm-started from the
    orthonormal block ``V`` (p, b).

    One step: ``W = H V``; Ritz pairs of ``T = V^T W`` (:func:`jacobi_eigh`), sorted by decreasing
    Ritz value; ``V <- orthonormalize(W Q)``. The leading k <= b columns then span the current estimate
    of the top-k eigenspace (algebraically largest eigenvalues, assuming the top of the spectrum
    dominates its negative end in magnitude); oversampling b > k speeds convergence from the factor
    lambda_{k+1}/lambda_k to lambda_{b+1}/lambda_k per step. One block of b HVPs per step; jittable
    inside ``lax.scan`` (no LAPACK). Returns ``(V_new (p, b), ritz (b,))``, the Ritz values of the
    last input block."""
    def body(_, carry):
        V, _r = carry
        W = matmat(V)
        w, Q = jacobi_eigh(V.T @ W)
        return orthonormalize(W @ Q), w

    return lax.fori_loop(0, iters, body, (V, jnp.zeros(V.shape[1], V.dtype)))


def principal_angles(U, V):
    """Principal angles (radians, ascending) between the column spans of ``U`` and ``V`` (numpy,
    ``scipy.linalg.subspace_angles``); for use outside a jitted graph."""
    return np.sort(scipy.linalg.subspace_angles(np.asarray(U), np.asarray(V)))
