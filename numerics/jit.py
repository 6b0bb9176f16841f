"""``jax.jit`` with the toolkit's XLA compiler options: one place for every jitted program of
``numerics/`` and ``proofs_check/``.

The toolkit's programs are small (matrices of tens to hundreds of rows) and many (a few hundred
distinct compiled programs in the fast tier), so on a CPU a large share of a check's time is XLA
compiling them, and most of that is LLVM optimising the generated code. LLVM optimisation level 1
(``xla_backend_optimization_level=1``; XLA's default is higher) compiles these programs markedly
faster and runs them as fast: measured per paper with ``benchmarks/compile_options.py`` (each
paper's claims and twins in a fresh process on one core, both settings, same machine; see
docs/performance.md). Every verdict's status is the same under both settings; observed values
agree to rounding (the last few bits of a float64, because LLVM vectorises a few reductions
differently), so a number that depends on rounding, like ``subspace.eos_dom_bulk``'s chaotic
large-step run, can differ between the two.

``TV_XLA_OPT_LEVEL`` (read at import) overrides the level; ``TV_XLA_OPT_LEVEL=default`` leaves XLA's
own default. The level in use is :data:`OPT_LEVEL` and is recorded in every JSON output's
provenance.
"""
from __future__ import annotations

import functools
import os

import jax

_DEFAULT_LEVEL = 1


def _level_from_env() -> int | None:
    raw = os.environ.get("TV_XLA_OPT_LEVEL", "").strip()
    if raw == "":
        return _DEFAULT_LEVEL
    if raw.lower() == "default":
        return None
    if not raw.isdigit() or int(raw) > 3:
        raise ValueError(f"TV_XLA_OPT_LEVEL must be 0, 1, 2, 3 or 'default', got {raw!r}")
    return int(raw)


#: LLVM optimisation level of the toolkit's jitted programs (None: XLA's default)
OPT_LEVEL: int | None = _level_from_env()

#: the ``compiler_options`` every toolkit program is compiled with
COMPILER_OPTIONS: dict = {} if OPT_LEVEL is None else {"xla_backend_optimization_level": OPT_LEVEL}


def _outside_any_trace() -> bool:
    try:
        from jax._src.core import trace_state_clean
    except ImportError:  # pragma: no cover - a JAX without it: options at every call site
        return True
    return trace_state_clean()


class _Jitted:
    """A jitted function whose top-level calls compile with :data:`COMPILER_OPTIONS`. A call from
    inside another trace (a jitted caller, ``vmap``, ``grad``) goes to the plain ``jax.jit`` of the
    same function, since JAX accepts ``compiler_options`` only on a top-level jit: inside a
    toolkit-jitted caller it is inlined into that program, which carries the options; under a
    ``vmap`` or ``grad`` applied outside any jit it compiles at XLA's default level. Attributes
    (``lower``, ...) are those of the top-level one."""

    def __init__(self, fun, kwargs):
        self._plain = jax.jit(fun, **kwargs)
        self._top = jax.jit(fun, **kwargs, compiler_options=dict(COMPILER_OPTIONS))
        functools.update_wrapper(self, fun)

    def __call__(self, *args, **kwargs):
        if _outside_any_trace():
            return self._top(*args, **kwargs)
        return self._plain(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._top, name)


def jit(fun=None, **kwargs):
    """``jax.jit(fun, **kwargs)`` compiled with :data:`COMPILER_OPTIONS` when called at top level;
    usable as ``@jit``, ``@jit(static_argnames=...)`` or ``functools.partial(jit, ...)``."""
    if fun is None:
        return functools.partial(jit, **kwargs)
    if not COMPILER_OPTIONS or "compiler_options" in kwargs:
        return jax.jit(fun, **kwargs)
    return _Jitted(fun, kwargs)
