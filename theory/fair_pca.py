"""Closed forms for Lee, Cho, Yun & Yun, "Fair Streaming Principal Component Analysis: Statistical
and Algorithmic Viewpoint" (arXiv:2310.18593, NeurIPS 2023).

Level of each statement (see ``docs/papers/fair_pca.md``):

* PAFO-learnability (:func:`is_pafo`, :func:`pafo_rate`) and the sample complexity
  N = N_1 + N_2 (:func:`sample_complexity`) are the **poster's informal statements** (the authors'
  NeurIPS poster); the paper's formal theorem, its constants and log factors were not available.
  The checkable content is the order: exponents and slopes, derived here with sympy.
* :func:`total_covariance_identity`, :func:`uncentred_gap_relation`, :func:`null_equivalence` and
  :func:`vtqv_bound` are derived in this toolkit (``docs/papers/fair_pca.md#what-we-derived``).
"""
from __future__ import annotations

import numpy as np
import sympy as sp

__all__ = [
    "d", "k", "m", "delta", "eps_o", "eps_f", "Delta_Sigma", "Delta_S", "p_min", "f_max", "g_min",
    "N", "p", "alpha_expr", "N2_expr", "N1_expr", "sample_complexity", "log_slope",
    "fairness_error_vs_samples", "predicted_fairness_slope", "is_pafo", "pafo_rate",
    "total_covariance_identity", "uncentred_gap_relation", "null_equivalence", "vtqv_bound",
    "INFORMAL",
]

#: tag carried by every expression read from the poster: informal statement, not the theorem
INFORMAL = "arXiv:2310.18593 poster, informal theorem (constants and log factors not confirmed)"

d, k, m = sp.symbols("d k m", positive=True, integer=True)
delta, eps_o, eps_f = sp.symbols("delta epsilon_o epsilon_f", positive=True)
Delta_Sigma, Delta_S = sp.symbols("Delta_Sigma_k Delta_S_m", positive=True)
p_min, f_max, g_min = sp.symbols("p_min f_max g_min", positive=True)
N, p = sp.symbols("N p", positive=True)
g_nonzero = sp.Symbol("g_nonzero", nonnegative=True)   # the indicator 1[g != 0], 0 or 1


def alpha_expr(g_is_zero: bool = False):
    """alpha = 1 + 1[g != 0] f_max^2 / g_min^2 (poster, informal theorem); g = (I - P_m P_m^T) f.
    With ``g_is_zero`` the indicator is 0 and alpha = 1."""
    ind = 0 if g_is_zero else g_nonzero
    return 1 + ind * f_max**2 / g_min**2


def N2_expr():
    """Phase-2 budget N_2(eps_o, delta) = (1/Delta_{Sigma,k}^3) (d k / delta^2 + k^2 / eps_o^2), the
    expression inside the poster's Omega(.) (informal; constant 1)."""
    return (d * k / delta**2 + k**2 / eps_o**2) / Delta_Sigma**3


def N1_expr(g_is_zero: bool = False):
    """Phase-1 budget N_1 = (1/(p_min Delta_{S,m}^3)) (d m / delta^2 + alpha (1/eps_f^2 +
    Delta_{Sigma,k} N_2)), the expression inside the poster's Omega(.) (informal; constant 1)."""
    a = alpha_expr(g_is_zero)
    return (d * m / delta**2 + a * (1 / eps_f**2 + Delta_Sigma * N2_expr())) / (p_min * Delta_S**3)


def sample_complexity(g_is_zero: bool = False):
    """N_{F_d}(eps_f, eps_o, delta) = N_1 + N_2 (poster, informal theorem: FNPM is PAFO-learnable
    with this many samples)."""
    return N1_expr(g_is_zero) + N2_expr()


def log_slope(expr, var, at=None):
    """The elasticity d log(expr) / d log(var), optionally its limit ``var -> at`` (sympy)."""
    e = sp.simplify(sp.diff(sp.log(expr), var) * var)
    return sp.limit(e, var, at) if at is not None else e


def fairness_error_vs_samples():
    """Invert N_1 = N in eps_f at fixed everything else (N_1 is affine in y = 1/eps_f^2, solved for
    y by sympy): eps_f(N) = y(N)^(-1/2) = sqrt(alpha / (p_min Delta_S^3 N - rest)) ~ N^(-1/2).
    Returns (eps_f(N), its log-log slope as N -> oo)."""
    y = sp.Symbol("y", positive=True)
    n1 = N1_expr().subs(eps_f, 1 / sp.sqrt(y))
    y_of_N = sp.solve(sp.Eq(n1, N), y)[0]
    ef = 1 / sp.sqrt(y_of_N)
    return ef, sp.limit(sp.diff(sp.log(y_of_N), N) * N, N, sp.oo) * sp.Rational(-1, 2)


def predicted_fairness_slope() -> float:
    """The predicted slope of log eps_f against log N (block size at a fixed number of blocks):
    -1/2 (derived from the informal N_1 ~ 1/eps_f^2)."""
    return float(fairness_error_vs_samples()[1])


# ------------------------------------------------------------------------------------ PAFO
def is_pafo(V_hat, V_star, Sigma, U, eps_o: float, eps_f: float) -> bool:
    """The poster's PAFO conditions for one output (arXiv:2310.18593, poster, Definition
    "PAFO-learnability"; informal): V_hat^T V_hat = I_k (to 1e-8), optimality
    tr(V_hat^T Sigma V_hat) >= tr(V*^T Sigma V*) - eps_o, fairness ||U^T V_hat||_2 <= eps_f."""
    V_hat, V_star, Sigma, U = (np.asarray(a, float) for a in (V_hat, V_star, Sigma, U))
    for name, v in (("eps_o", eps_o), ("eps_f", eps_f)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise ValueError(f"{name} must lie in (0, 1), got {v!r}")
    kk = V_hat.shape[1]
    if np.linalg.norm(V_hat.T @ V_hat - np.eye(kk)) > 1e-8:
        return False
    opt = np.trace(V_star.T @ Sigma @ V_star)
    return bool(np.trace(V_hat.T @ Sigma @ V_hat) >= opt - eps_o
                and np.linalg.norm(U.T @ V_hat, 2) <= eps_f)


def pafo_rate(outputs, V_star, Sigma, U, eps_o: float, eps_f: float) -> float:
    """Fraction of runs ``outputs`` (each d x k) meeting :func:`is_pafo`; PAFO at confidence delta
    asks for at least 1 - delta."""
    return float(np.mean([is_pafo(V, V_star, Sigma, U, eps_o, eps_f) for V in outputs]))


# ------------------------------------------------------------------------------ identities
def _sym_mat(name, n=2):
    return sp.Matrix(n, n, lambda i, j: sp.Symbol(f"{name}_{min(i, j)}{max(i, j)}", real=True))


def total_covariance_identity(n: int = 2):
    """Law of total covariance for the mixture p D_1 + (1 - p) D_0 with symbolic n x n covariances
    and means: returns Cov[x] - ((1-p) Sigma_0 + p Sigma_1 + p(1-p) f f^T), f = mu_1 - mu_0, which
    simplifies to the zero matrix. Cov[x] is built from the group second moments."""
    S0, S1 = _sym_mat("Sigma0", n), _sym_mat("Sigma1", n)
    mu0 = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"mu0_{i}", real=True))
    mu1 = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"mu1_{i}", real=True))
    second = (1 - p) * (S0 + mu0 * mu0.T) + p * (S1 + mu1 * mu1.T)
    mean = (1 - p) * mu0 + p * mu1
    cov = second - mean * mean.T
    f = mu1 - mu0
    return sp.simplify(cov - ((1 - p) * S0 + p * S1 + p * (1 - p) * f * f.T))


def uncentred_gap_relation(n: int = 2):
    """With zero global mean (mu_1 = (1-p) f, mu_0 = -p f) the uncentred second-moment gap is
    S = E[x x^T | 1] - E[x x^T | 0] = Q + (1 - 2p) f f^T, Q = Sigma_1 - Sigma_0. Returns
    (S - Q as a sympy matrix, the values of p where it vanishes for f != 0) = ((1-2p) f f^T, [1/2])."""
    S0, S1 = _sym_mat("Sigma0", n), _sym_mat("Sigma1", n)
    f = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"f_{i}", real=True))
    mu1, mu0 = (1 - p) * f, -p * f
    S = (S1 + mu1 * mu1.T) - (S0 + mu0 * mu0.T)
    diff = sp.simplify(S - (S1 - S0))
    roots = sp.solve(sp.factor(diff[0, 0] / f[0] ** 2), p)
    return diff, roots


def null_equivalence(V, U, Sigma) -> float:
    """|tr(V^T Sigma V) - tr(V^T Pi Sigma Pi V)| for Pi = I - U U^T: zero when U^T V = 0 (then
    Pi V = V), which is why the constrained problem equals the projected one (poster)."""
    V, U, Sigma = (np.asarray(a, float) for a in (V, U, Sigma))
    PV = V - U @ (U.T @ V)
    return float(abs(np.trace(V.T @ Sigma @ V) - np.trace(PV.T @ Sigma @ PV)))


def vtqv_bound(Q, m: int) -> float:
    """|lambda|_(m+1)(Q), the (m+1)-th largest eigenvalue magnitude of the symmetric Q: for every
    semi-orthogonal V with V perp P_m (the top-m |eigen|vectors of Q), ||V^T Q V||_2 <= this
    (derived: V lies in the span of the remaining eigenvectors; ``docs/papers/fair_pca.md``)."""
    Q = np.asarray(Q, float)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or not np.allclose(Q, Q.T):
        raise ValueError("Q must be a symmetric square matrix")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 0 <= m < Q.shape[0]:
        raise ValueError(f"m must be an integer in [0, {Q.shape[0]}), got {m!r}")
    return float(np.sort(np.abs(np.linalg.eigvalsh(Q)))[::-1][m])
