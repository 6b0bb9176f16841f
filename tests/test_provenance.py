"""Provenance of every claim: its ``theorem`` names the paper's own result (Theorem/Proposition/Figure/
Table/Section, the abstract, the poster or the slides) or says ``derived (docs/papers/<m>.md#anchor)``;
every ``docs/papers/<m>.md#anchor`` cited anywhere in the project exists; no file refers to research
notes outside the repository, to an issue number or to a path of a build machine; the papers' titles
are the published ones."""
from __future__ import annotations

import pathlib
import re

import pytest

from proofs_check import all_claims
from proofs_check.core import PAPERS, SOURCE_LABELS, SOURCE_WORDS, SOURCES

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCANNED = ["theory", "numerics", "proofs_check", "figures", "tests", "benchmarks", "docs", "README.md"]
#: words that point outside the repository (spelled in two halves so this file does not match itself)
FORBIDDEN = [re.compile(p, re.I) for p in (r"\bbri" + r"efs?\b", r"/wo" + r"rk/", r"shared/pa" + r"pers",
                                            r"\bissues? #?\d", r"/ho" + r"me/\w")]
#: a theorem field that names the paper's own result: a numbered result, the abstract, the poster, the
#: slides, the official code, or a cited work's equation ("Olfat & Aswani (AAAI 2019) eq. 7")
PAPER_RESULT = re.compile(r"^(Theorems?|Propositions?|Lemma|Corollary|Figures?|Tables?|Sections?|Algorithms?|"
                          r"Eq\.|abstract|NeurIPS slides|slides|poster|official code|experiments)\b|^[A-Z][\w-]+ (&|and|et al)")
DERIVED = re.compile(r"derived \(docs/papers/(\w+)\.md#([\w-]+)\)")
CITED = re.compile(r"docs/papers/(\w+)\.md#([\w-]+)")


def _files():
    for name in SCANNED:
        p = ROOT / name
        paths = [p] if p.is_file() else [q for q in p.rglob("*") if q.is_file()]
        for q in paths:
            if "_build" in q.parts or "__pycache__" in q.parts or q.suffix not in (".py", ".md", ".rst", ".txt"):
                continue
            yield q


def github_slug(title: str) -> str:
    """The heading anchor of GitHub and of MyST's ``myst_heading_anchors`` (``github_slugify``)."""
    title = re.sub(r"`([^`]*)`", r"\1", title)
    return re.sub(r"[^\w\- ]", "", title.lower().replace(" ", "-"))


def anchors(page: pathlib.Path) -> set[str]:
    out, fence = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fence = not fence
        m = re.match(r"^(#{1,6}) (.+?)\s*$", line)
        if m and not fence:
            out.add(github_slug(m.group(2)))
    return out


@pytest.mark.parametrize("c", all_claims(), ids=lambda c: c.id)
def test_theorem_names_the_papers_result_or_a_derivation(c):
    t = c.theorem
    assert PAPER_RESULT.match(t) or DERIVED.search(t), (
        f"{c.id}: theorem {t!r} names neither the paper's result nor 'derived (docs/papers/<m>.md#anchor)'")
    if c.source == "derived":
        assert DERIVED.search(t) or t.startswith("official code"), (
            f"{c.id}: a derived claim's theorem must point at its derivation (derived (docs/papers/<m>.md#anchor))")
    assert c.source in SOURCE_WORDS and c.source in SOURCE_LABELS


def test_every_cited_docs_anchor_exists():
    """Every docs/papers/<m>.md#<anchor> in the project's files and in the claims' theorem fields and
    docstrings (which may be assembled at import) names an existing heading."""
    cited = [(str(f.relative_to(ROOT)), f.read_text()) for f in _files()]
    cited += [(c.id, c.theorem + "\n" + c.doc) for c in all_claims()]
    missing = []
    for where, text in cited:
        for m in CITED.finditer(text):
            page = ROOT / "docs" / "papers" / f"{m.group(1)}.md"
            if not page.exists() or m.group(2) not in anchors(page):
                missing.append(f"{where}: {m.group(0)}")
    assert not missing, "docs anchors that do not exist:\n" + "\n".join(sorted(set(missing)))


def test_no_reference_outside_the_repository():
    hits = []
    for f in _files():
        for i, line in enumerate(f.read_text().splitlines(), 1):
            if any(p.search(line) for p in FORBIDDEN):
                hits.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()[:100]}")
    assert not hits, "\n".join(hits)


def test_titles_are_the_published_ones():
    assert PAPERS["gda"][1] == "Fundamental Benefit of Alternating Updates in Minimax Optimization"
    assert PAPERS["eos"][1].endswith("Phenomenon via Bifurcation Theory")
    assert PAPERS["catapult"][1] == "Large Catapults in Momentum Gradient Descent with Warmup: An Empirical Study"
    assert PAPERS["plasticity"][1] == ("Enhancing Generalization and Plasticity for Sample Efficient "
                                       "Reinforcement Learning")
    assert set(SOURCES) == set(SOURCE_WORDS)


@pytest.mark.parametrize("module", ["sam", "gda", "eos", "catapult", "position_coupling", "multi_operand",
                                    "arith_training"])
def test_every_paper_page_has_the_five_sections(module):
    page = ROOT / "docs" / "papers" / f"{module}.md"
    a = anchors(page)
    for sec in ("what-the-paper-states", "what-we-check", "what-we-derived", "findings", "sources"):
        assert sec in a, f"{page.name} lacks the section {sec!r}"
