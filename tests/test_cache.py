"""The verdict cache: keys, atomic entries, reuse by check and report, --no-cache / --refresh, the
default location (never the user's home in a test), and shard entries."""
import json
import multiprocessing as mp
import os
import sys

import numpy as np
import pytest

from proofs_check import cache as vcache
from proofs_check import cli, core, runner
from proofs_check.core import Verdict

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dist_demo_claims.py")


@pytest.fixture
def demo_claims(monkeypatch):
    core.load_all()
    monkeypatch.setattr(core, "_REGISTRY", dict(core._REGISTRY))
    sys.modules.pop("tv_extra_dist_demo_claims", None)
    runner.import_extra([DEMO])
    yield sys.modules["tv_extra_dist_demo_claims"]
    sys.modules.pop("tv_extra_dist_demo_claims", None)


@pytest.fixture(autouse=True)
def no_home_cache(monkeypatch, tmp_path):
    """No test may write into the user's home: the default location points into tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TV_CACHE", raising=False)


def _files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_roundtrip_keeps_json_and_arrays(demo_claims, tmp_path):
    store = vcache.VerdictCache(tmp_path / "c")
    job = runner.Job("plasticity.dist_sharded")
    (r,) = runner.run_jobs([job], show_progress=False)
    assert store.put(job, r.verdict, r.computed_at)
    v, when = store.get(job)
    assert when == r.computed_at
    assert v.to_json() == r.verdict.to_json()
    np.testing.assert_array_equal(v.arrays["x"], r.verdict.arrays["x"])
    names = _files(store.root)
    assert not [n for n in names if ".tmp-" in n]          # nothing half-written is left
    assert any(n.endswith(".npz") for n in names) and any(n.endswith(".json") for n in names)


def test_key_parts_each_make_a_miss(demo_claims, tmp_path, monkeypatch):
    store = vcache.VerdictCache(tmp_path)
    job = runner.Job("plasticity.dist_sharded")
    v = Verdict(status="verified", kind="value <= bound", bound=1.0, observed=0.5)
    store.put(job, v)
    assert store.get(job) is not None
    for other in (runner.Job(job.claim_id, "bound_halved"), runner.Job(job.claim_id, seed=1),
                  runner.Job(job.claim_id, budget="full")):
        assert store.get(other) is None
    with monkeypatch.context() as m:
        m.setattr(vcache, "code_hash", lambda c: "edited")
        assert store.get(job) is None                       # the code changed
    store2 = vcache.VerdictCache(tmp_path)
    store2._versions = dict(store2._versions, numpy="0.0")
    assert store2.get(job) is None                          # another library version


def test_errors_skips_and_pickled_arrays_are_not_stored(demo_claims, tmp_path):
    store = vcache.VerdictCache(tmp_path)
    job = runner.Job("plasticity.dist_sharded")
    assert not store.put(job, Verdict(status="error", message="boom"))
    assert not store.put(job, Verdict(status="skipped"))
    assert not store.put(job, Verdict(status="verified", arrays={"o": np.array([{}], dtype=object)}))
    assert store.get(job) is None


def test_corrupt_entry_is_a_miss(demo_claims, tmp_path):
    store = vcache.VerdictCache(tmp_path)
    job = runner.Job("plasticity.dist_sharded")
    store.put(job, Verdict(status="verified"))
    (npz,) = [n for n in _files(store.root) if n.endswith(".npz") and "verdicts" in n]
    with open(os.path.join(store.root, npz), "wb") as fh:
        fh.write(b"PK\x03\x04 truncated")
    assert store.get(job) is None


def _writer(root, i):
    sys.path.insert(0, os.path.dirname(os.path.dirname(DEMO)))
    from proofs_check import cache as c, runner as r
    r.import_extra([DEMO])
    store = c.VerdictCache(root)
    for _ in range(20):
        store.put(r.Job("plasticity.dist_sharded"),
                  Verdict(status="verified", observed=1.0, arrays={"x": np.arange(1000.0)}))


def test_concurrent_writers_leave_a_whole_entry(demo_claims, tmp_path):
    ctx = mp.get_context("spawn")
    ps = [ctx.Process(target=_writer, args=(str(tmp_path), i)) for i in range(3)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(120)
    assert all(p.exitcode == 0 for p in ps)
    v, _ = vcache.VerdictCache(tmp_path).get(runner.Job("plasticity.dist_sharded"))
    np.testing.assert_array_equal(v.arrays["x"], np.arange(1000.0))
    assert not [n for n in _files(tmp_path) if ".tmp-" in n]


def test_check_reuses_then_refreshes_and_no_cache_writes_nothing(demo_claims, tmp_path, capsys):
    root = tmp_path / "vc"
    out1, out2, out3 = (tmp_path / f"r{i}.json" for i in range(3))
    args = ["check", "plasticity.dist_sharded", "-q", "--twins", "--cache", str(root)]
    assert cli.main(args + ["--json", str(out1)]) == 0
    assert cli.main(args + ["--json", str(out2)]) == 0
    assert "2 of 2 verdicts from the cache" in capsys.readouterr().out
    a, b = json.loads(out1.read_text()), json.loads(out2.read_text())
    assert [c["cached"] for c in a["claims"]] == [False, False]
    assert [c["cached"] for c in b["claims"]] == [True, True]
    assert [c["computed_at"] for c in b["claims"]] == [c["computed_at"] for c in a["claims"]]
    assert [c["verdict"] for c in a["claims"]] == [c["verdict"] for c in b["claims"]]
    assert cli.main(args + ["--refresh", "--json", str(out3)]) == 0
    assert not any(c["cached"] for c in json.loads(out3.read_text())["claims"])
    other = tmp_path / "none"
    assert cli.main(["check", "plasticity.dist_sharded", "-q", "--no-cache"]) == 0
    assert cli.main(["check", "plasticity.dist_sharded", "-q"]) == 0   # fast: no default cache
    assert not other.exists() and not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_default_locations(tmp_path, monkeypatch):
    assert vcache.default_dir("fast") is None
    assert vcache.default_dir("full") == str(tmp_path / "xdg" / "theory-verify")
    monkeypatch.setenv("TV_CACHE", str(tmp_path / "env"))
    assert vcache.default_dir("fast") == vcache.default_dir("full") == str(tmp_path / "env")


def test_shards_are_cached_and_shared_by_twins(demo_claims, tmp_path):
    calls = []
    orig = demo_claims._sharded_part
    c = core.get_claim("plasticity.dist_sharded")
    object.__setattr__(c, "shard", lambda b, k: calls.append(k) or orig(b, k))
    try:
        store = vcache.VerdictCache(tmp_path)
        jobs = runner.make_jobs([c], twins=True)
        first = runner.run_jobs(jobs, show_progress=False, cache=store)
        assert len(calls) == 4                  # the claim and its twin share the four shards
        # drop the verdict entries: only the combine step runs again, from the stored shards
        for n in _files(store.root):
            if n.startswith(os.path.join("v1", "verdicts")):
                os.unlink(os.path.join(store.root, n))
        again = runner.run_jobs(jobs, show_progress=False, cache=store)
        assert len(calls) == 4 and not any(r.cached for r in again)
        assert [r.verdict.to_json()["observed"] for r in again] == \
               [r.verdict.to_json()["observed"] for r in first]
    finally:
        object.__setattr__(c, "shard", orig)


def test_report_renders_from_the_cache(demo_claims, tmp_path, monkeypatch):
    """A second report reads its verdicts and its figure's data from the cache. The paper's own
    figures are replaced by one demo figure drawn from the demo claim (this test is about the
    cache, not about plasticity's figures, which the figure tests draw)."""
    import figures
    from proofs_check.report import write_report

    figures._load_all()
    demo = figures.Figure(name="plasticity_dist_demo", module="plasticity", title="demo",
                          claims=("plasticity.dist_sharded",), fn=_demo_figure)
    monkeypatch.setattr(figures, "_FIGURES", {demo.name: demo})
    claims = [core.get_claim("plasticity.dist_sharded")]
    store = vcache.VerdictCache(tmp_path / "vc")
    write_report(claims, ["plasticity"], str(tmp_path / "r1"), progress=False, cache=store)
    write_report(claims, ["plasticity"], str(tmp_path / "r2"), progress=False, cache=store)
    doc = json.loads((tmp_path / "r2" / "verdicts.json").read_text())
    assert all(c["cached"] for c in doc["claims"])
    page = (tmp_path / "r2" / "index.html").read_text()
    assert "from the verdict cache" in page and "from the cache, computed" in page
    assert "verdict cache" not in (tmp_path / "r1" / "index.html").read_text()
    assert (tmp_path / "r2" / "figures" / "plasticity_dist_demo.png").is_file()


def _demo_figure(data):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot(data["plasticity.dist_sharded"]["x"])
    return fig


def test_cache_files_follow_the_umask(tmp_path):
    """Cache entries get 0o666 & ~umask (a colleague sharing the cache can read them), not 0600."""
    import os
    import stat

    from proofs_check import cache as cache_mod
    old = os.umask(0o022)
    try:
        cache_mod._atomic_savez(str(tmp_path / "sub" / "e.npz"), {"x": np.zeros(2)})
        cache_mod._atomic_text(str(tmp_path / "sub" / "e.json"), "{}")
    finally:
        os.umask(old)
    for name in ("e.npz", "e.json"):
        assert stat.S_IMODE(os.stat(tmp_path / "sub" / name).st_mode) == 0o644
    assert not [p for p in (tmp_path / "sub").iterdir() if p.name.startswith(".")]
