"""Optimizers on 2-D landscapes: a curved valley, a saddle and an ill-conditioned bowl.

Rosenbrock's valley f = (1 − x)² + 100(y − x²)² is steep across and flat along its
curved floor: plain gradient descent must use a rate small enough for the steep
direction and then crawls along the floor. Momentum builds speed along the floor,
and Adam's per-coordinate scaling evens the two directions out.
"""

import numpy as np

from bench.demos.common import Result, new_figure, optimizer_path


def rosenbrock(p):
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


def rosenbrock_gradient(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def saddle(p):
    return p[..., 0] ** 2 + p[..., 1] ** 4 / 4 - p[..., 1] ** 2 / 2


def saddle_gradient(p):
    return np.array([2 * p[0], p[1] ** 3 - p[1]])


def bowl(p):
    return 0.5 * (p[..., 0] ** 2 + 25 * p[..., 1] ** 2)


def bowl_gradient(p):
    return np.array([p[0], 25 * p[1]])


LANDSCAPES = {
    "Rosenbrock": (rosenbrock, rosenbrock_gradient, [-1.2, 1.0], [(1.0, 1.0)], (-2, 2, -1, 3)),
    "saddle": (saddle, saddle_gradient, [1.5, 1e-3], [(0.0, 1.0), (0.0, -1.0)], (-2, 2, -1.5, 1.5)),
    "ill-conditioned": (bowl, bowl_gradient, [2.0, 1.0], [(0.0, 0.0)], (-2.5, 2.5, -1.5, 1.5)),
}
OPTIMIZERS = {
    "SGD": ("sgd", {"learning_rate": 1.5e-3}),
    "momentum": ("sgd", {"learning_rate": 1.5e-3, "momentum": 0.9}),
    "Nesterov": ("sgd", {"learning_rate": 1.5e-3, "momentum": 0.9, "nesterov": True}),
    "RMSprop": ("rmsprop", {"learning_rate": 1e-2}),
    "Adagrad": ("adagrad", {"learning_rate": 0.5}),
    "Adam": ("adam", {"learning_rate": 5e-2}),
}
NEAR = 0.05


def steps_to_minimum(path, minima):
    distance = np.min([np.linalg.norm(path - np.array(m), axis=1) for m in minima], axis=0)
    reached = np.nonzero(distance < NEAR)[0]
    return int(reached[0]) if len(reached) else None


def run(backend="tf", seed=0, fast=False, data=None):
    steps = 1500 if fast else 5000
    figure, axes = new_figure(3, width=5.0)
    rows, reached = [], {}
    for ax, (landscape, (f, gradient, start, minima, box)) in zip(
        axes, LANDSCAPES.items(), strict=True
    ):
        gx, gy = np.meshgrid(np.linspace(box[0], box[1], 200), np.linspace(box[2], box[3], 200))
        surface = f(np.stack([gx, gy], -1))
        ax.contour(
            gx, gy, np.log1p(surface - surface.min()), levels=25, linewidths=0.4, colors="grey"
        )
        for label, (name, hyper) in OPTIMIZERS.items():
            path = optimizer_path(backend, name, hyper, gradient, start, steps)
            path = np.where(np.isfinite(path), path, np.nan)
            reached[landscape, label] = steps_to_minimum(np.nan_to_num(path, nan=1e9), minima)
            ax.plot(*path[:: max(1, steps // 400)].T, "-", linewidth=1, label=label)
            found = reached[landscape, label]
            rows.append(
                [
                    landscape,
                    label,
                    str(found) if found is not None else f"> {steps}",
                    f"{f(path[-1]):.2e}" if np.all(np.isfinite(path[-1])) else "diverged",
                ]
            )
        ax.plot(*np.array(minima).T, "k*", markersize=10)
        ax.set(title=landscape, xlim=box[:2], ylim=box[2:])
        ax.legend(fontsize=7)

    def rosen(label):
        return reached["Rosenbrock", label] if reached["Rosenbrock", label] is not None else np.inf

    claims = {
        "momentum reaches Rosenbrock's minimum in fewer steps than SGD": rosen("momentum")
        < rosen("SGD"),
        "Adam reaches Rosenbrock's minimum in fewer steps than SGD": rosen("Adam") < rosen("SGD"),
        "momentum reaches Rosenbrock's minimum": np.isfinite(rosen("momentum")),
    }
    return Result(
        "Optimizers on 2-D landscapes",
        ["landscape", "optimizer", f"steps to within {NEAR}", "final f"],
        rows,
        claims,
        figure,
        {"steps": {f"{k[0]}/{k[1]}": v for k, v in reached.items()}},
    )
