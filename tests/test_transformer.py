"""Unit and property tests of numerics/transformer.py (the shared decoder-only Transformer)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import random as rnd
from numerics.transformer import TransformerConfig, exact_match, forward_jit, greedy_decode, \
    init_params, loss_fn, param_count, token_correct

forward = forward_jit


def _cfg(**kw):
    base = dict(vocab_size=11, d_model=12, n_layers=2, n_heads=3, d_head=5, d_value=7, d_ff=9,
                n_levels=2, max_position=9, activation="gelu", norm="rms", qkv_bias=True,
                dtype="float64")
    base.update(kw)
    return TransformerConfig(**base)


def _data(cfg, B=3, T=8, seed=1):
    k1, k2 = jax.random.split(jax.random.PRNGKey(seed))
    tok = rnd.randint(k1, (B, T), 0, cfg.vocab_size)
    pos = rnd.randint(k2, (B, max(cfg.n_levels, 1), T), 0, cfg.max_position + 1)
    return tok, pos


def _perturb_biases(params, seed=5):
    """Give every bias a random value so the reference comparison exercises them."""
    g = np.random.default_rng(seed)
    for layer in params["layers"]:
        for k in ("bq", "bk", "bv", "bo"):
            layer["attn"][k] = jnp.asarray(0.3 * g.standard_normal(layer["attn"][k].shape))
        for k in ("b1", "b2"):
            if k in layer["mlp"]:
                layer["mlp"][k] = jnp.asarray(0.3 * g.standard_normal(layer["mlp"][k].shape))
        for k in ("norm1", "norm2", "norm1_post", "norm2_post"):
            if k in layer:
                layer[k]["scale"] = jnp.asarray(1 + 0.2 * g.standard_normal(layer[k]["scale"].shape))
    if "b" in params["unembed"]:
        params["unembed"]["b"] = jnp.asarray(0.3 * g.standard_normal(params["unembed"]["b"].shape))
    return params


def _reference(params, tok, pos, cfg):
    """Plain numpy loops over batch, heads and positions (independent of the einsum code)."""
    P = jax.tree_util.tree_map(np.asarray, params)
    tok, pos = np.asarray(tok), np.asarray(pos)
    B, T = tok.shape
    gelu = lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    rms = lambda x, s: x / np.sqrt(np.mean(x * x) + 1e-6) * s
    out = np.zeros((B, T, cfg.vocab_size))
    for b in range(B):
        h = P["tok_emb"][tok[b]].copy()
        for lvl in range(cfg.n_levels):
            h += P["pos_emb"][lvl][pos[b, lvl]]
        for L in P["layers"]:
            A = L["attn"]
            x = np.stack([rms(r, L["norm1"]["scale"]) for r in h])
            new = h.copy()
            for t in range(T):
                acc = A["bo"].copy()
                for hd in range(cfg.n_heads):
                    q = x[t] @ A["wq"][hd] + A["bq"][hd]
                    ks = x[: t + 1] @ A["wk"][hd] + A["bk"][hd]
                    vs = x[: t + 1] @ A["wv"][hd] + A["bv"][hd]
                    s = ks @ q / np.sqrt(cfg.head_dim)
                    w = np.exp(s - s.max())
                    w /= w.sum()
                    acc += (w @ vs) @ A["wo"][hd]
                new[t] += acc
            h = new
            if "norm1_post" in L:
                h = np.stack([rms(r, L["norm1_post"]["scale"]) for r in h])
            M = L["mlp"]
            x = np.stack([rms(r, L["norm2"]["scale"]) for r in h])
            if cfg.ffn == "gated":
                h = h + (gelu(x @ M["w1"]) * (x @ M["w3"])) @ M["w2"]
            else:
                h = h + gelu(x @ M["w1"] + M["b1"]) @ M["w2"] + M["b2"]
            if "norm2_post" in L:
                h = np.stack([rms(r, L["norm2_post"]["scale"]) for r in h])
        h = np.stack([rms(r, P["final_norm"]["scale"]) for r in h])
        W = P["tok_emb"].T / np.sqrt(cfg.d_model) if cfg.tie_embeddings else P["unembed"]["w"]
        out[b] = h @ W + (P["unembed"]["b"] if cfg.readout_bias else 0)
    return out


def test_forward_matches_numpy_reference_with_free_head_dims_and_biases():
    cfg = _cfg()
    params = _perturb_biases(init_params(jax.random.PRNGKey(0), cfg, init_scale=0.5))
    tok, pos = _data(cfg)
    got = np.asarray(forward(params, tok, pos, cfg))
    np.testing.assert_allclose(got, _reference(params, tok, pos, cfg), rtol=1e-10, atol=1e-10)
    assert got.dtype == np.float64


def test_gated_ffn_pre_post_norm_matches_numpy_reference():
    """The official position-coupling architecture options: gated-GELU FFN without biases,
    RMSNorm before and after each sublayer, the read-out tied to the token embedding."""
    cfg = _cfg(ffn="gated", norm_position="pre_post", readout_bias=False, tie_embeddings=True)
    params = _perturb_biases(init_params(jax.random.PRNGKey(2), cfg, init_scale=0.5))
    assert "b1" not in params["layers"][0]["mlp"] and params["unembed"] == {}
    assert "norm2_post" in params["layers"][1]
    tok, pos = _data(cfg)
    np.testing.assert_allclose(np.asarray(forward(params, tok, pos, cfg)),
                               _reference(params, tok, pos, cfg), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="norm_position"):
        _cfg(norm=None, norm_position="pre_post")
    with pytest.raises(ValueError, match="ffn"):
        _cfg(ffn="swiglu")


def test_shapes_intermediates_and_attention_rows():
    cfg = _cfg(norm=None, activation="relu", qkv_bias=False, attn_scale=1.0)
    params = init_params(jax.random.PRNGKey(0), cfg)
    assert "final_norm" not in params and "bq" not in params["layers"][0]["attn"]
    tok, pos = _data(cfg, B=2, T=6)
    logits, inter = forward(params, tok, pos, cfg, return_intermediates=True)
    assert logits.shape == (2, 6, cfg.vocab_size)
    assert len(inter["attn"]) == 2 and inter["attn"][0].shape == (2, 3, 6, 6)
    assert len(inter["residual"]) == 3 and inter["final"].shape == (2, 6, cfg.d_model)
    w = np.asarray(inter["attn"][1])
    np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-12)
    assert np.all(np.triu(w, k=1) == 0)          # causal
    assert param_count(params) == sum(np.size(x) for x in jax.tree_util.tree_leaves(params))


def test_explicit_position_vectors_equal_table_lookup():
    cfg = _cfg()
    params = init_params(jax.random.PRNGKey(3), cfg, init_scale=0.3)
    tok, pos = _data(cfg)
    vecs = sum(params["pos_emb"][l][pos[:, l]] for l in range(cfg.n_levels))
    np.testing.assert_allclose(forward(params, tok, None, cfg, pos_vectors=vecs),
                               forward(params, tok, pos, cfg), atol=1e-12)


def test_causality_future_tokens_do_not_change_past_logits():
    cfg = _cfg()
    params = init_params(jax.random.PRNGKey(0), cfg, init_scale=0.5)
    tok, pos = _data(cfg, B=1, T=8)
    tok2 = tok.at[:, 5:].set((tok[:, 5:] + 1) % cfg.vocab_size)
    pos2 = pos.at[:, :, 5:].set(0)
    a = forward(params, tok, pos, cfg)
    b = forward(params, tok2, pos2, cfg)
    np.testing.assert_allclose(a[:, :5], b[:, :5], atol=1e-12)
    assert not np.allclose(a[:, 5:], b[:, 5:])


def test_nope_one_layer_is_permutation_invariant():
    """Proposition 5.2 of arXiv:2405.20671: a 1-layer NoPE model sees only the multiset."""
    cfg = _cfg(n_layers=1, n_levels=0)
    params = init_params(jax.random.PRNGKey(0), cfg, init_scale=0.5)
    tok = jnp.array([[2, 4, 5, 9, 7, 3, 8]])
    perm = jnp.array([[2, 7, 3, 5, 4, 9, 8]])            # same multiset, same last token
    la = forward(params, tok, None, cfg)[:, -1]
    lb = forward(params, perm, None, cfg)[:, -1]
    np.testing.assert_allclose(la, lb, atol=1e-12)


def test_loss_and_exact_match_on_a_memorised_mapping():
    """A model whose readout copies the next token exactly has loss ~0 and exact match 1."""
    cfg = TransformerConfig(vocab_size=6, d_model=6, n_heads=1, n_levels=1, max_position=8,
                            norm=None, activation="relu", dtype="float64")
    params = init_params(jax.random.PRNGKey(0), cfg)
    params = jax.tree_util.tree_map(jnp.zeros_like, params)
    # next token = (token + 1) mod 6 via the residual stream and a permutation readout
    params["tok_emb"] = 50.0 * jnp.eye(6)
    params["unembed"]["w"] = jnp.roll(jnp.eye(6), 1, axis=1)
    tok = jnp.array([[0, 1, 2, 3, 4, 5, 0]])
    pos = jnp.zeros((1, 1, 7), jnp.int32)
    mask = jnp.array([[False, False, False, True, True, True, True]])
    assert float(loss_fn(params, tok, pos, mask, cfg)) < 1e-12
    assert bool(exact_match(params, tok, pos, mask, cfg)[0])
    bad = tok.at[0, 5].set(0)
    ok = np.asarray(token_correct(params, bad, pos, mask, cfg))[0]
    assert ok.tolist() == [True, True, True, True, True, False, False]
    assert not bool(exact_match(params, bad, pos, mask, cfg)[0])
    gen = greedy_decode(params, jnp.array([[0, 1, 2, 0, 0, 0, 0]]), pos, 3, cfg)
    assert np.asarray(gen).tolist() == [[0, 1, 2, 3, 4, 5, 0]]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), prompt_len=st.integers(1, 6))
def test_greedy_decode_is_teacher_forced_exact(seed, prompt_len):
    """Property: greedy output, read back with teacher forcing, is an exact match on every
    generated slot (the equivalence of the repository's metric and greedy decoding)."""
    cfg = _cfg(n_layers=1, dtype="float64")
    params = init_params(jax.random.PRNGKey(seed), cfg, init_scale=0.5)
    tok, pos = _data(cfg, B=2, T=7, seed=seed)
    gen = greedy_decode(params, tok, pos, prompt_len, cfg)
    assert np.array_equal(np.asarray(gen)[:, :prompt_len], np.asarray(tok)[:, :prompt_len])
    mask = jnp.arange(7)[None, :] >= prompt_len
    assert bool(jnp.all(exact_match(params, gen, pos, jnp.broadcast_to(mask, gen.shape), cfg)))


def test_float32_option_and_bad_configs():
    cfg = _cfg(dtype="float32")
    params = init_params(jax.random.PRNGKey(0), cfg)
    tok, pos = _data(cfg)
    assert forward(params, tok, pos, cfg).dtype == jnp.float32
    for bad in (dict(d_model=0), dict(activation="tanh"), dict(norm="layer"), dict(dtype="f16"),
                dict(n_positions=(3,)), dict(d_head=0), dict(n_levels=-1)):
        with pytest.raises(ValueError):
            _cfg(**bad)
    with pytest.raises(ValueError, match="prompt_len"):
        greedy_decode(params, tok, pos, 0, cfg)
