"""Per-paper cost of the fast tier: ``theory-verify check <paper> --twins`` for every paper, each in a
fresh process (as a user or CI runs it), printing its CPU seconds (user + system of the process and
its children), wall seconds and exit status, then the totals.

The JAX persistent compilation cache is off unless ``--jax-cache DIR`` is given (then every paper's
process uses DIR; run twice to see the warm cache). The verdict cache is never used (``--no-cache``).
The load average at the start and the end is printed: on a loaded machine the wall times are
inflated, the CPU seconds much less so.

Run:  python benchmarks/suite.py [--budget fast] [--jax-cache DIR] [PAPER ...]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def fresh_env(jax_cache: str | None = None, **extra) -> dict:
    """This environment for a child check: the checkout first on the path, JAX's persistent
    compilation cache off (a cold process, as in CI) unless ``jax_cache`` names a folder, plus
    ``extra`` variables."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in ("JAX_COMPILATION_CACHE_DIR", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"):
        env.pop(k, None)
    if jax_cache:
        os.makedirs(jax_cache, exist_ok=True)
        env.update(JAX_COMPILATION_CACHE_DIR=os.path.abspath(jax_cache),
                   JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
                   JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0")
    env.update(extra)
    return env


def run_paper(paper: str, budget: str, env: dict, extra_args=(), preexec_fn=None) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, exit code) of one paper's check with its twins (``extra_args``
    appended to the command line; ``preexec_fn`` run in the child, e.g. to pin it to a core)."""
    argv = [sys.executable, "-m", "proofs_check", "check", paper, "--twins", "-q", "--no-cache",
            "--budget", budget, *extra_args]
    c0, w0 = _child_cpu(), time.perf_counter()
    r = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, preexec_fn=preexec_fn)
    cpu, wall = _child_cpu() - c0, time.perf_counter() - w0
    if r.returncode != 0:
        print(r.stderr[-2000:], file=sys.stderr)
    return cpu, wall, r.returncode


def main(argv=None) -> int:
    sys.path.insert(0, ROOT)
    from proofs_check.core import PAPERS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("papers", nargs="*", metavar="PAPER", help="papers to run (default: all)")
    ap.add_argument("--budget", default="fast", choices=("fast", "full"))
    ap.add_argument("--jax-cache", metavar="DIR", default=None,
                    help="JAX persistent compilation cache folder (default: off)")
    a = ap.parse_args(argv)
    papers = a.papers or list(PAPERS)
    bad = [p for p in papers if p not in PAPERS]
    if bad:
        ap.error(f"unknown paper(s) {bad}; known: {list(PAPERS)}")
    env = fresh_env(a.jax_cache)
    print(f"budget {a.budget}, cores {os.cpu_count()}, load average at start "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}, jax cache {a.jax_cache or 'off'}")
    print(f"{'paper':20s} {'cpu_s':>8s} {'wall_s':>8s}  exit")
    tot_cpu = tot_wall = 0.0
    worst = 0
    for p in papers:
        cpu, wall, rc = run_paper(p, a.budget, env)
        tot_cpu, tot_wall, worst = tot_cpu + cpu, tot_wall + wall, max(worst, rc)
        print(f"{p:20s} {cpu:8.1f} {wall:8.1f}  {rc}", flush=True)
    print(f"{'total':20s} {tot_cpu:8.1f} {tot_wall:8.1f}  {worst}")
    print(f"load average at end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
