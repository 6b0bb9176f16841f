"""A small decoder-only Transformer in JAX, shared by the arithmetic papers.

Papers: Cho et al., *Position Coupling* (NeurIPS 2024, arXiv:2405.20671) and Cho et al.,
*Arithmetic Transformers Can Length-Generalize in Both Operand Length and Count* (ICLR 2025,
arXiv:2410.15787). Both use a decoder-only Transformer whose input is the token embedding plus one
learned absolute position embedding per *level* of position IDs (one level for addition, two for
the multi-operand scratchpad, three for multiplication). The same :func:`forward` runs hand-built
weights (the explicit 1-layer constructions: float64, no normalisation, raw dot-product scores,
free head dimensions) and trained weights (float32, RMSNorm, GELU).

Stable API (additive changes only)
----------------------------------
``TransformerConfig``  frozen (hashable) dataclass; pass it as the static ``cfg`` argument.
``init_params(key, cfg) -> params``          random initialisation (a plain dict pytree).
``forward(params, tokens, pos_ids, cfg, *, pos_vectors=None, return_intermediates=False)``
                       ``tokens`` int [B, T], ``pos_ids`` int [B, L, T] (L = ``cfg.n_levels``;
                       ignored when ``cfg.n_levels == 0``, i.e. NoPE) -> logits [B, T, V];
                       with ``return_intermediates=True`` -> ``(logits, {"attn": [n_layers x
                       (B, H, T, T)], "residual": [n_layers + 1 x (B, T, d)], "final": (B, T, d)})``.
                       ``pos_vectors`` [B, T, d] (optional) is added to the embedding instead of the
                       table lookup (explicit position vectors).
``loss_fn(params, tokens, pos_ids, target_mask, cfg)``  mean next-token cross-entropy over targets.
``token_correct(params, tokens, pos_ids, target_mask, cfg) -> bool [B, T]``  teacher-forced
                       argmax correctness of every target token (non-targets are True).
``exact_match(params, tokens, pos_ids, target_mask, cfg) -> bool [B]``  teacher-forced exact
                       match: every target token (EOS included) is the argmax of the logits one
                       step before it (the repository's "instance-wise accuracy").
``greedy_decode(params, tokens, pos_ids, prompt_len, cfg) -> tokens [B, T]``  autoregressive
                       argmax decoding of positions ``prompt_len .. T-1`` (the given tokens there
                       are overwritten; position IDs of the generated slots come from ``pos_ids``,
                       which a coupled format knows in advance).
``param_count(params) -> int``.
``forward_jit``        ``jit(forward)`` with ``cfg`` and ``return_intermediates`` static.

Conventions
-----------
* ``target_mask[b, t]`` is True where ``tokens[b, t]`` is a response token to be predicted from
  position ``t - 1`` (everything after ``=`` up to and including EOS). Padding goes on the right;
  causality means right padding never changes earlier logits.
* Position ID 0 is the BOS/EOS/PAD row (the repository reserves it); the tables have
  ``cfg.max_position + 1`` rows per level (or ``cfg.n_positions[l]`` rows when given per level).
  IDs outside a table raise nothing inside jit (JAX clamps gathers); callers validate IDs.

Parameter dict (keys; shapes with d = d_model, H = n_heads, k = d_head, v = d_value)
-----------------------------------------------------------------------------------
``params["tok_emb"]``            [V, d]   token embedding
``params["pos_emb"]``            list of L arrays [n_positions_l, d] (absent or [] for NoPE)
``params["layers"][i]["attn"]``  ``wq`` [H, d, k], ``wk`` [H, d, k], ``wv`` [H, d, v],
                                 ``wo`` [H, v, d]; optional biases ``bq`` [H, k], ``bk`` [H, k],
                                 ``bv`` [H, v], ``bo`` [d] (used iff present in the dict)
``params["layers"][i]["mlp"]``   ``w1`` [d, f], ``b1`` [f], ``w2`` [f, d], ``b2`` [d]; with
                                 ``cfg.ffn == "gated"``: ``w1`` [d, f], ``w3`` [d, f], ``w2`` [f, d]
``params["layers"][i]["norm1"]`` / ``["norm2"]``  ``{"scale": [d]}`` (only when ``cfg.norm == "rms"``;
                                 plus ``norm1_post`` / ``norm2_post`` with ``norm_position="pre_post"``)
``params["final_norm"]``         ``{"scale": [d]}`` (only when ``cfg.norm == "rms"``)
``params["unembed"]``            ``w`` [d, V], ``b`` [V] (``b`` only when ``cfg.readout_bias``, ``w``
                                 only without ``cfg.tie_embeddings``)

One block computes (pre-norm; ``N`` is RMSNorm or the identity)::

    h = h + sum_heads softmax(scale * (N(h) Wq + bq)(N(h) Wk + bk)^T + causal mask) (N(h) Wv + bv) Wo + bo
    h = h + act(N(h) W1 + b1) W2 + b2

and the logits are ``N_final(h) W_U + b_U``. ``scale`` is ``cfg.attn_scale`` (1/sqrt(d_head) when
None); the constructions use ``attn_scale=1.0`` and put the hardness M into the weights.
"""
from __future__ import annotations

import dataclasses
import math
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import numerics  # noqa: F401  (enables float64)
from . import random as rnd
from .jit import jit

__all__ = ["TransformerConfig", "init_params", "forward", "forward_jit", "loss_fn", "token_correct",
           "exact_match", "greedy_decode", "param_count"]

_ACTIVATIONS = ("relu", "gelu")
_NORMS = (None, "rms")
_FFNS = ("mlp", "gated")
_NORM_POSITIONS = ("pre", "pre_post")
_DTYPES = ("float32", "float64")


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """Architecture of the decoder-only Transformer (hashable, so it can be a static jit argument).

    vocab_size    V, number of tokens.
    d_model       d, width of the residual stream.
    n_layers      number of blocks.
    n_heads       H, attention heads per block.
    d_head        k, query/key dimension per head (free: need not be d / H). Default d // H.
    d_value       v, value dimension per head. Default ``d_head``.
    d_ff          f, feed-forward hidden width. Default 4 d.
    n_levels      L, number of position-ID levels, each with its own table (0 = NoPE).
    max_position  largest position ID; tables have ``max_position + 1`` rows.
    n_positions   optional per-level row counts (tuple of L ints), overriding ``max_position``.
    activation    ``"relu"`` or ``"gelu"`` (feed-forward nonlinearity).
    norm          ``None`` (no normalisation, as in the constructions) or ``"rms"`` (pre-RMSNorm
                  in each block and a final RMSNorm before the readout).
    attn_scale    factor on q.k scores; None gives 1/sqrt(d_head).
    qkv_bias      whether :func:`init_params` creates attention biases.
    ffn           ``"mlp"``: act(x W1 + b1) W2 + b2; ``"gated"``: (act(x W1) * (x W3)) W2 without
                  biases (the gated-GELU feed-forward of the official position-coupling model,
                  ``feed_forward_proj: gated-gelu``).
    norm_position ``"pre"``: h <- h + F(N(h)); ``"pre_post"``: h <- N'(h + F(N(h))) with a second
                  RMSNorm N' after each residual sum (the official model's
                  ``layer_norm_position: pre_post``). Only with ``norm="rms"``.
    readout_bias  whether the unembedding has a bias ``b_U`` (the official model has none).
    tie_embeddings  read out with the token embedding: logits = d^(-1/2) N(h) E^T (no separate W_U;
                  the official model's tied T5 head, ``tie_word_embeddings`` with its rescaling).
    dtype         ``"float32"`` (fast training) or ``"float64"`` (constructions).
    """

    vocab_size: int
    d_model: int
    n_layers: int = 1
    n_heads: int = 1
    d_head: int | None = None
    d_value: int | None = None
    d_ff: int | None = None
    n_levels: int = 1
    max_position: int = 64
    n_positions: tuple[int, ...] | None = None
    activation: str = "gelu"
    norm: str | None = "rms"
    attn_scale: float | None = None
    qkv_bias: bool = False
    dtype: str = "float32"
    ffn: str = "mlp"
    norm_position: str = "pre"
    readout_bias: bool = True
    tie_embeddings: bool = False

    def __post_init__(self):
        for name in ("vocab_size", "d_model", "n_layers", "n_heads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.n_levels < 0:
            raise ValueError(f"n_levels must be >= 0, got {self.n_levels}")
        if self.max_position < 1:
            raise ValueError(f"max_position must be >= 1, got {self.max_position}")
        if self.n_positions is not None and len(self.n_positions) != self.n_levels:
            raise ValueError(f"n_positions must have n_levels={self.n_levels} entries, "
                             f"got {self.n_positions}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {self.activation!r}")
        if self.norm not in _NORMS:
            raise ValueError(f"norm must be one of {_NORMS}, got {self.norm!r}")
        if self.ffn not in _FFNS:
            raise ValueError(f"ffn must be one of {_FFNS}, got {self.ffn!r}")
        if self.norm_position not in _NORM_POSITIONS:
            raise ValueError(f"norm_position must be one of {_NORM_POSITIONS}, got {self.norm_position!r}")
        if self.norm_position == "pre_post" and self.norm != "rms":
            raise ValueError("norm_position='pre_post' needs norm='rms'")
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be one of {_DTYPES}, got {self.dtype!r}")
        for name in ("d_head", "d_value", "d_ff"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"{name} must be >= 1 when given, got {v}")

    @property
    def head_dim(self) -> int:
        return self.d_head if self.d_head is not None else max(1, self.d_model // self.n_heads)

    @property
    def value_dim(self) -> int:
        return self.d_value if self.d_value is not None else self.head_dim

    @property
    def ff_dim(self) -> int:
        return self.d_ff if self.d_ff is not None else 4 * self.d_model

    @property
    def table_sizes(self) -> tuple[int, ...]:
        if self.n_positions is not None:
            return tuple(int(n) for n in self.n_positions)
        return (self.max_position + 1,) * self.n_levels

    @property
    def jnp_dtype(self):
        return jnp.float64 if self.dtype == "float64" else jnp.float32


def init_params(key, cfg: TransformerConfig, *, init_scale: float = 0.02) -> dict:
    """Random parameters for ``cfg``: embeddings and position tables N(0, init_scale^2), weight
    matrices N(0, 1/fan_in) (output projections scaled by 1/sqrt(2 n_layers)), zero biases, unit
    norm scales. Returns the documented dict pytree (see the module docstring)."""
    dt = cfg.jnp_dtype
    d, H, k, v, f, V = cfg.d_model, cfg.n_heads, cfg.head_dim, cfg.value_dim, cfg.ff_dim, cfg.vocab_size
    keys = iter(jax.random.split(key, 4 + cfg.n_levels + 6 * cfg.n_layers))

    def normal(shape, std):
        return (std * rnd.normal(next(keys), shape)).astype(dt)

    params: dict[str, Any] = {
        "tok_emb": normal((V, d), init_scale),
        "pos_emb": [normal((n, d), init_scale) for n in cfg.table_sizes],
        "layers": [],
        "unembed": {} if cfg.tie_embeddings else {"w": normal((d, V), 1.0 / math.sqrt(d))},
    }
    if cfg.readout_bias:
        params["unembed"]["b"] = jnp.zeros((V,), dt)
    out_std = 1.0 / math.sqrt(2 * cfg.n_layers)
    for _ in range(cfg.n_layers):
        attn = {"wq": normal((H, d, k), 1 / math.sqrt(d)), "wk": normal((H, d, k), 1 / math.sqrt(d)),
                "wv": normal((H, d, v), 1 / math.sqrt(d)),
                "wo": normal((H, v, d), out_std / math.sqrt(H * v))}
        if cfg.qkv_bias:
            attn.update(bq=jnp.zeros((H, k), dt), bk=jnp.zeros((H, k), dt),
                        bv=jnp.zeros((H, v), dt), bo=jnp.zeros((d,), dt))
        if cfg.ffn == "gated":
            mlp = {"w1": normal((d, f), 1 / math.sqrt(d)), "w3": normal((d, f), 1 / math.sqrt(d)),
                   "w2": normal((f, d), out_std / math.sqrt(f))}
        else:
            mlp = {"w1": normal((d, f), 1 / math.sqrt(d)), "b1": jnp.zeros((f,), dt),
                   "w2": normal((f, d), out_std / math.sqrt(f)), "b2": jnp.zeros((d,), dt)}
        layer = {"attn": attn, "mlp": mlp}
        if cfg.norm == "rms":
            names = ("norm1", "norm2") + (("norm1_post", "norm2_post")
                                          if cfg.norm_position == "pre_post" else ())
            for nm in names:
                layer[nm] = {"scale": jnp.ones((d,), dt)}
        params["layers"].append(layer)
    if cfg.norm == "rms":
        params["final_norm"] = {"scale": jnp.ones((d,), dt)}
    return params


def param_count(params) -> int:
    """Number of scalar parameters in a params pytree."""
    return int(sum(np.prod(x.shape) for x in jax.tree_util.tree_leaves(params)))


def _rms(x, p, eps=1e-6):
    return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + eps) * p["scale"]


def _act(x, name):
    return jax.nn.relu(x) if name == "relu" else jax.nn.gelu(x, approximate=True)


def _attention(p, x, cfg: TransformerConfig):
    """Causal multi-head softmax attention on x [B, T, d]; returns (out [B,T,d], weights [B,H,T,T])."""
    q = jnp.einsum("btd,hdk->bhtk", x, p["wq"])
    kk = jnp.einsum("btd,hdk->bhtk", x, p["wk"])
    vv = jnp.einsum("btd,hdv->bhtv", x, p["wv"])
    if "bq" in p:
        q = q + p["bq"][None, :, None, :]
    if "bk" in p:
        kk = kk + p["bk"][None, :, None, :]
    if "bv" in p:
        vv = vv + p["bv"][None, :, None, :]
    scale = cfg.attn_scale if cfg.attn_scale is not None else 1.0 / math.sqrt(p["wq"].shape[-1])
    s = jnp.einsum("bhtk,bhsk->bhts", q, kk) * scale
    T = x.shape[1]
    causal = jnp.tril(jnp.ones((T, T), dtype=bool))
    s = jnp.where(causal, s, jnp.finfo(s.dtype).min)
    w = jax.nn.softmax(s, axis=-1)
    o = jnp.einsum("bhts,bhsv->bhtv", w, vv)
    out = jnp.einsum("bhtv,hvd->btd", o, p["wo"])
    if "bo" in p:
        out = out + p["bo"]
    return out, w


def forward(params, tokens, pos_ids, cfg: TransformerConfig, *, pos_vectors=None,
            return_intermediates: bool = False):
    """Logits of the decoder-only Transformer (papers' §3 model; see the module docstring).

    tokens   int [B, T] token ids.
    pos_ids  int [B, L, T] position IDs per level (the coupled IDs of arXiv:2405.20671 §3 /
             the multi-level IDs of arXiv:2410.15787 §3); ignored for NoPE (``n_levels == 0``) and
             when ``pos_vectors`` is given. May be None in those cases.
    pos_vectors  optional [B, T, d] explicit position vectors added instead of the tables.
    Returns logits [B, T, V] (in ``cfg.dtype``), or ``(logits, intermediates)``.
    """
    dt = cfg.jnp_dtype
    tokens = jnp.asarray(tokens)
    h = jnp.take(params["tok_emb"], tokens, axis=0).astype(dt)
    if pos_vectors is not None:
        h = h + jnp.asarray(pos_vectors, dt)
    elif cfg.n_levels > 0:
        pos_ids = jnp.asarray(pos_ids)
        for lvl, table in enumerate(params["pos_emb"]):
            h = h + jnp.take(table, pos_ids[:, lvl, :], axis=0).astype(dt)
    attn_ws, resid = [], [h]
    for layer in params["layers"]:
        x = _rms(h, layer["norm1"]) if cfg.norm == "rms" else h
        a, w = _attention(layer["attn"], x, cfg)
        h = h + a
        if "norm1_post" in layer:
            h = _rms(h, layer["norm1_post"])
        x = _rms(h, layer["norm2"]) if cfg.norm == "rms" else h
        m = layer["mlp"]
        if "w3" in m:   # gated: (act(x W1) * x W3) W2
            h = h + (_act(x @ m["w1"], cfg.activation) * (x @ m["w3"])) @ m["w2"]
        else:
            h = h + _act(x @ m["w1"] + m["b1"], cfg.activation) @ m["w2"] + m["b2"]
        if "norm2_post" in layer:
            h = _rms(h, layer["norm2_post"])
        attn_ws.append(w)
        resid.append(h)
    final = _rms(h, params["final_norm"]) if cfg.norm == "rms" else h
    if "w" in params["unembed"]:
        logits = final @ params["unembed"]["w"]
    else:  # tied read-out (T5's rescaled shared embedding)
        logits = (final * (1.0 / math.sqrt(final.shape[-1]))) @ params["tok_emb"].T.astype(final.dtype)
    if "b" in params["unembed"]:
        logits = logits + params["unembed"]["b"]
    if return_intermediates:
        return logits, {"attn": attn_ws, "residual": resid, "final": final}
    return logits


forward_jit = jit(forward, static_argnames=("cfg", "return_intermediates"))


def loss_fn(params, tokens, pos_ids, target_mask, cfg: TransformerConfig):
    """Mean next-token cross-entropy over the target (response) tokens, as in the repository's
    loss (labels -100 outside the response). ``target_mask`` bool [B, T]."""
    logits = forward(params, tokens, pos_ids, cfg)[:, :-1].astype(jnp.float32)
    tgt = jnp.asarray(tokens)[:, 1:]
    m = jnp.asarray(target_mask)[:, 1:].astype(jnp.float32)
    logp = jax.nn.log_softmax(logits, axis=-1)
    nll = -jnp.take_along_axis(logp, tgt[..., None], axis=-1)[..., 0]
    return jnp.sum(nll * m) / jnp.maximum(jnp.sum(m), 1.0)


def token_correct(params, tokens, pos_ids, target_mask, cfg: TransformerConfig):
    """bool [B, T]: entry t is True when ``tokens[:, t]`` is not a target or is the argmax of the
    logits at ``t - 1`` (teacher forcing). Column 0 is always True."""
    logits = forward(params, tokens, pos_ids, cfg)
    tokens = jnp.asarray(tokens)
    ok = (jnp.argmax(logits[:, :-1], axis=-1) == tokens[:, 1:]) | ~jnp.asarray(target_mask)[:, 1:]
    return jnp.concatenate([jnp.ones_like(ok[:, :1]), ok], axis=1)


def exact_match(params, tokens, pos_ids, target_mask, cfg: TransformerConfig):
    """bool [B]: teacher-forced exact match of the whole response, EOS included (arXiv:2405.20671
    §4 metric; equivalent to greedy decoding producing the exact answer)."""
    return jnp.all(token_correct(params, tokens, pos_ids, target_mask, cfg), axis=1)


@partial(jit, static_argnames=("cfg",))
def _greedy(params, tokens, pos_ids, prompt_len, cfg):
    B, T = tokens.shape
    prompt_len = jnp.broadcast_to(jnp.asarray(prompt_len), (B,))

    def step(t, toks):
        logits = forward(params, toks, pos_ids, cfg)
        nxt = jnp.argmax(logits[:, t - 1], axis=-1).astype(toks.dtype)
        upd = jnp.where(t >= prompt_len, nxt, toks[:, t])
        return toks.at[:, t].set(upd)

    return jax.lax.fori_loop(jnp.maximum(jnp.min(prompt_len), 1), T, step, tokens)


def greedy_decode(params, tokens, pos_ids, prompt_len, cfg: TransformerConfig):
    """Greedy (argmax) autoregressive decoding.

    tokens      int [B, T]: the prompts in ``[:, :prompt_len]`` (the rest is overwritten).
    pos_ids     int [B, L, T]: position IDs of every slot, generated ones included.
    prompt_len  int or int [B]: number of prompt tokens (BOS ... ``=``) per example, >= 1.
    Returns the int [B, T] sequences; slot t >= prompt_len holds the argmax given slots < t. The
    slots after a generated EOS are still filled (compare up to EOS).
    """
    tokens = jnp.asarray(tokens)
    if tokens.ndim != 2:
        raise ValueError(f"tokens must be [B, T], got shape {tokens.shape}")
    pl = np.asarray(prompt_len)
    if np.any(pl < 1) or np.any(pl > tokens.shape[1]):
        raise ValueError(f"prompt_len must lie in [1, T={tokens.shape[1]}], got {prompt_len}")
    if pos_ids is None:
        pos_ids = jnp.zeros((tokens.shape[0], max(cfg.n_levels, 1), tokens.shape[1]), jnp.int32)
    return _greedy(params, tokens, jnp.asarray(pos_ids), jnp.asarray(pl), cfg)
