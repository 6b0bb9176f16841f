"""Simulations of the papers' algorithms and models (JAX, float64).

Importing this package enables JAX's 64-bit mode once. Modules here never import ``theory``: a
simulation must not know the bound it is checked against.
"""
from . import _xla  # noqa: F401  (XLA CPU flags; must run before the JAX backend starts)

import jax

jax.config.update("jax_enable_x64", True)
