"""Closed forms for the addition construction of Cho et al., *Position Coupling: Improving Length
Generalization of Arithmetic Transformers Using Task Structure* (NeurIPS 2024, arXiv:2405.20671),
Theorem 5.1, and Proposition 5.2 (NoPE).

Symbols: ``P`` code length (bits per position block), ``d = 17 + 2P`` embedding dimension, ``n``
operand length (digits), ``N`` sequence length (tokens), ``M`` softmax hardness (attention scores are
multiples of M), ``eps`` attention mass leaked to non-target tokens.

What is the paper's and what is ours (docs/papers/position_coupling.md):

* Theorem 5.1 is the paper's, confirmed from the paper's text and the authors' poster: a 1-layer,
  2-head decoder-only Transformer with coupled positions and no normalization solves addition for
  operand length up to ``2^floor((d-17)/2) - 2``, d >= 21 (d = 2P + 17, d_QK = P + 1, d_V = 1). The
  capacity :func:`capacity_of_d` of our construction equals it.
* The paper's softmax hardness condition is ``M >= (1/2) log N + 3`` (:func:`hardness_paper`, confirmed
  from the paper's text). Our construction's own sufficient hardness, derived here, is
  ``M = ln(N / eps_tol)/2 = ln(204 N)/2`` (:func:`hardness_needed`); the paper's condition implies ours
  (:func:`paper_hardness_slack`).
* The weights (``numerics.position_coupling``), the leak bound and the tolerance are derived here for
  our construction: every quantity below is derived with sympy from the construction's stated margins.
"""
from __future__ import annotations

import functools
import math

import sympy as sp

from ._check import integer, real

__all__ = [
    "P", "d", "n", "N", "M", "eps",
    "embedding_dim", "code_length", "capacity_expr", "capacity", "capacity_of_d",
    "sequence_length", "leak_bound_expr", "leak_bound", "tolerance_expr", "leak_tolerance",
    "hardness_needed_expr", "hardness_needed", "hardness_for_capacity", "HEAD_FRACTIONS",
    "nope_pair", "SOURCES", "hardness_paper_expr", "hardness_paper", "paper_hardness_slack",
    "MULT_HEADS", "mult_embedding_dim", "mult_code_length", "mult_capacity_expr", "mult_capacity",
    "mult_capacity_of_d", "mult_max_carry",
]

P, d, n, N, M, eps = sp.symbols("P d n N M epsilon", positive=True)
#: the symbols by name, for functions whose parameters carry the same names
_S = {"P": P, "d": d, "n": n, "N": N, "M": M, "eps": eps}

#: source tags of each statement (shown in docs and claim docstrings)
SOURCES = {
    "theorem_5_1": "paper (confirmed from the paper's text and the authors' poster)",
    "embedding_dim": "paper (d = 2P + 17: 17 named + 2P position coordinates, confirmed from the text)",
    "capacity": "paper (Theorem 5.1's 2^floor((d-17)/2) - 2; our construction attains it)",
    "hardness_paper": "paper (M >= (1/2) log N + 3, confirmed from the paper's text)",
    "leak_bound": "derived here",
    "hardness_needed": "derived here (our construction's sufficient hardness)",
    "proposition_5_2": "paper (confirmed from the authors' poster); proof sketch derived here",
}

#: exact attention fractions of the construction at the response queries (derived here):
#: head 1 (sum) averages {BOS, a_{j+1}, b_{j+1}}; head 2 (carry) averages {BOS, a_j, b_j, o_j}
#: at o_j, {BOS, +, =} at '=', {BOS, o_n} at the final carry digit.
HEAD_FRACTIONS = {"head1_sum": (sp.Rational(1, 3), sp.Integer(1)),
                  "head2_carry": (sp.Rational(1, 4), sp.Rational(1, 3), sp.Rational(1, 2))}


def _int(name, v, lo):
    """An integer parameter (a Python or numpy integer, not a bool, float or string) >= ``lo``."""
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise ValueError(f"{name} must be an integer, got {v!r}")
    return integer(name, v, lo=lo)


def embedding_dim(P: int) -> int:
    """d = 17 + 2P: 17 named coordinates (NUM, IS_BOS, FULL_ONES, PRE_SUM, PRE_CARRY, PRE_EOS,
    SUM x10, IS_EOS) and two P-bit position blocks POS_1, POS_2 (d = 2P + 17 as in Theorem 5.1)."""
    return 17 + 2 * _int("P", P, 2)


def code_length(d: int) -> int:
    """The largest P with 17 + 2P <= d (Theorem 5.1 needs d >= 21, i.e. P >= 2)."""
    d = _int("d", d, 21)
    return (d - 17) // 2


@functools.cache
def capacity_expr():
    """Largest operand length n as a sympy expression in P, derived from the counting condition.

    The n+2 significance classes -1 (the separators), 0, ..., n (the final carry digit) must carry
    pairwise distinct P-bit codes v(p mod 2^P), so n + 2 <= 2^P (the target of o_n, class n+1, may
    wrap onto class -1: it only feeds PRE_SUM at a query that predicts EOS)."""
    sol = sp.solve(sp.Le(n + 2, 2 ** P), n)          # e.g. (0 < n) & (n <= 2**P - 2)
    ubs = [r.rhs for r in sp.And.make_args(sol) if isinstance(r, sp.LessThan) and r.lhs == n]
    return sp.simplify(ubs[0])


def capacity(P: int) -> int:
    """Largest operand length the construction with code length P adds exactly: 2^P - 2 (derived
    here; equals Theorem 5.1's capacity at d = 2P + 17)."""
    P = _int("P", P, 2)
    return int(capacity_expr().subs(_S["P"], P))


def capacity_of_d(d: int) -> int:
    """Operand length as a function of the embedding dimension: 2^{floor((d-17)/2)} - 2, Theorem 5.1's
    capacity (the paper's; our construction attains it). Exponential in d."""
    return capacity(code_length(d))


def sequence_length(n: int) -> int:
    """Tokens of one addition example: BOS, 2n operand digits, '+', '=', n+1 answer digits, EOS."""
    n = _int("n", n, 1)
    return 3 * n + 5


@functools.cache
def leak_bound_expr():
    """Attention mass off the target set, derived: targets (K of them, plus BOS) score M P, every
    other token at most M (P-2), so the leaked mass is at most (N-K-1) e^{-2M} / (K+1) <= N e^{-2M}."""
    K = sp.Symbol("K", nonnegative=True)
    target = (K + 1) * sp.exp(M * P)                 # BOS and the K matches score M P
    others = (N - K - 1) * sp.exp(M * (P - 2))       # everything else scores at most M (P - 2)
    crude = sp.simplify(others / target)             # >= the leaked mass others / (target + others)
    # crude decreases in K (derivative -N e^{-2M} / (K+1)^2 < 0), so K = 0 is the worst case
    assert sp.simplify(sp.diff(crude, K) + N * sp.exp(-2 * M) / (K + 1) ** 2) == 0
    worst = sp.simplify(crude.subs(K, 0))            # (N - 1) e^{-2M}
    return sp.expand(worst + sp.exp(-2 * M))         # rounded up to N e^{-2M}


def leak_bound(N: int, M: float) -> float:
    """N e^{-2M}: the largest deviation of any attention weight of the construction from its exact
    fraction (and the total leaked mass) on an N-token sequence (derived here)."""
    N, M = _int("N", N, 2), real("M", M, positive=True)
    return float(N * math.exp(-2.0 * M))


@functools.cache
def tolerance_expr():
    """Largest leak eps the readout survives, derived from the construction's margins.

    z = PRE_SUM + (PRE_CARRY - 2 NUM)/10 is within 0.1 of an integer and the bump network is flat on
    +-0.25, so an error of 0.15 in z is safe; a leak eps moves PRE_SUM (values 3 NUM in [0, 27]) by
    at most 27 eps and PRE_CARRY/10 (values 4 NUM in [0, 36]) by 3.6 eps. PRE_EOS (the BOS mass,
    1/4, 1/3 or 1/2) must stay on its side of the thresholds 0.38 and 0.46."""
    z_margin = sp.Rational(1, 4) - sp.Rational(1, 10)
    z_gain = 3 * 9 + sp.Rational(4 * 9, 10)
    eos_margin = sp.Min(sp.Rational(38, 100) - sp.Rational(1, 3), sp.Rational(1, 2) - sp.Rational(46, 100))
    return sp.Min(z_margin / z_gain, eos_margin)


def leak_tolerance() -> float:
    """The derived tolerance eps_tol = min(0.15 / 30.6, 0.04) = 0.0049..."""
    return float(tolerance_expr())


@functools.cache
def hardness_needed_expr():
    """Sufficient hardness: solve N e^{-2M} = eps_tol for M (sympy), M = ln(N / eps_tol) / 2."""
    sol = sp.solve(sp.Eq(leak_bound_expr().subs(N, N), tolerance_expr()), M)
    return sp.simplify(sol[0])


def hardness_needed(N: int) -> float:
    """Softmax hardness M that provably keeps our construction exact on N-token sequences (derived here):
    M = ln(N / eps_tol) / 2, about ln(204 N) / 2 (linear in log N, hence in P)."""
    N = _int("N", N, 2)
    return float(hardness_needed_expr().subs(_S["N"], N))


def hardness_for_capacity(P: int) -> float:
    """:func:`hardness_needed` at the longest sequence the code length P allows."""
    return hardness_needed(sequence_length(capacity(P)))


def nope_pair() -> tuple[str, str, int, int]:
    """Proposition 5.2's concrete failure (the proposition is the paper's; this pair is ours): ``12+34=`` and ``21+34=`` are permutations
    of each other with the same last token, so a 1-layer NoPE Transformer gives them the same
    next-token distribution; their first reversed answer digits differ (46 -> 6, 55 -> 5)."""
    return "12+34=", "21+34=", (12 + 34) % 10, (21 + 34) % 10


@functools.cache
def hardness_paper_expr():
    """The paper's softmax hardness condition for Theorem 5.1: M >= (1/2) log N + 3, as a sympy
    expression in N (confirmed from the paper's text; log read as the natural logarithm, the weaker
    reading: with log base 2 the condition only grows)."""
    return sp.log(N) / 2 + 3


def hardness_paper(N: int) -> float:
    """The smallest hardness M the paper's condition M >= (1/2) log N + 3 allows on N-token sequences."""
    N = _int("N", N, 2)
    return float(hardness_paper_expr().subs(_S["N"], N))


def paper_hardness_slack() -> sp.Expr:
    """(1/2) log N + 3 - ln(N / eps_tol)/2 simplified by sympy: a constant, 3 - ln(204)/2 = 0.34 > 0, so
    the paper's condition implies our derived one at every N (derived here)."""
    return sp.nsimplify(sp.simplify(sp.expand_log(hardness_paper_expr() - hardness_needed_expr(),
                                                  force=True)))


# ------------------------------------------------------------------ Theorem 6.1: N x 2 multiplication
#: Theorem 6.1's architecture (the paper's, confirmed from its text): 2 layers with 3 and 7 heads
MULT_HEADS = (3, 7)


def mult_embedding_dim(P: int) -> int:
    """d = 6P + 34 of Theorem 6.1 (arXiv:2405.20671; the paper's, confirmed from its text): 34 named
    coordinates and six P-bit position blocks; d >= 46 means P >= 2."""
    return 6 * _int("P", P, 2) + 34


def mult_code_length(d: int) -> int:
    """The largest P with 6P + 34 <= d (Theorem 6.1 needs d >= 46, i.e. P >= 2)."""
    d = _int("d", d, 46)
    return (d - 34) // 6


@functools.cache
def mult_capacity_expr():
    """Largest multiplicand length N of an N x 2 multiplication as a sympy expression in P, derived
    from the counting condition of the format (docs/papers/position_coupling.md#multiplication-capacity).

    With coupled IDs (``numerics.arithmetic.multiplication``) an N x 2 problem uses the N + 3 IDs
    s, ..., s + N + 2 (product digits 0..N+1 and the separators' ID e = s + N + 2); they need pairwise
    distinct P-bit codes v(p mod 2^P): N + 3 <= 2^P."""
    sol = sp.solve(sp.Le(n + 3, 2 ** P), n)
    ubs = [r.rhs for r in sp.And.make_args(sol) if isinstance(r, sp.LessThan) and r.lhs == n]
    return sp.simplify(ubs[0])


def mult_capacity(P: int) -> int:
    """2^P - 3: the counting condition's largest N at code length P (derived here)."""
    P = _int("P", P, 2)
    return int(mult_capacity_expr().subs(_S["P"], P))


def mult_capacity_of_d(d: int) -> int:
    """Theorem 6.1's operand-length bound 2^{floor((d-34)/6)} - 3 (the paper's), from the counting
    condition at P = floor((d - 34)/6)."""
    return mult_capacity(mult_code_length(d))


def mult_max_carry() -> int:
    """The largest carry of N x 2 long multiplication column by column (derived here):
    c_{k+1} = floor((a_k b_0 + a_{k-1} b_1 + c_k)/10) <= floor((162 + c_k)/10), c_0 = 0. A bound K is
    invariant iff floor((162 + K)/10) <= K, i.e. 162 + K <= 10 K + 9; the least such integer,
    solved with sympy, is K = 17 (attained by all-9 operands from the third column on)."""
    K = sp.symbols("K", positive=True)
    sol = sp.solve(sp.Le(162 + K, 10 * K + 9), K)
    lb = [r.rhs if isinstance(r, sp.GreaterThan) else r.lhs for r in sp.And.make_args(sol)
          if (isinstance(r, sp.GreaterThan) and r.lhs == K) or (isinstance(r, sp.LessThan) and r.rhs == K)]
    return int(sp.ceiling(lb[0]))
