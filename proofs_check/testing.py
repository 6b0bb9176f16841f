"""Helpers for pytest suites of claims (also usable from a notebook).

A paper's test module typically reads::

    from proofs_check import claims_for
    from proofs_check.testing import claim_tests

    CLAIMS = claims_for("sam")
    # each claim's verdict at the fast budget, and each mutated twin refuted
    test_claim, test_mutated_twin = claim_tests(CLAIMS)
"""
from __future__ import annotations

import pytest

from .core import KINDS, Claim, Verdict


def _describe(c: Claim, v: Verdict) -> str:
    return (f"{c.id}: status={v.status} bound={v.bound!r} observed={v.observed!r} "
            f"margin={v.margin!r} ({v.message}) details={v.details}")


def _run(c: Claim, budget: str, seed: int, mutation: str | None) -> Verdict:
    """The verdict the runner gives (``skipped`` for a claim decided at a larger budget, without
    running it); a check's verdict must name its comparison (a key of ``KINDS``)."""
    from .runner import Job, run_job

    r = run_job(Job(c.id, mutation, budget, seed))
    if r.error:
        raise AssertionError(f"{c.id}{f'[{mutation}]' if mutation else ''} raised:\n{r.error}")
    v = r.verdict
    if v.status != "skipped":
        assert v.kind in KINDS, f"{c.id}: verdict names no comparison kind (kind={v.kind!r})"
        assert v.kind in ("exact", "all_of") or v.margin is not None, \
            f"{c.id}: a {v.kind!r} verdict without a margin: " + _describe(c, v)
    return v


def assert_claim(c: Claim, budget: str = "fast", seed: int = 0) -> Verdict:
    """Run ``c`` and assert its status is the recorded one (``verified`` unless it is a finding),
    or ``skipped`` when ``c`` is decided only at a larger budget; its verdict must name its kind."""
    v = _run(c, budget, seed, None)
    want = c.expected_for(budget) if c.decided_at(budget) else "skipped"
    assert v.status == want, _describe(c, v)
    return v


def assert_twin_refuted(c: Claim, mutation: str, budget: str = "fast", seed: int = 0) -> Verdict:
    """Run the mutated twin of ``c`` and assert it comes out ``refuted`` (``skipped`` when ``c`` is
    decided only at a larger budget); its verdict must name its kind."""
    v = _run(c, budget, seed, mutation)
    want = "refuted" if c.decided_at(budget) else "skipped"
    assert v.status == want, "mutated twin not refuted: " + _describe(c, v)
    return v


def twin_cases(claims: list[Claim]) -> list:
    """``pytest.param(claim, mutation)`` for every mutated twin of every claim."""
    return [pytest.param(c, m, id=f"{c.id}[{m}]") for c in claims for m in c.mutations]


def claim_cases(claims: list[Claim]) -> list:
    """``pytest.param(claim)`` for each claim, marked ``slow`` where the claim is."""
    return [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
            for c in claims]


def claim_tests(claims: list[Claim], budget: str = "fast"):
    """The two parametrized pytest functions of a paper's suite, to assign at module level::

        test_claim, test_mutated_twin = claim_tests(CLAIMS)

    ``test_claim`` asserts each claim's recorded status at ``budget``; ``test_mutated_twin``
    asserts each mutated twin comes out refuted."""

    @pytest.mark.parametrize("c", claim_cases(claims))
    def test_claim(c):
        assert_claim(c, budget=budget)

    @pytest.mark.parametrize("c,mutation", twin_cases(claims))
    def test_mutated_twin(c, mutation):
        assert_twin_refuted(c, mutation, budget=budget)

    return test_claim, test_mutated_twin
