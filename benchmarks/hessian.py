"""Benchmark of the top-k eigenspace refresh on the digits MLP of the tiny-subspaces slice
(arXiv:2405.16002; ``numerics/subspace.py``, ``docs/papers/subspace.md``), three methods in one process:

A. warm-started block subspace iteration with Rayleigh-Ritz (``numerics.hessian.subspace_iteration``,
   block ``--block``, ``--iters`` steps per refresh, jitted, LAPACK-free: what runs inside ``lax.scan``),
   started from the previous refresh's basis;
B. scipy ``eigsh`` (Lanczos, ``which="LA"``, k = 10, ``--tol``) on a ``LinearOperator`` of jitted HVPs,
   restarted from a fixed random vector at every refresh (Cohen et al.'s recipe);
C. the dense Hessian (``jax.hessian``) and ``scipy.linalg.eigh`` (only at the first and last refresh:
   it is the reference and by far the slowest).

The refreshes follow ``--refreshes`` SGD checkpoints ``--every`` steps apart (eta = 0.05, batch 32) after a
``--warmup``-step SGD run. Reported: seconds per refresh of each method (after compilation), the time
ratios B/A and C/A, and the principal angles (degrees) of A and B to C's top-k eigenspace at the last
refresh and of A to B at every refresh. No assertions; times on a shared machine are inflated.

Run:  PYTHONPATH=. python benchmarks/hessian.py   [--width 32 --refreshes 10 --every 10]
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--block", type=int, default=20)
    ap.add_argument("--iters", type=int, default=1)
    ap.add_argument("--refreshes", type=int, default=10)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=400)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import jax
    import jax.numpy as jnp
    import scipy.linalg
    from scipy.sparse.linalg import LinearOperator, eigsh

    import numerics  # noqa: F401  (float64)
    from numerics import subspace as ns
    from numerics.hessian import hvp_block, principal_angles, subspace_iteration

    s = ns.Setting(width=args.width, block=args.block, iters=args.iters, refresh=args.every)
    k, p = s.k, s.p
    X, Y = ns.digits(s.n)
    theta0, V0, key = ns._start(s, args.seed, 0)
    # SGD checkpoints: the warm-up run, then one checkpoint every `every` steps
    tr = ns.Trainer(theta0, V0, setting=s, lr=0.05, key=key)
    while tr.t < args.warmup:
        tr.advance()
    V_prev = tr.state[1]
    thetas = []
    th = tr.state[0]
    def _sgd(th, t, X, Y):
        idx = jax.random.choice(jax.random.fold_in(key, t), s.n, (s.batch,), replace=False)
        return th - 0.05 * jax.grad(lambda w: ns.mse(w, X[idx], Y[idx], s))(th)

    sgd_step = jax.jit(_sgd)
    t = tr.t
    for _ in range(args.refreshes):
        for _ in range(args.every):
            th = sgd_step(th, t, X, Y)
            t += 1
        thetas.append(th)

    # A: warm-started subspace iteration
    # data passed as arguments (closure constants make XLA constant-fold the whole data set)
    refresh = jax.jit(lambda th, V, X, Y: subspace_iteration(
        lambda W: hvp_block(lambda w: ns.mse(w, X, Y, s), th, W), V, args.iters))
    jax.block_until_ready(refresh(thetas[0], V_prev, X, Y))          # compile
    VA, tA = [], []
    V = V_prev
    for th in thetas:
        t0 = time.perf_counter()
        V, _ = refresh(th, V, X, Y)
        V = jax.block_until_ready(V)
        tA.append(time.perf_counter() - t0)
        VA.append(np.asarray(V[:, :k]))

    # B: eigsh restarted at every refresh
    hv = jax.jit(lambda th, v, X, Y: hvp_block(lambda w: ns.mse(w, X, Y, s), th, v[:, None])[:, 0])
    jax.block_until_ready(hv(thetas[0], jnp.zeros(p), X, Y))
    v0 = np.random.default_rng(args.seed).standard_normal(p)
    UB, tB, nmv = [], [], []
    for th in thetas:
        cnt = [0]

        def mv(v, th=th, cnt=cnt):
            cnt[0] += 1
            return np.asarray(hv(th, jnp.asarray(v.ravel()), X, Y))

        op = LinearOperator((p, p), matvec=mv, dtype=np.float64)
        t0 = time.perf_counter()
        w, U = eigsh(op, k=k, which="LA", tol=args.tol, v0=v0)
        tB.append(time.perf_counter() - t0)
        UB.append(U[:, np.argsort(w)[::-1]])
        nmv.append(cnt[0])

    # C: dense Hessian + eigh at the first and last refresh
    hess = jax.jit(lambda th, X, Y: jax.hessian(lambda w: ns.mse(w, X, Y, s))(th))
    jax.block_until_ready(hess(thetas[0], X, Y))
    tC, UC = [], {}
    for i in (0, len(thetas) - 1):
        t0 = time.perf_counter()
        H = np.asarray(hess(thetas[i], X, Y))
        wC, U = scipy.linalg.eigh(H)
        tC.append(time.perf_counter() - t0)
        UC[i] = U[:, ::-1][:, :k]
        if i == len(thetas) - 1:
            gap = (wC[::-1][k - 1], wC[::-1][k])

    last = len(thetas) - 1
    deg = lambda a_, b_: np.degrees(principal_angles(a_, b_))
    ang_AC, ang_BC = deg(VA[last], UC[last]), deg(UB[last], UC[last])
    ang_AB = [float(deg(VA[i], UB[i]).max()) for i in range(len(thetas))]
    mA, mB, mC = np.median(tA), np.median(tB), np.median(tC)
    print(f"digits MLP 64-{args.width}-{args.width}-10, p = {p}, n = {s.n}, k = {k}; {args.refreshes} refreshes "
          f"{args.every} SGD steps apart after {args.warmup} warm-up steps")
    print(f"lambda_{k} = {gap[0]:.4f}, lambda_{k + 1} = {gap[1]:.4f} at the last refresh (gap ratio "
          f"{gap[1] / gap[0]:.3f})")
    print(f"A warm-started subspace iteration (block {args.block}, {args.iters} step): {mA * 1e3:8.1f} ms/refresh "
          f"({args.block * args.iters} HVPs)")
    print(f"B eigsh restarted (tol {args.tol:g}):                   {mB * 1e3:8.1f} ms/refresh "
          f"(median {int(np.median(nmv))} HVPs)")
    print(f"C dense Hessian + eigh:                               {mC * 1e3:8.1f} ms/refresh")
    print(f"ratios: B/A = {mB / mA:.1f}x, C/A = {mC / mA:.1f}x")
    print(f"principal angles to eigh's top-{k} at the last refresh (deg): A max {ang_AC.max():.2f}, "
          f"median {np.median(ang_AC):.2f}; B max {ang_BC.max():.2e}")
    print(f"max principal angle A vs B per refresh (deg): {np.round(ang_AB, 2).tolist()}")
    return {"t_A": mA, "t_B": mB, "t_C": mC, "angles_AC": ang_AC, "angles_BC": ang_BC, "angles_AB": ang_AB}


if __name__ == "__main__":
    main()
