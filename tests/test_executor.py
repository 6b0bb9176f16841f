"""The executor layer: a 2-worker Dask LocalCluster gives the same JSON as a serial run, a worker
that dies or a check that raises is an error result (not a lost run), sharded claims combine
exactly as serially, and the CLI's options reach the runner."""
import os
import subprocess
import sys

import numpy as np
import pytest

from proofs_check import cli, core, executor, runner

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist_demo_claims.py")
#: cheap real claims (numerics, sympy and an SDP solver) with their twins
REAL = ("gda.pepit_sim", "catapult.thresholds")


@pytest.fixture
def demo_claims(monkeypatch):
    """The real claims plus the test-only ones of ``dist_demo_claims.py``, in a registry copy that
    is thrown away after the test."""
    core.load_all()
    monkeypatch.setattr(core, "_REGISTRY", dict(core._REGISTRY))
    sys.modules.pop("tv_extra_dist_demo_claims", None)
    runner.import_extra([DEMO])
    yield core
    sys.modules.pop("tv_extra_dist_demo_claims", None)


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    with executor.DaskExecutor(n_workers=2) as ex:
        yield ex


def _comparable(results):
    """The run's JSON without what legitimately differs between runs: timings and timestamps."""
    d = runner.results_json(results, "fast", 0)
    d.pop("created")
    for c in d["claims"]:
        c.pop("computed_at")
        c["verdict"].pop("seconds")
    return d


def test_local_cluster_json_identical_to_serial(demo_claims, cluster):
    claims = [core.get_claim(i) for i in REAL + ("plasticity.dist_sharded", "plasticity.dist_raises")]
    jobs = runner.make_jobs(claims, "fast", 0, twins=True)
    serial = runner.run_jobs(jobs, show_progress=False)
    par = runner.run_jobs(jobs, show_progress=False, executor=cluster, imports=[DEMO])
    assert [r.job for r in par] == jobs
    assert _comparable(par) == _comparable(serial)
    st = {r.job.label: r.verdict.status for r in par}
    assert st["gda.pepit_sim"] == "verified" and st["gda.pepit_sim[step_x2]"] == "refuted"
    assert st["plasticity.dist_sharded"] == "verified"
    assert st["plasticity.dist_sharded[bound_halved]"] == "refuted"
    assert st["plasticity.dist_raises"] == "error"
    sharded = next(r for r in par if r.job.label == "plasticity.dist_sharded")
    assert sharded.verdict.details["n_shards"] == 4


def test_killed_worker_is_an_error_result_not_a_lost_run(demo_claims, cluster):
    jobs = [runner.Job("plasticity.dist_exit"), runner.Job("plasticity.dist_sharded"),
            runner.Job("plasticity.dist_sharded", "bound_halved"), runner.Job("plasticity.dist_raises")]
    out = runner.run_jobs(jobs, show_progress=False, executor=cluster, imports=[DEMO])
    assert [r.job for r in out] == jobs
    assert out[0].verdict.status == "error" and "KilledWorker" in out[0].verdict.message
    assert out[1].verdict.status == "verified"          # the other jobs are not lost
    assert out[2].verdict.status == "refuted"
    assert out[3].verdict.status == "error" and "demo failure" in out[3].verdict.message
    assert runner.summarize(out)["errors"] == ["plasticity.dist_exit", "plasticity.dist_raises"]


def test_serial_sharded_run_equals_claim_run(demo_claims):
    c = core.get_claim("plasticity.dist_sharded")
    direct = c.run("fast", 0, None)
    (r,) = runner.run_jobs([runner.Job(c.id)], show_progress=False)
    assert r.verdict.observed == direct.observed and r.verdict.status == direct.status == "verified"
    assert c.shard_keys("fast", 0, None) == [["part", i, "fast"] for i in range(4)]


def test_shards_declared_together():
    with pytest.raises(ValueError, match="shards= and shard="):
        core.claim(id="plasticity.x", paper="1", theorem="t", statement="s", source="derived",
                   shards=lambda b, s, m: None)


def test_parse_scheduler_and_make_executor_reject_bad_input():
    assert executor.parse_scheduler("local:3") == (None, 3)
    assert executor.parse_scheduler("tcp://10.0.0.1:8786") == ("tcp://10.0.0.1:8786", None)
    for bad in ("local:0", "local:x", "nonsense", ""):
        with pytest.raises(ValueError):
            executor.parse_scheduler(bad)
    with pytest.raises(ValueError):
        executor.make_executor(jobs=0)
    with pytest.raises(ValueError):
        executor.make_executor(jobs=2, scheduler="local:2")
    assert isinstance(executor.make_executor(), executor.SerialExecutor)
    with pytest.raises(ValueError, match="n_workers"):
        executor.DaskExecutor(n_workers=True)


def test_cli_rejects_bad_jobs_and_scheduler(capsys):
    with pytest.raises(SystemExit):
        cli.main(["check", "gda.pepit_sim", "--jobs", "0"])
    assert cli.main(["check", "gda.pepit_sim", "-q", "--scheduler", "nonsense"]) == 2
    assert "scheduler" in capsys.readouterr().err


def test_missing_dask_is_one_clear_error(monkeypatch, capsys):
    """Without the dist extra, --jobs fails with one line naming the install command (simulated by
    hiding the dask packages)."""
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "dask", None)
    assert cli.main(["check", "gda.pepit_sim", "-q", "--jobs", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "pip install -e '.[dist]'" in err
    with pytest.raises(executor.DistUnavailableError, match="dist"):
        executor.make_executor(scheduler="local:2")


def test_default_install_does_not_import_dask():
    code = ("import sys\nfrom proofs_check import cli, runner, cache, executor\n"
            "cli.build_parser()\nprint('distributed' in sys.modules or 'dask' in sys.modules)")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(DEMO)))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.stdout.strip() == "False", p.stderr


@pytest.mark.slow
def test_official_alex_gda_configuration_all_seeds_on_two_workers():
    """The published Alex-GDA configuration (all 30 seed pairs, the whole official grid) at budget
    full through a 2-worker LocalCluster: every tuned count equals the authors' log."""
    pytest.importorskip("distributed")
    jobs = [runner.Job("gda.official_tuned_counts", None, "full", 0)]
    with executor.DaskExecutor(n_workers=2) as ex:
        (r,) = runner.run_jobs(jobs, show_progress=False, executor=ex)
    assert r.verdict.status == "verified", r.verdict.message
    assert r.verdict.observed == r.verdict.bound == 30


def test_ctrl_c_cancels_outstanding_tasks_and_writes_nothing(demo_claims, tmp_path):
    """Ctrl-C while waiting for results: the outstanding tasks are cancelled, the executor is
    closed, the interrupt propagates, and no cache entry (whole or partial) is written."""
    from proofs_check.cache import VerdictCache

    class Interrupted(executor.SerialExecutor):
        cancelled = closed = False

        def next_done(self):
            raise KeyboardInterrupt

        def cancel_all(self):
            Interrupted.cancelled = True
            super().cancel_all()

        def close(self):
            Interrupted.closed = True
            super().close()

    ex = Interrupted()
    store = VerdictCache(tmp_path)
    jobs = runner.make_jobs([core.get_claim("plasticity.dist_sharded")], twins=True)
    with pytest.raises(KeyboardInterrupt):
        with ex:
            runner.run_jobs(jobs, show_progress=False, executor=ex, cache=store)
    assert Interrupted.cancelled and Interrupted.closed and ex.pending() == 0
    assert not any(files for _, _, files in os.walk(tmp_path))


def test_arith_full_claims_split_into_training_runs():
    """The full-budget training claims declare one shard per training run (3 seeds + baselines);
    with the training replaced by a stand-in, the runner's split run and Claim.run agree."""
    from proofs_check import arith_training as at

    calls = []

    def fake_shard(budget, key):
        _, fields, seed, g1, g2, n_eval = key
        calls.append((fields["positions"], fields["scratchpad"], seed))
        rng = np.random.default_rng(seed + 7 * len(calls))
        em = rng.uniform(size=(len(g1), len(g2)))
        return {"em": em, "digits_only": em, "eos": em, "loss": np.zeros(3),
                "train_seconds": np.float64(1.0), "selected_step": np.int64(3)}

    for cid, n in (("position_coupling.length_generalization", 5),
                   ("multi_operand.length_generalization", 4)):
        c = core.get_claim(cid)
        object.__setattr__(c, "shard", lambda b, k: fake_shard(b, k))
        try:
            keys = c.shard_keys("full", 0, None)
            assert len(keys) == n and c.shard_keys("fast", 0, None) is None
            assert len(c.shard_keys("full", 0, c.mutations[0])) == 3   # twins: no baselines
            calls.clear()
            (r,) = runner.run_jobs([runner.Job(cid, None, "full", 0)], show_progress=False)
            calls.clear()
            direct = c.run("full", 0, None)
            assert r.verdict.to_json() | {"seconds": 0} == direct.to_json() | {"seconds": 0}
        finally:
            object.__setattr__(c, "shard", at._run_shard)
