"""Figures of the linear-attention slice (Ahn et al., arXiv:2310.01082; official code
chengxiang/LinearTransformer at b6ddc35): SGD vs Adam loss curves per setting and depth, gradient-noise
histograms, robust condition number and directional smoothness along the runs, the learned one-layer
matrix beside A* (Ahn, Cheng, Daneshmand, Sra 2023's optimum). Drawn from the claims' arrays only."""
from __future__ import annotations

import numpy as np

from . import figure
from .style import new

_SETTING = {1: "setting 1: n=20, Gaussian x", 2: "setting 2: n=5, Gaussian x",
            3: "setting 3: n=20, heavy-tailed x"}
_COL = {"sgd": "k", "adam": "C3"}
_LAB = {"sgd": "SGD, momentum 0.9", "adam": "Adam, betas (0.9, 0.9)"}


def _smooth(y, w=21):
    """Running median over ``w`` steps (the per-step losses are on fresh, sometimes heavy-tailed batches)."""
    y = np.asarray(y, float)
    pad = np.pad(y, (w // 2, w // 2), mode="reflect")
    return np.array([np.median(pad[i:i + w]) for i in range(len(y))])


def _curves(ax, curves, color, label):
    curves = np.atleast_2d(curves)
    t = np.arange(curves.shape[1])
    for i, c in enumerate(curves):
        ax.plot(t, _smooth(c), color=color, lw=1.2, alpha=0.9, label=label if i == 0 else None)


@figure("linear_attention_loss_curves", title="SGD vs Adam on the 3-layer linear Transformer, per setting and depth",
        claims=("linear_attention.adam_beats_sgd_one_seed", "linear_attention.depth_gap_2_vs_3",
                "linear_attention.one_layer_optimum"))
def loss_curves(data):
    a = data["linear_attention.adam_beats_sgd_one_seed"]
    dp = data["linear_attention.depth_gap_2_vs_3"]
    fig, axes = new(1, 4, size=(3.4, 3.0))
    for ax, st in zip(axes[:3], (1, 2, 3)):
        for o in ("sgd", "adam"):
            _curves(ax, a[f"loss_s{st}_{o}"], _COL[o], _LAB[o])
        ax.set_yscale("log")
        ax.set_title(f"3 layers, {_SETTING[st]} (one seed, batch 128)", fontsize=7)
        ax.set_xlabel("iteration")
        ax.set_ylabel("training loss E(yhat - y)^2 (running median)", fontsize=8)
        if st in (1, 2):
            Lz = data["linear_attention.one_layer_optimum"]
            n_ = 20 if st == 1 else 5
            ax.axhline(5 * 6 / (n_ + 6), color="C0", ls=":", lw=1,
                       label=f"1-layer optimum L* = d(d+1)/(n+d+1) = {30 / (n_ + 6):.3f}")
            ax.plot(np.arange(len(Lz[f"loss_n{n_}"])), _smooth(Lz[f"loss_n{n_}"]), color="C0", lw=1,
                    alpha=0.6, label="1 layer (sparse), Adam")
        ax.legend(fontsize=6, loc="upper right")
    ax = axes[3]
    for L_, ls in zip(np.asarray(dp["depths"]).tolist(), (":", "-")):
        for o in ("sgd", "adam"):
            _curves(ax, dp[f"loss_L{L_}_{o}"], _COL[o], f"{_LAB[o].split(',')[0]}, L={L_}")
            ax.lines[-1].set_linestyle(ls)
    ax.set_yscale("log")
    ax.set_title("depth, setting 1 (arXiv:2310.01082 Sec. 4: gap grows with L)", fontsize=7)
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss (running median)")
    ax.legend(fontsize=6)
    return fig


@figure("linear_attention_noise", title="Stochastic-gradient noise norms at initialisation",
        claims=("linear_attention.heavy_tailed_noise",))
def noise(data):
    a = data["linear_attention.heavy_tailed_noise"]
    fig, axes = new(1, 2, size=(4.4, 3.4))
    for ax, key, name, col in ((axes[0], "noise_gaussian", _SETTING[1], "C0"),
                               (axes[1], "noise_heavy", _SETTING[3], "C1")):
        x = np.asarray(a[key])
        dens, _, _ = ax.hist(x, bins=60, density=True, color=col, alpha=0.75, label=f"{len(x)} minibatches")
        mu, sd = x.mean(), x.std()
        xs = np.linspace(x.min(), x.max(), 300)
        ax.plot(xs, np.exp(-0.5 * ((xs - mu) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)), "k--", lw=1,
                label="Gaussian with the same mean, sd")
        q99 = np.quantile(x, 0.99)
        ax.axvline(q99, color="k", ls=":", lw=1, label=f"p99 / median = {q99 / np.median(x):.2f}")
        ax.set_yscale("log")
        ax.set_ylim(dens[dens > 0].min() / 3, dens.max() * 3)
        ax.set_xlabel("||g_B - g_ref|| (3 layers, sparse P, Q, at init)")
        ax.set_ylabel("density (log)")
        ax.set_title(name)
        ax.legend(fontsize=7)
    fig.suptitle("arXiv:2310.01082 Section 3: heavy-tailed covariates give heavier-tailed gradient noise",
                 fontsize=9)
    return fig


@figure("linear_attention_curvature", title="Robust condition number and directional smoothness along SGD and Adam",
        claims=("linear_attention.condition_number_one_seed",))
def curvature(data):
    a = data["linear_attention.condition_number_one_seed"]
    R, ds, it = np.asarray(a["R"]), np.asarray(a["ds"]), np.asarray(a["iters"])
    st, ad = np.asarray(a["setting"]), np.asarray(a["is_adam"]).astype(bool)
    fig, axes = new(1, 2, size=(4.6, 3.5))
    marks = {1: "o", 2: "s", 3: "^"}
    for s in (1, 2, 3):
        for o, sel in (("sgd", ~ad), ("adam", ad)):
            rows = np.flatnonzero((st == s) & sel)
            for k, r in enumerate(rows):
                lab = f"{o.upper() if o == 'sgd' else 'Adam'}, {_SETTING[s]}" if k == 0 else None
                axes[0].plot(it, R[r], marker=marks[s], color=_COL[o], ls="-" if s == 1 else "--",
                             mfc="none" if o == "sgd" else _COL[o], label=lab)
                axes[1].plot(it, np.abs(ds[r]), marker=marks[s], color=_COL[o], ls="-" if s == 1 else "--",
                             mfc="none" if o == "sgd" else _COL[o], label=lab)
    axes[0].set_ylabel("robust condition number max|H_ii| / median|H_ii|")
    axes[0].set_title("paper's table: R_SGD/R_Adam = 1.6-9.6 (it. 750, 1250)", fontsize=8)
    axes[1].set_ylabel("|directional smoothness| u^T H u along the update")
    axes[1].set_title("directional smoothness (Pan & Li 2023) along the step", fontsize=8)
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.legend(fontsize=6)
    fig.suptitle("arXiv:2310.01082 Section 3 on the fast-tier runs (Hessian on 64 fixed prompts)", fontsize=9)
    return fig


@figure("linear_attention_one_layer", title="Learned one-layer preconditioner -Q'^T beside A*",
        claims=("linear_attention.one_layer_optimum",))
def one_layer(data):
    a = data["linear_attention.one_layer_optimum"]
    fig, axes = new(1, 4, size=(2.6, 2.6))
    vmax = 0.85
    for ax, key, title in zip(axes, ("A_learned_n20", "A_star_n20", "A_learned_n5", "A_star_n5"),
                              ("learned, n=20", "A* (Ahn et al. 2023), n=20", "learned, n=5",
                               "A* (Ahn et al. 2023), n=5")):
        im = ax.imshow(np.asarray(a[key]), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(title, fontsize=8)
        ax.set_xticks(range(5))
        ax.set_yticks(range(5))
        ax.grid(False)
        ax.set_xlabel("column j")
        ax.set_ylabel("row i")
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="entry A_ij")
    fig.suptitle("A* = ((1+1/n) I + (d/n) I)^-1 = n/(n+d+1) I (0.769 for n=20, 0.455 for n=5)", fontsize=9)
    return fig
