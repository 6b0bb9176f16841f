"""Tests of the foundation: Claim/Verdict types, registry, CLI exit codes, atomic report (the demo
registry fixture is in conftest.py)."""
import json
import os
import sys

import numpy as np
import pytest

import figures as figs
from proofs_check import cli, core
from proofs_check.core import Verdict, claim, verdict_from


def test_verdict_status_is_checked():
    with pytest.raises(ValueError, match="status"):
        Verdict(status="maybe")


def test_claim_rejects_bad_source_and_id():
    with pytest.raises(ValueError, match="source"):
        claim(id="sam.x", paper="1", theorem="t", statement="s", source="folklore")
    with pytest.raises(ValueError, match="module"):
        claim(id="nosuch.x", paper="1", theorem="t", statement="s", source="paper")


def test_verdict_json_drops_arrays_and_numpy_types():
    v = Verdict(status="verified", bound=np.float64(1.0), observed=np.inf, margin=None,
                details={"a": np.arange(3)}, arrays={"x": np.zeros(3)})
    d = v.to_json()
    json.dumps(d)
    assert d["arrays"] == ["x"] and d["observed"] == "inf" and d["details"]["a"] == [0, 1, 2]


def test_run_rejects_bad_budget_and_mutation(demo_registry):
    c = core.get_claim("plasticity.demo_ok")
    with pytest.raises(ValueError, match="budget"):
        c.run(budget="huge")
    with pytest.raises(ValueError, match="mutation"):
        c.run(mutation="nope")
    assert c.run().status == "verified"
    assert c.run(mutation="bound_halved").status == "refuted"


def test_resolve_unknown_names_valid_ones(demo_registry):
    with pytest.raises(core.UnknownClaimError) as e:
        core.resolve(["nosuch"])
    assert "plasticity" in str(e.value)
    assert [c.id for c in core.resolve(["2306.10711"])] == ["plasticity.demo_ok", "plasticity.demo_finding",
                                                           "plasticity.demo_full_finding"]


def test_cli_exit_codes(demo_registry, tmp_path, capsys):
    assert cli.main(["list"]) == 0
    assert "plasticity.demo_ok" in capsys.readouterr().out
    assert cli.main(["check", "plasticity.demo_ok", "-q", "--twins",
                     "--json", str(tmp_path / "v.json")]) == 0
    doc = json.loads((tmp_path / "v.json").read_text())
    assert [c["verdict"]["status"] for c in doc["claims"]] == ["verified", "refuted"]
    assert cli.main(["check", "plasticity", "-q"]) == 0      # the finding reproduces as recorded
    assert "recorded finding" in capsys.readouterr().out
    assert cli.main(["check", "plasticity", "-q", "--strict"]) == 1   # strict: the finding is not verified
    assert cli.main(["check", "plasticity.demo_full_finding", "-q", "--budget", "full"]) == 0
    assert cli.main(["check", "plasticity.demo_full_finding", "-q", "--budget", "full", "--strict"]) == 1
    assert cli.main(["check", "nosuch", "-q"]) == 2
    assert "Papers: plasticity" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        cli.main(["check", "--budget", "huge"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        cli.main(["figures", "--format", "gif"])
    assert e.value.code == 2


def test_report_written_atomically(demo_registry, tmp_path):
    out = tmp_path / "r"
    assert cli.main(["report", "--out", str(out), "-q"]) == 0
    assert (out / "index.html").exists() and (out / "figures" / "demo_fig.png").exists()
    page = (out / "index.html").read_text()
    assert "plasticity.demo_ok" in page and "tag-derived" in page and "figures/demo_fig.png" in page
    doc = json.loads((out / "verdicts.json").read_text())
    assert {c["id"] for c in doc["claims"]} == {"plasticity.demo_ok", "plasticity.demo_finding",
                                                "plasticity.demo_full_finding"}

    # a run interrupted half-way leaves the previous report untouched and no temporary folder
    @claim(id="plasticity.demo_crash", paper="2306.10711", theorem="t", statement="s", source="derived")
    def crash(budget, seed, mutation):
        raise KeyboardInterrupt

    before = (out / "index.html").read_text()
    assert cli.main(["report", "--out", str(out), "-q"]) == 130
    assert (out / "index.html").read_text() == before
    assert sorted(os.listdir(tmp_path)) == ["r"]


def test_figures_command(demo_registry, tmp_path):
    assert cli.main(["figures", "plasticity", "--out", str(tmp_path), "--format", "png,pdf", "-q"]) == 0
    assert (tmp_path / "demo_fig.png").exists() and (tmp_path / "demo_fig.pdf").exists()
    assert cli.main(["figures", "nosuch", "--out", str(tmp_path)]) == 2


def test_inner_progress_only_in_a_serial_run_with_bars_on_a_terminal(demo_registry, monkeypatch):
    """A long check (a training run) shows its own bar only while run_jobs runs it in this process
    with its bars shown on a terminal; the flag is restored afterwards."""
    from proofs_check import runner

    seen = []

    @claim(id="plasticity.demo_inner", paper="2306.10711", theorem="Demo 4", statement="x",
           source="derived")
    def demo_inner(budget, seed, mutation):
        seen.append(core.INNER_PROGRESS)
        return verdict_from(True, kind="exact")

    job = [runner.Job("plasticity.demo_inner")]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    runner.run_jobs(job, show_progress=True)
    runner.run_jobs(job, show_progress=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    runner.run_jobs(job, show_progress=True)
    assert seen == [True, False, False] and core.INNER_PROGRESS is False
