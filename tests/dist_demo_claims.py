"""Test-only claims for the executor and cache tests (never loaded by ``theory-verify``).

Workers import this file by path (``run_jobs(..., imports=[path])``), the test process through
the same loader, so both register the same claims. They live under the ``plasticity`` paper (any
paper id would do), and the tests remove them from the registry afterwards.
"""
from __future__ import annotations

import os

import numpy as np

from proofs_check.core import claim, verdict_from

_PARTS = 4


def _sharded_keys(budget, seed, mutation):
    return [["part", i, budget] for i in range(_PARTS)]


def _sharded_part(budget, key):
    _, i, _ = key
    x = np.sin(np.arange(3 * i, 3 * i + 3, dtype=float)) ** 2   # float arithmetic that must not change
    return {"x": x, "pid": np.array(os.getpid())}


@claim(id="plasticity.dist_sharded", paper="2306.10711", theorem="demo", statement="sum <= bound",
       source="derived", mutations=("bound_halved",), shards=_sharded_keys, shard=_sharded_part)
def dist_sharded(budget, seed, mutation, shard_results=None):
    """Demo sharded claim: the sum of sin(k)^2 over k < 12, computed in four shards (derived here)."""
    parts = [r["x"] for r in shard_results]
    total = float(np.sum(np.concatenate(parts)))
    bound = 3.6 if mutation == "bound_halved" else 7.2
    return verdict_from(total <= bound, kind="value <= bound", bound=bound, observed=total,
                        message="sum of sin(k)^2", details={"n_shards": len(parts)},
                        arrays={"x": np.concatenate(parts)})


@claim(id="plasticity.dist_exit", paper="2306.10711", theorem="demo",
       statement="the worker running this dies", source="derived")
def dist_exit(budget, seed, mutation):
    """Demo claim whose worker process exits at once (only ever run on a Dask worker) (derived here)."""
    try:
        from distributed import get_worker
        get_worker()
    except (ImportError, ValueError):
        raise RuntimeError("dist_exit runs only on a Dask worker") from None
    os._exit(13)


@claim(id="plasticity.dist_raises", paper="2306.10711", theorem="demo",
       statement="the check raises", source="derived")
def dist_raises(budget, seed, mutation):
    """Demo claim whose check raises (derived here)."""
    raise ValueError("demo failure")
