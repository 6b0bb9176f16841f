"""Linear self-attention trained on in-context linear regression (Ahn, Cheng, Song, Yun, Jadbabaie, Sra,
*Linear attention is (maybe) all you need (to understand Transformer optimization)*, arXiv:2310.01082,
ICLR 2024; official code chengxiang/LinearTransformer at b6ddc35).

Data (the paper's Section 3 settings; the official ``generate_data``): a prompt is
Z_0 = [[x_1 ... x_n x_{n+1}], [y_1 ... y_n 0]] in R^{(d+1) x (n+1)} (one column per token), with
w* ~ N(0, I_d), y_i = <w*, x_i>, no label noise, and covariates

* ``"gaussian"``  x ~ N(0, Sigma) (Sigma = I unless a square root of it is given);
* ``"gamma"``     x = sqrt(G) u with u uniform on the unit sphere and G ~ Gamma(shape k, scale sqrt(10/k)),
                  k = 0.1, i.e. Gamma(0.1, 10) (E||x||^2 = 1): the heavy-tailed covariates.

:data:`SETTINGS` holds the paper's three settings (d = 5): 1 n = 20 Gaussian, 2 n = 5 Gaussian, 3 n = 20
heavy-tailed.

Model (the paper's eq. for the L-layer linear Transformer): Z_{l+1} = Z_l + (1/n) P_l Z_l M (Z_l^T Q_l Z_l),
M = diag(I_n, 0), prediction yhat = -[Z_L]_{d+1, n+1}. Since Z M Z^T = X X^T + y y^T over the first n
tokens, the update is computed as Z_l + P_l G_l Q_l Z_l with G_l = (1/n) Z_l M Z_l^T ((d+1) x (d+1)), which
never forms the (n+1) x (n+1) attention matrix; the last layer updates only the query column. Two
parameterisations of (P_l, Q_l):

* ``sparse=False`` full (d+1) x (d+1) matrices P_l, Q_l (the paper's text), 2 L (d+1)^2 parameters;
* ``sparse=True``  the official code's: P_l = [[P'_l, 0], [0, 1]], Q_l = [[Q'_l, 0], [0, 0]] with learnable
                   d x d blocks, 2 L d^2 parameters. (The code writes the score as z_j^T Q' z_m, i.e. its
                   block is the transpose of the paper's Q'; a bijection of the parameter set.)

Loss: L(theta) = mean over prompts of (yhat - y_{n+1})^2 (the code's ``in_context_loss``, no factor 1/2).

Training (:func:`train`): fresh prompts every step, optax SGD with momentum 0.9 (PyTorch ``SGD``) or Adam with
betas (0.9, 0.9) (PyTorch ``AdamW`` with weight decay 0), both after global-norm clipping at 1; init
N(0, 0.05^2); ``vmap`` over (seed, learning rate) runs and ``lax.scan`` over steps.

Measurements: gradient-noise norms ||g_B - g_ref|| at a point (:func:`gradient_noise_norms`); the Hessian
diagonal and the robust condition number max_i |H_ii| / median_i |H_ii| (:func:`hessian_diagonal`,
:func:`robust_condition_number`; Jiang et al. 2022's R_med^OPT as the official ``plot_condition_number``
computes it); the directional smoothness u^T H u along the normalised update u (:func:`directional_smoothness`,
one Hessian-vector product). No LAPACK call is made. This module never imports ``theory``.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from .hessian import hvp
from . import random as rnd
from .jit import jit

__all__ = ["SETTINGS", "COVARIATES", "OPTIMIZERS", "D", "prng_key", "num_params", "matrices", "sample_prompts",
           "predict", "loss", "init_params", "train", "monte_carlo_loss", "gradient_noise_norms",
           "hessian_diagonal", "robust_condition_number", "directional_smoothness", "sparse_from_matrix"]

#: covariate dimension of every setting of the paper
D = 5
#: the paper's three settings: context length n and covariate law
SETTINGS = {1: {"n": 20, "covariates": "gaussian"},
            2: {"n": 5, "covariates": "gaussian"},
            3: {"n": 20, "covariates": "gamma"}}
COVARIATES = ("gaussian", "gamma")
OPTIMIZERS = ("sgd", "adam")


def _pos_int(name, v, lo=1):
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise ValueError(f"{name} must be an integer, got {v!r}")
    if int(v) < lo:
        raise ValueError(f"{name} must be >= {lo}, got {v}")
    return int(v)


def prng_key(seed: int):
    """The explicit PRNG key of ``seed``: JAX's ``rbg`` generator (XLA's RngBitGenerator), whose
    programs compile ~8x faster on CPU than the default threefry hash (1.7 s -> 0.2 s CPU per sampler)."""
    if isinstance(seed, bool) or not hasattr(seed, "__index__") or int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return jax.random.key(int(seed), impl="rbg")


def num_params(L: int, d: int = D, sparse: bool = False) -> int:
    """Number of parameters: 2 L (d+1)^2 (full P_l, Q_l) or 2 L d^2 (the code's sparse blocks)."""
    L, d = _pos_int("L", L), _pos_int("d", d)
    return 2 * L * (d * d if sparse else (d + 1) ** 2)


def matrices(theta, L: int, d: int = D, sparse: bool = False):
    """(P, Q), each (L, d+1, d+1), from the flat parameter vector ``theta``: first the L P's, then the L Q's
    (row-major). ``sparse=True`` embeds d x d blocks as P_l = [[P'_l, 0], [0, 1]], Q_l = [[Q'_l, 0], [0, 0]]."""
    k = d if sparse else d + 1
    blocks = theta.reshape(2, L, k, k)
    P, Q = blocks[0], blocks[1]
    if sparse:
        P = jnp.zeros((L, d + 1, d + 1), theta.dtype).at[:, :d, :d].set(P).at[:, d, d].set(1.0)
        Q = jnp.zeros((L, d + 1, d + 1), theta.dtype).at[:, :d, :d].set(Q)
    return P, Q


def sparse_from_matrix(A, L: int = 1, d: int = D):
    """Flat sparse parameters of the 1-layer predictor yhat = x_{n+1}^T A (1/n) sum_i y_i x_i: P' = 0,
    Q' = -A^T (the prediction -[Z_1]_{d+1,n+1} = (1/n) sum_i y_i x_i^T (-Q') x_{n+1}); other layers zero."""
    A = jnp.asarray(A, jnp.float64)
    th = jnp.zeros((2, L, d, d), jnp.float64).at[1, 0].set(-A.T)
    return th.reshape(-1)


#: candidates per variate of the vectorised Marsaglia-Tsang sampler (:func:`_gamma`)
GAMMA_TRIES = 8


def _gamma(key, shape_k, shape, tries: int = GAMMA_TRIES):
    """Gamma(shape_k, 1) variates for 0 < shape_k < 1 by Marsaglia & Tsang (2000): G = G' U^(1/k) with G'
    ~ Gamma(1 + k) drawn by their squeeze-free rejection step (d = 1 + k - 1/3, c = 1/sqrt(9 d),
    v = (1 + c z)^3, accept if log u < z^2/2 + d - d v + d log v), vectorised with ``tries`` candidates
    per variate and the first accepted one kept. The acceptance rate at 1 + k = 1.1 is 0.958 (checked in
    ``tests/test_linear_attention.py``), so no candidate is accepted with probability < 1e-11 for 8 tries
    (then the last candidate is used): the law differs from Gamma(k) by at most that in total variation.
    ``jax.random.gamma`` (a while loop per variate) is ~10x slower per variate on CPU with ``rbg`` keys and
    compiles slowly inside the vmapped training scan, which is why it is not used here."""
    a = 1.0 + shape_k
    dd = a - 1.0 / 3.0
    c = 1.0 / jnp.sqrt(9.0 * dd)
    kz, ku, kb = jax.random.split(key, 3)
    z = rnd.normal(kz, (tries,) + tuple(shape), jnp.float64)
    u = rnd.uniform(ku, (tries,) + tuple(shape), jnp.float64, minval=1e-300)
    v = (1.0 + c * z) ** 3
    ok = (v > 0) & (jnp.log(u) < 0.5 * z * z + dd - dd * v + dd * jnp.log(jnp.where(v > 0, v, 1.0)))
    first = jnp.argmax(ok, axis=0)                       # first accepted candidate (0 if none)
    first = jnp.where(ok.any(axis=0), first, tries - 1)
    g1 = dd * jnp.take_along_axis(jnp.where(v > 0, v, 1.0), first[None], axis=0)[0]
    ub = rnd.uniform(kb, tuple(shape), jnp.float64, minval=1e-300)
    return g1 * ub ** (1.0 / shape_k)


def _assemble(w, x, n: int, n_active=None):
    """Prompts Z_0 (batch, d+1, n+1) and y_{n+1} from w* (batch, d) and covariates x (batch, n+1, d)."""
    if n_active is not None:
        keep = jnp.concatenate([jnp.arange(n) < n_active, jnp.ones((1,), bool)])
        x = x * keep[None, :, None]
    y = jnp.einsum("bd,bnd->bn", w, x)
    Z = jnp.concatenate([x, y.at[:, n].set(0.0)[..., None]], axis=-1)   # (batch, n+1, d+1)
    return jnp.swapaxes(Z, 1, 2), y[:, n]


def _heavy(x, g, shape_k):
    """x = sqrt(G) u: the direction of a standard Gaussian x times sqrt(G), G = g sqrt(10/k) ~
    Gamma(k, scale sqrt(10/k)) for g ~ Gamma(k, 1) (the official ``generate_data``, mode ``gamma``)."""
    return x / jnp.linalg.norm(x, axis=-1, keepdims=True) * jnp.sqrt(g * jnp.sqrt(10.0 / shape_k))[..., None]


def sample_prompts(key, batch: int, n: int, d: int = D, covariates: str = "gaussian", sigma_sqrt=None,
                   shape_k: float = 0.1, n_active=None):
    """``batch`` prompts Z_0 (batch, d+1, n+1) and query labels y_{n+1} = <w*, x_{n+1}> (batch,).

    w* ~ N(0, I_d); x ~ N(0, I_d) mapped by ``sigma_sqrt`` (x -> S x, so Cov x = S S^T) when given, or
    (``"gamma"``) x = sqrt(G) u, u uniform on the sphere, G ~ Gamma(shape_k, scale sqrt(10/shape_k)).
    ``n_active`` (may be traced, <= n): only the first ``n_active`` context columns hold examples, the
    others are zero (padding; a zero column never changes the model's output, see :func:`predict`)."""
    if covariates not in COVARIATES:
        raise ValueError(f"covariates must be one of {COVARIATES}, got {covariates!r}")
    kw, kx, kg = jax.random.split(key, 3)
    w = rnd.normal(kw, (batch, d), jnp.float64)
    x = rnd.normal(kx, (batch, n + 1, d), jnp.float64)
    if covariates == "gamma":
        x = _heavy(x, _gamma(kg, shape_k, (batch, n + 1)), shape_k)
    if sigma_sqrt is not None:
        x = jnp.einsum("ij,bnj->bni", jnp.asarray(sigma_sqrt, jnp.float64), x)
    return _assemble(w, x, n, n_active)


def _sample_runs(keys, gamma_rows, heavy, n_act, batch, n, d=D, shape_k=0.1):
    """One batch of prompts per run (keys (R,)): Gaussian covariates, made heavy-tailed for the runs with
    ``heavy`` set; the gamma variates are drawn only for the static index array ``gamma_rows`` of those runs.
    Returns Z (R, batch, d+1, n+1), y (R, batch): the same law as :func:`sample_prompts` run by run."""
    ks = jax.vmap(lambda k: jax.random.split(k, 3))(keys)
    w = jax.vmap(lambda k: rnd.normal(k, (batch, d), jnp.float64))(ks[:, 0])
    x = jax.vmap(lambda k: rnd.normal(k, (batch, n + 1, d), jnp.float64))(ks[:, 1])
    if len(gamma_rows):
        rows = jnp.asarray(gamma_rows)
        g = jax.vmap(lambda k: _gamma(k, shape_k, (batch, n + 1)))(ks[rows, 2])
        x = x.at[rows].set(_heavy(x[rows], g, shape_k))
    return jax.vmap(lambda w_, x_, na: _assemble(w_, x_, n, na))(w, x, n_act)


def predict(theta, Z, L: int, sparse: bool = False, n_active=None):
    """yhat = -[Z_L]_{d+1, n+1} of the L-layer linear Transformer for prompts Z (batch, d+1, n+1).

    ``n_active`` (default n; may be traced) is the n of the 1/n factor when only the first ``n_active``
    context columns are examples and the rest are zero padding."""
    d, n = Z.shape[1] - 1, Z.shape[2] - 1
    P, Q = matrices(theta, L, d, sparse)
    inv_n = 1.0 / (n if n_active is None else n_active)

    def gram(Z):
        X = Z[:, :, :n]
        return jnp.einsum("bin,bjn->bij", X, X) * inv_n           # (1/n) Z M Z^T

    def layer(Z, PQ):
        P_l, Q_l = PQ
        K = jnp.einsum("ij,bjk,kl->bil", P_l, gram(Z), Q_l)
        return Z + jnp.einsum("bij,bjt->bit", K, Z), None

    if L > 1:
        Z, _ = lax.scan(layer, Z, (P[:-1], Q[:-1]))
    zq = Z[:, :, n]
    # last layer: only the query column enters the prediction; only its last row is needed
    out = zq[:, d] + jnp.einsum("j,bjk,kl,bl->b", P[-1, d], gram(Z), Q[-1], zq)
    return -out


def loss(theta, Z, y, L: int, sparse: bool = False, n_active=None):
    """Mean squared in-context error mean (yhat - y_{n+1})^2 (the code's ``in_context_loss``; no 1/2)."""
    return jnp.mean((predict(theta, Z, L, sparse, n_active) - y) ** 2)


def init_params(key, L: int, d: int = D, sparse: bool = False, std: float = 0.05):
    """theta ~ N(0, std^2) (the code's ``Transformer_F``: ``normal_(0, var)`` with var = 0.05 used as std)."""
    return std * rnd.normal(key, (num_params(L, d, sparse),), jnp.float64)


def structure(L_program: int, L: int, sparse: bool, d: int = D):
    """(free mask, fixed offset) of an L-layer model inside an ``L_program``-layer full parameter vector
    (2 L_program (d+1)^2 entries): the first ``L_program - L`` layers are the identity (P = Q = 0, frozen);
    ``sparse=True`` frees only the d x d blocks of the active layers and fixes P_l[d+1, d+1] = 1, so that
    the run is the official code's parameterisation. Theta = offset + mask * free parameters."""
    if not 1 <= L <= L_program:
        raise ValueError(f"L must satisfy 1 <= L <= L_program ({L_program}), got {L}")
    mask = np.zeros((2, L_program, d + 1, d + 1))
    off = np.zeros_like(mask)
    act = slice(L_program - L, L_program)
    if sparse:
        mask[:, act, :d, :d] = 1.0
        off[0, act, d, d] = 1.0
    else:
        mask[:, act] = 1.0
    return mask.reshape(-1), off.reshape(-1)


def _optimizers(lr, clip):
    return (optax.clip_by_global_norm(clip), optax.sgd(lr, momentum=0.9),
            optax.adam(lr, b1=0.9, b2=0.9, eps=1e-8))


@functools.partial(jit, static_argnames=("gamma_rows", "L", "steps", "batch", "n_max",
                                             "record_every", "clip", "n_fixed"))
def _train(keys, lrs, adam, n_act, heavy, masks, offsets, fixed_key, gamma_rows, L, steps, batch, n_max,
           record_every, clip, n_fixed):
    """All runs in one scan over steps; each step samples every run's batch (:func:`_sample_runs`) and takes
    a vmapped optimizer step."""
    d = D
    R = keys.shape[0]
    kk = jax.vmap(jax.random.split)(keys)
    k0, kd = kk[:, 0], kk[:, 1]

    def init(k, lr, mask, off):
        th0 = off + mask * init_params(k, L, d)
        clipper, sgd, adam_ = _optimizers(lr, clip)
        return th0, (clipper.init(th0), sgd.init(th0), adam_.init(th0))

    def update(th, st, Z, y, lr, is_adam, n, mask):
        clipper, sgd, adam_ = _optimizers(lr, clip)
        val, g = jax.value_and_grad(loss)(th, Z, y, L, False, n)
        sc, ss, sa = st
        g, sc = clipper.update(g * mask, sc)
        us, ss = sgd.update(g, ss, th)
        ua, sa = adam_.update(g, sa, th)
        upd = jnp.where(is_adam, ua, us)
        return th + upd, (sc, ss, sa), val, upd

    vupdate = jax.vmap(update)

    def step(carry, t):
        th, st = carry
        Z, y = _sample_runs(jax.vmap(lambda k: jax.random.fold_in(k, t))(kd), gamma_rows, heavy, n_act,
                            batch, n_max, d)
        th, st, val, upd = vupdate(th, st, Z, y, lrs, adam, n_act, masks)
        return (th, st), (val, upd)

    def chunk(carry, c):
        th = carry[0]
        carry, (vals, upds) = lax.scan(step, carry, c * record_every + jnp.arange(record_every))
        return carry, (vals, th, upds[0])

    carry0 = jax.vmap(init)(k0, lrs, masks, offsets)
    (thT, _), (vals, ths, u0) = lax.scan(chunk, carry0, jnp.arange(steps // record_every))
    # the fixed evaluation prompts: one set per setting (same key for every run of a setting)
    Zf, yf = _sample_runs(jnp.stack([fixed_key] * R), gamma_rows, heavy, n_act, n_fixed, n_max, d)
    allth = jnp.concatenate([ths, thT[None]])            # (C+1, R, p)
    fl = jax.vmap(lambda th: jax.vmap(lambda t_, Z_, y_, n_: loss(t_, Z_, y_, L, False, n_))(
        th, Zf, yf, n_act))(allth)
    return {"loss": jnp.transpose(vals, (2, 0, 1)).reshape(R, -1), "theta": jnp.swapaxes(ths, 0, 1),
            "update": jnp.swapaxes(u0, 0, 1), "theta_T": thT, "fixed_loss": fl.T}


def train(runs, *, L: int = 3, steps: int = 500, batch: int = 1000, record_every: int = 50,
          clip: float = 1.0, n_fixed: int = 1000, fixed_seed: int = 99) -> dict:
    """Train R runs of the L-layer linear Transformer, vmapped, in one jitted ``lax.scan`` (one compiled
    program for every optimizer, setting, depth <= L and parameterisation).

    ``runs``: a sequence of dicts with keys ``seed`` (int), ``lr`` (> 0), ``optimizer`` (``"sgd"``: momentum
    0.9, or ``"adam"``: betas (0.9, 0.9)), ``setting`` (a key of :data:`SETTINGS`), optional ``layers``
    (depth <= L, default L; the first L - layers program layers are frozen identities) and ``sparse``
    (default False: full (d+1) x (d+1) P_l, Q_l). Every run clips the gradient to global norm ``clip`` and
    sees ``batch`` fresh prompts per step (setting 2's n = 5 prompts are zero-padded to the longest n; the
    padding never changes the output). Every ``record_every`` steps theta_t and the update
    theta_{t+1} - theta_t are kept (checkpoints t = 0, k, 2k, ...). Returns numpy arrays: ``loss`` (R, steps)
    the training loss of each step's batch, ``theta`` (R, C, p) and ``update`` (R, C, p) at the
    C = steps / record_every checkpoints (p = 2 L (d+1)^2, frozen entries included), ``theta_T`` (R, p),
    ``fixed_loss`` (R, C+1) the loss on a fixed set of ``n_fixed`` prompts of the run's setting (seed
    ``fixed_seed``) at each checkpoint and at the end, and ``mask`` (R, p) the free entries."""
    L, steps, batch = _pos_int("L", L), _pos_int("steps", steps), _pos_int("batch", batch)
    record_every = _pos_int("record_every", record_every)
    if steps % record_every:
        raise ValueError(f"record_every must divide steps ({steps}), got {record_every}")
    if not clip > 0:
        raise ValueError(f"clip must be positive, got {clip}")
    if not runs:
        raise ValueError("runs must not be empty")
    cols = {k: [] for k in ("key", "lr", "adam", "n", "gamma", "mask", "off")}
    for r in runs:
        if r["optimizer"] not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {r['optimizer']!r}")
        if r["setting"] not in SETTINGS:
            raise ValueError(f"setting must be one of {tuple(SETTINGS)}, got {r['setting']!r}")
        if not r["lr"] > 0:
            raise ValueError(f"lr must be positive, got {r['lr']}")
        m, o = structure(L, int(r.get("layers", L)), bool(r.get("sparse", False)))
        s = SETTINGS[r["setting"]]
        cols["key"].append(prng_key(r["seed"]))
        cols["lr"].append(float(r["lr"]))
        cols["adam"].append(r["optimizer"] == "adam")
        cols["n"].append(float(s["n"]))
        cols["gamma"].append(s["covariates"] == "gamma")
        cols["mask"].append(m)
        cols["off"].append(o)
    n_max = max(SETTINGS[r["setting"]]["n"] for r in runs)
    gamma_rows = tuple(int(i) for i in np.flatnonzero(cols["gamma"]))
    out = _train(jnp.stack(cols["key"]), jnp.asarray(cols["lr"]), jnp.asarray(cols["adam"]),
                 jnp.asarray(cols["n"]), jnp.asarray(cols["gamma"]), jnp.asarray(np.stack(cols["mask"])),
                 jnp.asarray(np.stack(cols["off"])), prng_key(fixed_seed), gamma_rows, L, steps, batch,
                 n_max, record_every, float(clip), _pos_int("n_fixed", n_fixed))
    out = {k: np.asarray(v) for k, v in out.items()}
    out["mask"] = np.stack(cols["mask"])
    return out


@functools.partial(jit, static_argnames=("L", "sparse", "n", "covariates", "chunk", "n_chunks"))
def _mc(theta, key, sigma_sqrt, L, sparse, n, covariates, chunk, n_chunks):
    def one(i):
        Z, y = sample_prompts(jax.random.fold_in(key, i), chunk, n, D, covariates, sigma_sqrt)
        e = (predict(theta, Z, L, sparse) - y) ** 2
        return jnp.stack([e.mean(), (e ** 2).mean()])

    m = lax.map(one, jnp.arange(n_chunks))
    return m.mean(axis=0)


def monte_carlo_loss(theta, *, n: int, L: int = 1, sparse: bool = True, prompts: int = 400_000,
                     seed: int = 0, covariates: str = "gaussian", sigma_sqrt=None, chunk: int = 50_000):
    """Monte Carlo estimate of E (yhat - y_{n+1})^2 over ``prompts`` fresh prompts (in chunks), and its
    standard error. Returns ``(mean, standard_error)``."""
    n, prompts, chunk = _pos_int("n", n), _pos_int("prompts", prompts), _pos_int("chunk", chunk)
    if prompts % chunk:
        raise ValueError(f"chunk must divide prompts ({prompts}), got {chunk}")
    S = jnp.eye(D) if sigma_sqrt is None else jnp.asarray(sigma_sqrt, jnp.float64)
    m1, m2 = np.asarray(_mc(jnp.asarray(theta, jnp.float64), prng_key(seed), S, L,
                            bool(sparse), n, covariates, chunk, prompts // chunk))
    return float(m1), float(np.sqrt(max(m2 - m1 * m1, 0.0) / prompts))


@functools.partial(jit, static_argnames=("settings", "L", "sparse", "batch", "draws", "ref_batch"))
def _noise(theta, key, settings, L, sparse, batch, draws, ref_batch):
    g = jax.grad(loss)
    kr, kd = jax.random.split(key)
    specs = [(SETTINGS[s]["n"], SETTINGS[s]["covariates"]) for s in settings]
    g_ref = []
    for i, (n, cov) in enumerate(specs):
        Zr, yr = sample_prompts(jax.random.fold_in(kr, i), ref_batch, n, D, cov)
        g_ref.append(g(theta, Zr, yr, L, sparse))

    def one(t):
        out = []
        for i, (n, cov) in enumerate(specs):
            Z, y = sample_prompts(jax.random.fold_in(jax.random.fold_in(kd, i), t), batch, n, D, cov)
            out.append(jnp.linalg.norm(g(theta, Z, y, L, sparse) - g_ref[i]))
        return jnp.stack(out)

    return lax.map(one, jnp.arange(draws)).T


def gradient_noise_norms(theta, *, settings=(1, 3), L: int = 3, sparse: bool = False, batch: int = 1000,
                         draws: int = 10_000, ref_batch: int = 100_000, seed: int = 1):
    """Norms ||g_B(theta) - g_ref(theta)|| of the stochastic-gradient noise at the point ``theta`` (full or,
    with ``sparse``, the code's parameterisation) over ``draws`` independent minibatches of ``batch`` fresh prompts of each setting, g_ref the
    gradient on ``ref_batch`` prompts (the official ``plot_stochastic_noise``: B = 1000, 10 000 draws,
    reference batch 100 B). One program for all ``settings``; returns (len(settings), draws)."""
    settings = tuple(settings)
    for st in settings:
        if st not in SETTINGS:
            raise ValueError(f"settings must be keys of SETTINGS {tuple(SETTINGS)}, got {st!r}")
    return np.asarray(_noise(jnp.asarray(theta, jnp.float64), prng_key(seed), settings, _pos_int("L", L),
                             bool(sparse), _pos_int("batch", batch), _pos_int("draws", draws),
                             _pos_int("ref_batch", ref_batch)))


def hessian_diagonal(theta, Z, y, L: int, sparse: bool = False):
    """diag of the Hessian of :func:`loss` on the prompts (Z, y) at ``theta``: e_i^T H e_i by one
    Hessian-vector product per coordinate (``numerics.hessian.hvp``, vmapped; jittable)."""
    f = lambda th: loss(th, Z, y, L, sparse)
    E = jnp.eye(theta.shape[0], dtype=theta.dtype)
    return jax.vmap(lambda e: e @ hvp(f, theta, e))(E)


def robust_condition_number(diag_h):
    """max_i |H_ii| / median_i |H_ii| (Jiang et al. 2022's R_med^OPT on the Hessian diagonal, as in the
    official ``plot_condition_number``; torch's median of an even count is the lower middle value, here
    the usual midpoint)."""
    a = jnp.abs(diag_h)
    return jnp.max(a, axis=-1) / jnp.median(a, axis=-1)


def directional_smoothness(theta, u, Z, y, L: int, sparse: bool = False):
    """d^2/dt^2 L(theta + t u/||u||) at t = 0 = u^T H(theta) u / ||u||^2, on the prompts (Z, y) (one HVP)."""
    v = u / jnp.linalg.norm(u)
    return v @ hvp(lambda th: loss(th, Z, y, L, sparse), theta, v)


@functools.partial(jit, static_argnames=("L", "n_max", "gamma_rows", "prompts"))
def _curvature(thetas, updates, n_act, heavy, key, free, L, n_max, gamma_rows, prompts):
    R = thetas.shape[0]
    Z, y = _sample_runs(jnp.stack([key] * R), gamma_rows, heavy, n_act, prompts, n_max)

    def one(args):
        th, u, Z_, y_, n_ = args
        f = lambda t: loss(t, Z_, y_, L, False, n_)
        E = jnp.eye(th.shape[0], dtype=th.dtype)[free]
        diag = jax.vmap(lambda e: e @ hvp(f, th, e))(E)
        v = u / jnp.linalg.norm(u)
        return diag, v @ hvp(f, th, v), jnp.linalg.norm(jax.grad(f)(th))

    return lax.map(one, (thetas, updates, Z, y, n_act))


def curvature_along(thetas, updates, settings, *, L: int = 3, prompts: int = 1000, seed: int = 99,
                    free=None):
    """Hessian diagonal, directional smoothness and gradient norm at the points ``thetas`` (K, p) (full
    parameter vectors of :func:`train`, p = 2 L (d+1)^2), on one fixed set of ``prompts`` prompts per
    setting (``settings`` (K,): each point's setting; key ``seed``, as the official
    ``plot_condition_number`` fixes one batch of 1000 prompts with seed 99). The directional smoothness is
    u^T H u / ||u||^2 along ``updates`` (K, p), the optimizer's step theta_{t+1} - theta_t (Pan & Li 2023's
    definition as the paper uses it). One program for all points (setting 2's n = 5 prompts are padded).
    ``free`` (indices into theta, default all): the model's parameters (the free entries of
    :func:`structure`, e.g. the 2 L d^2 entries of the sparse parameterisation); the Hessian diagonal is
    computed for those only, by one HVP each. Returns ``(diag (K, len(free)), smoothness (K,),
    grad_norm (K,))``; the robust condition number is :func:`robust_condition_number` of ``diag``."""
    thetas = jnp.atleast_2d(jnp.asarray(thetas, jnp.float64))
    updates = jnp.atleast_2d(jnp.asarray(updates, jnp.float64))
    settings = [int(s) for s in np.atleast_1d(settings)]
    if len(settings) != thetas.shape[0] or updates.shape != thetas.shape:
        raise ValueError("thetas, updates and settings must have matching lengths")
    for st in settings:
        if st not in SETTINGS:
            raise ValueError(f"settings must be keys of SETTINGS {tuple(SETTINGS)}, got {st!r}")
    L = _pos_int("L", L)
    if thetas.shape[1] != num_params(L):
        raise ValueError(f"thetas must have 2 L (d+1)^2 = {num_params(L)} columns, got {thetas.shape[1]}")
    n_act = jnp.asarray([float(SETTINGS[s]["n"]) for s in settings])
    heavy = jnp.asarray([SETTINGS[s]["covariates"] == "gamma" for s in settings])
    gamma_rows = tuple(int(i) for i in np.flatnonzero(np.asarray(heavy)))
    n_max = max(SETTINGS[s]["n"] for s in settings)
    free = np.arange(thetas.shape[1]) if free is None else np.asarray(free, dtype=int)
    diag, ds, gn = _curvature(thetas, updates, n_act, heavy, prng_key(seed), jnp.asarray(free), L, n_max,
                              gamma_rows, _pos_int("prompts", prompts))
    return np.asarray(diag), np.asarray(ds), np.asarray(gn)
