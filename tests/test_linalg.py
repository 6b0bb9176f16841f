"""numerics.linalg: LAPACK-free eigenvalue routines against numpy."""
import numpy as np
import jax
import jax.numpy as jnp
from hypothesis import given, settings, strategies as st

import numerics  # noqa: F401  (float64)
from numerics.linalg import spectral_radius, sym2_max_eig, tridiag_max_eig


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(0, 2**31 - 1), st.floats(1e-3, 1e3))
def test_tridiag_max_eig_matches_eigvalsh(k, seed, scale):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=k) * scale, rng.normal(size=k - 1) * scale
    T = np.diag(a) + np.diag(b, 1) + np.diag(b, -1)
    ref = np.linalg.eigvalsh(T)[-1]
    assert abs(float(tridiag_max_eig(jnp.array(a), jnp.array(b))) - ref) <= 1e-13 * max(1.0, np.abs(T).max())


def test_tridiag_with_invariant_subspace_padding():
    a, b = np.array([20.0, 3.0, 0.0, 0.0]), np.array([1e-3, 0.0, 0.0])
    assert abs(float(tridiag_max_eig(jnp.array(a), jnp.array(b))) - 20.00000005882353) < 1e-12


def test_sym2_and_vmap():
    rng = np.random.default_rng(1)
    H = rng.normal(size=(50, 2, 2))
    H = H + np.swapaxes(H, 1, 2)
    got = np.asarray(jax.jit(jax.vmap(sym2_max_eig))(jnp.array(H)))
    np.testing.assert_allclose(got, np.linalg.eigvalsh(H)[:, -1], rtol=0, atol=1e-13)


def test_spectral_radius_matches_eigvals_and_edge_cases():
    rng = np.random.default_rng(2)
    M = rng.normal(size=(200, 3, 3))
    got = np.asarray(jax.jit(jax.vmap(spectral_radius))(jnp.array(M)))
    ref = np.abs(np.linalg.eigvals(M)).max(axis=1)
    np.testing.assert_allclose(got, ref, rtol=1e-13)
    assert float(spectral_radius(jnp.array([[0.0, 1, 0], [0, 0, 1], [0, 0, 0]]))) == 0.0   # nilpotent
    assert abs(float(spectral_radius(jnp.array([[1.0, 1], [0, 1]]))) - 1.0) < 1e-15        # Jordan block
    R = 0.97 * np.array([[0.6, -0.8], [0.8, 0.6]])                                          # rotation
    assert abs(float(spectral_radius(jnp.array(R))) - 0.97) < 1e-15
