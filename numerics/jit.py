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

XLA CPU's fusion emitters (``xla_cpu_use_fusion_emitters``, on by default in XLA 0.10) generate
the fused kernels through MLIR; with them off XLA uses its older loop emitters, which compile the
toolkit's programs markedly faster at LLVM level 1 (the arithmetic training step on one core: 3.9-4.6
s instead of 5.7-7.8 s) and gave the same verdicts in every paper's checks and twins, most observed
values bit for bit (docs/performance.md). The long-running programs measured (the plasticity grid,
the subspace and linear-attention training loops) run about as fast with them off; the arithmetic
training step runs about 10% slower (best of 6: 1.09 s per 100 steps against 0.97 s). So the
toolkit's programs compile with them off (:data:`FUSION_EMITTERS`), and a program whose run time
dominates its compile time at budget full asks for XLA's own emitters with
``jit(..., long_running=True)`` (today only that training step). ``TV_XLA_FUSION_EMITTERS=on`` or
``off`` sets them for every program; ``default`` leaves XLA's choice (on).
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


def _fusion_from_env() -> bool | None:
    raw = os.environ.get("TV_XLA_FUSION_EMITTERS", "").strip().lower()
    if raw == "":
        return False
    if raw not in ("on", "off", "default"):
        raise ValueError(f"TV_XLA_FUSION_EMITTERS must be 'on', 'off' or 'default', got {raw!r}")
    return {"on": True, "off": False, "default": None}[raw]


#: LLVM optimisation level of the toolkit's jitted programs (None: XLA's default)
OPT_LEVEL: int | None = _level_from_env()

#: XLA CPU's fusion emitters for the toolkit's programs: False (the toolkit's default, and
#: ``TV_XLA_FUSION_EMITTERS=off``), True (``on``) or None (``default``: XLA's choice)
FUSION_EMITTERS: bool | None = _fusion_from_env()
#: whether TV_XLA_FUSION_EMITTERS chose the setting (then it holds for long-running programs too)
_FUSION_FROM_ENV = os.environ.get("TV_XLA_FUSION_EMITTERS", "").strip() != ""

#: the ``compiler_options`` every toolkit program is compiled with
COMPILER_OPTIONS: dict = ({} if OPT_LEVEL is None else {"xla_backend_optimization_level": OPT_LEVEL}) | (
    {} if FUSION_EMITTERS is None else {"xla_cpu_use_fusion_emitters": FUSION_EMITTERS})

#: the options of a ``jit(..., long_running=True)`` program: XLA's own fusion emitters (unless the
#: environment set them for every program)
LONG_RUNNING_OPTIONS: dict = (dict(COMPILER_OPTIONS) if _FUSION_FROM_ENV else
                              {k: v for k, v in COMPILER_OPTIONS.items()
                               if k != "xla_cpu_use_fusion_emitters"})


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

    def __init__(self, fun, kwargs, options):
        self._plain = jax.jit(fun, **kwargs)
        self._top = jax.jit(fun, **kwargs, compiler_options=dict(options))
        functools.update_wrapper(self, fun)

    def __call__(self, *args, **kwargs):
        if _outside_any_trace():
            return self._top(*args, **kwargs)
        return self._plain(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._top, name)


def jit(fun=None, *, long_running: bool = False, **kwargs):
    """``jax.jit(fun, **kwargs)`` compiled with :data:`COMPILER_OPTIONS` when called at top level
    (:data:`LONG_RUNNING_OPTIONS` with ``long_running=True``: a program whose run time dominates its
    compile time); usable as ``@jit``, ``@jit(static_argnames=...)`` or
    ``functools.partial(jit, ...)``."""
    if fun is None:
        return functools.partial(jit, long_running=long_running, **kwargs)
    options = LONG_RUNNING_OPTIONS if long_running else COMPILER_OPTIONS
    if not options or "compiler_options" in kwargs:
        return jax.jit(fun, **kwargs)
    return _Jitted(fun, kwargs, options)
