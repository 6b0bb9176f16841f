"""Data formats and coupled position IDs of the arithmetic length-generalization papers.

* (A) H. Cho et al., *Position Coupling: Improving Length Generalization of Arithmetic Transformers
  Using Task Structure*, NeurIPS 2024, arXiv:2405.20671 (module ``position_coupling``).
* (B) H. Cho et al., *Arithmetic Transformers Can Length-Generalize in Both Operand Length and
  Count*, ICLR 2025, arXiv:2410.15787 (module ``multi_operand``).

Every example is ``BOS query = response EOS`` (the official code uses one token for BOS and EOS,
written ``[EOS]``). Position ID 0 is reserved for BOS, the final EOS and padding; real tokens get
IDs >= 1. The formats and ID rules are confirmed from the official code (``HanseulJo/position-coupling``
at b9cad94) and the authors' posters (docs/papers/position_coupling.md#formats); the printed examples 653+49, 57+48+96 and 37x925 are reproduced
token for token by ``tests/test_arithmetic.py``.

Builders (pure functions of the operands and the start IDs):

=============================  ===========================================================  ======
builder                        format                                                       levels
=============================  ===========================================================  ======
:func:`addition`               (A) §3: zero-padded operands, reversed (n+1)-digit sum        1
:func:`multi_addition`         (A): m summands, all padded to L digits, reversed sum         1
:func:`multiplication`         (A): N x M multiplication (M=2 by default), reversed product  1
:func:`copy`, :func:`reverse`  (A): copy / reverse a string                                  1
:func:`multi_operand_addition` (B) §4: cumulative-sum scratchpad, bi-level coupling          2
:func:`multiplication_scratchpad` (B) §5: two-stage scratchpad, tri-level coupling           3
=============================  ===========================================================  ======

Numbering. ``numbering="repo"`` is the official code's ("least significant digit has least
position ID"): separators get the start ``s``, a digit of significance ``j`` gets ``s+1+j``.
``numbering="paper"`` is the mirror image used in (A)'s Figure 2: a digit of significance ``j`` gets
``s+n-1-j`` and separators ``s+n`` (so the final carry digit of an addition gets ``s-1``, hence
``s >= 2``). Only consistency matters for a model; both are provided for the addition tasks.

Baselines: :func:`position_ids` with ``scheme="nope"`` (no positions) or
``scheme="absolute_random"`` (consecutive IDs from a random start, the repo's ``vanilla=True``).

Training batches: :func:`random_batch` draws operands as the repo does (lengths uniform in the
digit range, numbers uniform among numbers of that length) and a uniformly random start per level
so that every embedding row up to ``max_position`` is trained; evaluation uses start 1.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

__all__ = [
    "VOCAB", "TOKEN_ID", "PAD", "UNK", "EOS", "BOS", "DIGITS", "Example", "encode", "decode",
    "addition", "multi_addition", "multiplication", "copy", "reverse", "multi_operand_addition",
    "multiplication_scratchpad", "position_ids", "random_batch", "read_reversed_number",
    "TASKS", "SCHEMES", "NUMBERINGS",
]

#: vocabulary: specials, digits, the operator symbols, then letters for copy/reverse.
VOCAB: tuple[str, ...] = (("[PAD]", "[UNK]", "[EOS]") + tuple("0123456789") + ("+", "=", "*", ">")
                          + tuple("abcdefghijklmnopqrstuvwxyz"))
TOKEN_ID: dict[str, int] = {t: i for i, t in enumerate(VOCAB)}
PAD, UNK, EOS = "[PAD]", "[UNK]", "[EOS]"
BOS = EOS  # the repo's ``bos_to_eos=True``: one token opens and closes every example
DIGITS = tuple("0123456789")
DIGIT_IDS = np.array([TOKEN_ID[c] for c in DIGITS])

TASKS = ("addition", "multi_addition", "multiplication", "copy", "reverse",
         "multi_operand_addition", "multiplication_scratchpad")
SCHEMES = ("coupled", "nope", "absolute_random")
NUMBERINGS = ("repo", "paper")


def encode(tokens: Sequence[str]) -> np.ndarray:
    """Map token strings to integer IDs of :data:`VOCAB`; unknown tokens raise ValueError."""
    try:
        return np.array([TOKEN_ID[t] for t in tokens], dtype=np.int32)
    except KeyError as e:
        raise ValueError(f"token {e.args[0]!r} is not in VOCAB") from None


def decode(ids) -> list[str]:
    """Inverse of :func:`encode`."""
    ids = np.asarray(ids).ravel()
    if ids.size and (ids.min() < 0 or ids.max() >= len(VOCAB)):
        raise ValueError(f"token ids must lie in [0, {len(VOCAB)}), got range "
                         f"[{ids.min()}, {ids.max()}]")
    return [VOCAB[int(i)] for i in ids]


@dataclass(frozen=True)
class Example:
    """One sequence ``BOS query = response EOS`` with its coupled position IDs.

    tokens        token strings, BOS first and EOS last.
    position_ids  int array ``[levels, T]``; 0 for BOS, EOS and tokens a level does not address.
    query_len     index of the first response token (the token after the ``=`` that closes the
                  query); the loss covers ``tokens[query_len:]``, the final EOS included.
    task          builder name; ``operands`` the integers (or symbols) it was built from.
    """

    tokens: list[str]
    position_ids: np.ndarray
    query_len: int
    task: str = ""
    operands: tuple = ()
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        pid = np.asarray(self.position_ids, dtype=np.int64)
        if pid.ndim != 2 or pid.shape[1] != len(self.tokens):
            raise ValueError(f"position_ids must have shape [levels, {len(self.tokens)}], "
                             f"got {pid.shape}")
        object.__setattr__(self, "position_ids", pid)

    @property
    def T(self) -> int:
        return len(self.tokens)

    @property
    def levels(self) -> int:
        return self.position_ids.shape[0]

    @property
    def ids(self) -> np.ndarray:
        """Token IDs (``encode(tokens)``)."""
        return encode(self.tokens)

    @property
    def response(self) -> list[str]:
        return self.tokens[self.query_len:]

    @property
    def loss_mask(self) -> np.ndarray:
        """``[T]`` bool, True on the response tokens (targets), EOS included."""
        m = np.zeros(self.T, dtype=bool)
        m[self.query_len:] = True
        return m

    @property
    def max_id(self) -> int:
        return int(self.position_ids.max())

    def with_position_ids(self, pid: np.ndarray) -> "Example":
        return dataclasses.replace(self, position_ids=np.asarray(pid))

    def __str__(self) -> str:
        w = max(len(t) for t in self.tokens)
        rows = [" ".join(t.rjust(w) for t in self.tokens)]
        rows += [" ".join(str(int(p)).rjust(w) for p in lev) for lev in self.position_ids]
        return "\n".join(rows)


# ------------------------------------------------------------------ input validation

def _digits(x, name: str) -> list[int]:
    """Digits of a non-negative integer (int or decimal string), most significant first.

    A string keeps its leading zeros (its length is its digit count)."""
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name} must be a non-negative integer or a digit string, got {x!r}")
    if isinstance(x, (int, np.integer)):
        if x < 0:
            raise ValueError(f"{name} must be non-negative, got {x}")
        return [int(c) for c in str(int(x))]
    if isinstance(x, str):
        if not x:
            raise ValueError(f"{name} must be a non-empty digit string, got ''")
        bad = [c for c in x if c not in "0123456789"]
        if bad:
            raise ValueError(f"{name} must contain only the digits 0-9, got {x!r} "
                             f"(non-digit {bad[0]!r})")
        return [int(c) for c in x]
    raise ValueError(f"{name} must be a non-negative integer or a digit string, "
                     f"got {type(x).__name__}")


def _value(d: list[int]) -> int:
    return int("".join(map(str, d))) if d else 0



def _parse_operands(operands, pad_to):
    """Digits of each operand, the padded operand length n, the count m, the digit length L of the
    largest possible sum m(10^n - 1), and the operands' values."""
    if len(operands) < 1:
        raise ValueError("operands must hold at least one number")
    ds = [_digits(x, f"operands[{i}]") for i, x in enumerate(operands)]
    n = max(len(d) for d in ds)
    if pad_to is not None:
        if pad_to < n:
            raise ValueError(f"pad_to must be >= the longest operand length {n}, got {pad_to}")
        n = pad_to
    m = len(ds)
    return ds, n, m, len(str(m * (10 ** n - 1))), [_value(d) for d in ds]

def _padded(v: int, width: int) -> list[int]:
    s = str(v)
    if len(s) > width:
        raise AssertionError("internal: number wider than its slot")
    return [int(c) for c in s.rjust(width, "0")]


def _check_start(start, minimum: int, name: str = "start") -> int:
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {start!r}")
    if start < minimum:
        raise ValueError(f"{name} must be >= {minimum} (position ID 0 is reserved for BOS/EOS/PAD), "
                         f"got {start}")
    return int(start)


def _check_numbering(numbering: str) -> str:
    if numbering not in NUMBERINGS:
        raise ValueError(f"numbering must be one of {NUMBERINGS}, got {numbering!r}")
    return numbering


def _check_max(pid: np.ndarray, max_position, what: str, level: int | None = None):
    if max_position is None:
        return
    top = int(pid.max()) if pid.size else 0
    if top > max_position:
        lev = f" at level {level + 1}" if level is not None else ""
        raise ValueError(f"{what} needs position ID {top}{lev} but max_position={max_position}: "
                         f"too many digits for the position table (IDs 0..{max_position})")


def _sig_ids(numbering: str, s: int, n: int):
    """ID of significance ``j`` (j = -1 for separators) in the chosen numbering."""
    if numbering == "repo":
        return lambda j: s + 1 + j
    return lambda j: s + n - 1 - j


def _default_start(start, numbering):
    if start is None:
        return 1 if numbering == "repo" else 2
    return start


# ------------------------------------------------------------------ paper (A) formats

def addition(a, b, *, start: int | None = None, numbering: str = "repo", pad_to: int | None = None,
             max_position: int | None = None) -> Example:
    """Integer addition in the format of (A), arXiv:2405.20671 §3 / Figure 2 (confirmed from the official code and the authors' poster).

    With ``n = max(len a, len b, pad_to)``, both operands are zero-padded to ``n`` digits (most
    significant first) and the sum is zero-padded to ``n+1`` digits and written reversed:
    ``653+49`` becomes ``BOS 653+049=2070 EOS``. Coupling: a_j, b_j and answer digit o_j
    (significance j) share one ID; ``+`` and ``=`` share the ID of significance -1.

    numbering ``"repo"``: separators get ``s``, significance ``j`` gets ``s+1+j`` (start ``s >= 1``,
    default 1). ``"paper"``: significance ``j`` gets ``s+n-1-j``, separators ``s+n``, the final carry
    ``s-1`` (start ``s >= 2``, default 2). ``max_position``: raise if an ID exceeds it.
    """
    _check_numbering(numbering)
    s = _check_start(_default_start(start, numbering), 1 if numbering == "repo" else 2)
    da, db = _digits(a, "a"), _digits(b, "b")
    n = max(len(da), len(db))
    if pad_to is not None:
        if pad_to < n:
            raise ValueError(f"pad_to must be >= the operand length {n}, got {pad_to}")
        n = pad_to
    va, vb = _value(da), _value(db)
    A, B = _padded(va, n), _padded(vb, n)
    S = _padded(va + vb, n + 1)[::-1]
    f = _sig_ids(numbering, s, n)
    op_ids = [f(n - 1 - i) for i in range(n)]
    tokens = [BOS] + [str(d) for d in A] + ["+"] + [str(d) for d in B] + ["="] \
        + [str(d) for d in S] + [EOS]
    pid = [0] + op_ids + [f(-1)] + op_ids + [f(-1)] + [f(j) for j in range(n + 1)] + [0]
    pid = np.array([pid])
    _check_max(pid, max_position, f"addition of {n}-digit operands")
    return Example(tokens, pid, query_len=2 * n + 3, task="addition", operands=(va, vb),
                   meta={"n": n, "numbering": numbering, "start": (s,)})


def multi_addition(operands: Sequence, *, start: int | None = None, numbering: str = "repo",
                   pad_to: int | None = None, max_position: int | None = None) -> Example:
    """Addition of m summands without scratchpad, (A) (triple/quadruple addition scripts) (confirmed from the official code).

    All m operands and the answer are zero-padded to ``L`` = number of digits of ``m (10^n - 1)``
    (``n`` the longest operand, or ``pad_to``); the answer is reversed. Every ``+`` and the ``=`` get
    the ID of significance -1. Example (repo numbering, s=1): ``BOS 057+048+096=102 EOS`` with IDs
    ``0 4 3 2 1 4 3 2 1 4 3 2 1 2 3 4 0``.
    """
    _check_numbering(numbering)
    s = _check_start(_default_start(start, numbering), 1)
    ds, n, m, L, vals = _parse_operands(operands, pad_to)
    f = _sig_ids(numbering, s, L)
    op_ids = [f(L - 1 - i) for i in range(L)]
    tokens, pid = [BOS], [0]
    for k, v in enumerate(vals):
        tokens += [str(d) for d in _padded(v, L)] + ["+" if k < m - 1 else "="]
        pid += op_ids + [f(-1)]
    tokens += [str(d) for d in _padded(sum(vals), L)[::-1]] + [EOS]
    pid += [f(j) for j in range(L)] + [0]
    pid = np.array([pid])
    _check_max(pid, max_position, f"{m}-operand addition of {n}-digit operands")
    return Example(tokens, pid, query_len=m * (L + 1) + 1, task="multi_addition",
                   operands=tuple(vals), meta={"n": n, "L": L, "m": m, "numbering": numbering,
                                               "start": (s,)})


def multiplication(a, b, *, b_digits: int = 2, start: int = 1, max_position: int | None = None,
                   numbering: str = "repo") -> Example:
    """N x M multiplication in the format of (A) (``M = b_digits``, 2 in the paper) (confirmed from the official code).

    ``a*b=``: ``a`` not padded (N digits), ``b`` zero-padded to exactly M digits; the product is
    zero-padded to N+M digits and reversed. IDs decrease with significance: with ``e = s+N+M``,
    a's digits get ``e-N .. e-1`` (most significant first), ``*`` and ``=`` get ``e``, b's digits
    ``e-M .. e-1``, product digit k (k=0 the ones digit) ``e-1-k``; so a_k, b_k and product digit k
    share an ID. Example: ``653*49`` -> ``BOS 653*49=79913 EOS`` with IDs ``0 3 4 5 6 4 5 6 5 4 3 2 1 0``.
    Only the repository's numbering is known for this task.
    """
    if numbering != "repo":
        raise ValueError(f"multiplication: only numbering='repo' is defined (the repository's), "
                         f"got {numbering!r}")
    if isinstance(b_digits, bool) or not isinstance(b_digits, (int, np.integer)) or b_digits < 1:
        raise ValueError(f"b_digits must be a positive integer, got {b_digits!r}")
    s = _check_start(start, 1)
    da, db = _digits(a, "a"), _digits(b, "b")
    va, vb = _value(da), _value(db)
    if len(str(vb)) > b_digits:
        raise ValueError(f"b must have at most b_digits={b_digits} digits, got {vb}")
    N, M = len(da), b_digits
    e = s + N + M
    tokens = [BOS] + [str(d) for d in da] + ["*"] + [str(d) for d in _padded(vb, M)] + ["="] \
        + [str(d) for d in _padded(va * vb, N + M)[::-1]] + [EOS]
    pid = [0] + list(range(e - N, e)) + [e] + list(range(e - M, e)) + [e] \
        + [e - 1 - k for k in range(N + M)] + [0]
    pid = np.array([pid])
    _check_max(pid, max_position, f"{N}x{M} multiplication")
    return Example(tokens, pid, query_len=N + M + 3, task="multiplication", operands=(va, vb),
                   meta={"N": N, "M": M, "start": (s,)})


def _symbols(x, name: str) -> list[str]:
    toks = list(x)
    if not toks:
        raise ValueError(f"{name} must be non-empty")
    bad = [t for t in toks if t not in DIGITS and not (len(t) == 1 and "a" <= t <= "z")]
    if bad:
        raise ValueError(f"{name} may hold only digits and lowercase letters, got {bad[0]!r}")
    return toks


def copy(symbols, *, start: int = 1, max_position: int | None = None) -> Example:
    """Copy task of (A) (confirmed from the official code): input symbols get ``s+1 .. s+l``, ``=`` gets ``s``, output symbol
    i gets the ID of the input symbol it copies. ``acab`` -> IDs ``0 2 3 4 5 1 2 3 4 5 0``."""
    toks = _symbols(symbols, "symbols")
    s = _check_start(start, 1)
    ell = len(toks)
    ids = list(range(s + 1, s + 1 + ell))
    pid = np.array([[0] + ids + [s] + ids + [0]])
    _check_max(pid, max_position, f"copy of {ell} symbols")
    return Example([BOS] + toks + ["="] + toks + [EOS], pid, query_len=ell + 2, task="copy",
                   operands=tuple(toks))


def reverse(symbols, *, start: int = 1, max_position: int | None = None) -> Example:
    """Reverse task of (A) (confirmed from the official code and the authors' poster): input symbols get ``s .. s+l-1``, ``=`` gets ``s+l``,
    the output runs ``s+l-1`` down to ``s`` (poster: ``acab=baca`` gets ``5 6 7 8 | 9 | 8 7 6 5``)."""
    toks = _symbols(symbols, "symbols")
    s = _check_start(start, 1)
    ell = len(toks)
    ids = list(range(s, s + ell))
    pid = np.array([[0] + ids + [s + ell] + ids[::-1] + [0]])
    _check_max(pid, max_position, f"reverse of {ell} symbols")
    return Example([BOS] + toks + ["="] + toks[::-1] + [EOS], pid, query_len=ell + 2,
                   task="reverse", operands=tuple(toks))


# ------------------------------------------------------------------ paper (B) formats

def _pair(x, name: str, k: int = 2):
    if x is None:
        return (None,) * k
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return (int(x),) * k
    x = tuple(x)
    if len(x) != k:
        raise ValueError(f"{name} must be an integer or a tuple of {k}, got {x!r}")
    return x


def multi_operand_addition(operands: Sequence, *, scratchpad: bool = True, start=(1, 1),
                           pad_to: int | None = None, max_position=None) -> Example:
    """Multi-operand addition of (B), arXiv:2410.15787 §4, with bi-level coupling (confirmed from the official code and the authors' poster).

    With m operands, all numbers zero-padded to ``L`` = digits of ``m (10^n - 1)``, the response is
    the reversed cumulative sums ``rev(S_0) > rev(S_1) > ... > rev(S_m) EOS`` (``S_0 = 0``,
    ``S_k = A_1 + ... + A_k``). Level 1 (start ``t``): significance ``j`` -> ``t+1+j``, every
    separator -> ``t``. Level 2 (start ``u``): digits of ``A_i`` and the ``+`` after it -> ``u+i-1``;
    ``=`` and ``S_0`` -> ``u``; the ``>`` before ``S_k`` and ``S_k`` -> ``u+k``. So digit j of S_k
    shares its ID pair with exactly A_k[j] and S_{k-1}[j].

    ``scratchpad=False`` gives the no-scratchpad baseline: the format of :func:`multi_addition`
    (level 1 as there) with level 2 set to 0 everywhere, so both formats feed the same 2-level model.
    ``start = (t, u)``; ``max_position = (max_position_digits, max_position_operands)`` or one int.
    """
    t, u = _pair(start, "start")
    t, u = _check_start(t, 1, "start[0] (level-1 start t)"), _check_start(u, 1, "start[1] (level-2 start u)")
    mp1, mp2 = _pair(max_position, "max_position")
    if not scratchpad:
        ex = multi_addition(operands, start=t, numbering="repo", pad_to=pad_to, max_position=mp1)
        pid = np.vstack([ex.position_ids, np.zeros_like(ex.position_ids)])
        return dataclasses.replace(ex, position_ids=pid, task="multi_operand_addition",
                                   meta={**ex.meta, "scratchpad": False, "start": (t, u)})
    ds, n, m, L, vals = _parse_operands(operands, pad_to)
    msf = [t + 1 + (L - 1 - i) for i in range(L)]  # level-1 IDs of an MSB-first number
    lsf = [t + 1 + j for j in range(L)]            # of a reversed number
    tokens, p1, p2 = [BOS], [0], [0]
    for i, v in enumerate(vals, start=1):
        tokens += [str(d) for d in _padded(v, L)] + ["+" if i < m else "="]
        p1 += msf + [t]
        p2 += [u + i - 1] * L + ([u + i - 1] if i < m else [u])
    query_len = len(tokens)
    acc = 0
    for k in range(m + 1):
        if k > 0:
            acc += vals[k - 1]
            tokens.append(">")
            p1.append(t)
            p2.append(u + k)
        tokens += [str(d) for d in _padded(acc, L)[::-1]]
        p1 += lsf
        p2 += [u + k] * L
    tokens.append(EOS)
    p1.append(0)
    p2.append(0)
    pid = np.array([p1, p2])
    _check_max(pid[:1], mp1, f"{m}-operand addition of {n}-digit operands (digit level)", 0)
    _check_max(pid[1:], mp2, f"{m}-operand addition (operand level)", 1)
    return Example(tokens, pid, query_len=query_len, task="multi_operand_addition",
                   operands=tuple(vals), meta={"n": n, "L": L, "m": m, "scratchpad": True,
                                               "start": (t, u)})


def multiplication_scratchpad(a, b, *, start=(1, 1, 1), max_position=None) -> Example:
    """Multiplication with the two-stage scratchpad and tri-level coupling of (B) §5 (confirmed from the official code and the authors' poster).

    ``A*B = p_0 + p_1 + ... = c_0 > c_1 > ... EOS``: stage 1 writes ``A * b_i`` for each digit of B
    (least significant first), padded to ``len(A)+1`` digits and reversed; stage 2 writes the running
    sums of the shifted partial products, padded to ``len(A)+len(B)`` and reversed (the last is the
    answer). ``37*925`` -> ``37*925=581+470+333=58100>52900>52243``. Levels (starts s1, s2, s3):

    * Pos1: A's digit j and digit j of each partial product get ``s1+1+j``; the first ``=`` and the
      stage-1 ``+`` get ``s1``; ``*``, B and all of stage 2 get 0.
    * Pos2: digit i of B (from the least significant), partial product i and running sum i get
      ``s2+i``, as does the separator before each of them; A and ``*`` get 0.
    * Pos3: digit j of partial product i gets ``s3+1+i+j``, digit k of a running sum ``s3+1+k``; the
      separator before row i gets ``s3+i`` (before a running sum ``s3``); the whole input gets 0.

    ``max_position = (max_position_digits, max_position_operands)``: the bound of levels 1, 3 and of
    level 2.
    """
    s1, s2, s3 = _pair(start, "start", 3)
    s1 = _check_start(s1, 1, "start[0]")
    s2 = _check_start(s2, 1, "start[1]")
    s3 = _check_start(s3, 1, "start[2]")
    mpd, mpo = _pair(max_position, "max_position")
    da, db = _digits(a, "a"), _digits(b, "b")
    va, vb = _value(da), _value(db)
    na, nb = len(da), len(db)
    tokens = [BOS] + [str(d) for d in da] + ["*"] + [str(d) for d in db] + ["="]
    p1 = [0] + [s1 + 1 + (na - 1 - i) for i in range(na)] + [0] + [0] * nb + [s1]
    p2 = [0] + [0] * na + [0] + [s2 + (nb - 1 - i) for i in range(nb)] + [s2]
    p3 = [0] * (1 + na + 1 + nb) + [s3]
    query_len = len(tokens)
    bl = db[::-1]
    for i, bi in enumerate(bl):
        if i > 0:
            tokens.append("+")
            p1.append(s1)
            p2.append(s2 + i)
            p3.append(s3 + i)
        tokens += [str(d) for d in _padded(va * bi, na + 1)[::-1]]
        p1 += [s1 + 1 + j for j in range(na + 1)]
        p2 += [s2 + i] * (na + 1)
        p3 += [s3 + 1 + i + j for j in range(na + 1)]
    acc = 0
    W = na + nb
    for i, bi in enumerate(bl):
        acc += va * bi * 10 ** i
        tokens.append("=" if i == 0 else ">")
        p1.append(0)
        p2.append(s2 + i)
        p3.append(s3)
        tokens += [str(d) for d in _padded(acc, W)[::-1]]
        p1 += [0] * W
        p2 += [s2 + i] * W
        p3 += [s3 + 1 + k for k in range(W)]
    tokens.append(EOS)
    p1.append(0)
    p2.append(0)
    p3.append(0)
    pid = np.array([p1, p2, p3])
    what = f"{na}x{nb} multiplication with scratchpad"
    _check_max(pid[0:1], mpd, what, 0)
    _check_max(pid[1:2], mpo, what, 1)
    _check_max(pid[2:3], mpd, what, 2)
    return Example(tokens, pid, query_len=query_len, task="multiplication_scratchpad",
                   operands=(va, vb), meta={"na": na, "nb": nb, "start": (s1, s2, s3)})


# ------------------------------------------------------------------ reading answers

def read_reversed_number(tokens: Sequence[str]) -> int:
    """The integer written least-significant-digit first by ``tokens`` (digits only, stopping at
    the first non-digit token). Raises ValueError if the first token is not a digit."""
    out = []
    for t in tokens:
        if t not in DIGITS:
            break
        out.append(t)
    if not out:
        raise ValueError(f"expected a reversed number, got {list(tokens)[:5]!r}")
    return int("".join(out[::-1]))


# ------------------------------------------------------------------ baselines and random starts

def _to_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    try:  # a JAX PRNG key (typed or raw uint32)
        import jax

        arr = rng
        if hasattr(jax.dtypes, "prng_key") and jax.dtypes.issubdtype(getattr(arr, "dtype", None),
                                                                      jax.dtypes.prng_key):
            arr = jax.random.key_data(arr)
        return np.random.default_rng(np.asarray(arr, dtype=np.uint32).ravel().tolist())
    except Exception as e:  # noqa: BLE001
        raise ValueError(f"rng must be a numpy Generator, an int seed or a JAX PRNG key, got "
                         f"{type(rng).__name__}") from e


def _level_bounds(max_position, levels: int) -> tuple:
    """One bound per level; a (digits, operands) pair maps to (d, o, d) for the tri-level task."""
    if max_position is None:
        return (None,) * levels
    if levels == 3 and isinstance(max_position, (tuple, list)) and len(max_position) == 2:
        return (max_position[0], max_position[1], max_position[0])
    return _pair(max_position, "max_position", levels)


def position_ids(example: Example, scheme: str = "coupled", *, start=None, rng=None,
                 max_position=None) -> np.ndarray:
    """Position IDs ``[levels, T]`` of ``example`` under a position scheme.

    * ``"coupled"``: the example's coupled IDs (all levels). With ``rng`` (and ``start=None``) every
      level is shifted by an independent uniform offset so that its largest ID stays
      ``<= max_position`` (int, or one bound per level): the training-time random start of (A)/(B).
    * ``"nope"``: no positions; one level of zeros (a model then adds nothing, or row 0 everywhere).
    * ``"absolute_random"``: the random-start absolute baseline (repo ``vanilla=True``): consecutive
      IDs ``start, start+1, ...`` on every real token, 0 on BOS and EOS; ``start`` drawn uniformly
      from ``{1, ..., max_position - T + 3}`` when ``rng`` is given, else 1.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    T = example.T
    if scheme == "nope":
        return np.zeros((1, T), dtype=np.int64)
    if scheme == "absolute_random":
        n_real = T - 2
        if start is None:
            if rng is not None:
                if max_position is None:
                    raise ValueError("absolute_random with rng needs max_position")
                hi = int(max_position) - n_real + 1
                if hi < 1:
                    raise ValueError(f"sequence of {T} tokens needs max_position >= {n_real}, "
                                     f"got {max_position}")
                start = int(_to_rng(rng).integers(1, hi + 1))
            else:
                start = 1
        start = _check_start(start, 1)
        pid = np.zeros((1, T), dtype=np.int64)
        pid[0, 1:T - 1] = np.arange(start, start + n_real)
        _check_max(pid, max_position, f"absolute positions of {T} tokens")
        return pid
    pid = example.position_ids.copy()
    if start is not None:
        raise ValueError("coupled IDs take their start from the builder; pass start there")
    if rng is None:
        return pid
    L = pid.shape[0]
    mps = _level_bounds(max_position, L)
    g = _to_rng(rng)
    for lev in range(L):
        if mps[lev] is None:
            raise ValueError(f"random start needs max_position for level {lev + 1}")
        room = int(mps[lev]) - int(pid[lev].max())
        if room < 0:
            _check_max(pid[lev:lev + 1], mps[lev], f"{example.task} example", lev)
        nz = pid[lev] > 0
        pid[lev, nz] += int(g.integers(0, room + 1))
    return pid


# ------------------------------------------------------------------ random batches

def _sample_numbers(g: np.random.Generator, lengths: np.ndarray) -> list[int]:
    """Numbers uniform among those with the given digit counts (a 1-digit number may be 0)."""
    out = []
    for n in lengths.tolist():
        if n == 1:
            out.append(int(g.integers(0, 10)))
        else:
            lead = int(g.integers(1, 10))
            rest = g.integers(0, 10, size=n - 1)
            out.append(int(str(lead) + "".join(map(str, rest.tolist()))))
    return out


def _check_range(r, name, lo=1):
    r = tuple(r) if not isinstance(r, (int, np.integer)) else (int(r), int(r))
    if len(r) != 2 or r[0] < lo or r[1] < r[0]:
        raise ValueError(f"{name} must be (min, max) with {lo} <= min <= max, got {r!r}")
    return int(r[0]), int(r[1])


def _addition_batch(g: np.random.Generator, n: int, lo: int, hi: int, numbering: str,
                    max_position, randomize: bool, scheme: str):
    """Vectorised :func:`addition` batch (the training hot path): same format and IDs as building
    each example with :func:`addition` (checked in ``tests/test_arithmetic.py``)."""
    la = g.integers(lo, hi + 1, size=n)
    lb = g.integers(lo, hi + 1, size=n)
    W = hi + 1
    sig = np.arange(W)[None, :]

    def digits(lens):  # LSB-first digits, leading digit 1-9 unless the number has one digit
        d = g.integers(0, 10, size=(n, W))
        lead = g.integers(1, 10, size=n)
        d = np.where(sig == (lens - 1)[:, None], np.where(lens[:, None] > 1, lead[:, None], d), d)
        return np.where(sig < lens[:, None], d, 0)

    A, B = digits(la), digits(lb)
    S = np.zeros((n, W), dtype=np.int64)
    carry = np.zeros(n, dtype=np.int64)
    for j in range(W):  # carry chain over digit columns (<= hi+1 numpy steps)
        t = A[:, j] + B[:, j] + carry
        S[:, j], carry = t % 10, t // 10
    nn = np.maximum(la, lb)[:, None]
    Tn = 3 * nn + 5
    T = int(Tn.max())
    c = np.arange(T)[None, :]
    in_a = (c >= 1) & (c <= nn)
    in_b = (c >= nn + 2) & (c <= 2 * nn + 1)
    in_s = (c >= 2 * nn + 3) & (c <= 3 * nn + 3)
    sep = (c == nn + 1) | (c == 2 * nn + 2)
    bos_eos = (c == 0) | (c == 3 * nn + 4)
    j = np.where(in_a, nn - c, np.where(in_b, 2 * nn + 1 - c, np.where(in_s, c - 2 * nn - 3, -1)))
    jj = np.clip(j, 0, W - 1)
    dig = np.where(in_a, np.take_along_axis(A, jj, 1),
                   np.where(in_b, np.take_along_axis(B, jj, 1), np.take_along_axis(S, jj, 1)))
    d0 = TOKEN_ID["0"]
    tok = np.where(in_a | in_b | in_s, d0 + dig, 0)
    tok = np.where(sep, np.where(c == nn + 1, TOKEN_ID["+"], TOKEN_ID["="]), tok)
    tok = np.where(bos_eos, TOKEN_ID[EOS], tok)
    real = in_a | in_b | in_s | sep
    if numbering == "repo":
        pid = 1 + 1 + j
    else:
        pid = 2 + nn - 1 - j
    pid = np.where(real, pid, 0)
    mask = in_s | (c == 3 * nn + 4)
    if scheme == "coupled":
        if randomize:
            room = int(max_position) - pid.max(axis=1)
            if (room < 0).any():
                raise ValueError(f"addition of {int(nn.max())}-digit operands needs position ID "
                                 f"{int(pid.max())} but max_position={max_position}")
            pid = np.where(real, pid + g.integers(0, room + 1)[:, None], 0)
        elif max_position is not None:
            _check_max(pid, int(max_position), f"addition of {int(nn.max())}-digit operands")
    elif scheme == "nope":
        pid = np.zeros_like(pid)
    else:
        nreal = Tn - 2
        st = np.ones((n, 1), dtype=np.int64)
        if randomize:
            room = int(max_position) - nreal[:, 0]
            if (room < 0).any():
                raise ValueError(f"absolute positions of {T} tokens need max_position >= "
                                 f"{int(nreal.max())}, got {max_position}")
            st = 1 + g.integers(0, room + 1)[:, None]
        pid = np.where((c >= 1) & (c <= Tn - 2), st + c - 1, 0)
    ops = (A, B)
    return tok.astype(np.int32), pid[:, None, :].astype(np.int32), mask, ops


def random_batch(rng, task: str, n: int, digit_range=(1, 10), *, operand_range=(2, 2),
                 scheme: str = "coupled", numbering: str = "repo", max_position=None,
                 randomize: bool = True, pad_len: int | None = None, b_digits: int = 2,
                 same_length_prob: float = 0.0, return_examples: bool = False):
    """A padded training/evaluation batch, as the official repository samples it (confirmed from the official code).

    ``task`` one of :data:`TASKS`. Operand lengths are drawn independently and uniformly from
    ``digit_range``; each number is uniform among numbers of its length. ``operand_range`` gives the
    number of summands (multi-operand tasks). With ``same_length_prob = p`` all operands of an
    example share one length with probability p (the repo's ``partially_uniform`` with p = 0.5).
    ``b_digits`` is M for ``multiplication``; for ``multiplication_scratchpad`` both factors draw
    their lengths from ``digit_range``. Copy/reverse draw digit strings.

    ``randomize=True`` shifts every level by a uniform random offset bounded by ``max_position``
    (required then: an int, or a pair (digits, operands) for the multi-level tasks); ``False``
    uses start 1 (evaluation). ``scheme`` ``"nope"``/``"absolute_random"`` replaces the coupled IDs.

    Returns ``(tokens [n, T] int32, position_ids [n, levels, T] int32, loss_mask [n, T] bool)``,
    padded with ``[PAD]`` (ID 0) and position 0 to ``T = pad_len`` (default: the longest example).
    ``loss_mask[i, t]`` is True where token ``t`` is a response token (a target: the logits at
    ``t-1`` predict it), EOS included. With ``return_examples=True`` the list of :class:`Example` s
    is returned as a fourth element.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    _check_numbering(numbering)
    if randomize and max_position is None:
        raise ValueError("randomize=True needs max_position (the largest trainable position ID)")
    lo, hi = _check_range(digit_range, "digit_range")
    g = _to_rng(rng)
    if task == "addition" and not return_examples:
        mp = max_position[0] if isinstance(max_position, (tuple, list)) else max_position
        tok, pos, mask, _ = _addition_batch(g, int(n), lo, hi, numbering, mp, randomize, scheme)
        T = tok.shape[1]
        if pad_len is not None:
            if pad_len < T:
                raise ValueError(f"pad_len={pad_len} is shorter than the longest example "
                                 f"({T} tokens)")
            tok = np.pad(tok, ((0, 0), (0, pad_len - T)))
            pos = np.pad(pos, ((0, 0), (0, 0), (0, pad_len - T)))
            mask = np.pad(mask, ((0, 0), (0, pad_len - T)))
        return tok, pos, mask
    multi = task in ("multi_addition", "multi_operand_addition")
    if multi:
        mlo, mhi = _check_range(operand_range, "operand_range")
        counts = g.integers(mlo, mhi + 1, size=n)
    else:
        counts = np.full(n, 2)
    exs = []
    s0 = 1 if numbering == "repo" else 2
    for i in range(n):
        m = int(counts[i])
        lens = g.integers(lo, hi + 1, size=m)
        if same_length_prob > 0 and g.random() < same_length_prob:
            lens[:] = lens[0]
        if task == "addition":
            a, b = _sample_numbers(g, lens)
            ex = addition(a, b, start=s0, numbering=numbering)
        elif task == "multi_addition":
            ex = multi_addition(_sample_numbers(g, lens), start=s0, numbering=numbering)
        elif task == "multiplication":
            a = _sample_numbers(g, lens[:1])[0]
            b = int(g.integers(0, 10 ** b_digits))
            ex = multiplication(a, b, b_digits=b_digits)
        elif task in ("copy", "reverse"):
            sym = "".join(map(str, g.integers(0, 10, size=int(lens[0])).tolist()))
            ex = (copy if task == "copy" else reverse)(sym)
        elif task == "multi_operand_addition":
            ex = multi_operand_addition(_sample_numbers(g, lens))
        else:
            a, b = _sample_numbers(g, lens)
            ex = multiplication_scratchpad(a, b)
        if scheme == "coupled":
            pid = position_ids(ex, "coupled", rng=g if randomize else None,
                               max_position=max_position)
        elif scheme == "absolute_random":
            mp = max_position if not isinstance(max_position, (tuple, list)) else max_position[0]
            pid = position_ids(ex, "absolute_random", rng=g if randomize else None,
                               max_position=mp)
        else:
            pid = position_ids(ex, "nope")
        if not randomize and max_position is not None and scheme == "coupled":
            mps = _level_bounds(max_position, pid.shape[0])
            for lev in range(pid.shape[0]):
                _check_max(pid[lev:lev + 1], mps[lev], f"{task} example", lev)
        exs.append(ex.with_position_ids(pid))
    T = max(e.T for e in exs)
    if pad_len is not None:
        if pad_len < T:
            raise ValueError(f"pad_len={pad_len} is shorter than the longest example ({T} tokens)")
        T = pad_len
    levels = exs[0].levels
    tok = np.zeros((n, T), dtype=np.int32)
    pos = np.zeros((n, levels, T), dtype=np.int32)
    mask = np.zeros((n, T), dtype=bool)
    for i, e in enumerate(exs):
        tok[i, :e.T] = e.ids
        pos[i, :, :e.T] = e.position_ids
        mask[i, e.query_len:e.T] = True
    if return_examples:
        return tok, pos, mask, exs
    return tok, pos, mask
