"""Claims of Ahn, Cheng, Song, Yun, Jadbabaie, Sra, *Linear attention is (maybe) all you need (to understand
Transformer optimization)*, arXiv:2310.01082 (ICLR 2024); official code chengxiang/LinearTransformer at
b6ddc35 (``linear_transformer.py``, ``train.ipynb``, ``plot_stochastic_noise.ipynb``,
``plot_condition_number.ipynb``).

The paper has no theorem: it shows that a shallow linear Transformer trained on in-context linear regression
reproduces features of Transformer optimization (Adam beats SGD, heavy-tailed gradient noise, a worse robust
condition number along SGD). Its statements are checked here as ``empirical`` / ``paper-order`` claims. The
closed-form one-layer optimum is **not this paper's**: it is Ahn, Cheng, Daneshmand, Sra 2023
(arXiv:2306.00297, Theorem 1; also Zhang-Frei-Bartlett 2023 and Mahankali et al. 2023), re-derived with
sympy in ``theory/linear_attention.py`` (docs/papers/linear_attention.md, "What we derived").

Every training-based claim shares one cache of trained runs keyed on (budget, seed): the fast tier trains
all its runs in one compiled program (``numerics.linear_attention.train``).
"""
from __future__ import annotations

import numpy as np

from .core import claim, verdict_from

PAPER = "2310.01082"
DOC = "docs/papers/linear_attention.md"
OPTIMUM = ("the optimum is Ahn, Cheng, Daneshmand, Sra 2023 (arXiv:2306.00297) Thm 1, "
           "not this paper's")

#: the learning-rate grid; the full budget selects from it per optimizer and setting (``_select_lrs``:
#: lowest median final loss over 2 seeds of 300 steps of batch 128, seeds 100, 101, disjoint from the
#: evaluated ones).
LR_GRID = (0.01, 0.02, 0.05)
#: the fast tier's learning rates: the best of LR_GRID for each optimizer and setting in one run of the fast
#: configuration (400 steps, batch 128, seed 0; final losses in docs/papers/linear_attention.md, "What we
#: check"), recorded here so that the fast tier does not re-run the grid.
#: whether the full budget re-runs the lr grid (off: the full runs use LR_FAST, see the docs)
FULL_LR_GRID = False
LR_FAST = {("sgd", 1): 0.05, ("adam", 1): 0.05,
           ("sgd", 2): 0.02, ("adam", 2): 0.02,
           ("sgd", 3): 0.05, ("adam", 3): 0.05}

BUDGET = {
    "fast": {"steps": 400, "batch": 128, "record_every": 50, "seeds": 1, "depths": (2, 3), "L_prog": 3,
             "depth_steps": 400, "depth_seeds": 1, "hess_prompts": 64, "hess_at": (200, 350),
             "noise": {"draws": 400, "batch": 100, "ref_batch": 10_000}, "mc_prompts": 400_000,
             "one_layer_lr": 0.005, "n_fixed": 500},
    "full": {"steps": 1300, "batch": 64, "record_every": 50, "seeds": 4, "depths": (2, 4, 8),
             "L_prog": 8, "depth_steps": 400, "depth_batch": 64, "depth_seeds": 3, "hess_prompts": 64,
             "hess_at": (250, 750, 1250),
             "noise": {"draws": 500, "batch": 200, "ref_batch": 20_000}, "mc_prompts": 1_000_000,
             "one_layer_lr": 0.005, "n_fixed": 1000},
}

#: the paper's table (from the official plot_condition_number at lr 0.02, 6 seeds): mean (std) over
#: seeds of R_SGD / R_Adam at iterations 750 and 1250, per setting
PAPER_RATIOS = {1: {750: (1.76, 0.40), 1250: (1.58, 0.41)},
                2: {750: (3.14, 0.97), 1250: (5.98, 2.86)},
                3: {750: (9.57, 13.3), 1250: (6.53, 3.55)}}

_CACHE: dict = {}


def _cached(name, budget, seed, fn):
    key = (name, budget, seed)
    if key not in _CACHE:
        _CACHE[key] = fn()
    return _CACHE[key]


def _final(loss_curve, frac=0.1):
    """Final training loss of a run: the median of the per-step training losses (fresh batches) over the
    last 10% of steps (robust to the loss spikes of heavy-tailed batches)."""
    k = max(1, int(len(loss_curve) * frac))
    return float(np.median(loss_curve[-k:]))


def _seeds(budget, seed, key="seeds"):
    return [seed + i for i in range(BUDGET[budget][key])]


def _select_lrs(budget, seed):
    """Per (optimizer, setting) learning rate: at ``full`` the grid LR_GRID is run (2 seeds, 300 steps of
    batch 128) and the lr with the lowest median final loss is kept; at ``fast`` the recorded LR_FAST."""
    if budget == "fast" or not FULL_LR_GRID:
        return dict(LR_FAST), {}

    def run():
        from numerics import linear_attention as nl
        runs = [dict(seed=s, lr=lr, optimizer=o, setting=st, sparse=True) for st in (1, 2, 3)
                for o in ("sgd", "adam") for lr in LR_GRID for s in (seed + 100, seed + 101)]
        out = nl.train(runs, L=3, steps=300, batch=128, record_every=300, n_fixed=100)
        table, best = {}, {}
        for st in (1, 2, 3):
            for o in ("sgd", "adam"):
                meds = []
                for lr in LR_GRID:
                    idx = [i for i, r in enumerate(runs) if (r["setting"], r["optimizer"], r["lr"]) == (st, o, lr)]
                    v = float(np.median([_final(out["loss"][i]) for i in idx]))
                    meds.append(v if np.isfinite(v) else np.inf)
                    table[f"{o}/setting{st}/lr{lr}"] = v
                best[(o, st)] = LR_GRID[int(np.argmin(meds))]
        return best, table

    return _cached("lrs", budget, seed, run)


def _main(budget, seed):
    """The shared 3-layer runs (the code's sparse P, Q): settings 1-3 x {SGD, Adam} x seeds; at ``fast`` the same program
    also trains the depth-2 runs (setting 1) and the 1-layer sparse runs (settings 1, 2) of the other claims."""
    def run():
        from numerics import linear_attention as nl
        b = BUDGET[budget]
        lrs, _ = _select_lrs(budget, seed)
        runs = [dict(seed=s, lr=lrs[(o, st)], optimizer=o, setting=st, sparse=True, tag="main")
                for st in (1, 2, 3) for o in ("sgd", "adam") for s in _seeds(budget, seed)]
        runs += [dict(seed=seed, lr=b["one_layer_lr"], optimizer="adam", setting=st, layers=1, sparse=True,
                      tag="one_layer") for st in (1, 2)]
        if budget == "fast":
            runs += [dict(seed=s, lr=lrs[(o, 1)], optimizer=o, setting=1, layers=2, sparse=True, tag="depth")
                     for o in ("sgd", "adam") for s in _seeds(budget, seed, "depth_seeds")]
        out = nl.train(runs, L=3, steps=b["steps"], batch=b["batch"], record_every=b["record_every"],
                       n_fixed=b["n_fixed"])
        return runs, out

    return _cached("main", budget, seed, run)


def _rows(runs, **sel):
    return [i for i, r in enumerate(runs) if all(r.get(k, 3 if k == "layers" else None) == v
                                                  for k, v in sel.items())]


# ----------------------------------------------------------------------------------------------- 1
@claim(id="linear_attention.optimum_derivation", paper=PAPER,
       theorem=f"derived ({DOC}#what-we-derived); {OPTIMUM}",
       statement="Solving grad_A L(A) = 0 for the one-layer loss built with sympy from Isserlis' theorem "
                 "(d = 2, general symmetric Sigma, symbolic n) gives exactly A* = ((1 + 1/n) Sigma + "
                 "(tr Sigma / n) I)^-1, and for Sigma = I_d (symbolic d) L* = d(d+1)/(n+d+1) for the "
                 "loss E(yhat - y)^2 without a factor 1/2.",
       source="derived", mutations=("drop_trace_term", "loss_with_half"))
def optimum_derivation(budget, seed, mutation):
    """Source: derived here (``theory.linear_attention.derive_optimum``, ``isotropic_optimum``); the result is
    Ahn, Cheng, Daneshmand, Sra 2023 (arXiv:2306.00297) Theorem 1 and Zhang-Frei-Bartlett 2023, not a
    statement of arXiv:2310.01082. Confirmed level: derived (symbolic identity).

    Compared: the sympy stationary point with the closed form (entrywise difference simplified to 0), the
    Isserlis-derived Wishart moment with (1 + 1/n) Sigma B Sigma + (1/n) tr(B Sigma) Sigma, and the symbolic
    isotropic L* with d(d+1)/(n+d+1). Mutated twins (same comparisons): ``drop_trace_term`` compares with
    ((1 + 1/n) Sigma)^-1; ``loss_with_half`` compares the isotropic L* with d(d+1)/(2(n+d+1)), the value of
    the loss normalisation with a factor 1/2. Both must be refuted."""
    import sympy as sp

    from theory import linear_attention as tl
    r = tl.derive_optimum(2)
    Sigma = r["Sigma"]
    cand = tl.optimum_closed_form(Sigma)
    if mutation == "drop_trace_term":
        cand = ((1 + 1 / tl.n) * Sigma).inv()
    eq_A = sp.simplify(r["A_opt"] - cand) == sp.zeros(2, 2)
    a_star, L_star, _ = tl.isotropic_optimum()
    target = tl.d * (tl.d + 1) / (tl.n + tl.d + 1)
    if mutation == "loss_with_half":
        target = target / 2
    eq_L = sp.simplify(L_star - target) == 0
    eq_a = sp.simplify(a_star - tl.n / (tl.n + tl.d + 1)) == 0
    ok = bool(eq_A and eq_L and eq_a and r["moment_ok"] and r["L_opt_ok"])
    return verdict_from(ok, kind="exact", bound="A_opt == A*, L*_iso == d(d+1)/(n+d+1)",
                        observed={"A_opt == candidate": bool(eq_A), "L*_iso == target": bool(eq_L),
                                  "a* == n/(n+d+1)": bool(eq_a), "Wishart moment": r["moment_ok"],
                                  "L(A_opt) == tr S - tr(A* S^2)": r["L_opt_ok"]},
                        message="sympy: stationary point of the Isserlis-built loss vs the closed form",
                        details={"A_opt": str(r["A_opt"]), "L_star_isotropic": str(L_star),
                                 "a_star_isotropic": str(a_star),
                                 "L_star_d5_n20": float(L_star.subs({tl.d: 5, tl.n: 20}))})


# ----------------------------------------------------------------------------------------------- 2
_MC_CASES = (("n=5, Sigma=I", 5, None), ("n=20, Sigma=U diag(2,1,.5,.25,.125) U^T", 20, "aniso"))


def _aniso_sigma():
    rng = np.random.default_rng(7)
    U, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    lam = np.array([2.0, 1.0, 0.5, 0.25, 0.125])
    return U @ np.diag(lam) @ U.T, U @ np.diag(np.sqrt(lam))


@claim(id="linear_attention.mc_loss_at_optimum", paper=PAPER,
       theorem=f"derived ({DOC}#what-we-derived); {OPTIMUM}",
       statement="The Monte Carlo loss E(yhat - y)^2 of the one-layer model set to A* (sparse parameterisation, "
                 "Q' = -A*) equals the closed-form L* = tr Sigma - tr(A* Sigma^2) within 1% for n = 5 "
                 "with Sigma = I and for n = 20 with an anisotropic Sigma = U diag(2, 1, 1/2, 1/4, 1/8) U^T.",
       source="derived", mutations=("n_plus_one",))
def mc_loss_at_optimum(budget, seed, mutation):
    """Source: derived (``theory.linear_attention.optimal_loss``); Ahn et al. 2023's optimum, simulated by
    ``numerics.linear_attention.monte_carlo_loss`` on fresh Gaussian prompts (400 000 per case at fast,
    1 000 000 at full; the standard errors, ~0.3% / 0.2%, are in the details). Confirmed level: derived.

    Mutated twin ``n_plus_one``: the prediction L* computed with n + 1 in place of n (30/11 -> 30/12 for
    d = 5, n = 5 and Sigma = I: 9% off); same comparison, must be refuted."""
    from numerics import linear_attention as nl
    from theory import linear_attention as tl
    S_an, root = _aniso_sigma()

    def run():
        res = []
        for name, n_, kind in _MC_CASES:
            Sigma = S_an if kind == "aniso" else np.eye(5)
            th = nl.sparse_from_matrix(tl.optimal_preconditioner(Sigma, n_))
            res.append(nl.monte_carlo_loss(th, n=n_, prompts=BUDGET[budget]["mc_prompts"], seed=seed,
                                           sigma_sqrt=None if kind is None else root))
        return res

    mc = _cached("mc", budget, seed, run)
    rows = []
    for (name, n_, kind), (m, se) in zip(_MC_CASES, mc):
        Sigma = S_an if kind == "aniso" else np.eye(5)
        pred = tl.optimal_loss(Sigma, n_ + 1 if mutation == "n_plus_one" else n_)
        rows.append({"case": name, "mc": m, "se": se, "predicted": pred, "rel_err": abs(m - pred) / pred})
    worst = max(r["rel_err"] for r in rows)
    return verdict_from(worst <= 0.01, kind="relative_error <= tol", bound=0.01, observed=worst,
                        message="max over cases of |MC loss at A* - L*| / L*", details={"cases": rows})


# ----------------------------------------------------------------------------------------------- 3
@claim(id="linear_attention.one_layer_optimum", paper=PAPER,
       theorem=f"derived ({DOC}#what-we-derived); {OPTIMUM}; training protocol of arXiv:2310.01082 Section 3",
       statement="A one-layer linear Transformer (the code's sparse P, Q) trained with clipped Adam from "
                 "N(0, 0.05^2) on fresh Gaussian prompts converges to A*: the learned -Q'^T (mean of the last "
                 "3 checkpoints and the final point) is within 0.06 of A* in every entry, for n = 20 and n = 5.",
       source="empirical", mutations=("infinite_n",))
def one_layer_optimum(budget, seed, mutation):
    """Source: empirical (our run), against Ahn et al. 2023's A* (n/(n+d+1) I = 0.769 I for n = 20,
    0.455 I for n = 5). Adam lr 0.005, betas (0.9, 0.9), clip 1, batch 128 / 64, 400 (fast) / 1300 (full)
    steps, one seed. Tolerance 0.06 is ours (measured max entry error 0.023 at fast, 0.030 at full).
    Mutated twin ``infinite_n``: compare with the n -> infinity limit Sigma^-1 = I (one plain GD step
    with unit step); must be refuted."""
    from theory import linear_attention as tl
    runs, out = _main(budget, seed)
    errs, mats = [], {}
    for st, n_ in ((1, 20), (2, 5)):
        i = _rows(runs, tag="one_layer", setting=st)[0]
        ths = np.concatenate([out["theta"][i][-3:], out["theta_T"][i][None]])
        Qb = ths.reshape(len(ths), 2, 3, 6, 6)[:, 1, -1, :5, :5].mean(axis=0)
        A_learn = -Qb.T
        A_star = np.eye(5) if mutation == "infinite_n" else tl.optimal_preconditioner(np.eye(5), n_)
        errs.append(float(np.abs(A_learn - A_star).max()))
        mats[n_] = (A_learn, tl.optimal_preconditioner(np.eye(5), n_))
    worst = max(errs)
    return verdict_from(worst <= 0.06, kind="max_violation <= tol", bound=0.06, observed=worst,
                        message="max entry |A_learned - A*| over n in {20, 5}",
                        details={"max_err_n20": errs[0], "max_err_n5": errs[1],
                                 "diag_n20": np.diag(mats[20][0]).tolist(),
                                 "diag_n5": np.diag(mats[5][0]).tolist()},
                        arrays={"A_learned_n20": mats[20][0], "A_star_n20": mats[20][1],
                                "A_learned_n5": mats[5][0], "A_star_n5": mats[5][1],
                                "loss_n20": out["loss"][_rows(runs, tag="one_layer", setting=1)[0]],
                                "loss_n5": out["loss"][_rows(runs, tag="one_layer", setting=2)[0]]})


# ----------------------------------------------------------------------------------------------- 4
def _gap_table(budget, seed):
    runs, out = _main(budget, seed)
    tab = {}
    for st in (1, 2, 3):
        per = {}
        for o in ("sgd", "adam"):
            per[o] = [_final(out["loss"][i]) for i in _rows(runs, tag="main", setting=st, optimizer=o)]
        tab[st] = {"sgd": per["sgd"], "adam": per["adam"], "median_sgd": float(np.median(per["sgd"])),
                   "median_adam": float(np.median(per["adam"]))}
        tab[st]["ratio"] = tab[st]["median_sgd"] / tab[st]["median_adam"]
    return runs, out, tab


def _loss_arrays(runs, out):
    arr = {}
    for st in (1, 2, 3):
        for o in ("sgd", "adam"):
            arr[f"loss_s{st}_{o}"] = out["loss"][_rows(runs, tag="main", setting=st, optimizer=o)]
    return arr


def _adam_vs_sgd(budget, seed, mutation):
    runs, out, tab = _gap_table(budget, seed)
    ratios = {st: (1.0 / t["ratio"] if mutation == "swapped" else t["ratio"]) for st, t in tab.items()}
    worst = min(ratios.values())
    lrs, grid = _select_lrs(budget, seed)
    return verdict_from(worst > 1.0, kind="ratio >= bar", bound=1.0, observed=worst,
                        message="min over settings of median final loss SGD / Adam (3 layers, sparse P, Q)",
                        details={"per_setting": {str(k): v for k, v in tab.items()},
                                 "lr": {f"{o}/setting{st}": v for (o, st), v in lrs.items()},
                                 "lr_grid_median_final_loss": grid,
                                 "ratio_setting3_over_setting1": tab[3]["ratio"] / tab[1]["ratio"]},
                        arrays=_loss_arrays(runs, out))


@claim(id="linear_attention.adam_beats_sgd", paper=PAPER, theorem="Section 3 (Figure 3: SGD vs Adam)",
       statement="With 3 layers (the code's sparse P, Q), 4 seeds, 1300 steps of batch 64 and the lr of each optimizer "
                 "and setting chosen from {0.01, 0.02, 0.05} (LR_FAST), the median over seeds of the final training loss "
                 "is lower for Adam than for SGD with momentum in each of the three settings.",
       source="paper-order", mutations=("swapped",), decides_at="full", expected_full="refuted")
def adam_beats_sgd(budget, seed, mutation):
    """Source: the paper's Figure 3 / Section 3 (Adam trains the linear Transformer faster than SGD); its
    notebooks (train.ipynb, b6ddc35) use lr 0.02 for both, the paper tunes the lr. Confirmed level: the
    paper's text and the official code's protocol (clip 1, SGD momentum 0.9, Adam betas (0.9, 0.9)).
    The final loss is the median training loss over the last 10% of steps. The details also record the
    SGD/Adam ratio in setting 3 over that in setting 1 (the paper: heavy tails do not noticeably widen the
    gap; no claim is made on it). Mutated twin ``swapped``: the ratio Adam/SGD compared with the same bar.

    **Recorded finding at full: refuted.** Measured (seeds 0-3, 1300 steps of batch 64, lr 0.05 / 0.02 /
    0.05 for both optimizers): median final loss SGD / Adam = 0.0114 / 0.0137 in setting 1 (ratio 0.83:
    SGD ahead), 1.099 / 0.852 in setting 2 (1.29), 0.388 / 0.333 in setting 3 (1.17). Setting 1's Adam
    plateaus at ~0.012-0.018 (a constant lr 0.05, picked at batch 128 over 400 steps, is too large for the
    noise floor of batch 64); the lr was not re-tuned at full (``FULL_LR_GRID`` off)."""
    return _adam_vs_sgd(budget, seed, mutation)


@claim(id="linear_attention.adam_beats_sgd_one_seed", paper=PAPER, theorem="Section 3 (Figure 3: SGD vs Adam)",
       statement="With 3 layers (the code's sparse P, Q), one seed, 400 steps of batch 128 and the recorded lrs, Adam's "
                 "final training loss is lower than SGD-momentum's in each of the three settings.",
       source="paper-order", mutations=("swapped",))
def adam_beats_sgd_one_seed(budget, seed, mutation):
    """The fast-tier version of ``adam_beats_sgd``: the same comparison on the fast runs (one seed, 400 steps,
    batch 128, lr from LR_FAST); at ``full`` it runs the full-budget runs of the first seed only.
    Mutated twin ``swapped``: Adam/SGD against the same bar; must be refuted."""
    return _adam_vs_sgd("fast", seed, mutation)


# ----------------------------------------------------------------------------------------------- 5
def _depth_runs(budget, seed):
    if budget == "fast":
        runs, out = _main(budget, seed)
        return runs, out, (2, 3)

    def run():
        from numerics import linear_attention as nl
        b = BUDGET[budget]
        lrs, _ = _select_lrs(budget, seed)
        runs = [dict(seed=s, lr=lrs[(o, 1)], optimizer=o, setting=1, layers=L_, sparse=True, tag="depth")
                for L_ in b["depths"] for o in ("sgd", "adam") for s in _seeds(budget, seed, "depth_seeds")]
        out = nl.train(runs, L=b["L_prog"], steps=b["depth_steps"], batch=b["depth_batch"],
                       record_every=b["depth_steps"], n_fixed=100)
        return runs, out

    runs, out = _cached("depth", budget, seed, run)
    return runs, out, BUDGET[budget]["depths"]


def _depth_gap(budget, seed, mutation):
    runs, out, depths = _depth_runs(budget, seed)
    gaps, per = [], {}
    for L_ in depths:
        tag = "main" if (budget == "fast" and L_ == 3) else "depth"
        med = {o: float(np.median([_final(out["loss"][i]) for i in _rows(runs, tag=tag, setting=1, optimizer=o, layers=L_)]))
               for o in ("sgd", "adam")}
        per[str(L_)] = med
        gaps.append(med["sgd"] / med["adam"])
    if mutation == "reversed":
        gaps = gaps[::-1]
    steps = [gaps[i + 1] / gaps[i] for i in range(len(gaps) - 1)]
    worst = min(steps)
    arrays = {f"loss_L{L_}_{o}": out["loss"][_rows(runs, tag="main" if (budget == "fast" and L_ == 3) else "depth",
                                                   setting=1, optimizer=o, layers=L_)]
              for L_ in depths for o in ("sgd", "adam")}
    return verdict_from(worst > 1.0, kind="ratio >= bar", bound=1.0, observed=worst,
                        message="min over consecutive depths of gap(L_next) / gap(L), gap = median loss SGD / Adam",
                        details={"depths": list(depths), "gap": gaps if mutation != "reversed" else gaps[::-1],
                                 "median_final_loss": per},
                        arrays=arrays | {"depths": np.asarray(depths)})


@claim(id="linear_attention.depth_gap", paper=PAPER, theorem="Section 4 (more layers: Figure 6)",
       statement="In setting 1 (n = 20, Gaussian), with 3 seeds and 400 steps of batch 64, the Adam-SGD gap "
                 "(median final loss of SGD over Adam's) grows with depth: gap(2) < gap(4) < gap(8).",
       source="paper-order", mutations=("reversed",), decides_at="full")
def depth_gap(budget, seed, mutation):
    """Source: the paper's depth study (the gap between Adam and SGD grows with the number of layers; the
    layer counts of its figure are 2, 4, 6, 8); not a theorem. The code's sparse P, Q; lrs of setting 1 from the grid.
    Mutated twin ``reversed``: the gaps read in the opposite depth order; must be refuted."""
    return _depth_gap(budget, seed, mutation)


@claim(id="linear_attention.depth_gap_2_vs_3", paper=PAPER, theorem="Section 4 (more layers: Figure 6)",
       statement="In setting 1, one seed, 400 steps of batch 128: the Adam-SGD gap (final loss of SGD over "
                 "Adam's) is larger with 3 layers than with 2.",
       source="paper-order", mutations=("reversed",))
def depth_gap_2_vs_3(budget, seed, mutation):
    """The fast-tier version of ``depth_gap`` on the shared fast runs (depth 2 and 3 share one compiled
    program). Mutated twin ``reversed``: the gaps in reversed depth order; must be refuted."""
    return _depth_gap("fast", seed, mutation)


# ----------------------------------------------------------------------------------------------- 6
def _tail_stats(x):
    x = np.asarray(x)
    med = np.median(x)
    z = (x - x.mean()) / x.std()
    return {"p99_over_median": float(np.quantile(x, 0.99) / med), "max_over_median": float(x.max() / med),
            "excess_kurtosis": float(np.mean(z**4) - 3.0), "median": float(med)}


@claim(id="linear_attention.heavy_tailed_noise", paper=PAPER, theorem="Section 3 (Figure 4: stochastic gradient noise)",
       statement="At initialisation (3 layers, the code's sparse P, Q), the stochastic-gradient noise norms ||g_B - g_ref|| "
                 "are heavier-tailed with heavy-tailed covariates (setting 3) than with Gaussian ones (setting 1): "
                 "p99/median is at least 1.5x larger.",
       source="paper-order", mutations=("swapped",))
def heavy_tailed_noise(budget, seed, mutation):
    """Source: the paper's noise histograms (heavy-tailed covariates make the noise heavier-tailed); the
    measurement is the official ``plot_stochastic_noise`` (10 000 draws of B = 1000, reference 100 B). Here:
    400 draws of B = 100, reference 10 000 prompts (fast); 500 draws of B = 200, reference 20 000 (full).
    The bar 1.5 is ours (measured 3.15 at fast, 2.45 at full). Excess kurtosis and max/median are in the details (kurtosis
    from a few hundred draws underestimates heavy tails, so no bar is put on it). Mutated twin ``swapped``:
    the Gaussian/heavy ratio against the same bar; must be refuted."""
    from numerics import linear_attention as nl

    def run():
        th0 = np.asarray(nl.init_params(nl.prng_key(seed), 3, sparse=True))
        nz = BUDGET[budget]["noise"]
        return nl.gradient_noise_norms(th0, settings=(1, 3), L=3, sparse=True, seed=seed + 1, **nz)

    norms = _cached("noise", budget, seed, run)
    g, h = _tail_stats(norms[0]), _tail_stats(norms[1])
    ratio = h["p99_over_median"] / g["p99_over_median"]
    if mutation == "swapped":
        ratio = 1.0 / ratio
    return verdict_from(ratio >= 1.5, kind="ratio >= bar", bound=1.5, observed=ratio,
                        message="p99/median of noise norms: heavy-tailed (setting 3) over Gaussian (setting 1)",
                        details={"gaussian": g, "heavy_tailed": h},
                        arrays={"noise_gaussian": norms[0], "noise_heavy": norms[1]})


# ----------------------------------------------------------------------------------------------- 7
def _curvature(budget, seed):
    def run():
        from numerics import linear_attention as nl
        runs, out = _main(budget, seed)
        b = BUDGET[budget]
        idx = _rows(runs, tag="main")
        ck = [t // b["record_every"] for t in b["hess_at"]]
        th = out["theta"][idx][:, ck].reshape(-1, out["theta"].shape[-1])
        up = out["update"][idx][:, ck].reshape(-1, out["theta"].shape[-1])
        sts = np.repeat([runs[i]["setting"] for i in idx], len(ck))
        free = np.flatnonzero(out["mask"][idx[0]])
        diag, ds, gn = nl.curvature_along(th, up, sts, L=3, prompts=b["hess_prompts"], free=free)
        R = np.asarray(nl.robust_condition_number(diag)).reshape(len(idx), len(ck))
        return idx, R, ds.reshape(len(idx), len(ck)), gn.reshape(len(idx), len(ck))

    return _cached("curv", budget, seed, run)


def _condition(budget, seed, mutation, settings):
    runs, out = _main(budget, seed)
    idx, R, ds, gn = _curvature(budget, seed)
    b = BUDGET[budget]
    at = [t for t in b["hess_at"] if budget == "fast" or t in (750, 1250)]
    cols = [b["hess_at"].index(t) for t in at]
    table, obs = {}, []
    for st in settings:
        rs = [j for j, i in enumerate(idx) if runs[i]["setting"] == st and runs[i]["optimizer"] == "sgd"]
        ra = [j for j, i in enumerate(idx) if runs[i]["setting"] == st and runs[i]["optimizer"] == "adam"]
        for t, c in zip(at, cols):
            per_seed = R[rs, c] / R[ra, c]            # seeds pair up in order
            # the median over seeds (= the ratio itself for one seed): a mean of ratios that spread over two
            # orders of magnitude is carried by single seeds in either direction
            ratio = float(np.median(per_seed))
            if mutation == "swapped":
                ratio = float(np.median(R[ra, c] / R[rs, c]))
            obs.append(ratio)
            table[f"setting{st}/iter{t}"] = {"ratio_median": ratio, "ratio_mean": float(np.mean(per_seed)),
                                             "ratio_std": float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else None,
                                             "R_sgd": R[rs, c].tolist(), "R_adam": R[ra, c].tolist(),
                                             "ds_sgd": ds[rs, c].tolist(), "ds_adam": ds[ra, c].tolist(),
                                             "paper": PAPER_RATIOS[st].get(t)}
    worst = min(obs)
    arrays = {"R": R, "ds": ds, "grad_norm": gn, "iters": np.asarray(b["hess_at"]),
              "setting": np.asarray([runs[i]["setting"] for i in idx]),
              "is_adam": np.asarray([runs[i]["optimizer"] == "adam" for i in idx])}
    return verdict_from(worst >= 1.2, kind="ratio >= bar", bound=1.2, observed=worst,
                        message="min over settings and iterations of median-over-seeds R_SGD / R_Adam "
                                "(R = max/median |diag H|)", details={"table": table}, arrays=arrays)


@claim(id="linear_attention.condition_number", paper=PAPER,
       theorem="Section 3 (robust condition number, table of SGD/Adam ratios at iterations 750 and 1250)",
       statement="With 3 layers (the code's sparse P, Q), 4 seeds, 1300 steps of batch 64, the robust condition "
                 "number max/median |diag H| (Hessian on 64 fixed prompts) is larger along SGD than along Adam: the median over seeds of "
                 "R_SGD/R_Adam is >= 1.2 at iterations 750 and 1250 in each of the three settings.",
       source="paper-order", mutations=("swapped",), decides_at="full", expected_full="refuted")
def condition_number(budget, seed, mutation):
    """Source: the paper's robust-condition-number comparison and its table of ratios (mean (std) over 6
    seeds: setting 1 1.76 (0.40), 1.58 (0.41); setting 2 3.14 (0.97), 5.98 (2.86); setting 3 9.57 (13.3),
    6.53 (3.55)), computed by the official ``plot_condition_number`` (sparse P, Q, lr 0.02, Hessian on 1000
    prompts). The bar 1.2 sits one paper standard deviation below setting 1's smaller ratio (1.58 - 0.41);
    every measured ratio is reported beside the paper's in the details (with the mean and std over seeds,
    the paper's statistic). The statistic is the median over seeds of the per-seed ratio: the per-seed R
    spreads over two orders of magnitude and a mean of ratios is carried by single seeds in either
    direction (with the mean, the ``swapped`` twin also cleared its bar at full: min mean R_Adam/R_SGD =
    1.31, so the mean did not decide the statement). Mutated twin ``swapped``: the median over seeds of
    R_Adam/R_SGD against the same bar; must be refuted.

    **Recorded finding at full: refuted.** Measured (seeds 0-3, 1300 steps of batch 64, Hessian on 64
    prompts), per-seed R_SGD/R_Adam at 750 and 1250 (median; mean): setting 1 1.64, 6.45, 0.79, 0.31
    (1.22; 2.30) and 1.11, 1.51, 0.30, 0.38 (0.75; 0.83); setting 2 1.55, 3.64, 1.09, 0.18 (1.32; 1.61)
    and 0.01, 8.73, 5.44, 1.63 (3.53; 3.95); setting 3 1.67, 0.13, 0.24, 3.65 (0.96; 1.42) and 0.01, 0.10,
    1.29, 7.49 (0.70; 2.22). Min median 0.70 < 1.2 (setting 3, it. 1250); the ``swapped`` twin is refuted
    too (min median R_Adam/R_SGD 0.40, setting 2, it. 1250). With 4 seeds neither optimizer has the larger
    R in every setting and iteration; the paper's own stds (13.3 in setting 3) show the same spread."""
    return _condition(budget, seed, mutation, (1, 2, 3))


@claim(id="linear_attention.condition_number_one_seed", paper=PAPER,
       theorem="Section 3 (robust condition number, table of SGD/Adam ratios)",
       statement="With 3 layers (the code's sparse P, Q), one seed and 400 steps of batch 128, the robust condition number "
                 "(Hessian on 64 fixed prompts) at steps 200 and 350 is >= 1.2x larger along SGD than along "
                 "Adam in each of the three settings.",
       source="paper-order", mutations=("swapped",), expected="refuted")
def condition_number_one_seed(budget, seed, mutation):
    """The fast-tier version of ``condition_number`` on the shared fast runs. **Recorded finding: refuted.**
    Measured (seed 0, sparse P, Q, Hessian diagonal on 64 prompts), R_SGD / R_Adam at steps 200, 350:
    setting 1: 158/54.9 = 2.88, 51.1/21.0 = 2.43 (holds, like the paper's 1.76, 1.58); setting 2: 55.3/63.9
    = 0.87, 82.1/60.0 = 1.37; setting 3: 98.6/93.2 = 1.06, 28.9/3834 = 0.0075 (Adam's R jumps on a loss spike
    of the heavy-tailed run). On one short run the ordering holds in setting 1 only; the multi-seed
    statement is ``condition_number`` (full). With the full (d+1) x (d+1) P, Q the same check gave R of
    500-20 000 (many near-zero diagonal entries pull the median down) and ratios 0.17-1.7. Mutated twin
    ``swapped``: R_Adam/R_SGD against the same bar; must be refuted."""
    return _condition("fast", seed, mutation, (1, 2, 3))
