"""The training pipeline of the arithmetic papers (numerics/arith_train.py): operands of any
length, the papers' recipes as presets, validation-loss checkpoint selection on a set disjoint
from the test problems, atomic checkpoints and resumption."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics.arith_train import (Recipe, evaluate, make_pool, model_config, sample_operands,
                                  eval_problems, train, uniform_ndigit, validation_set)

TINY = Recipe(task="addition", train_digits=(1, 3), max_position=12, d_model=16, n_heads=2,
              d_ff=32, steps=40, batch=16, lr=3e-3, warmup=5, pool_size=200, ffn="gated",
              norm_position="pre_post", readout_bias=False, tie_embeddings=True,
              select="val_loss", val_digits=4, val_n=32, val_every=10)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 250), seed=st.integers(0, 2**32 - 1))
def test_uniform_ndigit_has_exactly_n_digits_for_any_length(n, seed):
    g = np.random.default_rng(seed)
    xs = [uniform_ndigit(g, n) for _ in range(5)]
    assert all(len(str(x)) == n for x in xs) if n > 1 else all(0 <= x <= 9 for x in xs)


def test_uniform_ndigit_leading_and_trailing_digits_uniform_past_int64():
    g = np.random.default_rng(0)
    xs = [str(uniform_ndigit(g, 40)) for _ in range(3000)]
    lead = np.bincount([int(x[0]) for x in xs], minlength=10)[1:] / 3000
    mid = np.bincount([int(x[20]) for x in xs], minlength=10) / 3000
    assert np.all(np.abs(lead - 1 / 9) < 0.03) and np.all(np.abs(mid - 0.1) < 0.03)
    with pytest.raises(ValueError, match="digits"):
        uniform_ndigit(g, 0)


def test_sampling_up_to_18_digits_is_unchanged():
    """Lengths <= 18 draw one int64 as before, so earlier recorded runs are reproduced."""
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    for n in (2, 9, 18):
        assert uniform_ndigit(g1, n) == int(g2.integers(10 ** (n - 1), 10 ** n))


def test_evaluation_at_25_digits_runs():
    r = Recipe(train_digits=(1, 10), max_position=64, d_model=8, n_heads=2, d_ff=16)
    ops = eval_problems(r, 25, 2, n=3, seed=0)
    assert all(len(str(x)) == 25 for p in ops for x in p)


def test_presets_are_the_papers_recipes():
    p = Recipe.paper_addition()
    cfg = model_config(p)
    assert (p.d_model, p.n_heads, cfg.head_dim, cfg.ff_dim, p.n_layers) == (512, 4, 128, 2048, 1)
    assert (p.lr, p.steps, p.batch, p.pool_size, p.max_position) == (1e-4, 50_000, 1000, 10**6, 202)
    assert p.warmup == p.steps // 100 and p.min_lr_ratio == 0.1 and p.select == "val_loss"
    assert (p.ffn, p.norm_position) == ("gated", "pre_post")
    m = Recipe.paper_multi_operand()
    assert (m.n_layers, m.n_heads, m.d_model, m.lr, m.batch) == (6, 8, 1024, 3e-5, 400)
    c = Recipe.cpu_addition()
    assert c.max_position >= 2 * (c.val_digits + 2) and c.train_digits == (1, 10)
    assert (c.n_layers, c.n_heads, model_config(c).head_dim) == (1, 4, 128)
    assert Recipe.cpu_multi_operand().n_layers == 2
    with pytest.raises(ValueError, match="val_digits"):
        Recipe(select="val_loss")


def test_validation_set_is_disjoint_from_the_test_problems():
    toks, ids, tgt = validation_set(TINY, seed=0)
    assert toks.shape[0] == TINY.val_n and ids.max() <= TINY.max_position
    test = set(eval_problems(TINY, 4, 2, n=500, seed=1000))
    # re-derive the validation operands from the tokens: the sum is in the response, the
    # operands before '='; compare the decoded prompts
    from numerics import arithmetic as fmt
    seen = set()
    for row in toks:
        s = "".join(t for t in fmt.decode(row) if t not in ("[PAD]", "[EOS]"))
        a, b = s.split("=")[0].split("+")
        seen.add((int(a), int(b)))
    assert not (seen & test)


def test_checkpoint_resume_gives_the_uninterrupted_result(tmp_path):
    """Interrupt after 20 of 40 steps (as Ctrl-C would), resume from the checkpoint: the weights,
    the losses and the selected step equal those of one uninterrupted run."""
    p0, _, h0 = train(TINY, 0, chunk=10)
    ck = str(tmp_path / "run.ckpt.npz")

    def stop_at_20(msg):
        if msg.startswith("step 20/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(TINY, 0, chunk=10, checkpoint=ck, log=stop_at_20)
    p1, _, h1 = train(TINY, 0, chunk=10, checkpoint=ck)
    import jax
    for a, b in zip(jax.tree_util.tree_leaves(p0), jax.tree_util.tree_leaves(p1)):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    assert np.array_equal(h0["loss"], h1["loss"]) and h0["selected_step"] == h1["selected_step"]
    assert np.array_equal(h0["val_loss"], h1["val_loss"])
    with pytest.raises(ValueError, match="another recipe"):
        train(TINY.replace(lr=1e-3), 0, chunk=10, checkpoint=ck)
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]   # no temp file left


def test_selection_returns_the_best_validation_checkpoint():
    p, cfg, h = train(TINY, 1, chunk=10)
    assert h["steps_done"] == TINY.steps and np.isfinite(h["loss"]).all()
    assert list(h["val_steps"]) == [10, 20, 30, 40]
    assert h["selected_step"] == h["val_steps"][int(np.argmin(h["val_loss"]))]


def test_load_checkpoint_gives_the_kept_and_the_last_weights(tmp_path):
    """The checkpoint of a finished run holds the weights the selection kept (what ``train``
    returns) and the last step's weights (what ``select="last"`` returns); a checkpoint of another
    seed is refused."""
    import jax
    from numerics.arith_train import checkpoint_path, load_checkpoint

    ck = checkpoint_path(TINY, 2, str(tmp_path))
    best, _, h = train(TINY, 2, chunk=10, checkpoint=ck)
    last, _, _ = train(TINY.replace(select="last"), 2, chunk=10)
    got_last, got_best, meta = load_checkpoint(TINY, 2, ck)
    leaves = jax.tree_util.tree_leaves
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(leaves(best), leaves(got_best)))
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(leaves(last), leaves(got_last)))
    assert meta["done"] == TINY.steps and meta["sel"] == h["selected_step"]
    with pytest.raises(ValueError, match="another recipe, seed"):
        load_checkpoint(TINY, 3, ck)


def test_generalizable_length_stops_at_the_first_miss():
    from proofs_check.arith_training import _generalizable_length

    assert _generalizable_length([1, 2, 3, 4], [1.0, 0.96, 0.5, 0.99]) == 2   # not the later 0.99
    assert _generalizable_length([1, 2], [0.9, 1.0]) == 0
    assert _generalizable_length([1, 2, 3], [1.0, 1.0, 0.95]) == 3


def test_validation_runs_at_every_multiple_of_val_every():
    """val_every need not be a multiple of the chunk: 25 with chunks of 10 validates at 25, 50."""
    _, _, h = train(TINY.replace(steps=50, val_every=25), 0, chunk=10)
    assert list(h["val_steps"]) == [25, 50]
