"""Multi-operand addition with scratchpad and bi-level coupling (arXiv:2410.15787): the construction
claim with its mutated twins, the derived capacities (theory.multi_operand) and properties of the
4-head construction."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import arithmetic as ar
from numerics import multi_operand as mo
from proofs_check import claims_for
from proofs_check.testing import claim_tests
from theory import multi_operand as th

# the training claims of this paper live in proofs_check/arith_training.py and are tested in
# tests/test_arith_training.py; here only the claims defined in proofs_check/multi_operand.py
CLAIMS = [c for c in claims_for("multi_operand") if c.fn.__module__ == "proofs_check.multi_operand"]


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


def test_capacities():
    assert str(th.count_capacity_expr()) == "2**P2 - 1"
    assert str(th.width_capacity_expr()) == "2**P1 - 2"
    assert [th.count_capacity(p) for p in (3, 4, 5, 6)] == [7, 15, 31, 63]
    assert [th.length_capacity(p, 2) for p in (4, 5, 6, 7)] == [13, 29, 61, 125]
    assert th.width(2, 3) == 3 and th.width(1, 15) == 3 and th.width(3, 15) == 5
    assert th.embedding_dim(5, 4) == 37
    # exponential in d: doubling per 4 extra dimensions on the even split
    caps = [th.capacities_of_d(19 + 4 * p) for p in (3, 4, 5, 6)]
    assert [c[1] for c in caps] == [7, 15, 31, 63]
    with pytest.raises(ValueError, match="P2 must be >= 2"):
        th.count_capacity(1)


def test_hardness():
    import sympy as sp
    assert th.tolerance_expr() == sp.Rational(1, 198)            # 0.15 / 29.7
    assert th.hardness_needed(1000) == pytest.approx(0.5 * np.log(198 * 1000))


def test_layout_and_worked_example():
    c = mo.build(4, 3)
    assert c.d == 19 + 2 * 4 + 2 * 3 == c.cfg.d_model
    assert c.cfg.n_heads == 4 and c.cfg.d_ff == 84 and c.cfg.n_levels == 2
    ex = ar.multi_operand_addition([57, 48, 96])
    assert mo.evaluate(c, [ex], greedy=True)["greedy_exact"].all()
    W = mo.attention_weights(c, ex)
    # H1 at '>' before S_1 (index 16) averages BOS, A_1[0] = 7 and S_0[0]
    i = 16
    assert ex.tokens[i] == ">"
    att = np.nonzero(W[0, i] > 0.3)[0]
    assert [ex.tokens[j] for j in att] == ["[EOS]", "7", "0"]


def test_add_many_notebook():
    ops = [10 ** 30 - 1] * 20 + [123456789]
    assert mo.add_many(ops, P1=6, P2=5) == sum(ops)
    with pytest.raises(ValueError, match="exceed the capacity"):
        mo.add_many([1] * 40, P1=4, P2=3)


_C = {}


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 10 ** 6), min_size=1, max_size=7), st.integers(1, 9),
       st.integers(1, 9))
def test_random_scratchpads_any_start(ops, t, u):
    """(P1, P2) = (4, 3): width <= 14, count <= 7; exact for every start pair."""
    c = _C.setdefault("c", mo.build(4, 3, max_positions=(30, 20)))
    ex = ar.multi_operand_addition(ops, start=(t, u))
    assert mo.evaluate(c, [ex], pad_len=200)["exact"].all()


def test_bad_inputs():
    with pytest.raises(ValueError, match="P2 must be an integer >= 2"):
        mo.build(4, 1)
    c = mo.build(3, 2)
    with pytest.raises(ValueError, match="level-2 position ID"):
        mo.evaluate(c, [ar.multi_operand_addition([1] * 6)])
