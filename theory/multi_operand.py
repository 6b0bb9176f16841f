"""Closed forms for multi-operand addition with a scratchpad and bi-level position coupling
(Cho et al., ICLR 2025, arXiv:2410.15787, Theorem 4.1), for the toolkit's 4-head construction
(``numerics.multi_operand``; docs/papers/multi_operand.md#scratchpad-construction).

Symbols: ``P1``, ``P2`` code lengths of the digit level and the operand level,
``d = 19 + 2 P1 + 2 P2``, ``m`` number of operands, ``n`` operand length, ``L`` the common width of
every number in the format (the digit count of ``m (10^n - 1)``), ``N`` sequence length, ``M``
softmax hardness.

What is the paper's and what is ours: Theorem 4.1 in its informal form (1 layer, d = O(log m + log n))
is the paper's, confirmed from the authors' poster; its head count and constants are not confirmed.
Everything below (capacities, leak tolerance, hardness) is ours, derived here for our construction. An
earlier estimate of the count capacity was "about 2^P2 - 3"; the derivation below gives 2^P2 - 1 and
the construction is exact there and fails at 2^P2 (a finding, see ``docs/papers/multi_operand.md``).
"""
from __future__ import annotations

import functools

import sympy as sp

from theory.position_coupling import _int, leak_bound, leak_bound_expr

__all__ = ["P1", "P2", "m", "L", "N", "M", "embedding_dim", "width", "sequence_length",
           "count_capacity_expr", "count_capacity", "width_capacity_expr", "width_capacity",
           "length_capacity", "capacities_of_d", "tolerance_expr", "leak_tolerance",
           "hardness_needed_expr", "hardness_needed", "leak_bound"]

P1, P2, m, L, N, M = sp.symbols("P1 P2 m L N M", positive=True)
#: the symbols by name, for functions whose parameters carry the same names
_S = {"P1": P1, "P2": P2, "m": m, "L": L, "N": N, "M": M}


def embedding_dim(P1: int, P2: int) -> int:
    """d = 19 + 2 P1 + 2 P2: 19 named coordinates and the four code blocks A1, B1 (P1 bits) and
    A2, B2 (P2 bits)."""
    return 19 + 2 * _int("P1", P1, 2) + 2 * _int("P2", P2, 2)


def width(n: int, m: int) -> int:
    """L = number of digits of m (10^n - 1): every operand and cumulative sum is padded to L."""
    return len(str(_int("m", m, 1) * (10 ** _int("n", n, 1) - 1)))


def sequence_length(n: int, m: int) -> int:
    """Tokens of one scratchpad example: BOS, m operands and m+1 sums of L digits each, one
    separator per number, EOS."""
    Lw, m = width(n, m), _int("m", m, 1)
    return 1 + m * (Lw + 1) + (m + 1) * (Lw + 1)


def _upper(sol, var):
    ubs = [r.rhs for r in sp.And.make_args(sol) if isinstance(r, sp.LessThan) and r.lhs == var]
    return sp.simplify(ubs[0])


@functools.cache
def count_capacity_expr():
    """Largest operand count, derived: the queries '=' and S_0 target the operand level ID u-1,
    which must not share its P2-bit code with the m operands' IDs u, ..., u+m-1 already in the
    prompt, so the m+1 classes u-1, ..., u+m-1 need distinct codes: m + 1 <= 2^P2."""
    return _upper(sp.solve(sp.Le(m + 1, 2 ** P2), m), m)


def count_capacity(P2: int) -> int:
    """2^P2 - 1 operands (derived here)."""
    return int(count_capacity_expr().subs(_S["P2"], _int("P2", P2, 2)))


@functools.cache
def width_capacity_expr():
    """Largest width L, derived: the significance classes -1 (separators), 0, ..., L-1 and the class
    L that the end-of-number head (H3) must find empty need distinct P1-bit codes: L + 2 <= 2^P1."""
    return _upper(sp.solve(sp.Le(L + 2, 2 ** P1), L), L)


def width_capacity(P1: int) -> int:
    """2^P1 - 2 digits of width (derived here)."""
    return int(width_capacity_expr().subs(_S["P1"], _int("P1", P1, 2)))


def length_capacity(P1: int, m: int) -> int:
    """Largest operand length n with width(n, m) <= 2^P1 - 2 (0 if even 1-digit operands do not
    fit)."""
    Lmax = width_capacity(P1)
    m = _int("m", m, 1)
    # width(n, m) = n + (digits of m) - [m (10^n - 1) < 10^(n + digits(m) - 1)]; search from the top
    n = max(Lmax, 1)
    while n >= 1 and width(n, m) > Lmax:
        n -= 1
    return n


def capacities_of_d(d: int) -> tuple[int, int]:
    """(operand length at 2 operands, operand count) for the even split P1 = P2 = floor((d-19)/4):
    both grow like 2^{d/4}, i.e. exponentially in d (derived here)."""
    d = _int("d", d, 27)
    p = (d - 19) // 4
    return length_capacity(p, 2), count_capacity(p)


@functools.cache
def tolerance_expr():
    """Largest leaked attention mass the readout survives, derived from the margins: z (within 0.1
    of an integer, bumps flat on +-0.25) moves by at most 27 eps (PRE_SUM, values 3 NUM) + 2.7 eps
    (PRE_CARRY / 10, values 3 NUM); PRE_END must stay >= 0.9 at a complete number; PRE_NEXT (1/3 or
    1/2) must stay on its side of 0.36 and 0.47."""
    z = (sp.Rational(1, 4) - sp.Rational(1, 10)) / (27 + sp.Rational(27, 10))
    end = 1 - sp.Rational(9, 10)
    nxt = sp.Min(sp.Rational(36, 100) - sp.Rational(1, 3), sp.Rational(1, 2) - sp.Rational(47, 100))
    return sp.Min(z, end, nxt)


def leak_tolerance() -> float:
    return float(tolerance_expr())


@functools.cache
def hardness_needed_expr():
    """M with N e^{-2M} = eps_tol (sympy solve): M = ln(N / eps_tol) / 2."""
    Np = sp.Symbol("N", positive=True)
    return sp.simplify(sp.solve(sp.Eq(leak_bound_expr(), tolerance_expr()), M)[0].subs(Np, N))


def hardness_needed(N: int) -> float:
    """Sufficient softmax hardness for N-token scratchpads (derived here)."""
    N = _int("N", N, 2)
    return float(hardness_needed_expr().subs(_S["N"], N))
