"""Training figures of the arithmetic papers: exact match vs operand length (arXiv:2405.20671 Fig. 1
style) and the multi-operand heat map over (digits, operands) (arXiv:2410.15787 heat maps).

Both draw the arrays of the training claims (``proofs_check/arith_training.py``): at budget ``full``
those of the length-generalization claims (three seeds and the baselines); at ``fast``, where those
claims are not decided, the reduced coupled run of the in-distribution claims, labelled as such.
"""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Rectangle

from figures import figure
from figures.style import new

_LABELS = {"coupled": "coupled positions (1 layer)", "nope": "NoPE (1 layer)",
           "ape": "random-start APE (1 layer)", "shuffled": "shuffled IDs (control)"}
_COLORS = {"coupled": "C0", "nope": "C3", "ape": "C1", "shuffled": "C7"}


@figure("position_coupling_length_generalization", module="position_coupling",
        title="Exact match vs operand length (trained 1-layer models)",
        claims=("position_coupling.in_distribution", "position_coupling.length_generalization"))
def length_generalization(data):
    a = data["position_coupling.length_generalization"]
    reduced = not a
    if reduced:
        a = data["position_coupling.in_distribution"]
    n = np.asarray(a["lengths"])
    hi = int(a["train_max"])
    fig, ax = new(size=(8.0, 3.8))
    ax.axvspan(0.5, hi + 0.5, color="0.9", zorder=0, label=f"training lengths 1-{hi}")
    ax.axhline(95, color="k", ls=":", lw=1, label="paper's criterion: median EM 95%")
    ax.axvline(2 * hi, color="k", ls="--", lw=0.8, label=f"2x training max ({2 * hi} digits)")
    for pos in ("coupled", "shuffled", "nope", "ape"):
        key = f"em_{pos}"
        if key not in a:
            continue
        em = 100 * np.asarray(a[key])
        c = _COLORS[pos]
        if em.shape[0] > 1:
            for i, row in enumerate(em):
                ax.plot(n, row, color=c, alpha=0.3, lw=0.8,
                        label="individual seeds" if i == 0 else None)
        ax.plot(n, np.median(em, 0), "o-", color=c, ms=3,
                label=_LABELS[pos] + (f", median of {em.shape[0]} seeds" if em.shape[0] > 1 else ""))
        dkey = f"digits_only_{pos}"
        if pos == "coupled" and dkey in a:
            ax.plot(n, 100 * np.median(np.asarray(a[dkey]), 0), "--", color=c, lw=1,
                    label="coupled, digits only (EOS slot ignored)")
    ax.set_xlabel("operand length n (digits, both operands)")
    ax.set_ylabel("exact match (%), teacher forced, EOS incl.")
    ax.set_ylim(-3, 103)
    ax.set_xlim(n.min() - 0.5, max(n.max(), 2 * hi) + 0.5)   # the axis ends where the data end
    ax.set_title("Position coupling (arXiv:2405.20671 §4), CPU-sized training"
                 + ("\nbudget fast: in-distribution run only (length generalization is decided "
                    "at budget full)" if reduced else ""), fontsize=9 if reduced else None)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7)
    return fig


@figure("multi_operand_heatmap", module="multi_operand",
        title="Multi-operand addition: exact match over (digits, operands)",
        claims=("multi_operand.in_distribution", "multi_operand.length_generalization"))
def heatmap(data):
    a = data["multi_operand.length_generalization"]
    reduced = not a
    if reduced:
        a = data["multi_operand.in_distribution"]
    digits, ops = np.asarray(a["digits"]), np.asarray(a["operands"])
    panels = [(k, t) for k, t in (("em_scratchpad", "scratchpad + bi-level coupling"),
                                  ("em_plain", "no scratchpad (coupled, 1 level)")) if k in a]
    fig, axes = new(1, len(panels), size=(4.4, 3.8))
    axes = np.atleast_1d(axes)
    (dlo, dhi), (mlo, mhi) = np.asarray(a["train_digits"]), np.asarray(a["train_operands"])
    im = None
    for ax, (k, title) in zip(axes, panels):
        em = 100 * np.median(np.asarray(a[k]), axis=0)
        nseed = np.asarray(a[k]).shape[0]
        im = ax.imshow(em.T, origin="lower", vmin=0, vmax=100, cmap="viridis", aspect="auto",
                       extent=(digits[0] - 0.5, digits[-1] + 0.5, ops[0] - 0.5, ops[-1] + 0.5))
        for i, d in enumerate(digits):
            for j, m in enumerate(ops):
                ax.text(d, m, f"{em[i, j]:.0f}", ha="center", va="center", fontsize=6,
                        color="w" if em[i, j] < 60 else "k")
        ax.add_patch(Rectangle((dlo - 0.5, mlo - 0.5), dhi - dlo + 1, mhi - mlo + 1, fill=False,
                               ec="r", lw=1.5, label="training range"))
        ax.set_xticks(digits)
        ax.set_yticks(ops)
        ax.set_xlabel("digits per operand")
        ax.set_ylabel("number of operands")
        ax.set_title(f"{title}\n({'median of %d seeds' % nseed if nseed > 1 else '1 seed'})",
                     fontsize=8)
        ax.grid(False)
        ax.legend(loc="upper right", fontsize=6)
    fig.colorbar(im, ax=list(axes), label="exact match (%), whole scratchpad + EOS")
    fig.suptitle("arXiv:2410.15787 §5, 1-layer CPU-sized models"
                 + ("\nbudget fast: in-distribution run only (generalization is decided at "
                    "budget full)" if reduced else ""), fontsize=9)
    return fig
