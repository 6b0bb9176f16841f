"""Figures for Lee, Cho & Yun (arXiv:2402.10475): Sim-, Alt- and Alex-GDA.

Each function takes the arrays of the claims it names (``Verdict.arrays``) and draws the measured
quantity beside the theory curve from ``theory.gda``.
"""
from __future__ import annotations

import numpy as np

from figures import figure
from figures.style import new
from theory import gda as tg

COLORS = {"sim": "tab:red", "alt": "tab:blue", "alex": "tab:green", "eg": "tab:purple"}
NAMES = {"sim": "Sim-GDA", "alt": "Alt-GDA", "alex": "Alex-GDA (2,1)", "eg": "Extra-gradient"}
THM = {"sim": "Thm 3.1", "alt": "Thm 4.1", "alex": "Thm 5.1", "eg": "EG"}


@figure("gda_complexity", title="Iterations vs kappa_xy (step rules, three-block family)",
        claims=("gda.upper_bounds",))
def complexity(data):
    d = data["gda.upper_bounds"]
    kxy = np.asarray(d["kxy"])
    fine = np.geomspace(kxy.min(), kxy.max(), 50)
    fig, ax = new(size=(5.4, 3.8))
    for m in ("sim", "alt", "alex", "eg"):
        it = np.asarray(d[f"iters_{m}"])
        ax.loglog(kxy, it, "o-", color=COLORS[m], label=f"{NAMES[m]} measured 1/(1-rho)")
        key = "alex" if m == "eg" else m
        b = [tg.complexity(key, 10.0, 10.0, k) for k in fine]
        ax.loglog(fine, b, "--", color=COLORS[m], alpha=0.7,
                  label=f"bound {THM[m]}: " + {"sim": "kx+ky+kxy^2", "alt": "kx+ky+kxy(sqrt kx+sqrt ky)",
                                                 "alex": "kx+ky+kxy", "eg": "kx+ky+kxy"}[m])
    ax.set_xlabel("kappa_xy = L_xy / sqrt(mu_x mu_y)  (kappa_x = kappa_y = 10)")
    ax.set_ylabel("iterations 1/(1 - spectral radius)")
    ax.set_title("arXiv:2402.10475: Sim grows as kappa_xy^2, Alt/Alex/EG linearly")
    ax.legend(ncol=2, fontsize=6.5)
    return fig


@figure("gda_bilinear_trajectories", title="Bilinear game f = xy: Sim spirals out, Alt cycles, Alex converges",
        claims=("gda.bilinear_spectra",))
def bilinear_trajectories(data):
    d = data["gda.bilinear_spectra"]
    al = be = 0.2  # the step used by the claim for these trajectories (p = 0.04)
    p = al * be
    fig, (ax, ax2) = new(1, 2, size=(4.6, 4.0))
    n_sim = 60
    ts = np.asarray(d["traj_sim"])
    ax.plot(ts[:n_sim, 0], ts[:n_sim, 1], ".-", ms=2, lw=0.8, color=COLORS["sim"],
            label=f"Sim-GDA (first {n_sim} steps)")
    ta = np.asarray(d["traj_alt"])
    ax.plot(ta[:, 0], ta[:, 1], ".", ms=2, color=COLORS["alt"], label="Alt-GDA iterates")
    # Alt-GDA's conserved level set V = x^2/alpha + y^2/beta - xy = V(z_0)
    X, Y = np.meshgrid(np.linspace(-2.5, 2.5, 300), np.linspace(-2.5, 2.5, 300))
    V = X**2 / al + Y**2 / be - X * Y
    V0 = ta[0, 0] ** 2 / al + ta[0, 1] ** 2 / be - ta[0, 0] * ta[0, 1]
    ax.contour(X, Y, V, levels=[V0], colors="k", linestyles="--", linewidths=0.8)
    ax.plot([], [], "k--", lw=0.8, label="level set V = x^2/a + y^2/b - xy")
    tx = np.asarray(d["traj_alex"])
    ax.plot(tx[:, 0], tx[:, 1], ".-", ms=2, lw=0.8, color=COLORS["alex"], label="Alex-GDA (2,1)")
    ax.set_xlim(-2.5, 2.5)
    ax.set_ylim(-2.5, 2.5)
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"phase plane, alpha = beta = {al}")
    ax.legend(fontsize=6, loc="lower left")
    k = np.arange(ts.shape[0])
    for m, t in (("sim", ts), ("alt", ta), ("alex", tx)):
        ax2.semilogy(k, np.linalg.norm(t, axis=1), color=COLORS[m], label=f"{NAMES[m]} ||z_k||")
    ax2.semilogy(k, (1 + p) ** (k / 2), "--", color=COLORS["sim"], lw=1,
                 label="(1+p)^(k/2)  (Sim |lambda|^2 = 1+p)")
    ax2.semilogy(k, np.ones_like(k, dtype=float), "--", color=COLORS["alt"], lw=1, label="|lambda| = 1 (Alt)")
    ax2.semilogy(k, (1 - p) ** (k / 2), "--", color=COLORS["alex"], lw=1,
                 label="(1-p)^(k/2)  (Alex (2,1), Thm 6.2)")
    ax2.set_xlabel("iteration k")
    ax2.set_ylabel("||z_k||")
    ax2.set_title(f"norms vs derived rates, p = alpha beta sigma^2 = {p:g}")
    ax2.legend(fontsize=6)
    return fig


@figure("gda_stability_map", title="Alex-GDA on bilinear games: convergence iff gamma + delta > 2",
        claims=("gda.alex_rule",))
def stability_map(data):
    d = data["gda.alex_rule"]
    g, dl, R = (np.asarray(d[k]) for k in ("gamma", "delta", "radius_p1e-4"))
    p = 1e-4
    Z = (R**2 - 1) / p  # small-p theory: -(gamma + delta - 2)
    fig, ax = new(size=(4.8, 4.0))
    lim = np.max(np.abs(Z))
    im = ax.pcolormesh(g, dl, Z.T, cmap="RdBu_r", vmin=-lim, vmax=lim, shading="nearest")
    fig.colorbar(im, ax=ax, label="(rho^2 - 1)/p at p = 1e-4 (blue: converges)")
    gg = np.linspace(0, 3, 50)
    ax.plot(gg, 2 - gg, "k-", lw=1.5, label="gamma + delta = 2 (Thm 6.1)")
    cs = ax.contour(g, dl, Z.T, levels=[-2, -1, 1, 2], colors="0.3", linewidths=0.6)
    ax.clabel(cs, fontsize=6)
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_xlabel("gamma")
    ax.set_ylabel("delta")
    ax.plot([0, 1, 2], [1, 1, 1], "ks", ms=4)
    for (x, y, t) in ((0, 1, "Sim"), (1, 1, "Alt"), (2, 1, "Alex(2,1)")):
        ax.annotate(t, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_title("measured contours; derived small-p value: -(gamma + delta - 2)")
    ax.legend(fontsize=7, loc="upper right")
    return fig


@figure("gda_lyapunov", title="SDP-certified Lyapunov rates vs spectral radius",
        claims=("gda.lyapunov_sdp",))
def lyapunov(data):
    d = data["gda.lyapunov_sdp"]
    fig, (ax, ax2) = new(1, 2, size=(4.4, 3.8))
    rho, cert = np.asarray(d["rho"]), np.asarray(d["certified"])
    ax.plot(rho, cert, "o", color="tab:blue", label="instances (Sim/Alt/Alex, step rules)")
    lo, hi = rho.min() - 0.02, 1.0
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="certified = spectral radius")
    ax.set_xlabel("spectral radius rho(M)")
    ax.set_ylabel("certified rate r (P >= I, M^T P M <= r^2 P)")
    ax.set_title(f"per instance: max |r - rho| = {np.max(np.abs(cert - rho)):.1e}")
    ax.legend(fontsize=7)
    s, rs = np.asarray(d["sigma"]), np.asarray(d["radius_sigma"])
    L = 1.0
    ss = np.linspace(s.min(), s.max(), 200)
    ax2.plot(ss, np.sqrt(1 - ss**2 / L**2), "k-", lw=1, label="sqrt(1 - sigma^2/L^2) (derived, Thm 6.2)")
    ax2.plot(s, rs, "o", ms=3, color="tab:green", label="spectral radius per sigma")
    ax2.axhline(float(d["uniform_affine"][0]), color="tab:blue",
                label=f"uniform P0 + sigma P1 (cross terms via B): {float(d['uniform_affine'][0]):.5f}")
    ax2.axhline(float(d["uniform_const"][0]), color="tab:red", ls="--",
                label=f"sigma-free P (B-free): {float(d['uniform_const'][0]):.4f}")
    ax2.axhline(1.0, color="0.5", lw=0.8)
    ax2.set_xlabel("singular value sigma of B (L_xy = 1)")
    ax2.set_ylabel("rate per iteration")
    ax2.set_title("bilinear Alex(2,1), alpha = beta = 1/L_xy")
    ax2.legend(fontsize=6, loc="lower left")
    return fig
