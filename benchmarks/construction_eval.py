"""Evaluation time of the position-coupling addition construction (arXiv:2405.20671, Thm 5.1;
``numerics.position_coupling``) on 1000-digit additions, against baselines run in the same process.

1. Teacher-forced exact match (one forward over BOS a+b=sum EOS, argmax checked at every response
   token): the jitted ``numerics.transformer.forward`` vs a plain numpy float64 forward of the same
   weights (written below: embedding + tables, 2 causal softmax heads, ReLU FFN, readout).
2. Greedy decoding: ``numerics.transformer.greedy_decode`` (one full forward per generated token)
   vs ``numerics.position_coupling.fixed_point_decode`` (sweeps y <- argmax forward(prompt + y) until
   nothing changes; equal outputs, checked here). At 1000 digits greedy_decode would need ~1000 full
   forwards, so it is timed at ``--greedy-P`` (default 8: 254-digit operands) and the fixed point at
   both sizes.

Run:  .venv/bin/python benchmarks/construction_eval.py [--P 10] [--n 1000] [--batch 4]
(prints times and ratios; no assertions; on a shared machine expect 2-3x noise).
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def numpy_forward(c, tok, pos):
    """Reference numpy forward of a 1-layer, norm-free construction: logits [B, T, V]."""
    p = {k: v for k, v in c.params.items()}
    E = np.asarray(p["tok_emb"])
    h = E[tok]
    for lev, tab in enumerate(p["pos_emb"]):
        h = h + np.asarray(tab)[pos[:, lev]]
    a = p["layers"][0]["attn"]
    wq, wk, wv, wo = (np.asarray(a[k]) for k in ("wq", "wk", "wv", "wo"))
    T = tok.shape[1]
    causal = np.tril(np.ones((T, T), bool))
    out = np.zeros_like(h)
    for hd in range(wq.shape[0]):
        q, k, v = h @ wq[hd], h @ wk[hd], h @ wv[hd]
        s = np.einsum("btk,bsk->bts", q, k)
        s = np.where(causal, s, -np.inf)
        s = s - s.max(-1, keepdims=True)
        w = np.exp(s)
        w /= w.sum(-1, keepdims=True)
        out += (w @ v) @ wo[hd]
    h = h + out
    m = p["layers"][0]["mlp"]
    h = h + np.maximum(h @ np.asarray(m["w1"]) + np.asarray(m["b1"]), 0) @ np.asarray(m["w2"]) \
        + np.asarray(m["b2"])
    return h @ np.asarray(p["unembed"]["w"]) + np.asarray(p["unembed"]["b"])


def _time(fn, *a, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*a)
        best = min(best, time.perf_counter() - t0)
    return out, best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--P", type=int, default=10, help="code length (capacity 2^P - 2 digits)")
    ap.add_argument("--n", type=int, default=1000, help="operand length (digits)")
    ap.add_argument("--batch", type=int, default=4, help="additions per teacher-forced batch")
    ap.add_argument("--greedy-P", type=int, default=8, help="P for the greedy_decode comparison")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import jax

    from numerics import arithmetic as ar
    from numerics import position_coupling as pc
    from numerics import transformer as tf
    from theory import position_coupling as th

    rng = np.random.default_rng(args.seed)
    c = pc.build(args.P, th.hardness_for_capacity(args.P))
    exs = [ar.addition(*ar._sample_numbers(rng, np.array([args.n, args.n]))) for _ in range(args.batch)]
    tok, pos, mask, ql = pc.make_batch(exs)
    T = tok.shape[1]
    print(f"construction P={args.P} (d={c.d}, M={c.M:.3f}), {args.batch} additions of {args.n}-digit "
          f"operands, T={T} tokens, backend={jax.default_backend()}")

    fwd = jax.jit(tf.token_correct, static_argnames=("cfg",))
    _, t_first = _time(lambda: np.asarray(fwd(c.params, tok, pos, mask, cfg=c.cfg)))
    ok, t_jit = _time(lambda: np.asarray(fwd(c.params, tok, pos, mask, cfg=c.cfg)), repeat=3)
    logits_np, t_np = _time(lambda: numpy_forward(c, tok, pos))
    pred = logits_np[:, :-1].argmax(-1)
    ok_np = ((pred == tok[:, 1:]) | ~mask[:, 1:]).all(1)
    print("\n1. teacher-forced exact match (whole batch)")
    print(f"   jit forward (first call, incl. compile)  {t_first:8.3f} s")
    print(f"   jit forward                              {t_jit:8.3f} s  "
          f"({t_jit / args.batch * 1e3:.0f} ms per addition)   exact {int(ok.all(1).sum())}/{args.batch}")
    print(f"   numpy forward (baseline)                 {t_np:8.3f} s   exact {int(ok_np.sum())}/{args.batch}")
    print(f"   ratio numpy / jit                        {t_np / t_jit:8.2f}x")

    print("\n2. greedy decoding (one addition)")
    one = [exs[0]]
    t1, p1, _, q1 = pc.make_batch(one)
    (g, sweeps), t_fp_first = _time(lambda: jax.block_until_ready(
        pc.fixed_point_decode(c.params, t1, p1, q1, c.cfg)))
    (g, sweeps), t_fp = _time(lambda: jax.block_until_ready(
        pc.fixed_point_decode(c.params, t1, p1, q1, c.cfg)))
    good = bool((np.asarray(g)[0] == t1[0]).all())
    print(f"   P={args.P}, n={args.n}: fixed point {t_fp:.3f} s ({int(sweeps)} sweeps; first call "
          f"{t_fp_first:.3f} s), exact={good}")
    Pg = args.greedy_P
    cg = pc.build(Pg, th.hardness_for_capacity(Pg))
    ng = th.capacity(Pg)
    eg = [ar.addition(*ar._sample_numbers(rng, np.array([ng, ng])))]
    tg, pg, _, qg = pc.make_batch(eg)
    prompt = np.where(np.arange(tg.shape[1])[None] < qg[:, None], tg, 0)
    _, tgd_first = _time(lambda: np.asarray(tf.greedy_decode(cg.params, prompt, pg, qg, cg.cfg)))
    gd, t_gd = _time(lambda: np.asarray(tf.greedy_decode(cg.params, prompt, pg, qg, cg.cfg)))
    (gf, sw), _ = _time(lambda: jax.block_until_ready(pc.fixed_point_decode(cg.params, tg, pg, qg,
                                                                           cg.cfg)))
    (gf, sw), t_fpg = _time(lambda: jax.block_until_ready(pc.fixed_point_decode(cg.params, tg, pg,
                                                                               qg, cg.cfg)))
    same = bool((gd[0] == np.asarray(gf)[0]).all()) and bool((gd[0] == tg[0]).all())
    print(f"   P={Pg}, n={ng}: transformer.greedy_decode {t_gd:.3f} s (first call {tgd_first:.3f} s); "
          f"fixed point {t_fpg:.3f} s ({int(sw)} sweeps); identical and exact={same}; "
          f"ratio greedy_decode / fixed point {t_gd / t_fpg:.1f}x")


if __name__ == "__main__":
    main()
