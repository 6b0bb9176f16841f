"""Explicit 1-layer, 2-head Transformer that adds with coupled positions (arXiv:2405.20671, Thm 5.1).

Paper: H. Cho et al., *Position Coupling*, NeurIPS 2024, arXiv:2405.20671, Theorem 5.1: a depth-1,
two-head decoder-only Transformer with coupled positions solves addition for operands of length
exponential in the embedding dimension d (its capacity 2^floor((d-17)/2) - 2 confirmed from the paper's
text). The paper's appendix matrices were not used, so the weights here are this toolkit's own, derived
here (docs/papers/position_coupling.md#addition-construction); they follow the paper's named layout: NUM, IS_BOS, FULL_ONES, PRE_SUM, PRE_CARRY, PRE_EOS,
SUM (10), IS_EOS, POS_1 (P), POS_2 (P), so ``d = 17 + 2P``.

Mechanism (repo numbering, ID step ``delta = +1``; paper numbering ``delta = -1``):

* position vector of ID ``p >= 1``: POS_1 = v(p), POS_2 = v(p + delta), with v(p) in {+-1}^P the
  binary code of ``p mod 2^P``; ID 0 (BOS, final EOS, padding) has the zero vector.
* both heads score ``M <q_block, POS_1(key)> + M P IS_BOS(key)`` (tracr's "always attend to BOS"):
  matches and BOS score ``M P``, every other token at most ``M (P - 2)``; each head averages over
  {BOS} + matches up to a leak of at most ``N e^{-2M}``.
* head 1 (sum) targets ID + delta: PRE_SUM <- 3 mean(NUM) = a_{j+1} + b_{j+1};
  head 2 (carry) targets the own ID: PRE_CARRY <- 4 mean(NUM) = a_j + b_j + o_j and
  PRE_EOS <- mass on BOS (1/4 at o_j, 1/3 at ``=``, 1/2 at the final carry digit o_n).
* ``z = PRE_SUM + (PRE_CARRY - 2 NUM)/10`` lies within 0.1 of a_{j+1} + b_{j+1} + c_{j+1}; an 80-unit
  ReLU bump network writes SUM[round(z) mod 10] = 1; 2 units write IS_EOS = 1 iff PRE_EOS ~ 1/2.
* readout: digit k logit SUM[k], EOS logit 2 IS_EOS - 1/2, everything else -10.

Every weight matrix is built from the named residual coordinates (:class:`ResidualSpace`, the tracr
way) and runs through the shared :func:`numerics.transformer.forward` (``norm=None``,
``activation="relu"``, ``attn_scale=1``, float64).

Public API: :func:`build`, :func:`position_table`, :func:`binary_code`, :func:`evaluate`,
:func:`add` (``position_coupling.add(a, b, P=10)`` adds two integers with the construction),
:func:`attention_weights`, :func:`make_batch`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from numerics import arithmetic as ar
from numerics import transformer as tf
from .jit import jit

__all__ = ["ResidualSpace", "Construction", "binary_code", "position_table", "build", "make_batch",
           "evaluate", "run_examples", "shared_shapes", "greedy_correct", "add", "fixed_point_decode",
           "attention_weights", "default_M", "SPACE_NAMES", "nope_best_exact_match",
           "mult_window_digits"]

#: residual layout of the addition construction (name, size); POS_1, POS_2 have size P.
SPACE_NAMES = (("NUM", 1), ("IS_BOS", 1), ("FULL_ONES", 1), ("PRE_SUM", 1), ("PRE_CARRY", 1),
               ("PRE_EOS", 1), ("SUM", 10), ("IS_EOS", 1), ("POS_1", None), ("POS_2", None))


class ResidualSpace:
    """Named residual-stream coordinates (tracr-style): ``space["SUM"]`` is the slice of the block
    ``SUM``, ``space.i("SUM", 3)`` the index of its coordinate 3, ``space.d`` the width."""

    def __init__(self, blocks):
        self.blocks: dict[str, slice] = {}
        off = 0
        for name, size in blocks:
            if size < 1:
                raise ValueError(f"block {name} must have size >= 1, got {size}")
            self.blocks[name] = slice(off, off + size)
            off += size
        self.d = off

    def __getitem__(self, name) -> slice:
        return self.blocks[name]

    def i(self, name: str, k: int = 0) -> int:
        s = self.blocks[name]
        if not 0 <= k < s.stop - s.start:
            raise IndexError(f"{name} has {s.stop - s.start} coordinates, asked for {k}")
        return s.start + k

    def size(self, name) -> int:
        s = self.blocks[name]
        return s.stop - s.start

    def names(self) -> list[str]:
        """One label per coordinate (``SUM[3]``, ``POS_1[0]``, ...), for plots and printing."""
        out = []
        for n, s in self.blocks.items():
            w = s.stop - s.start
            out += [n] if w == 1 else [f"{n}[{k}]" for k in range(w)]
        return out

    def vector(self, **values) -> np.ndarray:
        v = np.zeros(self.d)
        for k, x in values.items():
            v[self.blocks[k]] = x
        return v


def binary_code(p, P: int) -> np.ndarray:
    """v(p) in {-1,+1}^P: bit b of ``p mod 2^P`` mapped to +1 (set) or -1 (clear) (docs/papers/position_coupling.md#addition-construction).

    Distinct codes satisfy <v(p), v(p')> <= P - 2 and <v(p), v(p)> = P. ``p`` may be an array."""
    if P < 1:
        raise ValueError(f"P (code length) must be >= 1, got {P}")
    p = np.asarray(p, dtype=np.int64) % (2 ** P)
    bits = (p[..., None] >> np.arange(P)) & 1
    return (2.0 * bits - 1.0)


def position_table(P: int, max_position: int, delta: int) -> np.ndarray:
    """Position vectors for IDs 0..max_position in the d-dimensional residual (POS_1 = v(p),
    POS_2 = v(p + delta), zero for ID 0). Shape [max_position + 1, 17 + 2P]."""
    if delta not in (1, -1):
        raise ValueError(f"delta must be +1 (repo numbering) or -1 (paper numbering), got {delta}")
    sp = _space(P)
    ids = np.arange(max_position + 1)
    tab = np.zeros((max_position + 1, sp.d))
    tab[:, sp["POS_1"]] = binary_code(ids, P)
    tab[:, sp["POS_2"]] = binary_code(ids + delta, P)
    tab[0] = 0.0
    return tab


def _space(P: int) -> ResidualSpace:
    return ResidualSpace([(n, P if s is None else s) for n, s in SPACE_NAMES])


def default_M(P: int) -> float:
    """A generous softmax hardness, linear in P: ``M = P + 4`` (the sufficient value derived in
    ``theory.position_coupling.hardness_needed`` is about ``0.35 P + 3.3``)."""
    return float(P + 4)


@dataclass(frozen=True)
class Construction:
    """Hand-built weights: ``params`` and ``cfg`` for :func:`numerics.transformer.forward`,
    the residual ``space``, code length ``P``, hardness ``M`` and ID step ``delta``."""

    params: dict
    cfg: tf.TransformerConfig
    space: ResidualSpace
    P: int
    M: float
    delta: int
    numbering: str

    @property
    def d(self) -> int:
        return self.space.d


def build(P: int, M: float | None = None, *, numbering: str = "repo",
          max_position: int | None = None, sum_scale: float = 3.0, carry_scale: float = 4.0,
          eos_thresholds: tuple[float, float] = (0.38, 0.46)) -> Construction:
    """The 1-layer, 2-head addition Transformer of Theorem 5.1 (arXiv:2405.20671) with ``d = 17+2P``.

    P             code length (bits of each position block); capacity 2^P - 2 digits.
    M             softmax hardness (scores are multiples of M); default :func:`default_M`.
    numbering     ``"repo"`` (ID step +1) or ``"paper"`` (ID step -1), as in :mod:`numerics.arithmetic`.
    max_position  rows of the position table minus one (default 2^P, enough for the capacity).
    sum_scale, carry_scale, eos_thresholds  the construction's constants (3, 4, (0.38, 0.46));
                  exposed so that a mutated twin can perturb one weight.
    """
    if not isinstance(P, (int, np.integer)) or P < 2:
        raise ValueError(f"P must be an integer >= 2, got {P!r}")
    ar._check_numbering(numbering)
    M = default_M(P) if M is None else float(M)
    if not M > 0:
        raise ValueError(f"M (softmax hardness) must be > 0, got {M}")
    delta = 1 if numbering == "repo" else -1
    mp = 2 ** P if max_position is None else int(max_position)
    sp = _space(P)
    d, V = sp.d, len(ar.VOCAB)
    T = ar.TOKEN_ID

    # token embedding (the "initial encoding" of the paper's Table 9)
    E = np.zeros((V, d))
    for k in range(10):
        E[T[str(k)], sp.i("NUM")] = k
        E[T[str(k)], sp.i("FULL_ONES")] = 1.0
    for sym in ("+", "="):
        E[T[sym], sp.i("FULL_ONES")] = 1.0
    E[T[ar.BOS], sp.i("IS_BOS")] = 1.0
    E[T[ar.BOS], sp.i("FULL_ONES")] = 1.0

    # attention: d_head = P + 1 (a P-block and the always-attend-to-BOS coordinate), d_value = 2
    k_dim = P + 1
    sM, sMP = np.sqrt(M), np.sqrt(M * P)
    wq = np.zeros((2, d, k_dim))
    wk = np.zeros((2, d, k_dim))
    wv = np.zeros((2, d, 2))
    wo = np.zeros((2, 2, d))
    for h, block in enumerate(("POS_2", "POS_1")):   # head 1 targets ID+delta, head 2 the own ID
        wq[h, sp[block], :P] = sM * np.eye(P)
        wq[h, sp.i("FULL_ONES"), P] = sMP
        wk[h, sp["POS_1"], :P] = sM * np.eye(P)
        wk[h, sp.i("IS_BOS"), P] = sMP
        wv[h, sp.i("NUM"), 0] = 1.0
    wo[0, 0, sp.i("PRE_SUM")] = sum_scale
    wv[1, sp.i("IS_BOS"), 1] = 1.0
    wo[1, 0, sp.i("PRE_CARRY")] = carry_scale
    wo[1, 1, sp.i("PRE_EOS")] = 1.0

    # feed-forward: 80 bump units on z = PRE_SUM + (PRE_CARRY - 2 NUM)/10, 2 EOS units
    zrow = np.zeros(d)
    zrow[sp.i("PRE_SUM")] = 1.0
    zrow[sp.i("PRE_CARRY")] = 0.1
    zrow[sp.i("NUM")] = -0.2
    f = 82
    w1 = np.zeros((d, f))
    b1 = np.zeros(f)
    w2 = np.zeros((f, d))
    offs = (0.75, 0.25, -0.25, -0.75)
    signs = (2.0, -2.0, -2.0, 2.0)   # bump_t = 2[R(z-t+.75) - R(z-t+.25) - R(z-t-.25) + R(z-t-.75)]
    for t in range(20):
        for q in range(4):
            u = 4 * t + q
            w1[:, u] = zrow
            b1[u] = -t + offs[q]
            w2[u, sp.i("SUM", t % 10)] = signs[q]
    lo, hi = eos_thresholds
    for q, (thr, sgn) in enumerate(((lo, 1.0), (hi, -1.0))):
        w1[sp.i("PRE_EOS"), 80 + q] = 1.0
        b1[80 + q] = -thr
        w2[80 + q, sp.i("IS_EOS")] = sgn / (hi - lo)

    # readout
    U = np.zeros((d, V))
    bU = np.full(V, -10.0)
    for k in range(10):
        U[sp.i("SUM", k), T[str(k)]] = 1.0
        bU[T[str(k)]] = 0.0
    U[sp.i("IS_EOS"), T[ar.EOS]] = 2.0
    bU[T[ar.EOS]] = -0.5

    cfg = tf.TransformerConfig(vocab_size=V, d_model=d, n_layers=1, n_heads=2, d_head=k_dim,
                               d_value=2, d_ff=f, n_levels=1, max_position=mp, activation="relu",
                               norm=None, attn_scale=1.0, dtype="float64")
    j = jnp.asarray
    params = {
        "tok_emb": j(E), "pos_emb": [j(position_table(P, mp, delta))],
        "layers": [{"attn": {"wq": j(wq), "wk": j(wk), "wv": j(wv), "wo": j(wo)},
                    "mlp": {"w1": j(w1), "b1": j(b1), "w2": j(w2), "b2": j(np.zeros(d))}}],
        "unembed": {"w": j(U), "b": j(bU)},
    }
    return Construction(params, cfg, sp, int(P), M, delta, numbering)


# ------------------------------------------------------------------ evaluation

def make_batch(examples: list[ar.Example], pad_len: int | None = None):
    """Stack :class:`numerics.arithmetic.Example` s into (tokens [B,T], pos [B,L,T], mask [B,T],
    prompt_len [B]), right-padded."""
    T = max(e.T for e in examples) if pad_len is None else pad_len
    B, L = len(examples), examples[0].levels
    tok = np.zeros((B, T), np.int32)
    pos = np.zeros((B, L, T), np.int32)
    mask = np.zeros((B, T), bool)
    for i, e in enumerate(examples):
        tok[i, :e.T] = e.ids
        pos[i, :, :e.T] = e.position_ids
        mask[i, e.query_len:e.T] = True
    return tok, pos, mask, np.array([e.query_len for e in examples])


@partial(jit, static_argnames=("cfg",))
def _token_correct(params, tok, pos, mask, cfg):
    return tf.token_correct(params, tok, pos, mask, cfg)


def _check_table(c, examples):
    top = max(e.max_id for e in examples)
    if top > c.cfg.max_position:
        raise ValueError(f"examples need position ID {top} but the construction's table stops at "
                         f"max_position={c.cfg.max_position}; build(..., max_position={top})")


#: position tables are padded with zero rows to a multiple of this many rows before a jitted call
TABLE_ROWS = 64


def shared_shapes(params: dict, cfg: tf.TransformerConfig):
    """``(params, cfg)`` with every position table padded with zero rows to a multiple of
    :data:`TABLE_ROWS` rows and ``cfg``'s table sizes set to match, so that constructions differing
    only in their table size (the same code length, ``max_position`` 2^P or 2^P + 2) share one XLA
    compilation (the weights are traced arguments; ``cfg`` is static). The logits are unchanged:
    callers validate the IDs against the construction's own table (``_check_table``), so the added
    rows are never read."""
    tabs = params.get("pos_emb") or []
    if not tabs:
        return params, cfg
    rows = tuple(-(-int(t.shape[0]) // TABLE_ROWS) * TABLE_ROWS for t in tabs)
    padded = [t if t.shape[0] == r else jnp.asarray(np.pad(np.asarray(t), ((0, r - t.shape[0]), (0, 0))))
              for t, r in zip(tabs, rows)]   # padded on the host: no compilation
    if cfg.n_positions is None and len(set(rows)) == 1:
        cfg2 = dataclasses.replace(cfg, max_position=rows[0] - 1)
    else:
        cfg2 = dataclasses.replace(cfg, max_position=max(rows) - 1, n_positions=rows)
    return {**params, "pos_emb": padded}, cfg2


def _buckets(examples, pad_len, chunk):
    """[(pad length, chunk, indices)] : each example goes to the smallest pad length >= its length."""
    Ts = np.array([e.T for e in examples])
    if pad_len is None:
        pad_len = int(Ts.max())
    lens = (int(pad_len),) if np.ndim(pad_len) == 0 else tuple(int(x) for x in pad_len)
    chunks = (int(chunk),) * len(lens) if np.ndim(chunk) == 0 else tuple(int(x) for x in chunk)
    if len(chunks) != len(lens) or min(chunks) < 1:
        raise ValueError(f"chunk must be an int >= 1 or one per pad length {lens}, got {chunk}")
    if list(lens) != sorted(set(lens)):
        raise ValueError(f"pad_len lengths must be strictly increasing, got {lens}")
    if Ts.max() > lens[-1]:
        raise ValueError(f"an example has {int(Ts.max())} tokens, more than pad_len={lens[-1]}")
    where = np.searchsorted(np.array(lens), Ts)
    return [(lens[b], chunks[b], np.nonzero(where == b)[0]) for b in range(len(lens))
            if (where == b).any()]


def run_examples(params: dict, cfg: tf.TransformerConfig, examples: list[ar.Example], *,
                 greedy: bool | str = False, chunk=1, pad_len=None) -> dict:
    """Teacher-forced (and optionally greedy) exactness of ``params`` on ``examples`` (the shared
    evaluation loop of :func:`evaluate` and :func:`numerics.multi_operand.evaluate`; the caller has
    validated the position IDs). ``pad_len``: None (the longest example), an int, or increasing
    ints (length buckets: each example is right-padded to the smallest one that holds it; one
    compilation per bucket); ``chunk``: examples per batch, an int or one per bucket (the last
    batch of a bucket is filled with copies, so every batch of a bucket has one shape)."""
    params, cfg = shared_shapes(params, cfg)
    n = len(examples)
    exact, errs = np.zeros(n, bool), np.zeros(n, np.int64)
    gex = np.zeros(n, bool)
    for T, ch, idx in _buckets(examples, pad_len, chunk):
        for i in range(0, len(idx), ch):
            sel = idx[i:i + ch]
            part = [examples[j] for j in sel]
            k = len(part)
            part = part + part[:1] * (ch - k)        # keep one batch shape too
            tok, pos, mask, ql = make_batch(part, pad_len=T)
            ok = np.asarray(_token_correct(params, tok, pos, mask, cfg))[:k]
            exact[sel] = ok.all(axis=1)
            errs[sel] = (~ok).sum(axis=1)
            if greedy == "fixed_point":
                gen = np.asarray(fixed_point_decode(params, tok, pos, ql, cfg)[0])
            elif greedy:
                prompt = np.where(np.arange(T)[None] < ql[:, None], tok, 0)
                gen = np.asarray(tf.greedy_decode(params, prompt, pos, ql, cfg))
            if greedy:
                gex[sel] = [bool((gen[r, :e.T] == tok[r, :e.T]).all())
                            for r, e in enumerate(part[:k])]
    out = {"exact": exact, "token_errors": errs}
    if greedy:
        out["greedy_exact"] = gex
    return out


def evaluate(c: Construction, examples: list[ar.Example], *, greedy: bool | str = False,
             chunk=1, pad_len=None) -> dict:
    """Teacher-forced (and optionally greedy) exactness of the construction on ``examples``.

    Returns ``{"exact": bool [B] (every response token, EOS included, is the argmax),
    "token_errors": int [B], "greedy_exact": bool [B] (if ``greedy``)}``, in the order of
    ``examples``. Examples are run ``chunk`` at a time (long sequences: the attention matrix is
    T x T per head), right-padded to ``pad_len`` (default: the longest example), so one compilation
    serves every chunk; causal attention makes right padding harmless. ``pad_len`` may also be
    increasing lengths (buckets: each example padded to the smallest that holds it) with ``chunk``
    one per bucket (see :func:`run_examples`). ``greedy=True`` (or ``"decode"``) decodes with
    :func:`numerics.transformer.greedy_decode`; ``greedy="fixed_point"`` with
    :func:`fixed_point_decode` (the same output, far fewer forwards on long sequences)."""
    _check_table(c, examples)
    return run_examples(c.params, c.cfg, examples, greedy=greedy, chunk=chunk, pad_len=pad_len)


def greedy_correct(c: Construction, examples: list[ar.Example],
                   pad_len: int | None = None) -> np.ndarray:
    """bool [B]: greedy decoding (:func:`numerics.transformer.greedy_decode`) from the prompt
    reproduces the whole response, EOS included."""
    _check_table(c, examples)
    tok, pos, mask, ql = make_batch(examples, pad_len=pad_len)
    prompt = np.where(np.arange(tok.shape[1])[None] < ql[:, None], tok, 0)
    params, cfg = shared_shapes(c.params, c.cfg)
    gen = np.asarray(tf.greedy_decode(params, prompt, pos, ql, cfg))
    return np.array([(gen[i, :e.T] == tok[i, :e.T]).all() for i, e in enumerate(examples)])


def add(a, b, P: int = 10, M: float | None = None, *, numbering: str = "repo",
        construction: Construction | None = None) -> int:
    """a + b computed by the construction with greedy decoding (notebook helper).

    Builds the 1-layer, 2-head Transformer for code length ``P`` (or uses ``construction``), feeds
    ``BOS a+b=`` with coupled position IDs and decodes greedily until EOS; returns the decoded sum
    as an int. Operands may have up to 2^P - 2 digits (ValueError beyond)."""
    c = construction or build(P, M, numbering=numbering)
    da, db = ar._digits(a, "a"), ar._digits(b, "b")
    n = max(len(da), len(db))
    if n > 2 ** c.P - 2:
        raise ValueError(f"operands have {n} digits; the construction with P={c.P} handles at most "
                         f"2^P - 2 = {2 ** c.P - 2}")
    ex = ar.addition(a, b, numbering=c.numbering)
    tok, pos, mask, ql = make_batch([ex])
    gen, _ = fixed_point_decode(c.params, tok, pos, ql, c.cfg)
    resp = ar.decode(np.asarray(gen)[0, ql[0]:])
    if ar.EOS not in resp:
        raise RuntimeError("the construction did not emit EOS (is M too small?)")
    return ar.read_reversed_number(resp[:resp.index(ar.EOS)])


@partial(jit, static_argnames=("cfg",))
def _fixed_point(params, tok, pos, prompt_len, cfg):
    T = tok.shape[1]
    resp = jnp.arange(T)[None, :] >= prompt_len[:, None]
    y0 = jnp.where(resp, 0, tok)

    def body(state):
        y, _, it = state
        pred = jnp.argmax(tf.forward(params, y, pos, cfg)[:, :-1], axis=-1).astype(y.dtype)
        ynew = jnp.where(resp, jnp.concatenate([y[:, :1], pred], axis=1), y)
        return ynew, jnp.any(ynew != y), it + 1

    y, _, it = jax.lax.while_loop(lambda s: s[1] & (s[2] <= T), body, (y0, True, 0))
    return y, it


def fixed_point_decode(params, tokens, pos_ids, prompt_len, cfg):
    """Greedy decoding computed as the fixed point of ``y <- argmax forward(prompt + y)``.

    Each sweep is one teacher-forced :func:`numerics.transformer.forward` over the whole sequence.
    By causality, after k sweeps the first k response slots equal greedy decoding's, so the
    iteration stops at the greedy output after at most (response length + 1) sweeps, usually far
    fewer (a sweep fixes a whole run of slots whose prefix is already right). Returns
    ``(tokens [B, T], sweeps)``; equal to :func:`numerics.transformer.greedy_decode` (tested)."""
    tok = jnp.asarray(tokens)
    pl = jnp.broadcast_to(jnp.asarray(prompt_len), (tok.shape[0],))
    return _fixed_point(params, tok, jnp.asarray(pos_ids), pl, cfg)


def attention_weights(c: Construction, example: ar.Example):
    """Attention weights [H, T, T] of the constructed heads on one example (query rows, key cols)."""
    _check_table(c, [example])
    tok, pos, _, _ = make_batch([example])
    _, inter = _forward_inter(c.params, tok, pos, c.cfg)
    return np.asarray(inter["attn"][0][0])


@partial(jit, static_argnames=("cfg",))
def _forward_inter(params, tok, pos, cfg):
    return tf.forward(params, tok, pos, cfg, return_intermediates=True)


def residual(c: Construction, example: ar.Example) -> np.ndarray:
    """The residual stream [T, d] after the block (named by ``c.space.names()``)."""
    tok, pos, _, _ = make_batch([example])
    _, inter = _forward_inter(c.params, tok, pos, c.cfg)
    return np.asarray(inter["residual"][-1][0])


def perturbed(c: Construction, **changes) -> Construction:
    """A copy of ``c`` rebuilt with changed constants (``sum_scale``, ``carry_scale``, ...)."""
    return build(c.P, c.M, numbering=c.numbering, max_position=c.cfg.max_position, **changes)


# ------------------------------------------------------------------ 1-layer NoPE: exact best accuracy

def _digit_class(values, n: int):
    """(class index [len(values)], count vectors [K, 10]) of the digit multisets of the n-digit
    zero-padded strings of ``values``."""
    dig = (values[:, None] // 10 ** np.arange(n)) % 10
    cnt = (dig[:, :, None] == np.arange(10)).sum(axis=1)
    codes, first, cls = np.unique(cnt @ (n + 1) ** np.arange(10, dtype=np.int64), return_index=True,
                                  return_inverse=True)
    return cls.ravel(), cnt[first]


def nope_best_exact_match(n: int, *, information: str = "multiset", leading_zeros: bool = False,
                          s_chunk: int = 64) -> dict:
    """Exact best exact-match accuracy of any 1-layer decoder without positions on n-digit addition
    (arXiv:2405.20671, appendix: 6.2%, 1%, 0.13% at n = 3, 4, 5; docs/papers/position_coupling.md
    #nope-enumeration).

    Counting rule (Proposition 5.2): a 1-layer model without positions maps the prompt
    ``BOS a + b =`` to a next-token distribution that depends only on the multiset of the prompt's
    tokens and its last token ('=' for every prompt); each later step appends the same generated
    token to every prompt of a group, so the whole greedy response is a function of the multiset of
    the 2n operand digits. Every problem (a, b) whose digit multiset is M gets one common answer;
    at most ``max_s #{(a, b): multiset M, a + b = s}`` of them are right, and outputting that majority
    sum for each M attains it. The best accuracy is ``sum_M max_s count(M, s) / #problems``.

    Problems: all ordered pairs of n-digit operands (10^{n-1} <= a, b < 10^n; ``leading_zeros=True``:
    0 <= a, b < 10^n). Enumeration: for each sum s, the pairs (a, s - a) are binned by the dense index
    of the joint multiset (a table over pairs of single-operand multiset classes), and the running
    maximum over s is kept per M; a sum s is binned only over the multisets with digit sum = s mod 9
    (digitsum(M) = digitsum(s) + 9 #carries); work = #problems / 2 (a <-> b symmetry), memory =
    s_chunk x #multisets / 9.
    ``information="sequence"`` (the model sees positions: the token sequence itself) makes every
    group a single problem (a mutated rule: accuracy 1).

    Returns ``{"n", "problems", "best_correct", "accuracy", "multisets"}``."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (digits) must be an integer >= 1, got {n!r}")
    if information not in ("multiset", "sequence"):
        raise ValueError(f"information must be 'multiset' or 'sequence', got {information!r}")
    lo, hi = (0 if leading_zeros or n == 1 else 10 ** (n - 1)), 10 ** n
    ops = np.arange(lo, hi, dtype=np.int64)
    N = len(ops)
    if information == "sequence":
        # the sequence determines (a, b): every group is one problem
        return {"n": int(n), "problems": N * N, "best_correct": N * N, "accuracy": 1.0,
                "multisets": None}
    cls, vecs = _digit_class(ops, n)
    K = len(vecs)
    code = vecs @ (2 * n + 1) ** np.arange(10, dtype=np.int64)         # base-(2n+1) digit counts
    jcodes, jidx = np.unique((code[:, None] + code[None, :]).ravel(), return_inverse=True)
    jidx = jidx.reshape(K, K)
    nM = len(jcodes)
    # a + b = s forces digitsum(M) = digitsum(s) + 9 (#carries), so M's digit sum is s mod 9:
    # bin each sum only over the multisets of its residue class (dense index within the class)
    jsig = ((jcodes[:, None] // (2 * n + 1) ** np.arange(10)) % (2 * n + 1)) @ np.arange(10)
    res = jsig % 9
    rank = np.zeros(nM, np.int64)
    best = [None] * 9
    for r in range(9):
        sel = res == r
        rank[sel] = np.arange(int(sel.sum()))
        best[r] = np.zeros(int(sel.sum()), np.int64)
    jrank = rank[jidx]
    for r in range(9):
        s_all = np.arange(2 * lo, 2 * hi - 1, dtype=np.int64)
        s_all = s_all[s_all % 9 == r]
        nR = len(best[r])
        for i in range(0, len(s_all), s_chunk):
            s = s_all[i:i + s_chunk]
            # count(M, s) is symmetric in a <-> b: enumerate a <= b, weight 2 (a < b) or 1 (a = b);
            # the a range of the chunk is the union of its sums' ranges
            a_lo, a_hi = max(lo, int(s[0]) - hi + 1), min(hi - 1, int(s[-1]) // 2)
            a = ops[a_lo - lo:a_hi - lo + 1]
            b = s[:, None] - a[None, :]                         # [chunk, #a]
            ok = (b >= a[None, :]) & (b < hi)
            rows = np.broadcast_to(np.arange(len(s))[:, None], b.shape)[ok]
            bb = b[ok]
            aa = np.broadcast_to(a[None, :], b.shape)[ok]
            m = jrank[cls[aa - lo], cls[bb - lo]]
            w = np.where(aa == bb, 1.0, 2.0)
            counts = np.bincount(rows * nR + m, weights=w, minlength=len(s) * nR).reshape(len(s), nR)
            np.maximum(best[r], counts.max(axis=0).astype(np.int64), out=best[r])
    best = np.concatenate(best)
    total = int(best.sum())
    return {"n": int(n), "problems": N * N, "best_correct": total, "accuracy": total / (N * N),
            "multisets": int(nM)}


# ------------------------------------------------------------------ N x 2 multiplication: local rule

def mult_window_digits(a_digits, b0, b1, prev_out, *, window: int = 2) -> np.ndarray:
    """Each product digit of N x 2 multiplication from a bounded window (arXiv:2405.20671, Theorem
    6.1's task; the rule is derived here, docs/papers/position_coupling.md#multiplication-capacity).

    With T_j = a_j b_0 + a_{j-1} b_1 (a_j = 0 outside 0..N-1) and carries c_{j+1} = floor((T_j + c_j)/10),
    o_k = (T_k + c_k) mod 10 where c_k = floor((T_{k-1} + c_{k-1})/10) and c_{k-1} in {r1, r1 + 10},
    r1 = (o_{k-1} - T_{k-1}) mod 10 (carries are <= 17); of the two, c_{k-1} is the one in
    {q, q + 1}, q = floor((T_{k-2} + r2)/10), r2 = (o_{k-2} - T_{k-2}) mod 10 (the two sets meet in
    one value). So o_k is a function of a_k, a_{k-1}, a_{k-2}, a_{k-3}, b_0, b_1, o_{k-1}, o_{k-2}
    only: what a fixed-depth construction with coupled positions has to gather at the query of ID
    e - k. ``window=1`` (a mutated rule) takes c_{k-1} = r1 from o_{k-1} alone.

    a_digits [B, N] (least significant first), b0, b1 [B], prev_out [B, N + 2] the true product
    digits (teacher forcing); returns the predicted digits [B, N + 2]."""
    if window not in (1, 2):
        raise ValueError(f"window must be 1 or 2, got {window!r}")
    ad = np.asarray(a_digits, np.int64)
    B, N = ad.shape
    b0, b1 = np.asarray(b0, np.int64), np.asarray(b1, np.int64)
    A = np.concatenate([np.zeros((B, 3), np.int64), ad, np.zeros((B, 2), np.int64)], axis=1)
    T = A[:, 3:] * b0[:, None] + A[:, 2:-1] * b1[:, None]               # T_j, j = 0..N+1
    T = np.concatenate([np.zeros((B, 2), np.int64), T], axis=1)         # T[:, j + 2] = T_j
    O = np.concatenate([np.zeros((B, 2), np.int64), np.asarray(prev_out, np.int64)], axis=1)
    k = np.arange(N + 2)
    t0, t1, t2 = T[:, k + 2], T[:, k + 1], T[:, k]
    r1 = (O[:, k + 1] - t1) % 10
    r2 = (O[:, k] - t2) % 10
    q = (t2 + r2) // 10
    c_prev = r1 if window == 1 else np.where((q == r1) | (q + 1 == r1), r1, r1 + 10)
    c_k = (t1 + c_prev) // 10
    return (t0 + c_k) % 10
