"""Fair streaming PCA: Lee, Cho, Yun & Yun, "Fair Streaming Principal Component Analysis: Statistical
and Algorithmic Viewpoint" (arXiv:2310.18593, NeurIPS 2023). JAX, float64. Never imports ``theory``.

Setting (paper, Section 2; poster): pairs (x, s), s in {0, 1} the sensitive attribute, x in R^d,
drawn from D = p D_1 + (1 - p) D_0. Group means mu_s, covariances Sigma_s, total covariance Sigma,
mean gap f = mu_1 - mu_0, covariance gap Q = Sigma_1 - Sigma_0. "Null it out" fair PCA removes the
mean gap and the top-m (by |eigenvalue|) directions P_m of the second-moment gap: with U a
semi-orthogonal basis of span[P_m | f], the fair PCs are the top-k eigenvectors of
(I - U U^T) Sigma (I - U U^T).

What is here:

* :class:`TwoGroupGaussian`, :func:`make_synthetic`: a two-group Gaussian mixture with prescribed
  eigengaps (k shared "fair" axes, m unfair axes with |eig Q| = ``cov_gaps``, one mean-gap axis),
  rotated by a Haar orthogonal matrix (small d) or by a product of Householder reflections (any d,
  O(d) memory), so a stream at d = 20,000 never forms a d x d matrix.
* :func:`null_it_out` (offline fair PCA from moments), :func:`population_moments`,
  :func:`empirical_moments`, :func:`dense_fair_pca_stream` (the d x d streaming estimator, the
  memory foil).
* :func:`fnpm`: the Fair Noisy Power Method on any iterator of (x, s) blocks (the poster's
  Algorithm; phases as in the official code, HanseulJo/fair-streaming-pca at commit
  05313bbccea7266b2fcf2ed5ac5e74a078e1f83f, ``synthetic_fair_streaming_pca/fairPCA.py``);
  :func:`npm` (vanilla and mean-matched noisy power baselines); :func:`read_blocks` (the validating
  stream reader), :func:`array_stream`, :func:`npy_stream`, :func:`synthetic_stream`.
* :func:`fnpm_synthetic`: the same per-block updates in one jitted ``lax.scan`` over blocks,
  ``vmap`` over runs, sampling each block inside the scan (blocks used once, never stored).
* :func:`sklearn_pca`, :func:`incremental_pca`: scikit-learn's ``PCA`` and ``IncrementalPCA`` as the
  unfair references.
* :func:`measure_peak_rss`: the peak resident-set growth of a call (Linux ``/proc``).

QR: the orthonormalisation of the d x r iterates (r <= k + m + 1, small) is the thin QR's Q factor
with positive diagonal R, computed by two-pass classical Gram-Schmidt in plain ``jax.numpy``
(:func:`orth`), so it can run inside ``vmap``/``lax.scan`` without a batched LAPACK call.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from typing import Iterable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import numerics  # noqa: F401  (enables float64)
from . import random as rnd
from .jit import jit

__all__ = [
    "TwoGroupGaussian", "make_synthetic", "orth", "null_it_out", "population_moments",
    "empirical_moments", "read_blocks", "array_stream", "npy_stream", "synthetic_stream",
    "FNPMResult", "fnpm", "npm", "fnpm_synthetic", "unfair_basis_qr", "unfair_basis_offline",
    "dense_fair_pca_stream", "sklearn_pca", "incremental_pca", "projector_distance",
    "fairness_error", "explained_variance", "persistent_floats", "measure_peak_rss",
]


# ------------------------------------------------------------------------------------- checks
def _int(name, v, lo=None):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {v!r}")
    if lo is not None and v < lo:
        raise ValueError(f"{name} must be >= {lo}, got {v}")
    return int(v)


def _real(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {v!r}")
    v = float(v)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _check_dims(d, k, m):
    d = _int("d", d, 2)
    k = _int("k", k, 1)
    m = _int("m", m, 0)
    if k + m + 1 > d:
        raise ValueError(f"need k + m + 1 <= d (k fair PCs outside an (m+1)-dim unfair subspace), "
                         f"got k={k}, m={m}, d={d}")
    return d, k, m


# ------------------------------------------------------------------------------- linear algebra
@jit
def orth(A):
    """Q factor of the thin QR of ``A`` (d x r, full column rank), R with positive diagonal.

    Two-pass classical Gram-Schmidt (CGS2) in plain ``jax.numpy``: no LAPACK call, so it is safe
    inside ``vmap`` and ``lax.scan``. Equal to ``jnp.linalg.qr(A)[0]`` up to column signs."""
    A = jnp.asarray(A)
    r = A.shape[1]
    Q = jnp.zeros_like(A)

    def body(j, Q):
        a = A[:, j]
        for _ in range(2):
            a = a - Q @ (Q.T @ a)
        return Q.at[:, j].set(a / jnp.linalg.norm(a))
    return lax.fori_loop(0, r, body, Q)


def projector_distance(A, B):
    """Spectral norm ||A A^T - B B^T||_2 of two semi-orthogonal d x r bases, computed as the largest
    singular value of the (r_A + r_B)-dim problem (never forms d x d): the subspace distance."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"bases must have the same rank, got {A.shape} and {B.shape}")
    # ||A A^T - B B^T||_2 = ||(I - B B^T) A||_2 for equal ranks
    R = A - B @ (B.T @ A)
    return float(np.linalg.norm(R, 2))


def fairness_error(U, V):
    """The poster's PAFO fairness error ||U^T V||_2 (= ||Pi_U V||_2 for semi-orthogonal U)."""
    return float(np.linalg.norm(np.asarray(U).T @ np.asarray(V), 2))


def explained_variance(Sigma, V):
    """tr(V^T Sigma V) (the PCA objective)."""
    V = np.asarray(V)
    return float(np.trace(V.T @ np.asarray(Sigma) @ V))


# ------------------------------------------------------------------------- synthetic generator
@dataclass(frozen=True)
class TwoGroupGaussian:
    """Two-group Gaussian mixture p D_1 + (1 - p) D_0 in rotated coordinates x = O c.

    In the coordinates c the group covariances are diagonal with standard deviations ``sd0``,
    ``sd1`` and the group means ``mu0_c``, ``mu1_c``. ``O`` is dense (``basis="haar"``) or the
    product H_1 ... H_r of Householder reflections H_i = I - 2 h_i h_i^T (``hh``, r x d; O(d) memory).
    ``fair_axes``, ``unfair_axes``, ``mean_axis`` are the coordinate roles."""
    d: int
    k: int
    m: int
    p: float
    mu0_c: np.ndarray
    mu1_c: np.ndarray
    sd0: np.ndarray
    sd1: np.ndarray
    O: np.ndarray | None
    hh: np.ndarray | None
    fair_axes: tuple
    unfair_axes: tuple
    mean_axis: int

    def rotate(self, C):
        """x = O c for the rows of C (n x d), without forming O for the Householder basis."""
        C = np.asarray(C, float)
        if self.O is not None:
            return C @ self.O.T
        for h in self.hh[::-1]:
            C = C - 2.0 * np.outer(C @ h, h)
        return C

    def columns(self, axes):
        """The columns O e_j for j in ``axes`` (d x len(axes))."""
        E = np.zeros((len(axes), self.d))
        E[np.arange(len(axes)), list(axes)] = 1.0
        return self.rotate(E).T

    @property
    def f(self):
        """Mean gap f = mu_1 - mu_0 (d,)."""
        return self.rotate((self.mu1_c - self.mu0_c)[None])[0]

    def true_U(self):
        """Semi-orthogonal basis [P_m | f/||f||] of the unfair subspace (d x (m+1))."""
        return self.columns(tuple(self.unfair_axes) + (self.mean_axis,))

    def true_V(self):
        """The fair PCs V* (d x k): the fair axes (the top-k of Pi Sigma Pi by construction)."""
        return self.columns(self.fair_axes)

    def sample(self, rng: np.random.Generator, n: int):
        """n pairs (x, s) with numpy's generator ``rng`` (for host-side streams)."""
        s = (rng.random(n) < self.p).astype(np.int64)
        z = rng.standard_normal((n, self.d))
        # row i: mu_{s_i} + sd_{s_i} * z_i (the same operations as evaluating both groups and
        # selecting, without the two full-size temporaries)
        z *= np.stack([self.sd0, self.sd1])[s]
        z += np.stack([self.mu0_c, self.mu1_c])[s]
        return self.rotate(z), s


def make_synthetic(seed: int, d: int, k: int, m: int, *, cov_gaps=None, fair_vars=None,
                   mean_norm: float = 3.0, mean_var: float = 0.5, p: float = 0.5,
                   basis: str | None = None, n_reflections: int = 4) -> TwoGroupGaussian:
    """Two-group Gaussian mixture with prescribed eigengaps (a generator of this toolkit, built so
    that the null-it-out problem of arXiv:2310.18593 has a known answer; see
    ``docs/papers/fair_pca.md#synthetic-generator``).

    Coordinates: k fair axes with variances ``fair_vars`` (default linspace(4, 3, k)) in both groups;
    m unfair axes, the j-th with group variances (1 + g_j, 1) for even j and (1, 1 + g_j) for odd j,
    so the covariance gap Q has |eigenvalues| ``cov_gaps`` = (g_1, ..., g_m) (default 7, 6, 5, ...,
    the m-th eigengap Delta_{S,m} = g_m at p = 1/2); one mean axis with within-group variance
    ``mean_var`` and mean gap ``mean_norm``, mu_1 = (1 - p) f, mu_0 = -p f (zero global mean); the
    remaining axes variance U(0.1, 1). ``basis``: "haar" (dense Haar O, default for d <= 2000) or
    "householder" (product of ``n_reflections`` reflections, O(d) memory)."""
    d, k, m = _check_dims(d, k, m)
    seed = _int("seed", seed, 0)
    p = _real("p", p)
    if not 0 < p < 1:
        raise ValueError(f"p must lie in (0, 1), got {p}")
    mean_norm, mean_var = _real("mean_norm", mean_norm), _real("mean_var", mean_var)
    if mean_norm < 0 or mean_var <= 0:
        raise ValueError(f"need mean_norm >= 0 and mean_var > 0, got {mean_norm}, {mean_var}")
    gaps = np.asarray(cov_gaps if cov_gaps is not None else 7.0 - np.arange(m), float)
    if gaps.shape != (m,) or np.any(gaps <= 0) or np.any(np.diff(gaps) > 0):
        raise ValueError(f"cov_gaps must be m={m} positive non-increasing values, got {cov_gaps}")
    fv = np.asarray(fair_vars if fair_vars is not None else np.linspace(4.0, 3.0, k), float)
    if fv.shape != (k,) or np.any(fv <= 1.0):
        raise ValueError(f"fair_vars must be k={k} values > 1 (above the noise axes), got {fair_vars}")
    basis = basis or ("haar" if d <= 2000 else "householder")
    if basis not in ("haar", "householder"):
        raise ValueError(f"basis must be 'haar' or 'householder', got {basis!r}")
    rng = np.random.default_rng([seed, d, k, m])
    var0 = rng.uniform(0.1, 1.0, d)
    var1 = var0.copy()
    fair = tuple(range(k))
    unfair = tuple(range(k, k + m))
    mean_ax = k + m
    var0[list(fair)] = fv
    var1[list(fair)] = fv
    for j, a in enumerate(unfair):
        var0[a], var1[a] = (1.0 + gaps[j], 1.0) if j % 2 == 0 else (1.0, 1.0 + gaps[j])
    var0[mean_ax] = var1[mean_ax] = mean_var
    fc = np.zeros(d)
    fc[mean_ax] = mean_norm
    O = hh = None
    if basis == "haar":
        q, r = np.linalg.qr(rng.standard_normal((d, d)))
        O = q * np.sign(np.diag(r))[None, :]
    else:
        hh = rng.standard_normal((_int("n_reflections", n_reflections, 1), d))
        hh /= np.linalg.norm(hh, axis=1, keepdims=True)
    return TwoGroupGaussian(d=d, k=k, m=m, p=p, mu0_c=-p * fc, mu1_c=(1 - p) * fc,
                            sd0=np.sqrt(var0), sd1=np.sqrt(var1), O=O, hh=hh, fair_axes=fair,
                            unfair_axes=unfair, mean_axis=mean_ax)


def population_moments(gen: TwoGroupGaussian) -> dict:
    """Population moments of ``gen`` (dense d x d, for small d): mu0, mu1, f, Sigma0, Sigma1,
    Sigma = (1-p) Sigma0 + p Sigma1 + p(1-p) f f^T (law of total covariance), Q = Sigma1 - Sigma0 and
    the uncentred second-moment gap S = E[x x^T | 1] - E[x x^T | 0] (the official code's target)."""
    if gen.d > 4000:
        raise ValueError(f"population_moments forms d x d matrices; d = {gen.d} > 4000")
    R = gen.columns(tuple(range(gen.d)))  # = O
    mu0, mu1 = R @ gen.mu0_c, R @ gen.mu1_c
    S0 = (R * gen.sd0**2) @ R.T
    S1 = (R * gen.sd1**2) @ R.T
    f = mu1 - mu0
    p = gen.p
    Sigma = (1 - p) * S0 + p * S1 + p * (1 - p) * np.outer(f, f)
    return {"mu0": mu0, "mu1": mu1, "f": f, "Sigma0": S0, "Sigma1": S1, "Sigma": Sigma,
            "Q": S1 - S0, "S": S1 + np.outer(mu1, mu1) - S0 - np.outer(mu0, mu0), "p": p}


def empirical_moments(X, s, center: bool = True) -> dict:
    """The moments of the empirical distribution of (X, s) (same keys as
    :func:`population_moments`). With ``center`` the data are first centred by their global mean
    (FNPM uses uncentred moments, so a real data set is centred before streaming); ``X`` is
    returned centred under key ``X``."""
    X = np.asarray(X, float)
    s = np.asarray(s)
    if X.ndim != 2 or s.shape != (X.shape[0],):
        raise ValueError(f"need X of shape (n, d) and s of shape (n,), got {X.shape}, {s.shape}")
    if not set(np.unique(s)) <= {0, 1} or len(np.unique(s)) < 2:
        raise ValueError("s must contain both groups 0 and 1 and nothing else")
    if center:
        X = X - X.mean(0)
    X0, X1 = X[s == 0], X[s == 1]
    p = float(np.mean(s == 1))
    mu0, mu1 = X0.mean(0), X1.mean(0)
    S0 = np.cov(X0.T, bias=True)
    S1 = np.cov(X1.T, bias=True)
    M = X.T @ X / len(X)
    mean = X.mean(0)
    return {"mu0": mu0, "mu1": mu1, "f": mu1 - mu0, "Sigma0": S0, "Sigma1": S1,
            "Sigma": M - np.outer(mean, mean), "Q": S1 - S0,
            "S": X1.T @ X1 / len(X1) - X0.T @ X0 / len(X0), "p": p, "X": X}


def null_it_out(Sigma, gap, f, k: int, m: int, tol: float = 1e-10):
    """Offline "null it out" fair PCA (arXiv:2310.18593, poster: the fair PCA problem
    max_{V^T V = I_k} tr(V^T Pi Sigma Pi V), Pi = I - U U^T).

    P_m: the top-m eigenvectors of ``gap`` (Q or the uncentred S) ordered by |eigenvalue|;
    g = (I - P_m P_m^T) f; U = [P_m | g/||g||], or U = P_m when ||g|| <= tol ||f|| (as the official
    code's ground truth); V: the top-k eigenvectors of Pi Sigma Pi. Returns (V, U, P_m, eigvals of
    Pi Sigma Pi in decreasing order)."""
    Sigma, gap, f = (np.asarray(a, float) for a in (Sigma, gap, f))
    d = Sigma.shape[0]
    d, k, m = _check_dims(d, k, m)
    for name, A in (("Sigma", Sigma), ("gap", gap)):
        if A.shape != (d, d) or not np.allclose(A, A.T, atol=1e-10 * max(1.0, np.abs(A).max())):
            raise ValueError(f"{name} must be a symmetric {d} x {d} matrix")
    if f.shape != (d,):
        raise ValueError(f"f must have shape ({d},), got {f.shape}")
    lam, E = np.linalg.eigh((gap + gap.T) / 2)
    order = np.argsort(-np.abs(lam), kind="stable")
    Pm = E[:, order[:m]]
    g = f - Pm @ (Pm.T @ f)
    ng = np.linalg.norm(g)
    U = np.column_stack([Pm, g / ng]) if ng > tol * max(np.linalg.norm(f), 1e-300) else Pm
    Pi = np.eye(d) - U @ U.T
    M = Pi @ Sigma @ Pi
    ev, EV = np.linalg.eigh((M + M.T) / 2)
    return EV[:, ::-1][:, :k], U, Pm, ev[::-1]


# ------------------------------------------------------------------------------------ streams
def read_blocks(blocks: Iterable, d: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Validate a stream of (x, s) blocks: x of shape (b, d), finite; s of shape (b,) with values in
    {0, 1}. Any iterable works (a generator reading a file, a data loader, :func:`npy_stream`), so
    a data set larger than memory can be streamed. ``d`` is fixed by the first block when None.
    Raises ValueError naming the block (0-based) and what is wrong."""
    if d is not None:
        d = _int("d", d, 1)
    for i, blk in enumerate(blocks):
        try:
            x, s = blk
        except (TypeError, ValueError):
            raise ValueError(f"block {i} must be a pair (x, s), got {type(blk).__name__}") from None
        x = np.asarray(x, dtype=np.float64)
        s = np.asarray(s)
        if x.ndim != 2 or x.shape[0] < 1:
            raise ValueError(f"block {i}: x must have shape (b, d) with b >= 1, got {x.shape}")
        if d is None:
            d = x.shape[1]
        if x.shape[1] != d:
            raise ValueError(f"block {i} has width {x.shape[1]}, expected d = {d}")
        if s.shape != (x.shape[0],):
            raise ValueError(f"block {i}: s must have shape ({x.shape[0]},), got {s.shape}")
        if not np.all(np.isfinite(x)):
            bad = np.argwhere(~np.isfinite(x))[0]
            raise ValueError(f"block {i} has a non-finite value at row {bad[0]}, column {bad[1]}")
        if not np.all((s == 0) | (s == 1)):
            raise ValueError(f"block {i}: s must take values in {{0, 1}}, got {np.unique(s)}")
        yield x, s.astype(np.int64)


def array_stream(X, s, block_size: int, *, seed: int | None = None, n_blocks: int | None = None):
    """Blocks of ``block_size`` rows of an in-memory (X, s): one pass in order (``seed=None``; the
    last block holds the remainder), or,
    with a seed, ``n_blocks`` blocks drawn i.i.d. with replacement from the empirical distribution."""
    X, s = np.asarray(X), np.asarray(s)
    b = _int("block_size", block_size, 1)
    if seed is None:
        for i in range(0, len(X), b):
            yield X[i:i + b], s[i:i + b]
        return
    rng = np.random.default_rng(_int("seed", seed, 0))
    for _ in range(_int("n_blocks", n_blocks, 1)):
        idx = rng.integers(0, len(X), b)
        yield X[idx], s[idx]


def npy_stream(x_path: str, s_path: str, block_size: int):
    """Blocks read from ``.npy`` files through ``np.load(mmap_mode="r")``: only one block is in
    memory at a time."""
    X = np.load(x_path, mmap_mode="r")
    s = np.load(s_path, mmap_mode="r")
    if len(X) != len(s):
        raise ValueError(f"{x_path} has {len(X)} rows but {s_path} has {len(s)}")
    b = _int("block_size", block_size, 1)
    for i in range(0, len(X) - b + 1, b):
        yield np.array(X[i:i + b]), np.array(s[i:i + b])


def synthetic_stream(gen: TwoGroupGaussian, block_size: int, n_blocks: int, seed: int = 0):
    """``n_blocks`` fresh blocks of ``block_size`` samples from ``gen`` (host numpy)."""
    rng = np.random.default_rng(_int("seed", seed, 0))
    b = _int("block_size", block_size, 1)
    for _ in range(_int("n_blocks", n_blocks, 1)):
        yield gen.sample(rng, b)


# ---------------------------------------------------------------------- the per-block updates
def _phase1_stats(W, x, s):
    """Sufficient statistics of one phase-1 block (or a chunk of it): the two group sums
    sum_{i: s_i = g} x_i x_i^T W (d x m), the group counts and the group sums of x."""
    sf = s.astype(x.dtype)
    XW = x @ W
    A1 = x.T @ (XW * sf[:, None])
    A0 = x.T @ (XW * (1.0 - sf)[:, None])
    sum1 = sf @ x
    return A0, A1, x.shape[0] - jnp.sum(sf), jnp.sum(sf), jnp.sum(x, 0) - sum1, sum1


def _phase1_finish(mean0, mean1, n0, n1, stats, qr=orth):
    """Phase-1 update from a block's statistics (official code, ``subspace_estimation``): with b the
    block size, b_g the group counts and C_g = (1/b) sum_{i: s_i = g} x_i x_i^T W,
    W <- QR((b_0 C_1 - b_1 C_0)/b); the running group means absorb the block."""
    A0, A1, b0, b1, sum0, sum1 = stats
    b = b0 + b1
    W_new = qr((b0 * A1 / b - b1 * A0 / b) / b)
    m0 = jnp.where(n0 + b0 > 0, (mean0 * n0 + sum0) / jnp.maximum(n0 + b0, 1.0), mean0)
    m1 = jnp.where(n1 + b1 > 0, (mean1 * n1 + sum1) / jnp.maximum(n1 + b1, 1.0), mean1)
    return W_new, m0, m1, n0 + b0, n1 + b1


def _phase1_update(W, mean0, mean1, n0, n1, x, s, qr=orth):
    """One phase-1 block: :func:`_phase1_finish` of :func:`_phase1_stats`."""
    return _phase1_finish(mean0, mean1, n0, n1, _phase1_stats(W, x, s), qr)


def _phase2_finish(N, Ysum, B, qr=orth):
    """Phase-2 update from C = Ysum / B = (1/B) sum_i x_i x_i^T (V - N N^T V):
    C <- C - N N^T C, V <- QR(C) (official code, ``train``, pca_optimization="npm")."""
    C = Ysum / B
    return qr(C - N @ (N.T @ C))


def _phase2_update(V, N, x, qr=orth):
    """One phase-2 block: V <- V - N N^T V; C = (1/B) sum_i x_i x_i^T V (uncentred);
    C <- C - N N^T C; V <- QR(C)."""
    V = V - N @ (N.T @ V)
    return _phase2_finish(N, x.T @ (x @ V), x.shape[0], qr)


def qr_q(A):
    """Q factor of LAPACK's thin QR with the signs fixed so that R has a positive diagonal (the
    same matrix as :func:`orth`); for the unbatched per-block updates of :func:`fnpm`."""
    q, r = jnp.linalg.qr(A)
    return q * jnp.where(jnp.diag(r) < 0, -1.0, 1.0)[None, :]


# the streaming path (one block at a time, no vmap): LAPACK's QR, which compiles faster
_phase1_jit = jit(partial(_phase1_update, qr=qr_q))
_phase2_jit = jit(partial(_phase2_update, qr=qr_q))


@partial(jit, static_argnames=("d", "r"))
def _random_basis(key, d, r):
    return qr_q(rnd.normal(key, (d, r)))


@jit
def _between_phases(mean0, mean1, n0, n1, W):
    """f (unit), the residual norm ||(I - W W^T) f|| and N = QR([f | W])."""
    f = _mean_gap(mean0, mean1, n0, n1)
    g = f - W @ (W.T @ f)
    return f, jnp.linalg.norm(g), qr_q(jnp.column_stack([f, W]))


def _mean_gap(mean0, mean1, n0, n1):
    """The official code's mean-gap estimate (n_0 mu_1 - n_1 mu_0)/(n - 1), normalised to unit norm
    (the normalisation is the code's; it removes the scale p(1-p) n/(n-1))."""
    f = (n0 * mean1 - n1 * mean0) / (n0 + n1 - 1.0)
    return f / (jnp.linalg.norm(f) + 1e-300)


@jit
def unfair_basis_qr(f, W):
    """The streaming unfair basis N = QR([f | W]) (official code, ``train``)."""
    return orth(jnp.column_stack([f, W]))


def unfair_basis_offline(f, W, tol: float = 1e-10):
    """The offline construction [W | (I - W W^T) f / ||(I - W W^T) f||] (official code,
    ``offline_train`` and ``get_ground_truth``); W alone when the residual is <= tol ||f||."""
    f, W = jnp.asarray(f), jnp.asarray(W)
    g = f - W @ (W.T @ f)
    ng = float(jnp.linalg.norm(g))
    if ng <= tol * float(jnp.linalg.norm(f)):
        return W
    return jnp.column_stack([W, g / ng])


@dataclass
class FNPMResult:
    """Output of :func:`fnpm`: V (d x k), the unfair basis N (d x r, r <= m+1), the phase-1 W
    (d x m), the unit mean-gap estimate f (d,), the phase-1 group counts (n0, n1), the number of
    samples read, and ``persistent_floats``: the floats the algorithm keeps between blocks
    (V, W or N, two running means, two counts), d(k + m + 1) + 2d + 2 at most."""
    V: np.ndarray
    N: np.ndarray
    W: np.ndarray | None
    f: np.ndarray | None
    counts: tuple
    n_samples: int
    persistent_floats: int


def persistent_floats(d: int, k: int, m: int) -> int:
    """The largest number of floats :func:`fnpm` keeps between blocks: during phase 1 W (d m), two
    running means (2 d) and two counts; during phase 2 V (d k) and N (d (m + 1)); V is drawn at
    the start, so the bound is d (k + m + 1) + 2 d + 2 = O(d (k + m))."""
    return d * (k + m + 1) + 2 * d + 2


def _take(it, n, phase):
    out = []
    for _ in range(n):
        try:
            out.append(next(it))
        except StopIteration:
            raise ValueError(f"the stream ended during {phase} after {len(out)} of {n} blocks") from None
    return out


def fnpm(stream: Iterable, k: int, m: int, *, n_blocks_phase1: int, n_blocks_phase2: int,
         seed: int = 0, d: int | None = None, constraint: str = "all") -> FNPMResult:
    """Fair Noisy Power Method (arXiv:2310.18593, poster Algorithm "FNPM"; phases as the official
    code, HanseulJo/fair-streaming-pca, ``synthetic_fair_streaming_pca/fairPCA.py``).

    ``stream``: any iterator of blocks (x, s), x of shape (b, d), s in {0, 1}^b; each block is read
    once and dropped (validated by :func:`read_blocks`: a block of the wrong width, a non-finite
    value or a label outside {0, 1} raises ValueError naming the block). Data are assumed centred
    (the moments are uncentred, as in the code).

    Phase 1 (``n_blocks_phase1`` = T blocks): W_0 = QR(Gaussian d x m); per block
    W <- QR((b_0 C_1 - b_1 C_0)/b), C_s = (1/b) sum_{s_i = s} x_i x_i^T W, running group means.
    Then f = (n_0 mu_1 - n_1 mu_0)/(n - 1), normalised, and N = QR([f | W]). A group that never
    occurs in phase 1 raises ValueError.
    Phase 2 (``n_blocks_phase2`` blocks, labels unused): V_0 = QR(Gaussian d x k); per block
    V <- V - N N^T V, C = (1/B) sum x x^T V, C <- C - N N^T C, V <- QR(C).

    ``constraint``: "all" (FNPM), "mean" (mean-matched noisy power: N = f), "covariance" (N = W),
    "vanilla" (no phase 1, N empty: the block noisy power method of Hardt & Price 2014).

    Persistent memory: V, W/N, two running means and two counts, at most
    :func:`persistent_floats` (d, k, m) = d(k + m + 1) + 2d + 2 floats; no d x d matrix is formed.
    The working memory of one block is O(b d) for the block itself plus O(d (k + m))."""
    k = _int("k", k, 1)
    m = _int("m", m, 0)
    T1 = _int("n_blocks_phase1", n_blocks_phase1, 0)
    T2 = _int("n_blocks_phase2", n_blocks_phase2, 1)
    seed = _int("seed", seed, 0)
    if constraint not in ("all", "mean", "covariance", "vanilla"):
        raise ValueError(f"constraint must be 'all', 'mean', 'covariance' or 'vanilla', got {constraint!r}")
    if constraint == "all" and m == 0:
        constraint = "mean"
    if constraint in ("covariance",) and m == 0:
        raise ValueError("constraint='covariance' needs m >= 1")
    if constraint != "vanilla" and T1 < 1:
        raise ValueError(f"n_blocks_phase1 must be >= 1 for constraint={constraint!r}")
    it = iter(read_blocks(stream, d))
    first = _take(it, 1, "phase 1" if constraint != "vanilla" else "phase 2")[0]
    d = first[0].shape[1]
    _check_dims(d, k, m if constraint in ("all", "covariance") else 0)
    pending = [first]
    key = jax.random.PRNGKey(seed)
    kW, kV = jax.random.split(key)
    n_read = 0
    W = f = None
    counts = (0, 0)
    mw = m if constraint in ("all", "covariance") else 1  # the mean-only variant carries a dummy W
    if constraint != "vanilla":
        W = _random_basis(kW, d=d, r=mw)
        mean0 = jnp.zeros(d)
        mean1 = jnp.zeros(d)
        n0 = n1 = jnp.zeros((), jnp.float64)  # not weakly typed: the jitted update compiles once
        for t in range(T1):
            x, s = pending.pop() if pending else _take(it, 1, "phase 1")[0]
            n_read += len(s)
            W, mean0, mean1, n0, n1 = _phase1_jit(W, mean0, mean1, n0, n1, jnp.asarray(x),
                                                 jnp.asarray(s))
        counts = (int(n0), int(n1))
        for g, c in enumerate(counts):
            if c == 0:
                raise ValueError(f"group s={g} does not occur in the {sum(counts)} phase-1 samples: "
                                 "the mean and covariance gaps cannot be estimated")
        f, gnorm, N_fW = _between_phases(mean0, mean1, n0, n1, W)
        if constraint == "all":
            N = N_fW if float(gnorm) > 1e-10 else W
        elif constraint == "mean":
            N, W = f[:, None], None
        else:
            N = W
    else:
        N = jnp.zeros((d, 0))
    V = _random_basis(kV, d=d, r=k)
    for t in range(T2):
        x, _ = pending.pop() if pending else _take(it, 1, "phase 2")[0]
        n_read += len(x)
        V = _phase2_jit(V, N, jnp.asarray(x))
    return FNPMResult(V=np.asarray(V), N=np.asarray(N), W=None if W is None else np.asarray(W),
                      f=None if f is None else np.asarray(f), counts=counts, n_samples=n_read,
                      persistent_floats=persistent_floats(d, k, m))


def npm(stream: Iterable, k: int, *, n_blocks: int, seed: int = 0, mean_matched: bool = False,
        n_blocks_mean: int = 0, d: int | None = None) -> FNPMResult:
    """Baselines of arXiv:2310.18593 (poster, Figure 2): the vanilla block noisy power method
    (Hardt & Price 2014; V <- QR((1/B) sum x x^T V)), or with ``mean_matched`` the mean-matched
    variant (the mean gap estimated from ``n_blocks_mean`` blocks, then projected out as in
    :func:`fnpm` with constraint "mean")."""
    if mean_matched:
        return fnpm(stream, k, 0, n_blocks_phase1=n_blocks_mean, n_blocks_phase2=n_blocks,
                    seed=seed, d=d, constraint="mean")
    return fnpm(stream, k, 0, n_blocks_phase1=0, n_blocks_phase2=n_blocks, seed=seed, d=d,
                constraint="vanilla")


# ------------------------------------------------------------------- jitted synthetic experiments
def _gen_arrays(gen: TwoGroupGaussian):
    O = gen.O if gen.O is not None else np.zeros((0, 0))
    hh = gen.hh if gen.hh is not None else np.zeros((0, gen.d))
    return tuple(jnp.asarray(a) for a in (gen.mu0_c, gen.mu1_c, gen.sd0, gen.sd1, O, hh)) + (
        jnp.asarray(gen.p),)


def _sample_block(arrs, key, b):
    mu0, mu1, sd0, sd1, O, hh, p = arrs
    ks, kz = jax.random.split(key)
    s = jax.random.bernoulli(ks, p, (b,)).astype(jnp.int64)
    z = rnd.normal(kz, (b, mu0.shape[0]))
    c = jnp.where(s[:, None] == 1, mu1 + sd1 * z, mu0 + sd0 * z)
    if O.shape[0]:
        return c @ O.T, s

    def refl(C, h):
        return C - 2.0 * jnp.outer(C @ h, h), None
    c, _ = lax.scan(refl, c, hh[::-1])
    return c, s


#: modes of the jitted runner (a traced integer, so one compilation serves all three)
_MODES = {"all": 0, "mean": 1, "vanilla": 2}


@partial(jit, static_argnames=("k", "m", "chunk"))
def _fnpm_runs(arrs, keys, n_chunks1, T1, n_chunks2, T2, mode, k, m, chunk):
    """R runs (``keys``) of FNPM on ``arrs``' mixture. A block of b = n_chunks * chunk samples is
    drawn ``chunk`` rows at a time inside a ``fori_loop`` with a traced trip count, its statistics
    summed, then the block update applied; so block sizes, iteration counts and the mode are traced
    values and one compilation serves them all."""
    d = arrs[0].shape[0]
    mw = max(m, 1)

    def one(key):
        kW, kV, k1, k2 = jax.random.split(key, 4)

        def p1(t, carry):
            W, m0, m1, n0, n1 = carry
            kb = jax.random.fold_in(k1, t)

            def acc(i, st):
                x, s = _sample_block(arrs, jax.random.fold_in(kb, i), chunk)
                return tuple(a + b for a, b in zip(st, _phase1_stats(W, x, s)))
            z = (jnp.zeros((d, mw)), jnp.zeros((d, mw)), 0.0, 0.0, jnp.zeros(d), jnp.zeros(d))
            st = lax.fori_loop(0, n_chunks1, acc, z)
            return _phase1_finish(m0, m1, n0, n1, st)
        init = (orth(rnd.normal(kW, (d, mw))), jnp.zeros(d), jnp.zeros(d),
                jnp.asarray(0.0), jnp.asarray(0.0))
        W, m0, m1, n0, n1 = lax.fori_loop(0, T1, p1, init)
        f = _mean_gap(m0, m1, n0, n1)
        # mode 0: N = QR([f | W]); 1: [f | 0]; 2: 0 (zero columns project nothing)
        N_all = unfair_basis_qr(f, W) if m > 0 else f[:, None]
        N_mean = jnp.zeros_like(N_all).at[:, 0].set(f)
        N = jnp.where(mode == 0, N_all, jnp.where(mode == 1, N_mean, jnp.zeros_like(N_all)))

        def p2(t, V):
            kb = jax.random.fold_in(k2, t)
            Vp = V - N @ (N.T @ V)

            def acc(i, Y):
                x, _ = _sample_block(arrs, jax.random.fold_in(kb, i), chunk)
                return Y + x.T @ (x @ Vp)
            Y = lax.fori_loop(0, n_chunks2, acc, jnp.zeros((d, k)))
            return _phase2_finish(N, Y, n_chunks2 * chunk)
        V = lax.fori_loop(0, T2, p2, orth(rnd.normal(kV, (d, k))))
        return V, N, W, f
    return jax.vmap(one)(keys)


def fnpm_synthetic(gen: TwoGroupGaussian, k: int, m: int, *, block_size: int, n_iter: int,
                   n_runs: int, seed: int = 0, block_size_phase2: int | None = None,
                   n_iter_phase2: int | None = None, constraint: str = "all",
                   chunk: int = 100) -> dict:
    """``n_runs`` independent FNPM runs on fresh samples of ``gen`` in one jitted graph: phase 1 and
    phase 2 loop over blocks inside the graph (each block drawn there, ``chunk`` rows at a time,
    used once, never stored), ``vmap`` over runs; the per-block updates are those of :func:`fnpm`.
    Block sizes must be multiples of ``chunk``; block sizes, iteration counts and ``constraint``
    ("all" = FNPM, "mean" = mean-matched NPM, "vanilla" = NPM; phase 1 runs in every mode) are
    traced, so one compilation per (d, k, m, n_runs, chunk) serves every call.
    Returns numpy arrays V (R, d, k), N (R, d, m+1), W (R, d, max(m, 1)), f (R, d)."""
    d, k, m = _check_dims(gen.d, k, m)
    chunk = _int("chunk", chunk, 1)
    b1 = _int("block_size", block_size, 1)
    T1 = _int("n_iter", n_iter, 1)
    b2 = b1 if block_size_phase2 is None else _int("block_size_phase2", block_size_phase2, 1)
    T2 = T1 if n_iter_phase2 is None else _int("n_iter_phase2", n_iter_phase2, 1)
    for name, b in (("block_size", b1), ("block_size_phase2", b2)):
        if b % chunk:
            raise ValueError(f"{name} = {b} must be a multiple of chunk = {chunk}")
    R = _int("n_runs", n_runs, 1)
    if constraint not in _MODES:
        raise ValueError(f"constraint must be 'all', 'mean' or 'vanilla', got {constraint!r}")
    keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(_int("seed", seed, 0)), b1), R)
    V, N, W, f = _fnpm_runs(_gen_arrays(gen), keys, b1 // chunk, T1, b2 // chunk, T2,
                            _MODES[constraint], k=k, m=m, chunk=chunk)
    return {"V": np.asarray(V), "N": np.asarray(N), "W": np.asarray(W), "f": np.asarray(f)}


# --------------------------------------------------------------------------- dense references
def dense_fair_pca_stream(stream: Iterable, k: int, m: int, d: int | None = None,
                          solve: bool = True):
    """The d x d streaming estimator: accumulate the group second moments (two d x d matrices) and
    means over the whole stream, then :func:`null_it_out` on the uncentred gap. The memory foil of
    :func:`fnpm` (O(d^2) floats) and the offline solution of the streamed empirical distribution.
    Returns (V, U), or with ``solve=False`` the accumulated moments (M0, M1, mu0, mu1, n0, n1)."""
    M = [None, None]
    sums = [None, None]
    n = [0, 0]
    for x, s in read_blocks(stream, d):
        for g in (0, 1):
            xg = x[s == g]
            if M[g] is None:
                M[g] = np.zeros((x.shape[1], x.shape[1]))
                sums[g] = np.zeros(x.shape[1])
            M[g] += xg.T @ xg
            sums[g] += xg.sum(0)
            n[g] += len(xg)
    if min(n) == 0:
        raise ValueError(f"group s={n.index(0)} does not occur in the stream")
    nt = n[0] + n[1]
    mu = [sums[g] / n[g] for g in (0, 1)]
    if not solve:
        return {"M0": M[0] / n[0], "M1": M[1] / n[1], "mu0": mu[0], "mu1": mu[1], "n0": n[0],
                "n1": n[1]}
    S = M[1] / n[1] - M[0] / n[0]
    Sigma = (M[0] + M[1]) / nt
    V, U, _, _ = null_it_out(Sigma, S, mu[1] - mu[0], k, m)
    return V, U


def sklearn_pca(X, k: int):
    """scikit-learn ``PCA`` (the unfair offline reference): the top-k principal axes (d x k)."""
    from sklearn.decomposition import PCA
    return PCA(n_components=_int("k", k, 1)).fit(np.asarray(X, float)).components_.T


def incremental_pca(stream: Iterable, k: int):
    """scikit-learn ``IncrementalPCA.partial_fit`` over the blocks of ``stream`` (the unfair
    memory-limited streaming reference; labels ignored). Returns the d x k principal axes."""
    from sklearn.decomposition import IncrementalPCA
    ipca = IncrementalPCA(n_components=_int("k", k, 1))
    for x, _ in read_blocks(stream):
        ipca.partial_fit(x)
    return ipca.components_.T


# ------------------------------------------------------------------------------------- memory
def _status_kb(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def _fix_mmap_threshold():
    """glibc: serve every allocation >= 1 MiB by its own mmap, returned to the system on free
    (mallopt M_MMAP_THRESHOLD = -3 fixes the threshold, which glibc otherwise raises after each
    free), so freed large arrays cannot be silently reused and each call's peak is counted."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 20)
    except (OSError, AttributeError):
        pass


def measure_peak_rss(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` and return (result, peak resident-set growth in bytes).

    Linux only: the peak (VmHWM) is reset by writing 5 to ``/proc/self/clear_refs``, then the growth
    is VmHWM after the call minus VmRSS before it. Large allocations are made to come from fresh
    mmaps (:func:`_fix_mmap_threshold`); memory an allocator already holds (XLA's, small objects)
    can still be reused without growth, so read the growth together with the absolute VmHWM (an
    upper bound on everything resident during the call)."""
    if not os.path.exists("/proc/self/clear_refs"):
        raise OSError("measure_peak_rss needs Linux /proc")
    _fix_mmap_threshold()
    import gc
    gc.collect()  # free what earlier calls left to the collector, so it is not freed during fn
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _status_kb("VmRSS")
    out = fn(*args, **kwargs)
    peak = _status_kb("VmHWM")
    return out, max(peak - before, 0) * 1024
