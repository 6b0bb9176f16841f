"""Performance benchmark for the GDA slice (arXiv:2402.10475): the complexity sweep as one jitted,
vmapped JAX computation against a per-instance NumPy loop of the same updates, in the same
process; plus the reproduction of the official code's tuned iteration counts
(HanseulJo/Alex-GDA, ``quadratic-extensive``) on the same instances.

Runs without the official repository. ``--official PATH`` (a checkout of HanseulJo/Alex-GDA) adds
the side-by-side run of the official per-instance code on the same configuration.

    .venv/bin/python benchmarks/gda_sweep.py                      # sweep + reproduction
    .venv/bin/python benchmarks/gda_sweep.py --official /tmp/alexgda --official-seeds 10 \
        --official-alex-seeds 1

Workloads:

* sweep: ``--n`` instances (default 1000) of the official generator's form (d = 100, kappa = 10,
  L_xy swept over [0.3, 3]), Alex-GDA (2, 1) with the brief's step rule, ``--iters`` iterations
  (default 10,000) each, recording the first hitting time of ||z||^2 < eps (and of > 1e6).
  JAX: ``numerics.gda.sweep_hitting`` (one jit; vmapped batches of 100 instances). NumPy: the same block-form updates
  in a Python loop per instance (no early exit, so the same work); timed on ``--numpy-subset``
  instances and extrapolated linearly to ``--n`` (pass ``--numpy-subset N`` to time them all).
* reproduction: the official tuning protocol for seeds (0, 0)-(0, 9) of the kappa = 10, d = 100,
  eps = 1e-8 configuration, vmapped over all step-size factors and (gamma, delta) pairs. Count
  convention of the official code: steps + 1, eps on the squared distance, Sim-GDA as
  (gamma, delta) = (1, 0), divergence when the squared distance exceeds 1e6. The Sim cap is
  ``--sim-cap`` steps (official: 1e6; every tuned Sim count here is below 2,200).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from numerics import gda as ng  # noqa: E402
from theory import gda as tg  # noqa: E402

CONFIG = dict(mu_x=0.1, mu_y=0.1, mu_xy=0.1, L_x=1.0, L_y=1.0, L_xy=1.0, d_x=100, d_y=100)
EPS = 1e-8
#: the authors' logged counts for seeds (0, 0)-(0, 9) of CONFIG (``log_*Lxy1.0_*1e-08*.log``) [V-code]
AUTHORS_LOG = {
    "sim": [1745, 2079, 2013, 1932, 2014, 1923, 2066, 1852, 1993, 2155],
    "alt": [97, 113, 106, 104, 106, 103, 113, 96, 107, 116],
    "alex": [66, 71, 41, 73, 75, 53, 58, 60, 53, 78],
    "alex_gd": [(1.6, 0.7), (1.3, 0.9), (0.7, 2.4), (1.6, 0.7), (1.6, 0.7), (0.8, 1.5),
                (1.5, 0.8), (2.2, 0.7), (0.7, 2.2), (0.7, 2.2)],
}


def grid(start, stop, step):
    """Evenly spaced values rounded to 3 decimals (the official tuning grids)."""
    n = round((stop - start) / step) + 1
    return [round(float(v), 3) for v in np.linspace(start, stop, n)]


FACTORS = grid(0.1, 1.5, 0.1)
GD_GRID = [(g, d) for g in grid(0.5, 3.0, 0.1) for d in grid(0.5, 3.0, 0.1) if not g == d == 1]


# ----------------------------------------------------------------------------- sweep
def sweep_instances(n, seed=0):
    """n instances in the official generator's form, L_xy on a log grid in [0.3, 3]."""
    lxy = np.exp(np.linspace(np.log(0.3), np.log(3.0), n))
    out = []
    for i in range(n):
        cfg = dict(CONFIG, L_xy=float(lxy[i]), mu_xy=float(lxy[i]) / 10)
        a, b, c, x0, y0, _ = ng.official_instance(seed, i, **cfg)
        al, be = tg.step_sizes("alex", cfg["mu_x"], cfg["mu_y"], cfg["L_x"], cfg["L_y"], cfg["L_xy"])
        out.append((a, b, c, x0, y0, al, be))
    return [np.stack([o[j] for o in out]) for j in range(7)], lxy


def numpy_loop(a, b, c, x, y, al, be, gamma, delta, K, eps=EPS, div=1e6):
    """The same block-form updates as ``numerics.gda.block_step`` in a per-instance Python loop."""
    yt = y.copy()
    hit = blow = -1
    dh = np.inf
    for k in range(1, K + 1):
        gx = a * x + b * yt
        xt = x - gamma * al * gx
        x = x - al * gx
        gy = b * xt - c * y
        yt = y + delta * be * gy
        y = y + be * gy
        dist = x @ x + y @ y
        if blow < 0 and dist > div:
            blow = k
        if hit < 0 and blow < 0 and dist < eps:
            hit, dh = k, dist
    return hit, blow, dh


def run_sweep(n, iters, numpy_subset, repeats=2):
    (a, b, c, x0, y0, al, be), lxy = sweep_instances(n)
    f = lambda al, be, a, b, c, x0, y0: ng.sweep_hitting(
        "alex", al, be, a, b, c, x0, y0, EPS, iters, gamma=2.0, delta=1.0)
    args = [jnp.asarray(v) for v in (al, be, a, b, c, x0, y0)]
    t0 = time.perf_counter()
    out = jax.block_until_ready(f(*args))
    t_first = time.perf_counter() - t0
    t_jax = np.inf
    for _ in range(repeats):  # best of `repeats` (the machine may be shared)
        t0 = time.perf_counter()
        out = jax.block_until_ready(f(*args))
        t_jax = min(t_jax, time.perf_counter() - t0)
    hit = np.asarray(out[0])
    m = min(numpy_subset, n)
    idx = np.linspace(0, n - 1, m).astype(int)
    t_np = np.inf
    for _ in range(repeats):  # best of `repeats` passes over the subset
        t0 = time.perf_counter()
        agree = 0
        for i in idx:
            h, _, _ = numpy_loop(a[i], b[i], c[i], x0[i], y0[i], al[i], be[i], 2.0, 1.0, iters)
            agree += int(h == hit[i])
        t_np = min(t_np, (time.perf_counter() - t0) / m * n)
    print(f"[sweep] {n} instances x {iters} iterations (d = 100, Alex(2,1), step rule)")
    print(f"  JAX vmapped: {t_jax:.2f} s, best of {repeats} (first call incl. compile {t_first:.2f} s)")
    print(f"  NumPy per-instance loop: {t_np:.1f} s, best of {repeats} ({'timed on all' if m == n else f'timed on {m}, extrapolated'})"
          f"; hitting times agree on {agree}/{m}")
    print(f"  speed-up: {t_np / t_jax:.1f}x (incl. compile: {t_np / t_first:.1f}x)")
    conv = hit > 0
    print(f"  converged: {conv.sum()}/{n}; iterations to eps at L_xy = 0.3 / 1 / 3: "
          + " / ".join(str(int(hit[np.argmin(np.abs(lxy - v))])) for v in (0.3, 1.0, 3.0)))
    return dict(t_jax=t_jax, t_first=t_first, t_np=t_np, agree=agree, m=m)


# ----------------------------------------------------------------------------- reproduction
def _counts(hit, dh, cap):
    """Official count convention: len(record) = hit + 1, accepted when hit >= 1 and < cap - 1."""
    hit = np.asarray(hit)
    ok = (hit >= 1) & (hit + 1 < cap)
    return np.where(ok, hit + 1, cap), np.where(ok, np.asarray(dh), np.inf)


def _best_over_factors(counts, dists):
    """Per row: the first factor with the smallest count (the official strict-'<' update)."""
    j = np.argmin(counts, axis=-1)
    r = np.arange(counts.shape[0])
    return counts[r, j], dists[r, j], j


def reproduce(seed_init, seed_func, sim_cap):
    a, b, c, x0, y0, _ = ng.official_instance(seed_init, seed_func, **CONFIG)
    a, b, c, x0, y0 = (jnp.asarray(v) for v in (a, b, c, x0, y0))
    fac = np.array(FACTORS)
    mx, my, lx, ly, lxy = (CONFIG[k] for k in ("mu_x", "mu_y", "L_x", "L_y", "L_xy"))
    base_sim = (min(mx / lx**2, mx / lxy**2), min(my / ly**2, my / lxy**2))
    base_alt = (min(1 / lx, 1 / lxy), min(1 / ly, 1 / lxy))

    def hits(al, be, g, d, K):
        f = jax.vmap(lambda al, be, g, d: ng.diag_hitting("alex", al, be, g, d, a, b, c, x0, y0,
                                                          EPS, K))
        return f(jnp.asarray(al), jnp.asarray(be), jnp.asarray(g, float), jnp.asarray(d, float))

    out = {}
    h, _, dh = hits(fac * base_sim[0], fac * base_sim[1], np.ones(15), np.zeros(15), sim_cap)
    cs, _ = _counts(h, dh, 1000 * 1000)
    out["sim"] = int(cs.min())
    h, _, dh = hits(fac * base_alt[0], fac * base_alt[1], np.ones(15), np.ones(15), 1000)
    cs, _ = _counts(h, dh, 1000)
    out["alt"] = int(cs.min())
    G = np.repeat([g for g, _ in GD_GRID], 15)
    D = np.repeat([d for _, d in GD_GRID], 15)
    F = np.tile(fac, len(GD_GRID))
    h, _, dh = hits(F * base_alt[0], F * base_alt[1], G, D, 1000)
    cs, ds = _counts(h, dh, 1000)
    cs, ds = cs.reshape(len(GD_GRID), 15), ds.reshape(len(GD_GRID), 15)
    bc, bd, _ = _best_over_factors(cs, ds)
    order = np.lexsort((np.arange(len(GD_GRID)), bd, bc))  # (count, last value), then grid order
    k = int(order[0])
    out["alex"] = int(bc[k])
    out["alex_gd"] = GD_GRID[k]
    return out


# ----------------------------------------------------------------------------- official code
def load_official(path):
    mod_path = os.path.join(path, "quadratic-extensive", "algo.py")
    if not os.path.exists(mod_path):
        raise SystemExit(f"--official: {mod_path} not found (pass a checkout of HanseulJo/Alex-GDA)")
    spec = importlib.util.spec_from_file_location("alexgda_official_algo", mod_path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def official_tuned(mod, key, gamma, delta, seed_init, seed_func):
    """The official tuning protocol (``run.py``'s tune_GDA, no momentum) driven from here on the
    official ``GDA`` class: best len(record) over the 15 step-size factors. Returns (count, last
    value, iterations executed)."""
    runner = mod.GDA(*(CONFIG[k] for k in ("mu_x", "mu_y", "mu_xy", "L_x", "L_y", "L_xy",
                                           "d_x", "d_y")), seed_init, seed_func)
    mx, my, lx, ly, lxy = (CONFIG[k] for k in ("mu_x", "mu_y", "L_x", "L_y", "L_xy"))
    base = ((min(mx / lx**2, mx / lxy**2), min(my / ly**2, my / lxy**2)) if key == "sim"
            else (min(1 / lx, 1 / lxy), min(1 / ly, 1 / lxy)))
    n_iter = 1000 * 1000 if key == "sim" else 1000
    best, last, steps = n_iter, None, 0
    for fct in FACTORS:
        rec = runner.run(base[0] * fct, base[1] * fct, gamma, delta, n_iter, EPS, False)
        steps += len(rec) - 1
        if len(rec) < best and rec[-1] <= EPS:
            best, last = len(rec), rec[-1]
    return best, last, steps


def run_official(path, seeds, alex_seeds):
    mod = load_official(path)
    rows = []
    for s in range(seeds):
        t0 = time.perf_counter()
        sim, _, st1 = official_tuned(mod, "sim", 1, 0, 0, s)
        alt, _, st2 = official_tuned(mod, "alt", 1, 1, 0, s)
        t_sa = time.perf_counter() - t0
        row = dict(seed=s, sim=sim, alt=alt, t_simalt=t_sa, steps=st1 + st2)
        if s < alex_seeds:
            t0 = time.perf_counter()
            best = (10**9, np.inf, None)
            steps = 0
            for g, d in GD_GRID:
                cnt, last, st = official_tuned(mod, "alex", g, d, 0, s)
                steps += st
                if (cnt, last if last is not None else np.inf) < best[:2]:
                    best = (cnt, last if last is not None else np.inf, (g, d))
            row.update(alex=best[0], alex_gd=best[2], t_alex=time.perf_counter() - t0,
                       alex_steps=steps)
        rows.append(row)
        print(f"  official seed (0,{s}): {row}", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--iters", type=int, default=10_000)
    ap.add_argument("--numpy-subset", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=2, help="timing repeats (best of)")
    ap.add_argument("--seeds", type=int, default=10, help="official seeds (0,0)..(0,seeds-1) to reproduce")
    ap.add_argument("--sim-cap", type=int, default=20_000)
    ap.add_argument("--official", default=None, help="path to a checkout of HanseulJo/Alex-GDA")
    ap.add_argument("--official-seeds", type=int, default=10)
    ap.add_argument("--official-alex-seeds", type=int, default=1,
                    help="seeds on which to run the official (slow) 675 x 15 Alex tuning")
    ap.add_argument("--skip-sweep", action="store_true")
    args = ap.parse_args(argv)
    if args.n < 1 or args.iters < 1 or args.numpy_subset < 1:
        raise SystemExit("--n, --iters and --numpy-subset must be >= 1")
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, numpy {np.__version__}")
    if not args.skip_sweep:
        run_sweep(args.n, args.iters, args.numpy_subset, args.repeats)
    print(f"[reproduction] official protocol, kappa = 10, d = 100, eps = 1e-8, seeds (0,0)-(0,{args.seeds - 1})")
    t0 = time.perf_counter()
    ours = []
    for s in range(args.seeds):
        r = reproduce(0, s, args.sim_cap)
        ours.append(r)
        ok = (r["sim"] == AUTHORS_LOG["sim"][s] and r["alt"] == AUTHORS_LOG["alt"][s]
              and r["alex"] == AUTHORS_LOG["alex"][s] and tuple(r["alex_gd"]) == AUTHORS_LOG["alex_gd"][s])
        print(f"  ours seed (0,{s}): Sim {r['sim']} Alt {r['alt']} Alex {r['alex']} "
              f"(gamma, delta) = {r['alex_gd']}  | authors' log: Sim {AUTHORS_LOG['sim'][s]} "
              f"Alt {AUTHORS_LOG['alt'][s]} Alex {AUTHORS_LOG['alex'][s]} {AUTHORS_LOG['alex_gd'][s]}"
              f"  {'MATCH' if ok else 'DIFFER'}", flush=True)
    t_ours = time.perf_counter() - t0
    per_seed_runs = 15 * (2 + len(GD_GRID))
    print(f"  ours: {t_ours:.1f} s for {args.seeds} seeds ({per_seed_runs} tuned runs per seed, "
          f"all vmapped; incl. compile)")
    if args.official:
        print(f"[official] per-instance NumPy code from {args.official}")
        rows = run_official(args.official, args.official_seeds, args.official_alex_seeds)
        t_sa = sum(r["t_simalt"] for r in rows)
        st = sum(r["steps"] for r in rows)
        print(f"  official Sim+Alt tuning: {t_sa:.1f} s for {len(rows)} seeds "
              f"({st / t_sa:,.0f} iterations/s)")
        for r in rows:
            if "alex" in r:
                print(f"  official Alex tuning, seed (0,{r['seed']}): count {r['alex']} at {r['alex_gd']}, "
                      f"{r['t_alex']:.1f} s ({r['alex_steps'] / r['t_alex']:,.0f} iterations/s)")
        same = all(r["sim"] == o["sim"] and r["alt"] == o["alt"] and
                   ("alex" not in r or (r["alex"] == o["alex"] and tuple(r["alex_gd"]) == tuple(o["alex_gd"])))
                   for r, o in zip(rows, ours))
        print(f"  official vs ours on the same instances: {'identical counts' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
