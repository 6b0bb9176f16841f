"""Explicit 1-layer, 4-head Transformer for multi-operand addition with a scratchpad and bi-level
position coupling (Cho et al., ICLR 2025, arXiv:2410.15787, Theorem 4.1).

Paper (B), Theorem 4.1 (confirmed from the authors' poster, informal form): a 1-layer decoder-only
Transformer with the scratchpad and bi-level position coupling, of embedding dimension
d = O(log m + log n), adds up to m operands of n digits exactly. Its head count and constants are not
confirmed; this 4-head construction and its capacities are the toolkit's own, derived here
(docs/papers/multi_operand.md#scratchpad-construction), on the format of :func:`numerics.arithmetic.
multi_operand_addition` (repo numbering): ``A_1+...+A_m=rev(S_0)>rev(S_1)>...>rev(S_m) EOS``.

Residual layout (d = 19 + 2 P1 + 2 P2): NUM, IS_BOS, FULL_ONES, PRE_SUM, PRE_CARRY, PRE_END,
PRE_NEXT, SUM (10), IS_END, IS_LAST, A1 = v1(Pos1), B1 = v1(Pos1+1) (P1 bits each),
A2 = v2(Pos2), B2 = v2(Pos2-1) (P2 bits each); v_l is the binary {+-1} code of ``p mod 2^{P_l}`` and
ID 0 (BOS/EOS/PAD) has zero codes. Keys are [A1; A2] plus the always-attend-to-BOS coordinate.

====  ======================  =====================================================================
head  query target            output
====  ======================  =====================================================================
H1    (Pos1+1, Pos2-1)        PRE_SUM <- 3 mean(NUM) = A_k[j+1] + S_{k-1}[j+1]
H2    (Pos1, Pos2-1)          PRE_CARRY <- 3 mean(NUM) = A_k[j] + S_{k-1}[j]; u = PRE_CARRY - NUM
                              is in {-1, 0} without carry out of column j and {9, 10} with one
H3    (Pos1+1, any Pos2)      PRE_END <- mass on BOS: 1 iff no digit of the next significance
                              exists (the number is complete), <= 1/2 otherwise
H4    (Pos1, Pos2)            PRE_NEXT <- mass on BOS: 1/3 if operand A_{k+1} exists, 1/2 if not
====  ======================  =====================================================================

FFN (84 ReLU units): 80 bump units on z = PRE_SUM + u/10 write SUM[round(z) mod 10]; IS_END is a
ramp of PRE_END between 0.5 and 0.9, IS_LAST a ramp of PRE_NEXT between 0.36 and 0.47. Readout:
digits SUM[k]; ``>`` 2 IS_END - IS_LAST - 1/2; EOS 2 IS_END + IS_LAST - 3/2 (the AND is realised by
the argmax).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from numerics import arithmetic as ar
from numerics import transformer as tf
from numerics.position_coupling import (ResidualSpace, _forward_inter, binary_code, fixed_point_decode,
                                        make_batch, run_examples, shared_shapes)

__all__ = ["MultiConstruction", "build", "position_tables", "evaluate", "greedy_correct",
           "attention_weights", "add_many", "SPACE_NAMES", "default_M"]

SPACE_NAMES = (("NUM", 1), ("IS_BOS", 1), ("FULL_ONES", 1), ("PRE_SUM", 1), ("PRE_CARRY", 1),
               ("PRE_END", 1), ("PRE_NEXT", 1), ("SUM", 10), ("IS_END", 1), ("IS_LAST", 1),
               ("A1", "P1"), ("B1", "P1"), ("A2", "P2"), ("B2", "P2"))


def _space(P1: int, P2: int) -> ResidualSpace:
    size = {"P1": P1, "P2": P2}
    return ResidualSpace([(nm, size.get(s, s)) for nm, s in SPACE_NAMES])


def default_M(P1: int, P2: int) -> float:
    """A generous softmax hardness ``P1 + P2 + 4`` (theory's sufficient value is ~ ln(200 N)/2)."""
    return float(P1 + P2 + 4)


def position_tables(P1: int, P2: int, max_positions: tuple[int, int]):
    """The two position tables [max_position_l + 1, d]: level 1 writes A1 = v1(p), B1 = v1(p+1);
    level 2 writes A2 = v2(p), B2 = v2(p-1); row 0 (BOS/EOS/PAD) is zero."""
    sp = _space(P1, P2)
    t1 = np.zeros((max_positions[0] + 1, sp.d))
    ids = np.arange(max_positions[0] + 1)
    t1[:, sp["A1"]] = binary_code(ids, P1)
    t1[:, sp["B1"]] = binary_code(ids + 1, P1)
    t1[0] = 0.0
    t2 = np.zeros((max_positions[1] + 1, sp.d))
    ids = np.arange(max_positions[1] + 1)
    t2[:, sp["A2"]] = binary_code(ids, P2)
    t2[:, sp["B2"]] = binary_code(ids - 1, P2)
    t2[0] = 0.0
    return t1, t2


@dataclass(frozen=True)
class MultiConstruction:
    """Hand-built weights of the 4-head construction: ``params``/``cfg`` for
    :func:`numerics.transformer.forward`, the named ``space``, code lengths and hardness."""

    params: dict
    cfg: tf.TransformerConfig
    space: ResidualSpace
    P1: int
    P2: int
    M: float

    @property
    def d(self) -> int:
        return self.space.d


def build(P1: int, P2: int, M: float | None = None, *, max_positions: tuple[int, int] | None = None,
          sum_scale: float = 3.0, carry_scale: float = 3.0,
          next_thresholds: tuple[float, float] = (0.36, 0.47),
          end_thresholds: tuple[float, float] = (0.5, 0.9)) -> MultiConstruction:
    """The 1-layer, 4-head scratchpad adder (Theorem 4.1 of arXiv:2410.15787, construction; derived here).

    P1, P2         code lengths of the digit level and the operand level (d = 19 + 2 P1 + 2 P2).
    M              softmax hardness (default :func:`default_M`).
    max_positions  largest ID of each table (default (2^P1, 2^P2)).
    sum_scale, carry_scale, next_thresholds, end_thresholds  the construction's constants, exposed
                   so that a mutated twin can perturb one of them.
    """
    for name, v in (("P1", P1), ("P2", P2)):
        if not isinstance(v, (int, np.integer)) or v < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {v!r}")
    M = default_M(P1, P2) if M is None else float(M)
    if not M > 0:
        raise ValueError(f"M (softmax hardness) must be > 0, got {M}")
    mps = (2 ** P1, 2 ** P2) if max_positions is None else tuple(int(x) for x in max_positions)
    sp = _space(P1, P2)
    d, V, T = sp.d, len(ar.VOCAB), ar.TOKEN_ID

    E = np.zeros((V, d))
    for k in range(10):
        E[T[str(k)], sp.i("NUM")] = k
        E[T[str(k)], sp.i("FULL_ONES")] = 1.0
    for sym in ("+", "=", ">"):
        E[T[sym], sp.i("FULL_ONES")] = 1.0
    E[T[ar.BOS], sp.i("IS_BOS")] = 1.0
    E[T[ar.BOS], sp.i("FULL_ONES")] = 1.0

    k_dim = P1 + P2 + 1
    H = 4
    wq = np.zeros((H, d, k_dim))
    wk = np.zeros((H, d, k_dim))
    wv = np.zeros((H, d, 1))
    wo = np.zeros((H, 1, d))
    sM = np.sqrt(M)
    # (level-1 query block, level-2 query block or None, value source, output, scale)
    heads = (("B1", "B2", "NUM", "PRE_SUM", sum_scale),
             ("A1", "B2", "NUM", "PRE_CARRY", carry_scale),
             ("B1", None, "IS_BOS", "PRE_END", 1.0),
             ("A1", "A2", "IS_BOS", "PRE_NEXT", 1.0))
    for h, (q1, q2, src, dst, scale) in enumerate(heads):
        width = P1 + (P2 if q2 else 0)           # the matched score M * width
        wq[h, sp[q1], :P1] = sM * np.eye(P1)
        wk[h, sp["A1"], :P1] = sM * np.eye(P1)
        if q2:
            wq[h, sp[q2], P1:P1 + P2] = sM * np.eye(P2)
            wk[h, sp["A2"], P1:P1 + P2] = sM * np.eye(P2)
        wq[h, sp.i("FULL_ONES"), -1] = np.sqrt(M * width)
        wk[h, sp.i("IS_BOS"), -1] = np.sqrt(M * width)
        wv[h, sp.i(src), 0] = 1.0
        wo[h, 0, sp.i(dst)] = scale

    zrow = np.zeros(d)
    zrow[sp.i("PRE_SUM")] = 1.0
    zrow[sp.i("PRE_CARRY")] = 0.1
    zrow[sp.i("NUM")] = -0.1
    f = 84
    w1, b1, w2 = np.zeros((d, f)), np.zeros(f), np.zeros((f, d))
    offs, signs = (0.75, 0.25, -0.25, -0.75), (2.0, -2.0, -2.0, 2.0)
    for t in range(20):
        for q in range(4):
            u = 4 * t + q
            w1[:, u] = zrow
            b1[u] = -t + offs[q]
            w2[u, sp.i("SUM", t % 10)] = signs[q]
    for base, src, dst, (lo, hi) in ((80, "PRE_END", "IS_END", end_thresholds),
                                     (82, "PRE_NEXT", "IS_LAST", next_thresholds)):
        for q, (thr, sgn) in enumerate(((lo, 1.0), (hi, -1.0))):
            w1[sp.i(src), base + q] = 1.0
            b1[base + q] = -thr
            w2[base + q, sp.i(dst)] = sgn / (hi - lo)

    U = np.zeros((d, V))
    bU = np.full(V, -10.0)
    for k in range(10):
        U[sp.i("SUM", k), T[str(k)]] = 1.0
        bU[T[str(k)]] = 0.0
    U[sp.i("IS_END"), T[">"]] = 2.0
    U[sp.i("IS_LAST"), T[">"]] = -1.0
    bU[T[">"]] = -0.5
    U[sp.i("IS_END"), T[ar.EOS]] = 2.0
    U[sp.i("IS_LAST"), T[ar.EOS]] = 1.0
    bU[T[ar.EOS]] = -1.5

    cfg = tf.TransformerConfig(vocab_size=V, d_model=d, n_layers=1, n_heads=H, d_head=k_dim,
                               d_value=1, d_ff=f, n_levels=2, max_position=max(mps),
                               n_positions=(mps[0] + 1, mps[1] + 1), activation="relu", norm=None,
                               attn_scale=1.0, dtype="float64")
    j = jnp.asarray
    t1, t2 = position_tables(P1, P2, mps)
    params = {
        "tok_emb": j(E), "pos_emb": [j(t1), j(t2)],
        "layers": [{"attn": {"wq": j(wq), "wk": j(wk), "wv": j(wv), "wo": j(wo)},
                    "mlp": {"w1": j(w1), "b1": j(b1), "w2": j(w2), "b2": j(np.zeros(d))}}],
        "unembed": {"w": j(U), "b": j(bU)},
    }
    return MultiConstruction(params, cfg, sp, int(P1), int(P2), M)


def _check_tables(c: MultiConstruction, examples):
    for lev in range(2):
        top = max(int(e.position_ids[lev].max()) for e in examples)
        if top >= c.cfg.n_positions[lev]:
            raise ValueError(f"examples need level-{lev + 1} position ID {top} but the table stops "
                             f"at {c.cfg.n_positions[lev] - 1}; build(..., max_positions=...)")


def evaluate(c: MultiConstruction, examples: list[ar.Example], *, greedy: bool | str = False,
             chunk=1, pad_len=None) -> dict:
    """Teacher-forced exactness on scratchpad examples: ``{"exact": bool [B], "token_errors": int
    [B]}`` (every response token, each ``>`` and the final EOS included); with ``greedy`` also
    ``"greedy_exact"`` (``True``: :func:`numerics.transformer.greedy_decode`; ``"fixed_point"``:
    :func:`numerics.position_coupling.fixed_point_decode`, the same output). ``pad_len`` pads every
    chunk to one length (one compilation), or, given increasing lengths, each example to the
    smallest that holds it, with ``chunk`` one per length
    (:func:`numerics.position_coupling.run_examples`)."""
    _check_tables(c, examples)
    return run_examples(c.params, c.cfg, examples, greedy=greedy, chunk=chunk, pad_len=pad_len)


def greedy_correct(c: MultiConstruction, examples, pad_len: int | None = None) -> np.ndarray:
    """bool [B]: greedy decoding from ``A_1+...+A_m=`` reproduces the whole scratchpad and EOS."""
    _check_tables(c, examples)
    tok, pos, mask, ql = make_batch(examples, pad_len=pad_len)
    prompt = np.where(np.arange(tok.shape[1])[None] < ql[:, None], tok, 0)
    params, cfg = shared_shapes(c.params, c.cfg)
    gen = np.asarray(tf.greedy_decode(params, prompt, pos, ql, cfg))
    return np.array([(gen[i, :e.T] == tok[i, :e.T]).all() for i, e in enumerate(examples)])


def attention_weights(c: MultiConstruction, example: ar.Example) -> np.ndarray:
    """Attention weights [4, T, T] of the four heads on one example."""
    _check_tables(c, [example])
    tok, pos, _, _ = make_batch([example])
    _, inter = _forward_inter(c.params, tok, pos, c.cfg)
    return np.asarray(inter["attn"][0][0])


def add_many(operands, P1: int = 6, P2: int = 5, M: float | None = None) -> int:
    """Sum of ``operands`` computed by the construction (greedy decoding of the whole scratchpad);
    returns the last cumulative sum. Notebook helper."""
    c = build(P1, P2, M)
    ex = ar.multi_operand_addition(list(operands))
    if len(operands) > 2 ** P2 - 1 or ex.meta["L"] > 2 ** P1 - 2:
        raise ValueError(f"{len(operands)} operands of width {ex.meta['L']} exceed the capacity "
                         f"(count <= 2^P2 - 1 = {2 ** P2 - 1}, width <= 2^P1 - 2 = {2 ** P1 - 2})")
    tok, pos, _, ql = make_batch([ex])
    gen = ar.decode(np.asarray(fixed_point_decode(c.params, tok, pos, ql, c.cfg)[0])[0])
    resp = gen[ql[0]:]
    if ar.EOS not in resp:
        raise RuntimeError("the construction did not emit EOS (is M too small?)")
    last = " ".join(resp[:resp.index(ar.EOS)]).split(">")[-1].split()
    return ar.read_reversed_number(last)
