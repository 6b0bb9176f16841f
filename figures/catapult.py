"""Figures for Phunyaphibarn, Lee, Wang, Zhang, Yun, *Large Catapults in Momentum Gradient Descent with
Warmup: An Empirical Study* (arXiv:2311.15051). The settings drawn are ours (docs/papers/catapult.md).
Each draws the measured curves beside the Jury stability edge 2(1+beta)/eta
(docs/papers/catapult.md#jury-thresholds)."""
from __future__ import annotations

import numpy as np
from matplotlib.colors import TwoSlopeNorm

from figures import figure
from figures.style import new

EDGE = "stability edge S = 2(1+β)/η (Jury conditions, derived)"


def _norm(S, eta, beta):
    return np.asarray(S) * eta / (2 * (1 + beta))


@figure("catapult_toy_traces", title="Toy T (xy)^2/2: loss and normalised sharpness, GD vs heavy ball",
        claims=("catapult.catapult_signature",))
def toy_traces(data):
    """Toy T of docs/papers/catapult.md#toy-t at rho = 1.05, eta = 0.01 (observed in our runs): loss and S eta/(2(1+beta)) against step for GD, heavy
    ball (beta = 0.9, the paper's eq. (1)) and heavy ball with a 50-step linear warm-up."""
    a = data["catapult.catapult_signature"]
    eta, beta = float(a["eta"]), float(a["beta"])
    runs = [("GD (β = 0)", a["gd_loss"], a["gd_S"], 0.0, "C0"),
            (f"heavy ball (β = {beta:g})", a["hb_loss"], a["hb_S"], beta, "C3")]
    if "wu_loss" in a:
        runs.append((f"heavy ball (β = {beta:g}) + 50-step warm-up", a["wu_loss"], a["wu_S"], beta, "C2"))
    T = 800
    fig, (ax, bx) = new(1, 2, size=(5.0, 3.8))
    for name, loss, S, b, c in runs:
        t = np.arange(len(loss))[:T]
        ax.semilogy(t, np.maximum(np.asarray(loss)[:T], 1e-300), color=c, label=name)
        bx.plot(np.arange(len(S))[:T], _norm(S, eta, b)[:T], color=c, label=name)
    ax.set(xlabel="step t", ylabel="loss L(x_t, y_t)  (log scale)", ylim=(1e-30, None),
           title="catapult: loss spike, then convergence")
    ax.legend(fontsize=7)
    bx.axhline(1.0, color="k", ls="--", lw=1, label=EDGE)
    bx.set(xlabel="step t", ylabel="normalised sharpness  S η / (2(1+β))",
           title="start at 1.05 × edge; heavy ball ends far below it")
    bx.legend(fontsize=7, loc="lower left")
    return fig


@figure("catapult_diagonal_traces", title="Linear diagonal network: loss and normalised sharpness",
        claims=("catapult.diagonal_network",))
def diagonal_traces(data):
    """Linear diagonal network of docs/papers/catapult.md#diagonal-network; observed in our runs (n = 40, d = 100, 5-sparse w*, u = v = 1, eta = 0.1): GD with a
    50-step warm-up, heavy ball (beta = 0.9) without and with the warm-up. Sharpness from the dense Hessian
    (every 25 steps up to 1000, and at the end)."""
    a = data["catapult.diagonal_network"]
    eta, beta = float(a["eta"]), float(a["beta"])
    runs = [("GD + 50-step warm-up", "gd_wu", 0.0, "C0"), (f"heavy ball (β = {beta:g})", "hb", beta, "C3"),
            (f"heavy ball (β = {beta:g}) + 50-step warm-up", "hb_wu", beta, "C2")]
    fig, (ax, bx, cx) = new(1, 3, size=(4.4, 3.8))
    for name, k, b, c in runs:
        loss = np.asarray(a[f"{k}_loss"])
        ax.semilogy(np.arange(1, len(loss) + 1), loss, color=c, label=name)
        st, S = np.asarray(a[f"{k}_S_step"]), np.asarray(a[f"{k}_S"])
        bx.plot(st[:-1], _norm(S, eta, b)[:-1], "-", color=c, label=name)
        bx.plot([st[-1]], [_norm(S, eta, b)[-1]], "o", color=c)
        cx.plot(st[:-1], S[:-1], "-", color=c, label=name)
        cx.plot([st[-1]], [S[-1]], "o", color=c)
    ax.set(xlabel="step t", ylabel="training loss (log scale)", title="loss (all converge)", xscale="log")
    ax.legend(fontsize=7)
    bx.axhline(1.0, color="k", ls="--", lw=1, label=EDGE)
    bx.set(xlabel="step t (dot: final step)", ylabel="normalised sharpness  S η / (2(1+β))",
           title="relative to each optimiser's edge", xscale="symlog", xlim=(0, None))
    bx.legend(fontsize=7)
    cx.axhline(2 / eta, color="C0", ls=":", lw=1, label="GD edge 2/η")
    cx.set(xlabel="step t (dot: final step)", ylabel="sharpness S = λ_max(∇²L)",
           title="absolute sharpness: heavy ball flatter", xscale="symlog", xlim=(0, None))
    cx.legend(fontsize=7)
    return fig


@figure("catapult_heatmap", title="Toy T: final S_inf / (2(1+beta)/eta) over (rho, beta)",
        claims=("catapult.toy_monotone",))
def heatmap(data):
    """S_inf/thr on toy T (docs/papers/catapult.md#toy-t; observed in our runs) over the initial ratio rho = S_0/thr and the momentum beta, eta = 0.01;
    blank cells diverged; '*' marks runs that collapse onto the other arm of minimisers {y = 0} (sharpness x^2). Right: the same against rho per beta, with GD's reflection rule 2 - rho (observed in our runs)."""
    a = data["catapult.toy_monotone"]
    rho, beta, Z = np.asarray(a["rho"]), np.asarray(a["beta"]), np.asarray(a["S_over_thr"], dtype=float)
    Z = np.where(np.isfinite(Z), Z, np.nan)
    arm = np.asarray(a.get("on_y0_arm", np.zeros(Z.shape, bool)))
    fig, (ax, bx) = new(1, 2, size=(5.0, 3.9))
    im = ax.pcolormesh(np.arange(len(beta) + 1), np.arange(len(rho) + 1), Z, cmap="viridis", vmin=0, vmax=1)
    for i in range(len(rho)):
        for j in range(len(beta)):
            if len(rho) * len(beta) <= 60:
                txt = "diverged" if np.isnan(Z[i, j]) else f"{Z[i, j]:.2f}" + ("*" if arm[i, j] else "")
                ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center", fontsize=6,
                        color="w" if (not np.isnan(Z[i, j]) and Z[i, j] < 0.6) else "k")
    step_b = max(1, len(beta) // 10)
    step_r = max(1, len(rho) // 12)
    ax.set_xticks(np.arange(len(beta))[::step_b] + 0.5, [f"{b:g}" for b in beta[::step_b]])
    ax.set_yticks(np.arange(len(rho))[::step_r] + 0.5, [f"{r:g}" for r in rho[::step_r]])
    ax.set(xlabel="momentum β", ylabel="ρ = S_0 / (2(1+β)/η)",
           title="final S_∞ / (2(1+β)/η)  (* = ends on the arm y = 0; blank = diverged)")
    ax.grid(False)
    fig.colorbar(im, ax=ax, label="S_∞ / (2(1+β)/η)  (1 = stability edge)")
    rr = np.linspace(rho.min(), rho.max(), 50)
    bx.plot(rr, 2 - rr, "k--", lw=1, label="GD reflection rule 2 − ρ (observed, ours)")
    for j, b in enumerate(beta[::max(1, len(beta) // 6)]):
        jj = list(beta).index(b)
        bx.plot(rho, Z[:, jj], "o-", ms=3, color=f"C{j}", label=f"β = {b:g}")
    bx.axhline(1.0, color="k", ls=":", lw=1, label="stability edge")
    bx.set(xlabel="ρ = S_0 / (2(1+β)/η)", ylabel="S_∞ / (2(1+β)/η)", ylim=(-0.03, 1.05),
           title="larger β: larger sharpness drop")
    bx.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


@figure("catapult_stage_portrait", title="Self-stabilisation stage model: phase portrait, beta = 0 and 0.9",
        claims=("catapult.stage_model",))
def stage_portrait(data):
    """Stage model of docs/papers/catapult.md#stage-model: Damian et al.'s map (beta = 0) (recalled, not confirmed) and the momentum variant
    (beta = 0.9, ours, derived here), eta = 0.01, alpha = 0.01, b_s = 1, from x_0 = 1e-3, y_0 = 0. The coordinate y
    is the sharpness minus the optimiser's edge; the dashed line y = 0 is the edge."""
    a = data["catapult.stage_model"]
    fig, axes = new(1, 3, size=(4.2, 3.8))
    for ax, b in zip(axes[:2], (0.0, 0.9)):
        x, y = np.asarray(a[f"x_beta{b}"]), np.asarray(a[f"y_beta{b}"])
        sc = ax.scatter(x, y, c=np.arange(len(x)), s=1.5, cmap="plasma", rasterized=True)
        ax.axhline(0.0, color="k", ls="--", lw=1, label="y = 0: S = 2(1+β)/η (edge)")
        ax.set(xlabel="x  (displacement along top eigenvector)", ylabel="y = S − 2(1+β)/η",
               title=f"β = {b:g}" + (" (Damian et al.)" if b == 0 else " (momentum variant)"))
        ax.legend(fontsize=7, loc="lower right")
        fig.colorbar(sc, ax=ax, label="step t")
    cx = axes[2]
    for b, c in ((0.0, "C0"), (0.9, "C3")):
        y = np.asarray(a[f"y_beta{b}"])
        thr = float(a[f"thr_beta{b}"])
        cx.plot(np.arange(len(y)), 1 + y / thr, color=c, label=f"β = {b:g}")
    cx.axhline(1.0, color="k", ls="--", lw=1, label="edge")
    cx.set(xlabel="step t", ylabel="normalised sharpness 1 + y η/(2(1+β))", title="sharpness around the edge")
    cx.legend(fontsize=7)
    return fig
