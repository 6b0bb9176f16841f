"""Shared SDP certificate tools (cvxpy; CLARABEL with SCS as fallback).

Lyapunov rate certificates for linear iterations z_{k+1} = M z_k:

* :func:`lyapunov_rate`  the smallest r (by bisection) for which a quadratic Lyapunov function
  V(z) = z^T P z with P >= I and M^T P M <= r^2 P exists. For one fixed M the infimum over
  feasible r is the spectral radius rho(M); every feasible (P, r) certifies
  ||z_k||_P <= r^k ||z_0||_P.
* :func:`uniform_rate`   the same for a family M(theta), theta on a grid, with a parametrised
  template P(theta) = sum_j phi_j(theta) P_j (e.g. phi = (1, theta) for a P affine in a
  singular value). A template constant in theta is the "parameter-free" Lyapunov function.

Every returned certificate is re-checked in floating point (eigenvalues of P and of
r^2 P - M^T P M) before it is accepted, so a solver's "optimal" on a numerically infeasible
problem is not taken as a proof. These tools are generic: any paper whose method is a linear
iteration (GDA variants, momentum methods on quadratics, linearised dynamics) can use them.

Fair-PCA SDPs (references for arXiv:2310.18593, ``docs/papers/fair_pca.md``):

* :func:`fantope_null_sdp`  max <Sigma, P> over the fantope {tr P = k, 0 <= P <= I} with the null
  constraint <P, U U^T> = 0. P >= 0 and <P, U U^T> = 0 force P U = 0, so the relaxation is tight:
  the optimum is the sum of the top-k eigenvalues of (I - U U^T) Sigma (I - U U^T) (Ky Fan), and
  P* = V* V*^T when that eigengap is positive.
* :func:`olfat_aswani_sdp`  the FPCA SDP of Olfat & Aswani (AAAI 2019, eq. 7): max <Sigma, P> - mu t
  with tr P <= k, 0 <= P <= I, <P, f f^T> <= delta^2 and [[t I, P M_i], [M_i^T P, I]] >= 0 for
  M_i M_i^T = i Q + phi I (i = +, -), phi >= ||Q||_2; V is read from the top-k eigenvectors of P*.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import cvxpy as cp
import numpy as np

__all__ = ["Certificate", "lyapunov_rate", "uniform_rate", "check_certificate", "solve_feasible",
           "FantopeSolution", "fantope_null_sdp", "olfat_aswani_sdp"]


@dataclass
class Certificate:
    """A verified rate certificate: ``rate`` r, the matrices ``P`` (one per template basis
    function), and ``bisection`` = list of (r, feasible) probes."""
    rate: float
    P: list
    bisection: list


def solve_feasible(prob: cp.Problem) -> bool:
    """Solve a feasibility problem with CLARABEL, falling back to SCS; True if (nearly) optimal.

    cvxpy's "solution may be inaccurate" warning is silenced here: an ``optimal_inaccurate`` answer
    is only a candidate, and every certificate is re-checked in floating point
    (:func:`check_certificate`) before it is accepted."""
    for solver in ("CLARABEL", "SCS"):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                prob.solve(solver=solver)
        except (cp.error.SolverError, ValueError, ArithmeticError):
            continue
        if prob.status in ("optimal", "optimal_inaccurate"):
            return True
        if prob.status in ("infeasible", "infeasible_inaccurate", "unbounded"):
            return False
    return False


def check_certificate(Ms: Sequence[np.ndarray], Ps: Sequence[np.ndarray], r: float,
                      tol: float = 1e-7) -> bool:
    """Floating-point check that each P_i is positive definite and M_i^T P_i M_i <= r^2 P_i up to
    ``tol`` relative to ||P_i||."""
    for M, P in zip(Ms, Ps):
        P = (P + P.T) / 2
        scale = max(np.linalg.norm(P, 2), 1e-300)
        if np.linalg.eigvalsh(P)[0] <= 0:
            return False
        S = M.T @ P @ M - r**2 * P
        if np.linalg.eigvalsh((S + S.T) / 2)[-1] > tol * scale:
            return False
    return True


def _bisect(build, lo, hi, tol, verify):
    """Bisection on r in [lo, hi]; ``build(r2)`` returns (problem, extract) where extract() gives
    the candidate matrices; ``verify(r, mats)`` re-checks in floating point."""
    probes, best = [], None
    prob, extract, r2 = build()
    # make sure hi is feasible
    for _ in range(8):
        r2.value = hi**2
        ok = solve_feasible(prob) and verify(hi, extract())
        probes.append((hi, ok))
        if ok:
            best = (hi, extract())
            break
        lo, hi = hi, hi + 2 * (hi - lo) + tol
    if best is None:
        return None, probes
    while hi - lo > tol:
        mid = (lo + hi) / 2
        r2.value = mid**2
        ok = solve_feasible(prob) and verify(mid, extract())
        probes.append((mid, ok))
        if ok:
            hi, best = mid, (mid, extract())
        else:
            lo = mid
    return best, probes


def lyapunov_rate(M, tol: float = 1e-5, r_hi: float | None = None,
                  r_lo: float = 0.0) -> Certificate | None:
    """Smallest r (to ``tol``) with P >= I, M^T P M <= r^2 P, by bisection over r in
    [r_lo, r_hi] with one cvxpy problem (r^2 a Parameter); r_hi is doubled while infeasible.
    ``r_lo`` may be set to the spectral radius (no certificate exists below it). Returns a
    :class:`Certificate` or None if nothing up to 2^8 r_hi is certifiable."""
    M = np.asarray(M, float)
    n = M.shape[0]
    if M.shape != (n, n):
        raise ValueError(f"M must be square, got shape {M.shape}")
    r_hi = float(np.linalg.norm(M, 2)) + 1e-3 if r_hi is None else r_hi

    def build():
        P = cp.Variable((n, n), symmetric=True)
        r2 = cp.Parameter(nonneg=True)
        S = M.T @ P @ M - r2 * P
        cons = [P >> np.eye(n), (S + S.T) / 2 << 0]
        return cp.Problem(cp.Minimize(0), cons), (lambda: [P.value]), r2

    best, probes = _bisect(build, r_lo, r_hi, tol,
                           lambda r, mats: mats[0] is not None and check_certificate([M], mats, r))
    if best is None:
        return None
    return Certificate(rate=best[0], P=best[1], bisection=probes)


def uniform_rate(M_of: Callable[[float], np.ndarray], thetas: Sequence[float],
                 basis: Sequence[Callable[[float], float]], tol: float = 1e-5,
                 r_hi: float = 2.0, r_lo: float = 0.0) -> Certificate | None:
    """Smallest r with one template P(theta) = sum_j basis_j(theta) P_j such that, for every theta
    in ``thetas``, P(theta) >= I and M(theta)^T P(theta) M(theta) <= r^2 P(theta).

    With ``basis = (lambda t: 1.0,)`` the Lyapunov function does not depend on theta; with
    ``(1, t)`` it is affine in theta (for a bilinear game with theta a singular value of B this is
    a quadratic form with cross terms through B). The constraints are imposed on the grid
    ``thetas`` (a sampled, not continuous, certificate: say so when reporting it)."""
    Ms = [np.asarray(M_of(t), float) for t in thetas]
    n = Ms[0].shape[0]
    phis = np.array([[float(b(t)) for b in basis] for t in thetas])

    def build():
        Pj = [cp.Variable((n, n), symmetric=True) for _ in basis]
        r2 = cp.Parameter(nonneg=True)
        cons = []
        for M, ph in zip(Ms, phis):
            P = sum(c * Q for c, Q in zip(ph, Pj))
            S = M.T @ P @ M - r2 * P
            cons += [P >> np.eye(n), (S + S.T) / 2 << 0]
        return cp.Problem(cp.Minimize(0), cons), (lambda: [Q.value for Q in Pj]), r2

    def verify(r, mats):
        if any(m is None for m in mats):
            return False
        Ps = [sum(c * Q for c, Q in zip(ph, mats)) for ph in phis]
        return check_certificate(Ms, Ps, r)

    best, probes = _bisect(build, r_lo, r_hi, tol, verify)
    if best is None:
        return None
    return Certificate(rate=best[0], P=best[1], bisection=probes)


# ------------------------------------------------------------------------------ fair PCA SDPs
@dataclass
class FantopeSolution:
    """An SDP solution: ``P`` (d x d, symmetrised), ``objective`` (the solver's optimum),
    ``status`` (cvxpy's), ``V`` (the top-k eigenvectors of P) and ``eigvals`` of P (decreasing)."""
    P: np.ndarray
    objective: float
    status: str
    V: np.ndarray
    eigvals: np.ndarray


def _solve(prob: cp.Problem) -> str:
    for solver in ("CLARABEL", "SCS"):
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                prob.solve(solver=solver)
        except (cp.error.SolverError, ValueError, ArithmeticError):
            continue
        if prob.status in ("optimal", "optimal_inaccurate"):
            return prob.status
    raise ArithmeticError(f"SDP not solved (status {prob.status})")


def _finish(P, value, status, k):
    P = (np.asarray(P) + np.asarray(P).T) / 2
    ev, E = np.linalg.eigh(P)
    return FantopeSolution(P=P, objective=float(value), status=status, V=E[:, ::-1][:, :k],
                           eigvals=ev[::-1])


def _check_sym(name, A, d=None):
    A = np.asarray(A, float)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or (d is not None and A.shape[0] != d):
        raise ValueError(f"{name} must be a square{'' if d is None else f' {d} x {d}'} matrix, "
                         f"got shape {A.shape}")
    if not np.allclose(A, A.T, atol=1e-9 * max(1.0, float(np.abs(A).max()))):
        raise ValueError(f"{name} must be symmetric")
    return (A + A.T) / 2


def _check_k(k, d):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k < d:
        raise ValueError(f"k must be an integer in [1, {d}), got {k!r}")
    return int(k)


def fantope_null_sdp(Sigma, U, k: int, null: bool = True) -> FantopeSolution:
    """max <Sigma, P> s.t. tr P = k, 0 <= P <= I and (``null``) <P, U U^T> = 0 (cvxpy, CLARABEL with
    SCS as fallback). The eigen-reference it must equal is sum_{i<=k} lambda_i(Pi Sigma Pi),
    Pi = I - U U^T; with ``null=False`` it is the vanilla PCA value sum_{i<=k} lambda_i(Sigma)."""
    Sigma = _check_sym("Sigma", Sigma)
    d = Sigma.shape[0]
    k = _check_k(k, d)
    U = np.asarray(U, float)
    if U.ndim != 2 or U.shape[0] != d:
        raise ValueError(f"U must have shape ({d}, r), got {U.shape}")
    P = cp.Variable((d, d), symmetric=True)
    cons = [cp.trace(P) == k, P >> 0, np.eye(d) - P >> 0]
    if null:
        cons.append(cp.trace(P @ (U @ U.T)) == 0)
    prob = cp.Problem(cp.Maximize(cp.trace(Sigma @ P)), cons)
    status = _solve(prob)
    return _finish(P.value, prob.value, status, k)


def olfat_aswani_sdp(Sigma, f, Q, k: int, mu: float, delta: float = 0.0,
                     phi: float | None = None) -> FantopeSolution:
    """The fair-PCA SDP of Olfat & Aswani (AAAI 2019, "Convex formulations for fair principal
    component analysis", eq. 7):

        max <Sigma, P> - mu t  s.t.  tr P <= k, 0 <= P <= I, <P, f f^T> <= delta^2,
        [[t I, P M_i], [M_i^T P, I]] >= 0,  M_i M_i^T = i Q + phi I,  i in {+1, -1},

    phi >= ||Q||_2 (default ||Q||_2 + 1e-6, so both Cholesky factors exist). The two LMIs say
    P (+-Q + phi I) P <= t I: t bounds the projected covariance gap (shifted by phi). P shrinks as mu
    grows, so compare the extracted V (top-k eigenvectors of P), not objective values."""
    Sigma = _check_sym("Sigma", Sigma)
    d = Sigma.shape[0]
    Q = _check_sym("Q", Q, d)
    k = _check_k(k, d)
    f = np.asarray(f, float).reshape(-1)
    if f.shape != (d,):
        raise ValueError(f"f must have shape ({d},), got {f.shape}")
    for name, v in (("mu", mu), ("delta", delta)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
            raise ValueError(f"{name} must be a real number >= 0, got {v!r}")
    qn = float(np.linalg.norm(Q, 2))
    phi = qn + 1e-6 if phi is None else float(phi)
    if not phi > qn - 1e-12:
        raise ValueError(f"phi must be >= ||Q||_2 = {qn}, got {phi}")
    P = cp.Variable((d, d), symmetric=True)
    t = cp.Variable()
    cons = [cp.trace(P) <= k, P >> 0, np.eye(d) - P >> 0,
            cp.trace(P @ np.outer(f, f)) <= delta**2]
    for sign in (1.0, -1.0):
        M = np.linalg.cholesky(sign * Q + phi * np.eye(d))
        PM = P @ M
        cons.append(cp.bmat([[t * np.eye(d), PM], [PM.T, np.eye(d)]]) >> 0)
    prob = cp.Problem(cp.Maximize(cp.trace(Sigma @ P) - mu * t), cons)
    status = _solve(prob)
    return _finish(P.value, prob.value, status, k)
