"""Position coupling (arXiv:2405.20671): the exact best accuracy of a 1-layer model without positions
(numerics.position_coupling.nope_best_exact_match) against an independent brute-force count, and the
closed forms of Theorem 6.1 (N x 2 multiplication) in theory.position_coupling. The claims themselves
(position_coupling.nope_best_accuracy, .multiplication_capacity, .multiplication_construction) and
their twins run in tests/test_position_coupling.py."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import arithmetic as ar
from numerics import position_coupling as pc
from proofs_check.position_coupling import _long_mult_digits
from theory import position_coupling as th


def _brute_best(n, leading_zeros=False):
    """Independent count: sort all (multiset, sum) keys of every ordered pair with np.unique and take
    the largest group per multiset (the multiset encoded as a base-(2n+1) integer of digit counts)."""
    lo = 0 if leading_zeros or n == 1 else 10 ** (n - 1)
    a = np.arange(lo, 10 ** n)
    cnt = np.stack([(((a[:, None] // 10 ** np.arange(n)) % 10) == k).sum(1) for k in range(10)], 1)
    code = cnt @ (2 * n + 1) ** np.arange(10)
    key = (code[:, None] + code[None, :]) * (3 * 10 ** n) + a[:, None] + a[None, :]
    u, c = np.unique(key.ravel(), return_counts=True)
    m = u // (3 * 10 ** n)
    best = {}
    for mi, ci in zip(m.tolist(), c.tolist()):
        best[mi] = max(best.get(mi, 0), ci)
    return sum(best.values()), len(a) ** 2


@pytest.mark.parametrize("n,lz", [(1, False), (2, False), (2, True), (3, False)])
def test_nope_enumeration_matches_brute_force(n, lz):
    r = pc.nope_best_exact_match(n, leading_zeros=lz, s_chunk=7)
    best, total = _brute_best(n, lz)
    assert (r["best_correct"], r["problems"]) == (best, total)


def test_nope_enumeration_values():
    r3 = pc.nope_best_exact_match(3)
    assert (r3["best_correct"], r3["problems"]) == (50150, 810000)
    assert round(100 * r3["accuracy"], 1) == 6.2
    assert pc.nope_best_exact_match(2, information="sequence")["accuracy"] == 1.0
    # the chunk size changes nothing
    assert pc.nope_best_exact_match(3, s_chunk=1000)["best_correct"] == 50150


def test_nope_enumeration_the_majority_rule_is_attained_by_a_lookup_model():
    """The optimum is attained: answer each multiset with its majority sum, then count hits."""
    n = 2
    a = np.arange(10, 100)
    A, B = np.meshgrid(a, a, indexing="ij")
    ms = [tuple(sorted(f"{x}{y}")) for x, y in zip(A.ravel(), B.ravel())]
    s = (A + B).ravel()
    groups = {}
    for m, v in zip(ms, s):
        groups.setdefault(m, {}).setdefault(int(v), 0)
        groups[m][int(v)] += 1
    model = {m: max(g, key=g.get) for m, g in groups.items()}
    hits = sum(model[m] == v for m, v in zip(ms, s))
    assert hits == pc.nope_best_exact_match(2)["best_correct"]


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3"])
def test_nope_enumeration_rejects_bad_n(bad):
    with pytest.raises(ValueError, match="n"):
        pc.nope_best_exact_match(bad)


def test_nope_enumeration_rejects_bad_information():
    with pytest.raises(ValueError, match="information"):
        pc.nope_best_exact_match(2, information="positions")


# ------------------------------------------------------------------ Theorem 6.1 closed forms

def test_mult_closed_forms():
    assert str(th.mult_capacity_expr()) == "2**P - 3"
    assert th.MULT_HEADS == (3, 7) and sum(th.MULT_HEADS) == 10
    assert th.mult_embedding_dim(2) == 46 and th.mult_code_length(46) == 2
    assert th.mult_capacity_of_d(46) == 1 and th.mult_capacity_of_d(70) == 61


@settings(max_examples=40, deadline=None)
@given(st.integers(46, 400))
def test_mult_capacity_of_d_is_the_papers_formula(d):
    assert th.mult_capacity_of_d(d) == 2 ** ((d - 34) // 6) - 3
    P = th.mult_code_length(d)
    assert th.mult_embedding_dim(P) <= d < th.mult_embedding_dim(P + 1)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 30), st.integers(0, 99), st.integers(1, 40))
def test_mult_format_uses_N_plus_3_ids(N, b, s):
    a = int("7" * N)
    ex = ar.multiplication(a, b, start=s)
    ids = ex.position_ids[0][1:-1]
    assert len(np.unique(ids)) == N + 3 and ids.min() == s and ids.max() == s + N + 2


def test_mult_max_carry_by_iteration():
    """Independent: iterate the worst column (all digits 9) from carry 0, and check 17 is invariant
    over every column input (a_k, a_{k-1}, b_0, b_1, c <= 17)."""
    c, seen = 0, []
    for _ in range(10):
        c = (81 + 81 + c) // 10
        seen.append(c)
    assert max(seen) == th.mult_max_carry() == 17
    g = np.stack(np.meshgrid(*[np.arange(10)] * 4, np.arange(18), indexing="ij"), -1).reshape(-1, 5)
    nxt = (g[:, 0] * g[:, 2] + g[:, 1] * g[:, 3] + g[:, 4]) // 10
    assert nxt.max() == 17


def test_long_mult_recurrence_all_nines():
    for N in (1, 5, 61):
        out, cm = _long_mult_digits(np.full((1, N), 9, np.int64), np.array([9]), np.array([9]))
        assert "".join(map(str, out[0][::-1])).lstrip("0") == str(int("9" * N) * 99)
        assert cm == (8 if N == 1 else 17)


def test_mult_theory_rejects_bad_input():
    with pytest.raises(ValueError, match="P"):
        th.mult_embedding_dim(1)
    with pytest.raises(ValueError, match="d"):
        th.mult_code_length(45)
    with pytest.raises(ValueError, match="P"):
        th.mult_capacity(True)


def test_mult_window_rule_reproduces_products():
    rng = np.random.default_rng(3)
    for N in (1, 2, 9, 61):
        digits = np.vstack([np.full(N, 9), rng.integers(0, 10, (5, N))]).astype(np.int64)
        b = np.array([99] + list(rng.integers(0, 100, 5)))
        vals = [int("".join(map(str, d[::-1]))) for d in digits]
        want = np.array([[int(ch) for ch in str(v * int(bb)).zfill(N + 2)[::-1]]
                         for v, bb in zip(vals, b)])
        got = pc.mult_window_digits(digits, b % 10, b // 10, want)
        assert (got == want).all()
    with pytest.raises(ValueError, match="window"):
        pc.mult_window_digits(digits, b % 10, b // 10, want, window=3)
