"""numerics.jit: the toolkit's jitted programs carry its XLA compiler options."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import numerics.jit as nj


def test_jit_forms_and_result():
    f = lambda x, n: jnp.sum(x ** n)
    for g in (nj.jit(f, static_argnames=("n",)), nj.jit(static_argnames=("n",))(f)):
        assert float(g(jnp.arange(4.0), n=2)) == float(jax.jit(f, static_argnums=1)(jnp.arange(4.0), 2))
    want = {} if nj.OPT_LEVEL is None else {"xla_backend_optimization_level": nj.OPT_LEVEL}
    if nj.FUSION_EMITTERS is not None:
        want["xla_cpu_use_fusion_emitters"] = nj.FUSION_EMITTERS
    assert nj.COMPILER_OPTIONS == want
    assert "xla_cpu_use_fusion_emitters" not in nj.LONG_RUNNING_OPTIONS or nj._FUSION_FROM_ENV
    assert float(nj.jit(f, static_argnames=("n",), long_running=True)(jnp.arange(4.0), n=2)) == 14.0


def test_nested_calls_inline_into_the_caller():
    """A toolkit-jitted function called inside another jit, vmap or grad (JAX takes compiler
    options only at top level) gives the same values as at top level."""
    inner = nj.jit(lambda x: jnp.sin(x) * x)
    outer = nj.jit(lambda x: inner(x) + 1.0)
    x = jnp.linspace(0.0, 1.0, 5)
    np.testing.assert_allclose(np.asarray(outer(x)), np.asarray(inner(x)) + 1.0, rtol=1e-15)
    np.testing.assert_allclose(np.asarray(jax.vmap(inner)(x)), np.asarray(inner(x)), rtol=1e-15)
    assert float(jax.grad(lambda t: inner(t))(0.5)) == pytest.approx(np.sin(0.5) + 0.5 * np.cos(0.5))
    assert inner.lower(x).compile() is not None


def test_level_from_env(monkeypatch):
    for raw, want in (("", 1), ("default", None), ("2", 2), (" 0 ", 0)):
        monkeypatch.setenv("TV_XLA_OPT_LEVEL", raw)
        assert nj._level_from_env() == want
    for raw in ("fast", "4", "-1", "1.5"):
        monkeypatch.setenv("TV_XLA_OPT_LEVEL", raw)
        with pytest.raises(ValueError, match="TV_XLA_OPT_LEVEL"):
            nj._level_from_env()


def test_fusion_emitters_from_env(monkeypatch):
    for raw, want in (("", False), ("off", False), (" ON ", True), ("default", None)):
        monkeypatch.setenv("TV_XLA_FUSION_EMITTERS", raw)
        assert nj._fusion_from_env() is want
    for raw in ("1", "yes", "false"):
        monkeypatch.setenv("TV_XLA_FUSION_EMITTERS", raw)
        with pytest.raises(ValueError, match="TV_XLA_FUSION_EMITTERS"):
            nj._fusion_from_env()


def test_options_reach_the_compiler():
    """An explicit level is accepted by XLA and gives the same result on an exact program."""
    x = jnp.arange(12.0).reshape(3, 4)
    lowered = jax.jit(lambda a: a @ a.T).lower(x)
    a = np.asarray(lowered.compile(compiler_options={"xla_backend_optimization_level": 1})(x))
    b = np.asarray(lowered.compile()(x))
    c = np.asarray(lowered.compile(compiler_options={"xla_cpu_use_fusion_emitters": False})(x))
    assert np.array_equal(a, b) and np.array_equal(a, c)
    with pytest.raises(Exception, match="no_such_option"):  # a misspelt option is not ignored
        lowered.compile(compiler_options={"xla_cpu_no_such_option": False})
