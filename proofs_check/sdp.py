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
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import cvxpy as cp
import numpy as np

__all__ = ["Certificate", "lyapunov_rate", "uniform_rate", "check_certificate", "solve_feasible"]


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
