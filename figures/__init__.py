"""One plotting function per paper figure.

A figure function is registered with :func:`figure` and takes the data it draws as a mapping
``claim id -> arrays`` (the ``Verdict.arrays`` of the claims it names in ``claims=``); it returns a
``matplotlib.figure.Figure``. Figures never import ``proofs_check``: the command line runs the claims
and hands their arrays over. A figure that names no claims computes what it needs from ``numerics``
and ``theory`` itself and receives an empty mapping.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import secrets
from dataclasses import dataclass, field
from typing import Callable, Mapping

import sys

import matplotlib

if "ipykernel" not in sys.modules:  # in a notebook keep its inline backend, so figures display
    matplotlib.use("Agg")

__all__ = ["Figure", "figure", "get", "figures_for", "all_figures", "save", "FORMATS"]

FORMATS = ("png", "pdf", "svg")


@dataclass(frozen=True)
class Figure:
    name: str                      # file stem, e.g. "sam_limit_cycle"
    module: str                    # paper module, e.g. "sam"
    title: str
    claims: tuple[str, ...]        # claim ids whose arrays the function takes
    fn: Callable = field(repr=False, compare=False)

    def draw(self, data: Mapping[str, Mapping] | None = None):
        data = data or {}
        missing = [c for c in self.claims if c not in data]
        if missing:
            raise ValueError(f"figure {self.name} needs the arrays of claims {missing}")
        return self.fn({c: data[c] for c in self.claims})


_FIGURES: dict[str, Figure] = {}


def figure(name: str, *, title: str, claims: tuple[str, ...] = (), module: str | None = None):
    """Register ``fn(data) -> matplotlib Figure`` under ``name`` (the output file stem).

    ``module`` is the paper module the figure belongs to; by default the name of the file."""

    def deco(fn):
        mod = module or fn.__module__.rsplit(".", 1)[-1]
        _FIGURES[name] = Figure(name=name, module=mod, title=title, claims=tuple(claims), fn=fn)
        return fn

    return deco


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    import pkgutil

    import figures

    for info in pkgutil.iter_modules(figures.__path__):
        if info.name not in ("style",) and not info.name.startswith("_"):
            importlib.import_module(f"figures.{info.name}")
    _loaded = True


def figures_for(module: str) -> list[Figure]:
    """The registered figures of one paper module, in registration order."""
    _load_all()
    return [f for f in _FIGURES.values() if f.module == module]


def get(name: str) -> Figure:
    """The registered figure called ``name`` (e.g. ``"sam_rate"``); from a notebook::

        v = get_claim("sam.rate_1_over_T2").run()
        fig = figures.get("sam_rate").draw({"sam.rate_1_over_T2": v.arrays})
    """
    if name not in _FIGURES:  # first the module the name starts with (cheap), then every module
        import pkgutil

        import figures

        for info in pkgutil.iter_modules(figures.__path__):
            if name.startswith(info.name + "_") and info.name != "style":
                importlib.import_module(f"figures.{info.name}")
        if name not in _FIGURES:
            _load_all()
    try:
        return _FIGURES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(_FIGURES), n=3)
        raise KeyError(f"no figure {name!r}" + (f"; did you mean {' or '.join(close)}?" if close else "")) from None


def all_figures(modules) -> list[Figure]:
    out = []
    for m in modules:
        out.extend(figures_for(m))
    return out


def _new_file(d: str, stem: str, fmt: str) -> str:
    """Create an empty ``d/.stem.<random>.<fmt>`` with mode 0o666 & ~umask (``tempfile`` would give
    0o600: a figure unreadable to a colleague or a web server)."""
    for _ in range(100):
        p = os.path.join(d, f".{stem}.{secrets.token_hex(6)}.{fmt}")
        try:
            os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return p
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {d}")  # pragma: no cover


def save(fig, out_dir: str, stem: str, formats=("png",), dpi: int = 150) -> list[str]:
    """Write ``fig`` as ``out_dir/stem.<fmt>`` for each format, atomically (temp file + rename), with
    the permissions the umask gives (as ``open`` would)."""
    import matplotlib.pyplot as plt

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"format must be among {FORMATS}, got {bad}")
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for fmt in formats:
        final = os.path.join(out_dir, f"{stem}.{fmt}")
        tmp = _new_file(out_dir, stem, fmt)
        try:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight")
            os.replace(tmp, final)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        paths.append(final)
    plt.close(fig)
    return paths
