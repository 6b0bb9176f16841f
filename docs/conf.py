"""Sphinx configuration of the theory-verify documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (warnings are errors, as in CI).

* ``docs/papers/*.md`` (MyST, math with ``$...$``) are picked up by glob: a new paper's page joins the site
  without editing the index.
* The API pages ``docs/api/<package>.rst`` are generated here, at every build, from the package folders
  ``theory/``, ``numerics/``, ``proofs_check/`` and ``figures/``: one ``automodule`` per module, so a new
  module is documented without editing anything. Importing a module only defines functions and registers
  claims; nothing heavy runs at import.
* Docstrings are written in the papers' plain-text notation (``||g||^2``, ``|lambda|``, ``eta <= 1/beta``),
  which is not reStructuredText; they are shown verbatim (as literal blocks), so no docstring can break the
  build, and the math of the paper pages is rendered by MathJax.
"""
from __future__ import annotations

import os
import pkgutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

project = "theory-verify"
author = "theory-verify contributors"
copyright = "the theory-verify contributors"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "api/_papers_table.md", "**/.ipynb_checkpoints"]

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 4          # docs/papers/<m>.md#<anchor>, the targets of the claims' theorem fields

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"        # signatures as written; annotations live in the docstrings' prose
#: optional extras that a module may import at top level; mocked so the site builds without them
autodoc_mock_imports = ["gymnax", "torch", "transformers"]

html_theme = "alabaster"
html_title = "theory-verify"
html_static_path: list[str] = []

#: the documented packages and their one-line descriptions (the API section of the index)
PACKAGES = {
    "theory": "Closed forms: sympy expressions derived from the update equations, and their float versions.",
    "numerics": "JAX float64 simulations (jit, vmap, lax.scan); they never import theory.",
    "proofs_check": "The claims (one module per paper), the claim registry, the runner, the CLI and the report.",
    "figures": "One plotting function per figure, drawing only from the arrays a claim returns.",
}
#: modules never imported for the docs (importing them runs something)
SKIP = {"proofs_check.__main__"}


def _modules(pkg: str) -> list[str]:
    path = os.path.join(ROOT, pkg)
    names = [f"{pkg}.{m.name}" for m in pkgutil.iter_modules([path]) if not m.name.startswith("_")]
    return [n for n in sorted(names) if n not in SKIP]


def _write_if_changed(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path) as f:
            if f.read() == text:
                return
    with open(path, "w") as f:
        f.write(text)


def _api_pages() -> None:
    for pkg, blurb in PACKAGES.items():
        title = f"``{pkg}``"
        lines = [title, "=" * len(title), "", blurb, "", f".. automodule:: {pkg}", "   :no-members:", ""]
        for mod in _modules(pkg):
            head = f"``{mod}``"
            lines += [head, "-" * len(head), "", f".. automodule:: {mod}", ""]
        _write_if_changed(os.path.join(HERE, "api", f"{pkg}.rst"), "\n".join(lines))


def _papers_table() -> None:
    """The table of papers on the index: arXiv id, title, module, claims by source tag, reference page."""
    from proofs_check import core

    counts: dict[str, dict[str, int]] = {}
    for c in core.all_claims():
        counts.setdefault(c.module, dict.fromkeys(core.SOURCES, 0))[c.source] += 1
    rows = ["| arXiv | title | module | claims (" + ", ".join(core.SOURCES) + ") | reference page |",
            "|---|---|---|---|---|"]
    for mod, (arxiv, title) in core.PAPERS.items():
        n = counts.get(mod)
        claims = " / ".join(str(n[s]) for s in core.SOURCES) if n else "not yet implemented"
        page = f"[{mod}](/papers/{mod}.md)" if os.path.exists(os.path.join(HERE, "papers", f"{mod}.md")) else "-"
        rows.append(f"| [{arxiv}](https://arxiv.org/abs/{arxiv}) | {title} | `{mod}` | {claims} | {page} |")
    legend = "\n".join(f"* `{k}`: {v}" for k, v in core.SOURCE_WORDS.items())
    _write_if_changed(os.path.join(HERE, "api", "_papers_table.md"),
                      "\n".join(rows) + "\n\nSource tags:\n\n" + legend + "\n")


def _verbatim_docstring(app, what, name, obj, options, lines):
    """Show a docstring as written (the papers' plain-text notation is not reStructuredText)."""
    if not any(ln.strip() for ln in lines):
        return
    body = list(lines)
    while body and not body[-1].strip():
        body.pop()
    lines[:] = ["::", ""] + [("   " + ln) if ln.strip() else "" for ln in body] + [""]


_api_pages()
_papers_table()


def setup(app):
    app.connect("autodoc-process-docstring", _verbatim_docstring)
