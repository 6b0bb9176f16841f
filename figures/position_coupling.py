"""Figures of the explicit constructions of arXiv:2405.20671 (Position Coupling, Thm 5.1) and
arXiv:2410.15787 (multi-operand scratchpad, Thm 4.1): attention maps of the hand-built heads, the
capacity against the embedding dimension, and the attention leak against the softmax hardness M.
The weights come from ``numerics.position_coupling`` / ``numerics.multi_operand``; the proven
curves from ``theory.position_coupling`` / ``theory.multi_operand``.
"""
from __future__ import annotations

import numpy as np

from figures import figure
from figures.style import new
from numerics import arithmetic as ar
from numerics import multi_operand as mo
from numerics import position_coupling as pc
from theory import multi_operand as tmo
from theory import position_coupling as th


def _heat(ax, W, tokens, title):
    T = len(tokens)
    im = ax.imshow(W, cmap="Blues", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks(range(T))
    ax.set_yticks(range(T))
    lab = ["BOS" if i == 0 else ("EOS" if t == ar.EOS else t) for i, t in enumerate(tokens)]
    ax.set_xticklabels(lab, fontsize=6)
    ax.set_yticklabels(lab, fontsize=6)
    ax.set_xlabel("key token")
    ax.set_ylabel("query token")
    ax.set_title(title, fontsize=9)
    ax.grid(False)
    for i in range(T):
        for j in range(T):
            if W[i, j] > 0.1:
                ax.text(j, i, f"{W[i, j]:.2f}".lstrip("0"), ha="center", va="center",
                        fontsize=4.5, color="w" if W[i, j] > 0.6 else "k")
    return im


@figure("position_coupling_attention", module="position_coupling",
        title="Attention of the constructed 2-head addition Transformer (Thm 5.1) on 6589+3497")
def attention_maps(data):
    P = 4
    c = pc.build(P, th.hardness_for_capacity(P))
    ex = ar.addition(6589, 3497)
    W = pc.attention_weights(c, ex)
    fig, axes = new(1, 2, size=(4.6, 4.4))
    _heat(axes[0], W[0], ex.tokens,
          "head 1 (sum): BOS + a_{j+1}, b_{j+1}\nexact 1/3 each; PRE_SUM = 3 mean(NUM)")
    im = _heat(axes[1], W[1], ex.tokens,
               "head 2 (carry): BOS + a_j, b_j, o_j\nexact 1/4; 1/3 at '=', 1/2 at o_n (EOS next)")
    fig.colorbar(im, ax=axes, shrink=0.6, label="attention weight")
    fig.suptitle(f"Position coupling construction, P = {P}, d = {c.d}, M = {c.M:.2f} "
                 "(coupled IDs, repo numbering)", fontsize=9)
    return fig


@figure("multi_operand_attention", module="multi_operand",
        title="Attention of the constructed 4-head scratchpad adder (Thm 4.1) on 57+48+96")
def multi_attention_maps(data):
    c = mo.build(4, 3, tmo.hardness_needed(64))
    ex = ar.multi_operand_addition([57, 48, 96])
    W = mo.attention_weights(c, ex)
    fig, axes = new(2, 2, size=(5.2, 5.0))
    titles = ("H1 (sum): (Pos1+1, Pos2-1)", "H2 (carry): (Pos1, Pos2-1)",
              "H3 (end of number): (Pos1+1, any)", "H4 (last-operand test): (Pos1, Pos2)")
    for h, ax in enumerate(axes.ravel()):
        im = _heat(ax, W[h], ex.tokens, titles[h])
    fig.colorbar(im, ax=axes, shrink=0.5, label="attention weight")
    fig.suptitle(f"Multi-operand construction, (P1, P2) = (4, 3), d = {c.d}, M = {c.M:.2f}",
                 fontsize=9)
    return fig


@figure("position_coupling_capacity", module="position_coupling",
        title="Capacity of the constructions vs embedding dimension d",
        claims=("position_coupling.addition_exact", "multi_operand.scratchpad_exact"))
def capacity_vs_d(data):
    a = data["position_coupling.addition_exact"]
    m = data["multi_operand.scratchpad_exact"]
    fig, ax = new(size=(5.6, 3.8))
    d = np.arange(21, 50)
    ax.step(d, [th.capacity_of_d(int(x)) for x in d], where="post", color="C0",
            label=r"addition (Thm 5.1): $n \leq 2^{\lfloor (d-17)/2\rfloor}-2$ (derived here)")
    # the split the claim measures: P1 = P2 + 1, d = 19 + 2 P1 + 2 P2 = 21 + 4 P2
    dm = np.arange(29, 50)
    p2 = (dm - 21) // 4
    ax.step(dm, [tmo.count_capacity(int(q)) for q in p2], where="post", color="C1",
            label=r"scratchpad (Thm 4.1): operands $\leq 2^{P_2}-1$, $P_1=P_2+1$ (derived here)")
    ax.step(dm, [tmo.length_capacity(int(q) + 1, 2) for q in p2], where="post", color="C2",
            ls="--", label=r"scratchpad: digits at 2 operands (width $\leq 2^{P_1}-2$) (derived here)")
    P, n, ok = np.asarray(a["P"]), np.asarray(a["n"]), np.asarray(a["exact"]).astype(bool)
    for i, p in enumerate(sorted(set(P.tolist()))):
        sel = (P == p) & ok
        ax.plot(17 + 2 * p, n[sel].max(), "o", color="C0", ms=7, mfc="none",
                label="measured: longest exact addition" if i == 0 else None)
    ax.plot(m["d"], m["count_capacity"], "s", color="C1", ms=7, mfc="none",
            label="measured: exact at count, fails at count+1")
    ax.plot(m["d"], m["length_capacity"], "^", color="C2", ms=7, mfc="none",
            label="measured: exact at length, fails at length+1")
    ax.set_yscale("log", base=2)
    ax.set_xlabel("embedding dimension d")
    ax.set_ylabel("largest exactly handled size (digits or operands)")
    ax.set_title("Both constructions' capacities grow exponentially in d", fontsize=9)
    ax.legend(fontsize=6.5, loc="upper left")
    return fig


@figure("position_coupling_leak", module="position_coupling",
        title="Attention leak vs softmax hardness M against the bound N e^{-2M}",
        claims=("position_coupling.attention_fractions",))
def leak_vs_M(data):
    a = data["position_coupling.attention_fractions"]
    P, M, N = np.asarray(a["P"]), np.asarray(a["M"]), np.asarray(a["N"])
    dev, bound = np.asarray(a["max_dev"]), np.asarray(a["bound"])
    fig, ax = new(size=(5.2, 3.6))
    for i, p in enumerate(sorted(set(P.tolist()))):
        sel = P == p
        o = np.argsort(M[sel])
        ax.plot(M[sel][o], dev[sel][o], "o-", color=f"C{i}",
                label=f"measured max |w - exact|, P = {int(p)} (N = {int(N[sel][0])})")
        ax.plot(M[sel][o], bound[sel][o], "--", color=f"C{i}",
                label=f"bound N e^(-2M) (derived here), N = {int(N[sel][0])}")
    ax.set_yscale("log")
    ax.set_xlabel("softmax hardness M (scores are multiples of M)")
    ax.set_ylabel("max deviation from the exact fraction")
    ax.set_title("Constructed heads: weights = exact fractions up to N e^{-2M}", fontsize=9)
    ax.legend(fontsize=7)
    return fig


@figure("position_coupling_nope_best", module="position_coupling",
        title="Best exact-match accuracy of any 1-layer model without positions (exact enumeration)")
def nope_best(data):
    ns = np.arange(1, 5)
    acc = np.array([pc.nope_best_exact_match(int(n))["accuracy"] for n in ns])
    paper_n, paper = np.array([3, 4, 5]), np.array([0.062, 0.01, 0.0013])
    fig, ax = new(size=(5.0, 3.6))
    ax.plot(ns, 100 * acc, "o-", label="computed: sum over digit multisets of the majority-sum count")
    ax.plot(paper_n, 100 * paper, "s", mfc="none", ms=9, color="C3",
            label="paper's appendix (Prop. 5.2): 6.2%, 1%, 0.13%")
    for n, a in zip(ns, acc):
        ax.annotate(f"{100 * a:.3g}%", (n, 100 * a), textcoords="offset points", xytext=(6, 4),
                    fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(range(1, 6))
    ax.set_xlabel("operand length n (digits, no leading zeros)")
    ax.set_ylabel("best exact-match accuracy (%)")
    ax.set_title("A 1-layer NoPE model sees only the digit multiset", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    return fig
