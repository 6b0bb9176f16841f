"""Parallel checks: the fast ``check`` serially and on local Dask workers, and the projected scaling of
the full-budget Alex-GDA published-configuration tuning (``gda.official_tuned_counts``) by job count.

    PYTHONPATH=. .venv/bin/python benchmarks/parallel.py                 # both parts
    PYTHONPATH=. .venv/bin/python benchmarks/parallel.py --papers gda catapult --jobs 2 --repeats 2
    PYTHONPATH=. .venv/bin/python benchmarks/parallel.py --skip-check --full-run 2

Part 1 (``--papers``, default ``gda``: a subset, since the whole fast tier takes minutes): the
command a user runs, ``theory-verify check PAPERS --twins -q --no-cache``, as a fresh process, once
serially and once with ``--jobs N``, interleaved ``--repeats`` times in this one run; prints each
wall time and the ratio serial / parallel (best of the repeats). Both include process start-up,
imports and JIT compilation; the parallel one also starts the LocalCluster and imports the claim
modules on every worker.

Part 2: the full-budget claim has one shard per official seed pair (30). A sample of
``--sample`` shards is run here one after another and timed (the first includes JIT compilation,
reported apart); the projection for N workers schedules the 30 shards longest-first onto N
workers with the measured mean shard time (plus one compilation per worker and the measured
cluster start-up) and prints the projected wall time and speed-up for N = 1, 2, 4, 8, 16, 30.
``--full-run N`` also runs the whole claim through ``--jobs N`` and prints the measured wall time
beside the projection.

The machine may be shared: every time printed is wall-clock on this machine at this load; the
ratios are the comparable numbers.
"""
from __future__ import annotations

import argparse
import heapq
import os
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)


def _cli(args, env=None) -> tuple[float, int, str]:
    cmd = [sys.executable, "-m", "proofs_check", *args]
    e = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(env or {})
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, cwd=ROOT)
    return time.perf_counter() - t0, p.returncode, p.stdout + p.stderr


def part_check(papers, jobs, repeats):
    base = ["check", *papers, "--twins", "-q", "--no-cache"]
    print(f"[check] theory-verify {' '.join(base)}  (serial vs --jobs {jobs}, {repeats} repeat(s), "
          "interleaved)")
    ser, par = [], []
    for i in range(repeats):
        t, rc, out = _cli(base)
        ser.append(t)
        print(f"  serial   run {i + 1}: {t:7.1f} s  (exit {rc})", flush=True)
        if rc not in (0, 1):
            print(out[-2000:])
        t, rc2, out2 = _cli(base + ["--jobs", str(jobs)])
        par.append(t)
        print(f"  --jobs {jobs} run {i + 1}: {t:7.1f} s  (exit {rc2})", flush=True)
        if rc2 != rc:
            print("  exit codes differ:\n" + out2[-2000:])
    print(f"  best serial {min(ser):.1f} s, best --jobs {jobs} {min(par):.1f} s: "
          f"ratio {min(ser) / min(par):.2f}x")
    return min(ser), min(par)


def _lpt(times, n):
    """Longest-processing-time-first schedule of ``times`` on ``n`` workers: the makespan."""
    loads = [0.0] * n
    heapq.heapify(loads)
    for t in sorted(times, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t)
    return max(loads)


def part_projection(sample, full_run):
    from proofs_check import core, executor, runner

    c = core.get_claim("gda.official_tuned_counts")
    keys = c.shard_keys("full", 0, None)
    print(f"[projection] gda.official_tuned_counts at budget full: {len(keys)} shards (one per "
          f"official seed pair); timing {sample} of them here, one after another")
    times = []
    for k in keys[:sample]:
        t0, c0 = time.perf_counter(), time.process_time()
        out = c.run_shard("full", k)
        times.append(time.perf_counter() - t0)
        gd = tuple(float(v) for v in out["alex_gd"])
        print(f"  shard {k[1:3]}: {times[-1]:6.2f} s wall, {time.process_time() - c0:6.2f} s CPU  "
              f"(Sim {int(out['sim'])}, Alt {int(out['alt'])}, Alex {int(out['alex'])} at {gd})",
              flush=True)
    steady = times[1:] or times
    per = sum(steady) / len(steady)
    compile_s = max(0.0, times[0] - per)
    print(f"  per shard {per:.2f} s (mean of {len(steady)}), first-call JIT compilation "
          f"{compile_s:.2f} s")
    t0 = time.perf_counter()
    with executor.DaskExecutor(n_workers=2) as ex:
        ex.client.wait_for_workers(2)
        start = time.perf_counter() - t0
    print(f"  LocalCluster start-up (2 workers): {start:.1f} s")
    serial = compile_s + per * len(keys)
    print(f"  {'workers':>8}  {'projected wall':>15}  {'speed-up':>8}")
    proj = {}
    for n in (1, 2, 4, 8, 16, 30):
        wall = (0.0 if n == 1 else start) + compile_s + _lpt([per] * len(keys), n)
        proj[n] = wall
        print(f"  {n:>8}  {wall:>13.1f} s  {serial / wall:>7.2f}x")
    print("  (the projection assumes one core per worker and shards of equal cost; the 30 shards "
          "cap the speed-up at 30 workers)")
    if full_run:
        t0 = time.perf_counter()
        with executor.DaskExecutor(n_workers=full_run) as ex:
            (r,) = runner.run_jobs([runner.Job(c.id, None, "full", 0)], show_progress=False,
                                   executor=ex)
        wall = time.perf_counter() - t0
        print(f"  measured: --jobs {full_run} whole claim {wall:.1f} s incl. cluster start-up "
              f"(projected {proj.get(full_run, float('nan')):.1f} s); verdict {r.verdict.status}: "
              f"{r.verdict.message}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", nargs="+", default=["gda"], help="papers of the fast check (default gda)")
    ap.add_argument("--jobs", type=int, default=2, help="workers of the parallel check (default 2)")
    ap.add_argument("--repeats", type=int, default=1, help="interleaved repeats of part 1 (best of)")
    ap.add_argument("--sample", type=int, default=4, help="shards timed for the projection")
    ap.add_argument("--full-run", type=int, default=0, metavar="N",
                    help="also run the whole full-budget claim on N workers")
    ap.add_argument("--skip-check", action="store_true", help="only the projection")
    ap.add_argument("--skip-projection", action="store_true", help="only the check timing")
    args = ap.parse_args(argv)
    if args.jobs < 2 or args.repeats < 1 or args.sample < 1 or args.full_run < 0:
        raise SystemExit("--jobs must be >= 2, --repeats and --sample >= 1, --full-run >= 0")
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start")
    if not args.skip_check:
        part_check(args.papers, args.jobs, args.repeats)
    if not args.skip_projection:
        part_projection(args.sample, args.full_run)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
