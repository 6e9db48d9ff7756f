"""The update rule θ ← θ − η∇f(θ) on quadratics, with four learning rates.

On f(w) = ½·a·w² the update multiplies w by (1 − ηa) each step: it shrinks for
0 < η < 2/a (monotonically below 1/a, oscillating above it) and grows for η > 2/a.
In 2-D, f = ½(x² + 10y²), the steep direction sets the limit: η < 2/10.
"""

import numpy as np

from bench.demos.common import Result, new_figure, optimizer_path

RATES_1D = {"too small": 0.05, "right": 0.8, "too large (oscillates)": 1.8, "divergent": 2.1}
RATES_2D = {"too small": 0.01, "right": 0.15, "too large (oscillates)": 0.195, "divergent": 0.21}
CURVATURES = np.array([1.0, 10.0])


def run(backend="tf", seed=0, fast=False, data=None):
    steps = 25 if fast else 40
    figure, (ax_1d, ax_2d) = new_figure(2)
    rows, finals = [], {}
    for label, rate in RATES_1D.items():
        path = optimizer_path(backend, "sgd", {"learning_rate": rate}, lambda w: w, [1.0], steps)
        losses = 0.5 * path[:, 0] ** 2
        finals["1d", label] = (losses, path[:, 0])
        ax_1d.semilogy(np.maximum(losses, 1e-300), label=f"{label}: η={rate}")
        rows.append(["1-D, a=1", label, rate, f"{losses[-1]:.3g}", _behaviour(path[:, 0])])
    ax_1d.set(title="f(w) = ½w², loss per step", xlabel="step", ylabel="loss", ylim=(1e-30, 1e10))
    ax_1d.legend()

    grid = np.linspace(-3, 3, 200)
    gx, gy = np.meshgrid(grid, grid)
    ax_2d.contour(gx, gy, 0.5 * (gx**2 + 10 * gy**2), levels=20, linewidths=0.5, colors="grey")
    for label, rate in RATES_2D.items():
        path = optimizer_path(
            backend, "sgd", {"learning_rate": rate}, lambda p: CURVATURES * p, [2.5, 1.0], steps
        )
        losses = 0.5 * (path**2 * CURVATURES).sum(axis=1)
        finals["2d", label] = (losses, path[:, 1])
        ax_2d.plot(*np.clip(path, -3, 3).T, ".-", label=f"{label}: η={rate}", markersize=3)
        rows.append(["2-D, a=(1, 10)", label, rate, f"{losses[-1]:.3g}", _behaviour(path[:, 1])])
    ax_2d.set(
        title="f = ½(x² + 10y²): trajectories", xlabel="x", ylabel="y", xlim=(-3, 3), ylim=(-3, 3)
    )
    ax_2d.legend(fontsize=8)

    claims = {}
    for dims in ("1d", "2d"):
        start = finals[dims, "right"][0][0]
        claims[f"{dims}: the divergent rate diverges"] = finals[dims, "divergent"][0][-1] > start
        claims[f"{dims}: the right rate converges"] = finals[dims, "right"][0][-1] < 1e-3 * start
        signs = np.sign(finals[dims, "too large (oscillates)"][1][1:6])
        claims[f"{dims}: the too-large rate oscillates"] = bool(np.all(signs[1:] != signs[:-1]))
        claims[f"{dims}: the too-small rate is slower than the right one"] = (
            finals[dims, "too small"][0][-1] > finals[dims, "right"][0][-1]
        )
    return Result(
        "The update rule on quadratics",
        ["landscape", "rate", "η", "final loss", "behaviour"],
        rows,
        claims,
        figure,
    )


def _behaviour(coordinate):
    if abs(coordinate[-1]) > abs(coordinate[0]):
        return "diverges"
    signs = np.sign(coordinate[1:6])
    return "oscillates, converging" if np.all(signs[1:] != signs[:-1]) else "converges"
