"""The ``theory-verify`` command line: list, check, draw and report the papers' claims.

Exit codes of ``check``: 0 when every claim came out as the toolkit records it (a theorem claim
verified, a recorded finding reproducing its recorded status; ``--strict``: every claim verified) and
every mutated twin was refuted; 1 when some claim or twin did not; 2 bad input (unknown paper or claim,
bad option or output path), refused before any check runs; 3 when some check raised an error (a broken
check or environment, not a verdict on the paper). ``report`` and ``figures`` exit 0 once written, 2
on bad input, 3 when a check or a figure raised (``figures``: 1 when a figure failed).

Every output path (``--json FILE``, ``--out DIR``) is checked before any check runs
(:mod:`proofs_check.outputs`); ``report --out`` writes only into a folder that is absent, empty or a
report this toolkit wrote.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import textwrap
import time

from . import core, runner
from .core import BUDGETS, PAPERS, UnknownClaimError
from .outputs import OutputPathError, check_dir_target, check_file_target, write_text

EPILOG = "Papers (module = arXiv id): " + ", ".join(f"{m} = {a}" for m, (a, _) in PAPERS.items())


# --------------------------------------------------------------------------------------- helpers
def _fmt(x, width=11) -> str:
    if x is None:
        s = "-"
    elif isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v, 9) for v in x) + "]"
    elif isinstance(x, bool):
        s = str(x)
    elif isinstance(x, (int,)) and not isinstance(x, bool):
        s = str(x)
    elif isinstance(x, float) or hasattr(x, "dtype"):
        try:
            f = float(x)
            s = f"{f:.4g}"
        except (TypeError, ValueError):
            s = str(x)
    else:
        s = str(x)
    return s if len(s) <= width else s[: width - 1] + "…"


def _table(rows: list[list[str]], header: list[str], colour_col: int | None = None,
           colours: list[str] | None = None) -> str:
    """A plain-text table; with ``colours`` (ANSI codes, one per row) cell ``colour_col`` is coloured."""
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    for k, r in enumerate(rows):
        cells = [str(c).ljust(w) for c, w in zip(r, widths)]
        if colours:
            cells[colour_col] = f"\033[{colours[k]}m{r[colour_col]}\033[0m" + " " * (widths[colour_col] - len(str(r[colour_col])))
        out.append("  ".join(cells))
    return "\n".join(out)


def _resolve(names) -> list[core.Claim]:
    try:
        return core.resolve(list(names))
    except UnknownClaimError as e:
        print(f"theory-verify: error: {e}", file=sys.stderr)
        raise SystemExit(2)


def _resolve_modules(names) -> list[str]:
    mods = core.available_modules()
    by_arxiv = {v[0]: k for k, v in PAPERS.items()}
    out = []
    for n in names or mods:
        n = by_arxiv.get(n, n)
        if n not in mods:
            err = UnknownClaimError(n, mods, [])
            print(f"theory-verify: error: {err}", file=sys.stderr)
            raise SystemExit(2)
        out.append(n)
    return out


def _out_path(check, path, option, **kw) -> str:
    """``check(path)`` or exit 2 with the one-line reason (before any check runs)."""
    try:
        return check(path, option, **kw)
    except OutputPathError as e:
        print(f"theory-verify: error: {e}", file=sys.stderr)
        raise SystemExit(2)


#: ANSI colours of the status classes of :func:`proofs_check.report.status_label`
_COLOURS = {"ok": "32", "finding": "35", "bad": "1;31", "error": "1;37;45", "skipped": "2"}


def _colour(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")


def _results_table(results, colour: bool = False) -> str:
    from .report import status_label

    rows, classes = [], []
    for r in results:
        c, v, m = r.claim, r.verdict, r.mutation
        name = c.id if m is None else f"{c.id}[twin:{m}]"
        text, cls = status_label(r)
        rows.append([name, c.source, v.kind or "-", _fmt(v.bound), _fmt(v.observed), _fmt(v.margin),
                     text, f"{v.seconds:.1f}"])
        classes.append(cls)
    codes = [_COLOURS[cls] for cls in classes] if colour else None
    return _table(rows, ["claim", "source", "comparison", "bound", "observed", "margin", "status",
                         "seconds"], colour_col=6, colours=codes)


@contextlib.contextmanager
def _execution(args):
    """The executor and verdict cache the options ask for (``--jobs``, ``--scheduler``, ``--cache``,
    ``--no-cache``, ``--refresh``); the executor is closed on leaving. Bad options exit 2."""
    from . import cache as vcache
    from . import executor as vexec

    root = None if args.no_cache else (args.cache or vcache.default_dir(args.budget))
    store = vcache.VerdictCache(root, read=not args.refresh) if root else None
    try:
        ex = vexec.make_executor(jobs=args.jobs, scheduler=args.scheduler)
    except (ValueError, OSError, vexec.DistUnavailableError) as e:  # OSError: scheduler unreachable
        print(f"theory-verify: error: {e}", file=sys.stderr)
        raise SystemExit(2)
    with ex:
        yield ex, store


def _cache_note(results, store) -> str | None:
    hits = [r for r in results if r.cached]
    if not hits:
        return None
    when = sorted(r.computed_at for r in hits)
    span = when[0] if when[0] == when[-1] else f"{when[0]} to {when[-1]}"
    return f"{len(hits)} of {len(results)} verdicts from the cache {store.root} (computed {span})"


# --------------------------------------------------------------------------------------- commands
def cmd_list(args) -> int:
    claims = _resolve(args.names)
    if args.json:
        print(json.dumps([c.to_json() for c in claims], indent=2))
        return 0
    rows = [[c.id, f"{c.paper}", c.theorem, core.SOURCE_LABELS[c.source], c.statement] for c in claims]
    width = max(40, (os.get_terminal_size((160, 20)).columns if sys.stdout.isatty() else 160) - 100)
    wrapped = []
    for r in rows:
        th, st = textwrap.wrap(r[2], 40) or [""], textwrap.wrap(r[4], width) or [""]
        for i in range(max(len(th), len(st))):
            wrapped.append([r[0] if i == 0 else "", r[1] if i == 0 else "", th[i] if i < len(th) else "",
                            r[3] if i == 0 else "", st[i] if i < len(st) else ""])
    print(_table(wrapped, ["claim", "arXiv", "theorem", "source", "statement"]))
    print(f"\n{len(claims)} claims. Source tags:\n" + "\n".join(
        f"  {core.SOURCE_LABELS[k]} ({k}): {v}" for k, v in core.SOURCE_WORDS.items()))
    return 0


def cmd_check(args) -> int:
    from . import provenance
    from .report import summary_text

    claims = _resolve(args.names)
    if args.json:
        _out_path(check_file_target, args.json, "--json")
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    t0 = time.perf_counter()
    jobs = runner.make_jobs(claims, args.budget, args.seed, twins=args.twins)
    with _execution(args) as (ex, store):
        results = runner.run_jobs(jobs, show_progress=not args.quiet, executor=ex, cache=store)
    elapsed = time.perf_counter() - t0
    print(_results_table(results, colour=_colour(sys.stdout)))
    note = _cache_note(results, store)
    if note:
        print(note)
    s = runner.summarize(results)
    print("\n" + summary_text(s, args.budget, args.seed))
    for r in results:
        if r.verdict.status == "error":
            print(f"  {r.job.label}: ERROR {r.verdict.message}", file=sys.stderr)
        elif not r.as_recorded():
            print(f"  {r.job.label}: {r.verdict.status}: {r.verdict.message}")
    if args.json:
        prov = provenance.collect(args.argv, started=started, total_seconds=elapsed, summary=s)
        doc = {"provenance": prov, **runner.results_json(results, args.budget, args.seed)}
        write_text(args.json, json.dumps(doc, indent=2))
        print(f"wrote {args.json}")
    if s["errors"]:
        return 3
    return 0 if runner.all_as_recorded(results, strict=args.strict) else 1


def _seed(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an integer >= 0, got {s!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"--seed must be an integer >= 0, got {v}")
    return v


def _jobs(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs must be an integer >= 1, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be an integer >= 1, got {v}")
    return v


def _parse_formats(s: str) -> tuple[str, ...]:
    from figures import FORMATS

    fmts = tuple(f.strip().lower() for f in s.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise argparse.ArgumentTypeError(f"formats must be a comma list among {', '.join(FORMATS)}")
    return fmts


def cmd_figures(args) -> int:
    modules = _resolve_modules(args.names)
    _out_path(check_dir_target, args.out, "--out")
    errors: dict[str, str] = {}
    with _execution(args) as (ex, store):
        written = runner.draw_figures(modules, args.out, args.format, args.budget, args.seed,
                                      show_progress=not args.quiet, errors=errors, executor=ex,
                                      cache=store)
    for name, paths in written.items():
        print(f"{name}: {', '.join(paths)}")
    for name, err in errors.items():
        print(f"figure {name} failed: {err}", file=sys.stderr)
    if not written and not errors:
        print("no figures registered for " + ", ".join(modules))
    return 1 if errors else 0


def cmd_report(args) -> int:
    from .report import write_report

    modules = _resolve_modules(args.names)
    _out_path(check_dir_target, args.out, "--out", report=True)
    claims = [c for c in core.all_claims() if c.module in modules]
    with _execution(args) as (ex, store):
        return write_report(claims, modules, args.out, budget=args.budget, seed=args.seed,
                            progress=not args.quiet, twins=not args.no_twins, argv=args.argv,
                            executor=ex, cache=store)


# --------------------------------------------------------------------------------------- parser
class _Version(argparse.Action):
    """``--version``: the toolkit version, its git commit and the versions of the libraries it uses
    (computed only when asked for)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from . import provenance

        prov = provenance.collect([])
        lines = provenance.header_lines(prov)
        print("\n".join([lines[0], f"Python {prov['python']} on {prov['os']}", lines[2]]))
        parser.exit(0)


CHECK_EXIT = ("exit 0 when every claim comes out as recorded (theorem claims verified, recorded findings "
              "reproducing their recorded status) and every mutated twin is refuted; --strict: 0 only when "
              "every claim run is verified; 1 otherwise; 2 bad input (refused before any check runs); "
              "3 a check raised an error")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="theory-verify",
        description="Executable, checked results of ten ML-theory papers: list the claims, check them "
                    "numerically and symbolically, draw the papers' figures, write a report.",
        epilog=EPILOG)
    p.add_argument("--version", action=_Version,
                   help="print the toolkit version, git commit and library versions, and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(sp, budget=True):
        if budget:
            sp.add_argument("--budget", choices=BUDGETS, default="fast",
                            help="fast = CI tier (default); full = paper-scale runs")
            sp.add_argument("--seed", type=_seed, default=0,
                            help="PRNG seed of every check, an integer >= 0 (default 0)")
        sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    def execution(sp):
        g = sp.add_argument_group("where checks run and what is reused (docs/parallel.md)")
        x = g.add_mutually_exclusive_group()
        x.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                       help="run checks on N local worker processes (Dask LocalCluster; needs "
                            "pip install -e '.[dist]'); default: serially in this process")
        x.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run checks on a Dask cluster: local:N starts one here, tcp://host:8786 "
                            "connects to a running scheduler")
        c = g.add_mutually_exclusive_group()
        c.add_argument("--cache", default=None, metavar="DIR",
                       help="verdict cache folder (default: $TV_CACHE; else ~/.cache/theory-verify "
                            "at budget full and none at fast)")
        c.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
        g.add_argument("--refresh", action="store_true",
                       help="recompute every verdict and overwrite its cache entry")

    sp = sub.add_parser("list", help="table of claims: id, paper, theorem, source tag, statement",
                        description="List claims with their id, arXiv id, theorem, source tag and "
                                    "statement.", epilog=EPILOG)
    sp.add_argument("names", nargs="*", metavar="PAPER|CLAIM", help="paper modules, arXiv ids or claim ids")
    sp.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sp.set_defaults(func=cmd_list)

    sp = sub.add_parser("check", help="run claims; exit 0 when all come out as recorded (findings "
                                      "included), 1 if not, 2 bad input, 3 a check raised",
                        description="Run the checks of the named papers or claims (all when none) and "
                                    "print claim, comparison, bound, observed, margin, status and "
                                    "seconds; claims first, then (--twins) their mutated twins, each "
                                    "phase with its own progress bar. A recorded finding is a statement "
                                    "the toolkit found not to hold (its status is recorded with the "
                                    "claim). Exit codes: " + CHECK_EXIT + ".", epilog=EPILOG)
    sp.add_argument("names", nargs="*", metavar="PAPER|CLAIM")
    sp.add_argument("--json", metavar="FILE", help="also write the verdicts as JSON to FILE")
    sp.add_argument("--twins", action="store_true",
                    help="also run each claim's mutated twins (each must come out refuted)")
    sp.add_argument("--strict", action="store_true",
                    help="the literal rule: exit 1 unless every claim run is verified (a recorded "
                         "finding counts as not verified)")
    common(sp)
    execution(sp)
    sp.set_defaults(func=cmd_check)

    sp = sub.add_parser("figures", help="draw the papers' figures",
                        description="Draw the figures of the named papers (all when none). Figures that "
                                    "show a claim's data run that claim first.", epilog=EPILOG)
    sp.add_argument("names", nargs="*", metavar="PAPER")
    sp.add_argument("--out", default="figures_out", help="output folder (default figures_out)")
    sp.add_argument("--format", type=_parse_formats, default=("png",),
                    help="comma list of png, pdf, svg (default png)")
    common(sp)
    execution(sp)
    sp.set_defaults(func=cmd_figures)

    sp = sub.add_parser("report", help="checks and figures together as a static HTML page",
                        description="Run the checks (with their mutated twins) and draw the figures, "
                                    "then write OUT/index.html, OUT/verdicts.json and the figures. OUT "
                                    "must be absent, empty or a report theory-verify wrote (it carries a "
                                    "marker file listing what was written; replacing it removes only "
                                    "those files). The report is built in a new folder beside OUT and "
                                    "moved into place, so a failed run never leaves a half report. "
                                    "Exit 0 once written, 2 on bad input (before any check runs), 3 "
                                    "when a check or a figure raised (the report shows it).",
                        epilog=EPILOG)
    sp.add_argument("names", nargs="*", metavar="PAPER")
    sp.add_argument("--out", default="report", help="output folder (default report)")
    sp.add_argument("--no-twins", action="store_true", help="skip the mutated twins")
    common(sp)
    execution(sp)
    sp.set_defaults(func=cmd_report)
    return p


def main(argv=None) -> int:
    """Entry point of ``theory-verify``; returns the exit code."""
    args = build_parser().parse_args(argv)
    args.argv = ["theory-verify"] + list(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args)
    except SystemExit as e:  # bad input found after parsing (unknown claim ...): exit code 2
        return int(e.code) if isinstance(e.code, int) else 2
    except OutputPathError as e:  # an output path that became unusable while the checks ran
        print(f"theory-verify: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
