"""The static HTML report: every claim's verdict beside its figure, with source tags and docstrings.

``write_report`` runs the checks (and their mutated twins), draws the figures, and writes
``OUT/index.html``, ``OUT/verdicts.json`` and ``OUT/figures/*.png``. Everything is built in a temporary
folder next to ``OUT`` and moved into place at the end, so a failed run never leaves a half report.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import sys
import tempfile
import time

from .core import PAPERS

SOURCE_HELP = {
    "paper": "the paper's statement (verified from the paper, its poster or its code)",
    "paper-order": "the paper's statement at the level of its order; constants not confirmed",
    "derived": "a bound or construction derived and proven in this toolkit",
    "empirical": "an observation from simulation, not a theorem",
}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;
color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{font-family:ui-monospace,monospace;text-align:right;white-space:nowrap}
.verified{color:#0a6b2b;font-weight:600}.refuted{color:#b00020;font-weight:600}
.inconclusive{color:#a15c00;font-weight:600}
.tag{display:inline-block;border-radius:3px;padding:0 .4em;font-size:.8em;color:#fff;white-space:nowrap}
.tag-paper{background:#1f5fa8}.tag-paper-order{background:#5b7fb0}.tag-derived{background:#6a3d9a}
.tag-empirical{background:#777}
.claim{border:1px solid #e3e3e3;border-radius:6px;padding:.8em 1em;margin:1em 0;display:flex;gap:1.2em;flex-wrap:wrap}
.claim .text{flex:1 1 420px;min-width:320px}.claim .figs{flex:1 1 480px}
.claim img,.paperfig img{max-width:100%;border:1px solid #eee}
pre{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.5em;font-size:.82em}
.small{font-size:.85em;color:#555}
"""


def _esc(x) -> str:
    return html.escape(str(x))


def _num(x) -> str:
    if x is None:
        return "-"
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return _esc(x)


def _tag(source: str) -> str:
    return f'<span class="tag tag-{source}" title="{_esc(SOURCE_HELP.get(source, ""))}">{source}</span>'


def _render_html(results, figs_by_module, fig_paths, budget, seed, elapsed) -> str:
    main = [r for r in results if r.mutation is None]
    twins = {}
    for r in results:
        if r.mutation is not None:
            twins.setdefault(r.claim.id, []).append(r)
    n_ok = sum(r.verdict.status == "verified" for r in main)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>theory-verify report</title>"
             f"<style>{CSS}</style></head><body>",
             "<h1>theory-verify: checked results of ML-theory papers</h1>",
             f"<p>{n_ok} of {len(main)} claims verified at budget <b>{_esc(budget)}</b>, seed {seed}; "
             f"generated {_esc(time.strftime('%Y-%m-%d %H:%M:%S %Z'))} in {elapsed:.0f} s. "
             "Each claim's <i>mutated twin</i> (the bound halved, the theorem's condition violated, a "
             "weight perturbed) must come out refuted, which shows the check can fail.</p>",
             "<p class='small'>Source tags: " + "; ".join(f"{_tag(k)} {_esc(v)}" for k, v in SOURCE_HELP.items())
             + ". Docstrings keep the briefs' tags: [V-abs]/[V-poster]/[V-code] verified from the paper's "
               "abstract, poster or code; [D] derived here; [R] recalled (re-derived before use); [E]/[N] "
               "observed in our runs.</p>",
             "<h2>Summary</h2><table><tr><th>claim</th><th>arXiv</th><th>theorem</th><th>source</th>"
             "<th>bound</th><th>observed</th><th>margin</th><th>status</th><th>twins refuted</th>"
             "<th>s</th></tr>"]
    for r in main:
        c, v = r.claim, r.verdict
        tw = twins.get(c.id, [])
        tw_s = f"{sum(t.verdict.status == 'refuted' for t in tw)}/{len(tw)}" if tw else "-"
        parts.append(f"<tr><td><a href='#{_esc(c.id)}'>{_esc(c.id)}</a></td><td>{_esc(c.paper)}</td>"
                     f"<td>{_esc(c.theorem)}</td><td>{_tag(c.source)}</td><td class='num'>{_num(v.bound)}</td>"
                     f"<td class='num'>{_num(v.observed)}</td><td class='num'>{_num(v.margin)}</td>"
                     f"<td class='{v.status}'>{v.status}</td><td class='num'>{tw_s}</td>"
                     f"<td class='num'>{v.seconds:.1f}</td></tr>")
    parts.append("</table>")

    modules = list(dict.fromkeys([r.claim.module for r in main] + list(figs_by_module)))
    for m in modules:
        arxiv, title = PAPERS[m]
        parts.append(f"<h2 id='paper-{m}'>{_esc(title)} <span class='small'>(arXiv:{arxiv}, "
                     f"module <code>{m}</code>)</span></h2>")
        figs = figs_by_module.get(m, [])
        shown = set()
        for r in (x for x in main if x.claim.module == m):
            c, v = r.claim, r.verdict
            mine = [f for f in figs if c.id in f.claims and f.name not in shown]
            shown.update(f.name for f in mine)
            parts.append(f"<div class='claim' id='{_esc(c.id)}'><div class='text'>"
                         f"<h3>{_esc(c.id)} {_tag(c.source)} <span class='{v.status}'>{v.status}</span></h3>"
                         f"<p><b>{_esc(c.theorem)}.</b> {_esc(c.statement)}</p>"
                         f"<p>bound {_num(v.bound)}, observed {_num(v.observed)}, margin {_num(v.margin)}"
                         f" ({v.seconds:.1f} s). {_esc(v.message)}</p>")
            exp = c.expected_for(budget)
            if exp != "verified":
                parts.append(f"<p class='{exp}'>Recorded finding: at budget {_esc(budget)} this claim is "
                             f"recorded as {exp} (see the docstring and docs/papers/{c.module}*.md).</p>")
            elif c.expected_full and c.expected_full != "verified":
                parts.append(f"<p class='{c.expected_full}'>Recorded finding at budget full: "
                             f"{c.expected_full} (see the docstring).</p>")
            for t in twins.get(c.id, []):
                tv = t.verdict
                ok = "as required" if tv.status == "refuted" else "NOT refuted: the check may be unable to fail"
                parts.append(f"<p class='small'>Mutated twin <code>{_esc(t.mutation)}</code>: "
                             f"<span class='{tv.status}'>{tv.status}</span> ({ok}); observed {_num(tv.observed)} "
                             f"vs bound {_num(tv.bound)}.</p>")
            if r.error:
                parts.append(f"<pre>{_esc(r.error)}</pre>")
            if c.doc:
                parts.append(f"<details><summary>docstring (sources and tags)</summary><pre>{_esc(c.doc)}</pre>"
                             "</details>")
            if v.details:
                parts.append("<details><summary>details</summary><pre>"
                             f"{_esc(json.dumps(v.to_json()['details'], indent=1)[:20000])}</pre></details>")
            parts.append("</div><div class='figs'>")
            for f in mine:
                if f.name in fig_paths:
                    parts.append(f"<figure><img src='{_esc(fig_paths[f.name])}' alt='{_esc(f.title)}'>"
                                 f"<figcaption class='small'>{_esc(f.title)}</figcaption></figure>")
            parts.append("</div></div>")
        for f in figs:
            if f.name not in shown and f.name in fig_paths:
                parts.append(f"<div class='paperfig'><figure><img src='{_esc(fig_paths[f.name])}' "
                             f"alt='{_esc(f.title)}'><figcaption class='small'>{_esc(f.title)}</figcaption>"
                             "</figure></div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(claims, modules, out: str, *, budget="fast", seed=0, progress=True, twins=True) -> int:
    """Run ``claims``, draw the figures of ``modules`` and write the report to ``out`` atomically."""
    import figures as figs

    from .runner import draw_figures, make_jobs, results_json, run_jobs

    out = os.path.abspath(out)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".report-", dir=parent)
    t0 = time.perf_counter()
    try:
        results = run_jobs(make_jobs(claims, budget, seed, twins=twins), show_progress=progress)
        fig_errors: dict[str, str] = {}
        figs_by_module = {m: figs.figures_for(m) for m in modules}
        written = draw_figures(modules, os.path.join(tmp, "figures"), ("png",), budget, seed,
                               results=results, show_progress=progress, errors=fig_errors)
        fig_paths = {name: f"figures/{name}.png" for name in written}
        doc = results_json(results, budget, seed)
        doc["figure_errors"] = fig_errors
        with open(os.path.join(tmp, "verdicts.json"), "w") as fh:
            json.dump(doc, fh, indent=2)
        page = _render_html(results, figs_by_module, fig_paths, budget, seed, time.perf_counter() - t0)
        if fig_errors:
            page = page.replace("</body>", "<h2>Figure errors</h2><pre>" + _esc(json.dumps(fig_errors, indent=1))
                                + "</pre></body>")
        with open(os.path.join(tmp, "index.html"), "w") as fh:
            fh.write(page)
        os.chmod(tmp, 0o755)
        # move into place: the old report (if any) is replaced only once the new one is complete
        old = None
        if os.path.exists(out):
            old = tempfile.mkdtemp(prefix=".report-old-", dir=parent)
            os.rmdir(old)
            os.replace(out, old)
        os.replace(tmp, out)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    main = [r for r in results if r.mutation is None]
    n_ok = sum(r.verdict.status == "verified" for r in main)
    bad_twins = [f"{r.claim.id}[{r.mutation}]" for r in results
                 if r.mutation is not None and r.verdict.status != "refuted"]
    n_find = sum(r.claim.expected_for(budget) != "verified" and r.verdict.status == r.claim.expected_for(budget)
                 for r in main)
    print(f"report: {n_ok}/{len(main)} claims verified"
          + (f" ({n_find} recorded finding(s) reproduced as recorded)" if n_find else "")
          + f"; {len(fig_paths)} figures; "
          f"written to {os.path.join(out, 'index.html')} and {os.path.join(out, 'verdicts.json')}")
    for r in main:
        if r.verdict.status != "verified":
            tag = " (recorded finding)" if r.verdict.status == r.claim.expected_for(budget) else ""
            print(f"  {r.claim.id}: {r.verdict.status}{tag}: {r.verdict.message}")
    if bad_twins:
        print("  mutated twins NOT refuted: " + ", ".join(bad_twins))
    for name, err in fig_errors.items():
        print(f"  figure {name} failed: {err}", file=sys.stderr)
    return 0

