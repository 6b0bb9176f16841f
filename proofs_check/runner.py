"""One path from a job to a verdict, shared by ``check``, ``figures`` and ``report``.

A :class:`Job` is (claim, mutation, budget, seed). :func:`run_jobs` runs a list of jobs and returns one
:class:`Result` per job, in the order of the jobs. An exception inside a check becomes a result with
status ``error`` (a broken check or environment, never a statement about the paper); a claim that is
decided only at a larger budget than the one asked for is not run and comes back ``skipped``.

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
           "all_as_recorded", "draw_figures", "progress"]


@dataclass(frozen=True)
class Job:
    """One run: a claim (by id), its mutated twin's name or ``None``, the budget and the seed."""

    claim_id: str
    mutation: str | None = None
    budget: str = "fast"
    seed: int = 0

    @property
    def claim(self) -> Claim:
        return core.get_claim(self.claim_id)

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


def run_jobs(jobs: list[Job], *, show_progress: bool = True) -> list[Result]:
    """Run ``jobs`` serially in this process, claims and twins as two phases with their own bars.

    Returns the results in the order of ``jobs``."""
    out: dict[int, Result] = {}
    phases = (("claims", [i for i, j in enumerate(jobs) if j.mutation is None]),
              ("twins", [i for i, j in enumerate(jobs) if j.mutation is not None]))
    for name, idx in phases:
        if not idx:
            continue
        bar = progress(idx, name, show_progress)
        for i in bar:
            if hasattr(bar, "set_postfix_str"):
                bar.set_postfix_str(jobs[i].label)
            out[i] = run_job(jobs[i])
    return [out[i] for i in range(len(jobs))]


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
                 errors=None):
    """Draw every figure of ``modules`` into ``out_dir``; runs the claims a figure needs when
    ``results`` does not already hold them. Returns {figure name: [paths]}.

    With an ``errors`` dict, a figure that fails is recorded there (name -> message) and the others
    are still drawn; without it the exception propagates."""
    import figures as figs

    data = {r.job.claim_id: r.verdict.arrays for r in (results or [])
            if not r.is_twin and r.verdict.status in core.STATUSES}
    written = {}
    for f in progress(figs.all_figures(modules), "figures", show_progress):
        try:
            need = [Job(cid, None, budget, seed) for cid in f.claims if cid not in data]
            for r in run_jobs(need, show_progress=False):
                if r.verdict.status == "error":
                    raise RuntimeError(f"claim {r.job.claim_id} raised: {r.verdict.message}")
                data[r.job.claim_id] = r.verdict.arrays
            written[f.name] = figs.save(f.draw(data), out_dir, f.name, formats)
        except Exception as e:
            if errors is None:
                raise
            errors[f.name] = "".join(traceback.format_exception_only(type(e), e)).strip()
    return written
