"""Training throughput of ``numerics/transformer.py`` on CPU.

Setting: 1 layer, 4 heads, width 64 (and 256), batch 128 of 1-10 digit additions in
the position-coupling format padded to 35 tokens, AdamW, float32, 2 threads. One training step is
forward + backward + AdamW update (the batch sampling and random start offsets run inside the same
jitted ``lax.scan``, see ``numerics.arith_train.make_trainer``).

Reference, recorded from an earlier measurement (not measured here unless ``--official`` is given): the official
PyTorch model (HanseulJo/position-coupling, ``CustomT5DecoderOnly``) ran about 22 steps/s
(about 99,000 padded tokens/s) at width 64 and about 3.1 steps/s at width 256 on a quiet 2-core
machine. With ``--official PATH`` (a checkout of that repository, and torch + transformers
importable by ``--python``), the official model is timed in a subprocess of this run at the same
size and batch, and the ratio is a measured one.

It also times the explicit 1-layer addition construction (``numerics.position_coupling``, P = 10)
on 1000-digit additions (teacher-forced check of every response token), unless
``--skip-construction``.

Usage::

    .venv/bin/python benchmarks/transformer.py [--widths 64 256] [--steps 60] [--threads 2]
        [--official /tmp/position-coupling --python /tmp/torchvenv/bin/python]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

REFERENCE = {64: 22.0, 256: 3.1}      # steps/s of the official model, an earlier measurement
T_PAD = 35
BATCH = 128


def _set_threads(n: int) -> None:
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        os.environ["XLA_FLAGS"] = (flags + f" --xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'}"
                                   f" intra_op_parallelism_threads={n}").strip()


def ours(width: int, steps: int, seed: int = 0) -> dict:
    """Steps/s and padded tokens/s of our training step at ``width`` (1 layer, 4 heads,
    d_head = width/4, d_ff = 4 width... see ``d_ff`` in the output)."""
    import jax
    import numpy as np

    from numerics.arith_train import Recipe, make_pool, make_trainer

    r = Recipe(train_digits=(1, 10), max_position=40, d_model=width, n_heads=4,
               d_ff=4 * width, batch=BATCH, steps=steps, pool_size=4096)
    pool = make_pool(r, r.pool_size, np.random.default_rng(seed))
    T = pool["tokens"].shape[1]
    pad = T_PAD - T
    if pad < 0:
        raise ValueError(f"1-10 digit additions need {T} > {T_PAD} tokens")
    for k in ("tokens", "target"):
        pool[k] = np.pad(pool[k], ((0, 0), (0, pad)))
    pool["ids"] = np.pad(pool["ids"], ((0, 0), (0, 0), (0, pad)))
    (params, opt_state), run_chunk, cfg = make_trainer(r, pool, seed=seed)
    key = jax.random.PRNGKey(seed)
    params, opt_state, ls = run_chunk(params, opt_state, jax.random.split(key, steps))  # compile
    jax.block_until_ready(ls)
    best = float("inf")
    for rep in range(3):
        t0 = time.perf_counter()
        params, opt_state, ls = run_chunk(params, opt_state,
                                          jax.random.split(jax.random.fold_in(key, rep + 1), steps))
        jax.block_until_ready(ls)
        best = min(best, time.perf_counter() - t0)
    sps = steps / best
    return {"width": width, "d_ff": cfg.ff_dim, "d_head": cfg.head_dim, "steps_per_s": sps,
            "tokens_per_s": sps * BATCH * T_PAD, "final_loss": float(ls[-1])}


_OFFICIAL = r'''
import sys, time, json, torch
sys.path.insert(0, sys.argv[1])
from transformers import T5Config
from src.model.modeling.custom_t5_decoder_only import CustomDecoderOnlyT5
w, steps, threads = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads); torch.manual_seed(0)
cfg = T5Config(vocab_size=16, d_model=w, d_kv=w // 4, d_ff=4 * w, num_layers=1, num_heads=4,
    n_positions=41, dropout_rate=0.0, feed_forward_proj="gated-gelu", normalization_layer="rmsnorm",
    layer_norm_position="pre_post", layer_norm_epsilon=1e-6, pad_token_id=0, bos_token_id=2,
    eos_token_id=2, decoder_start_token_id=2, position_encoding_type="abs_learned")
m = CustomDecoderOnlyT5(cfg, position_encoding_type="abs_learned"); m.train()
opt = torch.optim.AdamW(m.parameters(), lr=1e-3, betas=(0.9, 0.98))
B, T = 128, 35
x = torch.randint(3, 15, (B, T)); pos = torch.randint(1, 30, (B, T)); lab = x.clone(); lab[:, :20] = -100
def step():
    out = m(input_ids=x, position_ids=pos, labels=lab)
    out.loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); opt.zero_grad()
for _ in range(5): step()
best = 1e9
for _ in range(3):
    t0 = time.perf_counter()
    for _ in range(steps): step()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"width": w, "steps_per_s": steps / best, "tokens_per_s": steps / best * B * T,
                  "params": sum(p.numel() for p in m.parameters())}))
'''


def official(path: str, python: str, width: int, steps: int, threads: int) -> dict | None:
    """Time the official CustomT5DecoderOnly model (gated-GELU, pre+post RMSNorm, learned
    absolute positions) at the same size in a subprocess; None (with a message) if it fails."""
    try:
        out = subprocess.run([python, "-c", _OFFICIAL, path, str(width), str(steps), str(threads)],
                             capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"official model not run: {e}", file=sys.stderr)
        return None
    if out.returncode != 0:
        print("official model failed:\n" + out.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def construction_eval(n_digits: int = 1000, n: int = 4, P: int = 10, seed: int = 0) -> dict:
    """Seconds per example of the explicit addition construction (``numerics.position_coupling``,
    1 layer, 2 heads, d = 17 + 2P, float64) checking ``n`` random ``n_digits``-digit additions with
    teacher forcing (every response token, EOS included), compilation excluded."""
    import numpy as np

    from numerics import arithmetic as ar
    from numerics import position_coupling as pc

    g = np.random.default_rng(seed)
    ex = [ar.addition(int("".join(map(str, g.integers(1, 10, n_digits)))),
                      int("".join(map(str, g.integers(1, 10, n_digits))))) for _ in range(n)]
    c = pc.build(P)
    pc.evaluate(c, ex[:1], pad_len=ex[0].T)                      # compile
    t0 = time.perf_counter()
    out = pc.evaluate(c, ex, pad_len=ex[0].T)
    dt = time.perf_counter() - t0
    return {"n_digits": n_digits, "tokens": ex[0].T, "seconds_per_example": dt / n,
            "all_exact": bool(np.all(out["exact"]))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--widths", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--steps", type=int, default=60, help="steps per timed repetition (best of 3)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--official", default=None, help="path of a position-coupling checkout")
    ap.add_argument("--python", default=sys.executable, help="python with torch for --official")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--skip-construction", action="store_true",
                    help="skip timing the explicit construction on 1000-digit additions")
    a = ap.parse_args(argv)
    _set_threads(a.threads)
    rows = []
    for w in a.widths:
        r = ours(w, a.steps)
        line = (f"width {w:4d} (d_ff {r['d_ff']}, d_head {r['d_head']}): ours {r['steps_per_s']:7.2f} "
                f"steps/s, {r['tokens_per_s']:10.0f} padded tokens/s")
        if a.official:
            o = official(a.official, a.python, w, max(5, a.steps // 4), a.threads)
            r["official"] = o
            if o:
                r["ratio_measured"] = r["steps_per_s"] / o["steps_per_s"]
                line += (f" | official (same run) {o['steps_per_s']:6.2f} steps/s -> ratio "
                         f"{r['ratio_measured']:.2f}x")
        if w in REFERENCE:
            line += (f" | recorded reference (other machine, not a measured ratio) "
                     f"{REFERENCE[w]:.1f} steps/s")
        print(line, flush=True)
        rows.append(r)
    if not a.skip_construction:
        try:
            cr = construction_eval()
            print(f"construction (P=10, d=37): {cr['n_digits']}-digit additions ({cr['tokens']} tokens) "
                  f"{cr['seconds_per_example']:.3f} s per example teacher-forced, all exact: "
                  f"{cr['all_exact']}", flush=True)
            rows.append({"construction": cr})
        except ImportError as e:
            print(f"construction not timed: {e}", file=sys.stderr)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
