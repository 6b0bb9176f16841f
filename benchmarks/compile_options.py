"""XLA compile options: each paper's fast checks under XLA's default LLVM level and under the
toolkit's (``numerics.jit``), interleaved in one run.

For every paper named, ``theory-verify check PAPER --twins --no-cache`` runs in a fresh process
(cold: nothing compiled yet, as in CI) once with ``TV_XLA_OPT_LEVEL=default`` (XLA's own level)
and once with the toolkit's level, pinned to one core where the OS allows it. The script prints
each run's CPU seconds, the ratio default / toolkit, whether every verdict's status is the same,
and how many observed values differ (and the largest relative difference: rounding).

    python benchmarks/compile_options.py plasticity fair_pca gda
    python benchmarks/compile_options.py --repeats 2 --all
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from suite import fresh_env, run_paper  # noqa: E402


def run_once(paper: str, level: str, core: int | None, out: str) -> tuple[float, list]:
    """CPU seconds and the JSON verdicts of one cold, single-threaded run at LLVM ``level``."""
    env = fresh_env(TV_XLA_OPT_LEVEL=level, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false",
                    OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    pre = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    cpu, _, _ = run_paper(paper, "fast", env, extra_args=("--json", out), preexec_fn=pre)
    with open(out) as fh:
        claims = json.load(fh)["claims"]
    return cpu, claims


def _compare(a: list, b: list) -> tuple[bool, int, float]:
    same_status, n_diff, rel = True, 0, 0.0
    for x, y in zip(a, b):
        vx, vy = x["verdict"] or {}, y["verdict"] or {}
        same_status &= vx.get("status") == vy.get("status")
        ox, oy = vx.get("observed"), vy.get("observed")
        if ox != oy:
            n_diff += 1
            try:
                fx, fy = (float(v) for v in (ox, oy))
                rel = max(rel, abs(fx - fy) / max(abs(fx), abs(fy), 1e-300))
            except (TypeError, ValueError):
                rel = float("nan")
    return same_status and len(a) == len(b), n_diff, rel


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("papers", nargs="*", help="papers to run (or --all)")
    ap.add_argument("--all", action="store_true", help="every paper")
    ap.add_argument("--repeats", type=int, default=1, help="interleaved repetitions (default 1)")
    ap.add_argument("--core", type=int, default=0, help="CPU core to pin the runs to (-1: no pinning)")
    a = ap.parse_args(argv)
    from proofs_check.core import PAPERS
    papers = list(PAPERS) if a.all else a.papers
    if not papers:
        ap.error("name at least one paper, or --all")
    bad = [p for p in papers if p not in PAPERS]
    if bad:
        ap.error(f"unknown papers {bad}; known: {', '.join(PAPERS)}")
    if a.repeats < 1:
        ap.error("--repeats must be >= 1")
    core = None if a.core < 0 or not hasattr(os, "sched_setaffinity") else a.core
    from numerics.jit import OPT_LEVEL
    mine = "default" if OPT_LEVEL is None else str(OPT_LEVEL)
    print(f"toolkit level {mine} vs XLA default; {a.repeats} interleaved repeat(s), "
          f"{'core ' + str(core) if core is not None else 'unpinned'}; cold processes", flush=True)
    print(f"{'paper':18s} {'default CPU-s':>14s} {'toolkit CPU-s':>14s} {'ratio':>6s}  statuses  observed differing")
    tot = [0.0, 0.0]
    with tempfile.TemporaryDirectory() as tmp:
        for p in papers:
            cd, cm = [], []
            for r in range(a.repeats):
                t, ca = run_once(p, "default", core, os.path.join(tmp, f"{p}.d.json"))
                cd.append(t)
                t, cb = run_once(p, mine, core, os.path.join(tmp, f"{p}.m.json"))
                cm.append(t)
            same, nd, rel = _compare(ca, cb)
            d, m = min(cd), min(cm)
            tot[0] += d
            tot[1] += m
            print(f"{p:18s} {d:14.1f} {m:14.1f} {d / m:6.2f}  {'same' if same else 'DIFFER':8s}  "
                  f"{nd}/{len(ca)} (max rel {rel:.1e})", flush=True)
    print(f"{'total':18s} {tot[0]:14.1f} {tot[1]:14.1f} {tot[0] / tot[1]:6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
