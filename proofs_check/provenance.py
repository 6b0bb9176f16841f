"""What produced a result: toolkit version and git commit, library versions, platform, command line.

:func:`collect` returns the ``provenance`` block of ``verdicts.json`` and of the report header. It
reads package versions from the installed metadata (no heavy import), asks git for the commit only
when the package sits in a git checkout (failing quietly), and asks JAX for its backend only when the
run imported JAX (a run of claims that never touch JAX says so instead of importing it).
"""
from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata

__all__ = ["toolkit_version", "git_commit", "library_versions", "jax_platform", "collect",
           "LIBRARIES", "TIMING_KEYS"]

#: the libraries whose versions every result records (the solver cvxpy uses is clarabel)
LIBRARIES = ("jax", "jaxlib", "numpy", "scipy", "sympy", "cvxpy", "clarabel", "optax", "pepit",
             "matplotlib")
#: keys of the provenance block that change from run to run even when every verdict is the same
TIMING_KEYS = ("started", "total_seconds")

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def toolkit_version() -> str:
    """The installed version of theory-verify (``"unknown"`` when run from a tree never installed)."""
    try:
        return metadata.version("theory-verify")
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit(path: str = _PKG_DIR) -> dict | None:
    """``{"commit": sha, "dirty": bool}`` of the git checkout holding ``path``, or ``None`` (no git,
    not a checkout, or git failing): never raises."""
    try:
        kw = dict(cwd=path, capture_output=True, text=True, timeout=5)
        r = subprocess.run(["git", "rev-parse", "HEAD"], **kw)
        if r.returncode != 0 or not r.stdout.strip():
            return None
        d = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], **kw)
        return {"commit": r.stdout.strip(), "dirty": bool(d.stdout.strip()) if d.returncode == 0 else None}
    except (OSError, subprocess.SubprocessError):
        return None


def library_versions() -> dict[str, str | None]:
    """Installed versions of :data:`LIBRARIES` (``None`` for one not installed)."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def jax_platform() -> dict:
    """JAX's backend (``cpu``/``gpu``/``tpu``), its devices and whether float64 (x64) is on; only when
    JAX was imported by the run."""
    if "jax" not in sys.modules:
        return {"backend": None, "x64": None, "note": "JAX not imported by this run"}
    import jax

    try:
        devs = jax.devices()
        out = {"backend": jax.default_backend(), "devices": [str(d.device_kind) for d in devs],
               "x64": bool(jax.config.jax_enable_x64)}
        if "numerics.jit" in sys.modules:   # XLA options of the toolkit's programs (None: XLA's)
            nj = sys.modules["numerics.jit"]
            out["xla_backend_optimization_level"] = nj.OPT_LEVEL
            out["xla_cpu_use_fusion_emitters"] = nj.FUSION_EMITTERS
        return out
    except Exception as e:  # a broken backend must not break the record
        return {"backend": None, "x64": None, "note": f"{type(e).__name__}: {e}"}


def collect(argv=None, *, started: str | None = None, total_seconds: float | None = None,
            summary: dict | None = None) -> dict:
    """The provenance block of one run (``argv`` defaults to ``sys.argv``)."""
    argv = list(sys.argv if argv is None else argv)
    prog = os.path.basename(argv[0]) if argv else "theory-verify"
    if prog in ("__main__.py", "cli.py", "-m", "-c"):
        prog = "theory-verify"
    return {
        "toolkit": "theory-verify",
        "version": toolkit_version(),
        "git": git_commit(),
        "libraries": library_versions(),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.machine()}",
        "jax": jax_platform(),
        "command": shlex.join([prog] + argv[1:]),
        "started": started,
        "total_seconds": None if total_seconds is None else round(float(total_seconds), 3),
        "summary": summary,
    }


def header_lines(prov: dict) -> list[str]:
    """Short human lines of a provenance block (for the report header and ``--version``)."""
    g = prov.get("git") or {}
    commit = (g.get("commit", "")[:12] + (" (modified)" if g.get("dirty") else "")) if g else "not a git checkout"
    libs = ", ".join(f"{k} {v}" for k, v in prov["libraries"].items() if v)
    j = prov["jax"]
    plat = (f"JAX backend {j['backend']}, x64 {'on' if j['x64'] else 'off'}" if j.get("backend")
            else (j.get("note") or "JAX not imported"))
    lines = [f"theory-verify {prov['version']}, commit {commit}",
             f"Python {prov['python']} on {prov['os']}; {plat}",
             libs]
    if prov.get("command"):
        lines.append(f"command: {prov['command']}")
    return lines
