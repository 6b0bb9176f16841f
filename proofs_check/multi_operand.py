"""Claims of Cho et al., *Arithmetic Transformers Can Length-Generalize in Both Operand Length and
Count* (ICLR 2025, arXiv:2410.15787): an explicit 1-layer, 4-head scratchpad adder with bi-level
position coupling, built in :mod:`numerics.multi_operand`, run through
:func:`numerics.transformer.forward`, with capacities from :mod:`theory.multi_operand`.

Theorem 4.1 (a 1-layer construction with d = O(log m + log n) solving addition of up to m operands of
up to n digits, both exponential in d) is the paper's, confirmed from the authors' poster; its head count
and constants are not confirmed. The 4-head weights and the capacities 2^P2 - 1 operands and width
2^P1 - 2 are ours (docs/papers/multi_operand.md#scratchpad-construction).
"""
from __future__ import annotations

import numpy as np

from .core import all_of, claim, lazy

ar, mo, th = lazy("numerics.arithmetic"), lazy("numerics.multi_operand"), lazy("theory.multi_operand")

ARXIV = "2410.15787"
SLACK = 16   # extra table rows, so that random start IDs fit


def _operands(rng, m, n, all9=False):
    """m operands, the first of exactly n digits, the others of random length 1..n."""
    if all9:
        return ["9" * n] * m
    lens = rng.integers(1, n + 1, size=m)
    lens[0] = n
    return ar._sample_numbers(rng, lens)


def _case(rng, m, n, *, n_random, all9, random_starts):
    exs = []
    ops = [_operands(rng, m, n) for _ in range(n_random)] + ([_operands(rng, m, n, True)] if all9 else [])
    for o in ops:
        exs.append(ar.multi_operand_addition(o, start=(1, 1)))
        if random_starts:
            st = (int(rng.integers(1, SLACK + 1)), int(rng.integers(1, SLACK + 1)))
            exs.append(ar.multi_operand_addition(o, start=st))
    return exs


def _bucket(T):
    """Padded length for sequences of up to T tokens: T rounded up to a multiple of 128."""
    return -(-T // 128) * 128


def _chunk(T):
    """Examples per batch at padded length T (about 2^20 attention weights per head)."""
    return max(1, min(8, 2 ** 20 // T ** 2))


def _pairs(budget):
    return [(4, 3), (5, 4), (6, 5)] if budget == "fast" else [(4, 3), (5, 4), (6, 5), (7, 6)]


@claim(id="multi_operand.scratchpad_exact", paper=ARXIV,
       theorem="derived (docs/papers/multi_operand.md#scratchpad-construction); construction for Theorem 4.1",
       statement="The 1-layer 4-head construction with d = 19 + 2 P1 + 2 P2 writes every scratchpad "
                 "exactly (each digit, '>' and the final EOS) up to 2^P2 - 1 operands and width "
                 "2^P1 - 2, including all-9 operands, and fails just past either capacity: both "
                 "capacities grow exponentially in d.",
       source="derived", mutations=("count_plus_one", "width_plus_one", "next_threshold_perturbed"))
def scratchpad_exact(budget, seed, mutation):
    """Source: Theorem 4.1 (1 layer, d = O(log m + log n)) is the paper's, confirmed from the authors'
    poster; its head count and constants are not confirmed, so the capacities checked here are ours:
    the 4-head weights and the capacities m <= 2^P2 - 1, L <= 2^P1 - 2 (L the padded width) are
    derived here (theory.multi_operand, docs/papers/multi_operand.md#scratchpad-construction). An
    earlier estimate of "about 2^P2 - 3" operands was conservative: the construction is exact at
    2^P2 - 1 and fails at 2^P2.

    For (P1, P2) in {(4,3), (5,4), (6,5)} (fast; plus (7,6) at full), M = hardness_needed(N) of the
    longest example: random scratchpads at the largest count with 1- and 2-digit operands, at the
    largest length for 2 and 3 operands, and at both maxima where the sequence stays short
    (P1 <= 5; at full also P1 = 6, about 4000 tokens), each with an all-9 instance, at start (1,1) and at random starts; teacher-forced
    through numerics.transformer.forward; greedy decoding for (4,3). Required failures, same code:
    2^P2 operands, and operands one digit longer than the length capacity. Measured (fast, seed 0):
    all in-capacity scratchpads exact, every past-capacity group fails. Observed: min over pairs and
    axes of (measured capacity / derived capacity), bound 1.
    Twins: ``count_plus_one`` / ``width_plus_one`` move the in-capacity set one past the count /
    length capacity; ``next_threshold_perturbed`` moves IS_LAST's ramp to (0.2, 0.3), so 1/3 reads
    as "last operand"; each must be refuted."""
    rng = np.random.default_rng(seed)
    per, ratios, all_ok, past_fail = {}, [], True, True
    arr_d, arr_m, arr_n = [], [], []
    for P1, P2 in _pairs(budget):
        mmax = th.count_capacity(P2) + (1 if mutation == "count_plus_one" else 0)
        n2 = th.length_capacity(P1, 2) + (1 if mutation == "width_plus_one" else 0)
        n3 = th.length_capacity(P1, 3) + (1 if mutation == "width_plus_one" else 0)
        nr = 2 if budget == "fast" else 6
        groups = [
            _case(rng, mmax, 1, n_random=nr, all9=True, random_starts=True),
            _case(rng, mmax, 2, n_random=1, all9=False, random_starts=True),
            _case(rng, 2, n2, n_random=nr, all9=True, random_starts=True),
            _case(rng, 3, n3, n_random=1, all9=True, random_starts=False),
        ]
        if P1 <= 5 or (budget == "full" and P1 <= 6):   # both maxima: T ~ 2^(P1+P2+1) tokens
            nboth = th.length_capacity(P1, mmax) if mutation != "width_plus_one" else n2
            groups.append(_case(rng, mmax, max(nboth, 1), n_random=0, all9=True,
                                random_starts=False))
        # just past each capacity (the same evaluation code below): must not be exact
        past_m = _case(rng, th.count_capacity(P2) + 1, 1, n_random=2, all9=False, random_starts=False)
        past_n = _case(rng, 2, th.length_capacity(P1, 2) + 1, n_random=2, all9=True,
                       random_starts=False)
        N = max(e.T for g in groups + [past_m, past_n] for e in g)
        M = th.hardness_needed(N)
        kw = {"next_thresholds": (0.2, 0.3)} if mutation == "next_threshold_perturbed" else {}
        c = mo.build(P1, P2, M, max_positions=(2 ** P1 + SLACK + 2, 2 ** P2 + SLACK + 2), **kw)
        # every example of the pair in one teacher-forced pass, right-padded (causal attention:
        # padding changes no logit) to N rounded up to _bucket, or, once N >= 512, those of at most
        # N/2 tokens to a shorter bucket (the claim and its twins then share compiled shapes);
        # greedy decoding (numerics.transformer.greedy_decode) on the first three groups at (4,3),
        # padded to their own longest example rounded up to a multiple of 32
        flat = [e for g in groups + [past_m, past_n] for e in g]
        owner = np.repeat(np.arange(len(groups) + 2), [len(g) for g in groups + [past_m, past_n]])
        short = [e.T for e in flat if 2 * e.T <= N]
        pads = (_bucket(N),)
        if N >= 512 and short:
            pads = (_bucket(max(short)), _bucket(N))
        ex_ok = mo.evaluate(c, flat, chunk=tuple(_chunk(t) for t in pads), pad_len=pads)["exact"]
        if P1 == 4:
            gsel = np.nonzero(owner < 3)[0]
            gT = -(-max(flat[i].T for i in gsel) // 32) * 32
            ex_ok[gsel] &= mo.greedy_correct(c, [flat[i] for i in gsel], pad_len=gT)
        ok = bool(ex_ok[owner < len(groups)].all())
        n_ex = int((owner < len(groups)).sum())
        all_ok &= ok
        fm = not ex_ok[owner == len(groups)].all()
        fn = not ex_ok[owner == len(groups) + 1].all()
        past_fail &= fm and fn
        cap_m, cap_n = th.count_capacity(P2), th.length_capacity(P1, 2)
        meas_m = cap_m if (ok and fm) else 0
        meas_n = cap_n if (ok and fn) else 0
        ratios += [meas_m / cap_m, meas_n / cap_n]
        d = th.embedding_dim(P1, P2)
        per[f"{P1},{P2}"] = {"d": d, "M": M, "longest_tokens": N, "examples": n_ex, "all_exact": ok,
                             "count_capacity": cap_m, "length_capacity_at_2": cap_n,
                             "fails_at_count+1": fm, "fails_at_length+1": fn}
        arr_d.append(d)
        arr_m.append(meas_m)
        arr_n.append(meas_n)
    # exponential growth: log2 of the measured capacities against d
    slope_m = float(np.polyfit(arr_d, np.log2(np.maximum(arr_m, 1)), 1)[0])
    return all_of(
        {"in_capacity_all_exact": ("exact", bool(all_ok), True),
         "fails_one_past_capacity": ("exact", bool(past_fail), True)},
        message="measured/derived capacity (count and length), exact within, failing one past",
        details={"per_pair": per, "log2_count_capacity_slope_per_d": slope_m},
        arrays={"d": np.array(arr_d), "count_capacity": np.array(arr_m),
                "length_capacity": np.array(arr_n)})
