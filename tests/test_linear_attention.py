"""Tests of the linear-attention slice (Ahn et al., arXiv:2310.01082; the one-layer optimum of Ahn, Cheng,
Daneshmand, Sra 2023, arXiv:2306.00297)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

import numerics.linear_attention as nl
from proofs_check import claims_for
from proofs_check.testing import claim_tests
from theory import linear_attention as tl

CLAIMS = claims_for("linear_attention")


def test_registered():
    assert {c.id for c in CLAIMS} == {
        "linear_attention.optimum_derivation", "linear_attention.mc_loss_at_optimum",
        "linear_attention.one_layer_optimum", "linear_attention.adam_beats_sgd",
        "linear_attention.adam_beats_sgd_one_seed", "linear_attention.depth_gap",
        "linear_attention.depth_gap_2_vs_3", "linear_attention.heavy_tailed_noise",
        "linear_attention.condition_number", "linear_attention.condition_number_one_seed"}
    assert all(c.mutations for c in CLAIMS)
    assert {c.id for c in CLAIMS if c.decides_at == "full"} == {
        "linear_attention.adam_beats_sgd", "linear_attention.depth_gap", "linear_attention.condition_number"}


# each claim at the fast budget, and each mutated twin refuted (proofs_check.testing)
test_claim, test_mutated_twin = claim_tests(CLAIMS)


# ------------------------------------------------------------------ theory
def test_notebook_entry_point():
    A = tl.optimal_preconditioner(np.eye(5), 20)
    assert np.allclose(A, 20 / 26 * np.eye(5), atol=1e-14)
    assert abs(tl.optimal_loss(np.eye(5), 20) - 15 / 13) < 1e-12
    S = np.diag([2.0, 1.0, 0.5])
    A = tl.optimal_preconditioner(S, 7)
    assert np.allclose(A, np.linalg.inv(8 / 7 * S + 3.5 / 7 * np.eye(3)))
    # A* minimises the float loss: any perturbation increases it
    rng = np.random.default_rng(0)
    for _ in range(5):
        E = 1e-3 * rng.standard_normal((3, 3))
        assert tl.loss_at(A + E, S, 7) > tl.loss_at(A, S, 7)
    assert abs(tl.loss_at(A, S, 7) - tl.optimal_loss(S, 7)) < 1e-12


@pytest.mark.parametrize("Sigma,n,match", [
    (np.array([[1.0, 0.5], [0.0, 1.0]]), 5, "symmetric"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), 5, "positive definite"),
    (np.array([["a", "b"], ["c", "d"]]), 5, "Sigma must be a real numeric"),
    (np.eye(2, dtype=bool), 5, "Sigma must be a real numeric"),
    (np.ones(3), 5, "square"),
    (np.eye(2), 0, "n must be >= 1"),
    (np.eye(2), True, "n must be an integer"),
    (np.eye(2), "20", "n must be an integer"),
    (np.eye(2), 2.5, "n must be an integer"),
])
def test_bad_input(Sigma, n, match):
    with pytest.raises(ValueError, match=match):
        tl.optimal_preconditioner(Sigma, n)


def test_wishart_moment_scalar():
    """d = 1: E[s_hat^2] = sigma^4 (1 + 2/n) (explicit chi-square moments)."""
    s = sp.Symbol("s", positive=True)
    m = tl.wishart_moment(sp.Matrix([[s]]), sp.Matrix([[1]]))[0, 0]
    assert sp.simplify(m - s**2 * (1 + 2 / tl.n)) == 0


def test_nonsymmetric_b_needs_both_terms():
    """For a non-symmetric B the Isserlis sum is S B S + S B^T S + tr(BS) S on the diagonal terms."""
    S = tl._sym_matrix("s", 2)
    B = tl._sym_matrix("b", 2, symmetric=False)
    full = tl.fourth_moment(S, B)
    assert sp.simplify(full - (S * B * S + S * B.T * S + (B * S).trace() * S)) == sp.zeros(2, 2)


# ------------------------------------------------------------------ numerics
def test_model_matches_paper_equation():
    """The (d+1)x(d+1) Gram form equals Z + (1/n) P Z M (Z^T Q Z) layer by layer (full and sparse)."""
    key = nl.prng_key(0)
    Z, _ = nl.sample_prompts(key, 4, 6)
    n = 6
    M = jnp.diag(jnp.r_[jnp.ones(n), 0.0])
    for sparse in (False, True):
        L = 3
        th = nl.init_params(jax.random.fold_in(key, 1), L, sparse=sparse, std=0.3)
        P, Q = nl.matrices(th, L, sparse=sparse)

        def naive(Z0):
            Zl = Z0
            for l in range(L):
                Zl = Zl + P[l] @ Zl @ M @ (Zl.T @ Q[l] @ Zl) / n
            return -Zl[5, n]

        want = jax.vmap(naive)(Z)
        assert np.max(np.abs(want - nl.predict(th, Z, L, sparse)) / (1 + np.abs(want))) < 1e-12


def test_one_layer_is_preconditioned_gd_step():
    """Sign convention: one sparse layer with Q' = -A^T predicts x_q^T A (1/n) sum y_i x_i exactly."""
    key = nl.prng_key(2)
    Z, _ = nl.sample_prompts(key, 5, 20)
    A = 0.7 * jnp.eye(5) + 0.01 * jnp.arange(25.0).reshape(5, 5)
    h = jnp.einsum("bn,bdn->bd", Z[:, 5, :20], Z[:, :5, :20]) / 20
    want = jnp.einsum("bd,de,be->b", Z[:, :5, 20], A, h)
    assert np.max(np.abs(nl.predict(nl.sparse_from_matrix(A), Z, 1, True) - want)) < 1e-13


def test_padding_and_structure():
    """Zero-padded context columns with n_active = n give the unpadded prediction; a frozen first layer is
    the identity; the sparse structure is the code's parameterisation."""
    key = nl.prng_key(3)
    Z5, _ = nl.sample_prompts(key, 3, 5)
    Zp = jnp.concatenate([Z5[:, :, :5], jnp.zeros((3, 6, 15)), Z5[:, :, 5:]], axis=2)
    th = nl.init_params(key, 2, std=0.3)
    assert np.max(np.abs(nl.predict(th, Zp, 2, n_active=5.0) - nl.predict(th, Z5, 2))) < 1e-12
    m, o = nl.structure(3, 2, sparse=True)
    th3 = o + m * nl.init_params(key, 3, std=0.3)
    P, Q = nl.matrices(jnp.asarray(th3), 3)
    assert np.all(P[0] == 0) and np.all(Q[0] == 0)
    th2 = jnp.asarray(th3).reshape(2, 3, 6, 6)[:, 1:, :5, :5].reshape(-1)
    assert np.max(np.abs(nl.predict(jnp.asarray(th3), Z5, 3) - nl.predict(th2, Z5, 2, sparse=True))) < 1e-12


def test_gamma_sampler():
    """The vectorised Marsaglia-Tsang sampler: mean and variance of Gamma(0.1, 1) (0.1, 0.1), the
    acceptance rate at shape 1.1 (0.958, so 8 tries fail with probability < 1e-11), and E||x||^2 = 1 for the
    heavy-tailed covariates. The samplers are jitted (one program each instead of one per primitive)."""
    g = np.asarray(jax.jit(nl._gamma, static_argnums=(1, 2))(nl.prng_key(5), 0.1, (200_000,)))
    assert abs(g.mean() - 0.1) < 0.005 and abs(g.var() - 0.1) < 0.01
    dd = 1.1 - 1 / 3
    c = 1 / np.sqrt(9 * dd)
    rng = np.random.default_rng(0)
    z, u = rng.standard_normal(200_000), rng.random(200_000)
    v = (1 + c * z) ** 3
    acc = np.mean((v > 0) & (np.log(u) < 0.5 * z * z + dd - dd * v + dd * np.log(np.where(v > 0, v, 1))))
    assert 0.95 < acc < 0.965 and (1 - acc) ** nl.GAMMA_TRIES < 1e-10
    sample = jax.jit(nl.sample_prompts, static_argnames=("batch", "n", "covariates"))   # one program
    Z, _ = sample(nl.prng_key(6), batch=20_000, n=20, covariates="gamma")
    sq = np.asarray(jnp.sum(Z[:, :5, :] ** 2, axis=1)).ravel()
    assert abs(sq.mean() - 1.0) < 0.05


def test_bad_numerics_input():
    with pytest.raises(ValueError, match="optimizer"):
        nl.train([dict(seed=0, lr=0.1, optimizer="rmsprop", setting=1)], steps=2, record_every=1)
    with pytest.raises(ValueError, match="setting"):
        nl.train([dict(seed=0, lr=0.1, optimizer="sgd", setting=4)], steps=2, record_every=1)
    with pytest.raises(ValueError, match="lr"):
        nl.train([dict(seed=0, lr=-0.1, optimizer="sgd", setting=1)], steps=2, record_every=1)
    with pytest.raises(ValueError, match="record_every"):
        nl.train([dict(seed=0, lr=0.1, optimizer="sgd", setting=1)], steps=5, record_every=2)
    with pytest.raises(ValueError, match="covariates"):
        nl.sample_prompts(nl.prng_key(0), 2, 3, covariates="cauchy")
    with pytest.raises(ValueError, match="seed"):
        nl.prng_key(True)


def test_float_functions_take_the_papers_symbols_as_keywords():
    A = tl.optimal_preconditioner(Sigma=np.eye(3), n=4)
    assert np.allclose(A, np.eye(3) / (1 + 1 / 4 + 3 / 4))
    assert tl.optimal_loss(Sigma=np.eye(5), n=20) == pytest.approx(15 / 13, abs=1e-12)
    assert tl.loss_at(A=A, Sigma=np.eye(3), n=4) == pytest.approx(tl.optimal_loss(np.eye(3), 4))


def test_wishart_moment_closed_form_equals_the_isserlis_derivation_for_symmetric_B():
    """E[S B S] = (1 + 1/n) Sigma B Sigma + (1/n) tr(B Sigma) Sigma (S the empirical covariance of n
    Gaussian samples) for a symmetric B, at an asymmetric Sigma; not for a non-symmetric B."""
    import sympy as sp
    Sigma = sp.Matrix([[2, sp.Rational(1, 3)], [sp.Rational(1, 3), 1]])
    B = sp.Matrix([[1, sp.Rational(-2, 5)], [sp.Rational(-2, 5), 3]])
    diff = (tl.wishart_moment(Sigma, B) - tl.wishart_moment_closed_form(Sigma, B)).applyfunc(sp.simplify)
    assert diff == sp.zeros(2, 2)
    Bn = sp.Matrix([[1, 2], [0, 3]])
    diff = (tl.wishart_moment(Sigma, Bn) - tl.wishart_moment_closed_form(Sigma, Bn)).applyfunc(sp.simplify)
    assert diff != sp.zeros(2, 2)
