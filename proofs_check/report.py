"""The static HTML report: every claim's verdict beside its figure, with source tags and docstrings.

``write_report`` runs the checks (and their mutated twins), draws the figures, and writes
``OUT/index.html``, ``OUT/verdicts.json``, ``OUT/figures/*.png`` and the marker
``OUT/.theory-verify-report`` listing what it wrote. Everything is built in a new folder next to
``OUT`` and moved into place at the end, so a failed run never leaves a half report; ``OUT`` must be
absent, empty or a report this toolkit wrote (see :mod:`proofs_check.outputs`).

The page opens with the run's counts and provenance (toolkit version and commit, library versions,
platform, command line), a table of contents over every paper the toolkit knows, and a summary table;
then one section per paper with each claim's comparison, its mutated twins and its figures.
"""
from __future__ import annotations

import html
import json
import os
import shutil
import sys
import time

from .core import PAPERS, SOURCE_WORDS, SOURCES

SOURCE_HELP = SOURCE_WORDS

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;max-width:1280px;
color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{margin:.2em 0 .4em}
h2 .small a{margin-left:.6em}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{font-family:ui-monospace,monospace;text-align:right;white-space:nowrap}
table.prov{font-size:.82em;width:auto}table.prov th{white-space:nowrap}
table.twins{font-size:.82em;width:auto}.scroll{overflow-x:auto;max-width:100%}
td.val{font-family:ui-monospace,monospace;overflow-wrap:anywhere;min-width:10em;max-width:32em}
table.summary td.id{min-width:11em}table.summary td:nth-child(2){min-width:12em}
.ok{color:#0a6b2b;font-weight:600}.finding{color:#6a3d9a;font-weight:600}
.bad{color:#b00020;font-weight:700}.skipped{color:#666;font-style:italic}
.error{color:#fff;background:#c2185b;font-weight:700;padding:0 .3em;border-radius:3px}
p.error,summary.error{display:inline-block}p.finding,p.skipped{font-weight:normal}
.lead{font-size:1.05em}.muted{color:#777}
ul.toc{columns:2;column-gap:2em;font-size:.9em}ul.toc>li{break-inside:avoid;margin-bottom:.5em}
ul.toc ul{margin:.2em 0;padding-left:1.2em;font-size:.92em}
.tag{display:inline-block;border-radius:3px;padding:0 .4em;font-size:.8em;color:#fff;white-space:nowrap}
.tag-paper{background:#1f5fa8}.tag-paper-order{background:#5b7fb0}.tag-derived{background:#6a3d9a}
.tag-empirical{background:#777}
.claim{border:1px solid #e3e3e3;border-radius:6px;padding:.8em 1em;margin:1em 0;display:flex;gap:1.2em;flex-wrap:wrap}
.claim .text{flex:1 1 420px;min-width:320px}.claim .figs{flex:1 1 520px;max-width:640px}
.claim .widefigs{flex:1 1 100%}
.paperfigs{display:flex;flex-wrap:wrap;gap:1.2em}.paperfigs figure.side{flex:1 1 520px;max-width:640px}
.paperfigs figure.wide{flex:1 1 100%}
figure{margin:0 0 .8em}figure img{max-width:100%;height:auto;border:1px solid #eee;cursor:zoom-in}
pre{white-space:pre-wrap;background:#fafafa;border:1px solid #eee;padding:.5em;font-size:.82em}
.small{font-size:.85em;color:#555}
"""


def _esc(x) -> str:
    return html.escape(str(x))


def _num_td(x) -> str:
    """A table cell for a bound/observed/margin value: right-aligned on one line when short, wrapped
    when it is a long structured value (a dict of exact-check results), so it stays in its card."""
    text = _num(x)
    return f"<td class='num'>{text}</td>" if len(text) <= 24 else f"<td class='val'>{text}</td>"


def _num(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_num(v) for v in x) + "]"
    try:
        return f"{float(x):.4g}"
    except (TypeError, ValueError):
        return _esc(x)


def _tag(source: str) -> str:
    return f'<span class="tag tag-{source}" title="{_esc(SOURCE_HELP.get(source, ""))}">{source}</span>'


# ------------------------------------------------------------------------ shared with the CLI table
def status_label(r) -> tuple[str, str]:
    """(text, class) of a result's status as the table and the report print it. The class is ``ok``
    (as the toolkit records it), ``finding`` (a recorded finding reproduced), ``bad`` (not as
    recorded), ``error`` (the check raised) or ``skipped`` (decided at a larger budget)."""
    c, st = r.claim, r.verdict.status
    if st == "error":
        return "ERROR (check raised)", "error"
    if st == "skipped":
        return f"skipped (decided at {c.decides_at})", "skipped"
    if r.mutation is not None:
        return ("refuted (twin, as required)", "ok") if st == "refuted" else (f"{st}: twin NOT refuted", "bad")
    exp = c.expected_for(r.job.budget)
    if exp == "verified":
        return (st, "ok") if st == "verified" else (st, "bad")
    if st == exp:
        return f"{st} (recorded finding)", "finding"
    return f"{st} (finding recorded as {exp})", "bad"


def summary_text(s: dict, budget: str, seed: int) -> str:
    """One sentence of :func:`proofs_check.runner.summarize` counts (``check``'s and ``report``'s last
    line)."""
    parts = [f"{s['verified']}/{s['claims_run']} claims verified at budget {budget!r} (seed {seed})"]
    f = s["recorded_findings"]
    if f:
        parts.append(f"{len(f)} recorded finding{'s' if len(f) > 1 else ''} reproduced as recorded "
                     f"({', '.join(f)}; see their docstrings and docs/papers/)")
    if s["skipped"]:
        parts.append(f"{len(s['skipped'])} skipped, decided only at budget full ({', '.join(s['skipped'])})")
    if s["twins"]:
        parts.append(f"{s['twins_refuted']}/{s['twins']} mutated twins refuted")
    if s["not_as_recorded"]:
        parts.append(f"NOT as recorded: {', '.join(s['not_as_recorded'])}")
    if s["twins_not_refuted"]:
        parts.append(f"twins NOT refuted: {', '.join(s['twins_not_refuted'])}")
    if s["errors"]:
        parts.append(f"{len(s['errors'])} ERROR{'S' if len(s['errors']) > 1 else ''} (a check raised: "
                     f"{', '.join(s['errors'])})")
    return "; ".join(parts) + "."


# ------------------------------------------------------------------------------------ the page
def _png_size(path: str) -> tuple[int, int] | None:
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _fig_html(f, rel: str, size) -> str:
    # wide or large (multi-panel) figures take the full width below the text, so they stay legible
    wide = size is not None and (size[0] > 2.0 * size[1] or size[0] > 1400)
    dims = f" width='{size[0]}' height='{size[1]}'" if size else ""
    return (f"<figure class='{'wide' if wide else 'side'}'><a href='{_esc(rel)}' target='_blank' "
            f"title='open full size'><img src='{_esc(rel)}' alt='{_esc(f.title)}' loading='lazy'{dims}>"
            f"</a><figcaption class='small'>{_esc(f.title)} <a href='{_esc(rel)}' target='_blank'>"
            "(full size)</a></figcaption></figure>")


def tag_header_html(claims=None) -> str:
    """The header explaining the source tags: what each tag means, and how many claims of each kind
    every paper has (all registered claims unless ``claims`` is given), so a derived bound is never
    mistaken for the paper's theorem."""
    if claims is None:
        from .core import all_claims
        claims = all_claims()
    counts: dict[str, dict[str, int]] = {}
    for c in claims:
        counts.setdefault(c.module, dict.fromkeys(SOURCES, 0))[c.source] += 1
    rows = "".join(f"<tr><td>{_esc(PAPERS[m][1])} (arXiv:{_esc(PAPERS[m][0])})</td>"
                   + "".join(f"<td class='num'>{n[s]}</td>" for s in SOURCES) + "</tr>"
                   for m, n in counts.items())
    total = "".join(f"<td class='num'>{sum(n[s] for n in counts.values())}</td>" for s in SOURCES)
    return ("<p class='small'>Source tags: " + "; ".join(f"{_tag(k)} {_esc(v)}" for k, v in SOURCE_WORDS.items())
            + ". Each claim's docstring says in words where its statement was confirmed (the paper's text, "
              "abstract, poster, slides or official code at a commit), and which parts were derived here or "
              "recalled, not confirmed.</p><table class='tags'><tr><th>paper</th>"
            + "".join(f"<th>{_tag(s)}</th>" for s in SOURCES) + "</tr>" + rows
            + f"<tr><td><b>all papers</b></td>{total}</tr></table>")


def _provenance_html(prov: dict | None) -> str:
    if not prov:
        return ""
    g = prov.get("git") or {}
    commit = (_esc(g["commit"]) + (" (with uncommitted changes)" if g.get("dirty") else "")) if g else "not a git checkout"
    j = prov.get("jax") or {}
    plat = (f"JAX backend {_esc(j.get('backend'))} ({_esc(', '.join(j.get('devices', [])))}), float64 (x64) "
            f"{'on' if j.get('x64') else 'off'}" if j.get("backend") else _esc(j.get("note") or "-"))
    libs = ", ".join(f"{_esc(k)} {_esc(v)}" for k, v in prov.get("libraries", {}).items() if v)
    rows = [("toolkit", f"theory-verify {_esc(prov.get('version'))}, commit {commit}"),
            ("libraries", libs), ("platform", f"Python {_esc(prov.get('python'))} on {_esc(prov.get('os'))}; {plat}"),
            ("command", f"<code>{_esc(prov.get('command'))}</code>"),
            ("started", f"{_esc(prov.get('started'))}; total {_num(prov.get('total_seconds'))} s")]
    return ("<table class='prov'>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
            + "</table>")


def _counts(rs) -> str:
    n = len(rs)
    kinds = [status_label(r)[1] for r in rs]
    bits = [f"{kinds.count('ok')} verified"]
    for k, word in (("finding", "recorded finding"), ("skipped", "skipped"), ("bad", "NOT as recorded"),
                    ("error", "error")):
        if kinds.count(k):
            bits.append(f"{kinds.count(k)} {word}")
    return f"{n} claim{'s' if n != 1 else ''}: " + ", ".join(bits)


def _cached_note(r) -> str:
    return f"; from the cache, computed {_esc(r.computed_at)}" if r.cached else ""


def _render_html(results, figs_by_module, fig_files, budget, seed, elapsed, prov=None, fig_errors=None,
                 implemented=None) -> str:
    """The report page. ``fig_files`` maps figure name -> (path relative to the page, absolute path)."""
    from .runner import summarize

    main = [r for r in results if r.mutation is None]
    twins: dict[str, list] = {}
    for r in results:
        if r.mutation is not None:
            twins.setdefault(r.claim.id, []).append(r)
    s = summarize(results)
    modules = list(dict.fromkeys([r.claim.module for r in main] + list(figs_by_module)))
    implemented = set(implemented if implemented is not None else modules)

    def link(cid):
        return f"<a href='#{_esc(cid)}'>{_esc(cid)}</a>"

    head = [f"<b>{s['verified']}</b> of {s['claims_run']} claims run verified"]
    if s["recorded_findings"]:
        head.append(f"<b>{len(s['recorded_findings'])}</b> recorded finding(s) reproduced as recorded "
                    f"({', '.join(link(c) for c in s['recorded_findings'])}): statements the toolkit found "
                    "not to hold numerically, kept with their measured numbers")
    if s["skipped"]:
        head.append(f"{len(s['skipped'])} skipped, decided only at budget full "
                    f"({', '.join(link(c) for c in s['skipped'])})")
    if s["twins"]:
        head.append(f"<b>{s['twins_refuted']}</b> of {s['twins']} mutated twins refuted")
    if s["not_as_recorded"]:
        head.append("<span class='bad'>NOT as recorded: "
                    + ", ".join(link(c) for c in s["not_as_recorded"]) + "</span>")
    if s["twins_not_refuted"]:
        head.append("<span class='bad'>twins NOT refuted: " + _esc(", ".join(s["twins_not_refuted"])) + "</span>")
    if s["errors"]:
        head.append(f"<span class='error'>{len(s['errors'])} error(s), a check raised: "
                    + _esc(", ".join(s["errors"])) + "</span>")
    if fig_errors:
        head.append(f"<span class='error'>{len(fig_errors)} figure(s) failed</span> (see the end)")
    hits = sorted(r.computed_at for r in results if r.cached)
    if hits:
        head.append(f"{len(hits)} of {len(results)} verdicts (claims and twins) read from the verdict "
                    f"cache, computed {_esc(hits[0])}" + (f" to {_esc(hits[-1])}" if hits[-1] != hits[0]
                                                         else "") + " (each says so beside its numbers)")

    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             "<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<title>theory-verify report</title><style>{CSS}</style></head><body>",
             "<h1>theory-verify: checked results of ML-theory papers</h1>",
             f"<p class='lead'>Budget <b>{_esc(budget)}</b>, seed {seed}, {elapsed:.0f} s: "
             + "; ".join(head) + ".</p>",
             "<p class='small'>Each claim compares a measurement with the paper's (or the toolkit's) bound; the "
             "<i>comparison</i> column says how to read bound, observed and margin (margin &gt; 0: holds with "
             "room). Each claim's <i>mutated twins</i> (the bound halved, the theorem's condition violated, a "
             "weight perturbed) go through the same comparison and must come out refuted, which shows the "
             "check can fail.</p>",
             _provenance_html(prov), tag_header_html()]

    # table of contents: every paper the toolkit knows, in README order
    parts.append("<h2 id='contents'>Contents</h2><ul class='toc'>")
    for m, (arxiv, title) in PAPERS.items():
        if m in modules:
            mine = [r for r in main if r.claim.module == m]
            sub = "".join(f"<li>{link(r.claim.id)} <span class='{status_label(r)[1]}'>{_esc(status_label(r)[0])}"
                          "</span></li>" for r in mine)
            parts.append(f"<li><a href='#paper-{m}'>{_esc(title)}</a> <span class='small'>(arXiv:{arxiv}, "
                         f"<code>{m}</code>; {_counts(mine)})</span><ul>{sub}</ul></li>")
        elif m in implemented:
            parts.append(f"<li class='muted'>{_esc(title)} <span class='small'>(arXiv:{arxiv}, <code>{m}</code>): "
                         f"not in this report; <code>theory-verify report {m}</code></span></li>")
        else:
            parts.append(f"<li class='muted'>{_esc(title)} <span class='small'>(arXiv:{arxiv}, <code>{m}</code>): "
                         "not yet implemented</span></li>")
    parts.append("</ul>")

    parts.append("<h2 id='summary'>Summary</h2><div class='scroll'><table class='summary'><tr><th>claim</th>"
                 "<th>theorem</th><th>source</th><th>comparison</th><th>bound</th><th>observed</th>"
                 "<th>margin</th><th>status</th><th>twins refuted</th><th>s</th></tr>")
    for r in main:
        c, v = r.claim, r.verdict
        tw = twins.get(c.id, [])
        n_ref = sum(t.verdict.status == "refuted" for t in tw)
        tw_cls = "" if not tw else ("ok" if n_ref == len(tw) else "bad")
        tw_s = f"{n_ref}/{len(tw)}" if tw else "-"
        text, cls = status_label(r)
        ident = _esc(c.id).replace(".", ".<wbr>").replace("_", "_<wbr>")   # long ids may break
        parts.append(f"<tr><td class='id'><a href='#{_esc(c.id)}' title='arXiv:{_esc(c.paper)}'>{ident}</a></td>"
                     f"<td>{_esc(c.theorem)}</td>"
                     f"<td>{_tag(c.source)}</td><td><code>{_esc(v.kind or '-')}</code></td>"
                     f"{_num_td(v.bound)}{_num_td(v.observed)}"
                     f"{_num_td(v.margin)}<td class='{cls}'>{_esc(text)}</td>"
                     f"<td class='num {tw_cls}'>{tw_s}</td><td class='num'>{v.seconds:.1f}</td></tr>")
    parts.append("</table></div>")

    for m in modules:
        arxiv, title = PAPERS[m]
        parts.append(f"<h2 id='paper-{m}'>{_esc(title)} <span class='small'>(arXiv:{arxiv}, "
                     f"module <code>{m}</code>) <a href='#contents'>contents</a></span></h2>")
        figs = figs_by_module.get(m, [])
        shown = set()
        for r in (x for x in main if x.claim.module == m):
            c, v = r.claim, r.verdict
            mine = [f for f in figs if c.id in f.claims and f.name not in shown and f.name in fig_files]
            shown.update(f.name for f in mine)
            text, cls = status_label(r)
            block = [f"<h3>{_esc(c.id)} {_tag(c.source)} <span class='{cls}'>{_esc(text)}</span></h3>",
                     f"<p><b>{_esc(c.theorem)}.</b> {_esc(c.statement)}</p>"]
            if v.status == "skipped":
                block.append(f"<p class='skipped'>Not run: this statement is decided only by a run at budget "
                             f"{_esc(c.decides_at)} (<code>theory-verify check {_esc(c.id)} --budget "
                             f"{_esc(c.decides_at)}</code>). A skipped claim says nothing either way.</p>")
            elif v.status == "error":
                block.append(f"<p class='error'>The check raised an error (a broken check or environment, not "
                             f"a verdict on the paper): {_esc(v.message)}</p>")
            else:
                kind = f"Comparison <code>{_esc(v.kind)}</code>: " if v.kind else ""
                block.append(f"<p>{kind}bound {_num(v.bound)}, observed {_num(v.observed)}, margin "
                             f"{_num(v.margin)} ({v.seconds:.1f} s{_cached_note(r)}). {_esc(v.message)}</p>")
            exp = c.expected_for(budget)
            if exp != "verified":
                block.append(f"<p class='finding'>Recorded finding: at budget {_esc(budget)} this claim is "
                             f"recorded as {exp} (the measured numbers are in the docstring and "
                             f"docs/papers/{c.module}.md).</p>")
            elif c.expected_full and c.expected_full != "verified":
                block.append(f"<p class='finding'>Recorded finding at budget full: {c.expected_full} (see the "
                             "docstring).</p>")
            tw = twins.get(c.id, [])
            if tw:
                block.append("<table class='twins'><tr><th>mutated twin</th><th>comparison</th><th>bound</th>"
                             "<th>observed</th><th>margin</th><th>status</th></tr>")
                for t in tw:
                    tv = t.verdict
                    tt, tc = status_label(t)
                    block.append(f"<tr><td><code>{_esc(t.mutation)}</code></td><td><code>{_esc(tv.kind or '-')}"
                                 f"</code></td>{_num_td(tv.bound)}{_num_td(tv.observed)}{_num_td(tv.margin)}"
                                 f"<td class='{tc}'>{_esc(tt)}</td></tr>")
                block.append("</table>")
            for t in [r] + tw:
                if t.error:
                    block.append(f"<details open><summary class='error'>traceback of {_esc(t.job.label)}"
                                 f"</summary><pre>{_esc(t.error)}</pre></details>")
            if c.doc:
                block.append(f"<details><summary>docstring (sources and tags)</summary><pre>{_esc(c.doc)}</pre>"
                             "</details>")
            if v.details:
                block.append("<details><summary>details</summary><pre>"
                             f"{_esc(json.dumps(v.to_json()['details'], indent=1)[:20000])}</pre></details>")
            figs_html = [_fig_html(f, *fig_files[f.name]) for f in mine]
            side = [h for h in figs_html if "class='side'" in h]
            wide = [h for h in figs_html if "class='wide'" in h]
            parts.append(f"<div class='claim' id='{_esc(c.id)}'><div class='text'>" + "\n".join(block) + "</div>"
                         + (f"<div class='figs'>{''.join(side)}</div>" if side else "")
                         + (f"<div class='widefigs'>{''.join(wide)}</div>" if wide else "") + "</div>")
        rest = [f for f in figs if f.name not in shown and f.name in fig_files]
        if rest:
            parts.append("<div class='paperfigs'>" + "".join(_fig_html(f, *fig_files[f.name]) for f in rest)
                         + "</div>")
    if fig_errors:
        parts.append("<h2 id='figure-errors' class='error'>Figure errors</h2><pre>"
                     + _esc(json.dumps(fig_errors, indent=1)) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(claims, modules, out: str, *, budget="fast", seed=0, progress=True, twins=True,
                 argv=None, executor=None, cache=None) -> int:
    """Run ``claims``, draw the figures of ``modules`` and write the report to the folder ``out``.

    ``out`` must be absent, empty or a report this toolkit wrote (else :class:`OutputPathError`,
    before any check runs). The report is built in a new folder beside ``out`` and moved into place
    once complete; an old report is replaced by removing only the files its marker lists. Returns
    0, or 3 when a check or a figure raised (the report is written and shows the errors).
    ``executor`` and ``cache`` go to :func:`proofs_check.runner.run_jobs`: with a cache, verdicts
    already computed are read from it and only the missing ones are run."""
    import figures as figs

    from . import core, provenance
    from .outputs import check_dir_target, install_report, make_temp_dir, write_marker, write_text
    from .runner import draw_figures, make_jobs, results_json, run_jobs, summarize

    out = check_dir_target(out, "--out", report=True)
    parent = os.path.dirname(out)
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t0 = time.perf_counter()
    tmp = make_temp_dir(parent, ".report-")
    try:
        results = run_jobs(make_jobs(claims, budget, seed, twins=twins), show_progress=progress,
                           executor=executor, cache=cache)
        fig_errors: dict[str, str] = {}
        figs_by_module = {m: figs.figures_for(m) for m in modules}
        written = draw_figures(modules, os.path.join(tmp, "figures"), ("png",), budget, seed,
                               results=results, show_progress=progress, errors=fig_errors,
                               executor=executor, cache=cache)
        fig_files = {name: (f"figures/{name}.png", os.path.join(tmp, "figures", f"{name}.png"))
                     for name in written}
        fig_files = {k: (rel, _png_size(p)) for k, (rel, p) in fig_files.items()}
        elapsed = time.perf_counter() - t0
        s = summarize(results)
        prov = provenance.collect(argv, started=started, total_seconds=elapsed, summary=s)
        doc = {"provenance": prov, **results_json(results, budget, seed)}
        doc["figure_errors"] = fig_errors
        write_text(os.path.join(tmp, "verdicts.json"), json.dumps(doc, indent=2))
        page = _render_html(results, figs_by_module, fig_files, budget, seed, elapsed, prov=prov,
                            fig_errors=fig_errors, implemented=core.available_modules())
        write_text(os.path.join(tmp, "index.html"), page)
        write_marker(tmp, version=prov["version"], created=started)
        install_report(tmp, out)
    except BaseException:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"report: {summary_text(s, budget, seed)}\n  {len(fig_files)} figures; written to "
          f"{os.path.join(out, 'index.html')} and {os.path.join(out, 'verdicts.json')}")
    for r in results:
        text, cls = status_label(r)
        if cls in ("bad", "error"):
            print(f"  {r.job.label}: {text}: {r.verdict.message}", file=sys.stderr if cls == "error" else sys.stdout)
    for name, err in fig_errors.items():
        print(f"  figure {name} failed: {err}", file=sys.stderr)
    return 3 if (s["errors"] or fig_errors) else 0
