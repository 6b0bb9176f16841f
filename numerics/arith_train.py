"""Training small Transformers on arithmetic and measuring length generalization.

Papers: Cho et al., *Position Coupling* (NeurIPS 2024, arXiv:2405.20671), §4 experiments (addition
with coupled positions against NoPE and random-start absolute positions); Cho et al., *Arithmetic
Transformers Can Length-Generalize in Both Operand Length and Count* (ICLR 2025, arXiv:2410.15787),
§5 (multi-operand addition with a cumulative-sum scratchpad and bi-level coupling).

Data come from :mod:`numerics.arithmetic` (the shared formats and coupled IDs). The recipe
follows the official code (HanseulJo/position-coupling at b9cad94) where it is confirmed from
that code: loss on the response tokens only (EOS included), a fixed training pool of examples
written with start ID 1 and shifted by a fresh uniformly random offset per example and step (so
every row of every position table is trained), test with start 1, teacher-forced exact match of
the whole response. Model size, steps and lengths are CPU-sized choices of this toolkit (measured here).

Public API
----------
``Recipe``                       frozen dataclass: task, position scheme, model, optimiser, data.
``encode(recipe, operands)``     one example -> (tokens, ids [L, T], target mask), start ID 1.
``make_pool(recipe, n, rng)``    a padded pool of training examples (numpy).
``make_trainer(recipe, pool, seed)``  the jitted ``lax.scan`` step machinery (the benchmark uses it).
``train(recipe, seed, ...)``     AdamW training (optax), jitted ``lax.scan`` chunks; returns
                                 ``(params, cfg, history)``.
``evaluate(params, cfg, recipe, digits, operands, n, seed)``  exact match (and digit-only / EOS
                                 accuracy) on ``n`` fresh problems with exactly ``digits`` digits per
                                 operand and ``operands`` operands.
``run(recipe, seed, eval_grid, ...)``  train + evaluate on a grid; optional npz cache.

Position schemes (``Recipe.positions``): ``"coupled"`` (the papers' coupled IDs: one level for
addition, two for the scratchpad), ``"nope"`` (no position embedding), ``"ape"`` (random-start
absolute positions: consecutive IDs 1, 2, ... from a random start, the repository's
``vanilla=True`` baseline). ``"shuffled"`` is a mutated control: the coupled IDs randomly permuted
among the tokens of each example (coupling destroyed, the multiset of IDs kept).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from numerics import arithmetic as fmt
from numerics.transformer import TransformerConfig, init_params, loss_fn, token_correct
from . import random as rnd
from .jit import jit



__all__ = ["Recipe", "encode", "make_pool", "make_trainer", "train", "evaluate", "run", "model_config",
           "sample_operands", "uniform_ndigit", "eval_problems", "validation_set", "code_version",
           "checkpoint_path", "load_checkpoint", "evaluate_grid"]

TASKS = ("addition", "multi_operand")
POSITIONS = ("coupled", "nope", "ape", "shuffled")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A training recipe (all CPU-sized choices are this toolkit's, see docs/papers/arith_training.md).

    task            ``"addition"`` (two operands, arXiv:2405.20671 §3) or ``"multi_operand"``
                    (arXiv:2410.15787 §3, scratchpad unless ``scratchpad=False``).
    positions       ``"coupled"``, ``"nope"``, ``"ape"`` or ``"shuffled"`` (see module docstring).
    scratchpad      multi-operand only: cumulative-sum scratchpad with bi-level IDs (True) or the
                    plain zero-padded sum with one coupled level (False, the papers' baseline).
    train_digits    (min, max) operand length in training, sampled uniformly per operand.
    train_operands  (min, max) operand count (multi-operand only; addition uses 2).
    max_position    largest ID of the level-1 table (digits); ``max_position2`` for level 2.
    d_model, n_heads, d_head, d_ff, n_layers, activation, norm, ffn, norm_position,
    readout_bias, tie_embeddings: the Transformer (see
                    :class:`numerics.transformer.TransformerConfig`; ``ffn="gated",
                    norm_position="pre_post", readout_bias=False, tie_embeddings=True`` is the
                    official position-coupling architecture).
    steps, batch, lr, warmup, min_lr_ratio, weight_decay, clip, b1, b2: AdamW with linear
                    warm-up and cosine decay to ``min_lr_ratio * lr``.
    pool_size       number of pre-generated training examples (the repository uses a fixed set).
    select          ``"last"`` (the last step's weights) or ``"val_loss"``: the weights with the
                    smallest loss on a validation set at the longest evaluated length (the paper
                    keeps each run's checkpoint with the best validation loss at its longest test
                    length), checked every ``val_every`` steps on ``val_n`` problems with
                    ``val_digits`` digits per operand and ``val_operands`` operands, disjoint from
                    the test problems (:func:`validation_set`).

    Presets: :meth:`paper_addition` and :meth:`paper_multi_operand` are the papers' recipes (GPU
    scale); :meth:`cpu_addition` and :meth:`cpu_multi_operand` are this toolkit's CPU reductions of
    them (docs/papers/arith_training.md says what each keeps and what it scales down).
    """

    task: str = "addition"
    positions: str = "coupled"
    scratchpad: bool = True
    train_digits: tuple[int, int] = (1, 10)
    train_operands: tuple[int, int] = (2, 2)
    max_position: int = 40
    max_position2: int = 20
    d_model: int = 64
    n_heads: int = 4
    d_head: int | None = None
    d_ff: int | None = None
    n_layers: int = 1
    activation: str = "gelu"
    norm: str | None = "rms"
    ffn: str = "mlp"
    norm_position: str = "pre"
    readout_bias: bool = True
    tie_embeddings: bool = False
    steps: int = 1000
    batch: int = 128
    lr: float = 1e-3
    warmup: int = 100
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.0
    clip: float = 1.0
    b1: float = 0.9
    b2: float = 0.98
    pool_size: int = 50_000
    dtype: str = "float32"
    select: str = "last"
    val_digits: int | None = None
    val_operands: int | None = None
    val_n: int = 256
    val_every: int = 250

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.positions not in POSITIONS:
            raise ValueError(f"positions must be one of {POSITIONS}, got {self.positions!r}")
        lo, hi = self.train_digits
        if not 1 <= lo <= hi:
            raise ValueError(f"train_digits must satisfy 1 <= min <= max, got {self.train_digits}")
        mlo, mhi = self.train_operands
        if not 2 <= mlo <= mhi:
            raise ValueError(f"train_operands must satisfy 2 <= min <= max, got {self.train_operands}")
        if self.steps < 1 or self.batch < 1:
            raise ValueError(f"steps and batch must be >= 1, got {self.steps}, {self.batch}")
        if self.select not in ("last", "val_loss"):
            raise ValueError(f"select must be 'last' or 'val_loss', got {self.select!r}")
        if self.select == "val_loss" and (self.val_digits is None or self.val_digits < 1):
            raise ValueError("select='val_loss' needs val_digits >= 1 (the longest evaluated length)")
        if self.val_every < 1 or self.val_n < 1:
            raise ValueError(f"val_every and val_n must be >= 1, got {self.val_every}, {self.val_n}")

    # ------------------------------------------------------------- presets
    @classmethod
    def paper_addition(cls, train_max: int = 30, **kw) -> "Recipe":
        """The addition recipe of arXiv:2405.20671, Table 1 (official config
        ``CustomT5DecoderOnly`` + ``training/default.yaml`` of HanseulJo/position-coupling): 1 layer,
        4 heads, d_model 512, head dimension 128, gated-GELU d_ff 2048, RMSNorm before and after
        each sublayer, tied read-out; AdamW lr 1e-4, betas (0.9, 0.95), no weight decay, 1% warm-up
        then cosine to 0.1 lr, gradient clip 1; 50,000 steps of batch 1,000 from 10^6 examples;
        max_position 202; operands of 1..``train_max`` digits (the paper trains 1-10, 1-20, 1-30;
        generalizable length 70, 135, 200); the checkpoint with the best validation loss at the
        longest test length (200 digits) is kept. GPU scale: runs unchanged on one."""
        base = dict(task="addition", positions="coupled", train_digits=(1, train_max),
                    max_position=202, d_model=512, n_heads=4, d_head=128, d_ff=2048, n_layers=1,
                    activation="gelu", norm="rms", ffn="gated", norm_position="pre_post",
                    readout_bias=False, tie_embeddings=True, steps=50_000, batch=1000, lr=1e-4,
                    warmup=500, min_lr_ratio=0.1, weight_decay=0.0, clip=1.0, b1=0.9, b2=0.95,
                    pool_size=1_000_000, select="val_loss", val_digits=200, val_n=1000,
                    val_every=1000)
        base.update(kw)
        return cls(**base)

    @classmethod
    def paper_multi_operand(cls, **kw) -> "Recipe":
        """The main multi-operand recipe of arXiv:2410.15787 (as its public reviews and official
        configs state it): 6 layers, 8 heads, d_model 1024 (about 63M parameters), scratchpad with
        bi-level coupling, max_position 40 per level, trained on 1-10 digits x 2-10 operands,
        500,000 examples, batch 400, 50,000 steps, lr 3e-5; best validation loss at the largest
        test cell. The paper's head dimension and d_ff are taken from the official T5 config
        (d_kv 128, d_ff 2048)."""
        base = dict(task="multi_operand", positions="coupled", scratchpad=True,
                    train_digits=(1, 10), train_operands=(2, 10), max_position=40, max_position2=40,
                    d_model=1024, n_heads=8, d_head=128, d_ff=2048, n_layers=6, activation="gelu",
                    norm="rms", ffn="gated", norm_position="pre_post", readout_bias=False,
                    tie_embeddings=True, steps=50_000, batch=400, lr=3e-5, warmup=500,
                    min_lr_ratio=0.1, weight_decay=0.0, clip=1.0, b1=0.9, b2=0.95,
                    pool_size=500_000, select="val_loss", val_digits=20, val_operands=20,
                    val_n=400, val_every=1000)
        base.update(kw)
        return cls(**base)

    @classmethod
    def cpu_addition(cls, **kw) -> "Recipe":
        """This toolkit's CPU reduction of :meth:`paper_addition` (docs/papers/arith_training.md,
        chosen by the recipe sweep of ``benchmarks/arith_recipe_sweep.py``): 1 layer, 4 heads of
        the paper's head dimension 128 on a residual width of 128, trained on 1-10 digits with
        max_position 80 (more than twice the longest evaluated length, 30 digits, plus a margin,
        so every row is trained at many offsets); AdamW at lr 3e-4 (betas 0.9 / 0.95, clip 1)
        with warm-up and cosine decay to 0.1 lr, 5000 steps of batch 128 from a pool of 200,000
        examples; the checkpoint with the best validation loss at 30 digits (every 250 steps).

        Kept from the paper: depth, heads, head dimension, training range, a max_position far
        above the test lengths, the optimiser and schedule shape, the selection rule. Changed,
        each measured on seed 0 (the docs): width 128 instead of 512, 50x fewer examples; a
        plain GELU MLP (d_ff 512) with pre-RMSNorm instead of the gated FFN with pre+post
        RMSNorm (``ffn="gated", norm_position="pre_post"``, the options of the paper's
        architecture: exact match 0.63 against 0.90 at 20 digits, at twice the cost per step);
        an untied read-out with a bias (with the paper's tied read-out and embeddings drawn at
        std 0.02 a d = 128 model barely trains on this budget: exact match 0.00 from 5 to 30
        digits after 5000 steps; at T5's std 1 training stalls at loss 2.13)."""
        base = dict(task="addition", positions="coupled", train_digits=(1, 10), max_position=80,
                    d_model=128, n_heads=4, d_head=128, d_ff=512, n_layers=1, activation="gelu",
                    norm="rms", ffn="mlp", norm_position="pre", readout_bias=True,
                    tie_embeddings=False, steps=5000, batch=128, lr=3e-4, warmup=50,
                    min_lr_ratio=0.1, weight_decay=0.0, clip=1.0, b1=0.9, b2=0.95,
                    pool_size=200_000, select="val_loss", val_digits=30, val_n=256, val_every=250)
        base.update(kw)
        return cls(**base)

    @classmethod
    def cpu_multi_operand(cls, **kw) -> "Recipe":
        """This toolkit's CPU reduction of :meth:`paper_multi_operand`: 2 layers (the paper's
        width-512 ablations find 2 layers best), trained on 1-5 digits x 2-5 operands so the
        end-of-number decision is seen at the evaluated widths, max_position 24 per level,
        gated FFN with pre+post RMSNorm, an untied read-out with a bias (as in
        :meth:`cpu_addition`), selection by validation loss at the largest evaluated cell
        (8 digits x 8 operands)."""
        base = dict(task="multi_operand", positions="coupled", scratchpad=True,
                    train_digits=(1, 5), train_operands=(2, 5), max_position=24, max_position2=24,
                    d_model=128, n_heads=4, d_head=32, d_ff=512, n_layers=2, activation="gelu",
                    norm="rms", ffn="gated", norm_position="pre_post", readout_bias=True,
                    tie_embeddings=False, steps=5000, batch=64, lr=5e-4, warmup=50,
                    min_lr_ratio=0.1, weight_decay=0.0, clip=1.0, b1=0.9, b2=0.95,
                    pool_size=100_000, select="val_loss", val_digits=8, val_operands=8, val_n=128,
                    val_every=250)
        base.update(kw)
        return cls(**base)

    @property
    def n_levels(self) -> int:
        if self.positions == "nope":
            return 0
        if self.task == "multi_operand" and self.scratchpad and self.positions != "ape":
            return 2
        return 1

    @property
    def table_sizes(self) -> tuple[int, ...]:
        if self.n_levels == 0:
            return ()
        if self.n_levels == 2:
            return (self.max_position + 1, self.max_position2 + 1)
        return (self.max_position + 1,)

    def replace(self, **kw) -> "Recipe":
        return dataclasses.replace(self, **kw)

    def key(self) -> str:
        """A short stable string naming the recipe (cache file names)."""
        d = dataclasses.asdict(self)
        return "_".join(f"{k}={v}" for k, v in sorted(d.items())).replace(" ", "")


def model_config(recipe: Recipe) -> TransformerConfig:
    """The :class:`TransformerConfig` of a recipe."""
    return TransformerConfig(
        vocab_size=len(fmt.VOCAB), d_model=recipe.d_model, n_layers=recipe.n_layers,
        n_heads=recipe.n_heads, d_head=recipe.d_head, d_ff=recipe.d_ff, n_levels=recipe.n_levels,
        max_position=max(recipe.table_sizes, default=2) - 1,
        n_positions=recipe.table_sizes if recipe.n_levels else None,
        activation=recipe.activation, norm=recipe.norm, dtype=recipe.dtype, ffn=recipe.ffn,
        norm_position=recipe.norm_position, readout_bias=recipe.readout_bias,
        tie_embeddings=recipe.tie_embeddings)


# ---------------------------------------------------------------- data

def sample_operands(recipe: Recipe, rng: np.random.Generator, digits=None, operands=None):
    """One problem's operands. In training (``digits`` None) lengths are uniform in
    ``train_digits`` per operand (multi-operand: the repository's 'partially uniform' rule, all
    operands share one length with probability 1/2); each number is uniform among numbers of its
    length (leading digit 1-9, a 1-digit number may be 0) (confirmed from the official code)."""
    if recipe.task == "addition":
        m = 2
    else:
        m = operands if operands is not None else int(rng.integers(recipe.train_operands[0],
                                                                    recipe.train_operands[1] + 1))
    lo, hi = recipe.train_digits
    if digits is not None:
        lens = [digits] * m
    elif recipe.task == "multi_operand" and rng.random() < 0.5:
        lens = [int(rng.integers(lo, hi + 1))] * m
    else:
        lens = [int(x) for x in rng.integers(lo, hi + 1, size=m)]
    return [uniform_ndigit(rng, n) for n in lens]


def uniform_ndigit(rng: np.random.Generator, n: int) -> int:
    """A uniformly random ``n``-digit number as a Python int, exact for every ``n`` >= 1: 0-9 for
    n = 1, else uniform on [10^(n-1), 10^n). Up to 18 digits one int64 draw (so results recorded
    with earlier versions are unchanged); longer numbers are built from 18-digit blocks below a
    uniformly drawn leading block, which is uniform on the same range."""
    n = int(n)
    if n < 1:
        raise ValueError(f"n (digits) must be >= 1, got {n}")
    if n == 1:
        return int(rng.integers(0, 10))
    return _leading(rng, n)


def _leading(rng, n):
    """Uniform on [10^(n-1), 10^n) (leading digit 1-9) for n >= 1."""
    if n <= 18:
        return int(rng.integers(10 ** (n - 1), 10 ** n))
    return _leading(rng, n - 18) * 10 ** 18 + int(rng.integers(0, 10 ** 18))


def encode(recipe: Recipe, operands):
    """(tokens int [T], ids int [L, T], target bool [T]) of one problem, start ID 1 on each level.

    ``ids`` follows ``recipe.positions``: coupled (repository convention, arXiv:2405.20671 §3 /
    arXiv:2410.15787 §3), APE (consecutive IDs 1, 2, ... after BOS; BOS/EOS get 0) or an empty
    [0, T] array for NoPE. The ``"shuffled"`` control is applied at batch time."""
    if recipe.task == "addition":
        ex = fmt.addition(operands[0], operands[1])
    else:
        ex = fmt.multi_operand_addition(list(operands), scratchpad=recipe.scratchpad)
    toks, tgt = ex.ids.astype(np.int32), ex.loss_mask
    if recipe.positions == "nope":
        ids = np.zeros((0, len(toks)), np.int32)
    elif recipe.positions == "ape":
        ids = fmt.position_ids(ex, "absolute_random").astype(np.int32)
    else:
        ids = ex.position_ids.astype(np.int32)
        if recipe.task == "multi_operand" and not recipe.scratchpad:
            ids = ids[:1]          # level 2 is all zeros without the scratchpad
    return toks, ids, np.asarray(tgt, bool)


def _pad_stack(examples, T=None):
    T = T or max(len(t) for t, _, _ in examples)
    L = examples[0][1].shape[0]
    n = len(examples)
    toks = np.zeros((n, T), np.int32)
    ids = np.zeros((n, L, T), np.int32)
    tgt = np.zeros((n, T), bool)
    for i, (t, p, m) in enumerate(examples):
        toks[i, :len(t)] = t
        ids[i, :, :len(t)] = p
        tgt[i, :len(t)] = m
    return toks, ids, tgt


def make_pool(recipe: Recipe, n: int, rng: np.random.Generator):
    """``n`` training examples written with start 1, right-padded to a common length.
    Returns a dict of numpy arrays: tokens [n, T], ids [n, L, T], target [n, T],
    max_id [n, L] (largest ID per level, for the random offset)."""
    ex = [encode(recipe, sample_operands(recipe, rng)) for _ in range(n)]
    toks, ids, tgt = _pad_stack(ex)
    max_id = ids.max(axis=2) if ids.shape[1] else np.zeros((n, 0), np.int32)
    need = np.array(recipe.table_sizes) - 1
    if ids.shape[1] and np.any(max_id.max(axis=0) > need):
        raise ValueError(f"max_position too small for train_digits/train_operands: the pool needs "
                         f"IDs up to {max_id.max(axis=0).tolist()} > tables {need.tolist()}")
    return {"tokens": toks, "ids": ids, "target": tgt, "max_id": max_id.astype(np.int32)}


def _shift_ids(key, ids, max_id, table_sizes):
    """Random start per example and level: shift every nonzero ID by s - 1 with s uniform such
    that the largest ID stays inside the table (repository's training offsets)."""
    if ids.shape[1] == 0:
        return ids
    lim = jnp.asarray(np.array(table_sizes) - 1)[None, :] - max_id          # [B, L] max shift
    u = rnd.uniform(key, lim.shape)
    shift = jnp.floor(u * (lim + 1)).astype(ids.dtype)
    return jnp.where(ids > 0, ids + shift[:, :, None], 0)


def _shuffle_ids(key, ids):
    """Mutated control: permute each example's IDs along the sequence (BOS keeps column 0)."""
    B, L, T = ids.shape
    perm = jnp.argsort(rnd.uniform(key, (B, T - 1)), axis=1) + 1
    perm = jnp.concatenate([jnp.zeros((B, 1), perm.dtype), perm], axis=1)
    return jnp.take_along_axis(ids, perm[:, None, :], axis=2)


# ---------------------------------------------------------------- training

def _optimizer(recipe: Recipe):
    warm = max(1, min(recipe.warmup, recipe.steps - 1))
    sched = optax.warmup_cosine_decay_schedule(
        0.0, recipe.lr, warm, max(recipe.steps, warm + 1), end_value=recipe.lr * recipe.min_lr_ratio)
    return optax.chain(optax.clip_by_global_norm(recipe.clip),
                       optax.adamw(sched, b1=recipe.b1, b2=recipe.b2, weight_decay=recipe.weight_decay))


def _train_step_fn(recipe: Recipe):
    """One AdamW step of ``recipe`` as a ``lax.scan`` body over the pool arrays ``P``; ``shuffle``
    (a traced bool) permutes the IDs of each example (the ``"shuffled"`` control)."""
    cfg = model_config(recipe)
    opt = _optimizer(recipe)
    sizes = recipe.table_sizes

    def step(carry, k, P, shuffle):
        params, opt_state = carry
        N = P["tokens"].shape[0]
        ki, ks, kp = jax.random.split(k, 3)
        idx = rnd.randint(ki, (recipe.batch,), 0, N)
        toks, ids, tgt, mx = P["tokens"][idx], P["ids"][idx], P["target"][idx], P["max_id"][idx]
        ids = _shift_ids(ks, ids, mx, sizes)
        ids = jax.lax.cond(shuffle, lambda i: _shuffle_ids(kp, i), lambda i: i, ids)
        loss, g = jax.value_and_grad(loss_fn)(params, toks, ids, tgt, cfg)
        upd, opt_state = opt.update(g, opt_state, params)
        return (optax.apply_updates(params, upd), opt_state), loss

    return step


@partial(jit, static_argnames=("recipe",), long_running=True)
def _run_chunk(params, opt_state, keys, P, shuffle, *, recipe: Recipe):
    """``len(keys)`` AdamW steps of ``recipe`` in one ``lax.scan``. One module-level jitted function
    (the recipe static, the pool and the shuffle flag arguments), so every training run of the same
    recipe and pool shape -- other seeds, a resumed run, a claim and its test, the coupled model
    and its shuffled-ID control -- reuses one compilation. Compiled with XLA's fusion emitters
    (``long_running``): they take about 3 s longer to compile this step but run it about 10%
    faster, which pays from a few thousand steps on (numerics.jit)."""
    step = _train_step_fn(recipe)
    (params, opt_state), losses = jax.lax.scan(lambda c, k: step(c, k, P, shuffle),
                                               (params, opt_state), keys)
    return params, opt_state, losses


@partial(jit, static_argnames=("cfg",))
def _val_loss(params, vt, vi, vm, cfg):
    return loss_fn(params, vt, vi, vm, cfg)


def make_trainer(recipe: Recipe, pool: dict, seed: int = 0):
    """The jitted training machinery of a recipe: returns ``(state, run_chunk, cfg)`` where
    ``state = (params, opt_state)`` and ``run_chunk(params, opt_state, keys [n, 2]) -> (params,
    opt_state, losses [n])`` runs ``n`` AdamW steps in one ``lax.scan``. Each step draws ``batch``
    examples from ``pool`` and a fresh random start per example and level (the repository's
    training offsets); the ``"shuffled"`` control also permutes the IDs."""
    cfg = model_config(recipe)
    params = init_params(jax.random.PRNGKey(seed), cfg)
    opt_state = _optimizer(recipe).init(params)
    P = {k: jnp.asarray(v) for k, v in pool.items()}

    shuffle = jnp.asarray(recipe.positions == "shuffled")
    static = recipe.replace(positions="coupled") if recipe.positions == "shuffled" else recipe

    def run_chunk(params, opt_state, keys):
        return _run_chunk(params, opt_state, keys, P, shuffle, recipe=static)

    return (params, opt_state), run_chunk, cfg


def _save_state(path, meta, trees, arrays):
    """Atomically write a checkpoint: the leaves of each pytree in ``trees`` and the plain
    ``arrays``, with the JSON ``meta``; a temporary file in the same folder, then os.replace."""
    out = {"meta": np.array(json.dumps(meta))}
    for name, tree in trees.items():
        for i, leaf in enumerate(jax.tree_util.tree_leaves(tree)):
            out[f"{name}/{i}"] = np.asarray(leaf)
    out.update(arrays)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.tmp.npz")
    try:
        np.savez(tmp, **out)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _load_state(path, templates):
    """Read a checkpoint written by :func:`_save_state`; ``templates`` gives each pytree's
    structure. Returns (meta, trees, arrays)."""
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        trees = {}
        for name, tmpl in templates.items():
            leaves, treedef = jax.tree_util.tree_flatten(tmpl)
            trees[name] = jax.tree_util.tree_unflatten(
                treedef, [jnp.asarray(z[f"{name}/{i}"], dtype=l.dtype) for i, l in enumerate(leaves)])
        arrays = {k: z[k] for k in z.files if "/" not in k and k != "meta"}
    return meta, trees, arrays


def train(recipe: Recipe, seed: int = 0, *, chunk: int = 100, time_limit: float | None = None,
          log=None, pool=None, checkpoint: str | None = None, progress: bool = False,
          val=None):
    """Train a model on ``recipe`` from seed ``seed`` (pool, initialisation and batches).

    Every step draws ``batch`` examples from a pool of ``pool_size`` (start-1) examples and a fresh
    random start per example and level; AdamW (``b1``, ``b2``, gradient clip) with linear warm-up
    and cosine decay to ``min_lr_ratio * lr`` (the repository's recipe shape). Steps run in jitted
    ``lax.scan`` chunks of ``chunk`` steps (with validation, shortened so that every multiple of
    ``val_every`` ends a chunk). ``time_limit`` (seconds) stops early
    after a chunk (recorded in the history as ``steps_done``).

    With ``recipe.select == "val_loss"`` the validation loss (start ID 1, the evaluation's IDs) is
    computed every ``val_every`` steps on ``val`` (tokens, ids, target) or, by default, on
    :func:`validation_set`, and the weights with the smallest one are returned.

    ``checkpoint`` (a file path) makes the run resumable: the state (weights, optimizer, PRNG key,
    step, losses, best weights) is written atomically after every validation point and at the end;
    a later call with the same path, recipe and seed continues from it, and gives the same result
    as an uninterrupted run (same chunks, same keys). ``progress`` shows a bar with steps/s and the
    current loss on stderr.

    Returns ``(params, cfg, history)``; history has ``loss`` per step, ``steps_done``,
    ``seconds``, ``val_steps``/``val_loss`` (the validation curve) and ``selected_step``.
    """
    rng = np.random.default_rng(seed)
    pool = pool if pool is not None else make_pool(recipe, recipe.pool_size, rng)
    key = jax.random.fold_in(jax.random.PRNGKey(seed), 1)
    (params, opt_state), run_chunk, cfg = make_trainer(recipe, pool, seed=seed)
    chunk = max(1, min(chunk, recipe.val_every))
    use_val = recipe.select == "val_loss"
    if use_val and val is None:
        val = validation_set(recipe, seed)
    if use_val:
        vt, vi, vm = (jnp.asarray(a) for a in val)
        val_loss = partial(_val_loss, vt=vt, vi=vi, vm=vm, cfg=cfg)
    losses, done, seconds = [], 0, 0.0
    best, best_val, val_steps, val_hist, sel = params, np.inf, [], [], 0
    meta = {"recipe": recipe.key(), "seed": int(seed), "chunk": chunk, "code": code_version()}
    if checkpoint and os.path.exists(checkpoint):
        m, trees, arr = _load_state(checkpoint, {"params": params, "opt": opt_state, "best": params})
        if {k: m.get(k) for k in meta} != meta:
            raise ValueError(f"checkpoint {checkpoint} was written for another recipe, seed or code "
                             "version; pass another path")
        params, opt_state, best = trees["params"], trees["opt"], trees["best"]
        key = jnp.asarray(arr["key"], dtype=key.dtype)
        done, seconds, best_val, sel = int(m["done"]), float(m["seconds"]), float(m["best_val"]), int(m["sel"])
        losses = [arr["loss"]]
        val_steps, val_hist = arr["val_steps"].tolist(), arr["val_loss"].tolist()
        if log is not None:
            log(f"resumed from {checkpoint} at step {done}")

    def save():
        if checkpoint:
            _save_state(checkpoint, dict(meta, done=done, seconds=seconds, best_val=best_val, sel=sel),
                        {"params": params, "opt": opt_state, "best": best},
                        {"key": np.asarray(key), "loss": np.concatenate(losses) if losses else np.zeros(0),
                         "val_steps": np.asarray(val_steps, np.int64),
                         "val_loss": np.asarray(val_hist, np.float64)})

    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=recipe.steps, initial=done, unit="step",
                   desc=f"training {recipe.task} ({recipe.positions}) seed {seed}",
                   leave=False, dynamic_ncols=True)
    t0 = time.perf_counter() - seconds
    try:
        while done < recipe.steps:
            n = min(chunk, recipe.steps - done)
            if use_val:        # land on every multiple of val_every (chunk need not divide it)
                n = min(n, recipe.val_every - done % recipe.val_every)
            key, kc = jax.random.split(key)
            params, opt_state, ls = run_chunk(params, opt_state, jax.random.split(kc, n))
            losses.append(np.asarray(ls))
            done += n
            seconds = time.perf_counter() - t0
            at_val = done % recipe.val_every == 0 or done == recipe.steps
            if use_val and at_val:
                v = float(val_loss(params))
                val_steps.append(done)
                val_hist.append(v)
                if v < best_val:
                    best_val, best, sel = v, params, done
            if bar is not None:
                bar.update(n)
                bar.set_postfix(loss=f"{float(ls[-1]):.4f}",
                                **({"val": f"{val_hist[-1]:.4f}"} if val_hist else {}))
            if log is not None:
                log(f"step {done}/{recipe.steps} loss {float(ls[-1]):.4f} {seconds:.0f}s")
            if at_val:
                save()
            if time_limit is not None and seconds > time_limit:
                break
        save()
    finally:
        if bar is not None:
            bar.close()
    hist = {"loss": np.concatenate(losses) if losses else np.zeros(0), "steps_done": done,
            "seconds": seconds, "val_steps": np.asarray(val_steps), "val_loss": np.asarray(val_hist),
            "selected_step": sel if use_val else done}
    return (best if use_val else params), cfg, hist


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """A short hash of the source of the training pipeline (this module, the Transformer and the
    data formats) and of the XLA options its programs compile with (numerics.jit): part of every
    checkpoint's and cached run's key."""
    import hashlib
    import inspect

    from numerics import arithmetic, transformer
    from numerics import jit as nj
    h = hashlib.sha1()
    for mod in (arithmetic, transformer, __import__(__name__, fromlist=["_"])):
        h.update(inspect.getsource(mod).encode())
    h.update(repr((sorted(nj.COMPILER_OPTIONS.items()), sorted(nj.LONG_RUNNING_OPTIONS.items()))).encode())
    return h.hexdigest()[:12]


# ---------------------------------------------------------------- evaluation

@partial(jit, static_argnames=("cfg",))
def _eval_batch(params, toks, ids, tgt, cfg):
    ok = token_correct(params, toks, ids, tgt, cfg)
    em = jnp.all(ok, axis=1)
    # the EOS slot is the last target of each row
    T = toks.shape[1]
    last = T - 1 - jnp.argmax(tgt[:, ::-1], axis=1)
    eos_ok = jnp.take_along_axis(ok, last[:, None], axis=1)[:, 0]
    col = jnp.arange(T)[None, :]
    digits_ok = jnp.all(ok | (col == last[:, None]), axis=1)
    return em, digits_ok, eos_ok


def evaluate(params, cfg: TransformerConfig, recipe: Recipe, digits: int, operands: int = 2,
             n: int = 500, seed: int = 1234, batch: int = 250, pad_to: int | None = None):
    """Teacher-forced exact match on ``n`` fresh problems with exactly ``digits`` digits in each of
    ``operands`` operands, start ID 1 (the repository's evaluation). Returns a dict with ``em``
    (whole response, EOS included), ``digits_only`` (all but the EOS slot) and ``eos`` accuracy.
    Raises ValueError when the problem needs IDs beyond the position tables.

    The sequences are right-padded to the longest of them, or to ``pad_to`` tokens if that is
    longer, rounded up to a multiple of 16; the model is causal and padding is never a target, so
    the result does not depend on it, and one padded length for a whole grid means one compiled
    evaluation."""
    ex = [encode(recipe, ops) for ops in eval_problems(recipe, digits, operands, n, seed)]
    T = max(max(len(t) for t, _, _ in ex), int(pad_to or 0))
    toks, ids, tgt = _pad_stack(ex, T=-(-T // 16) * 16)
    if ids.shape[1]:
        need = ids.max(axis=(0, 2))
        if np.any(need > np.array(recipe.table_sizes) - 1):
            raise ValueError(f"digits={digits}, operands={operands} needs position IDs "
                             f"{need.tolist()} beyond the tables {[s - 1 for s in recipe.table_sizes]}")
    if recipe.positions == "shuffled":
        ids = np.asarray(_shuffle_ids(jax.random.PRNGKey(seed), jnp.asarray(ids)))
    res = [[], [], []]
    for i in range(0, n, batch):
        out = _eval_batch(params, jnp.asarray(toks[i:i + batch]), jnp.asarray(ids[i:i + batch]),
                          jnp.asarray(tgt[i:i + batch]), cfg)
        for r, o in zip(res, out):
            r.append(np.asarray(o))
    em, dig, eos = (np.concatenate(r) for r in res)
    return {"em": float(em.mean()), "digits_only": float(dig.mean()), "eos": float(eos.mean())}


def eval_problems(recipe: Recipe, digits: int, operands: int = 2, n: int = 500, seed: int = 1234):
    """The operands of the ``n`` test problems :func:`evaluate` uses for (digits, operands, seed)."""
    rng = np.random.default_rng(seed + 7919 * digits + 104729 * operands)
    return [tuple(sample_operands(recipe, rng, digits=digits, operands=operands)) for _ in range(n)]


def validation_set(recipe: Recipe, seed: int, *, n_test: int = 500, eval_seed: int | None = None):
    """Padded (tokens, ids, target) of ``recipe.val_n`` validation problems at the longest
    evaluated cell (``val_digits`` digits, ``val_operands`` operands), start ID 1, drawn from their
    own random stream and disjoint from the ``n_test`` test problems :func:`run` evaluates there
    (``eval_seed`` defaults to run's ``seed + 1000``)."""
    if recipe.val_digits is None:
        raise ValueError("validation_set needs recipe.val_digits")
    ops = recipe.val_operands or (2 if recipe.task == "addition" else recipe.train_operands[1])
    test = set(eval_problems(recipe, recipe.val_digits, ops, n_test,
                             seed + 1000 if eval_seed is None else eval_seed))
    rng = np.random.default_rng([seed, 2_147_483_647, recipe.val_digits, ops])
    out = []
    while len(out) < recipe.val_n:
        p = tuple(sample_operands(recipe, rng, digits=recipe.val_digits, operands=ops))
        if p not in test:
            out.append(p)
    ex = [encode(recipe, p) for p in out]
    toks, ids, tgt = _pad_stack(ex)
    need = np.array(recipe.table_sizes) - 1
    if ids.shape[1] and np.any(ids.max(axis=(0, 2)) > need):
        raise ValueError(f"val_digits={recipe.val_digits} needs position IDs beyond the tables "
                         f"{need.tolist()}: raise max_position")
    return toks, ids, tgt


def evaluate_grid(params, cfg: TransformerConfig, recipe: Recipe, seed: int, eval_digits,
                  eval_operands=(2,), *, n_eval: int = 500) -> dict:
    """:func:`evaluate` on every cell of ``eval_digits x eval_operands`` with the test problems of
    run ``seed`` (evaluation seed ``seed + 1000``, disjoint from :func:`validation_set`). Returns
    ``em``, ``digits_only`` and ``eos`` arrays of shape [len(eval_digits), len(eval_operands)]."""
    shape = (len(eval_digits), len(eval_operands))
    out = {k: np.zeros(shape) for k in ("em", "digits_only", "eos")}
    # one padded length for the whole grid (one compiled evaluation): the longest cell's sequence.
    # Not for the shuffled control, whose permutation also moves the padding's IDs (its evaluation
    # keeps each cell's own padded length, as in training on the pool).
    pad_to = None
    if recipe.positions != "shuffled":
        pad_to = max(len(encode(recipe, ops)[0]) for ops in eval_problems(
            recipe, max(eval_digits), max(eval_operands), n_eval, seed + 1000))
    for i, nd in enumerate(eval_digits):
        for j, m in enumerate(eval_operands):
            r = evaluate(params, cfg, recipe, nd, m, n=n_eval, seed=seed + 1000, pad_to=pad_to)
            for k in out:
                out[k][i, j] = r[k]
    return out


def checkpoint_path(recipe: Recipe, seed: int, cache_dir: str) -> str:
    """The training checkpoint :func:`run` keeps in ``cache_dir`` for ``recipe`` and ``seed``
    (keyed by the recipe, the seed and :func:`code_version`)."""
    import hashlib
    h = hashlib.sha1(f"{recipe.key()}|{seed}|{code_version()}".encode()).hexdigest()[:16]
    return os.path.join(cache_dir, f"arith_{h}.ckpt.npz")


def load_checkpoint(recipe: Recipe, seed: int, path: str):
    """``(last, best, meta)`` of a checkpoint written by :func:`train`: the weights of the last
    step done, the weights the selection rule kept so far (the same under ``select="last"``) and
    the checkpoint's metadata (``done``, ``sel``, ``best_val``, ...). Raises ValueError when it
    was written for another recipe, seed or code version."""
    cfg = model_config(recipe)
    params = init_params(jax.random.PRNGKey(seed), cfg)
    opt_state = _optimizer(recipe).init(params)
    meta, trees, _ = _load_state(path, {"params": params, "opt": opt_state, "best": params})
    want = {"recipe": recipe.key(), "seed": int(seed), "code": code_version()}
    if {k: meta.get(k) for k in want} != want:
        raise ValueError(f"checkpoint {path} was written for another recipe, seed or code version")
    return trees["params"], trees["best"], meta


def run(recipe: Recipe, seed: int, eval_digits, eval_operands=(2,), *, n_eval: int = 500,
        cache_dir: str | None = None, time_limit: float | None = None, log=None,
        progress: bool = False) -> dict:
    """Train ``recipe`` with ``seed`` and evaluate exact match on the grid
    ``eval_digits x eval_operands``. Returns a dict of numpy arrays: ``em``, ``digits_only``,
    ``eos`` of shape [len(eval_digits), len(eval_operands)], ``loss`` (per step), and scalars
    ``train_seconds``, ``steps_done``. With ``cache_dir`` the result is stored as / loaded from an
    npz keyed by the recipe, seed, grid and :func:`code_version` (so a full-budget verdict can be
    re-reported without retraining), and training checkpoints there (``*.ckpt.npz``): a run
    interrupted with Ctrl-C resumes from its last checkpoint and ends with the same result."""
    eval_digits, eval_operands = tuple(int(x) for x in eval_digits), tuple(int(x) for x in eval_operands)
    path = None
    if cache_dir:
        import hashlib
        h = hashlib.sha1(f"{recipe.key()}|{seed}|{eval_digits}|{eval_operands}|{n_eval}|"
                         f"{code_version()}".encode()).hexdigest()[:16]
        path = os.path.join(cache_dir, f"arith_{h}.npz")
        if os.path.exists(path):
            with np.load(path) as z:
                return {k: z[k] for k in z.files}
    ckpt = checkpoint_path(recipe, seed, cache_dir) if cache_dir else None
    params, cfg, hist = train(recipe, seed, time_limit=time_limit, log=log, checkpoint=ckpt,
                              progress=progress)
    out = evaluate_grid(params, cfg, recipe, seed, eval_digits, eval_operands, n_eval=n_eval)
    out.update(loss=hist["loss"], val_steps=hist["val_steps"], val_loss=hist["val_loss"],
               selected_step=np.int64(hist["selected_step"]), train_seconds=np.float64(hist["seconds"]),
               steps_done=np.int64(hist["steps_done"]), eval_digits=np.array(eval_digits),
               eval_operands=np.array(eval_operands),
               recipe=np.array(json.dumps(dataclasses.asdict(recipe))))
    if path:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = os.path.join(cache_dir, f".{os.path.basename(path)}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **out)
        os.replace(tmp, path)
    return out
