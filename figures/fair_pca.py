"""Figures of the fair streaming PCA slice (Lee, Cho, Yun & Yun, arXiv:2310.18593).

Each figure draws only the arrays of the claims it names (``proofs_check.fair_pca``)."""
from __future__ import annotations

import numpy as np

from . import figure
from .style import new


@figure("fair_pca_rate", title="FNPM error vs block size (fairness ~ b^-1/2, optimality gap)",
        claims=("fair_pca.fairness_rate",))
def rate(data):
    a = data["fair_pca.fairness_rate"]
    b, qf, qo = a["blocks"], a["q90_fair"], a["q90_opt"]
    fig, ax = new(1, 1, size=(5.4, 4.0))
    ax.loglog(b, qf, "o-", color="C0",
              label=f"fairness error $\\|U^\\top\\hat V\\|_2$ (q90), fitted slope {float(a['slope_fair']):.2f}")
    ax.loglog(b, qo, "s-", color="C3",
              label=f"optimality gap $|\\epsilon_o|$ (q90), fitted slope {float(a['slope_opt']):.2f}")
    ref = qf[0] * (b / b[0]) ** float(a["predicted"])
    ax.loglog(b, ref, "k--", lw=1.2,
              label="slope $-1/2$: $N_1\\propto 1/\\epsilon_f^2$ (poster, informal theorem)")
    ax.set_xlabel("block size $b = B$ (samples per block; $T$ blocks per phase)")
    ax.set_ylabel("error (90% quantile over runs)")
    ax.set_title(f"FNPM on the two-group generator ($d$={int(a['d'])}, $k$=$m$=3, $p$=1/2, "
                 f"T={int(a['T'])} blocks/phase, {int(a['runs'])} runs)")
    ax.legend(fontsize=7, loc="lower left")
    return fig


def _plane(X, V):
    """The 2-D view of X inside span(V): the top two principal directions of X V."""
    Z = X @ V
    Z = Z - Z.mean(0)
    _, _, Wt = np.linalg.svd(Z, full_matrices=False)
    return Z @ Wt[:2].T


@figure("fair_pca_projection", title="FNPM vs offline fair PCA vs vanilla NPM on a 2-D projection",
        claims=("fair_pca.fnpm_converges",))
def projection(data):
    a = data["fair_pca.fnpm_converges"]
    X, s, U = a["X"], a["s"].astype(int), a["U"]
    panels = (("offline null-it-out $V^*$", a["V_star"]),
              (f"FNPM, $b$={int(a['blocks'][-1])}", a["V_fnpm"]),
              ("mean-matched NPM", a["V_mean"]),
              ("vanilla NPM (Hardt & Price)", a["V_vanilla"]))
    fig, axes = new(1, 4, size=(3.3, 3.3), sharex=True, sharey=True)
    for ax, (name, V) in zip(axes, panels):
        Z = _plane(X, V)
        for g, col in ((0, "C0"), (1, "C1")):
            ax.scatter(Z[s == g, 0], Z[s == g, 1], s=5, alpha=0.5, color=col, label=f"group s={g}")
        ax.set_title(f"{name}\n$\\|U^\\top V\\|_2$ = {np.linalg.norm(U.T @ V, 2):.2f}", fontsize=9)
        ax.set_xlabel("1st direction in span(V)")
        ax.set_aspect("equal", adjustable="box")
    axes[0].set_ylabel("2nd direction in span(V)")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle("600 samples projected on the top-2 plane of each method's span(V) (FNPM: poster "
                 "Algorithm; baselines: poster Figure 2)", fontsize=9)
    return fig


@figure("fair_pca_digits_tradeoff", title="Digits: explained variance vs accuracy predicting s",
        claims=("fair_pca.digits_tradeoff",))
def digits_tradeoff(data):
    a = data["fair_pca.digits_tradeoff"]
    names = ["vanilla PCA", "mean only (m=0)", "m=5", "m=20"]
    fig, ax = new(1, 1, size=(5.4, 4.0))
    ax.plot(a["evr"], a["lr_acc"], "o-", color="C0", label="logistic regression (linear)")
    ax.plot(a["evr"], a["svm_acc"], "s-", color="C3", label="RBF SVM (non-linear)")
    offsets = [((4, -12), (-4, 6)), ((-6, 6), (-8, -14)), ((4, 6), (4, 6)), ((4, 6), (4, 6))]
    for (x, y1, y2, n), (o1, o2) in zip(zip(a["evr"], a["lr_acc"], a["svm_acc"], names), offsets):
        ha = "right" if o2[0] < 0 else "left"
        ax.annotate(n, (x, y2), textcoords="offset points", xytext=o2, fontsize=7, color="C3", ha=ha)
        ha = "right" if o1[0] < 0 else "left"
        ax.annotate(n, (x, y1), textcoords="offset points", xytext=o1, fontsize=7, color="C0", ha=ha)
    ax.axhline(0.5, color="k", ls=":", lw=1, label="chance (balanced s)")
    ax.set_xlabel("explained variance ratio $\\mathrm{tr}(V^\\top\\Sigma V)/\\mathrm{tr}\\,\\Sigma$ (train)")
    ax.set_ylabel("test accuracy predicting $s = 1[\\mathrm{digit}\\geq 5]$ from $V^\\top x$")
    ax.set_title("scikit-learn digits, k = 10: null-it-out fair PCA trade-off")
    ax.legend(fontsize=7, loc="center right")
    return fig


@figure("fair_pca_memory", title="Measured peak memory vs d: FNPM vs a d x d method",
        claims=("fair_pca.memory",))
def memory(data):
    a = data["fair_pca.memory"]
    fig, ax = new(1, 1, size=(5.4, 4.0))
    ax.loglog(a["d_fnpm"], a["peak_fnpm"] / 2**20, "o-", color="C0",
              label="FNPM ($k$=$m$=2, blocks of 100): measured peak RSS growth")
    ax.loglog(a["d_dense"], a["peak_dense"] / 2**20, "s-", color="C3",
              label="d x d streaming estimator: measured peak RSS growth")
    dd = np.geomspace(min(a["d_dense"].min(), a["d_fnpm"].min()), a["d_fnpm"].max(), 50)
    ax.loglog(dd, 8 * dd**2 / 2**20, "k--", lw=1.1, label="one d x d float64 matrix, $8d^2$ bytes")
    ax.loglog(dd, 8 * 100 * dd / 2**20, "k:", lw=1.1, label="one block, $8bd$ bytes (b = 100)")
    ax.loglog(dd, 8 * (dd * (2 + 2 + 1) + 2 * dd + 2) / 2**20, "C0-.", lw=1.1,
              label="FNPM persistent state, $8(d(k+m+1)+2d+2)$ bytes")
    ax.set_xlabel("dimension d")
    ax.set_ylabel("memory (MiB)")
    ax.set_title("FNPM stores O(d(k+m)) (poster); no d x d matrix")
    ax.legend(fontsize=7, loc="upper left")
    return fig
