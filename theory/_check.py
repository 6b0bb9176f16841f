"""The one validator of theory/'s numeric parameters.

Every float function of :mod:`theory` passes its parameters through :func:`real` (or :func:`integer`)
before any work, so that bad input raises a ``ValueError`` that names the parameter and the condition:
a bool or a string is never taken as a number (``True`` is not 1, ``"0.5"`` is not 0.5), NaN and
infinities are refused where the theorem needs a real number, and a sign condition (``> 0``,
``>= 0``) or range is checked where the theorem states one.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["real", "integer", "reals"]


def _reject_non_numbers(name: str, value):
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise ValueError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")


def real(name: str, value, *, positive: bool = False, nonneg: bool = False, finite: bool = True,
         lo: float | None = None, hi: float | None = None) -> float:
    """``value`` as a float, or ``ValueError`` naming ``name``.

    positive  require value > 0;  nonneg  require value >= 0;
    finite    refuse +-inf (NaN is always refused);  lo, hi  require lo <= value <= hi."""
    _reject_non_numbers(name, value)
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got complex {value!r}")
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if math.isnan(f):
        raise ValueError(f"{name} must be a real number, got NaN")
    if finite and not math.isfinite(f):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and not f > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonneg and not f >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    if lo is not None and f < lo:
        raise ValueError(f"{name} must be >= {lo}, got {value!r}")
    if hi is not None and f > hi:
        raise ValueError(f"{name} must be <= {hi}, got {value!r}")
    return f


def integer(name: str, value, *, lo: int | None = None) -> int:
    """``value`` as an int (an integral float such as 3.0 is accepted), or ``ValueError`` naming
    ``name``; ``lo`` requires value >= lo."""
    _reject_non_numbers(name, value)
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if not math.isfinite(f) or f != int(f):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    i = int(f)
    if lo is not None and i < lo:
        raise ValueError(f"{name} must be >= {lo}, got {value!r}")
    return i


def reals(name: str, value, *, positive: bool = False, nonneg: bool = False) -> np.ndarray:
    """An array of reals (a scalar or any array-like) as a float array, or ``ValueError`` naming
    ``name`` for strings, bools, non-numeric or non-finite entries and violated sign conditions."""
    _reject_non_numbers(name, value)
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be real numbers, got {value!r} (dtype {arr.dtype})")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and not np.all(arr > 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonneg and not np.all(arr >= 0):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return arr
