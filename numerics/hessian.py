"""Hessian tools shared by the training-dynamics papers (EoS, catapults, tiny subspaces, linear attention).

* :func:`hvp`                 Hessian-vector product by forward-over-reverse differentiation.
* :func:`full_hessian`        the dense Hessian of a loss over a flat parameter vector (small models).
* :func:`top_eigenvalues`     the k largest Hessian eigenvalues by Lanczos (scipy ``eigsh`` on a
                              ``LinearOperator`` of HVPs), as Cohen et al. (2021) measure sharpness.
* :func:`sharpness`           the largest Hessian eigenvalue, dense for small models, Lanczos otherwise.

All functions take ``loss(theta) -> scalar`` on a flat float64 parameter vector ``theta``; use
``jax.flatten_util.ravel_pytree`` to flatten a pytree of parameters.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg
from scipy.sparse.linalg import LinearOperator, eigsh

__all__ = ["hvp", "full_hessian", "top_eigenvalues", "sharpness"]


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
    mv = jax.jit(lambda v: hvp(loss, theta, v))
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
