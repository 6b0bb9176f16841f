"""A small recipe sweep for trained length generalization on addition (arXiv:2405.20671), one seed.

Each variant is ``Recipe.cpu_addition()`` with some knobs changed (width, max_position, lr, steps,
architecture); it is trained through ``numerics.arith_train.run`` (resumable checkpoints and a
cached result under ``--cache``), evaluated by teacher-forced exact match at 5..30 digits, and
its process CPU time is recorded. The weights kept by the recipe's selection rule and the last
step's weights (both read from the run's checkpoint) are evaluated, so one run measures both
rules. The script prints one row per variant and rule (exact match at 10, 15, 20 = 2x the
training length, 25 and 30 digits, CPU-minutes) and writes the rows as JSON and the plot "exact
match at 2x vs CPU-minutes" (``--out``).

    python benchmarks/arith_recipe_sweep.py --cache /tmp/arith_cache --out /tmp/sweep \\
        --variants base gated lr1e-3 maxpos64
    python benchmarks/arith_recipe_sweep.py --cache C --out O \\
        --define 'h64={"d_head": 64}' --variants h64
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from numerics.arith_train import (Recipe, checkpoint_path, evaluate_grid, load_checkpoint,  # noqa: E402
                                  model_config, run)

EVAL_DIGITS = (5, 10, 12, 15, 18, 20, 25, 30)
MO_DIGITS, MO_OPERANDS = tuple(range(1, 9)), tuple(range(2, 9))      # multi_operand grid
MO_SHOWN = ("5x5", "6x6", "7x7", "8x8", "8x5", "5x8")                  # digits x operands printed

# Overrides of Recipe.cpu_addition() (or, with --task multi_operand, of Recipe.cpu_multi_operand()).
# "base" is the preset itself: width 128, 4 heads of dimension 128, GELU MLP, pre-RMSNorm, untied.
_GATED = dict(ffn="gated", norm_position="pre_post")          # the paper's block
VARIANTS = {
    "base": {},
    "w256_gated": dict(d_model=256, d_head=64, d_ff=1024, **_GATED),   # the preset before the sweep
    "small": dict(d_head=32, **_GATED),
    "small_tied": dict(d_head=32, tie_embeddings=True, readout_bias=False, **_GATED),
    "gated": dict(**_GATED),
    "h256x2": dict(n_heads=2, d_head=256),
    "wd": dict(weight_decay=0.1),
    "lr1e-3": dict(lr=1e-3),
    "lr1e-4": dict(lr=1e-4),
    "maxpos64": dict(max_position=64),
    "batch256": dict(batch=256, steps=2500),
    "steps10000": dict(steps=10000),
    "last": dict(select="last"),
    "nope": dict(positions="nope"),
    "ape": dict(positions="ape", max_position=104),
    "tied": dict(tie_embeddings=True, readout_bias=False),
}


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _plot(rows: dict, seed: int, path: str) -> None:
    """Exact match at the criterion's cell (addition: 20 digits = 2x; multi-operand: 8 digits x 8
    operands) against the training run's CPU-minutes, one point per variant and selection rule."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [(t, {k: v for k, v in rows.items() if v.get("task", "addition") == t})
              for t in ("addition", "multi_operand")]
    panels = [(t, rs) for t, rs in panels if rs]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.0 * len(panels), 4.4), squeeze=False)
    for ax, (task, rs) in zip(axes[0], panels):
        cell = "20" if task == "addition" else "8x8"
        for k, (name, row) in enumerate(sorted((n, r) for n, r in rs.items() if not n.endswith("@last"))):
            x = row["cpu_minutes_this_call"] if row["cpu_minutes_this_call"] > 0.5 else row["train_seconds"] / 60
            y = row["em"].get(cell, float("nan"))
            c = f"C{k % 10}"
            ax.scatter(x, y, color=c, s=28, label=f"{name} ({row.get('rule', 'val_loss')})")
            last = rs.get(name + "@last")
            if last is not None:
                ax.scatter(x, last["em"].get(cell, float("nan")), facecolors="none", edgecolors=c, s=28)
        ax.scatter([], [], facecolors="none", edgecolors="k", s=28, label="same run, last step")
        ax.axhline(0.95 if task == "addition" else 0.9, ls="--", c="k", lw=1,
                   label="claim's bar" + (" 0.95" if task == "addition" else " 0.9"))
        ax.set_xlabel("training run (process CPU-minutes)")
        ax.set_ylabel("exact match at 20 digits (2x training max)" if task == "addition"
                      else "exact match at 8 digits x 8 operands")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlim(left=0)
        ax.legend(fontsize=6.5, loc="best")
        ax.set_title(("Addition, coupled positions" if task == "addition" else
                      "Multi-operand, scratchpad + bi-level coupling") + f", seed {seed}", fontsize=9)
    fig.tight_layout()
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=150)
    os.replace(tmp, path)
    plt.close(fig)


def _define(text: str):
    name, _, js = text.partition("=")
    if not name or not js:
        raise argparse.ArgumentTypeError(f"--define wants NAME=JSON, got {text!r}")
    try:
        kw = json.loads(js)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"--define {name}: not JSON ({e})") from None
    if not isinstance(kw, dict):
        raise argparse.ArgumentTypeError(f"--define {name}: the JSON must be an object of Recipe fields")
    return name, {k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--define", type=_define, action="append", default=[], metavar="NAME=JSON",
                    help="a variant: Recipe.cpu_addition() fields to override, as a JSON object")
    ap.add_argument("--variants", nargs="+", default=["base"],
                    help="variants to run: " + ", ".join(sorted(VARIANTS)) + ", or a --define name")
    ap.add_argument("--task", choices=("addition", "multi_operand"), default="addition",
                    help="addition: variants of Recipe.cpu_addition(), evaluated at 5..30 digits; "
                         "multi_operand: variants of Recipe.cpu_multi_operand(), evaluated on "
                         "1-8 digits x 2-8 operands")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-eval", type=int, default=None, help="problems per cell (300; 100 for multi_operand)")
    ap.add_argument("--cache", required=True, help="folder for checkpoints and cached runs")
    ap.add_argument("--out", required=True, help="folder for sweep.json and sweep.png")
    a = ap.parse_args(argv)
    variants = dict(VARIANTS, **dict(a.define))
    unknown = [v for v in a.variants if v not in variants]
    if unknown:
        ap.error(f"--variants: unknown {unknown}; known: {sorted(variants)}")
    mo = a.task == "multi_operand"
    preset = Recipe.cpu_multi_operand if mo else Recipe.cpu_addition
    a.n_eval = a.n_eval if a.n_eval is not None else (100 if mo else 300)
    if a.seed < 0 or a.n_eval < 1:
        ap.error("--seed must be >= 0 and --n-eval >= 1")
    for name in a.variants:                      # every recipe is valid before any training
        try:
            preset(**variants[name])
        except (TypeError, ValueError) as e:
            ap.error(f"variant {name}: {e}")
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "sweep.json")
    rows = json.load(open(path)) if os.path.exists(path) else {}
    for name in a.variants:
        r = preset(**variants[name])
        if mo:
            digits, ops = MO_DIGITS, MO_OPERANDS
        else:
            digits, ops = tuple(d for d in EVAL_DIGITS if d + 2 <= r.max_position - 1), (2,)
        c0, t0 = cpu_seconds(), time.perf_counter()
        res = run(r, a.seed, digits, ops, n_eval=a.n_eval, cache_dir=a.cache, progress=True)
        cpu = cpu_seconds() - c0
        last, _, meta = load_checkpoint(r, a.seed, checkpoint_path(r, a.seed, a.cache))
        g_last = evaluate_grid(last, model_config(r), r, a.seed, digits, ops, n_eval=a.n_eval)
        # cell names: "DxM" on the multi-operand grid, the digit count for addition
        cells = [[f"{d}x{m}" if mo else int(d) for m in ops] for d in digits]
        for rule, g in (("", res), ("@last", g_last)):
            name_r = ("mo:" if mo else "") + name + rule
            by_cell = {k: {cells[i][j]: float(g[k][i, j]) for i in range(len(digits))
                           for j in range(len(ops))} for k in ("em", "digits_only", "eos")}
            em = by_cell["em"]
            shown = " ".join(f"{c}:{em.get(c, float('nan')):.2f}" for c in (MO_SHOWN if mo else EVAL_DIGITS))
            rows[name_r] = {
                "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in variants[name].items()},
                "rule": r.select if not rule else "last", **by_cell,
                "train_seconds": float(res["train_seconds"]), "cpu_minutes_this_call": cpu / 60,
                "wall_minutes_this_call": (time.perf_counter() - t0) / 60,
                "selected_step": int(res["selected_step"]) if not rule else int(meta["done"]),
                "task": r.task, "steps": r.steps, "val_steps": [int(x) for x in res["val_steps"]],
                "val_loss": [float(x) for x in res["val_loss"]],
                "final_train_loss": float(np.mean(res["loss"][-100:]))}
            print(f"{name_r:16s} {shown}  train {float(res['train_seconds']) / 60:.1f} min wall, "
                  f"this call {cpu / 60:.1f} CPU-min, kept step {rows[name_r]['selected_step']}/"
                  f"{r.steps}", flush=True)
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(rows, fh, indent=1)
        os.replace(tmp, path)
    _plot(rows, a.seed, os.path.join(a.out, "sweep.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
