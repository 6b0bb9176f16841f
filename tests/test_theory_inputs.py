"""The notebook API of ``theory/``: the paper's symbol names work as keywords, and a bool, a string
or a non-finite value for a real (or integer) parameter raises ``ValueError`` naming the parameter,
before any work (one shared validator, ``theory/_check.py``). One row per public numeric function."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import _check, catapult, eos, gda, multi_operand, position_coupling, sam

#: (function, positional args, valid keyword arguments, the real/integer keywords to corrupt)
ROWS = [
    (sam.d1_step_constant, (), dict(eta=0.5, beta=1.0, rho=0.1), None),
    (sam.d1_average_bound, (), dict(Delta=1.0, eta=0.5, T=10, beta=1.0, rho=0.1), None),
    (sam.d2_step_constant, (), dict(eta=0.5, beta=1.0, rho=0.1), None),
    (sam.d2_convex_average_bound, (), dict(Delta=1.0, eta=0.5, T=10, beta=1.0, rho=0.1), None),
    (sam.d2_strongly_convex_bound, (), dict(T=10, eta=0.5, mu=0.1, beta=1.0, rho=0.1, Delta=1.0), None),
    (sam.d3_step_constant, (), dict(eta=0.5, beta=1.0, rho=0.1, sigma=0.3), None),
    (sam.d3_pl_bound, (), dict(T=10, eta=0.5, mu=0.1, beta=1.0, rho=0.1, sigma=0.3, Delta=1.0), None),
    (sam.d3_nonconvex_bound, (), dict(Delta=1.0, eta=0.5, T=10, beta=1.0, rho=0.1, sigma=0.3), None),
    (sam.d4_step_bound_constants, (), dict(eta=0.1, beta=1.0, rho=0.1, sigma=0.3), None),
    (sam.strongly_convex_step_size, (), dict(T=100, beta=1.0, mu=0.1, rho=0.1, Delta=1.0), None),
    (sam.limit_cycle_amplitude, (), dict(eta=0.5, lam=1.0, rho=0.1), None),
    (sam.limit_cycle_value, (), dict(eta=0.5, lam=1.0, rho=0.1), None),
    (sam.stuck_point_gradient_sq, (), dict(beta=1.0, rho=0.1), None),
    (sam.stochastic_floor, (), dict(lam=1.0, rho=0.2, p=0.25), None),
    (sam.stochastic_gap, (), dict(eta=0.01, lam=1.0, rho=0.2, p=0.25, noise_var=3.0), None),
    (sam.usam_contraction, (), dict(eta=0.5, lams=[1.0, 0.1], rho=0.1), ["eta", "rho"]),
    (sam.rate_value, ("nonconvex", False), dict(T=100, beta=1.0, rho=0.1, Delta=1.0), None),
    (gda.complexity, ("alt",), dict(kappa_x=2.0, kappa_y=3.0, kappa_xy=4.0), None),
    (gda.spectral_radius, ("alex",), dict(alpha=0.5, beta=0.5, gamma=2.0, delta=1.0, sigma=0.5), None),
    (gda.spectral_radius, ("sim",), dict(alpha=0.1, beta=0.2, a=1.0, b=0.5, c=2.0), None),
    (gda.step_sizes, ("alt",), dict(mu_x=1.0, mu_y=2.0, L_x=10.0, L_y=20.0, L_xy=5.0), None),
    (gda.block_iteration_matrix, ("alex",), dict(alpha=0.1, beta=0.2, A=[[1.0]], B=[[0.5]], C=[[2.0]],
                                                 gamma=2.0, delta=1.0), ["alpha", "beta", "gamma", "delta"]),
    (gda.bilinear_charpoly, (), dict(gamma=2.0, delta=1.0, p=0.1), None),
    (eos.r, ("logcosh",), dict(p=0.3), None),
    (eos.rhat, ("logcosh",), dict(q=0.5), None),
    (eos.branch_multiplier, ("logcosh",), dict(p=0.3), None),
    (eos.r_sigma, (), dict(u=0.3), None),
    (eos.rhat_sigma, (), dict(q=0.5), None),
    (eos.neuron_branch_multiplier, (), dict(u=0.3), None),
    (eos.linear_net_step, ("logcosh",), dict(p=0.1, q=0.5, eta=0.1, y=1.0), None),
    (eos.neuron_step, (), dict(u=0.3, q=0.5, eta=0.1), None),
    (eos.g_step, ("logcosh",), dict(p=0.1, q=0.5), None),
    (eos.sharpness_at_interpolation, (), dict(q=0.5, eta=0.1, lpp0=1.0), None),
    (eos.tanh_critical_point, (), dict(digits=15), None),
    (catapult.stability_threshold, ("heavy_ball",), dict(eta=0.1, beta=0.5), None),
    (catapult.spectral_radius, ("heavy_ball",), dict(h=1.0, beta=0.5), None),
    (catapult.ema_to_heavy_ball, (), dict(eta=0.1, beta=0.5), None),
    (catapult.heavy_ball_to_ema, (), dict(eta=0.1, beta=0.5), None),
    (catapult.stage_model_step, (), dict(x=0.1, y=0.2, x_prev=0.0, y_prev=0.1, eta=0.1, alpha=0.5, b_s=1.0,
                                         beta=0.5), None),
    (position_coupling.embedding_dim, (), dict(P=4), None),
    (position_coupling.code_length, (), dict(d=30), None),
    (position_coupling.capacity, (), dict(P=4), None),
    (position_coupling.capacity_of_d, (), dict(d=30), None),
    (position_coupling.sequence_length, (), dict(n=4), None),
    (position_coupling.leak_bound, (), dict(N=10, M=2.0), None),
    (position_coupling.hardness_needed, (), dict(N=10), None),
    (position_coupling.hardness_for_capacity, (), dict(P=4), None),
    (multi_operand.embedding_dim, (), dict(P1=3, P2=3), None),
    (multi_operand.width, (), dict(n=3, m=4), None),
    (multi_operand.sequence_length, (), dict(n=3, m=4), None),
    (multi_operand.count_capacity, (), dict(P2=3), None),
    (multi_operand.width_capacity, (), dict(P1=3), None),
    (multi_operand.length_capacity, (), dict(P1=3, m=4), None),
    (multi_operand.capacities_of_d, (), dict(d=35), None),
    (multi_operand.hardness_needed, (), dict(N=10), None),
]

CASES = [pytest.param(fn, args, kw, name, id=f"{fn.__module__.split('.')[-1]}.{fn.__name__}-{name}")
         for fn, args, kw, names in ROWS for name in (names or list(kw))]
NONE_MEANS_SYMBOLIC = (gda.bilinear_charpoly,)
BAD = [True, False, "0.5", "1", None, float("nan"), float("inf"), -float("inf"), 1 + 2j]


def test_every_row_runs_with_the_papers_symbol_names_as_keywords():
    for fn, args, kw, _ in ROWS:
        fn(*args, **kw)


@pytest.mark.parametrize("fn,args,kw,name", CASES)
def test_bad_values_are_refused_naming_the_parameter(fn, args, kw, name):
    for bad in BAD:
        if bad is None and fn in NONE_MEANS_SYMBOLIC:      # documented: None keeps the sympy symbol
            assert fn(*args, **{**kw, name: None}).as_expr().free_symbols
            continue
        with pytest.raises(ValueError) as e:
            fn(*args, **{**kw, name: bad})
        assert name in str(e.value), f"{fn.__name__}({name}={bad!r}): {e.value}"


def test_notebook_example_of_the_readme():
    assert abs(sam.limit_cycle_amplitude(eta=0.5, lam=1.0, rho=0.1) - 1 / 30) < 1e-15
    with pytest.raises(ValueError, match="eta"):
        sam.limit_cycle_amplitude(eta=True, lam=1.0, rho=0.1)
    with pytest.raises(ValueError, match="rho"):
        sam.limit_cycle_amplitude(eta=0.5, lam=1.0, rho="0.1")


@settings(max_examples=30, deadline=None)
@given(v=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10 ** 6, 10 ** 6),
                   st.booleans(), st.text(max_size=3), st.none()))
def test_the_shared_validator(v):
    """real(): a finite real number comes back as that float; anything else raises naming it."""
    ok = (not isinstance(v, (bool, str)) and v is not None and math.isfinite(float(v)))
    if ok:
        assert _check.real("zeta", v) == float(v)
    else:
        with pytest.raises(ValueError, match="zeta"):
            _check.real("zeta", v)
    if ok and float(v) <= 0:
        with pytest.raises(ValueError, match="zeta must be > 0"):
            _check.real("zeta", v, positive=True)
