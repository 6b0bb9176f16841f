"""Figures for Si & Yun, "Practical Sharpness-Aware Minimization Cannot Converge All the Way to Optima"
(arXiv:2306.09850). Each draws the measured curve beside the bound or prediction it is checked against."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from matplotlib.ticker import NullFormatter

from figures import figure
from figures.style import new
from numerics import sam as ns
from theory import sam as ts


@figure("sam_xy_trajectories", title="SAM vs GD on f(x, y) = (xy - 1)^2 (paper Fig. 1 setting)")
def xy_trajectories(data):
    """The paper's Figure 1 function (xy - 1)^2 (confirmed from a reproducibility report's Figure 1 caption,
    not from the abstract; the start point (2, 0.6) and eta = rho = 0.05 are ours, measured here,
    docs/papers/sam.md#figure-1-function): SAM from (2, 0.6) drifts along
    the minimizer hyperbola xy = 1 to the flattest minimizer (1, 1), where the Hessian's nonzero eigenvalue
    2(x^2 + y^2) is smallest (= 4); GD stops at the nearest minimizer."""
    eta, rho, T = 0.05, 0.05, 20000
    f, grad = ns.xy_problem
    z0 = jnp.array([2.0, 0.6])
    zs = np.asarray(ns.run(grad, 0.0, z0, eta, rho, T, "sam"))
    zg = np.asarray(ns.run(grad, 0.0, z0, eta, rho, T, "gd"))
    fig, (ax, bx) = new(1, 2, size=(4.6, 3.8))
    X, Y = np.meshgrid(np.linspace(0.3, 2.3, 300), np.linspace(0.3, 2.3, 300))
    cs = ax.contourf(X, Y, np.log10((X * Y - 1) ** 2 + 1e-4), levels=20, cmap="Greys", alpha=0.5)
    fig.colorbar(cs, ax=ax, label="log10 f(x, y)")
    xh = np.linspace(0.45, 2.3, 200)
    ax.plot(xh, 1 / xh, "k--", lw=1, label="minimizers xy = 1")
    ax.plot(zs[::50, 0], zs[::50, 1], ".-", ms=2, color="C3", label=f"SAM, eta = rho = {eta}")
    ax.plot(zg[:, 0], zg[:, 1], "-", color="C0", lw=2.5, label="GD, same eta (stops at nearest minimizer)")
    ax.plot(*z0, "ko", ms=5, label="start (2, 0.6)")
    ax.plot(1, 1, "*", color="gold", mec="k", ms=13, label="flattest minimizer (1, 1)")
    ax.set(xlabel="x", ylabel="y", xlim=(0.3, 2.3), ylim=(0.3, 2.3), aspect="equal",
           title="trajectories (every 50th SAM iterate)")
    ax.legend(loc="upper right", fontsize=7)
    t = np.arange(T + 1)
    bx.semilogx(t[1:], 2 * (zs[1:, 0] ** 2 + zs[1:, 1] ** 2), color="C3", label="SAM")
    bx.semilogx(t[1:], 2 * (zg[1:, 0] ** 2 + zg[1:, 1] ** 2), color="C0", label="GD")
    bx.axhline(4.0, color="k", ls=":", label="min sharpness on xy = 1 (= 4, at (1, 1))")
    bx.set(xlabel="step t", ylabel="sharpness 2(x_t^2 + y_t^2)",
           title="SAM lowers sharpness; GD does not\n(2(x^2 + y^2): Hessian eigenvalue on xy = 1)")
    bx.legend(fontsize=7, loc="center left")
    return fig


@figure("sam_rate", title="Deterministic SAM, strongly convex: f(x_T) - f* = Theta~(1/T^2)",
        claims=("sam.rate_1_over_T2",))
def rate(data):
    """f(x_T) - f* vs T (log-log) for f = 0.5(x1^2 + 0.1 x2^2), rho = 0.1, the recalled step schedule (recalled, not confirmed); with
    the 1/T^2 reference (paper's order; confirmed from the paper's abstract), the derived D2 bound (derived here) and the L1 cycle value (derived here)."""
    a = data["sam.rate_1_over_T2"]
    T, gap, bound, eta = (np.asarray(a[k]) for k in ("T", "gap", "bound", "eta"))
    fig, ax = new(size=(5.6, 4.0))
    ax.loglog(T, gap, "o-", color="C3", label="SAM: f(x_T) - f* (measured)")
    ax.loglog(T, bound, "s--", color="k", label="bound D2 (derived): (1-eta mu)^T Delta + beta^3 eta rho^2/(2mu)")
    cyc = np.array([ts.limit_cycle_value(e, 1.0, 0.1) for e in eta])
    ax.loglog(T, cyc, ":", color="C2", lw=2, label="L1 cycle value (beta/2) a*(eta_T)^2 (derived)")
    ref = gap[-1] * (T / T[-1]) ** -2.0
    ax.loglog(T, ref, "-", color="C0", alpha=0.6, label="reference ~ 1/T^2 (paper: Theta~(1/T^2), abstract)")
    ax.set(xlabel="number of steps T (step size eta_T tuned to T)", ylabel="f(x_T) - f*  (function value)",
           title="strongly convex quadratic, beta = 1, mu = 0.1, rho = 0.1")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", fontsize=7, ncols=2)
    return fig


@figure("sam_stochastic_floor", title="Stochastic SAM floor ~ (lam/2) rho^2 (2p-1)^2",
        claims=("sam.stochastic_floor",))
def stochastic_floor(data):
    """Extrapolated (eta -> 0) floor of E f - f* for n-SAM and m-SAM on (lam/2)x^2 with skewed noise (docs/papers/sam.md#l3-stochastic-floor),
    against the derived floor (lam/2) rho^2 (2p-1)^2 (derived here) and a slope-2 line (the paper's O(rho^2), (confirmed from the paper's abstract))."""
    a = data["sam.stochastic_floor"]
    rho, fn, fm, pred = (np.asarray(a[k]) for k in ("rho", "floor_n", "floor_m", "pred"))
    fig, ax = new(size=(5.4, 4.0))
    rr = np.geomspace(rho.min() * 0.8, rho.max() * 1.25, 50)
    ax.loglog(rr, pred[0] * (rr / rho[0]) ** 2, "k-", lw=1, label="predicted floor (lam/2) rho^2 (2p-1)^2 (derived, slope 2)")
    ax.loglog(rho, fn, "o", color="C3", ms=7, label="n-SAM, extrapolated to eta -> 0")
    ax.loglog(rho, fm, "^", color="C0", ms=7, mfc="none", label="m-SAM, extrapolated to eta -> 0")
    ax.loglog(rr, 2 * pred[0] * (rr / rho[0]) ** 1, ":", color="gray", label="slope 1 (for contrast)")
    ax.set(xlabel="perturbation radius rho", ylabel="E f(x_t) - f*  as eta -> 0  (function value)",
           title="lam = 1, noise +3 w.p. 1/4, -1 w.p. 3/4")
    ax.set_xticks(rho, [f"{r:g}" for r in rho])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=7)
    return fig


@figure("sam_stuck_point", title="Deterministic SAM stuck at a non-stationary point", claims=("sam.stuck_point",))
def stuck_point(data):
    """The cosine example of docs/papers/sam.md#l2-stuck-point, L2, derived here: SAM from the basin converges to x = -rho, where the ascent
    lands on the minimum y = 0; ||grad f||^2 stays at 4 beta^2 rho^2/(9 pi^2) for every eta in (0, 1/beta]."""
    a = data["sam.stuck_point"]
    beta, rho = float(a["beta"]), float(a["rho"])
    f, grad = ns.stuck_cosine
    fig, (ax, bx) = new(1, 2, size=(4.6, 3.8))
    xx = np.linspace(-1.6 * rho, 0.6 * rho, 400)
    fx = np.array([float(f((beta, rho), jnp.array([v]))) for v in xx])
    ax.plot(xx / rho, fx / (beta * rho ** 2), "k-", label="f(x) = -(4 beta rho^2/9pi^2) cos(3 pi x/2rho)")
    traj = np.asarray(a["traj"])
    for i, tr in enumerate(traj):
        ft = np.array([float(f((beta, rho), jnp.array([v]))) for v in tr])
        ax.plot(tr / rho, ft / (beta * rho ** 2), ".-", ms=4, lw=0.7, color=f"C{i}",
                label=f"SAM from x_0 = {a['x0f'][i]:+.1f} rho" if i in (0, len(traj) - 1) else None)
    f0 = float(f((beta, rho), jnp.array([-rho])))
    fy = float(f((beta, rho), jnp.array([0.0])))
    ax.annotate("", xy=(0, fy / (beta * rho ** 2)), xytext=(-1, f0 / (beta * rho ** 2)),
                arrowprops=dict(arrowstyle="->", color="C3"))
    ax.plot(-1, f0 / (beta * rho ** 2), "o", ms=9, mfc="none", mec="C3", mew=2, label="x_T = -rho (all runs)")
    ax.text(-0.45, -0.005, "ascent x -> y = x + rho\nlands on grad f(y) = 0", color="C3", fontsize=7)
    ax.set(xlabel="x / rho", ylabel="f(x) / (beta rho^2)", title="stuck at x = -rho (beta = 1, rho = 0.1)")
    ax.legend(fontsize=6, loc="lower left")
    eta, g2, pred = (np.asarray(a[k]) for k in ("eta", "g2", "pred"))
    bx.semilogy(eta * beta, g2 / (beta * rho) ** 2, "o", color="C3", ms=4, label="||grad f(x_T)||^2 (measured)")
    bx.semilogy(eta * beta, pred / (beta * rho) ** 2, "k-", label="4/(9 pi^2) (derived, L2)")
    bx.axhline(1.0, color="C0", ls="--", label="D1 floor beta^2 rho^2 (derived upper bound)")
    bx.set(xlabel="step size eta * beta", ylabel="||grad f(x_T)||^2 / (beta rho)^2", ylim=(1e-2, 3),
           title="gradient floor for every eta in (0, 1/beta]")
    bx.legend(fontsize=7)
    return fig
