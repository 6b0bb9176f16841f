"""Shared matplotlib style for paper-ready figures (applied when a figure module imports it)."""
import matplotlib.pyplot as plt

RC = {
    "figure.dpi": 110, "savefig.dpi": 150, "font.size": 10, "axes.titlesize": 10,
    "axes.labelsize": 10, "legend.fontsize": 8, "axes.grid": True, "grid.alpha": 0.3,
    "lines.linewidth": 1.6,
}
plt.rcParams.update(RC)


def new(nrows=1, ncols=1, size=(5.0, 3.6), **kw):
    """``plt.subplots`` with constrained layout; ``size`` is per panel. Returns (fig, axes)."""
    return plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                        constrained_layout=True, **kw)
