"""Dominant / bulk subspace training of Song, Ahn & Yun, *Does SGD really happen in tiny subspaces?*
(arXiv:2405.16002, ICLR 2025), on a CPU-sized setting.

The paper's objects (Section 2 of the paper):

* ``H(theta)``: the Hessian of the **full training-set** loss; ``u_1..u_k`` its top-k eigenvectors,
  ``P_k = sum_i u_i u_i^T`` (dominant subspace), ``P_k^perp = I - P_k`` (bulk subspace), k = 10 (the
  number of classes).
* alignment ``chi_k(v) = ||P_k v|| / ||v||`` (not squared; a random direction gives ~sqrt(k/p)).
* Dom-SGD ``theta <- theta - eta P_k(theta) g_t`` and Bulk-SGD ``theta <- theta - eta P_k^perp(theta) g_t``
  with ``g_t`` the minibatch gradient; Dom-GD / Bulk-GD the same with the full-batch gradient.
* protocol: train with SGD (or GD) and switch to the projected variant from one checkpoint once
  ``chi_k`` of the gradient has stabilised.

This toolkit's setting (not the paper's MNIST-5k/CIFAR10-5k/SST2-1k): scikit-learn's bundled digits
(:func:`digits`, 1000 samples, pixels /16 and centred, one-hot targets), a bias-free tanh MLP
64-w-w-10 (:func:`init_mlp`, :func:`mlp`), MSE ``L = (1/2n) sum_i ||f(x_i) - y_i||^2`` (:func:`mse`).
``P_k`` is tracked by warm-started block subspace iteration on Hessian-vector products
(:func:`numerics.hessian.subspace_iteration`), refreshed every ``refresh`` steps inside ``lax.scan``.
The plateau rule that picks the switch point (:func:`plateau_step`) and the bulk effective learning
rate (:func:`effective_lr`) are this toolkit's definitions (see ``docs/papers/subspace.md``).

Entry points returning numpy arrays: :func:`switch_experiment` (SGD / Dom-SGD / Bulk-SGD and GD from
one SGD checkpoint), :func:`eos_experiment` (GD / Dom-GD / Bulk-GD at the Edge of Stability),
:func:`effective_lr` (SGD, SGD with momentum, Adam), :func:`toy_run` (the two constructed valley
losses). Float64 throughout; this module never imports ``theory``.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from .hessian import hvp_block, orthonormalize, subspace_iteration
from . import random as rnd
from .jit import jit

__all__ = ["Setting", "Trainer", "eigensolver_check", "planted_recovery", "digits", "init_mlp", "mlp", "mse", "n_params", "random_baseline", "chi",
           "plateau_step", "train", "top_subspace", "switch_experiment", "eos_experiment",
           "effective_lr", "toy_loss", "toy_run", "OPTIMIZERS", "MODES"]

#: (dominant coefficient, bulk coefficient) of the update direction a_dom P_k g + a_bulk P_k^perp g
MODES = {"sgd": (1.0, 1.0), "dom": (1.0, 0.0), "bulk": (0.0, 1.0)}
OPTIMIZERS = ("sgd", "momentum", "adam")


def _pos_int(name, v, lo=1):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {v!r}")


def _pos_real(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) \
            or not math.isfinite(float(v)) or v <= 0:
        raise ValueError(f"{name} must be a positive real number, got {v!r}")


@dataclass(frozen=True)
class Setting:
    """One digits-MLP configuration (hashable: it is a static argument of the jitted scans).

    width, depth  hidden width w and number of hidden tanh layers (64-w-...-w-10, no biases)
    n             training samples (the paper's ``-5k``/``-1k`` subsets; here 1000 digits)
    batch         minibatch size B of SGD
    k             dimension of the dominant subspace (number of classes, 10)
    block         block size b >= k of the subspace iteration (oversampling b - k)
    refresh       steps between two refreshes of P_k (one subspace-iteration step each, ``iters``)
    iters         subspace-iteration steps per refresh
    init_iters    subspace-iteration steps for the cold start at step 0
    """

    width: int = 32
    depth: int = 2
    n: int = 1000
    batch: int = 32
    k: int = 10
    block: int = 20
    refresh: int = 10
    iters: int = 1
    init_iters: int = 30

    def __post_init__(self):
        for name in ("width", "depth", "n", "batch", "k", "block", "refresh", "iters", "init_iters"):
            _pos_int(name, getattr(self, name))
        if self.batch > self.n:
            raise ValueError(f"batch must be <= n ({self.n}), got {self.batch}")
        if self.block < self.k:
            raise ValueError(f"block must be >= k ({self.k}), got {self.block}")

    @property
    def shapes(self):
        dims = (64,) + (self.width,) * self.depth + (10,)
        return tuple((dims[i + 1], dims[i]) for i in range(len(dims) - 1))

    @property
    def p(self) -> int:
        return sum(a * b for a, b in self.shapes)


# ------------------------------------------------------------------------------------ model


@functools.lru_cache(maxsize=8)
def _digits_np(n: int, seed: int):
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    idx = np.random.default_rng(seed).permutation(len(X))[:n]
    X = X[idx] / 16.0
    X = X - X.mean(axis=0)
    return X, np.eye(10)[y[idx]]


def digits(n: int = 1000, seed: int = 0):
    """``n`` random samples of scikit-learn's bundled 8x8 digits (1797 in all, no download): inputs
    X (n, 64) scaled to [0, 1] and centred, one-hot targets Y (n, 10), float64."""
    _pos_int("n", n)
    if n > 1797:
        raise ValueError(f"n must be <= 1797 (the size of the digits set), got {n}")
    X, Y = _digits_np(int(n), int(seed))
    return jnp.asarray(X), jnp.asarray(Y)


def n_params(width: int = 32, depth: int = 2) -> int:
    """Number of weights p of the bias-free MLP 64-w-...-w-10."""
    return Setting(width=width, depth=depth).p


def init_mlp(key, setting: Setting = Setting()):
    """Flat weights theta (p,) of the bias-free tanh MLP, each layer W ~ N(0, 1/fan_in)."""
    ks = jax.random.split(key, len(setting.shapes))
    return jnp.concatenate([(rnd.normal(k_, s, dtype=jnp.float64) / np.sqrt(s[1])).ravel()
                            for k_, s in zip(ks, setting.shapes)])


def mlp(theta, X, setting: Setting = Setting()):
    """f(X; theta) = W_L tanh(... tanh(W_1 X^T)) for the flat weights theta; (n, 10)."""
    h, o = X, 0
    L = len(setting.shapes)
    for i, s in enumerate(setting.shapes):
        W = theta[o:o + s[0] * s[1]].reshape(s)
        o += s[0] * s[1]
        h = h @ W.T
        if i < L - 1:
            h = jnp.tanh(h)
    return h


def mse(theta, X, Y, setting: Setting = Setting()):
    """The training loss L(theta) = (1/2n) sum_i ||f(x_i; theta) - y_i||^2 (MSE, the paper's main loss)."""
    r = mlp(theta, X, setting) - Y
    return 0.5 * jnp.mean(jnp.sum(r * r, axis=1))


def random_baseline(k: int, p: int) -> float:
    """E-scale of chi_k for a uniformly random direction in R^p: sqrt(k/p)."""
    return math.sqrt(k / p)


def chi(V, v):
    """chi_k(v) = ||P_k v|| / ||v|| for P_k = V V^T, V (p, k) orthonormal."""
    c = V.T @ v
    return jnp.linalg.norm(c) / jnp.linalg.norm(v)


def plateau_step(chi_series, *, window: int, rel_tol: float = 0.05, stride: int, start: int = 0):
    """The switch step of the toolkit's plateau rule: the first step s (a multiple of ``stride``,
    s >= start + 2 window) at which the mean of ``chi_series`` over the last ``window`` steps differs
    from the mean over the ``window`` steps before it by at most ``rel_tol`` (relative). Returns
    ``(s, found)``; when no step qualifies, the last stride multiple and ``False``."""
    c = np.asarray(chi_series, dtype=float)
    T = len(c)
    cs = np.concatenate([[0.0], np.cumsum(c)])
    last = (T // stride) * stride
    for s in range(stride, last + 1, stride):
        if s < start + 2 * window:
            continue
        m1 = (cs[s] - cs[s - window]) / window
        m0 = (cs[s - window] - cs[s - 2 * window]) / window
        if abs(m1 - m0) <= rel_tol * abs(m1):
            return s, True
    return last, False


# ------------------------------------------------------------------------------------ training


def _optimizer(name: str, lr: float):
    if name == "sgd":
        return optax.sgd(lr)
    if name == "momentum":
        return optax.sgd(lr, momentum=0.9)
    if name == "adam":
        return optax.adam(lr)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def _loss(setting, X, Y):
    return lambda th: mse(th, X, Y, setting)


def top_subspace(theta, setting: Setting = Setting(), *, data_seed: int = 0, iters: int | None = None,
                 key=None, V0=None):
    """Top-``block`` eigenbasis estimate of the full training-set Hessian at ``theta`` by subspace
    iteration (``iters`` steps, default ``setting.init_iters``), from ``V0`` or a random start.
    Returns ``(V (p, block), ritz (block,))``; the first ``setting.k`` columns span the estimate of the
    dominant subspace."""
    X, Y = digits(setting.n, data_seed)
    if V0 is None:
        key = jax.random.PRNGKey(0) if key is None else key
        V0 = orthonormalize(rnd.normal(key, (setting.p, setting.block), dtype=jnp.float64))
    return _top(jnp.asarray(theta), V0, X, Y, setting, setting.init_iters if iters is None else iters)


@functools.partial(jit, static_argnames=("setting", "iters"))
def _top(theta, V0, X, Y, setting, iters):
    L = _loss(setting, X, Y)
    return subspace_iteration(lambda V: hvp_block(L, theta, V), V0, iters)


def _optimizers(lr):
    return tuple(_optimizer(name, lr) for name in OPTIMIZERS)


@functools.partial(jit, static_argnames=("setting", "n_chunks"))
def _run_chunks(theta0, V0, ost0, key, t0, coef, lr, opt_w, full_batch, X, Y, setting, n_chunks):
    """``n_chunks`` chunks of ``setting.refresh`` steps: refresh P_k, then the steps with P_k fixed.

    One compiled scan serves every run: the optimizer is chosen by the one-hot weights ``opt_w`` over
    ``OPTIMIZERS`` (each optax transformation is updated with the same direction; only the chosen one's
    update is applied), GD vs SGD by the 0/1 flag ``full_batch``, the projection by ``coef``."""
    s = setting
    L = _loss(s, X, Y)
    opts = _optimizers(lr)
    a_dom, a_bulk = coef[0], coef[1]

    def step(carry, t):
        th, V, ost = carry
        idx = jax.random.choice(jax.random.fold_in(key, t), s.n, (s.batch,), replace=False)
        g_mb = jax.grad(lambda w: mse(w, X[idx], Y[idx], s))(th)
        G = jax.grad(L)(th)                        # full-batch gradient (GD; effective rates)
        g = jnp.where(full_batch > 0, G, g_mb)
        Vk = V[:, :s.k]
        c = Vk.T @ g
        pg = Vk @ c
        gt = a_dom * pg + a_bulk * (g - pg)
        upd, new_ost = jnp.zeros_like(th), []
        for w_, o, st in zip(opt_w, opts, ost):
            u, st = o.update(gt, st, th)
            upd = upd + w_ * u
            new_ost.append(st)
        d = -upd                                   # Delta theta_t = theta_t - theta_{t+1}
        cd = Vk.T @ d
        cG = Vk.T @ G
        gg, cc = g @ g, c @ c
        acc = jnp.stack([cd @ c, cc, d @ g - cd @ c, gg - cc,
                         cd @ cG, cG @ cG, d @ G - cd @ cG, G @ G - cG @ cG])
        return (th + upd, V, tuple(new_ost)), (jnp.sqrt(cc / gg), acc)

    def chunk(carry, t_start):
        th, V, ost = carry
        V, ritz = subspace_iteration(lambda W: hvp_block(L, th, W), V, s.iters)
        l0 = L(th)
        carry, (ch, acc) = lax.scan(step, (th, V, ost), t_start + jnp.arange(s.refresh))
        return carry, (l0, ritz, ch, acc)

    (thT, VT, ostT), (l0, ritz, ch, acc) = lax.scan(
        chunk, (theta0, V0, ost0), t0 + jnp.arange(n_chunks) * s.refresh)
    return (thT, VT, ostT), {"loss": l0, "ritz": ritz, "chi": ch.reshape(-1),
                             "acc": acc.reshape(-1, acc.shape[-1])}


#: chunks of ``refresh`` steps per jitted call: every run is a sequence of calls of one compiled scan
CALL_CHUNKS = 10


class Trainer:
    """A resumable training run (see :func:`train`): ``advance(m)`` runs ``m`` calls of
    ``CALL_CHUNKS * refresh`` steps of one compiled ``lax.scan`` and appends the records; ``state``
    is the current (theta, V, optimizer states) and ``t`` the global step (the batch index)."""

    def __init__(self, theta0, V0, *, setting: Setting, lr: float, mode: str = "sgd",
                 optimizer: str = "sgd", full_batch: bool = False, key=None, t0: int = 0,
                 data_seed: int = 0):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
        _optimizer(optimizer, 1.0)
        _pos_real("lr", lr)
        self.setting, self.lr = setting, float(lr)
        self.opt_w = jnp.asarray([float(o == optimizer) for o in OPTIMIZERS])
        self.full_batch = jnp.float64(bool(full_batch))
        self.coef = jnp.asarray(MODES[mode])
        self.key = jax.random.PRNGKey(0) if key is None else key
        self.X, self.Y = digits(setting.n, data_seed)
        theta0 = jnp.asarray(theta0)
        self.state = (theta0, jnp.asarray(V0), tuple(o.init(theta0) for o in _optimizers(self.lr)))
        self.t = int(t0)
        self.records = {"loss": [], "ritz": [], "chi": [], "acc": []}

    @property
    def steps_per_call(self) -> int:
        return CALL_CHUNKS * self.setting.refresh

    def advance(self, calls: int = 1):
        for _ in range(calls):
            self.state, rec = _run_chunks(*self.state, self.key, jnp.int32(self.t), self.coef,
                                          jnp.float64(self.lr), self.opt_w, self.full_batch, self.X,
                                          self.Y, self.setting, CALL_CHUNKS)
            for k_, v in rec.items():
                self.records[k_].append(np.asarray(v))
            self.t += self.steps_per_call
        return self

    def result(self) -> dict:
        th, V, _ = self.state
        out = {k_: (np.concatenate(v) if v else np.zeros((0,))) for k_, v in self.records.items()}
        out["loss"] = np.append(out["loss"], float(_mse_jit(th, self.X, self.Y, self.setting)))
        out["theta_T"], out["V_T"] = np.asarray(th), np.asarray(V)
        return out


_mse_jit = jit(mse, static_argnames=("setting",))


def train(theta0, V0, *, setting: Setting = Setting(), steps: int, lr: float, mode: str = "sgd",
          optimizer: str = "sgd", full_batch: bool = False, key=None, t0: int = 0,
          data_seed: int = 0) -> dict:
    """Train from ``theta0`` with the top-k basis ``V0`` tracked along the run (jitted ``lax.scan``
    calls of ``CALL_CHUNKS * refresh`` steps each).

    The update direction is ``a_dom P_k g_t + a_bulk P_k^perp g_t`` with (a_dom, a_bulk) = ``MODES[mode]``
    (``sgd`` (1, 1), ``dom`` (1, 0), ``bulk`` (0, 1)), handed to the optax ``optimizer`` (``sgd``,
    ``momentum`` = SGD with momentum 0.9, ``adam``) with learning rate ``lr``. ``g_t`` is the gradient of
    the minibatch drawn from ``fold_in(key, t0 + t)`` (so runs with the same key and ``t0`` see the same
    batch sequence) or, with ``full_batch``, the full training-set gradient (GD). ``P_k`` is refreshed by
    ``setting.iters`` subspace-iteration steps every ``setting.refresh`` steps.

    Returns numpy arrays: ``loss`` (steps/refresh + 1,) full training loss at each refresh and at the
    end; ``ritz`` (steps/refresh, block) Ritz values; ``chi`` (steps,) chi_k(g_t) of the gradient the
    update used; ``acc`` (steps, 4) per step <P Dtheta, P g>, ||P g||^2, <Pperp Dtheta, Pperp g>,
    ||Pperp g||^2, then the same four with the full-batch gradient grad L(theta_t) in place of g_t
    (acc has 8 columns); ``theta_T``, ``V_T``."""
    _pos_int("steps", steps)
    tr = Trainer(theta0, V0, setting=setting, lr=lr, mode=mode, optimizer=optimizer,
                 full_batch=full_batch, key=key, t0=t0, data_seed=data_seed)
    if steps % tr.steps_per_call:
        raise ValueError(f"steps must be a multiple of CALL_CHUNKS * refresh = {tr.steps_per_call}, "
                         f"got {steps}")
    return tr.advance(steps // tr.steps_per_call).result()


# ------------------------------------------------------------------------------------ experiments


@functools.partial(jit, static_argnames=("setting",))
def _hvp_at(theta, v, X, Y, setting):
    return hvp_block(_loss(setting, X, Y), theta, v[:, None])[:, 0]


@functools.partial(jit, static_argnames=("setting",))
def _dense_hessian(theta, X, Y, setting):
    return jax.hessian(_loss(setting, X, Y))(theta)


def eigensolver_check(theta, V, setting: Setting = Setting(), *, data_seed: int = 0, dense: bool = False,
                      tol: float = 1e-8) -> dict:
    """Compare a tracked top-k basis ``V`` (p, >= k) at ``theta`` with scipy ``eigsh`` (Lanczos on
    HVPs, ``which="LA"``) and, with ``dense``, with ``scipy.linalg.eigh`` of the dense full-training-set
    Hessian. Returns eigenvalues and principal angles (radians): ``angles_vs_eigsh``,
    ``angles_vs_eigh``, ``angles_eigsh_vs_eigh``, ``eigsh_top`` (k,), ``eigh_top`` (20,)."""
    import scipy.linalg
    from scipy.sparse.linalg import LinearOperator, eigsh

    from .hessian import principal_angles
    X, Y = digits(setting.n, data_seed)
    th = jnp.asarray(theta)
    k, p = setting.k, setting.p
    op = LinearOperator((p, p), dtype=np.float64,
                        matvec=lambda v: np.asarray(_hvp_at(th, jnp.asarray(v.ravel()), X, Y, setting)))
    w_l, U_l = eigsh(op, k=k, which="LA", tol=tol, v0=np.random.default_rng(0).standard_normal(p))
    order = np.argsort(w_l)[::-1]
    w_l, U_l = w_l[order], U_l[:, order]
    V = np.asarray(V)
    out = {"eigsh_top": w_l, "angles_vs_eigsh": principal_angles(V[:, :k], U_l)}
    if dense:
        H = np.asarray(_dense_hessian(th, X, Y, setting))
        w, U = scipy.linalg.eigh(H)
        out["eigh_top"] = w[::-1][:20]
        out["angles_vs_eigh"] = principal_angles(V[:, :k], U[:, ::-1][:, :k])
        out["angles_eigsh_vs_eigh"] = principal_angles(U_l, U[:, ::-1][:, :k])
    return out


@functools.partial(jit, static_argnames=("iters",))
def _dense_iter(A, V0, iters):
    return subspace_iteration(lambda W: A @ W, V0, iters)


def planted_recovery(*, p: int = 400, k: int = 10, block: int = 20, iters: int = 30,
                     top=(10.0, 5.0), bulk=(-1.0, 2.5), seed: int = 0) -> dict:
    """A random symmetric p x p matrix A = U diag(lambda) U^T with the top k eigenvalues planted at
    linspace(top) and the other p - k uniform in ``bulk``; ``iters`` steps of
    :func:`numerics.hessian.subspace_iteration` (block ``block``) from a random start. Returns the
    planted ``lambda_top`` (k,), the Ritz values ``ritz`` (block,), the basis ``V`` and the planted
    eigenvectors ``U_top`` (p, k)."""
    _pos_int("p", p)
    _pos_int("k", k)
    _pos_int("iters", iters)
    if not k <= block < p:
        raise ValueError(f"need k <= block < p, got k={k}, block={block}, p={p}")
    if not top[1] > bulk[1]:
        raise ValueError(f"the planted top {top} must lie above the bulk {bulk}")
    rng = np.random.default_rng([seed, 1])
    lam_top = np.linspace(top[0], top[1], k)
    lam = np.concatenate([lam_top, rng.uniform(bulk[0], bulk[1], p - k)])
    U, _ = np.linalg.qr(rng.standard_normal((p, p)))
    A = (U * lam) @ U.T
    V0 = orthonormalize(jnp.asarray(rng.standard_normal((p, block))))
    V, ritz = _dense_iter(jnp.asarray(A), V0, iters)
    return {"lambda_top": lam_top, "ritz": np.asarray(ritz), "V": np.asarray(V), "U_top": U[:, :k]}


@functools.lru_cache(maxsize=16)
def _start(setting, seed, data_seed):
    """Random init theta_0 (from ``seed``), its top-``block`` basis by ``init_iters`` subspace-iteration
    steps, and the batch key: shared by every experiment with the same setting and seed."""
    key = jax.random.PRNGKey(seed)
    k_init, k_v, k_data = jax.random.split(key, 3)
    theta0 = init_mlp(k_init, setting)
    V0, _ = top_subspace(theta0, setting, data_seed=data_seed, key=k_v)
    return theta0, V0, k_data


def switch_experiment(*, eta: float = 0.05, k: int = 10, width: int = 32, n: int = 1000,
                      batch: int = 32, max_steps_before: int = 3000, steps_after: int = 1000,
                      refresh: int = 10, block: int = 20, window: int = 200, rel_tol: float = 0.05,
                      min_steps_before: int = 0, seed: int = 0, data_seed: int = 0,
                      check_eigensolver: str | None = "eigsh", gd: bool = True) -> dict:
    """The paper's switch experiment (Section 3; Figures 1, 4-6 of arXiv:2405.16002) in one call.

    1. SGD (learning rate ``eta``, minibatch ``batch``) from a random init, tracking P_k (k = ``k``)
       and chi_k(g_t) of the stochastic gradient, in calls of ``10 * refresh`` steps.
    2. After each call the plateau rule (:func:`plateau_step`: the mean chi_k over the last ``window``
       steps within ``rel_tol`` of the mean over the ``window`` steps before) decides whether to
       switch; at the latest after ``max_steps_before`` steps. The switch step t* is at least
       ``min_steps_before``.
    3. From the checkpoint at t*, with the same batch sequence: SGD, Dom-SGD and Bulk-SGD, and (``gd``)
       full-batch GD, each for ``steps_after`` steps.

    ``check_eigensolver``: ``"eigsh"`` compares the tracked basis at t* with scipy ``eigsh``
    (principal angles), ``"eigh"`` also with a dense ``eigh`` of the full Hessian, ``None`` skips it.
    Returns numpy arrays: ``loss_<branch>`` (full training loss every ``refresh`` steps after t*),
    ``chi_<branch>`` (per step), ``loss_before``, ``chi_before``, ``ritz_before``, ``ritz_after``,
    ``switch_step``, ``plateau_found``, ``baseline`` = sqrt(k/p), ``theta_switch``, ``V_switch``."""
    _pos_real("eta", eta)
    for name, v in (("max_steps_before", max_steps_before), ("steps_after", steps_after),
                    ("window", window)):
        _pos_int(name, v)
    _pos_int("min_steps_before", min_steps_before, lo=0)
    if check_eigensolver not in (None, "eigsh", "eigh"):
        raise ValueError(f"check_eigensolver must be None, 'eigsh' or 'eigh', got {check_eigensolver!r}")
    setting = Setting(width=width, n=n, batch=batch, k=k, refresh=refresh, block=block)
    per_call = CALL_CHUNKS * refresh
    if steps_after % per_call or max_steps_before % per_call:
        raise ValueError(f"steps_after and max_steps_before must be multiples of 10 * refresh = {per_call}")
    theta0, V0, key = _start(setting, seed, data_seed)
    pre = Trainer(theta0, V0, setting=setting, lr=eta, key=key, data_seed=data_seed)
    found = False
    while pre.t < max_steps_before:
        pre.advance()
        chis = np.concatenate(pre.records["chi"])
        s_, found = plateau_step(chis, window=window, rel_tol=rel_tol, stride=pre.t,
                                 start=min_steps_before)
        if found:
            break
    t_sw = pre.t
    before = pre.result()
    th_s, V_s, _ = pre.state
    res = {"switch_step": np.array(t_sw), "plateau_found": np.array(found),
           "loss_before": before["loss"], "chi_before": before["chi"], "ritz_before": before["ritz"],
           "refresh": np.array(refresh), "eta": np.array(eta), "p": np.array(setting.p),
           "k": np.array(k), "baseline": np.array(random_baseline(k, setting.p)),
           "theta_switch": np.asarray(th_s), "V_switch": np.asarray(V_s)}
    for m in ("sgd", "dom", "bulk"):
        out = train(th_s, V_s, setting=setting, steps=steps_after, lr=eta, mode=m, key=key, t0=t_sw,
                    data_seed=data_seed)
        res[f"loss_{m}"], res[f"chi_{m}"] = out["loss"], out["chi"]
        if m == "sgd":
            res["ritz_after"] = out["ritz"]
    if gd:
        out = train(th_s, V_s, setting=setting, steps=steps_after, lr=eta, full_batch=True, key=key,
                    t0=t_sw, data_seed=data_seed)
        res["loss_gd"], res["chi_gd"] = out["loss"], out["chi"]
    if check_eigensolver:
        res.update(eigensolver_check(th_s, V_s, setting, data_seed=data_seed,
                                     dense=check_eigensolver == "eigh"))
    return res


def eos_experiment(*, eta: float = 0.5, k: int = 10, width: int = 32, n: int = 1000,
                   max_steps_before: int = 2000, steps_after: int = 500, refresh: int = 10,
                   block: int = 20, iters: int = 1, sharp_frac: float = 0.95, hold: int = 2,
                   seed: int = 0, data_seed: int = 0) -> dict:
    """GD / Dom-GD / Bulk-GD in the large-step regime (Edge of Stability; Section 4.2, Figures 9-10 of
    arXiv:2405.16002).

    Full-batch GD with step ``eta`` from a random init, tracking P_k and the Ritz values, in calls of
    ``10 * refresh`` steps; the switch is after the first ``hold`` consecutive calls whose tracked
    top eigenvalue stayed >= ``sharp_frac * 2/eta`` over the call's last half (the run is at the Edge of
    Stability), at the latest after ``max_steps_before`` steps. From that checkpoint: GD, Dom-GD and
    Bulk-GD for ``steps_after`` steps; P_k gets ``iters`` subspace-iteration steps every ``refresh``
    steps. Returns numpy arrays (``loss_<branch>``, ``chi_<branch>``,
    ``sharp_<branch>``, ``sharp_before``, ``switch_step``, ``reached_eos``, ...)."""
    _pos_real("eta", eta)
    _pos_int("max_steps_before", max_steps_before)
    _pos_int("steps_after", steps_after)
    _pos_int("hold", hold)
    if not 0 < sharp_frac <= 1:
        raise ValueError(f"sharp_frac must be in (0, 1], got {sharp_frac}")
    setting = Setting(width=width, n=n, k=k, refresh=refresh, block=block, iters=iters)
    per_call = CALL_CHUNKS * refresh
    if steps_after % per_call or max_steps_before % per_call:
        raise ValueError(f"steps_after and max_steps_before must be multiples of 10 * refresh = {per_call}")
    theta0, V0, key = _start(setting, seed, data_seed)
    pre = Trainer(theta0, V0, setting=setting, lr=eta, full_batch=True, key=key, data_seed=data_seed)
    run, reached = 0, False
    while pre.t < max_steps_before:
        pre.advance()
        top = pre.records["ritz"][-1][:, 0]
        run = run + 1 if np.all(top[len(top) // 2:] >= sharp_frac * 2.0 / eta) else 0
        if run >= hold:
            reached = True
            break
    t_sw = pre.t
    before = pre.result()
    th_s, V_s, _ = pre.state
    res = {"switch_step": np.array(t_sw), "reached_eos": np.array(reached),
           "loss_before": before["loss"], "chi_before": before["chi"],
           "sharp_before": before["ritz"][:, 0], "ritz_before": before["ritz"],
           "refresh": np.array(refresh), "eta": np.array(eta), "p": np.array(setting.p),
           "k": np.array(k), "baseline": np.array(random_baseline(k, setting.p))}
    for m in ("sgd", "dom", "bulk"):
        out = train(th_s, V_s, setting=setting, steps=steps_after, lr=eta, mode=m, full_batch=True,
                    key=key, t0=t_sw, data_seed=data_seed)
        g = "gd" if m == "sgd" else m
        res[f"loss_{g}"], res[f"chi_{g}"], res[f"sharp_{g}"] = out["loss"], out["chi"], out["ritz"][:, 0]
    return res


def effective_lr(*, optimizers=("sgd", "momentum", "adam"), lrs=(0.05, 0.05, 1e-3), steps: int = 1000,
                 k: int = 10, width: int = 32, n: int = 1000, batch: int = 32, refresh: int = 10,
                 block: int = 20, seed: int = 0, data_seed: int = 0) -> dict:
    """Effective learning rates in the dominant and bulk subspaces over the first ``steps`` steps after
    a start (this toolkit's definition, after the paper's Table 1 of arXiv:2405.16002):

        eta_eff^bulk = sum_t <P_k^perp Dtheta_t, P_k^perp g_t> / sum_t ||P_k^perp g_t||^2,
        eta_eff^dom  = sum_t <P_k Dtheta_t, P_k g_t> / sum_t ||P_k g_t||^2,

    with Dtheta_t = theta_t - theta_{t+1} and g_t the minibatch gradient (for SGD both equal eta).
    Each optimizer (optax: ``sgd``, ``momentum`` (SGD with momentum 0.9), ``adam``) runs from the same
    random init and top-k basis with the same batch sequence. Returns ``{name: {"bulk", "dom",
    "ratio" = bulk/dom, "lr", "loss", "chi"}}``."""
    if len(optimizers) != len(lrs):
        raise ValueError("lrs must give one learning rate per optimizer")
    for o in optimizers:
        _optimizer(o, 1.0)
    setting = Setting(width=width, n=n, batch=batch, k=k, refresh=refresh, block=block)
    theta0, V0, key = _start(setting, seed, data_seed)
    res = {}
    for name, lr in zip(optimizers, lrs):
        out = train(theta0, V0, setting=setting, steps=steps, lr=lr, optimizer=name, key=key,
                    data_seed=data_seed)
        a = out["acc"].sum(axis=0)
        res[name] = {"dom": float(a[0] / a[1]), "bulk": float(a[2] / a[3]),
                     "dom_full": float(a[4] / a[5]), "bulk_full": float(a[6] / a[7]),
                     "lr": float(lr), "loss": out["loss"], "chi": out["chi"]}
    return res


# ------------------------------------------------------------------------------------ toy valley


def toy_loss(theta, xi=0.0, *, lam_big: float = 1.0, lam_small: float = 0.01, c: float = 1.0):
    """The constructed ill-conditioned valley (this toolkit's instance of the paper's Section 5 idea):

        deterministic  L(a, b) = (lam_small/2) a^2 + (lam_big/2) b^2        (valley along a)
        per sample     l_xi(a, b) = L(a, b) + c xi a b,  xi = +-1 with mean 0,

    so E_xi l_xi = L and the noise enters only through the xy-coupling term. theta = (a, b)."""
    a, b = theta[0], theta[1]
    return 0.5 * lam_small * a * a + 0.5 * lam_big * b * b + c * xi * a * b


@functools.partial(jit, static_argnames=("steps", "stochastic"))
def _toy(theta0, key, coef, eta, lam_big, lam_small, c, steps, stochastic):
    def step(th, t):
        xi = jnp.where(jax.random.bernoulli(jax.random.fold_in(key, t)), 1.0, -1.0) if stochastic else 0.0
        g = jax.grad(toy_loss)(th, xi, lam_big=lam_big, lam_small=lam_small, c=c)
        H = jax.hessian(toy_loss)(th, 0.0, lam_big=lam_big, lam_small=lam_small, c=c)
        # top eigenvector of the 2x2 full-loss Hessian, closed form (no LAPACK in the scan)
        h11, h12, h22 = H[0, 0], H[0, 1], H[1, 1]
        ang = 0.5 * jnp.arctan2(2 * h12, h11 - h22)
        u = jnp.stack([jnp.cos(ang), jnp.sin(ang)])
        pg = u * (u @ g)
        gt = coef[0] * pg + coef[1] * (g - pg)
        return th - eta * gt, (th, jnp.abs(u @ g) / jnp.linalg.norm(g))

    thT, (ths, ch) = lax.scan(step, theta0, jnp.arange(steps))
    return jnp.concatenate([ths, thT[None]]), ch


def toy_run(theta0, *, mode: str = "sgd", eta: float = 0.5, steps: int = 500, stochastic: bool = True,
            lam_big: float = 1.0, lam_small: float = 0.01, c: float = 1.0, seed: int = 0) -> dict:
    """(S)GD, Dom-(S)GD or Bulk-(S)GD (k = 1, P from the full-loss Hessian at each iterate) on
    :func:`toy_loss` from ``theta0 = (a_0, b_0)``; ``stochastic`` draws xi = +-1 each step (same
    sequence for every mode at one seed). Returns ``theta`` (steps+1, 2), ``chi`` (steps,) and
    ``loss`` (steps+1,) of the deterministic L."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {tuple(MODES)}, got {mode!r}")
    _pos_real("eta", eta)
    _pos_int("steps", steps)
    if not lam_big > lam_small > 0:
        raise ValueError(f"need lam_big > lam_small > 0 (an ill-conditioned valley), got "
                         f"lam_big={lam_big}, lam_small={lam_small}")
    if eta * lam_big >= 2:
        raise ValueError(f"eta must be < 2/lam_big = {2 / lam_big} (stable GD across the valley), got {eta}")
    th, ch = _toy(jnp.asarray(theta0, dtype=jnp.float64), jax.random.PRNGKey(seed),
                  jnp.asarray(MODES[mode]), eta, lam_big, lam_small, c, steps, bool(stochastic))
    th = np.asarray(th)
    loss = 0.5 * lam_small * th[:, 0] ** 2 + 0.5 * lam_big * th[:, 1] ** 2
    return {"theta": th, "chi": np.asarray(ch), "loss": loss}
