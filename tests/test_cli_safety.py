"""Outputs a user can trust: no data loss, bad paths refused before any check runs, the user's umask,
helpful errors for unknown names, verdicts and counts that read right, provenance in every result.

Every test runs the command line on the demo registry (conftest.py) in a temporary folder."""
import json
import os
import stat

import pytest

from proofs_check import cli, core
from proofs_check.core import claim, verdict_from
from proofs_check.outputs import REPORT_MARKER


def _one_line_error(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _user_files(d):
    (d / "thesis.tex").write_text("\\documentclass{article}")
    (d / "data.csv").write_text("a,b\n1,2\n")


def _read_only_dir(tmp_path):
    """A folder this process cannot write into (root ignores permission bits: use /sys there)."""
    if os.geteuid() == 0:
        return "/sys"
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    return str(ro)


# ------------------------------------------------------------------------------- report --out safety
def test_report_refuses_a_folder_that_is_not_a_report(demo_registry, tmp_path, capsys):
    d = tmp_path / "mywork"
    d.mkdir()
    _user_files(d)
    assert cli.main(["report", "--out", str(d), "-q"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "not a theory-verify report" in line
    assert sorted(os.listdir(d)) == ["data.csv", "thesis.tex"]
    assert (d / "thesis.tex").read_text() == "\\documentclass{article}"
    assert demo_registry.demo_runs == []                     # refused before any check ran
    assert sorted(os.listdir(tmp_path)) == ["mywork"]        # no temporary folder left


def test_report_refuses_an_existing_file(demo_registry, tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("keep me")
    assert cli.main(["report", "--out", str(f), "-q"]) == 2
    assert "existing file" in _one_line_error(capsys.readouterr().err)
    assert f.is_file() and f.read_text() == "keep me"        # never replaced by a folder
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]      # no hidden .report-old-*
    assert demo_registry.demo_runs == []


def test_report_into_empty_folder_and_replacing_its_own_report(demo_registry, tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    assert cli.main(["report", "--out", str(out), "-q"]) == 0
    marker = json.loads((out / REPORT_MARKER).read_text())
    assert marker["tool"] == "theory-verify"
    assert {"index.html", "verdicts.json", "figures/", "figures/demo_fig.png"} <= set(marker["files"])
    # a second run replaces its own report
    assert cli.main(["report", "--out", str(out), "-q"]) == 0
    assert (out / "index.html").exists()
    assert sorted(os.listdir(tmp_path)) == ["r"]


def test_replacing_a_report_keeps_what_the_user_added(demo_registry, tmp_path):
    out = tmp_path / "r"
    assert cli.main(["report", "--out", str(out), "-q"]) == 0
    (out / "my_notes.md").write_text("mine")
    (out / "figures" / "my_plot.png").write_bytes(b"mine")
    # an old figure the marker lists, that the new report no longer writes, is removed
    (out / "figures" / "old_fig.png").write_bytes(b"old")
    m = json.loads((out / REPORT_MARKER).read_text())
    m["files"] += ["figures/old_fig.png", "../outside.txt", "/etc/hostname"]
    (out / REPORT_MARKER).write_text(json.dumps(m))
    outside = tmp_path / "outside.txt"
    outside.write_text("outside")
    assert cli.main(["report", "--out", str(out), "-q"]) == 0
    assert (out / "my_notes.md").read_text() == "mine"
    assert (out / "figures" / "my_plot.png").read_bytes() == b"mine"
    assert not (out / "figures" / "old_fig.png").exists()
    assert outside.read_text() == "outside"
    assert (out / "figures" / "demo_fig.png").exists() and (out / "index.html").exists()
    # the new marker lists only what this run wrote
    assert "my_notes.md" not in json.loads((out / REPORT_MARKER).read_text())["files"]


# ------------------------------------------------------------------------------- every output path
@pytest.mark.parametrize("case", ["json_is_folder", "json_read_only", "json_parent_is_file",
                                  "figures_out_is_file", "figures_out_read_only", "report_out_read_only"])
def test_bad_output_paths_refused_before_any_check(demo_registry, tmp_path, capsys, case):
    f = tmp_path / "afile"
    f.write_text("x")
    ro = _read_only_dir(tmp_path)
    argv = {
        "json_is_folder": ["check", "--json", str(tmp_path)],
        "json_read_only": ["check", "--json", os.path.join(ro, "v.json")],
        "json_parent_is_file": ["check", "--json", str(f / "v.json")],
        "figures_out_is_file": ["figures", "--out", str(f)],
        "figures_out_read_only": ["figures", "--out", os.path.join(ro, "figs")],
        "report_out_read_only": ["report", "--out", os.path.join(ro, "rep")],
    }[case]
    assert cli.main(argv + ["-q"]) == 2
    _one_line_error(capsys.readouterr().err)
    assert demo_registry.demo_runs == []
    assert f.read_text() == "x"


# ------------------------------------------------------------------------------- unknown names
def test_unknown_claim_suggests_the_closest_ids(demo_registry, capsys):
    assert cli.main(["check", "plasticity.demo_okk", "-q"]) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "did you mean plasticity.demo_ok" in line
    assert "demo_full_finding" not in line                   # not every id on one line
    assert cli.main(["list", "demo_finding"]) == 2           # a bare claim name finds its full id
    assert "plasticity.demo_finding" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", ["list", "check", "report", "figures"])
def test_known_paper_without_claims_says_so(demo_registry, capsys, cmd, tmp_path):
    argv = [cmd, "subspace"] + (["--out", str(tmp_path / "o"), "-q"] if cmd in ("report", "figures") else [])
    assert cli.main(argv) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert "paper subspace (arXiv 2405.16002) is known but has no claims implemented yet" in line
    assert "unknown" not in line
    assert cli.main([cmd, "2405.16002"] + argv[2:]) == 2     # by arXiv id too
    assert "known but has no claims" in capsys.readouterr().err


# ------------------------------------------------------------------------------- permissions
def test_written_files_follow_the_umask(demo_registry, tmp_path):
    old = os.umask(0o022)
    try:
        assert cli.main(["check", "plasticity.demo_ok", "-q", "--json", str(tmp_path / "v.json")]) == 0
        assert cli.main(["figures", "--out", str(tmp_path / "figs"), "-q"]) == 0
        assert cli.main(["report", "--out", str(tmp_path / "rep"), "-q"]) == 0
    finally:
        os.umask(old)

    def mode(p):
        return stat.S_IMODE(os.stat(p).st_mode)

    for p in ("v.json", "figs/demo_fig.png", "rep/index.html", "rep/verdicts.json",
              "rep/figures/demo_fig.png", f"rep/{REPORT_MARKER}"):
        assert mode(tmp_path / p) == 0o644, p
    for p in ("figs", "rep", "rep/figures"):
        assert mode(tmp_path / p) == 0o755, p


# ------------------------------------------------------------------------------- verdicts read right
@pytest.fixture
def demo_with_error_and_skipped(demo_registry):
    @claim(id="plasticity.demo_crash", paper="2306.10711", theorem="t", statement="crashes",
           source="derived", mutations=("m",))
    def crash(budget, seed, mutation):
        raise RuntimeError("boom")

    @claim(id="plasticity.demo_at_full", paper="2306.10711", theorem="t", statement="decided at full",
           source="empirical", decides_at="full")
    def at_full(budget, seed, mutation):
        return verdict_from(True, kind="value >= bound", bound=0.0, observed=1.0)

    return demo_registry


def test_table_shows_kind_margin_findings_errors_and_skipped(demo_with_error_and_skipped, capsys):
    rc = cli.main(["check", "plasticity", "--twins", "-q"])
    out, err = capsys.readouterr()
    assert rc == 3                                           # a check raised: exit 3, not 1
    rows = {ln.split()[0]: ln for ln in out.splitlines() if ln.startswith("plasticity.")}
    twin = rows["plasticity.demo_ok[twin:bound_halved]"]
    assert "value <= bound" in twin and "-0.25" in twin and "refuted (twin, as required)" in twin
    assert "0.25" in rows["plasticity.demo_ok"] and "verified" in rows["plasticity.demo_ok"]
    assert "refuted (recorded finding)" in rows["plasticity.demo_finding"]
    assert "ERROR" in rows["plasticity.demo_crash"]
    assert "skipped (decided at full)" in rows["plasticity.demo_at_full"]
    assert "verified" not in rows["plasticity.demo_at_full"]
    summary = out.strip().splitlines()[-1]
    assert "2/4 claims verified" in summary
    assert "1 recorded finding reproduced as recorded (plasticity.demo_finding" in summary
    assert "1 skipped" in summary and "1/2 mutated twins refuted" in summary
    assert "ERRORS" in summary and "plasticity.demo_crash" in summary
    assert "boom" in err


def test_report_header_toc_twins_and_figure_links(demo_with_error_and_skipped, tmp_path):
    out = tmp_path / "r"
    assert cli.main(["report", "--out", str(out), "-q"]) == 3   # written, but a check raised
    page = (out / "index.html").read_text()
    assert "<b>2</b> of 4 claims run verified" in page
    assert "recorded finding(s) reproduced as recorded" in page and "#plasticity.demo_finding" in page
    assert "<b>1</b> of 2 mutated twins refuted" in page
    assert "class='error'" in page and "boom" in page
    assert "skipped (decided at full)" in page
    # table of contents: every known paper, the unimplemented ones as such
    assert "id='contents'" in page and "href='#paper-plasticity'" in page
    assert page.count("not yet implemented") == len(core.PAPERS) - 1
    # twins show their comparison and margin
    assert "<code>bound_halved</code></td><td><code>value &lt;= bound</code></td>" in page
    assert "-0.25" in page
    # figures open full size; claims without a figure have no empty figure column
    assert "<a href='figures/demo_fig.png' target='_blank'" in page
    assert page.count("<div class='figs'>") + page.count("<div class='widefigs'>") == 1
    # provenance in the header
    assert "theory-verify" in page and "numpy" in page and "<th>command</th>" in page


def test_check_help_and_readme_describe_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    for s in ("exit 0 when every claim comes out as recorded", "--strict", "1 otherwise",
              "2 bad input", "3 a check raised"):
        assert s in helptext, s
    with pytest.raises(SystemExit):
        cli.main(["--help"])                                 # the one-line help of `check`
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.strip().startswith("check"))
    assert "as recorded" in line and "findings" in line
    readme = " ".join(open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read().split())
    for s in ("`--strict`", "3 when a check raised"):
        assert s in readme, s
    assert "exits 0 only when every claim is verified" not in readme


# ------------------------------------------------------------------------------- provenance
def test_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("theory-verify ") and "numpy" in out and "jax" in out


def test_json_carries_provenance(demo_registry, tmp_path):
    p = tmp_path / "v.json"
    assert cli.main(["check", "plasticity", "-q", "--json", str(p)]) == 0
    prov = json.loads(p.read_text())["provenance"]
    assert prov["toolkit"] == "theory-verify" and prov["version"]
    for lib in ("jax", "jaxlib", "numpy", "scipy", "sympy", "cvxpy", "clarabel"):
        assert prov["libraries"][lib], lib
    assert "backend" in prov["jax"] and "x64" in prov["jax"]
    assert prov["command"].startswith("theory-verify check plasticity")
    assert prov["total_seconds"] >= 0 and prov["started"]
    assert prov["summary"]["claims_run"] == 3
    assert "git" in prov                                     # a commit, or None outside a checkout


# ------------------------------------------------------------------------------- progress
def test_claims_twins_and_figures_have_their_own_progress_bars(demo_registry, tmp_path, capsys):
    assert cli.main(["check", "plasticity", "--twins"]) == 0
    err = capsys.readouterr().err
    assert "claims:" in err and "twins:" in err and "checks:" not in err
    assert cli.main(["report", "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "claims:" in err and "twins:" in err and "figures:" in err


def test_report_through_a_link_to_its_folder(demo_registry, tmp_path):
    real = tmp_path / "real"
    assert cli.main(["report", "--out", str(real), "-q"]) == 0
    link = tmp_path / "link"
    link.symlink_to(real)
    assert cli.main(["report", "--out", str(link), "-q"]) == 0
    assert link.is_symlink() and (real / "index.html").exists()


def test_coloured_table_is_the_plain_table_plus_colour(demo_with_error_and_skipped):
    import re

    from proofs_check import runner

    jobs = runner.make_jobs(core.resolve(["plasticity"]), twins=True)
    results = runner.run_jobs(jobs, show_progress=False)
    plain, coloured = cli._results_table(results), cli._results_table(results, colour=True)
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    assert "\x1b[1;37;45mERROR (check raised)\x1b[0m" in coloured
    assert "\x1b[35mrefuted (recorded finding)\x1b[0m" in coloured


def test_large_multi_panel_figures_take_the_full_width():
    from proofs_check.report import _fig_html

    class F:
        title = "t"

    assert "class='wide'" in _fig_html(F, "figures/a.png", (1573, 1504))   # 2 x 2 attention maps
    assert "class='wide'" in _fig_html(F, "figures/a.png", (2054, 900))    # two panels side by side
    assert "class='side'" in _fig_html(F, "figures/a.png", (1070, 620))    # one panel
    assert "href='figures/a.png' target='_blank'" in _fig_html(F, "figures/a.png", None)
