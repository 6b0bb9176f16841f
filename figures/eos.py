"""Figures of the Edge-of-Stability slice (Song & Yun, arXiv:2307.04204; docs/papers/eos.md#figures).

All diagrams use our canonical coordinates (p horizontal, q = 2/(eta ||grad f||^2) vertical), so
trajectories and the bifurcation curve q = r(p) share one picture.
"""
from __future__ import annotations

import numpy as np

import numerics.eos as ne
from theory import eos as te

from . import figure
from .style import new

_CURVE = dict(color="k", lw=1.3, zorder=5)


def _branch(ax, loss, pmax, label):
    pp = np.linspace(-pmax, pmax, 801)
    ax.plot(pp, te.r(loss, pp), label=label, **_CURVE)


@figure("eos_pq_trajectories", title="GD trajectories in (p, q) align on the bifurcation curve q = r(p)",
        claims=("eos.alignment", "eos.init_independence"))
def pq_trajectories(data):
    fig, axes = new(1, 2, size=(4.8, 4.3))
    marks = "o^sDv<>p*h"
    for ax, cid, name in ((axes[0], "eos.alignment", "toy $\\ell(xy)$"),
                          (axes[1], "eos.init_independence", "linear net $v^\\top Ux$, d=10, m=20")):
        a = data[cid]
        P, Q, eta = a["p"], a["q"], float(a["eta"])
        cols = [f"C{i}" for i in range(P.shape[0])]
        for b in range(P.shape[0]):
            ax.plot(P[b], Q[b], marks[b % len(marks)], ms=2.6, mfc="none", mew=0.6, color=cols[b],
                    alpha=0.8, label=f"GD, $q_0$={Q[b, 0]:.2f}", zorder=6 - b * 0.1)
        pmax = min(float(np.abs(P).max()) * 1.05, 2.6)
        _branch(ax, "logcosh", pmax, "branch $q=r(p)=\\tanh(p)/p$ (our reconstruction)")
        ax.axhline(1.0, color="k", ls=":", lw=1, label="flip point $q=1$ ($S=2/\\eta$)")
        ax.set_xlim(-pmax, pmax)
        ax.set_ylim(min(0.45, float(Q.min()) - 0.02), 1.1)
        ax.set_xlabel("residual $p = f(x;\\theta) - y$")
        ax.set_ylabel("$q = 2/(\\eta\\,\\|\\nabla_\\theta f\\|^2)$")
        ax.set_title(f"{name}, log-cosh, $\\eta$={eta:g}")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, ncol=3)
    return fig


@figure("eos_sharpness", title="Sharpness (top Hessian eigenvalue) vs step with the 2/eta line",
        claims=("eos.progressive_sharpening", "eos.init_independence"))
def sharpness(data):
    fig, axes = new(1, 2, size=(4.8, 3.6))
    a = data["eos.progressive_sharpening"]
    k, eta = int(a["sharp_every"]), float(a["eta"])
    S = a["sharpness"]
    t = np.arange(S.shape[1]) * k
    labels = ["imbalanced $\\|v_0\\|^2$=16, y=8 (EoS)", "balanced small init, y=6",
              "imbalanced $\\|v_0\\|^2$=12, y=6"]
    ax = axes[0]
    for b in range(S.shape[0]):
        ax.plot(t[1:], S[b, 1:], ".-", ms=2.5, color=f"C{b}", label=f"{labels[b]}; $S_0$={S[b, 0]:.1f}")
    ax.axhline(2 / eta, color="k", ls="--", lw=1.2, label="$2/\\eta$ (EoS threshold)")
    ax.set_xscale("log")
    ax.set_xlim(t[1], t[-1])
    ax.set_xlabel(f"GD step t (sharpness every {k} steps)")
    ax.set_ylabel("sharpness $\\lambda_{\\max}(\\nabla^2 L)$")
    ax.set_title(f"progressive sharpening, linear net d=3, m=5, $\\eta$={eta:g}")
    ax.legend(fontsize=7, loc="lower right")
    b_ = data["eos.init_independence"]
    k, eta = int(b_["sharp_every"]), float(b_["eta"])
    S = b_["sharpness"]
    t = np.arange(S.shape[1]) * k
    ax = axes[1]
    for b in range(S.shape[0]):
        ax.plot(t[1:], S[b, 1:], ".-", ms=2.5, color=f"C{b}",
                label=f"$q_0$={b_['q'][b, 0]:.2f} ($S_0$={S[b, 0]:.1f}: large $|p_0|$)")
    ax.set_xscale("log")
    ax.set_xlim(t[1], t[-1])
    ax.axhline(2 / eta, color="k", ls="--", lw=1.2, label="$2/\\eta$ (paper: $S\\to 2/\\eta$; confirmed from the paper's abstract)")
    ax.set_ylabel("sharpness $\\lambda_{\\max}(\\nabla^2 L)$")
    ax.set_xlabel(f"GD step t (sharpness every {k} steps)")
    ax.set_title(f"EoS inits ($q_0<1$), linear net d=10, m=20, y=0, $\\eta$={eta:g}")
    ax.legend(fontsize=7)
    return fig


def _orbit_panel(ax, loss, qs, title):
    orb = ne.scalar_gd_orbits(loss, 2.0 / qs, p0=0.3, n_iter=2000, n_keep=48)
    ax.plot(orb.ravel(), np.repeat(qs, orb.shape[1]), ".", ms=0.8, color="C0", zorder=7)
    ax.plot([], [], ".", color="C0", label="attractor of GD (last 48 of 2000 iterates)")
    ax.set_xlabel("$p$ (attractor of the 1-D map)")
    ax.set_ylabel("bifurcation parameter $q$")
    ax.set_title(title)
    return orb


@figure("eos_orbit_diagram", title="Orbit diagram of the canonical map g_q(p) = p(1 - 2 r(p)/q)")
def orbit_diagram(data):
    fig, axes = new(1, 2, size=(4.6, 3.8))
    qs = np.linspace(0.3, 1.5, 700)
    for ax, loss, lab in ((axes[0], "logcosh", "log-cosh, $r=\\tanh p/p$"),
                          (axes[1], "sqrt", "sqrt loss, $r=(1+p^2)^{-1/2}$")):
        _orbit_panel(ax, loss, qs, f"$g_q$ for {lab}")
        qb = np.linspace(0.3, 0.999, 300)
        ph = np.array([te.rhat(loss, float(x)) for x in qb])
        kw = dict(color="0.6", lw=4, alpha=0.7, zorder=4)
        ax.plot(ph, qb, **kw, label="period-2 branch $q=r(p)$ (our reconstruction, derived here)")
        ax.plot(-ph, qb, **kw)
        ax.axhline(float(te.flip_point(loss)), color="C3", ls="--", lw=1,
                   label="flip bifurcation $q=1$ (derived here)")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    return fig


@figure("eos_tanh_neuron", title="Single tanh neuron: branch q = r_sigma(u) and loss of stability at q_c",
        claims=("eos.tanh_stability",))
def tanh_neuron(data):
    a = data["eos.tanh_stability"]
    uc, qc = float(a["u_c"]), float(a["q_c"])
    fig, ax = new(size=(6.0, 4.2))
    qs = np.linspace(0.3, 1.5, 900)
    _orbit_panel(ax, "neuron_tanh", qs,
                 "tanh neuron at frozen v: $u \\mapsto u(1 - 2 r_\\sigma(u)/q)$")
    qb = np.linspace(0.3, 0.999, 400)
    uh = np.array([te.rhat_sigma(float(x)) for x in qb])
    st = qb > qc
    for sgn in (1, -1):
        ax.plot(sgn * uh[st], qb[st], color="0.55", lw=4, alpha=0.7,
                label="stable branch $q=r_\\sigma(u)$ (our reconstruction, derived here)" if sgn == 1 else None, zorder=4)
        ax.plot(sgn * uh[~st], qb[~st], color="k", lw=1.2, ls="--",
                label="unstable branch ($q<q_c$)" if sgn == 1 else None, zorder=5)
    ax.axhline(qc, color="C3", lw=1, ls="-.", label=f"$q_c$={qc:.6f} ($u_c$={uc:.6f}) (our reconstruction, derived here)")
    ax.axhline(1.0, color="C2", ls=":", lw=1, label="flip point $q=1$")
    ax.plot(np.abs(np.array([te.rhat_sigma(float(x)) for x in a["q"]])), a["q"], "s", mfc="none",
            color="C1", ms=6, label="claim's test points $q_c\\pm\\delta$", zorder=6)
    ax.set_xlim(-1.6, 1.6)
    ax.set_xlabel("$u$ = neuron weight (attractor of the u-map)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    return fig


@figure("eos_slides_toy", title="The slides' toy log cosh(xy) at eta = 2/16: sharpness settles just below 2/eta = 16, "
        "trajectories align on q = tanh(p)/p", claims=("eos.slides_toy",))
def slides_toy(data):
    """The setting of the authors' NeurIPS slides (toy log cosh(xy), eta = 2/16; confirmed from the slides),
    as run by ``eos.slides_toy``: left, the sharpness against step with the line 2/eta = 16; right, the (p, q)
    trajectories over the log-cosh branch q = tanh(p)/p (our reconstruction of the canonical coordinates)."""
    a = data["eos.slides_toy"]
    eta, k = float(a["eta"]), int(a["sharp_every"])
    S, P, Q = a["sharpness"], a["p"], a["q"]
    fig, (ax, bx) = new(1, 2, size=(4.8, 3.8))
    t = np.arange(S.shape[1]) * k
    for b in range(S.shape[0]):
        ax.plot(t + 1, S[b], ".-", ms=2, lw=0.8, color=f"C{b}", label=f"$S_0$={S[b, 0]:.1f}")
        bx.plot(P[b], Q[b], "o", ms=2.2, mfc="none", mew=0.5, color=f"C{b}", alpha=0.8)
    ax.axhline(2 / eta, color="k", ls="--", lw=1.2, label="$2/\\eta$ = 16 (slides; paper: $S\\to 2/\\eta$)")
    ax.set_xscale("log")
    ax.set_xlabel(f"GD step t + 1 (sharpness at t = 0 and every {k} steps)")
    ax.set_ylabel("sharpness $\\lambda_{\\max}(\\nabla^2 L)$")
    ax.set_title(f"toy $\\log\\cosh(xy)$, $\\eta$={eta:g}: starts above 16")
    ax.legend(fontsize=6.5)
    pmax = min(float(np.abs(P).max()) * 1.05, 3.0)
    _branch(bx, "logcosh", pmax, "branch $q=\\tanh(p)/p$ (our reconstruction)")
    bx.axhline(1.0, color="k", ls=":", lw=1, label="flip point $q=1$ ($S=2/\\eta$)")
    bx.set_xlim(-pmax, pmax)
    bx.set_ylim(max(0.0, float(Q.min()) - 0.05), 1.1)
    bx.set_xlabel("residual $p = xy$")
    bx.set_ylabel("$q = 2/(\\eta\\,\\|\\nabla f\\|^2)$")
    bx.set_title("(p, q) trajectories")
    bx.legend(fontsize=6.5, loc="lower center")
    return fig
