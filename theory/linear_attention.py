"""The optimal one-layer linear self-attention for in-context linear regression, derived with sympy.

Context: Ahn, Cheng, Song, Yun, Jadbabaie, Sra, *Linear attention is (maybe) all you need (to understand
Transformer optimization)*, arXiv:2310.01082 (ICLR 2024), an empirical paper without a theorem. The closed
form here is **not that paper's**: the optimum of one layer is Ahn, Cheng, Daneshmand, Sra 2023
(arXiv:2306.00297, Theorem 1), also Zhang, Frei, Bartlett 2023 (arXiv:2306.09927, the gradient-flow limit
Gamma^{-1}) and Mahankali, Hashimoto, Ma 2023 (arXiv:2307.03576, isotropic case). This module re-derives it.

Setting (one layer, the official code's sparse parameterisation; P does not reach the query's label
coordinate): yhat = x_{n+1}^T A h, h = (1/n) sum_i y_i x_i = S_hat w*, S_hat = (1/n) sum_i x_i x_i^T, with
x_i ~ N(0, Sigma) i.i.d., w* ~ N(0, I_d), y_i = <w*, x_i>, A = -Q'^T. The loss is

    L(A) = E (yhat - y_{n+1})^2        (the code's ``in_context_loss``: mean squared error, **no factor 1/2**)

Derivation (every step is computed, nothing typed in):

1. :func:`fourth_moment` derives E[x x^T B x x^T] for concrete d entry by entry from Isserlis' theorem
   E[x_a x_b x_c x_e] = S_ab S_ce + S_ac S_be + S_ae S_bc; :func:`wishart_moment` assembles
   E[S_hat B S_hat] = (1/n) E[x x^T B x x^T] + (1 - 1/n) Sigma B Sigma from it and compares it with
   (1 + 1/n) Sigma B Sigma + (1/n) tr(B Sigma) Sigma.
2. :func:`loss_expr` takes the expectations over x_{n+1} and w* (second moments: E v^T M v = tr(M Cov v))
   and over S_hat (step 1): L(A) = tr Sigma - 2 tr(A Sigma^2) + tr(A^T Sigma A E[S_hat^2]).
3. :func:`derive_optimum` solves grad_A L = 0 (a linear system in the d^2 entries of A) and compares the
   solution with A* = ((1 + 1/n) Sigma + (tr Sigma / n) I)^{-1}; L* = L(A*) = tr Sigma - tr(A* Sigma^2).
4. :func:`isotropic_optimum` does the same for Sigma = I_d with symbolic d (A = a I by symmetry):
   a* = n/(n+d+1), L* = d (d+1)/(n+d+1); for d = 5, n = 20: L* = 15/13 ~ 1.1538 (zero model: L = d = 5).
   With a factor 1/2 in the loss the value would be d(d+1)/(2(n+d+1)): the toolkit's (and the code's)
   normalisation is the one without it.

Float versions: :func:`optimal_preconditioner` (the notebook entry point), :func:`optimal_loss`,
:func:`loss_at`. They raise ``ValueError`` naming the parameter for a non-symmetric, non-positive-definite
or non-numeric Sigma and for n not an integer >= 1.
"""
from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp

__all__ = ["n", "d", "a", "SOURCE", "fourth_moment", "wishart_moment", "wishart_moment_closed_form",
           "loss_expr", "derive_optimum", "optimum_closed_form", "isotropic_optimum",
           "optimal_preconditioner", "optimal_loss", "loss_at"]

#: context length n, dimension d, isotropic preconditioner scale a
n = sp.Symbol("n", positive=True)
d = sp.Symbol("d", positive=True)
a = sp.Symbol("a", real=True)

SOURCE = ("Ahn, Cheng, Daneshmand, Sra 2023 (arXiv:2306.00297), Theorem 1; Zhang, Frei, Bartlett 2023 "
          "(arXiv:2306.09927); Mahankali, Hashimoto, Ma 2023 (arXiv:2307.03576); re-derived here")


def _dim(dim) -> int:
    if isinstance(dim, bool) or not hasattr(dim, "__index__") or int(dim) < 1:
        raise ValueError(f"dim must be an integer >= 1, got {dim!r}")
    return int(dim)


def _sym_matrix(name: str, dim: int, symmetric: bool = True) -> sp.Matrix:
    def entry(i, j):
        if symmetric and i > j:
            i, j = j, i
        return sp.Symbol(f"{name}{i + 1}{j + 1}", real=True)
    return sp.Matrix(dim, dim, entry)


def fourth_moment(Sigma: sp.Matrix, B: sp.Matrix) -> sp.Matrix:
    """E[x x^T B x x^T] for x ~ N(0, Sigma), entry (a, e) = sum_{b,c} E[x_a x_b x_c x_e] B_bc with the
    fourth moment from Isserlis' theorem (Wick pairings). Concrete dimension, symbolic entries."""
    k = Sigma.shape[0]
    S = Sigma

    def m4(i, j, l, m):
        return S[i, j] * S[l, m] + S[i, l] * S[j, m] + S[i, m] * S[j, l]

    return sp.Matrix(k, k, lambda i, e: sum(m4(i, b, c, e) * B[b, c]
                                            for b, c in itertools.product(range(k), repeat=2)))


def wishart_moment(Sigma: sp.Matrix, B: sp.Matrix, n_=n) -> sp.Matrix:
    """E[S_hat B S_hat] for S_hat = (1/n) sum_i x_i x_i^T: the n diagonal terms are
    :func:`fourth_moment`, the n(n-1) terms i != j factor into Sigma B Sigma (independence)."""
    return sp.expand(fourth_moment(Sigma, B) / n_ + (1 - 1 / n_) * Sigma * B * Sigma)


def wishart_moment_closed_form(Sigma: sp.Matrix, B: sp.Matrix, n_=n) -> sp.Matrix:
    """(1 + 1/n) Sigma B Sigma + (1/n) tr(B Sigma) Sigma (the formula :func:`wishart_moment` is compared with;
    valid for symmetric B)."""
    return sp.expand((1 + 1 / n_) * Sigma * B * Sigma + (B * Sigma).trace() / n_ * Sigma)


def loss_expr(A: sp.Matrix, Sigma: sp.Matrix, n_=n) -> sp.Expr:
    """L(A) = E (x_{n+1}^T A S_hat w* - x_{n+1}^T w*)^2 for x ~ N(0, Sigma), w* ~ N(0, I):
    E over x_{n+1} gives the Sigma-norm of (A S_hat - I) w*, E over w* the trace, E over S_hat uses
    E[S_hat] = Sigma and :func:`wishart_moment`:  tr Sigma - 2 tr(Sigma A Sigma) + tr(A^T Sigma A E[S_hat^2])."""
    k = Sigma.shape[0]
    I = sp.eye(k)
    # E_{x_q, w}[(x_q^T M w)^2] = tr(M^T Sigma M) for M = A S_hat - I; expand M^T Sigma M in S_hat
    second = wishart_moment(Sigma, I, n_)                       # E[S_hat I S_hat]
    first = Sigma                                               # E[S_hat]
    t = (Sigma - 2 * Sigma * A * first).trace() + (A.T * Sigma * A * second).trace()
    return sp.expand(t)


@functools.cache
def derive_optimum(dim: int = 2, diagonal: bool = False):
    """Solve grad_A L(A) = 0 for a general d x d matrix A (``dim`` = d) and a general symmetric (or, with
    ``diagonal``, diagonal) symbolic Sigma and symbolic n. Returns a dict: ``A_opt`` (sympy Matrix),
    ``matches_closed_form`` (A_opt - :func:`optimum_closed_form` simplifies to 0), ``moment_ok`` (the
    Isserlis-derived :func:`wishart_moment` equals :func:`wishart_moment_closed_form` for a general
    symmetric B; for a non-symmetric B the Isserlis sum is Sigma B Sigma + Sigma B^T Sigma + tr(B Sigma)
    Sigma over the diagonal terms, so the closed form needs B = B^T, which holds for the B's the loss uses),
    ``L_opt`` and ``L_opt_ok`` (L(A_opt) = tr Sigma - tr(A* Sigma^2)), ``Sigma``. L is a convex quadratic in
    A (its Hessian in vec A is 2 E[S_hat^2] (x) Sigma, positive definite), so the stationary point is the
    minimum."""
    k = _dim(dim)
    if diagonal:
        Sigma = sp.diag(*[sp.Symbol(f"lam{i + 1}", positive=True) for i in range(k)])
    else:
        Sigma = _sym_matrix("s", k)
    B = _sym_matrix("b", k)                     # symmetric: the formula is stated for symmetric B
    moment_ok = sp.simplify(wishart_moment(Sigma, B) - wishart_moment_closed_form(Sigma, B)) == sp.zeros(k, k)
    A = _sym_matrix("a", k, symmetric=False)
    L = loss_expr(A, Sigma)
    unknowns = list(A)
    sol = sp.solve([sp.diff(L, v) for v in unknowns], unknowns, dict=True)
    if len(sol) != 1:
        raise RuntimeError(f"expected one stationary point, got {len(sol)}")
    A_opt = A.subs(sol[0])
    closed = optimum_closed_form(Sigma)
    match = sp.simplify(A_opt - closed) == sp.zeros(k, k)
    L_opt = sp.simplify(L.subs(sol[0]))
    L_closed = (Sigma - closed * Sigma * Sigma).trace()
    return {"A_opt": A_opt, "matches_closed_form": bool(match), "moment_ok": bool(moment_ok),
            "L_opt": L_opt, "L_opt_ok": bool(sp.simplify(L_opt - L_closed) == 0), "Sigma": Sigma}


def optimum_closed_form(Sigma: sp.Matrix, n_=n) -> sp.Matrix:
    """A* = ((1 + 1/n) Sigma + (tr Sigma / n) I)^{-1} (Ahn et al. 2023, Thm 1; Zhang-Frei-Bartlett 2023)."""
    k = Sigma.shape[0]
    return ((1 + 1 / n_) * Sigma + Sigma.trace() / n_ * sp.eye(k)).inv()


@functools.cache
def isotropic_optimum():
    """Sigma = I_d, symbolic d: with A = a I, E[S_hat^2] = (1 + 1/n) I + (d/n) I (the moment formula of
    :func:`wishart_moment` with tr I = d), L(a) = d - 2 a d + a^2 d (1 + (d+1)/n). Returns
    ``(a_star, L_star, L_of_a)`` = (n/(n+d+1), d(d+1)/(n+d+1), L(a)) derived by solving dL/da = 0."""
    L_of_a = d - 2 * a * d + a**2 * d * ((1 + 1 / n) + d / n)
    a_star = sp.solve(sp.diff(L_of_a, a), a)[0]
    return sp.simplify(a_star), sp.factor(sp.simplify(L_of_a.subs(a, a_star))), L_of_a


# ------------------------------------------------------------------------------------ float versions
def _check_n(n_):
    if isinstance(n_, bool) or isinstance(n_, str) or not hasattr(n_, "__index__"):
        raise ValueError(f"n must be an integer number of in-context examples >= 1, got {n_!r}")
    if int(n_) < 1:
        raise ValueError(f"n must be >= 1 (number of in-context examples), got {n_}")
    return int(n_)


def _check_sigma(Sigma):
    arr = np.asarray(Sigma)
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        raise ValueError(f"Sigma must be a real numeric matrix, got dtype {arr.dtype}")
    S = arr.astype(np.float64)
    if S.ndim != 2 or S.shape[0] != S.shape[1] or S.shape[0] < 1:
        raise ValueError(f"Sigma must be a square matrix, got shape {S.shape}")
    if not np.all(np.isfinite(S)):
        raise ValueError("Sigma must be finite")
    if not np.allclose(S, S.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(S).max()))):
        raise ValueError("Sigma must be symmetric (a covariance matrix)")
    if np.linalg.eigvalsh(S).min() <= 0:
        raise ValueError("Sigma must be positive definite (smallest eigenvalue <= 0)")
    return S


def optimal_preconditioner(Sigma, n) -> np.ndarray:
    """A* = ((1 + 1/n) Sigma + (tr Sigma / n) I)^{-1}: the optimal one-layer linear-attention
    preconditioner yhat = x_{n+1}^T A* (1/n) sum_i y_i x_i for x ~ N(0, Sigma), w* ~ N(0, I) (Ahn et al.
    2023, Thm 1; derived here by :func:`derive_optimum`). ``Sigma`` (d, d) symmetric positive definite,
    ``n`` the number of in-context examples (integer >= 1)."""
    S = _check_sigma(Sigma)
    n_ = _check_n(n)
    k = S.shape[0]
    return np.linalg.inv((1 + 1 / n_) * S + np.trace(S) / n_ * np.eye(k))


def loss_at(A, Sigma, n) -> float:
    """L(A) = tr Sigma - 2 tr(A Sigma^2) + tr(A^T Sigma A [(1 + 1/n) Sigma^2 + (tr Sigma / n) Sigma])
    (:func:`loss_expr` as floats; E (yhat - y)^2 without a factor 1/2)."""
    S = _check_sigma(Sigma)
    n_ = _check_n(n)
    A = np.asarray(A, dtype=np.float64)
    if A.shape != S.shape:
        raise ValueError(f"A must have the shape of Sigma {S.shape}, got {A.shape}")
    M2 = (1 + 1 / n_) * S @ S + np.trace(S) / n_ * S
    return float(np.trace(S) - 2 * np.trace(A @ S @ S) + np.trace(A.T @ S @ A @ M2))


def optimal_loss(Sigma, n) -> float:
    """L* = tr Sigma - tr(A* Sigma^2); for Sigma = I_d it is d(d+1)/(n+d+1) (15/13 for d = 5, n = 20)."""
    S = _check_sigma(Sigma)
    return float(np.trace(S) - np.trace(optimal_preconditioner(S, n) @ S @ S))
