"""Benchmark of the Edge-of-Stability slice (arXiv:2307.04204): one jitted, vmapped computation against a
Python loop of the same updates, in the same process.

1. Orbit diagram of the canonical map g_q(p) = p - (2/q) l'(p) (log-cosh), ``--nq`` values of q in [0.3, 1.5]
   x ``--iters`` iterations (default 1000 x 2000): ``numerics.eos.scalar_gd_orbits`` vs
   ``numerics.eos.scalar_gd_orbits_python`` (pure Python floats, ``math.tanh``).
2. Sweep of ``--inits`` initialisations (default 1000) of the two-layer linear network (d=10, m=20, y=0,
   eta=0.1, log-cosh) for ``--steps`` GD steps (default 2000), recording p and q every step:
   ``numerics.eos.gd_linear_net`` (without sharpness, and with the Hessian sharpness at the first and last
   step) vs (a) a Python loop over inits and steps of the same update in numpy (v <- v - eta g Ux,
   U <- U - eta g v x^T, g = tanh(p)), timed on ``--base-inits`` inits and scaled linearly to the full
   sweep (stated in the output), and (b) a Python loop over steps calling one jitted, vmapped GD step.

Run:  .venv/bin/python benchmarks/eos_sweep.py      (prints times and speed-ups; no assertions)
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def _timeit(fn, *a, **k):
    t0 = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t0


def orbit_benchmark(nq: int, iters: int, keep: int = 64):
    import numerics.eos as ne
    qs = np.linspace(0.3, 1.5, nq)
    lrs = 2.0 / qs
    _, t_first = _timeit(ne.scalar_gd_orbits, "logcosh", lrs, n_iter=iters, n_keep=keep)
    jit_out, t_jit = _timeit(ne.scalar_gd_orbits, "logcosh", lrs, n_iter=iters, n_keep=keep)
    py_out, t_py = _timeit(ne.scalar_gd_orbits_python, "logcosh", lrs, n_iter=iters, n_keep=keep)
    err = float(np.max(np.abs(jit_out - py_out)))
    return {"t_first_call": t_first, "t_jit": t_jit, "t_python": t_py, "max_abs_diff": err}


def _python_linear_sweep(th0, x, eta, m, d, steps):
    P = np.empty((th0.shape[0], steps + 1))
    Q = np.empty_like(P)
    for b in range(th0.shape[0]):
        U = th0[b, : m * d].reshape(m, d).copy()
        v = th0[b, m * d:].copy()
        for t in range(steps + 1):
            a = U @ x
            p = v @ a
            P[b, t] = p
            Q[b, t] = 2.0 / (eta * (a @ a + (v @ v) * (x @ x)))
            if t == steps:
                break
            g = np.tanh(p)
            v, U = v - eta * g * a, U - eta * g * np.outer(v, x)
    return P, Q


def sweep_benchmark(n_inits: int, steps: int, base_inits: int, eta: float = 0.1, m: int = 20, d: int = 10):
    import jax
    import jax.numpy as jnp

    import numerics.eos as ne
    th = np.asarray(ne.init_linear_net(jax.random.PRNGKey(0), m, d, 0.3, 1.1, n=n_inits))
    x = np.random.default_rng(0).standard_normal(d)
    x /= np.linalg.norm(x)
    run = lambda se: ne.gd_linear_net(th, eta, x, 0.0, m=m, d=d, steps=steps, sharp_every=se)
    _, t_first = _timeit(run, 0)
    out, t_jit = _timeit(run, 0)
    _, t_first_s = _timeit(run, steps)
    _, t_jit_s = _timeit(run, steps)
    (P, Q), t_py = _timeit(_python_linear_sweep, th[:base_inits], x, eta, m, d, steps)
    err = float(max(np.max(np.abs(out["p"][:base_inits] - P)), np.max(np.abs(out["q"][:base_inits] - Q))))

    # naive JAX: a Python loop over steps calling one jitted, vmapped GD step (per-step dispatch)
    xj = jnp.asarray(x)
    L = lambda t: ne.LOSSES["logcosh"](ne.linear_net_output(t, xj, m, d))
    gradL, gradf = jax.grad(L), jax.grad(lambda t: ne.linear_net_output(t, xj, m, d))

    @jax.jit
    def step(ths):
        pq = jax.vmap(lambda t: (ne.linear_net_output(t, xj, m, d), 2.0 / (eta * jnp.sum(gradf(t) ** 2))))(ths)
        return ths - eta * jax.vmap(gradL)(ths), pq

    def naive():
        ths, rec = jnp.asarray(th), []
        for _ in range(steps):
            ths, pq = step(ths)
            rec.append(pq)
        return np.asarray(jnp.stack([r[0] for r in rec], 1))

    step(jnp.asarray(th))[0].block_until_ready()
    Pn, t_naive = _timeit(naive)
    err_n = float(np.max(np.abs(out["p"][:, :steps] - Pn)))
    return {"t_first_call": t_first, "t_jit": t_jit, "t_first_call_sharp": t_first_s, "t_jit_sharp": t_jit_s,
            "t_python_base": t_py, "t_python_scaled": t_py * n_inits / base_inits, "max_abs_diff": err,
            "t_naive_jax": t_naive, "max_abs_diff_naive": err_n,
            "eos_fraction": float(np.mean(out["q"][:, 0] < 1))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nq", type=int, default=1000)
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--inits", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--base-inits", type=int, default=50)
    a = ap.parse_args(argv)
    if a.nq < 1 or a.iters < 65 or a.inits < 1 or a.steps < 1 or not 1 <= a.base_inits <= a.inits:
        ap.error("need nq >= 1, iters >= 65, inits >= 1, steps >= 1, 1 <= base-inits <= inits")
    import jax
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, float64")
    o = orbit_benchmark(a.nq, a.iters)
    print(f"[orbit diagram] {a.nq} q x {a.iters} iterations of g_q (log-cosh)")
    print(f"  jit+vmap first call (incl. compile) {o['t_first_call']:.3f} s, steady {o['t_jit']:.4f} s")
    print(f"  python loop                          {o['t_python']:.3f} s   (max |diff| {o['max_abs_diff']:.1e})")
    print(f"  speed-up steady {o['t_python'] / o['t_jit']:.0f}x, incl. compile "
          f"{o['t_python'] / o['t_first_call']:.1f}x")
    s = sweep_benchmark(a.inits, a.steps, a.base_inits)
    print(f"[linear-net sweep] {a.inits} inits x {a.steps} GD steps, d=10, m=20, eta=0.1 "
          f"({100 * s['eos_fraction']:.0f}% start in the EoS regime q0 < 1)")
    print(f"  jit+vmap+scan, p and q only:    first call (incl. compile) {s['t_first_call']:.3f} s, "
          f"steady {s['t_jit']:.3f} s")
    print(f"  same + Hessian sharpness (Lanczos on HVPs) at steps 0 and {a.steps}: first call "
          f"{s['t_first_call_sharp']:.3f} s, steady {s['t_jit_sharp']:.3f} s")
    print(f"  python/numpy loop on {a.base_inits} inits {s['t_python_base']:.3f} s -> scaled to {a.inits}: "
          f"{s['t_python_scaled']:.2f} s   (max |diff| {s['max_abs_diff']:.1e})")
    print(f"  python loop over steps of a jitted vmapped step: {s['t_naive_jax']:.3f} s "
          f"(max |diff| {s['max_abs_diff_naive']:.1e})")
    print(f"  speed-up vs numpy loop: steady {s['t_python_scaled'] / s['t_jit']:.0f}x, incl. compile "
          f"{s['t_python_scaled'] / s['t_first_call']:.1f}x; vs per-step dispatch: steady "
          f"{s['t_naive_jax'] / s['t_jit']:.1f}x")

if __name__ == "__main__":
    main()
