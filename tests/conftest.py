"""Shared fixtures: a private demo registry of cheap fake claims, for tests of the command line."""
import os

# Under ``pytest -n N`` each xdist worker gets the single-threaded environment of the Dask workers
# (proofs_check.executor.WORKER_ENV): N workers on N cores, instead of N multi-threaded workers
# whose thread pools compete for the same cores. Set before JAX is imported; a variable the user
# set is left alone.
if os.environ.get("PYTEST_XDIST_WORKER"):
    from proofs_check.executor import WORKER_ENV

    for _k, _v in WORKER_ENV.items():
        os.environ.setdefault(_k, _v)

import numpy as np
import pytest

import figures as figs
from proofs_check import core
from proofs_check.core import claim, verdict_from

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# only programs that took at least this long to compile are written to the persistent cache: the
# many small ones (a random draw of a new shape, an eager op) cost more to serialize than to compile
_MIN_COMPILE_SECS = 0.5


def _enable_jax_compilation_cache():
    """JAX's persistent compilation cache for the test session, in the repository's ignored
    ``.jax_cache/`` folder (``TV_JAX_CACHE`` overrides it; ``TV_JAX_CACHE=off`` disables it): the two
    xdist workers, the subprocesses of the reproducibility and command-line tests and the notebook
    kernels (which inherit the environment variables set here) compile each program once, and a
    repeated run reuses the compiled programs of the previous one. Nothing is written into the
    user's home."""
    where = os.environ.get("TV_JAX_CACHE", os.path.join(_ROOT, ".jax_cache"))
    if where == "off":
        return
    os.makedirs(where, exist_ok=True)
    os.environ["JAX_COMPILATION_CACHE_DIR"] = where
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = str(_MIN_COMPILE_SECS)
    os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"
    import jax

    jax.config.update("jax_compilation_cache_dir", where)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", _MIN_COMPILE_SECS)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


_enable_jax_compilation_cache()


def pytest_collection_modifyitems(config, items):
    """Test files with paper claims (a ``test_claim`` test) run first, the other files after them,
    each file's tests kept together and in order. Under ``pytest -n 2`` the claim files hold the
    long checks; the many short unit tests at the end then fill whichever worker frees up first
    instead of leaving one idle while the other finishes a long check. The order is the same in
    every worker (xdist requires it)."""
    with_claims = {it.nodeid.split("::")[0] for it in items
                   if getattr(it, "originalname", "") == "test_claim"}
    items.sort(key=lambda it: it.nodeid.split("::")[0] not in with_claims)


@pytest.fixture(autouse=True)
def _verdict_cache_never_in_home(monkeypatch, tmp_path_factory):
    """No test reads or writes the verdict cache in the user's home (the CLI's default at budget
    full): the default location points into a fresh temporary folder per test, and TV_CACHE is
    unset (tests of the cache pass their own folder)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.delenv("TV_CACHE", raising=False)


@pytest.fixture
def demo_registry(monkeypatch):
    """A private registry holding three demo claims under the 'plasticity' paper (and no other), and
    one demo figure. ``demo_registry.demo_runs`` lists every (claim id, mutation) a check ran."""
    monkeypatch.setattr(core, "_REGISTRY", {})
    monkeypatch.setattr(core, "_loaded", True)
    monkeypatch.setattr(figs, "_FIGURES", {})
    monkeypatch.setattr(figs, "_loaded", True)
    runs: list = []
    monkeypatch.setattr(core, "demo_runs", runs, raising=False)

    @claim(id="plasticity.demo_ok", paper="2306.10711", theorem="Demo 1", statement="x <= 1",
           source="derived", mutations=("bound_halved",))
    def demo_ok(budget, seed, mutation):
        """Demo claim (derived here)."""
        runs.append(("plasticity.demo_ok", mutation))
        bound = 0.5 if mutation == "bound_halved" else 1.0
        x = 0.75
        return verdict_from(x <= bound, kind="value <= bound", bound=bound, observed=x,
                            arrays={"t": np.arange(5.0)})

    @claim(id="plasticity.demo_finding", paper="2306.10711", theorem="Demo 2", statement="a finding",
           source="empirical", expected="refuted")
    def demo_finding(budget, seed, mutation):
        runs.append(("plasticity.demo_finding", mutation))
        return verdict_from(False, kind="value <= bound", bound=0.0, observed=1.0, message="does not hold")

    @claim(id="plasticity.demo_full_finding", paper="2306.10711", theorem="Demo 3",
           statement="holds at fast, not at full", source="empirical", expected_full="inconclusive")
    def demo_full(budget, seed, mutation):
        runs.append(("plasticity.demo_full_finding", mutation))
        return verdict_from(budget == "fast", kind="exact", inconclusive=True,
                            message="full run misses the bar")

    @figs.figure("demo_fig", title="demo", claims=("plasticity.demo_ok",), module="plasticity")
    def demo_fig(data):
        from figures.style import new
        fig, ax = new()
        ax.plot(data["plasticity.demo_ok"]["t"])
        return fig

    return core
