"""Training throughput of ``numerics/transformer.py`` against the official position-coupling model.

The workload: a 1-layer, 4-head decoder-only Transformer trained on 1-10 digit additions in the
coupled format, padded to 35 tokens, batch 128, AdamW with gradient clipping, float32; one step
is forward + backward + update. The official model is HanseulJo/position-coupling's
``CustomDecoderOnlyT5`` (gated-GELU FFN, RMSNorm before and after each sublayer, learned absolute
position table), run in a subprocess of this script with a PyTorch interpreter (``--python``),
both eager and through ``torch.compile`` (the official training config sets ``compile: True``).

``--like-official`` runs the toolkit's model with the official architecture
(``TransformerConfig(ffn="gated", norm_position="pre_post", readout_bias=False,
tie_embeddings=True)``) and the same
vocabulary and position-table size, so the two have the same parameter count (printed). Without it
the toolkit's default block (plain GELU MLP with biases, pre-RMSNorm) is timed, which is not the
same model. Every configuration (width x threads) is repeated ``--repeats`` times, the toolkit and
the official model in turn (A B A B ...), each side in a fresh subprocess with its thread count
fixed before import; the script prints steps/s and the ratio ours/official, min and median over
the repetitions.

``--paper-width`` adds the row of the paper's model (width 512, 4 heads, head dimension 128,
d_ff 2048, batch 1000 x padded length), the shape a user reproducing the paper runs.

Usage::

    python benchmarks/transformer.py --like-official --official /tmp/position-coupling \\
        --python /tmp/torchvenv/bin/python [--widths 64 256] [--threads 1 2] [--repeats 3]
        [--paper-width]          # add the paper's shape; `--widths --paper-width`: only it

The official code stays outside this repository; its interpreter needs torch and
``transformers==4.46.3`` (the version of its ``env.yaml``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
T_PAD = 35

_OURS = r'''
import json, os, sys, time
n = int(sys.argv[6])
os.environ["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'} "
                           f"intra_op_parallelism_threads={n}")
sys.path.insert(0, sys.argv[1])
import jax, numpy as np
from numerics.arith_train import Recipe, make_pool, make_trainer
from numerics.transformer import param_count
w, steps, like, batch, T = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5]), int(sys.argv[7])
kw = dict(ffn="gated", norm_position="pre_post", readout_bias=False, tie_embeddings=True) if like else {}
r = Recipe(train_digits=(1, 10), max_position=40, d_model=w, n_heads=4, d_head=w // 4, d_ff=4 * w,
           batch=batch, steps=steps, pool_size=max(4096, batch), **kw)
pool = make_pool(r, r.pool_size, np.random.default_rng(0))
pad = T - pool["tokens"].shape[1]
for k in ("tokens", "target"):
    pool[k] = np.pad(pool[k], ((0, 0), (0, pad)))
pool["ids"] = np.pad(pool["ids"], ((0, 0), (0, 0), (0, pad)))
(params, opt_state), run_chunk, cfg = make_trainer(r, pool, seed=0)
key = jax.random.PRNGKey(0)
params, opt_state, ls = run_chunk(params, opt_state, jax.random.split(key, steps))
jax.block_until_ready(ls)
best = 1e9
for rep in range(2):
    t0 = time.perf_counter()
    params, opt_state, ls = run_chunk(params, opt_state, jax.random.split(jax.random.fold_in(key, rep + 1), steps))
    jax.block_until_ready(ls)
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"steps_per_s": steps / best, "params": param_count(params), "vocab": cfg.vocab_size,
                  "positions": cfg.table_sizes[0]}))
'''

_OFFICIAL = r'''
import json, sys, time, torch
sys.path.insert(0, sys.argv[1])
from transformers import T5Config
from src.model.modeling.custom_t5_decoder_only import CustomDecoderOnlyT5
w, steps, compiled, batch, threads, T, V, npos = (int(a) for a in sys.argv[2:10])
torch.set_num_threads(threads); torch.manual_seed(0)
cfg = T5Config(vocab_size=V, d_model=w, d_kv=w // 4, d_ff=4 * w, num_layers=1, num_heads=4,
    n_positions=npos, dropout_rate=0.0, feed_forward_proj="gated-gelu", normalization_layer="rmsnorm",
    layer_norm_position="pre_post", layer_norm_epsilon=1e-6, pad_token_id=0, bos_token_id=2,
    eos_token_id=2, decoder_start_token_id=2, position_encoding_type="abs_learned")
m = CustomDecoderOnlyT5(cfg, position_encoding_type="abs_learned"); m.train()
n_params = sum(p.numel() for p in m.parameters())
opt = torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95))
fwd = torch.compile(m) if compiled else m
x = torch.randint(3, 15, (batch, T)); pos = torch.randint(1, npos - 1, (batch, T))
lab = x.clone(); lab[:, :20] = -100
def step():
    out = fwd(input_ids=x, position_ids=pos, labels=lab)
    out.loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step(); opt.zero_grad()
for _ in range(3): step()
best = 1e9
for _ in range(2):
    t0 = time.perf_counter()
    for _ in range(steps): step()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"steps_per_s": steps / best, "params": n_params}))
'''


def _run(args, timeout=1800):
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def ours(width, steps, like, batch, threads, T=T_PAD):
    return _run([sys.executable, "-c", _OURS, ROOT, str(width), str(steps), "1" if like else "0",
                 str(batch), str(threads), str(T)])


def official(path, python, width, steps, compiled, batch, threads, vocab, positions, T=T_PAD):
    return _run([python, "-c", _OFFICIAL, path, str(width), str(steps), "1" if compiled else "0",
                 str(batch), str(threads), str(T), str(vocab), str(positions)])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="*", default=[64, 256],
                    help="model widths at --batch (none: only the --paper-width row)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=40, help="steps per timed repetition")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repetitions per configuration")
    ap.add_argument("--like-official", action="store_true",
                    help="run our model with the official architecture and parameter count")
    ap.add_argument("--official", default=None, help="path of a HanseulJo/position-coupling checkout")
    ap.add_argument("--python", default=None, help="python with torch and transformers for --official")
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile official runs")
    ap.add_argument("--paper-width", action="store_true",
                    help="add the paper's shape: width 512, head dim 128, d_ff 2048, batch 1000")
    ap.add_argument("--json", default=None, help="write the rows here")
    a = ap.parse_args(argv)
    if a.official and not a.python:
        raise SystemExit("--official needs --python (an interpreter with torch and transformers)")
    if a.official and not os.path.exists(os.path.join(a.official, "src", "model", "modeling",
                                                      "custom_t5_decoder_only.py")):
        raise SystemExit(f"--official: {a.official} is not a checkout of HanseulJo/position-coupling")
    if not a.widths and not a.paper_width:
        raise SystemExit("--widths: give at least one width, or --paper-width")
    if min(a.widths, default=4) < 4 or min(a.threads) < 1 or a.steps < 1 or a.repeats < 1 or a.batch < 1:
        raise SystemExit("--widths >= 4, --threads >= 1, --steps, --repeats, --batch >= 1")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
          f"{'official architecture' if a.like_official else 'default architecture (not like-for-like)'}")
    configs = [(w, t, a.batch, a.steps) for w in a.widths for t in a.threads]
    if a.paper_width:
        configs += [(512, t, 1000, 2) for t in a.threads]
    rows = []
    for w, t, batch, steps in configs:
        sides = {"ours": []}
        if a.official:
            sides["eager"] = []
            if not a.no_compile:
                sides["compiled"] = []
        info = {}
        for _ in range(a.repeats):
            r = ours(w, steps, a.like_official, batch, t)
            sides["ours"].append(r["steps_per_s"])
            info["ours_params"] = r["params"]
            if a.official:
                for name in [k for k in sides if k != "ours"]:
                    o = official(a.official, a.python, w, max(2, steps // 2), name == "compiled",
                                 batch, t, r["vocab"], r["positions"])
                    sides[name].append(o["steps_per_s"])
                    info["official_params"] = o["params"]
        row = {"width": w, "threads": t, "batch": batch, **info,
               **{f"{k}_steps_per_s": v for k, v in sides.items()}}
        line = (f"width {w:4d} batch {batch:4d} threads {t}: ours {statistics.median(sides['ours']):7.2f} "
                f"steps/s ({info['ours_params']:,} params)")
        for name in [k for k in sides if k != "ours"]:
            ratios = [u / o for u, o in zip(sides["ours"], sides[name])]
            row[f"ratio_vs_{name}"] = {"min": min(ratios), "median": statistics.median(ratios)}
            line += (f" | official {name} {statistics.median(sides[name]):7.2f} steps/s "
                     f"({info['official_params']:,} params): ratio min {min(ratios):.2f}x "
                     f"median {statistics.median(ratios):.2f}x")
        print(line, flush=True)
        rows.append(row)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
