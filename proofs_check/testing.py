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

from .core import Claim, Verdict


def _describe(c: Claim, v: Verdict) -> str:
    return (f"{c.id}: status={v.status} bound={v.bound!r} observed={v.observed!r} "
            f"margin={v.margin!r} ({v.message}) details={v.details}")


def assert_claim(c: Claim, budget: str = "fast", seed: int = 0) -> Verdict:
    """Run ``c`` and assert its status is the recorded one (``verified`` unless it is a finding)."""
    v = c.run(budget=budget, seed=seed)
    assert v.status == c.expected_for(budget), _describe(c, v)
    return v


def assert_twin_refuted(c: Claim, mutation: str, budget: str = "fast", seed: int = 0) -> Verdict:
    """Run the mutated twin of ``c`` and assert it comes out ``refuted``."""
    v = c.run(budget=budget, seed=seed, mutation=mutation)
    assert v.status == "refuted", "mutated twin not refuted: " + _describe(c, v)
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
