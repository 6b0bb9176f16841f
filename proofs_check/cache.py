"""A verdict cache: computed verdicts (and shard results) stored on disk and reused.

Each entry is one ``.npz`` file holding the verdict's JSON (``__meta__``) and its figure arrays,
plus a human-readable ``.json`` copy of the verdict beside it (the ``.npz`` is the one read back).
The entry's name is a hash of its *key*:

* the claim id, the mutation, the budget and the seed (for a shard: the claim id, the budget and
  the shard key, since a shard depends on nothing else);
* a hash of the code the claim runs: every ``.py`` file of ``theory/`` and ``numerics/``, the
  infrastructure modules a check calls (``proofs_check/core.py``, ``sdp.py``, ``testing.py``) and
  the claim's own module file (conservative: an edit anywhere in ``numerics/`` invalidates every
  entry);
* the versions of the libraries the numbers depend on (Python, jax, jaxlib, numpy, scipy, sympy,
  cvxpy, optax, clarabel, PEPit, scikit-learn) and the format version of this module.

A changed key is a miss: the old file stays on disk but is never read. Files are written to a
temporary name in the same folder and moved into place with ``os.replace``, so a reader sees a
whole entry or none, and several processes or workers may write the same entry at once (the last
complete write wins; equal keys hold equal results). Only the scientific outcomes (verified,
refuted, inconclusive) are stored: errors and skipped runs are always recomputed.

The location is ``--cache DIR`` or the ``TV_CACHE`` environment variable; the CLI's default is
described in :func:`default_dir` (docs/parallel.md).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import time
import zipfile
from importlib import metadata

import numpy as np

from . import core
from .core import Verdict
from .outputs import create_temp_file, write_text

__all__ = ["VerdictCache", "code_hash", "library_versions", "default_dir", "FORMAT"]

#: bump when the entry layout changes (old entries then become misses)
FORMAT = 1
LIBRARIES = ("jax", "jaxlib", "numpy", "scipy", "sympy", "cvxpy", "optax", "clarabel", "pepit",
             "scikit-learn")
_INFRA_FILES = ("core.py", "sdp.py", "testing.py")


def default_dir(budget: str) -> str | None:
    """The CLI's cache folder when neither ``--cache`` nor ``--no-cache`` is given: ``TV_CACHE`` if
    set; otherwise ``$XDG_CACHE_HOME/theory-verify`` (``~/.cache/theory-verify``) at budget
    ``full``, and no cache at ``fast`` (a fast check is cheap and should exercise the code)."""
    env = os.environ.get("TV_CACHE")
    if env:
        return env
    if budget == "full":
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "theory-verify")
    return None


def _package_dir(name: str) -> str | None:
    spec = importlib.util.find_spec(name)  # does not import the package
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def _py_files(folder: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".py")]
    return out


_hash_memo: dict[str, str] = {}


def code_hash(claim: core.Claim) -> str:
    """sha256 over the source files the claim's verdict depends on (see the module docstring),
    each file's path relative to its package and its bytes."""
    mod = sys.modules.get(claim.fn.__module__)
    mod_file = os.path.abspath(getattr(mod, "__file__", "") or "")
    if mod_file in _hash_memo:
        return _hash_memo[mod_file]
    files: list[tuple[str, str]] = []
    for pkg in ("theory", "numerics"):
        d = _package_dir(pkg)
        if d:
            files += [(os.path.join(pkg, os.path.relpath(f, d)), f) for f in _py_files(d)]
    pc = os.path.dirname(os.path.abspath(core.__file__))
    files += [(f"proofs_check/{f}", os.path.join(pc, f)) for f in _INFRA_FILES
              if os.path.exists(os.path.join(pc, f))]
    if mod_file:
        files.append(("claim:" + os.path.basename(mod_file), mod_file))
    h = hashlib.sha256()
    for rel, path in files:
        h.update(rel.replace(os.sep, "/").encode() + b"\0")
        with open(path, "rb") as fh:
            h.update(fh.read())
        h.update(b"\0")
    _hash_memo[mod_file] = h.hexdigest()
    return _hash_memo[mod_file]


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries in :data:`LIBRARIES` (``None`` when absent), and
    Python's ``major.minor.micro``; read from package metadata, nothing is imported."""
    out: dict[str, str | None] = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    # the XLA option overrides of numerics.jit (rounding-level differences)
    for var in ("TV_XLA_OPT_LEVEL", "TV_XLA_FUSION_EMITTERS"):
        out[var] = os.environ.get(var, "").strip() or None
    return out


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _atomic_savez(path: str, arrays: dict) -> None:
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    tmp = create_temp_file(d, os.path.basename(path), ".npz")   # the user's umask, not mkstemp's 0600
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _atomic_text(path: str, text: str) -> None:
    write_text(path, text)   # atomic, with the user's umask (proofs_check.outputs)


def _plain_arrays(arrays: dict) -> dict | None:
    """The arrays as numeric/str numpy arrays, or ``None`` if one cannot be stored without pickle."""
    out = {}
    for k, v in arrays.items():
        a = np.asarray(v)
        if a.dtype == object:
            return None
        out["a:" + str(k)] = a
    return out


def verdict_from_json(d: dict, arrays: dict | None = None) -> Verdict:
    """A :class:`Verdict` from :meth:`Verdict.to_json` output (and its arrays)."""
    return Verdict(status=d["status"], kind=d.get("kind"), bound=d.get("bound"),
                   observed=d.get("observed"), margin=d.get("margin"), message=d.get("message", ""),
                   details=d.get("details") or {}, arrays=dict(arrays or {}),
                   seconds=float(d.get("seconds") or 0.0))


class VerdictCache:
    """Verdicts and shard results under ``root``.

    ``read=False`` recomputes everything but still stores it (``--refresh``)."""

    def __init__(self, root: str, *, read: bool = True, write: bool = True):
        if not isinstance(root, (str, os.PathLike)) or not str(root):
            raise ValueError(f"cache root must be a folder path, got {root!r}")
        self.root = os.path.abspath(os.fspath(root))
        self.read, self.write = bool(read), bool(write)
        self._versions = library_versions()

    def __repr__(self):
        return f"VerdictCache({self.root!r}, read={self.read}, write={self.write})"

    # ------------------------------------------------------------------ keys and paths
    def key(self, claim: core.Claim, *, budget: str, seed: int | None = None,
            mutation: str | None = None, shard=None) -> dict:
        """The full key of an entry (a JSON-able dict); its sha256 names the file."""
        k = {"format": FORMAT, "claim": claim.id, "budget": budget, "code": code_hash(claim),
             "versions": self._versions}
        if shard is None:
            k.update(mutation=mutation, seed=int(seed))
        else:
            k["shard"] = json.loads(json.dumps(shard))
        return k

    def _path(self, key: dict) -> str:
        sub = "shards" if "shard" in key else "verdicts"
        return os.path.join(self.root, f"v{FORMAT}", sub, key["claim"], key["budget"],
                            _digest(key)[:32] + ".npz")

    # ------------------------------------------------------------------ verdicts
    def get(self, job) -> tuple[Verdict, str] | None:
        """``(verdict, computed_at)`` for a job whose key is stored, else ``None``."""
        if not self.read:
            return None
        key = self.key(job.claim, budget=job.budget, seed=job.seed, mutation=job.mutation)
        meta, arrays = self._load(self._path(key), key)
        if meta is None:
            return None
        return verdict_from_json(meta["verdict"], arrays), meta["computed_at"]

    def put(self, job, verdict: Verdict, computed_at: str | None = None) -> bool:
        """Store a job's verdict; returns whether it was stored (errors, skipped runs and arrays
        that need pickling are not)."""
        if not self.write or verdict.status not in core.STATUSES:
            return False
        key = self.key(job.claim, budget=job.budget, seed=job.seed, mutation=job.mutation)
        return self._store(self._path(key), key, {"verdict": verdict.to_json()}, verdict.arrays,
                           computed_at)

    # ------------------------------------------------------------------ shards
    def get_shard(self, claim: core.Claim, budget: str, shard) -> tuple[dict, float] | None:
        """``(arrays, seconds)`` of a stored shard result, else ``None``."""
        if not self.read:
            return None
        key = self.key(claim, budget=budget, shard=shard)
        meta, arrays = self._load(self._path(key), key)
        if meta is None:
            return None
        return arrays, float(meta.get("seconds", 0.0))

    def put_shard(self, claim: core.Claim, budget: str, shard, arrays: dict, seconds: float) -> bool:
        if not self.write:
            return False
        key = self.key(claim, budget=budget, shard=shard)
        return self._store(self._path(key), key, {"seconds": float(seconds)}, arrays, None)

    # ------------------------------------------------------------------ files
    def _store(self, path: str, key: dict, meta: dict, arrays: dict, computed_at) -> bool:
        plain = _plain_arrays(arrays)
        if plain is None:
            return False
        meta = dict(meta, key=key, computed_at=computed_at or _now())
        text = json.dumps(meta, indent=1, default=str)
        plain["__meta__"] = np.array(text)
        _atomic_savez(path, plain)
        _atomic_text(path[:-4] + ".json", text)
        return True

    @staticmethod
    def _load(path: str, key: dict):
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["__meta__"]))
                if meta.get("key") != json.loads(json.dumps(key, default=str)):
                    return None, None
                arrays = {k[2:]: z[k] for k in z.files if k.startswith("a:")}
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # absent, partial or foreign file: a miss
            return None, None
        return meta, arrays
