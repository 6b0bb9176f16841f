"""Simulations of the papers' algorithms and models (JAX, float64).

Importing this package enables JAX's 64-bit mode once. Modules here never import ``theory``: a
simulation must not know the bound it is checked against.

Inside jitted, vmapped code use :mod:`numerics.linalg` for small eigenvalue problems, not
``jnp.linalg.eig*``: a batched LAPACK call can deadlock XLA's CPU thread pool (see that module).
"""
import jax

jax.config.update("jax_enable_x64", True)
