"""A verdict is bit-identical for the same seed, budget and versions: two runs of a few cheap claims in
separate processes give the same JSON, timings and timestamps aside."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLAIMS = ["sam.limit_cycle", "sam.rate_1_over_T2", "catapult.stage_model"]
#: what may differ between two identical runs: wall times and the moments they started
VOLATILE = {"seconds", "created", "computed_at", "started", "total_seconds"}


def _strip(x):
    if isinstance(x, dict):
        return {k: _strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [_strip(v) for v in x]
    return x


def _run(cwd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    argv = [sys.executable, "-m", "proofs_check", "check", *CLAIMS, "--twins", "-q", "--no-cache",
            "--json", "v.json"]
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(cwd, "v.json")) as f:
        return json.load(f)


def test_two_processes_give_identical_json(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    ja, jb = _run(a), _run(b)
    assert len(ja["claims"]) > len(CLAIMS)                  # claims and their twins
    assert ja["provenance"]["jax"]["x64"] is True
    assert _strip(ja) == _strip(jb)
    # and the serialisation itself is byte-identical once the volatile keys are gone
    assert json.dumps(_strip(ja), sort_keys=True) == json.dumps(_strip(jb), sort_keys=True)
