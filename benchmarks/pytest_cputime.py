"""A pytest plugin that records, per test, the CPU seconds of the worker process (and of its
reaped children), the wall seconds, and the seconds JAX spent compiling (XLA backend compile;
tracing + lowering), as tab-separated lines in the file named by ``TV_CPULOG``.

    TV_CPULOG=/tmp/cpu.tsv PYTHONPATH=benchmarks python -m pytest -n 2 -q -p pytest_cputime
    python benchmarks/pytest_cputime.py /tmp/cpu.tsv        # totals and the costliest files

Columns: cpu, wall, xla_compile, trace_and_lower, xdist worker, test id. Compile times are JAX's
own event durations (``jax.monitoring``), in wall seconds of the worker.
"""
from __future__ import annotations

import collections
import os
import resource
import sys
import time

_acc: collections.Counter = collections.Counter()
_state: dict = {}
_registered = [False]
_COMPILE = "/jax/core/compile/backend_compile_duration"
_TRACE = ("/jax/core/compile/jaxpr_trace_duration", "/jax/core/compile/jaxpr_to_mlir_module_duration")


def _listener(event, duration, **kw):
    _acc[event] += duration


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _log():
    path = os.environ.get("TV_CPULOG")
    return open(path, "a", buffering=1) if path else None


_fh = None


def pytest_runtest_protocol(item, nextitem):
    global _fh
    if not _registered[0]:
        import jax.monitoring

        jax.monitoring.register_event_duration_secs_listener(_listener)
        _registered[0] = True
        _fh = _log()
    _state[item.nodeid] = (_cpu(), time.time(), dict(_acc))


def pytest_runtest_logfinish(nodeid, location):
    c0, w0, a0 = _state.pop(nodeid, (None, None, None))
    if c0 is None or _fh is None:
        return
    d = {k: _acc[k] - a0.get(k, 0.0) for k in _acc}
    _fh.write(f"{_cpu() - c0:.2f}\t{time.time() - w0:.2f}\t{d.get(_COMPILE, 0.0):.2f}\t"
              f"{sum(d.get(k, 0.0) for k in _TRACE):.2f}\t{os.environ.get('PYTEST_XDIST_WORKER', '')}\t"
              f"{nodeid}\n")


def summarize(path: str, top: int = 15) -> None:
    rows = [line.rstrip("\n").split("\t") for line in open(path)]
    cpu, comp, trace = (sum(float(r[i]) for r in rows) for i in (0, 2, 3))
    print(f"{len(rows)} tests: {cpu:.0f} CPU-s, of which XLA compile {comp:.0f} s and tracing + "
          f"lowering {trace:.0f} s")
    files = collections.defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        f = files[r[5].split("::")[0]]
        f[0] += float(r[0])
        f[1] += float(r[2])
    for name, (c, x) in sorted(files.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"  {c:7.1f} CPU-s  {x:6.1f} compile  {name}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isfile(sys.argv[1]):
        raise SystemExit("usage: python benchmarks/pytest_cputime.py LOG.tsv (an existing file)")
    summarize(sys.argv[1])
