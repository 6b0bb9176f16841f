"""numerics.random: the bucketed draws equal jax.random's bit for bit."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import random as nr

shapes = st.lists(st.integers(0, 23), min_size=0, max_size=3).map(tuple)


def _key(seed, typed):
    return jax.random.key(seed) if typed else jax.random.PRNGKey(seed)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), shape=shapes, typed=st.booleans(),
       dtype=st.sampled_from(["float64", "float32"]))
def test_normal_is_jax_random_normal(seed, shape, typed, dtype):
    k = _key(seed, typed)
    assert _same(nr.normal(k, shape, dtype), jax.random.normal(k, shape, dtype))


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), shape=shapes, dtype=st.sampled_from(["float64", "float32"]),
       lo=st.floats(-5, 5), width=st.floats(1e-3, 10))
def test_uniform_is_jax_random_uniform(seed, shape, dtype, lo, width):
    k = _key(seed, False)
    assert _same(nr.uniform(k, shape, dtype, lo, lo + width),
                 jax.random.uniform(k, shape, dtype, lo, lo + width))


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), shape=shapes, dtype=st.sampled_from(["int64", "int32"]),
       lo=st.integers(-1000, 1000), width=st.integers(1, 10 ** 6))
def test_randint_is_jax_random_randint(seed, shape, dtype, lo, width):
    k = _key(seed, True)
    assert _same(nr.randint(k, shape, lo, lo + width, dtype),
                 jax.random.randint(k, shape, lo, lo + width, dtype))


def test_large_draw_crosses_buckets_and_shapes_share_a_program():
    k = jax.random.PRNGKey(7)
    for n in (1, 64, 65, 4097, 70_001):
        assert _same(nr.normal(k, (n,)), jax.random.normal(k, (n,)))
    before = nr._normal_flat._top._cache_size()
    for shape in ((3, 5), (5, 3), (2, 7), (14,), (1, 2, 7)):      # all in the 64 bucket
        nr.normal(k, shape)
    assert nr._normal_flat._top._cache_size() - before <= 1


def test_inside_a_trace_and_fallbacks_are_jax_random():
    k = jax.random.PRNGKey(3)
    f = jax.jit(lambda k: nr.normal(k, (4, 3)) + nr.uniform(k, (4, 3)) + nr.randint(k, (4, 3), 0, 9))
    g = jax.jit(lambda k: jax.random.normal(k, (4, 3)) + jax.random.uniform(k, (4, 3))
                + jax.random.randint(k, (4, 3), 0, 9))
    assert _same(f(k), g(k))
    ks = jax.random.split(k, 5)
    assert _same(jax.vmap(lambda kk: nr.normal(kk, (3,)))(ks),
                 jax.vmap(lambda kk: jax.random.normal(kk, (3,)))(ks))
    lo = jnp.arange(3.0)                                               # array-valued bounds
    assert _same(nr.uniform(k, (2, 3), minval=lo, maxval=lo + 1),
                 jax.random.uniform(k, (2, 3), minval=lo, maxval=lo + 1))
    assert _same(nr.uniform(k, (3, 4)), jax.random.uniform(k, (3, 4)))  # the default bounds
    rk = jax.random.key(5, impl="rbg")                                 # not threefry
    assert _same(nr.normal(rk, (6,)), jax.random.normal(rk, (6,)))
    with pytest.raises(ValueError, match="single key"):                 # a batch of keys: jax's error
        nr.normal(ks, (3,))


def test_bucket_lengths():
    assert [nr._bucket(n) for n in (0, 1, 64, 65, 1 << 16)] == [64, 64, 64, 128, 1 << 16]
    assert nr._bucket((1 << 16) + 1) == (1 << 16) + (1 << 12)        # 1/16 of an octave
    assert nr._bucket(1 << 22) == 1 << 22 and nr._bucket((1 << 22) + 1) is None
    for n in (3, 1000, 70_001, 3_000_000):
        assert 0 <= nr._bucket(n) - n <= max(63, n // 16)
