"""Position coupling (arXiv:2405.20671): the construction claims with their mutated twins, the
construction's closed forms (theory.position_coupling) and properties of the hand-built weights."""
import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import arithmetic as ar
from numerics import position_coupling as pc
from numerics import transformer as tf
from proofs_check import claims_for
from proofs_check.testing import claim_tests
from theory import position_coupling as th

# the training claims of this paper live in proofs_check/arith_training.py and are tested in
# tests/test_arith_training.py; here only the claims defined in proofs_check/position_coupling.py
CLAIMS = [c for c in claims_for("position_coupling") if c.fn.__module__ == "proofs_check.position_coupling"]


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


# ------------------------------------------------------------------ closed forms

def test_capacity_and_dimension():
    assert str(th.capacity_expr()) == "2**P - 2"
    assert [th.capacity(P) for P in (5, 8, 10)] == [30, 254, 1022]
    assert th.embedding_dim(10) == 37 and th.code_length(37) == 10
    # Theorem 5.1's capacity (the paper's, confirmed from its text): n <= 2^{floor((d-17)/2)} - 2 for d >= 21
    for d in range(21, 45):
        assert th.capacity_of_d(d) == 2 ** ((d - 17) // 2) - 2
    with pytest.raises(ValueError, match="d must be >= 21"):
        th.capacity_of_d(20)
    with pytest.raises(ValueError, match="P must be >= 2"):
        th.capacity(1)


def test_leak_bound_and_hardness():
    import sympy as sp
    assert sp.simplify(th.leak_bound_expr() - th.N * sp.exp(-2 * th.M)) == 0
    assert th.tolerance_expr() == sp.Rational(1, 204)            # 0.15 / 30.6
    # M = ln(204 N)/2; a scratch run measured exactness at P = 8 from M = 4 (sufficient here: 5.98)
    assert th.hardness_needed(100) == pytest.approx(0.5 * np.log(204 * 100))
    assert 5.9 < th.hardness_for_capacity(8) < 6.1
    # the paper's condition M >= (1/2) log N + 3 implies the derived one: the difference is 3 - ln(204)/2
    assert th.hardness_paper(100) == pytest.approx(0.5 * np.log(100) + 3)
    assert float(th.paper_hardness_slack()) == pytest.approx(3 - 0.5 * np.log(204))
    assert all(th.hardness_paper(n) > th.hardness_needed(n) for n in (2, 95, 10 ** 6))
    with pytest.raises(ValueError, match="M must be > 0"):
        th.leak_bound(10, 0.0)


def test_head_fractions_and_nope_pair():
    assert {float(x) for x in th.HEAD_FRACTIONS["head2_carry"]} == {0.25, 1 / 3, 0.5}
    a, b, d1, d2 = th.nope_pair()
    assert sorted(a[:-1]) == sorted(b[:-1]) and a[-1] == b[-1] and d1 != d2


# ------------------------------------------------------------------ the construction

@settings(max_examples=50, deadline=None)
@given(st.integers(2, 9), st.integers(0, 2 ** 9 - 1), st.integers(0, 2 ** 9 - 1))
def test_binary_code_separation(P, p, q):
    """<v(p), v(q)> = P if p = q mod 2^P, else <= P - 2: the 2M score gap of the heads."""
    v, w = pc.binary_code(p, P), pc.binary_code(q, P)
    ip = float(v @ w)
    assert ip == P if (p - q) % 2 ** P == 0 else ip <= P - 2


def test_named_layout():
    c = pc.build(6)
    assert c.d == 17 + 2 * 6 == c.cfg.d_model
    assert c.cfg.n_heads == 2 and c.cfg.n_layers == 1 and c.cfg.d_ff == 82
    names = c.space.names()
    assert names[:6] == ["NUM", "IS_BOS", "FULL_ONES", "PRE_SUM", "PRE_CARRY", "PRE_EOS"]
    assert names[6:16] == [f"SUM[{k}]" for k in range(10)] and names[16] == "IS_EOS"
    # residual after the block on 653+49: PRE_SUM at '=' is 3+9, PRE_EOS at o_n is 1/2
    ex = ar.addition(653, 49)
    R = pc.residual(c, ex)
    eq = ex.tokens.index("=")
    assert R[eq, c.space.i("PRE_SUM")] == pytest.approx(12, abs=1e-3)
    assert R[ex.T - 2, c.space.i("PRE_EOS")] == pytest.approx(0.5, abs=1e-3)
    assert R[ex.T - 2, c.space.i("IS_EOS")] == pytest.approx(1.0, abs=1e-6)


def test_add_500_digit_numbers_notebook_acceptance():
    rng = np.random.default_rng(7)
    a = int("".join(map(str, rng.integers(1, 10, 500))))
    b = int("".join(map(str, rng.integers(0, 10, 500))))
    assert pc.add(a, b, P=10) == a + b
    assert pc.add(0, 0, P=3) == 0
    with pytest.raises(ValueError, match="at most 2\\^P - 2 = 6"):
        pc.add(10 ** 7, 1, P=3)
    with pytest.raises(ValueError, match="non-negative"):
        pc.add(-1, 1, P=4)


def test_fixed_point_decoding_equals_greedy_decode():
    c = pc.build(5)
    rng = np.random.default_rng(1)
    exs = [ar.addition(*ar._sample_numbers(rng, rng.integers(1, 31, 2)),
                       start=int(rng.integers(1, 2))) for _ in range(6)]
    exs += [ar.addition("9" * 30, "1".rjust(30, "0"))]
    tok, pos, mask, ql = pc.make_batch(exs)
    prompt = np.where(np.arange(tok.shape[1])[None] < ql[:, None], tok, 0)
    g1 = np.asarray(tf.greedy_decode(c.params, prompt, pos, ql, c.cfg))
    g2, sweeps = pc.fixed_point_decode(c.params, tok, pos, ql, c.cfg)
    for i, e in enumerate(exs):
        assert (g1[i, :e.T] == np.asarray(g2)[i, :e.T]).all()
        assert (g1[i, :e.T] == tok[i, :e.T]).all()
    assert int(sweeps) <= max(e.T - e.query_len for e in exs) + 2


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10 ** 20), st.integers(0, 10 ** 20), st.integers(1, 20),
       st.sampled_from(["repo", "paper"]))
def test_start_offset_invariance(a, b, s, numbering):
    """P = 6 (capacity 62): exact at any admissible start, in both numberings."""
    c = _BUILT.setdefault(numbering, pc.build(6, numbering=numbering, max_position=80))
    ex = ar.addition(a, b, start=s + (numbering == "paper"), numbering=numbering)
    assert pc.evaluate(c, [ex], pad_len=80)["exact"].all()


_BUILT = {}


def test_length_buckets_and_padded_tables():
    """pad_len buckets give the single-length results in input order; constructions differing only
    in table size get one compiled shape (shared_shapes pads the tables, the logits unchanged)."""
    c = _BUILT.setdefault("repo", pc.build(6, numbering="repo", max_position=80))
    weak = pc.build(6, M=2.5, max_position=70)            # the last two fail: the order shows
    rng = np.random.default_rng(3)
    exs = [ar.addition(*ar._sample_numbers(rng, np.array([n, n])), start=s)
           for n, s in ((3, 1), (20, 5), (2, 40), (25, 1), (9, 9))]
    for con in (c, weak):
        one = pc.evaluate(con, exs, pad_len=80)
        two = pc.evaluate(con, exs, pad_len=(40, 80))
        assert (one["exact"] == two["exact"]).all()
        assert (one["token_errors"] == two["token_errors"]).all()
    assert one["exact"].any() and not one["exact"].all()
    p1, cfg1 = pc.shared_shapes(c.params, c.cfg)
    p2, cfg2 = pc.shared_shapes(weak.params, weak.cfg)
    assert cfg1 == cfg2 and cfg1.max_position == 127 and p2["pos_emb"][0].shape[0] == 128
    assert np.array_equal(np.asarray(p2["pos_emb"][0])[:71], np.asarray(weak.params["pos_emb"][0]))
    with pytest.raises(ValueError, match="more than pad_len=60"):
        pc.evaluate(c, exs, pad_len=(40, 60))
    with pytest.raises(ValueError, match="one per pad length"):
        pc.evaluate(c, exs, pad_len=(40, 80), chunk=(1, 2, 3))


def test_paper_numbering_capacity():
    c = pc.build(5, numbering="paper")
    n = th.capacity(5)
    exs = [ar.addition(a, b, numbering="paper", pad_to=n) for a, b in
           [("9" * n, "1"), ("5" * n, "4" * (n - 1) + "5"), ("9" * n, "9" * n)]]
    assert pc.evaluate(c, exs)["exact"].all()


def test_bad_inputs():
    with pytest.raises(ValueError, match="P must be an integer >= 2"):
        pc.build(1)
    with pytest.raises(ValueError, match="M \\(softmax hardness\\) must be > 0"):
        pc.build(4, M=0)
    c = pc.build(3)
    with pytest.raises(ValueError, match="max_position=8"):
        pc.evaluate(c, [ar.addition(10 ** 7, 1)])


def test_attention_map_shape():
    c = pc.build(4)
    W = pc.attention_weights(c, ar.addition(653, 49))
    assert W.shape == (2, 14, 14)
    assert np.allclose(W.sum(-1), 1.0) and np.allclose(np.triu(W[0], 1), 0.0)
