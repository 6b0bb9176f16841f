"""SAM and periodic resets for generalization and plasticity, as in Lee, Cho, Kim, Gwak, Kim, Choo,
Yun & Yun, "Enhancing Generalization and Plasticity for Sample Efficient Reinforcement Learning"
(arXiv:2306.10711 v1, June 2023), and its NeurIPS 2023 version "PLASTIC: Improving Input and Label
Plasticity for Sample Efficient Reinforcement Learning" (v2/v3, December 2023).

Two simulations, both pure JAX (float64, explicit PRNG keys, ``vmap`` over seeds and variants,
``lax.scan`` over steps):

1. **The synthetic plasticity protocol** (v3's synthetic experiment; the official code ``synthetic/
   input_adaptation.py`` and ``output_adaptation.py`` of ``dojeon-ai/PLASTIC`` at commit
   ``86eb4ca``), reduced to a CPU: scikit-learn's bundled ``load_digits`` instead of CIFAR-10 and a
   small MLP instead of the ConvNet. The training set is cut into ``n_chunks`` chunks.

   * *input shift* (input plasticity): at chunk ``c`` the learner trains on the buffer of chunks
     ``0..c`` (a growing buffer);
   * *label shift* (label plasticity): at chunk ``c`` it trains on the whole training set with the
     labels permuted cyclically, ``y -> (y + c) mod 10`` (the official code's relabelling); test
     labels are permuted identically.

   The test accuracy is recorded at the end of every chunk; the paper's summary is its mean over
   chunks (the code's ``test_auc``).

   Model: backbone 64 -> H -> H (ReLU; optional LayerNorm before each ReLU), head H -> d -> 10
   (H = 128, d = 64 by default; H = 64, d = 32 in :data:`PROTOCOLS`, the CPU budgets). With CReLU the
   head's hidden layer is H -> d/2 and CReLU, ``[relu(z), relu(-z)]``, doubles it to d (v3's width
   rule: CReLU halves the pre-activation width). Optimiser: SGD with momentum 0.9
   (optax), optional weight decay. SAM: :func:`numerics.sam.sam_grad` (one implementation shared with
   the SAM slice). Reset: after the test at the end of chunk ``c`` with ``c % reset_every == 0`` the
   whole head is re-drawn from its initial distribution, the backbone and the optimiser state are
   kept (the official synthetic code).

   Variants (:data:`VARIANTS`): ``base``, ``sam``, ``reset``, ``sam_reset`` (v1's method),
   ``ln``, ``crelu`` and ``plastic`` (v3: LayerNorm + SAM + CReLU + reset). Every variant of both
   protocols runs in *one* compiled, vmapped scan: the variant is data (radius, reset period,
   LayerNorm and CReLU switches) rather than code, so adding a variant costs no compile. Runs of the
   same seed share the initial weights, the chunk order and the minibatch draws (common random
   numbers), so per-seed differences are paired.

2. **A DQN-style agent on CartPole** (gymnax ``CartPole-v1``; imported lazily, the ``rl`` extra):
   double DQN with a Huber loss, Adam, a hard-copied target network, epsilon-greedy exploration and
   ``replay_ratio`` updates per environment step, base vs SAM + reset of the last layers of the
   online and target networks (optimiser state re-initialised at a reset, as in the official Atari
   code). Summaries are inter-quartile means over seeds with percentile-bootstrap intervals.

This module never imports :mod:`theory`.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

import numerics  # noqa: F401  (enables float64)
from numerics.sam import sam_grad, tree_normalized_ascent
from . import random as rnd
from .jit import jit

__all__ = [
    "Variant", "VARIANTS", "Protocol", "PROTOCOLS", "load_digits_split", "init_params", "reset_head",
    "forward", "crelu", "layer_norm", "dead_head_units", "run_protocol", "iqm", "iqm_bootstrap_ci", "DQNConfig",
    "DQN_CONFIGS", "dqn_cartpole", "reset_steps", "HEAD_KEYS", "BACKBONE_KEYS",
]

D_IN, N_CLASSES = 64, 10
BACKBONE_KEYS = ("W1", "b1", "g1", "c1", "W2", "b2", "g2", "c2")
HEAD_KEYS = ("W3", "b3", "W4", "b4")


# -------------------------------------------------------------------------------------- variants
class Variant(NamedTuple):
    """One learner of the synthetic protocol.

    rho          SAM radius (``0`` = plain SGD; the paper's synthetic runs use 0.1, ours 0.05)
    reset_every  reset the head after chunks ``c`` with ``c % reset_every == 0`` (``0`` = never)
    layernorm    LayerNorm before each backbone ReLU (v3)
    crelu        CReLU in the head (v3)
    """
    rho: float = 0.0
    reset_every: int = 0
    layernorm: bool = False
    crelu: bool = False


#: v1's four learners (base, SAM, reset, SAM + reset) and v3's additions. ``reset_every`` is given
#: in chunks for a 20-chunk protocol (resets after chunks 0, 5, 10, 15) and rescaled by
#: :func:`run_protocol` to ``n_chunks / 4``.
VARIANTS: dict[str, Variant] = {
    "base": Variant(),
    "sam": Variant(rho=0.05),
    "reset": Variant(reset_every=5),
    "sam_reset": Variant(rho=0.05, reset_every=5),
    "ln": Variant(layernorm=True),
    "crelu": Variant(crelu=True),
    "plastic": Variant(rho=0.05, reset_every=5, layernorm=True, crelu=True),
}


class Protocol(NamedTuple):
    """Sizes and optimiser settings of the synthetic protocol (per shift type).

    n_chunks, iters   chunks and SGD iterations per chunk
    batch             minibatch size (drawn uniformly with replacement from the current data)
    lr, wd            SGD learning rate and weight decay (momentum 0.9)
    """
    n_chunks: int = 20
    iters: int = 200
    batch: int = 64
    lr_input: float = 0.01
    lr_label: float = 0.03
    wd_input: float = 0.0
    wd_label: float = 0.0
    momentum: float = 0.9
    d_hidden: int = 128
    d_head: int = 64


#: ``fast``: widths 64/32, 20 chunks x 100 iterations of batch 32 (CI seconds; label-plasticity loss
#: needs about 20 shifts to show at this scale); ``full``: twice the iterations per chunk (and 5 seeds
#: instead of 3 in the claims), so a learner has time to recover after each reset.
PROTOCOLS: dict[str, Protocol] = {
    "full": Protocol(n_chunks=20, iters=200, batch=32, d_hidden=64, d_head=32),
    "fast": Protocol(n_chunks=20, iters=100, batch=32, d_hidden=64, d_head=32),
}


# ------------------------------------------------------------------------------------------ data
@functools.lru_cache(maxsize=1)
def load_digits_split():
    """scikit-learn's bundled digits (1797 images of 8x8, no download), pixels scaled by 1/16 and
    split 70/30 stratified with ``random_state=0``: ``(X_train, y_train, X_test, y_test)``, numpy
    float64 / int32 (1257 and 540 examples)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)
    return (np.asarray(Xtr, np.float64), np.asarray(ytr, np.int32), np.asarray(Xte, np.float64),
            np.asarray(yte, np.int32))


# ----------------------------------------------------------------------------------------- model
def _uniform(key, shape, fan_in):
    b = 1.0 / np.sqrt(fan_in)
    return rnd.uniform(key, shape, jnp.float64, -b, b)


def _init_head(key, d_hidden, d_head):
    k = jax.random.split(key, 4)
    return {"W3": _uniform(k[0], (d_hidden, d_head), d_hidden),
            "b3": _uniform(k[1], (d_head,), d_hidden),
            "W4": _uniform(k[2], (d_head, N_CLASSES), d_head),
            "b4": _uniform(k[3], (N_CLASSES,), d_head)}


def init_params(key, d_hidden: int = 128, d_head: int = 64):
    """Initial MLP parameters: every weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's
    ``nn.Linear`` default, as in the official code), LayerNorm gains 1 and shifts 0.

    Backbone 64 -> ``d_hidden`` -> ``d_hidden``, head ``d_hidden`` -> ``d_head`` -> 10. Returns
    ``{"backbone": {...}, "head": {...}}``; the head is drawn from ``fold_in(key, 1)`` by the same
    sampler :func:`reset_head` uses. With CReLU only the first ``d_head // 2`` columns of
    ``W3``/``b3`` are used (the pre-activation width is halved); the unused entries get zero
    gradients."""
    for name, v in (("d_hidden", d_hidden), ("d_head", d_head)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 2:
            raise ValueError(f"{name} must be an integer >= 2, got {v!r}")
    if d_head % 2:
        raise ValueError(f"d_head must be even (CReLU halves it), got {d_head}")
    kb, kh = jax.random.fold_in(key, 0), jax.random.fold_in(key, 1)
    k = jax.random.split(kb, 4)
    H = d_hidden
    backbone = {"W1": _uniform(k[0], (D_IN, H), D_IN), "b1": _uniform(k[1], (H,), D_IN),
                "g1": jnp.ones(H), "c1": jnp.zeros(H),
                "W2": _uniform(k[2], (H, H), H), "b2": _uniform(k[3], (H,), H),
                "g2": jnp.ones(H), "c2": jnp.zeros(H)}
    return {"backbone": backbone, "head": _init_head(kh, H, d_head)}


def reset_head(params, key):
    """The reset of v1 ("periodic reinitialization of the last few layers"): the head is re-drawn
    from its initial distribution with ``key`` (the sampler of :func:`init_params`, so
    ``reset_head(p, k)["head"] == init_params(k)["head"]``); the backbone is returned unchanged (the
    same arrays, bit-identical)."""
    d_hidden, d_head = params["head"]["W3"].shape
    return {"backbone": params["backbone"],
            "head": _init_head(jax.random.fold_in(key, 1), d_hidden, d_head)}


def crelu(z):
    """Concatenated ReLU (Shang et al. 2016; v3's CReLU): ``[relu(z), relu(-z)]`` along the last
    axis. For every ``z_i != 0`` exactly one of the pair is positive, so no unit is dead on an input
    that has no zero pre-activation."""
    return jnp.concatenate([jax.nn.relu(z), jax.nn.relu(-z)], axis=-1)


def layer_norm(h, g, c, eps=1e-5):
    """LayerNorm over the feature axis with gain ``g`` and shift ``c`` (PyTorch's default eps)."""
    mu = jnp.mean(h, axis=-1, keepdims=True)
    var = jnp.mean((h - mu) ** 2, axis=-1, keepdims=True)
    return (h - mu) / jnp.sqrt(var + eps) * g + c


def forward(params, x, layernorm=False, crelu_head=False):
    """Logits and hidden activations ``(logits, (h1, h2, a))`` of the MLP on inputs ``x`` (n, 64).

    ``layernorm`` and ``crelu_head`` may be traced booleans (both branches are evaluated and one is
    selected), so different architectures share one vmapped graph."""
    bb, hd = params["backbone"], params["head"]
    h1 = x @ bb["W1"] + bb["b1"]
    h1 = jax.nn.relu(jnp.where(layernorm, layer_norm(h1, bb["g1"], bb["c1"]), h1))
    h2 = h1 @ bb["W2"] + bb["b2"]
    h2 = jax.nn.relu(jnp.where(layernorm, layer_norm(h2, bb["g2"], bb["c2"]), h2))
    z = h2 @ hd["W3"] + hd["b3"]
    a = jnp.where(crelu_head, crelu(z[..., : z.shape[-1] // 2]), jax.nn.relu(z))
    return a @ hd["W4"] + hd["b4"], (h1, h2, a)


def dead_head_units(a, crelu_head=False):
    """Fraction of the head's hidden *neurons* (pre-activation units) that are dead on the inputs
    whose activations ``a`` (n, d_head) are given: every output of the neuron is zero on every
    input. A ReLU neuron i is dead when ``a_i = 0`` throughout; a CReLU neuron i (width d_head/2) has
    the two outputs ``a_i = relu(z_i)`` and ``a_{i + d_head/2} = relu(-z_i)``, so it is dead only
    when ``z_i = 0`` on every input. ``crelu_head`` may be traced."""
    half = a.shape[-1] // 2
    off = jnp.all(a <= 0, axis=0)
    dead_relu = jnp.mean(off)
    dead_crelu = jnp.mean(off[:half] & off[half:])
    return jnp.where(crelu_head, dead_crelu, dead_relu)


def _loss(params, x, y, ln, cr):
    logits, _ = forward(params, x, ln, cr)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))


# ------------------------------------------------------------------------------ synthetic protocol
def _one_run(key, order, label, lr, wd, rho, reset_every, ln, cr, Xtr, ytr, Xte, yte, proto):
    """One learner on one seed: returns per-chunk test accuracy and dead-unit fractions."""
    N = Xtr.shape[0]
    chunk = N // proto.n_chunks
    opt = optax.chain(optax.add_decayed_weights(wd), optax.sgd(lr, momentum=proto.momentum))
    params = init_params(jax.random.fold_in(key, 0), proto.d_hidden, proto.d_head)
    opt_state = opt.init(params)

    def inner(carry, k, c):
        params, opt_state = carry
        n_avail = jnp.where(label, N, (c + 1) * chunk)
        idx = order[rnd.randint(k, (proto.batch,), 0, n_avail)]
        yb = (ytr[idx] + jnp.where(label, c, 0)) % N_CLASSES
        _, g, _ = sam_grad(_loss, params, rho, Xtr[idx], yb, ln, cr)
        upd, opt_state = opt.update(g, opt_state, params)
        return (optax.apply_updates(params, upd), opt_state), None

    def outer(carry, c):
        params, opt_state = carry
        kc = jax.random.fold_in(jax.random.fold_in(key, 1), c)
        ks = jax.random.split(kc, proto.iters + 1)
        (params, opt_state), _ = jax.lax.scan(lambda cr_, k: inner(cr_, k, c), (params, opt_state),
                                              ks[1:])
        logits, (h1, h2, a) = forward(params, Xte, ln, cr)
        yt = (yte + jnp.where(label, c, 0)) % N_CLASSES
        acc = jnp.mean(jnp.argmax(logits, -1) == yt)
        dead_head = dead_head_units(a, cr)
        dead_bb = jnp.mean(jnp.all(jnp.concatenate([h1, h2], -1) <= 0, axis=0))
        do = (reset_every > 0) & (c % jnp.maximum(reset_every, 1) == 0)
        fresh = reset_head(params, ks[0])
        params = jax.tree_util.tree_map(lambda new, old: jnp.where(do, new, old), fresh, params)
        return (params, opt_state), (acc, dead_head, dead_bb)

    _, (acc, dh, db) = jax.lax.scan(outer, (params, opt_state), jnp.arange(proto.n_chunks))
    return acc, dh, db


@functools.partial(jit, static_argnames=("proto",))
def _run_batch(keys, orders, label, lr, wd, rho, reset_every, ln, cr, Xtr, ytr, Xte, yte, proto):
    f = functools.partial(_one_run, Xtr=Xtr, ytr=ytr, Xte=Xte, yte=yte, proto=proto)
    return jax.vmap(f)(keys, orders, label, lr, wd, rho, reset_every, ln, cr)


def _check_seeds(seeds):
    if isinstance(seeds, (bool, np.bool_)) or len(seeds) < 1:
        raise ValueError(f"seeds must be a non-empty sequence of integers >= 0, got {seeds!r}")
    for s in seeds:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"seeds must be integers >= 0, got {s!r}")


def run_protocol(variants, seeds, proto: Protocol = PROTOCOLS["fast"],
                 shifts=("input", "label")) -> dict:
    """Run the synthetic plasticity protocol for every (shift, variant, seed) in one compiled scan.

    ``variants`` maps names to :class:`Variant` (or is a list of names of :data:`VARIANTS`);
    ``reset_every`` is rescaled from a 20-chunk protocol to ``proto.n_chunks``. ``shifts`` is a
    subset of ``("input", "label")``. Returns ``{shift: {name: {"acc", "dead_head",
    "dead_backbone"}}}``, each an array (n_seeds, n_chunks) of chunk-end test accuracies and
    fractions of dead units (zero on every test input) in the head and in the backbone, plus
    ``"seeds"`` and ``"proto"``. A run's seed fixes its initial weights, chunk order and minibatch
    draws, shared across variants."""
    if not isinstance(proto, Protocol):
        raise ValueError(f"proto must be a Protocol, got {type(proto).__name__}")
    if proto.n_chunks < 2 or proto.iters < 1 or proto.batch < 1:
        raise ValueError(f"proto needs n_chunks >= 2, iters >= 1, batch >= 1, got {proto}")
    if not shifts or any(s not in ("input", "label") for s in shifts):
        raise ValueError(f"shifts must be a non-empty subset of ('input', 'label'), got {shifts!r}")
    if not isinstance(variants, dict):
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            raise ValueError(f"unknown variants {unknown}; known: {sorted(VARIANTS)}")
        variants = {v: VARIANTS[v] for v in variants}
    if not variants:
        raise ValueError("variants must name at least one Variant")
    for n, v in variants.items():
        if not isinstance(v, Variant) or v.rho < 0 or v.reset_every < 0:
            raise ValueError(f"variant {n!r} must be a Variant with rho >= 0 and reset_every >= 0")
    seeds = list(seeds)
    _check_seeds(seeds)
    Xtr, ytr, Xte, yte = load_digits_split()
    scale = proto.n_chunks / 20.0
    rows = [(s, n, v, sd) for s in shifts for n, v in variants.items() for sd in seeds]
    label = np.array([s == "label" for s, *_ in rows])
    lr = np.where(label, proto.lr_label, proto.lr_input)
    wd = np.where(label, proto.wd_label, proto.wd_input)
    rho = np.array([v.rho for _, _, v, _ in rows], np.float64)
    rst = np.array([max(1, int(round(v.reset_every * scale))) if v.reset_every else 0
                    for _, _, v, _ in rows], np.int32)
    ln = np.array([v.layernorm for _, _, v, _ in rows])
    cr = np.array([v.crelu for _, _, v, _ in rows])
    keys = jnp.stack([jax.random.PRNGKey(sd) for *_, sd in rows])
    orders = np.stack([np.random.default_rng([sd, 7]).permutation(len(ytr)) for *_, sd in rows])
    acc, dh, db = _run_batch(keys, jnp.asarray(orders), jnp.asarray(label), jnp.asarray(lr),
                             jnp.asarray(wd), jnp.asarray(rho), jnp.asarray(rst), jnp.asarray(ln),
                             jnp.asarray(cr), jnp.asarray(Xtr), jnp.asarray(ytr), jnp.asarray(Xte),
                             jnp.asarray(yte), proto)
    acc, dh, db = (np.asarray(a).reshape(len(shifts), len(variants), len(seeds), -1)
                   for a in (acc, dh, db))
    out = {"seeds": np.array(seeds), "proto": proto}
    for i, s in enumerate(shifts):
        out[s] = {n: {"acc": acc[i, j], "dead_head": dh[i, j], "dead_backbone": db[i, j]}
                  for j, n in enumerate(variants)}
    return out


# ---------------------------------------------------------------------------------- summaries
def iqm(x, axis=-1):
    """Inter-quartile mean: the mean of the middle 50% (scipy's 25%-trimmed mean; rliable's IQM)."""
    from scipy.stats import trim_mean
    return trim_mean(np.asarray(x, np.float64), 0.25, axis=axis)


def iqm_bootstrap_ci(x, confidence=0.95, n_resamples=2000, seed=0):
    """``(IQM, low, high)`` of the scores ``x`` with a percentile-bootstrap interval over seeds
    (``scipy.stats.bootstrap``; the paper's rliable intervals are stratified over tasks as well)."""
    from scipy.stats import bootstrap
    x = np.asarray(x, np.float64).ravel()
    if x.size < 2:
        raise ValueError(f"x needs at least 2 scores for a bootstrap interval, got {x.size}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    res = bootstrap((x,), iqm, confidence_level=confidence, n_resamples=n_resamples,
                    method="percentile", random_state=np.random.default_rng(seed), vectorized=True)
    return float(iqm(x)), float(res.confidence_interval.low), float(res.confidence_interval.high)


# ------------------------------------------------------------------------------------------ DQN
class DQNConfig(NamedTuple):
    """A DQN-style agent on gymnax CartPole-v1 (our CPU-sized settings; the paper's Atari agent is
    Rainbow-based DrQ(eps) with Adam, replay ratio 2 and a head reset every 40,000 updates).

    total_steps     environment steps per run
    replay_ratio    gradient updates per environment step (the paper's RR; >= 2 here)
    learning_starts environment steps of pure exploration before the first update
    reset_every     head reset of online and target networks every this many updates (0 = never)
    rho             SAM radius on all parameters (0 = plain gradient)
    """
    total_steps: int = 20000
    replay_ratio: int = 2
    learning_starts: int = 1000
    batch: int = 64
    lr: float = 1e-3
    gamma: float = 0.99
    target_every: int = 500
    eps_end: float = 0.05
    eps_frac: float = 0.3
    hidden: int = 64
    reset_every: int = 0
    rho: float = 0.0
    eval_episodes: int = 10


#: ``full``: 5,000 environment steps, learning from step 500, 9,000 updates per run at RR 2, a 32-unit
#: network (sized to a few CPU-minutes for 8 seeds x 2 agents); ``fast`` is only a smoke size
DQN_CONFIGS = {"full": DQNConfig(total_steps=5000, learning_starts=500, batch=32, hidden=32),
               "fast": DQNConfig(total_steps=1000, learning_starts=200, batch=32, hidden=32)}


def reset_steps(total_updates: int, every: int) -> np.ndarray:
    """Update indices u (1-based, u < total_updates) after which a reset happens: the multiples of
    ``every`` strictly before the final update, so ``len == (total_updates - 1) // every`` (the
    final update is never followed by a reset)."""
    if every < 1 or total_updates < 1:
        raise ValueError(f"need every >= 1 and total_updates >= 1, got {every}, {total_updates}")
    return np.arange(every, total_updates, every)


def _q_init(key, hidden, n_obs=4, n_act=2):
    k = jax.random.split(key, 6)
    sizes = [(n_obs, hidden), (hidden, hidden), (hidden, hidden), (hidden, n_act)]
    p = {}
    for i, (a, b) in enumerate(sizes):
        ka, kb = jax.random.split(k[i])
        p[f"W{i}"] = _uniform(ka, (a, b), a)
        p[f"b{i}"] = _uniform(kb, (b,), a)
    return p


_Q_HEAD = ("W2", "b2", "W3", "b3")


def _q_apply(p, x):
    h = jax.nn.relu(x @ p["W0"] + p["b0"])
    h = jax.nn.relu(h @ p["W1"] + p["b1"])
    h = jax.nn.relu(h @ p["W2"] + p["b2"])
    return h @ p["W3"] + p["b3"]


def _gymnax_cartpole():
    try:
        import gymnax
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("the RL check needs gymnax: pip install 'theory-verify[rl]' "
                          "(gymnax 1.0.1 also needs six)") from e
    return gymnax.make("CartPole-v1")


def dqn_cartpole(seeds, cfgs, cfg_base: DQNConfig = DQN_CONFIGS["full"]) -> dict:
    """Train a double-DQN agent on gymnax CartPole-v1 for every (config, seed) in one compiled scan.

    ``cfgs`` maps names to ``(rho, reset_every)``; every other setting comes from ``cfg_base``.
    Per environment step: epsilon-greedy action (linear decay from 1 to ``eps_end`` over the first
    ``eps_frac`` of the run), the transition stored, then ``replay_ratio`` updates of the Huber TD
    loss on uniform minibatches with the SAM gradient (:func:`numerics.sam.sam_grad`; ``rho = 0`` is
    the plain gradient) and Adam. The target network is copied every ``target_every`` updates; a
    reset re-draws the last two layers of the online and target networks and re-initialises Adam.
    After training, ``eval_episodes`` greedy episodes (cap 500 steps) are played.

    Returns ``{"names", "seeds", "eval_return": (n_cfg, n_seeds), "eval_init": the same greedy
    evaluation of each run's initial network, "train_return": (n_cfg,
    n_seeds, total_steps) episode returns at episode ends (NaN elsewhere), "n_resets"}``."""
    _check_seeds(list(seeds))
    c = cfg_base
    if c.replay_ratio < 1 or c.total_steps <= c.learning_starts or c.batch < 1:
        raise ValueError(f"need replay_ratio >= 1 and total_steps > learning_starts, got {c}")
    env, env_params = _gymnax_cartpole()
    names = list(cfgs)
    rows = [(n, s) for n in names for s in seeds]
    rho = jnp.array([cfgs[n][0] for n, _ in rows], jnp.float64)
    rst = jnp.array([cfgs[n][1] for n, _ in rows], jnp.int32)
    keys = jnp.stack([jax.random.PRNGKey(s) for _, s in rows])
    ret, ev, ev0, nres = _dqn_batch(keys, rho, rst, c, env, env_params)
    shape = (len(names), len(seeds))
    return {"names": names, "seeds": np.array(list(seeds)),
            "eval_return": np.asarray(ev).reshape(shape),
            "eval_init": np.asarray(ev0).reshape(shape),
            "train_return": np.asarray(ret).reshape(shape + (-1,)),
            "n_resets": np.asarray(nres).reshape(shape)}


@functools.partial(jit, static_argnames=("c", "env", "env_params"))
def _dqn_batch(keys, rho, rst, c, env, env_params):
    return jax.vmap(lambda k, r, e: _dqn_run(k, r, e, c, env, env_params))(keys, rho, rst)


def _td_loss(p, tgt, o, a, r, o2, m, gamma):
    q = _q_apply(p, o)[jnp.arange(o.shape[0]), a]
    a2 = jnp.argmax(_q_apply(p, o2), -1)                       # double DQN: online argmax
    q2 = _q_apply(tgt, o2)[jnp.arange(o.shape[0]), a2]
    y = jax.lax.stop_gradient(r + gamma * m * q2)
    return jnp.mean(optax.huber_loss(q, y))


def _dqn_run(key, rho, reset_every, c: DQNConfig, env, env_params):
    T = c.total_steps
    opt = optax.adam(c.lr)
    k_init, k_env, k_loop, k_eval = jax.random.split(key, 4)
    p = _q_init(k_init, c.hidden)
    obs, st = env.reset(k_env, env_params)
    buf = {"o": jnp.zeros((T, 4)), "a": jnp.zeros(T, jnp.int32), "r": jnp.zeros(T),
           "o2": jnp.zeros((T, 4)), "m": jnp.zeros(T)}
    carry = dict(p=p, tgt=p, opt=opt.init(p), obs=obs, st=st, buf=buf, ep=0.0, u=0, nres=0)

    def update(carry, k):
        kb, kr = jax.random.split(k)
        n = carry["t"] + 1
        idx = rnd.randint(kb, (c.batch,), 0, n)
        b = jax.tree_util.tree_map(lambda x: x[idx], carry["buf"])
        _, g, _ = sam_grad(_td_loss, carry["p"], rho, carry["tgt"], b["o"], b["a"], b["r"], b["o2"],
                           b["m"], c.gamma)
        upd, o_st = opt.update(g, carry["opt"], carry["p"])
        p = optax.apply_updates(carry["p"], upd)
        u = carry["u"] + 1
        tgt = jax.tree_util.tree_map(lambda x, y: jnp.where(u % c.target_every == 0, x, y), p,
                                     carry["tgt"])
        do = (reset_every > 0) & (u % jnp.maximum(reset_every, 1) == 0)
        fresh = _q_init(kr, c.hidden)
        p = {k_: jnp.where(do & (k_ in _Q_HEAD), fresh[k_], v) for k_, v in p.items()}
        tgt = {k_: jnp.where(do & (k_ in _Q_HEAD), fresh[k_], v) for k_, v in tgt.items()}
        o_st = jax.tree_util.tree_map(lambda x, y: jnp.where(do, x, y), opt.init(p), o_st)
        return dict(carry, p=p, tgt=tgt, opt=o_st, u=u, nres=carry["nres"] + do), None

    def env_step(carry, xs):
        t, k = xs
        ka, ke, ku = jax.random.split(k, 3)
        eps = jnp.maximum(c.eps_end, 1.0 - (1.0 - c.eps_end) * t / (c.eps_frac * T))
        greedy = jnp.argmax(_q_apply(carry["p"], carry["obs"]))
        a = jnp.where(rnd.uniform(ka) < eps, rnd.randint(ke, (), 0, 2), greedy)
        obs2, st2, r, term, trunc, info = env.step(ke, carry["st"], a, env_params)
        buf = carry["buf"]
        buf = {"o": buf["o"].at[t].set(carry["obs"]), "a": buf["a"].at[t].set(a.astype(jnp.int32)),
               "r": buf["r"].at[t].set(r), "o2": buf["o2"].at[t].set(info["final_observation"]),
               "m": buf["m"].at[t].set(1.0 - term.astype(jnp.float64))}
        ep = carry["ep"] + r
        done = jnp.logical_or(term, trunc)
        carry = dict(carry, obs=obs2, st=st2, buf=buf, ep=jnp.where(done, 0.0, ep), t=t)
        learn = t >= c.learning_starts
        carry2, _ = jax.lax.scan(update, carry, jax.random.split(ku, c.replay_ratio))
        carry = jax.tree_util.tree_map(lambda x, y: jnp.where(learn, x, y), carry2, carry)
        return carry, jnp.where(done, ep, jnp.nan)

    carry["t"] = 0
    carry, ret = jax.lax.scan(env_step, carry, (jnp.arange(T), jax.random.split(k_loop, T)))

    def episode(params, k):
        obs, st = env.reset(k, env_params)

        def body(s, kk):
            obs, st, tot, alive = s
            a = jnp.argmax(_q_apply(params, obs))
            obs, st, r, term, trunc, _ = env.step(kk, st, a, env_params)
            tot = tot + alive * r
            alive = alive * (1.0 - jnp.logical_or(term, trunc))
            return (obs, st, tot, alive), None

        (_, _, tot, _), _ = jax.lax.scan(body, (obs, st, 0.0, 1.0), jax.random.split(k, 500))
        return tot

    ke = jax.random.split(k_eval, c.eval_episodes)
    ev = jnp.mean(jax.vmap(lambda k: episode(carry["p"], k))(ke))
    ev0 = jnp.mean(jax.vmap(lambda k: episode(p, k))(ke))
    return ret, ev, ev0, carry["nres"]
