"""Figures of the tiny-subspaces slice (Song, Ahn & Yun, arXiv:2405.16002): the switch experiment
(its Figure 1), GD variants at the Edge of Stability (Figures 9-10), the alignment chi_k of SGD vs GD
(Section 4.1), the top Hessian eigenvalues over training (Figure 15) and the toy valley (Figure 8).
All drawn from the claims' arrays (digits MLP 64-32-32-10, k = 10; ``docs/papers/subspace.md``)."""
from __future__ import annotations

import numpy as np

from . import figure
from .style import new

_COL = {"sgd": "C0", "gd": "C0", "dom": "C3", "bulk": "C2", "gd_full": "C1"}


def _smooth(x, w):
    x = np.asarray(x, dtype=float)
    if len(x) < w:
        return x
    return np.convolve(x, np.ones(w) / w, mode="valid")


@figure("subspace_switch_loss", title="Training loss after the switch: SGD / Dom-SGD / Bulk-SGD, "
        "and GD / Dom-GD / Bulk-GD at the Edge of Stability",
        claims=("subspace.dom_sgd_stalls", "subspace.eos_dom_bulk"))
def switch_loss(data):
    fig, axes = new(1, 2, size=(5.2, 3.9))
    a = data["subspace.dom_sgd_stalls"]
    r, t0 = int(a["refresh"]), int(a["switch_step"])
    ax = axes[0]
    tb = np.arange(len(a["loss_before"])) * r
    ax.plot(tb, a["loss_before"], color="0.45", label="SGD before the switch")
    for name, lab in (("sgd", "SGD"), ("dom", "Dom-SGD ($P_k g_t$)"), ("bulk", "Bulk-SGD ($P_k^\\perp g_t$)")):
        L = a[f"loss_{name}"]
        ax.plot(t0 + np.arange(len(L)) * r, L, color=_COL[name], label=lab,
                ls="--" if name == "bulk" else "-")
    ax.axvline(t0, color="k", ls=":", lw=1, label=f"switch at step {t0} ($\\chi_k$ plateau)")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (MSE, log scale)")
    ax.set_title(f"digits MLP, SGD $\\eta$={float(a['eta']):g}, B=32, k={int(a['k'])}\n"
                 "paper Fig. 1: Dom-SGD stalls, Bulk-SGD keeps pace")
    ax.legend(fontsize=7)
    b = data["subspace.eos_dom_bulk"]
    r, t0, eta = int(b["refresh"]), int(b["switch_step"]), float(b["eta"])
    ax = axes[1]
    tb = np.arange(len(b["loss_before"])) * r
    ax.plot(tb, b["loss_before"], color="0.45", label="GD before the switch")
    for name, lab in (("gd", "GD"), ("dom", "Dom-GD"), ("bulk", "Bulk-GD")):
        L = b[f"loss_{name}"]
        ax.plot(t0 + np.arange(len(L)) * r, L, color=_COL[name], label=lab, ls="--" if name == "bulk" else "-")
    ax.axvline(t0, color="k", ls=":", lw=1, label=f"switch at step {t0} (sharpness $\\geq 0.95\\cdot 2/\\eta$)")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (MSE, log scale)")
    ax.set_title(f"full-batch GD, $\\eta$={eta:g} (Edge of Stability)\n"
                 "paper Figs. 9-10: Dom-GD fails, Bulk-GD $\\geq$ GD (finding: not here)")
    ax.legend(fontsize=7)
    return fig


@figure("subspace_alignment", title="Alignment chi_k of the gradient with the top-k Hessian eigenspace: "
        "SGD (stochastic gradient) vs GD (full gradient) from the same checkpoint",
        claims=("subspace.noise_alignment", "subspace.eos_dom_bulk"))
def alignment(data):
    a = data["subspace.noise_alignment"]
    t0, base, k = int(a["switch_step"]), float(a["baseline"]), int(a["k"])
    w = 20
    fig, axes = new(1, 2, size=(5.2, 3.9))
    ax = axes[0]
    cb = a["chi_before"]
    ax.plot(np.arange(len(cb))[w - 1:] if len(cb) >= w else np.arange(len(cb)), _smooth(cb, w), color="0.45",
            label="SGD before the switch, $\\chi_k(g_t)$")
    for name, lab in (("sgd", "SGD after the switch: $\\chi_k(g_t)$, minibatch"),
                      ("gd", "GD from the same checkpoint: $\\chi_k(\\nabla L)$")):
        c = a[f"chi_{name}"]
        ax.plot(t0 + np.arange(len(c))[w - 1:], _smooth(c, w), color=_COL["gd_full" if name == "gd" else name],
                label=lab)
    ax.axhline(base, color="k", ls="--", lw=1.2, label=f"random direction $\\sqrt{{k/p}}$ = {base:.3f}")
    ax.axhline(5 * base, color="k", ls=":", lw=1, label="claim bar $5\\sqrt{k/p}$")
    ax.axvline(t0, color="0.3", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(min(1e-3, float(np.min(a["chi_gd"])) * 0.5), 1.2)
    ax.set_xlabel("step")
    ax.set_ylabel(f"$\\chi_{{{k}}} = \\|P_k v\\|/\\|v\\|$ ({w}-step mean, log)")
    ax.set_title("gradient-flow regime ($\\eta\\lambda_1<2$): noise causes the alignment\n(paper Sec. 4.1)")
    ax.legend(fontsize=7, loc="lower left")
    b = data["subspace.eos_dom_bulk"]
    ax = axes[1]
    tb = b["chi_before"]
    ax.plot(np.arange(len(tb))[w - 1:], _smooth(tb, w), color="0.45", label="GD before the switch")
    t1 = int(b["switch_step"])
    for name, lab in (("gd", "GD"), ("dom", "Dom-GD"), ("bulk", "Bulk-GD (gradient it projects)")):
        c = b[f"chi_{name}"]
        ax.plot(t1 + np.arange(len(c))[w - 1:], _smooth(c, w), color=_COL[name], label=lab,
                ls="--" if name == "bulk" else "-")
    ax.axhline(float(b["baseline"]), color="k", ls="--", lw=1.2, label="random direction $\\sqrt{k/p}$")
    ax.set_yscale("log")
    ax.set_ylim(1e-2, 1.2)
    ax.set_xlabel("step")
    ax.set_ylabel("$\\chi_k(\\nabla L)$ (full gradient)")
    ax.set_title(f"Edge of Stability, GD $\\eta$={float(b['eta']):g}: self-stabilisation aligns the "
                 "full gradient\n(paper Sec. 4.2)")
    ax.legend(fontsize=7, loc="lower left")
    return fig


@figure("subspace_hessian_spectrum", title="Top Hessian eigenvalues over SGD training (tracked Ritz values)",
        claims=("subspace.noise_alignment",))
def hessian_spectrum(data):
    a = data["subspace.noise_alignment"]
    r, t0, k = int(a["refresh"]), int(a["switch_step"]), int(a["k"])
    R = np.concatenate([a["ritz_before"], a["ritz_after"]])
    t = np.arange(R.shape[0]) * r
    fig, ax = new(size=(6.4, 4.2))
    for i in range(R.shape[1]):
        ax.plot(t, R[:, i], color="C0" if i < k else "C1", lw=1.0,
                label=(f"top {k} (dominant subspace)" if i == 0 else
                       (f"eigenvalues {k + 1}-{R.shape[1]} (Ritz values, less converged)" if i == k else None)))
    if "eigh_top" in a:
        ax.plot(np.full(20, t0), a["eigh_top"], "k_", ms=14, mew=1.5, label="dense eigh at the switch (top 20)")
    elif "eigsh_top" in a:
        ax.plot(np.full(len(a["eigsh_top"]), t0), a["eigsh_top"], "k_", ms=14, mew=1.5,
                label=f"scipy eigsh at the switch (top {k})")
    ax.axvline(t0, color="k", ls=":", lw=1, label="switch to Dom/Bulk-SGD")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("Hessian eigenvalue $\\lambda_i(\\nabla^2 L)$")
    ax.set_title("digits MLP (p=3392): no clean gap after the top 10 (paper Fig. 15 has 10 outliers)")
    ax.legend(fontsize=7)
    return fig


@figure("subspace_toy_valley", title="Ill-conditioned valley: Dom-SGD bounces across, SGD/Bulk-SGD move "
        "along", claims=("subspace.toy_dom_no_progress",))
def toy_valley(data):
    a = data["subspace.toy_dom_no_progress"]
    fig, axes = new(1, 2, size=(5.2, 3.9))
    ax = axes[0]
    A, B = np.meshgrid(np.linspace(-0.2, 1.15, 200), np.linspace(-0.4, 0.4, 200))
    ax.contour(A, B, 0.005 * A**2 + 0.5 * B**2, levels=12, colors="0.75", linewidths=0.7)
    for key_, lab, col, mk in (("theta_sgd", "SGD", "C0", "-"), ("theta_bulk", "Bulk-SGD", "C2", "--"),
                               ("theta_dom", "Dom-SGD", "C3", "o")):
        th = a[key_]
        if mk == "o":
            ax.plot(th[:, 0], th[:, 1], "o", ms=2.5, color=col, label=f"{lab} (iterates)", zorder=5)
        else:
            ax.plot(th[:, 0], th[:, 1], mk, color=col, lw=1.0, label=lab)
    ax.plot([1.0], [0.3], "k*", ms=9, label="start $(a_0, b_0)$")
    ax.set_xlabel("a (along the valley, curvature 0.01)")
    ax.set_ylabel("b (across the valley, curvature 1)")
    ax.set_title("$\\ell_\\xi = 0.005a^2 + 0.5b^2 + 0.1\\,\\xi ab$, $\\eta$=0.5, 500 steps")
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    t = np.arange(a["theta_sgd"].shape[0])
    ax.plot(t, np.abs(a["theta_sgd"][:, 0]), color="C0", label="SGD $|a_t|$")
    ax.plot(t, np.abs(a["theta_gd"][:, 0]), color="C1", lw=1, label="GD $|a_t|$")
    ax.plot(t, np.abs(a["theta_dom"][:, 0]), color="C3", label="Dom-SGD $|a_t|$")
    ax.plot(t, np.abs(a["closed_a"]), "k:", lw=2, label="Dom-GD closed form $a_t = a_0$ [derived]")
    ax.plot(t, np.abs(a["theta_dom_gd"][:, 1]) + 1e-300, color="C3", ls="--", lw=1,
            label="Dom-GD $|b_t|$")
    ax.plot(t, np.abs(a["closed_b"]) + 1e-300, "k:", lw=1, label="closed form $|1-\\eta\\lambda_b|^t |b_0|$")
    ax.set_yscale("log")
    ax.set_ylim(1e-6, 3)
    ax.set_xlabel("step t")
    ax.set_ylabel("|coordinate| (log)")
    ax.set_title("progress along the valley (paper Sec. 5, Fig. 8)")
    ax.legend(fontsize=7, loc="lower left")
    return fig


@figure("subspace_effective_lr", title="Effective learning rates in the dominant and bulk subspaces of "
        "SGD, SGD with momentum and Adam (toolkit's definition)", claims=("subspace.bulk_effective_lr",))
def effective_lr(data):
    a = data["subspace.bulk_effective_lr"]
    fig, axes = new(1, 2, size=(5.0, 3.9))
    names = ["SGD\n$\\eta$=0.05", "momentum 0.9\n$\\eta$=0.05", "Adam\nlr $10^{-3}$"]
    x = np.arange(3)
    ax = axes[0]
    amp_full = a["eff_bulk_full"] / a["eff_dom_full"]
    amp_mb = a["eff_bulk"] / a["eff_dom"]
    ax.bar(x - 0.18, amp_full, 0.36, color="C2", label="against $\\nabla L(\\theta_t)$ (claim)")
    ax.bar(x + 0.18, amp_mb, 0.36, color="0.6", label="against the minibatch $g_t$")
    ax.axhline(1.0, color="k", lw=1, label="SGD: 1 (in expectation)")
    ax.axhline(1.2 * amp_full[0], color="k", ls=":", lw=1.2, label="claim bar 1.2 x SGD")
    ax.set_xticks(x, names, fontsize=8)
    ax.set_ylabel("$\\eta_{\\mathrm{eff}}^{\\mathrm{bulk}} / \\eta_{\\mathrm{eff}}^{\\mathrm{dom}}$")
    ax.set_title("bulk amplification (paper Table 1: momentum,\nAdam amplify the bulk) [definition ours]")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1]
    for o, lab in (("sgd", "SGD"), ("momentum", "SGD + momentum"), ("adam", "Adam")):
        L = a[f"loss_{o}"]
        ax.plot(np.arange(len(L)) * 10, L, label=lab)
    ax.set_yscale("log")
    ax.set_xlabel("step from the random init")
    ax.set_ylabel("training loss (log)")
    ax.set_title("the runs behind the rates")
    ax.legend(fontsize=8)
    return fig
