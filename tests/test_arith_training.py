"""Training claims of position coupling (arXiv:2405.20671) and multi-operand addition
(arXiv:2410.15787): claims at the fast budget, their mutated twins, and unit/property tests of the
training pipeline (numerics/arith_train.py)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import arithmetic as fmt
from numerics.arith_train import Recipe, _shift_ids, _shuffle_ids, encode, evaluate, make_pool, \
    model_config, sample_operands
from numerics.transformer import init_params
from proofs_check import claims_for
from proofs_check.testing import claim_tests

TRAINING_IDS = [f"{m}.{k}" for m in ("multi_operand", "position_coupling")
                for k in ("in_distribution", "length_generalization")]
CLAIMS = [c for m in ("position_coupling", "multi_operand") for c in claims_for(m)
          if c.id in TRAINING_IDS]


def test_training_claims_split_by_deciding_budget():
    """Each training claim is two: in-distribution accuracy (decided at fast, its twins refuted
    there) and length generalization (decided only at full: skipped at fast, never verified)."""
    assert sorted(c.id for c in CLAIMS) == TRAINING_IDS
    for c in CLAIMS:
        assert c.mutations and c.source == "empirical"
        assert "confirmed from the authors' poster" in c.doc and "measured here" in c.doc
        if c.id.endswith(".in_distribution"):
            assert c.decides_at == "fast" and c.decided_at("fast")
            assert "in-distribution" in c.statement
        else:
            assert c.decides_at == "full" and not c.decided_at("fast") and c.decided_at("full")
            assert c.expected_full == "inconclusive"
            with pytest.raises(ValueError, match="decided only at budget 'full'"):
                c.run(budget="fast")


def test_length_generalization_is_skipped_at_fast_never_verified():
    from proofs_check import runner

    for cid in ("position_coupling.length_generalization", "multi_operand.length_generalization"):
        rs = runner.run_jobs(runner.make_jobs([c for c in CLAIMS if c.id == cid], twins=True),
                             show_progress=False)
        assert [r.verdict.status for r in rs] == ["skipped"] * len(rs)
        assert runner.summarize(rs)["verified"] == 0


# each claim at the fast budget (the length-generalization claims: skipped), and each mutated twin
# refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


# ------------------------------------------------------------------ data pipeline

def test_encode_reproduces_the_printed_examples():
    t, ids, m = encode(Recipe(), [653, 49])
    assert fmt.decode(t) == ["[EOS]"] + list("653+049=2070") + ["[EOS]"]
    assert ids.tolist() == [[0, 4, 3, 2, 1, 4, 3, 2, 1, 2, 3, 4, 5, 0]]
    assert m.tolist() == [False] * 9 + [True] * 5
    t, ids, m = encode(Recipe(task="multi_operand"), [57, 48, 96])
    assert ids[1].tolist() == [0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2,
                               3, 3, 3, 3, 4, 4, 4, 4, 0]
    assert encode(Recipe(positions="nope"), [1, 2])[1].shape == (0, 8)     # BOS 1+2=30 EOS
    assert encode(Recipe(positions="ape"), [1, 2])[1].tolist() == [[0, 1, 2, 3, 4, 5, 6, 0]]
    assert encode(Recipe(task="multi_operand", scratchpad=False), [5, 6])[1].shape[0] == 1


def test_make_pool_and_sampling_ranges():
    r = Recipe(train_digits=(2, 4), max_position=8)
    pool = make_pool(r, 200, np.random.default_rng(0))
    assert pool["tokens"].shape[0] == 200 and pool["ids"].shape[1] == 1
    assert pool["max_id"].max() <= 8 and pool["max_id"].min() >= 4      # n+2 for n in 2..4
    g = np.random.default_rng(1)
    for _ in range(50):
        ops = sample_operands(Recipe(task="multi_operand", train_operands=(2, 4),
                                     train_digits=(1, 3)), g)
        assert 2 <= len(ops) <= 4 and all(0 <= x < 1000 for x in ops)
    with pytest.raises(ValueError, match="max_position"):
        make_pool(Recipe(train_digits=(1, 10), max_position=8), 20, np.random.default_rng(0))


def test_recipe_validation_and_eval_beyond_tables():
    for bad in (dict(task="mul"), dict(positions="rope"), dict(train_digits=(0, 3)),
                dict(train_operands=(1, 3)), dict(steps=0)):
        with pytest.raises(ValueError):
            Recipe(**bad)
    # (training itself is exercised by tests/test_arith_recipe.py and the claims; the refusal below
    # needs only a model of the recipe's shapes, so it takes untrained weights)
    r = Recipe(train_digits=(1, 2), max_position=6, d_model=8, n_heads=1, steps=1, batch=2,
               pool_size=10)
    cfg = model_config(r)
    params = init_params(jax.random.PRNGKey(0), cfg)
    with pytest.raises(ValueError, match="beyond the tables"):
        evaluate(params, cfg, r, digits=9, n=4)
    assert model_config(Recipe(task="multi_operand")).n_positions == (41, 21)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2 ** 31 - 1), n=st.integers(1, 6), mp=st.integers(8, 30))
def test_random_start_shift_is_a_uniform_translation_inside_the_table(seed, n, mp):
    """Property of the training offsets: each example's nonzero IDs move by one constant, ID 0
    (BOS/EOS/PAD) stays 0, and the largest ID stays <= max_position."""
    r = Recipe(train_digits=(1, n), max_position=max(mp, n + 2))
    pool = make_pool(r, 16, np.random.default_rng(seed))
    ids, mx = jnp.asarray(pool["ids"]), jnp.asarray(pool["max_id"])
    out = np.asarray(_shift_ids(jax.random.PRNGKey(seed), ids, mx, r.table_sizes))
    ids = np.asarray(ids)
    assert np.all((out == 0) == (ids == 0))
    d = np.where(ids > 0, out - ids, -1)
    for b in range(d.shape[0]):
        vals = np.unique(d[b][d[b] >= 0])
        assert len(vals) == 1 and vals[0] >= 0
    assert out.max() <= r.max_position


def test_shuffled_control_keeps_the_multiset_and_bos():
    r = Recipe(train_digits=(3, 3), max_position=8)
    pool = make_pool(r, 8, np.random.default_rng(0))
    out = np.asarray(_shuffle_ids(jax.random.PRNGKey(0), jnp.asarray(pool["ids"])))
    assert np.all(out[:, :, 0] == 0)
    assert np.array_equal(np.sort(out, axis=2), np.sort(pool["ids"], axis=2))
    assert not np.array_equal(out, pool["ids"])
