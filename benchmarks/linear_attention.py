"""Training steps per second: the JAX linear Transformer (``numerics.linear_attention``) against the official
PyTorch code (chengxiang/LinearTransformer, ``linear_transformer.py``) at the same size, on CPU, in one run.

Size: the official ``train.ipynb`` configuration, d = 5, n = 20, 3 layers, 1 head, the code's sparse P, Q
(150 parameters), Adam betas (0.9, 0.9), lr 0.02, global-norm clipping at 1, fresh Gaussian prompts every
step (batch 1000 by default). The official model runs in a subprocess of the given Python (a virtual
environment with ``torch``) from a checkout outside this repository::

    python benchmarks/linear_attention.py --official /tmp/linattn_official --python /tmp/torchvenv/bin/python

The official module picks ``cuda`` if available and the CPU otherwise (``device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")`` at b6ddc35), so it runs on a CPU-only machine unchanged; only its
notebooks call ``torch.device("cuda")`` / ``torch.cuda.set_device(0)``, and the driver below does not use
them (it re-states the notebook's training step: generate_data, in_context_loss, backward, clip, AdamW step).

Printed: steps/s of each side (compile time of the JAX program excluded and reported apart), the ratio
JAX/PyTorch for one run, and the throughput of ``--seeds`` runs trained together (JAX: one vmapped program;
PyTorch: one run after another, i.e. the single-run rate divided by the number of seeds). The JAX side is
float64 (the toolkit's convention), the official code float32. On a shared machine the timings are
inflated; the ratio of two measurements taken in the same run is the number to read.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time

_DRIVER = textwrap.dedent("""
    import json, sys, time
    import torch
    sys.path.insert(0, sys.argv[1])
    steps, batch, layers, threads = (int(v) for v in sys.argv[2:6])
    torch.set_num_threads(threads)
    import linear_transformer as lt
    torch.manual_seed(0)
    model = lt.Transformer_F(layers, 1, 5, 0.05).to(lt.device)
    opt = torch.optim.AdamW(model.parameters(), lr=0.02, betas=(0.9, 0.9), weight_decay=0)

    def step():
        Z, y = lt.generate_data("normal", 20, 5, batch, 0.1)
        loss = lt.in_context_loss(model, Z, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        return loss.item()

    for _ in range(10):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        last = step()
    dt = time.perf_counter() - t0
    print(json.dumps({"steps_per_s": steps / dt, "device": str(lt.device), "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "last_loss": last}))
""")


def _torch(args):
    cmd = [args.python, "-c", _DRIVER, args.official, str(args.steps), str(args.batch), str(args.layers),
           str(args.threads)]
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode:
        raise SystemExit(f"the official code did not run:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _jax(args, seeds):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from numerics import linear_attention as nl
    runs = lambda s0: [dict(seed=s0 + i, lr=0.02, optimizer="adam", setting=1, layers=args.layers, sparse=True)
                       for i in range(seeds)]
    kw = dict(L=args.layers, steps=args.steps, batch=args.batch, record_every=args.steps, n_fixed=1)
    t0 = time.perf_counter()
    nl.train(runs(0), **kw)                        # compile + run
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = nl.train(runs(100), **kw)                # same shapes: run only
    dt = time.perf_counter() - t0
    return {"steps_per_s": args.steps / dt, "compile_s": first - dt, "last_loss": float(out["loss"][0, -1])}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--official", required=True, help="checkout of chengxiang/LinearTransformer")
    ap.add_argument("--python", required=True, help="Python with torch installed")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    if not os.path.isfile(os.path.join(args.official, "linear_transformer.py")):
        raise SystemExit(f"--official must be a checkout holding linear_transformer.py, got {args.official}")
    tor = _torch(args)
    j1 = _jax(args, 1)
    js = _jax(args, args.seeds)
    res = {
        "size": {"d": 5, "n": 20, "layers": args.layers, "batch": args.batch, "params": 2 * args.layers * 25,
                 "steps_timed": args.steps},
        "pytorch_official": tor,
        "jax_one_run": j1,
        f"jax_{args.seeds}_runs_vmapped": js,
        "ratio_jax_over_pytorch_one_run": j1["steps_per_s"] / tor["steps_per_s"],
        f"ratio_jax_over_pytorch_{args.seeds}_runs": js["steps_per_s"] * args.seeds / tor["steps_per_s"],
    }
    print(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
