"""The GDA slice (arXiv:2402.10475) against the official code on the official protocol.

The official experiment (HanseulJo/Alex-GDA at e8a912f, ``quadratic-extensive``) tunes Sim-, Alt-
and Alex-GDA per instance: 15 step-size factors for Sim and Alt, and 15 factors x 675
(gamma, delta) pairs for Alex, each run stopping as soon as ||z||^2 < eps or > 1e6. The toolkit
runs the same protocol as one early-exit sweep (``numerics.gda.official_tuning``, built on
``numerics.gda.hitting_early``). This script runs both on the same instances, step sizes and
stopping rule, interleaved in one process, and prints counts-equal and time ratios.

    python benchmarks/gda_sweep.py                        # ours only: the authors' logged counts
    python benchmarks/gda_sweep.py --official /path/to/Alex-GDA          # side by side
    python benchmarks/gda_sweep.py --official PATH --published            # + all 30 seeds of a
                                                                          #   published configuration

Sections (each printed with its ratio official / ours; "end to end" includes building the
instances, "runs only" times the iterations alone):

* tuned points: seeds (0, 0)..(0, k-1), each method at its tuned (factor, gamma, delta), repeated
  ``--repeats`` times A B A B (min and median of the ratios).
* factor grid: Alt-GDA over the 15 official factors on the same seeds.
* whole tuning of one seed: Sim + Alt + the 675-pair Alex grid (10,155 runs), official vs ours.
* ``--published``: ours on all 30 seeds (seed_init 0..2 x seed_func 0..9) of the configuration,
  compared with the official CSV of counts in the checkout, and the wall time.

The official code stays outside this repository; ``--official`` loads its ``algo.py`` by path.
"""
from __future__ import annotations

import argparse
import csv
import glob
import importlib.util
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from numerics import gda as ng  # noqa: E402

CONFIG = dict(mu_x=0.1, mu_y=0.1, mu_xy=0.1, L_x=1.0, L_y=1.0, L_xy=1.0, d_x=100, d_y=100)
EPS = 1e-8
#: the authors' logged counts for seeds (0, 0)-(0, 9) of CONFIG (official ``log_*Lxy1.0_*1e-08*.log``)
AUTHORS_LOG = {
    "sim": [1745, 2079, 2013, 1932, 2014, 1923, 2066, 1852, 1993, 2155],
    "alt": [97, 113, 106, 104, 106, 103, 113, 96, 107, 116],
    "alex": [66, 71, 41, 73, 75, 53, 58, 60, 53, 78],
    "alex_gd": [(1.6, 0.7), (1.3, 0.9), (0.7, 2.4), (1.6, 0.7), (1.6, 0.7), (0.8, 1.5),
                (1.5, 0.8), (2.2, 0.7), (0.7, 2.2), (0.7, 2.2)],
}
KEYS = ("mu_x", "mu_y", "mu_xy", "L_x", "L_y", "L_xy", "d_x", "d_y")


def base_steps(method, cfg=CONFIG):
    mx, my, lx, ly, lxy = (cfg[k] for k in ("mu_x", "mu_y", "L_x", "L_y", "L_xy"))
    if method == "sim":
        return min(mx / lx**2, mx / lxy**2), min(my / ly**2, my / lxy**2)
    return min(1 / lx, 1 / lxy), min(1 / ly, 1 / lxy)


GD = {"sim": (1.0, 0.0), "alt": (1.0, 1.0)}
CAP = {"sim": 1000 * 1000, "alt": 1000, "alex": 1000}


def load_official(path):
    mod_path = os.path.join(path, "quadratic-extensive", "algo.py")
    if not os.path.exists(mod_path):
        raise SystemExit(f"--official: {mod_path} not found (pass a checkout of HanseulJo/Alex-GDA)")
    spec = importlib.util.spec_from_file_location("alexgda_official_algo", mod_path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ----------------------------------------------------------------------------- one side each
def official_runs(mod, seeds, runs, cfg=CONFIG):
    """The official ``GDA`` class: build each seed's instance, then every (factor, method, gamma,
    delta) run of ``runs``. Returns (counts per seed and run, seconds end to end, seconds of runs)."""
    t0 = time.perf_counter()
    t_runs = 0.0
    counts = []
    for si, sf in seeds:
        g = mod.GDA(*(cfg[k] for k in KEYS), si, sf)
        t1 = time.perf_counter()
        row = []
        for method, fct, gm, dl in runs:
            al, be = (v * fct for v in base_steps(method, cfg))
            rec = g.run(al, be, gm, dl, CAP[method], EPS, False)
            row.append(len(rec) if (len(rec) < CAP[method] and rec[-1] <= EPS) else CAP[method])
        t_runs += time.perf_counter() - t1
        counts.append(row)
    return np.array(counts), time.perf_counter() - t0, t_runs


def our_runs(seeds, runs, cfg=CONFIG):
    """The toolkit: the instances of all seeds (``official_instances``), then every run of every
    seed as one early-exit sweep per cap (``hitting_early``). Same return as official_runs."""
    t0 = time.perf_counter()
    a, b, c, x0, y0 = ng.official_instances(seeds, *(cfg[k] for k in KEYS))
    t1 = time.perf_counter()
    S, R = len(seeds), len(runs)
    counts = np.zeros((S, R), int)
    for cap in sorted({CAP[m] for m, *_ in runs}):
        idx = [j for j, (m, *_r) in enumerate(runs) if CAP[m] == cap]
        al = np.array([base_steps(runs[j][0], cfg)[0] * runs[j][1] for j in idx])
        be = np.array([base_steps(runs[j][0], cfg)[1] * runs[j][1] for j in idx])
        gm = np.array([runs[j][2] for j in idx], float)
        dl = np.array([runs[j][3] for j in idx], float)
        rep = lambda v: jnp.asarray(np.tile(v, S))
        inst = lambda v: jnp.asarray(np.repeat(v, len(idx), axis=0))
        h, _, dh, _ = jax.block_until_ready(ng.hitting_early(
            rep(al), rep(be), rep(gm), rep(dl), inst(a), inst(b), inst(c), inst(x0), inst(y0),
            EPS, cap, batch_size=64))
        h = np.asarray(h).reshape(S, len(idx))
        counts[:, idx] = np.where((h >= 1) & (h + 1 < cap), h + 1, cap)
    t2 = time.perf_counter()
    return counts, t2 - t0, t2 - t1


def interleaved(label, seeds, runs, mod, repeats):
    """A B A B ... with the official code and ours; prints counts-equal and ratio min/median."""
    our_runs(seeds[:1], runs[:1])  # compile outside the timing (the first call of each shape)
    our_runs(seeds, runs)
    r_e2e, r_runs, same = [], [], True
    for _ in range(repeats):
        co, te_o, tr_o = official_runs(mod, seeds, runs)
        cu, te_u, tr_u = our_runs(seeds, runs)
        same &= bool(np.array_equal(co, cu))
        r_e2e.append(te_o / te_u)
        r_runs.append(tr_o / tr_u)
    n = len(seeds) * len(runs)
    print(f"[{label}] {len(seeds)} seeds x {len(runs)} runs = {n} runs; counts "
          f"{'IDENTICAL' if same else 'DIFFERENT'} ({n} of {n} compared)")
    print(f"  official {te_o:.2f} s end to end ({tr_o:.2f} s runs); ours {te_u:.3f} s ({tr_u:.3f} s runs)")
    print(f"  ratio official/ours: end to end min {min(r_e2e):.1f}x median {statistics.median(r_e2e):.1f}x; "
          f"runs only min {min(r_runs):.1f}x median {statistics.median(r_runs):.1f}x ({repeats} repeats)")
    return same


def whole_tuning_official(mod, seed, cfg=CONFIG):
    """One seed's whole official tuning (run.py's tune_GDA for Sim, Alt and the 675 Alex pairs)."""
    runs = ([("sim", f, 1.0, 0.0) for f in ng.OFFICIAL_FACTORS]
            + [("alt", f, 1.0, 1.0) for f in ng.OFFICIAL_FACTORS]
            + [("alex", f, g, d) for g, d in ng.OFFICIAL_GD_GRID for f in ng.OFFICIAL_FACTORS])
    t0 = time.perf_counter()
    g = mod.GDA(*(cfg[k] for k in KEYS), *seed)
    best = {"sim": CAP["sim"], "alt": CAP["alt"]}
    alex = {}
    for method, fct, gm, dl in runs:
        al, be = (v * fct for v in base_steps(method, cfg))
        rec = g.run(al, be, gm, dl, CAP[method], EPS, False)
        ok = len(rec) < CAP[method] and rec[-1] <= EPS
        if method == "alex":
            cur = alex.get((gm, dl), (CAP["alex"], np.inf))
            if ok and len(rec) < cur[0]:
                alex[(gm, dl)] = (len(rec), rec[-1])
            else:
                alex.setdefault((gm, dl), cur)
        elif ok and len(rec) < best[method]:
            best[method] = len(rec)
    k = min(alex, key=lambda p: alex[p])
    return {"sim": best["sim"], "alt": best["alt"], "alex": alex[k][0], "alex_gd": k}, \
        time.perf_counter() - t0


def published_csv(path, cfg, eps):
    pat = os.path.join(path, "quadratic-extensive",
                       f"GradCplxt_\u03bcx{cfg['mu_x']}_\u03bcy{cfg['mu_y']}_\u03bcxy{cfg['mu_xy']}_"
                       f"Lx{cfg['L_x']}_Ly{cfg['L_y']}_Lxy{cfg['L_xy']}_\u03f5{eps}_dx{cfg['d_x']}_"
                       f"dy{cfg['d_y']}_T1000.csv")
    files = glob.glob(pat)
    if not files:
        return None
    with open(files[0]) as fh:
        rows = list(csv.DictReader(fh))
    return {k: [int(r[col]) for r in rows] for k, col in
            (("sim", "SimGDA"), ("alt", "AltGDA"), ("alex", "AlexGDA"))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", default=None, help="path to a checkout of HanseulJo/Alex-GDA")
    ap.add_argument("--seeds", type=int, default=5, help="seeds (0,0)..(0,k-1) for the tuned points")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (A B A B ...)")
    ap.add_argument("--published", action="store_true",
                    help="also run all 30 seeds of the published configuration (ours) against its CSV")
    ap.add_argument("--skip-whole", action="store_true", help="skip the one-seed whole-tuning comparison")
    args = ap.parse_args(argv)
    if not 1 <= args.seeds <= 10 or args.repeats < 1:
        raise SystemExit("--seeds must be in 1..10 and --repeats >= 1")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    seeds = [(0, s) for s in range(args.seeds)]

    # ours: the authors' logged tuned counts on seeds (0,0)..(0,9)
    t0 = time.perf_counter()
    ours = ng.official_tuning([(0, s) for s in range(10)], *(CONFIG[k] for k in KEYS), eps=EPS)
    t_ours = time.perf_counter() - t0
    match = sum(o["sim"] == AUTHORS_LOG["sim"][s] and o["alt"] == AUTHORS_LOG["alt"][s]
                and o["alex"] == AUTHORS_LOG["alex"][s] and o["alex_gd"] == AUTHORS_LOG["alex_gd"][s]
                for s, o in enumerate(ours))
    print(f"[ours] official protocol on seeds (0,0)..(0,9) (Sim, Alt, 675 x 15 Alex runs each): "
          f"{match}/10 seeds match the authors' logged counts and best (gamma, delta); "
          f"{t_ours:.1f} s incl. compile")
    if not args.official:
        print("(pass --official PATH for the side-by-side comparison)")
        return
    mod = load_official(args.official)
    ok = True
    tuned = [[("sim", o["sim_factor"], 1.0, 0.0), ("alt", o["alt_factor"], 1.0, 1.0),
              ("alex", o["alex_factor"], *o["alex_gd"])] for o in ours[:args.seeds]]
    # every seed's tuned points (the union over seeds, so each seed runs all of them)
    runs = list(dict.fromkeys(r for t in tuned for r in t))
    ok &= interleaved("tuned points", seeds, runs, mod, args.repeats)
    ok &= interleaved("Alt-GDA factor grid", seeds,
                      [("alt", f, 1.0, 1.0) for f in ng.OFFICIAL_FACTORS], mod, args.repeats)
    if not args.skip_whole:
        res_o, t_o = whole_tuning_official(mod, (0, 0))
        t0 = time.perf_counter()
        res_u = ng.official_tuning([(0, 0)], *(CONFIG[k] for k in KEYS), eps=EPS)[0]
        t_u = time.perf_counter() - t0
        same = all(res_o[k] == res_u[k] for k in ("sim", "alt", "alex")) and \
            tuple(res_o["alex_gd"]) == tuple(res_u["alex_gd"])
        ok &= same
        print(f"[whole tuning, seed (0,0)] 10,155 runs: official {t_o:.1f} s, ours {t_u:.2f} s end to end "
              f"(compiled): {t_o / t_u:.1f}x; results {'IDENTICAL' if same else 'DIFFERENT'} "
              f"(official {res_o}, ours Sim {res_u['sim']} Alt {res_u['alt']} Alex {res_u['alex']} "
              f"{res_u['alex_gd']})")
    if args.published:
        logged = published_csv(args.official, CONFIG, EPS)
        all_seeds = [(si, sf) for si in range(3) for sf in range(10)]
        t0 = time.perf_counter()
        res = ng.official_tuning(all_seeds, *(CONFIG[k] for k in KEYS), eps=EPS)
        t = time.perf_counter() - t0
        if logged is None:
            print("[published] no official CSV for this configuration in the checkout")
        else:
            eq = sum(all(r[k] == logged[k][i] for k in ("sim", "alt", "alex")) for i, r in enumerate(res))
            ok &= eq == len(res)
            print(f"[published configuration, all 30 seeds] ours {t:.1f} s; {eq}/30 seeds identical "
                  "to the official CSV (Sim, Alt, Alex counts)")
    print("ALL COUNTS IDENTICAL" if ok else "SOME COUNTS DIFFER")


if __name__ == "__main__":
    main()
