"""One path from a job to a verdict, shared by ``check``, ``figures`` and ``report``.

A :class:`Job` is (claim, mutation, budget, seed). :func:`run_jobs` runs a list of jobs and returns one
:class:`Result` per job, in the order of the jobs. An exception inside a check becomes a result with
status ``error`` (a broken check or environment, never a statement about the paper); a claim that is
decided only at a larger budget than the one asked for is not run and comes back ``skipped``.

Where the jobs run is an executor (:mod:`proofs_check.executor`: serial in this process by default,
or Dask workers for ``--jobs N`` / ``--scheduler``); large sweeps split into shards a claim declares
(:func:`proofs_check.core.claim`), and computed verdicts can be reused from a
:class:`proofs_check.cache.VerdictCache`. The results, and so the JSON, do not depend on where they
were computed.

The report and the JSON are written from results only (:func:`results_json`); figures are drawn from
the arrays of results (:func:`draw_figures`). Neither this module nor ``report.py`` imports the CLI.
"""
from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass, field

from . import core
from .core import Claim, Verdict

__all__ = ["Job", "Result", "make_jobs", "run_job", "run_jobs", "results_json", "summarize",
           "all_as_recorded", "draw_figures", "progress", "import_extra"]


@dataclass(frozen=True)
class Job:
    """One run: a claim (by id), its mutated twin's name or ``None``, the budget and the seed."""

    claim_id: str
    mutation: str | None = None
    budget: str = "fast"
    seed: int = 0

    @property
    def claim(self) -> Claim:
        # a claim already registered (a worker imports only the claim's own module) is found
        # without importing every claim module
        return core._REGISTRY.get(self.claim_id) or core.get_claim(self.claim_id)

    @property
    def label(self) -> str:
        return self.claim_id + (f"[{self.mutation}]" if self.mutation else "")


@dataclass
class Result:
    """What one job gave: its verdict (status ``error`` if the check raised, ``skipped`` if it was not
    run at this budget), the traceback of an error, and where the verdict came from."""

    job: Job
    verdict: Verdict
    error: str | None = None
    cached: bool = False
    computed_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    @property
    def claim(self) -> Claim:
        return self.job.claim

    @property
    def mutation(self) -> str | None:
        return self.job.mutation

    @property
    def is_twin(self) -> bool:
        return self.job.mutation is not None

    def as_recorded(self) -> bool:
        """A claim: its status is the one the toolkit records at this budget (or it was skipped
        because it is decided at a larger budget). A twin: it came out refuted (or was skipped)."""
        st = self.verdict.status
        if st == "skipped":
            return True
        if self.is_twin:
            return st == "refuted"
        return st == self.claim.expected_for(self.job.budget)


def make_jobs(claims, budget: str = "fast", seed: int = 0, twins: bool = False) -> list[Job]:
    """The jobs of ``claims`` (claims first, then, with ``twins``, every mutated twin)."""
    jobs = [Job(c.id, None, budget, seed) for c in claims]
    if twins:
        jobs += [Job(c.id, m, budget, seed) for c in claims for m in c.mutations]
    return jobs


def run_job(job: Job) -> Result:
    """Run one job in this process. Never raises for a failing check: the exception is the result."""
    c = job.claim
    if not c.decided_at(job.budget):
        v = Verdict(status="skipped",
                    message=f"decided at budget {c.decides_at!r}; run with --budget {c.decides_at}")
        return Result(job, v)
    t0 = time.perf_counter()
    try:
        v = c.run(budget=job.budget, seed=job.seed, mutation=job.mutation)
        err = None
    except Exception as e:  # a crash is an error result, never a scientific verdict
        v = Verdict(status="error", message=f"check raised {type(e).__name__}: {e}")
        v.seconds = time.perf_counter() - t0
        err = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return Result(job, v, err)


def progress(items, desc: str, enabled: bool, total: int | None = None):
    """A tqdm progress bar on stderr (with rate and ETA), or the items themselves when disabled."""
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return items
    return tqdm(items, desc=desc, file=sys.stderr, leave=False, dynamic_ncols=True, total=total)


def _error_result(job: Job, message: str, tb: str | None = None, seconds: float = 0.0) -> Result:
    v = Verdict(status="error", message=message)
    v.seconds = seconds
    return Result(job, v, tb or message)


def import_extra(imports) -> None:
    """Import extra claim modules (module names, or paths of ``.py`` files) so that their claims
    register; used by workers for claims outside ``proofs_check`` (test-only claims)."""
    import importlib
    import importlib.util
    import os

    for m in imports or ():
        if m.endswith(".py"):
            name = "tv_extra_" + os.path.splitext(os.path.basename(m))[0]
            if name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(name, m)
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            try:
                spec.loader.exec_module(mod)
            except BaseException:
                del sys.modules[name]
                raise
        else:
            importlib.import_module(m)


# Task functions: the only code an executor runs. Each returns a plain outcome and never raises for
# a failing check, so a serial run and a worker run report failures the same way.
def _task_job(job: Job, imports=()) -> Result:
    try:
        import_extra(imports)
        return run_job(job)
    except Exception as e:
        return _error_result(job, f"check raised {type(e).__name__}: {e}", traceback.format_exc())


def _task_shard(claim_id: str, budget: str, key, imports=()):
    """One shard: ``("ok", arrays, seconds)`` or ``("error", message, seconds, traceback)``."""
    t0 = time.perf_counter()
    try:
        import_extra(imports)
        arrays = Job(claim_id).claim.run_shard(budget, key)
        return ("ok", arrays, time.perf_counter() - t0)
    except Exception as e:
        return ("error", f"shard {key!r} raised {type(e).__name__}: {e}", time.perf_counter() - t0,
                traceback.format_exc())


def _task_combine(job: Job, shard_results: list, shard_seconds: float, imports=()) -> Result:
    t0 = time.perf_counter()
    try:
        import_extra(imports)
        v = job.claim.combine(job.budget, job.seed, job.mutation, shard_results)
        v.seconds = shard_seconds + (time.perf_counter() - t0)
        return Result(job, v)
    except Exception as e:
        return _error_result(job, f"check raised {type(e).__name__}: {e}", traceback.format_exc(),
                             shard_seconds + time.perf_counter() - t0)


def _shard_id(claim_id: str, budget: str, key) -> str:
    import json

    return json.dumps([claim_id, budget, key], sort_keys=True, default=str)


def run_jobs(jobs: list[Job], *, show_progress: bool = True, executor=None, cache=None,
             imports=()) -> list[Result]:
    """Run ``jobs`` and return one :class:`Result` per job, in the order of ``jobs``.

    ``executor``: ``None`` (serial, in this process), an executor of :mod:`proofs_check.executor`
    (the caller closes it), or a ``--scheduler`` string (``"local:N"`` or an address; started and
    closed here). ``cache``: a :class:`proofs_check.cache.VerdictCache` or ``None``; a job whose key
    is stored is not run (its result says ``cached`` and when it was computed), a computed verdict
    is stored. ``imports``: extra claim modules the workers import (names or ``.py`` paths).

    A claim that declares shards is split: each shard is a task (shared by the jobs that need the
    same shard, cached as its own entry), and once all are in, one combine task gives the verdict,
    the same arithmetic as :meth:`Claim.run` in one process. A job whose task raised, or whose
    worker died, comes back as an ``error`` result; the other jobs go on. Ctrl-C cancels the
    outstanding tasks (nothing is written for them) and re-raises."""
    from .executor import SerialExecutor, make_executor

    imports = tuple(imports or ())
    own = executor is None or isinstance(executor, str)
    if executor is None:
        executor = SerialExecutor()
    elif isinstance(executor, str):
        executor = make_executor(scheduler=executor)
    results: list[Result | None] = [None] * len(jobs)
    bars: dict[str, object] = {}          # claims and twins: two phases, each its own bar and ETA
    if show_progress and jobs:
        try:
            from tqdm import tqdm
            n_twins = sum(j.mutation is not None for j in jobs)
            for name, n in (("claims", len(jobs) - n_twins), ("twins", n_twins)):
                if n:
                    bars[name] = tqdm(total=n, desc=name, file=sys.stderr, leave=False,
                                      dynamic_ncols=True, position=len(bars))
        except ImportError:  # pragma: no cover
            bars = {}
    shards: dict[int, dict] = {}          # job index -> {"keys", "res", "left", "secs"}
    waiting: dict[str, list] = {}         # shard id -> [(job index, shard index)]
    inner_before = core.INNER_PROGRESS    # a serial run on a terminal: long checks show their own bar
    core.INNER_PROGRESS = bool(bars) and isinstance(executor, SerialExecutor) and sys.stderr.isatty()

    def finish(i: int, r: Result) -> None:
        if results[i] is not None:
            return
        results[i] = r
        if cache is not None and not r.cached and r.verdict.status in core.STATUSES:
            cache.put(r.job, r.verdict, r.computed_at)
        bar = bars.get("twins" if r.job.mutation is not None else "claims")
        if bar is not None:
            bar.set_postfix_str(r.job.label)
            bar.update(1)
            tw = bars.get("twins")
            if bar is bars.get("claims") and bar.n == bar.total and tw is not None and tw.n == 0:
                tw.reset()   # the twins' clock (rate, ETA) starts when their phase does

    def shard_done(i: int, s: int, arrays: dict, secs: float) -> None:
        st = shards[i]
        if results[i] is not None or st["res"][s] is not None:
            return
        st["res"][s] = arrays
        st["secs"] += secs
        st["left"] -= 1
        if st["left"] == 0:
            executor.submit(_task_combine, jobs[i], st["res"], st["secs"], st["imports"],
                            tag=("combine", i))

    try:
        for i, job in enumerate(jobs):
            c = job.claim
            # what a worker imports for this job: the extra modules, then the claim's own module
            mod = c.fn.__module__
            job_imports = imports + (() if mod in imports or mod.startswith("tv_extra_") else (mod,))
            if not c.decided_at(job.budget):
                finish(i, run_job(job))   # skipped, nothing runs
                continue
            if cache is not None:
                hit = cache.get(job)
                if hit is not None:
                    finish(i, Result(job, hit[0], cached=True, computed_at=hit[1]))
                    continue
            try:
                keys = c.shard_keys(job.budget, job.seed, job.mutation)
            except Exception as e:
                finish(i, _error_result(job, f"shards() raised {type(e).__name__}: {e}",
                                        traceback.format_exc()))
                continue
            if keys is None:
                executor.submit(_task_job, job, job_imports, tag=("job", i))
                continue
            shards[i] = {"keys": keys, "res": [None] * len(keys), "left": len(keys), "secs": 0.0,
                         "imports": job_imports}
            if not keys:
                executor.submit(_task_combine, job, [], 0.0, job_imports, tag=("combine", i))
            for s, k in enumerate(keys):
                sid = _shard_id(c.id, job.budget, k)
                hit = cache.get_shard(c, job.budget, k) if cache is not None else None
                if hit is not None:
                    shard_done(i, s, hit[0], hit[1])
                elif sid in waiting:
                    waiting[sid].append((i, s))
                else:
                    waiting[sid] = [(i, s)]
                    executor.submit(_task_shard, c.id, job.budget, k, job_imports,
                                    tag=("shard", sid, c.id, job.budget, k))
        while executor.pending():
            tag, ok, value = executor.next_done()
            if tag[0] in ("job", "combine"):
                i = tag[1]
                finish(i, value if ok else _error_result(
                    jobs[i], f"worker failed: {type(value).__name__}: {value}"))
                continue
            _, sid, cid, budget, k = tag
            if ok and value[0] == "ok":
                if cache is not None:
                    cache.put_shard(core.get_claim(cid), budget, k, value[1], value[2])
                for i, s in waiting.pop(sid, []):
                    shard_done(i, s, value[1], value[2])
            else:
                if ok:
                    msg, tb, secs = value[1], value[3], value[2]
                else:
                    msg, tb, secs = f"worker failed on shard {k!r}: {type(value).__name__}: {value}", None, 0.0
                for i, _s in waiting.pop(sid, []):
                    finish(i, _error_result(jobs[i], msg, tb, secs))
    except KeyboardInterrupt:
        executor.cancel_all()
        raise
    finally:
        core.INNER_PROGRESS = inner_before
        for bar in bars.values():
            bar.close()
        if own:
            executor.close()
    return results


def all_as_recorded(results: list[Result], strict: bool = False) -> bool:
    """True when every claim came out as the toolkit records it and every twin was refuted.

    With ``strict``, every claim that was run must be ``verified``, recorded findings included."""
    for r in results:
        if strict and not r.is_twin and r.verdict.status not in ("verified", "skipped"):
            return False
        if not r.as_recorded():
            return False
    return True


def summarize(results: list[Result]) -> dict:
    """Counts a header or a summary line prints: claims run / verified / recorded findings (and
    which) / errors / skipped, and twins run / refuted."""
    claims = [r for r in results if not r.is_twin]
    twins = [r for r in results if r.is_twin]
    ran = [r for r in claims if r.verdict.status != "skipped"]
    findings = [r.job.claim_id for r in ran
                if r.claim.expected_for(r.job.budget) != "verified" and r.as_recorded()]
    return {
        "claims": len(claims),
        "claims_run": len(ran),
        "verified": sum(r.verdict.status == "verified" for r in ran),
        "recorded_findings": findings,
        "not_as_recorded": [r.job.claim_id for r in ran if not r.as_recorded()],
        "errors": [r.job.label for r in results if r.verdict.status == "error"],
        "skipped": [r.job.claim_id for r in claims if r.verdict.status == "skipped"],
        "twins": len(twins),
        "twins_refuted": sum(r.verdict.status == "refuted" for r in twins),
        "twins_not_refuted": [r.job.label for r in twins if r.verdict.status not in ("refuted", "skipped")],
    }


def results_json(results: list[Result], budget: str, seed: int) -> dict:
    """The JSON document of a run: budget, seed, summary counts and one entry per result."""
    out = {"budget": budget, "seed": seed, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "summary": summarize(results), "claims": []}
    for r in results:
        d = r.claim.to_json()
        d.update({"mutation": r.mutation, "verdict": r.verdict.to_json(), "error": r.error,
                  "cached": r.cached, "computed_at": r.computed_at})
        out["claims"].append(d)
    return out


def draw_figures(modules, out_dir, formats, budget, seed, results=None, show_progress=True,
                 errors=None, executor=None, cache=None):
    """Draw every figure of ``modules`` into ``out_dir``; runs the claims a figure needs when
    ``results`` does not already hold them. Returns {figure name: [paths]}.

    With an ``errors`` dict, a figure that fails is recorded there (name -> message) and the others
    are still drawn; without it the exception propagates. ``executor`` and ``cache`` are passed to
    :func:`run_jobs` for the claims run here."""
    import figures as figs

    data = {r.job.claim_id: r.verdict.arrays for r in (results or [])
            if not r.is_twin and r.verdict.status in core.STATUSES}
    written = {}
    for f in progress(figs.all_figures(modules), "figures", show_progress):
        try:
            need = [Job(cid, None, budget, seed) for cid in f.claims if cid not in data]
            for r in run_jobs(need, show_progress=False, executor=executor, cache=cache):
                if r.verdict.status == "error":
                    raise RuntimeError(f"claim {r.job.claim_id} raised: {r.verdict.message}")
                data[r.job.claim_id] = r.verdict.arrays
            written[f.name] = figs.save(f.draw(data), out_dir, f.name, formats)
        except Exception as e:
            if errors is None:
                raise
            errors[f.name] = "".join(traceback.format_exception_only(type(e), e)).strip()
    return written
