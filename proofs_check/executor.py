"""Where jobs run: in this process (serial, the default) or on Dask ``distributed`` workers.

An executor takes tasks (a module-level function and its arguments, all picklable) and hands
back their outcomes as they finish. The runner (:func:`proofs_check.runner.run_jobs`) is written
once against this interface, so a serial run and a cluster run execute the same task functions on
the same arguments:

``SerialExecutor()``               runs each task in this process, in submission order;
``DaskExecutor(n_workers=N)``      starts a ``distributed.LocalCluster`` of N single-threaded worker
                                   processes on this machine (``--jobs N``, ``--scheduler local:N``);
``DaskExecutor(address=ADDR)``     connects to a running scheduler (``--scheduler tcp://host:8786``),
                                   e.g. one started by ``dask scheduler`` or by ``dask-jobqueue``.

Dask is an optional dependency (``pip install -e '.[dist]'``), imported only when a Dask executor
is made. Workers import the claims themselves (``proofs_check`` must be importable on them: the same
checkout on ``PYTHONPATH`` or the package installed); they receive a job and send back a result.

Failures. A task that raises inside a check is already an error *result* (the task functions catch
it). A worker that dies (killed, out of memory, a segfault in native code) makes the scheduler
retry its task on another worker up to ``allowed_failures`` times (1 for the clusters started
here; a remote scheduler uses its own ``distributed.scheduler.allowed-failures``), then report
``KilledWorker``: the runner turns that into an error result for that job and carries on. Clusters
started here also set ``worker-saturation`` to 1.0, so a worker holds only the task it is running
and a death is blamed on that task alone.

Threads. Each local worker runs one task at a time and gets ``WORKER_ENV`` (single-threaded BLAS
and XLA Eigen) so N workers on N cores do not oversubscribe them; see docs/parallel.md for the
measurement.
"""
from __future__ import annotations

import collections
import logging
import os
import uuid

__all__ = ["SerialExecutor", "DaskExecutor", "make_executor", "DistUnavailableError", "WORKER_ENV",
           "DIST_HINT", "parse_scheduler"]

DIST_HINT = "pip install -e '.[dist]'"

#: environment of locally started worker processes (set before they import numpy or JAX): one
#: thread each, and JAX's eager operations compiled without XLA CPU's fusion emitters, as the
#: toolkit's own programs are (numerics.jit; it only shortens their compiles)
WORKER_ENV = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false --xla_cpu_use_fusion_emitters=false",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class DistUnavailableError(RuntimeError):
    """Dask distributed is not installed (the ``dist`` extra)."""


def _import_distributed():
    try:
        import dask
        import distributed
    except ImportError:
        raise DistUnavailableError(
            f"--jobs/--scheduler need Dask distributed, which is not installed: {DIST_HINT}") from None
    return dask, distributed


class _Task:
    __slots__ = ("fn", "args", "tag")

    def __init__(self, fn, args, tag):
        self.fn, self.args, self.tag = fn, args, tag


class SerialExecutor:
    """Runs each submitted task in this process when its outcome is asked for (FIFO)."""

    name = "serial"
    workers = 1

    def __init__(self):
        self._queue: collections.deque[_Task] = collections.deque()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def submit(self, fn, *args, tag=None):
        self._queue.append(_Task(fn, args, tag))

    def pending(self) -> int:
        return len(self._queue)

    def next_done(self):
        """``(tag, ok, value)``: ``ok`` False with the exception as ``value`` if the task raised."""
        t = self._queue.popleft()
        try:
            return t.tag, True, t.fn(*t.args)
        except Exception as e:  # task functions catch check errors; this is a bug in the runner
            return t.tag, False, e

    def cancel_all(self):
        self._queue.clear()

    def close(self):
        self._queue.clear()


def parse_scheduler(spec: str) -> tuple[str | None, int | None]:
    """``"local:N"`` -> (None, N); an address (``tcp://host:port``, ``host:port``,
    ``tls://...``) -> (address, None). Raises ``ValueError`` for anything else."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"--scheduler must be local:N or a scheduler address, got {spec!r}")
    spec = spec.strip()
    if spec.startswith("local:") or spec == "local":
        n = spec.partition(":")[2] or str(os.cpu_count() or 1)
        if not n.isdigit() or int(n) < 1:
            raise ValueError(f"--scheduler local:N needs an integer N >= 1, got {spec!r}")
        return None, int(n)
    if "://" in spec or ":" in spec:
        return spec, None
    raise ValueError(f"--scheduler must be local:N or a scheduler address such as "
                     f"tcp://host:8786, got {spec!r}")


class DaskExecutor:
    """Tasks on a Dask ``distributed`` cluster: a fresh ``LocalCluster`` of ``n_workers`` processes
    (one thread each), or the scheduler at ``address``.

    ``allowed_failures``: how often a task whose worker died is retried before it is reported
    (``KilledWorker``); applies to clusters started here. ``env``: extra environment variables of
    locally started workers (on top of :data:`WORKER_ENV`)."""

    name = "dask"

    def __init__(self, address: str | None = None, n_workers: int | None = None, *,
                 allowed_failures: int = 1, env: dict | None = None, timeout: float = 60.0):
        if (address is None) == (n_workers is None):
            raise ValueError("DaskExecutor needs exactly one of address= and n_workers=")
        if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                      or n_workers < 1):
            raise ValueError(f"n_workers must be an integer >= 1, got {n_workers!r}")
        dask, distributed = _import_distributed()
        self._distributed = distributed
        self.cluster = None
        # worker-saturation 1.0: a worker holds only the task it runs, so a worker that dies takes
        # only that task with it (with the default 1.1 a queued task would be blamed too)
        self._cfg = dask.config.set({"distributed.scheduler.allowed-failures": int(allowed_failures),
                                     "distributed.scheduler.worker-saturation": 1.0})
        self._cfg.__enter__()
        try:
            if address is None:
                self.cluster = distributed.LocalCluster(
                    n_workers=n_workers, threads_per_worker=1, processes=True,
                    dashboard_address=":0", silence_logs=logging.ERROR,
                    env={**WORKER_ENV, **(env or {})})
                self.client = distributed.Client(self.cluster, timeout=timeout)
                self.address = self.cluster.scheduler_address
            else:
                self.client = distributed.Client(address, timeout=timeout)
                self.address = address
        except BaseException:
            self.close()
            raise
        self._ac = distributed.as_completed([], with_results=False)
        self._tags: dict[str, object] = {}
        self._futures: dict[str, object] = {}

    @property
    def workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        except Exception:
            return 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def submit(self, fn, *args, tag=None):
        key = f"{getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex}"
        fut = self.client.submit(fn, *args, key=key, pure=False, retries=0)
        self._tags[fut.key] = tag
        self._futures[fut.key] = fut
        self._ac.add(fut)

    def pending(self) -> int:
        return len(self._futures)

    def next_done(self):
        fut = next(self._ac)
        tag = self._tags.pop(fut.key)
        self._futures.pop(fut.key, None)
        try:
            return tag, True, fut.result()
        except Exception as e:  # KilledWorker, a lost connection, a task that could not unpickle
            return tag, False, e
        finally:
            fut.release()

    def cancel_all(self):
        futs = list(self._futures.values())
        self._futures.clear()
        self._tags.clear()
        if futs:
            try:
                self.client.cancel(futs, force=True)
            except Exception:
                pass

    def close(self):
        try:
            self.cancel_all()
        except Exception:
            pass
        for obj in (getattr(self, "client", None), self.cluster):
            if obj is not None:
                try:
                    obj.close()
                except Exception:
                    pass
        self.cluster = None
        if getattr(self, "_cfg", None) is not None:
            self._cfg.__exit__(None, None, None)
            self._cfg = None


def make_executor(jobs: int | None = None, scheduler: str | None = None):
    """The executor the CLI options ask for: serial when neither is given, a local cluster of
    ``jobs`` workers for ``--jobs``, or ``--scheduler local:N`` / ``ADDRESS``."""
    if jobs is not None and scheduler is not None:
        raise ValueError("give --jobs or --scheduler, not both")
    if scheduler is not None:
        address, n = parse_scheduler(scheduler)
        return DaskExecutor(address=address) if address else DaskExecutor(n_workers=n)
    if jobs is None or jobs == 1:
        return SerialExecutor()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs must be an integer >= 1, got {jobs!r}")
    return DaskExecutor(n_workers=jobs)
