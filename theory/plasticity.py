"""Closed forms for SAM + reset (Lee, Cho, Kim, Gwak, Kim, Choo, Yun & Yun, arXiv:2306.10711;
v1 "Enhancing Generalization and Plasticity for Sample Efficient Reinforcement Learning", v3
"PLASTIC: Improving Input and Label Plasticity for Sample Efficient Reinforcement Learning").

The papers are empirical; what has a closed form is the bookkeeping of their configurations and the
first-order facts about the two mechanisms (derived here, ``docs/papers/plasticity.md#what-we-derived``):

* reset counts: with ``U`` updates and a reset every ``I`` updates, never after the final one, there
  are ``floor((U - 1) / I)`` resets. Atari-100k (official config: 100,000 environment steps,
  learning starts at 2,000, replay ratio RR): ``U = RR (100000 - 2000 + 1)`` and ``I = 40000`` give
  4, 9, 19 resets at RR = 2, 4, 8; DMC: 2,000,000 environment steps at action repeat 2 are
  1,000,000 agent steps, a reset every 100,000 gives 9;
* the SAM perturbation ``eps* = rho g / ||g||`` maximises ``g . eps`` on the ball ``||eps|| <= rho``
  (Cauchy-Schwarz), with value ``rho ||g||``; on ``L(w) = w^T A w / 2`` the SAM gradient is exactly
  ``A (w + rho A w / ||A w||)``;
* CReLU ``[relu(z), relu(-z)]`` of ``z in R^n`` with no zero entry has exactly ``n`` positive
  outputs.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

__all__ = ["resets", "resets_expr", "atari_updates", "ATARI", "DMC", "sam_quadratic_gradient",
           "sam_linear_ascent_expr", "crelu_positive_count"]

U, I = sp.symbols("U I", positive=True, integer=True)
RR = sp.Symbol("RR", positive=True, integer=True)

#: official Atari-100k bookkeeping (``atari/configs/agent/drq.yaml`` of dojeon-ai/PLASTIC)
ATARI = {"env_steps": 100_000, "learning_starts": 2_000, "reset_every_updates": 40_000}
#: DMC-M bookkeeping (2M environment steps, action repeat 2, reset every 100k agent steps)
DMC = {"env_steps": 2_000_000, "action_repeat": 2, "reset_every_steps": 100_000}


def resets_expr():
    """The number of resets ``floor((U - 1) / I)`` as a sympy expression (resets after updates
    I, 2I, ... strictly before the final update U)."""
    return sp.floor((U - 1) / I)


def _posint(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")


def resets(total_updates: int, every: int) -> int:
    """``floor((total_updates - 1) / every)``: resets in a run of ``total_updates`` updates with a
    reset every ``every`` updates, none after the final update."""
    _posint("total_updates", total_updates)
    _posint("every", every)
    return int(resets_expr().subs({U: total_updates, I: every}))


def atari_updates(replay_ratio: int) -> int:
    """``RR (100000 - 2000 + 1)``: gradient updates of an Atari-100k run at replay ratio RR (one
    batch of RR updates per environment step from step 2,000 to step 100,000 inclusive)."""
    _posint("replay_ratio", replay_ratio)
    e = RR * (ATARI["env_steps"] - ATARI["learning_starts"] + 1)
    return int(e.subs(RR, replay_ratio))


def sam_quadratic_gradient(A, w, rho):
    """The exact SAM gradient ``A (w + rho A w / ||A w||)`` of ``L(w) = w^T A w / 2`` (``A``
    symmetric; ``A w != 0``). Derived: grad L(w) = A w, eps = rho A w / ||A w||, grad L(w + eps)."""
    A, w = np.asarray(A, np.float64), np.asarray(w, np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or not np.allclose(A, A.T):
        raise ValueError("A must be a symmetric square matrix")
    if w.shape != (A.shape[0],):
        raise ValueError(f"w must have shape ({A.shape[0]},), got {w.shape}")
    if isinstance(rho, bool) or not np.isfinite(rho) or rho < 0:
        raise ValueError(f"rho must be a finite number >= 0, got {rho!r}")
    g = A @ w
    n = np.linalg.norm(g)
    if n == 0:
        raise ValueError("A w = 0: the SAM ascent direction is undefined (w is stationary)")
    return A @ (w + rho * g / n)


def sam_linear_ascent_expr(n: int = 3):
    """Sympy check of the first-order SAM step in ``n`` dimensions: returns ``(value, eps)`` where
    ``eps = rho g / ||g||`` and ``value = g . eps`` simplifies to ``rho ||g||`` (the maximum of
    ``g . eps`` over ``||eps|| <= rho`` by Cauchy-Schwarz)."""
    _posint("n", n)
    g = sp.Matrix(sp.symbols(f"g1:{n + 1}", real=True))
    rho = sp.Symbol("rho", positive=True)
    norm = sp.sqrt(sum(x ** 2 for x in g))
    eps = rho * g / norm
    return sp.simplify((g.T * eps)[0]), eps


def crelu_positive_count(z) -> int:
    """The number of positive outputs of CReLU on ``z`` (no zero entry): ``len(z)``."""
    z = np.asarray(z, np.float64).ravel()
    if np.any(z == 0):
        raise ValueError("z must have no zero entry (then relu(z_i) and relu(-z_i) both vanish)")
    return int(z.size)
