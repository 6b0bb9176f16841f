"""Figures of the SAM + reset slice (Lee et al., arXiv:2306.10711 v1; PLASTIC, v3).

* ``plasticity_chunks``: chunk-end test accuracy over the 20 chunks of the synthetic protocol
  (digits), input shift and label shift, for base, SAM, reset, SAM + reset (v1) and PLASTIC (v3);
  the seed mean with the range over seeds, and the reset chunks marked.
* ``plasticity_dead_units``: the fraction of dead head neurons over chunks (ReLU heads vs CReLU).
* ``plasticity_rl``: greedy CartPole returns of the DQN agent per seed, with the IQM and its 95%
  bootstrap interval (decided at the ``full`` budget; at ``fast`` the panel says so).
"""
from __future__ import annotations

import numpy as np

from . import figure
from .style import new

_NAMES = {"base": "base", "sam": "SAM (v1)", "reset": "reset (v1)", "sam_reset": "SAM + reset (v1)",
          "plastic": "PLASTIC (v3)"}
_STYLE = {"base": dict(color="k", ls="-"), "sam": dict(color="C0", ls="--"),
          "reset": dict(color="C1", ls="-."), "sam_reset": dict(color="C3", ls="-"),
          "plastic": dict(color="C2", ls="-")}


@figure("plasticity_chunks", title="Test accuracy over chunks under input and label shifts (digits)",
        claims=("plasticity.sam_reset_label",))
def chunks(data):
    a = data["plasticity.sam_reset_label"]
    fig, axes = new(1, 2, size=(4.8, 3.8))
    titles = {"input": "input shift: growing buffer of chunks",
              "label": "label shift: labels $y \\mapsto (y + c)$ mod 10 at chunk $c$"}
    for ax, shift in zip(axes, ("input", "label")):
        for n in _NAMES:
            acc = np.asarray(a[f"{shift}/{n}"])
            c = np.arange(acc.shape[1])
            ax.plot(c, acc.mean(0), label=f"{_NAMES[n]}: mean {acc.mean():.3f}", **_STYLE[n])
            ax.fill_between(c, acc.min(0), acc.max(0), color=_STYLE[n]["color"], alpha=0.12, lw=0)
        n_chunks = np.asarray(a[f"{shift}/base"]).shape[1]
        for r in range(0, n_chunks, max(1, n_chunks // 4)):
            ax.axvline(r + 0.5, color="C1", lw=0.6, ls=":", alpha=0.7)
        ax.set_xlabel("chunk $c$ (reset variants: head reset at the dotted lines)")
        ax.set_ylabel("chunk-end test accuracy")
        ax.set_title(titles[shift])
        ax.set_xticks(range(0, n_chunks, 2))
        ax.legend(fontsize=7, loc="lower right",
                  title=f"mean over chunks ({len(a['seeds'])} seeds; band = range)", title_fontsize=7)
    return fig


@figure("plasticity_dead_units", title="Dead head neurons over chunks: ReLU heads vs CReLU (PLASTIC)",
        claims=("plasticity.sam_reset_label",))
def dead_units(data):
    a = data["plasticity.sam_reset_label"]
    fig, axes = new(1, 2, size=(4.4, 3.3))
    for ax, shift in zip(axes, ("input", "label")):
        for n in _NAMES:
            d = np.asarray(a[f"dead/{shift}/{n}"])
            ax.plot(np.arange(d.shape[1]), d.mean(0), label=_NAMES[n], **_STYLE[n])
        ax.set_xlabel("chunk $c$ (measured at the chunk end, before a reset)")
        ax.set_ylabel("dead head neurons (fraction, seed mean)")
        ax.set_title(f"{shift} shift (dead = zero on every test input)")
        ax.set_xticks(range(0, d.shape[1], 2))
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=7, title="v3: CReLU keeps every neuron active", title_fontsize=7)
    return fig


@figure("plasticity_rl", title="DQN on CartPole-v1 at replay ratio 2: base vs SAM + reset (IQM, 95% CI)",
        claims=("plasticity.rl_cartpole",))
def rl(data):
    a = data["plasticity.rl_cartpole"]
    if "returns" not in a:
        fig, ax = new(1, 1, size=(6.0, 1.6))
        ax.text(0.5, 0.5, "DQN on CartPole (v1's RL claim) is decided at budget full:\n"
                "theory-verify figures plasticity --budget full", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    fig, axes = new(1, 2, size=(4.6, 3.6))
    names = [str(n) for n in np.asarray(a["names"])]
    R, ci = np.asarray(a["returns"]), np.asarray(a["ci"])
    ax = axes[0]
    for i, n in enumerate(names):
        col = _STYLE.get(n, {}).get("color", f"C{i}")
        x = np.full(R.shape[1], i) + np.linspace(-0.12, 0.12, R.shape[1])
        ax.plot(x, R[i], "o", mfc="none", color=col, ms=4)
        ax.errorbar([i + 0.3], [ci[i, 0]], yerr=[[ci[i, 0] - ci[i, 1]], [ci[i, 2] - ci[i, 0]]],
                    fmt="s", color=col, capsize=5,
                    label=f"{_NAMES.get(n, n)}: IQM {ci[i, 0]:.0f} [{ci[i, 1]:.0f}, {ci[i, 2]:.0f}]")
    ax.set_xticks(range(len(names)), [_NAMES.get(n, n).replace(" (v1)", "") for n in names])
    ax.set_xlim(-0.5, len(names) - 0.3)
    ax.set_ylabel("greedy return at the end (10 episodes, max 500)")
    ax.set_title("final greedy returns: seeds (o), IQM, 95% bootstrap CI")
    ax.legend(fontsize=7)
    ax = axes[1]
    T = np.asarray(a["train_return"])
    for i, n in enumerate(names):
        col = _STYLE.get(n, {}).get("color", f"C{i}")
        curves = []
        for s in range(T.shape[1]):
            t = np.nonzero(~np.isnan(T[i, s]))[0]
            grid = np.arange(T.shape[2])
            curves.append(np.interp(grid, t, T[i, s, t]) if t.size else np.full(T.shape[2], np.nan))
        C = np.asarray(curves)
        ax.plot(np.arange(T.shape[2]), np.nanmedian(C, 0), color=col, label=f"{_NAMES.get(n, n)}: median over seeds")
        ax.fill_between(np.arange(T.shape[2]), np.nanpercentile(C, 25, 0), np.nanpercentile(C, 75, 0),
                        color=col, alpha=0.15, lw=0)
    for k, x in enumerate(np.asarray(a.get("reset_env_steps", []))):
        ax.axvline(x, color="C3", ls=":", lw=0.8, label="head reset (reset arms)" if k == 0 else None)
    ax.set_xlabel("environment step")
    ax.set_ylabel("training episode return (last finished episode)")
    ax.set_title("training returns (band = inter-quartile range)")
    ax.legend(fontsize=7)
    return fig
