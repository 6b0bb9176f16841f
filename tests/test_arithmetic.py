"""Data formats and coupled position IDs of arXiv:2405.20671 (A) and arXiv:2410.15787 (B).

The printed examples (653+49, 57+48+96, 37x925) match the authors' posters and the official code
(HanseulJo/position-coupling at b9cad94) token for token (docs/papers/position_coupling.md#formats).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import arithmetic as ar


def rows(ex):
    return [list(map(int, r)) for r in ex.position_ids]


def toks(s):
    return s.split()


# ------------------------------------------------------------------ printed examples

def test_addition_653_49_three_numberings():
    want = toks("[EOS] 6 5 3 + 0 4 9 = 2 0 7 0 [EOS]")
    repo = ar.addition(653, 49)
    assert repo.tokens == want
    assert rows(repo) == [[0, 4, 3, 2, 1, 4, 3, 2, 1, 2, 3, 4, 5, 0]]
    fig2 = ar.addition(653, 49, numbering="paper", start=6)          # paper Figure 2
    assert rows(fig2) == [[0, 6, 7, 8, 9, 6, 7, 8, 9, 8, 7, 6, 5, 0]]
    poster = ar.addition(653, 49, numbering="paper", start=2)        # NeurIPS poster
    assert rows(poster) == [[0, 2, 3, 4, 5, 2, 3, 4, 5, 4, 3, 2, 1, 0]]
    assert repo.query_len == 9 and repo.response == toks("2 0 7 0 [EOS]")


def test_multi_addition_57_48_96():
    ex = ar.multi_addition([57, 48, 96])
    assert ex.tokens == toks("[EOS] 0 5 7 + 0 4 8 + 0 9 6 = 1 0 2 [EOS]")
    assert rows(ex) == [[0, 4, 3, 2, 1, 4, 3, 2, 1, 4, 3, 2, 1, 2, 3, 4, 0]]


def test_multiplication_653_49():
    ex = ar.multiplication(653, 49)
    assert ex.tokens == toks("[EOS] 6 5 3 * 4 9 = 7 9 9 1 3 [EOS]")
    assert rows(ex) == [[0, 3, 4, 5, 6, 4, 5, 6, 5, 4, 3, 2, 1, 0]]


def test_copy_and_reverse():
    c = ar.copy("acab")
    assert c.tokens == toks("[EOS] a c a b = a c a b [EOS]")
    assert rows(c) == [[0, 2, 3, 4, 5, 1, 2, 3, 4, 5, 0]]
    r = ar.reverse("acab", start=5)
    assert r.tokens == toks("[EOS] a c a b = b a c a [EOS]")
    assert rows(r) == [[0, 5, 6, 7, 8, 9, 8, 7, 6, 5, 0]]


def test_multi_operand_scratchpad_57_48_96():
    ex = ar.multi_operand_addition([57, 48, 96], start=(1, 1))
    assert ex.tokens == toks("[EOS] 0 5 7 + 0 4 8 + 0 9 6 = 0 0 0 > 7 5 0 > 5 0 1 > 1 0 2 [EOS]")
    assert rows(ex) == [
        list(map(int, "0 4 3 2 1 4 3 2 1 4 3 2 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 0".split())),
        list(map(int, "0 1 1 1 1 2 2 2 2 3 3 3 1 1 1 1 2 2 2 2 3 3 3 3 4 4 4 4 0".split())),
    ]
    assert ex.query_len == 13


def test_multiplication_scratchpad_37_925():
    ex = ar.multiplication_scratchpad(37, 925)
    assert ex.tokens == toks("[EOS] 3 7 * 9 2 5 = 5 8 1 + 4 7 0 + 3 3 3 = 5 8 1 0 0 > 5 2 9 0 0 "
                             "> 5 2 2 4 3 [EOS]")
    P1 = "0 3 2 0 0 0 0 1 2 3 4 1 2 3 4 1 2 3 4 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
    P2 = "0 0 0 0 3 2 1 1 1 1 1 2 2 2 2 3 3 3 3 1 1 1 1 1 1 2 2 2 2 2 2 3 3 3 3 3 3 0"
    P3 = "0 0 0 0 0 0 0 1 2 3 4 2 3 4 5 3 4 5 6 1 2 3 4 5 6 1 2 3 4 5 6 1 2 3 4 5 6 0"
    assert rows(ex) == [list(map(int, r.split())) for r in (P1, P2, P3)]
    assert ar.read_reversed_number(ex.tokens[-6:-1]) == 37 * 925


# ------------------------------------------------------------------ malformed queries

@pytest.mark.parametrize("a,b,match", [
    (-3, 4, "non-negative"), ("12a", 4, "only the digits"), ("", 4, "non-empty"),
    (3.5, 4, "integer"), (True, 4, "integer"),
])
def test_malformed_operands_raise(a, b, match):
    with pytest.raises(ValueError, match=match):
        ar.addition(a, b)


def test_too_many_digits_for_position_table():
    ar.addition(10 ** 37, 1, max_position=40)   # 38 digits: IDs up to 1+38+1 = 40
    with pytest.raises(ValueError, match="max_position=40"):
        ar.addition(10 ** 38, 1, max_position=40)
    with pytest.raises(ValueError, match="operand level"):
        ar.multi_operand_addition([1] * 12, max_position=(40, 10))
    with pytest.raises(ValueError, match="max_position"):
        ar.random_batch(0, "addition", 8, (1, 50), max_position=40)


def test_bad_options_raise():
    with pytest.raises(ValueError, match="numbering"):
        ar.addition(1, 2, numbering="mirror")
    with pytest.raises(ValueError, match="start must be >= 2"):
        ar.addition(1, 2, numbering="paper", start=1)
    with pytest.raises(ValueError, match="start must be >= 1"):
        ar.addition(1, 2, start=0)
    with pytest.raises(ValueError, match="b_digits"):
        ar.multiplication(12, 345)
    with pytest.raises(ValueError, match="pad_to"):
        ar.addition(123, 4, pad_to=2)
    with pytest.raises(ValueError, match="task"):
        ar.random_batch(0, "division", 4)
    with pytest.raises(ValueError, match="not in VOCAB"):
        ar.encode(["%"])


# ------------------------------------------------------------------ properties

@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10 ** 30), st.integers(0, 10 ** 30), st.integers(1, 20),
       st.sampled_from(["repo", "paper"]))
def test_addition_answer_and_coupling(a, b, s, numbering):
    """The reversed response is a+b; tokens of equal ID have equal significance (the coupling)."""
    s = s + (numbering == "paper")
    ex = ar.addition(a, b, start=s, numbering=numbering)
    assert ar.read_reversed_number(ex.response) == a + b
    n = ex.meta["n"]
    pid = ex.position_ids[0]
    a_ids, b_ids = pid[1:n + 1], pid[n + 2:2 * n + 2]
    o_ids = pid[2 * n + 3:3 * n + 4]
    assert (a_ids == b_ids).all() and (a_ids[::-1] == o_ids[:n]).all()
    assert pid[n + 1] == pid[2 * n + 2]                       # '+' and '=' share an ID
    step = 1 if numbering == "repo" else -1
    assert (np.diff(o_ids) == step).all() and o_ids[0] - pid[n + 1] == step
    assert pid[0] == pid[-1] == 0 and (pid[1:-1] >= 1).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10 ** 8), min_size=1, max_size=9), st.integers(1, 9),
       st.integers(1, 9))
def test_scratchpad_pairs_are_exactly_two(ops, t, u):
    """(B): digit j of S_k shares its ID pair with exactly A_k[j] and S_{k-1}[j] (k >= 1)."""
    ex = ar.multi_operand_addition(ops, start=(t, u))
    p1, p2 = ex.position_ids
    q = ex.query_len
    S = [ar.read_reversed_number(part.split()) for part in
         " ".join(ex.response[:-1]).split(">")]
    assert S[-1] == sum(ops) and len(S) == len(ops) + 1
    for i in range(q, ex.T - 1):
        if ex.tokens[i] in ar.DIGITS and p2[i] > u:
            same = [k for k in range(i) if p1[k] == p1[i] and p2[k] == p2[i] - 1
                    and ex.tokens[k] in ar.DIGITS]
            assert len(same) == 2


def test_vectorised_addition_batch_matches_builder():
    for numbering in ("repo", "paper"):
        for scheme in ar.SCHEMES:
            g = np.random.default_rng(3)
            tok, pos, mask, (A, B) = ar._addition_batch(g, 64, 1, 12, numbering, None, False,
                                                          scheme)
            for i in range(64):
                a = int("".join(map(str, A[i][::-1])))
                b = int("".join(map(str, B[i][::-1])))
                ex = ar.addition(a, b, numbering=numbering)
                if scheme != "coupled":
                    ex = ex.with_position_ids(ar.position_ids(ex, scheme))
                T = ex.T
                assert (tok[i, :T] == ex.ids).all() and (tok[i, T:] == 0).all()
                assert (pos[i, :, :T] == ex.position_ids).all()
                assert (mask[i, :T] == ex.loss_mask).all() and not mask[i, T:].any()


@pytest.mark.parametrize("task,mp", [("addition", 40), ("multi_addition", 40),
                                     ("multiplication", 40), ("copy", 40), ("reverse", 40),
                                     ("multi_operand_addition", (40, 12)),
                                     ("multiplication_scratchpad", (40, 12))])
def test_random_batch_shapes_and_offsets(task, mp):
    tok, pos, mask = ar.random_batch(1, task, 32, (1, 8), operand_range=(2, 5), max_position=mp,
                                     pad_len=400)
    assert tok.shape == (32, 400) and pos.shape[0] == 32 and pos.shape[2] == 400
    bounds = mp if isinstance(mp, tuple) else (mp,)
    if pos.shape[1] == 3:
        bounds = (mp[0], mp[1], mp[0])
    for lev in range(pos.shape[1]):
        assert pos[:, lev].max() <= bounds[lev]
    assert (pos.transpose(0, 2, 1)[tok == 0] == 0).all()       # padding gets ID 0
    assert mask.any(axis=1).all() and not mask[:, 0].any()
    # every sequence ends with EOS, which is a target
    last = (tok != 0).sum(axis=1) - 1
    assert (tok[np.arange(32), last] == ar.TOKEN_ID[ar.EOS]).all()
    assert mask[np.arange(32), last].all()


def test_random_start_is_a_uniform_shift_of_the_coupled_ids():
    ex = ar.multi_operand_addition([123, 45, 6789])
    g = np.random.default_rng(0)
    seen = set()
    for _ in range(50):
        pid = ar.position_ids(ex, "coupled", rng=g, max_position=(30, 10))
        nz = ex.position_ids > 0
        d = pid - ex.position_ids
        for lev in range(2):
            vals = np.unique(d[lev][nz[lev]])
            assert len(vals) == 1
            seen.add((lev, int(vals[0])))
        assert (pid[~nz] == 0).all() and pid[0].max() <= 30 and pid[1].max() <= 10
    assert len(seen) > 10


def test_jax_key_accepted():
    import jax

    t1 = ar.random_batch(jax.random.PRNGKey(5), "addition", 8, (1, 5), max_position=20)[0]
    t2 = ar.random_batch(jax.random.PRNGKey(5), "addition", 8, (1, 5), max_position=20)[0]
    assert (t1 == t2).all()
