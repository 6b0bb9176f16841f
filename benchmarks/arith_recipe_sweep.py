"""A small recipe sweep for trained length generalization on addition (arXiv:2405.20671), one seed.

Each variant is ``Recipe.cpu_addition()`` with some knobs changed (width, max_position, lr, steps,
architecture); it is trained through ``numerics.arith_train.run`` (resumable checkpoints and a
cached result under ``--cache``), evaluated by teacher-forced exact match at 5..30 digits, and
its process CPU time is recorded. The script prints one row per variant (exact match at 10, 15,
20 = 2x the training length, 25 and 30 digits, CPU-minutes) and writes the rows as JSON and the
plot "exact match at 2x vs CPU-minutes" (``--out``).

    python benchmarks/arith_recipe_sweep.py --cache /tmp/arith_cache --out /tmp/sweep \\
        --variants base small lr1e-3 maxpos40
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from numerics.arith_train import Recipe, run  # noqa: E402

EVAL_DIGITS = (5, 10, 12, 15, 18, 20, 25, 30)

VARIANTS = {
    "base": {},
    "small": dict(d_model=128, d_head=32, d_ff=512),
    "mlp": dict(ffn="mlp", norm_position="pre"),
    "tied": dict(tie_embeddings=True, readout_bias=False),
    "small_tied": dict(d_model=128, d_head=32, d_ff=512, tie_embeddings=True, readout_bias=False),
    "lr1e-3": dict(lr=1e-3),
    "lr1e-4": dict(lr=1e-4),
    "maxpos40": dict(max_position=40, val_digits=20),
    "steps2500": dict(steps=2500),
    "steps10000": dict(steps=10000),
    "dff512": dict(d_ff=512),
    "last": dict(select="last"),
    "nope": dict(positions="nope"),
    "ape": dict(positions="ape", max_position=100),
}


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", nargs="+", default=["base"], choices=sorted(VARIANTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-eval", type=int, default=300)
    ap.add_argument("--cache", required=True, help="folder for checkpoints and cached runs")
    ap.add_argument("--out", required=True, help="folder for sweep.json and sweep.png")
    a = ap.parse_args(argv)
    if a.seed < 0 or a.n_eval < 1:
        raise SystemExit("--seed must be >= 0 and --n-eval >= 1")
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "sweep.json")
    rows = json.load(open(path)) if os.path.exists(path) else {}
    for name in a.variants:
        r = Recipe.cpu_addition(**VARIANTS[name])
        digits = tuple(d for d in EVAL_DIGITS if d + 2 <= r.max_position - 1)
        c0, t0 = cpu_seconds(), time.perf_counter()
        res = run(r, a.seed, digits, (2,), n_eval=a.n_eval, cache_dir=a.cache, progress=True)
        cpu = cpu_seconds() - c0
        em = {int(d): float(e) for d, e in zip(digits, res["em"][:, 0])}
        rows[name] = {"overrides": VARIANTS[name], "em": em,
                      "train_seconds": float(res["train_seconds"]),
                      "cpu_minutes_this_call": cpu / 60, "wall_minutes_this_call": (time.perf_counter() - t0) / 60,
                      "selected_step": int(res["selected_step"]), "steps": r.steps}
        print(f"{name:10s} " + " ".join(f"{d}:{em.get(d, float('nan')):.2f}" for d in (10, 15, 20, 25, 30))
              + f"  train {float(res['train_seconds']) / 60:.1f} min wall, this call {cpu / 60:.1f} CPU-min"
              f", selected step {int(res['selected_step'])}/{r.steps}", flush=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(rows, fh, indent=1)
        os.replace(tmp, path)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, row in rows.items():
        x = row["cpu_minutes_this_call"] if row["cpu_minutes_this_call"] > 0.5 else row["train_seconds"] / 60
        ax.scatter(x, row["em"].get("20", row["em"].get(20, float("nan"))), label=name)
    ax.axhline(0.95, ls="--", c="k", lw=1, label="paper's bar 0.95")
    ax.set_xlabel("training cost (CPU-minutes)")
    ax.set_ylabel("exact match at 20 digits (2x training length)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("Addition, coupled positions, seed %d" % a.seed, fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "sweep.png"), dpi=150)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
