"""Simulations of the papers' algorithms and models (JAX, float64).

Importing this package enables JAX's 64-bit mode once. Modules here never import ``theory``: a
simulation must not know the bound it is checked against.
"""
import jax

jax.config.update("jax_enable_x64", True)
