"""``jax.random.normal``, ``uniform`` and ``randint`` with bitwise the same values, compiled once per
size bucket instead of once per shape.

Called outside any trace, each ``jax.random`` draw of a new shape compiles its own XLA program, and
the counter-based sampler behind it (threefry, then the inverse error function for a normal) takes
about 0.6 s of CPU to compile, far more than a small draw takes to run. The fast test tier drew some
140 distinct shapes this way (model initialisations, random problem instances, test data): about 90
CPU-seconds of compiling, a tenth of the tier (measured with JAX's compile events).

With JAX's partitionable threefry (``jax_threefry_partitionable``, on by default since JAX 0.5) the
i-th value of a draw depends only on the key and on i, not on the shape: ``normal(key, (a, b))`` is
``normal(key, (a * b,)).reshape(a, b)`` and ``normal(key, (m,))[:n]`` is ``normal(key, (n,))`` for any
m >= n. The functions here use that identity: outside a trace they draw a flat vector whose length
is the next power of two (at least 64; for more than 2^16 values, the next multiple of a
sixteenth of an octave), with a program compiled at the toolkit's level
(:mod:`numerics.jit`) once per (length, dtype), and return its first ``prod(shape)`` values in
``shape``. Inside a trace (under ``jit``, ``vmap``, ``grad``, ``scan``), with a batch of keys, with
array-valued bounds, with more than 2^22 values (where the draw outweighs its compilation), or
with the partitionable mode off, they call ``jax.random`` directly. Either
way the values are exactly ``jax.random``'s (tests/test_random.py checks this bit for bit over
random shapes, dtypes and bounds).
"""
from __future__ import annotations

import math

import jax
import numpy as np

from .jit import _outside_any_trace, jit

__all__ = ["normal", "uniform", "randint"]

_MIN_BUCKET = 64      # the shortest flat draw
_SMALL = 1 << 16      # up to here: power-of-two lengths
_LARGE = 1 << 22      # beyond here: jax.random directly (the draw outweighs its compilation)


def _bucket(n: int) -> int | None:
    """The flat length drawn for ``n`` values: the next power of two (at least 64) up to 2^16, then
    the next multiple of 1/16 of an octave (at most 6.25% drawn in vain) up to 2^22; ``None``
    beyond (draw directly)."""
    if n <= _SMALL:
        return max(_MIN_BUCKET, 1 << max(0, n - 1).bit_length())
    if n > _LARGE:
        return None
    step = 1 << ((n - 1).bit_length() - 5)
    return -(-n // step) * step


def _shape(shape) -> tuple[int, ...]:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)


def _flat_ok(key, *scalars) -> bool:
    """Whether the bucketed flat draw gives ``jax.random``'s values for this call."""
    if not jax.config.jax_threefry_partitionable or not _outside_any_trace():
        return False
    if isinstance(key, jax.core.Tracer) or any(isinstance(s, jax.core.Tracer) for s in scalars):
        return False
    if any(np.ndim(s) != 0 for s in scalars):
        return False
    k = key if hasattr(key, "dtype") else np.asarray(key)
    if jax.dtypes.issubdtype(k.dtype, jax.dtypes.prng_key):
        return k.ndim == 0 and str(jax.random.key_impl(k)) == "threefry2x32"
    # a raw uint32 key: of the default implementation
    return k.shape == (2,) and str(jax.config.jax_default_prng_impl) == "threefry2x32"


def _take(flat, shape):
    # device_put, not jnp.asarray: JAX 0.10 compiles a small program per shape for the latter
    n = math.prod(shape)
    return jax.device_put(np.array(np.asarray(flat)[:n].reshape(shape)))


# the flat draws, one program per (length, dtype); ``bounds`` are traced, as in jax.random's own jits
@jit(static_argnums=(1, 2))
def _normal_flat(key, size, dtype):
    return jax.random.normal(key, (size,), dtype)


@jit(static_argnums=(1, 2))
def _uniform_flat(key, size, dtype, minval, maxval):
    return jax.random.uniform(key, (size,), dtype, minval, maxval)


@jit(static_argnums=(1, 2))
def _randint_flat(key, size, dtype, minval, maxval):
    return jax.random.randint(key, (size,), minval, maxval, dtype)


def _draw(flat, direct, key, shape, dtype, *bounds):
    """``direct(shape)`` (jax.random) or, where it gives the same values, the bucketed ``flat``."""
    shape = _shape(shape)
    b = _bucket(math.prod(shape))
    if b is None or not _flat_ok(key, *bounds):
        return direct(shape)
    return _take(flat(key, b, jax.dtypes.canonicalize_dtype(dtype), *bounds), shape)


def normal(key, shape=(), dtype=float):
    """``jax.random.normal(key, shape, dtype)``, bitwise (see the module docstring)."""
    return _draw(_normal_flat, lambda s: jax.random.normal(key, s, dtype), key, shape, dtype)


def uniform(key, shape=(), dtype=float, minval=0.0, maxval=1.0):
    """``jax.random.uniform(key, shape, dtype, minval, maxval)``, bitwise (see the module
    docstring); array-valued bounds go to ``jax.random`` directly."""
    return _draw(_uniform_flat, lambda s: jax.random.uniform(key, s, dtype, minval, maxval), key,
                 shape, dtype, minval, maxval)


def randint(key, shape, minval, maxval, dtype=int):
    """``jax.random.randint(key, shape, minval, maxval, dtype)``, bitwise (see the module
    docstring); array-valued bounds go to ``jax.random`` directly."""
    return _draw(_randint_flat, lambda s: jax.random.randint(key, s, minval, maxval, dtype), key,
                 shape, dtype, minval, maxval)
