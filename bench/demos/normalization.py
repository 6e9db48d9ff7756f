"""Raw against standardised features: an elongated loss surface costs steps.

Linear least squares, loss = mean (Xw − y)². Gradient descent is stable for
η < 2/λ_max of the Hessian 2XᵀX/N, and needs about λ_max/λ_min steps: with one
feature 30× larger than the other the ratio is ~900; standardised it is ~1.
Each run uses its own best constant rate, η = 1/λ_max.
"""

import numpy as np

from bench.demos.common import Result, new_figure, optimizer_path

SCALES = np.array([1.0, 30.0])
TRUE_WEIGHTS = np.array([2.0, -1.0])


def run(backend="tf", seed=0, fast=False, data=None):
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(200, 2)) * SCALES + np.array([0.5, 3.0])
    raw -= raw.mean(axis=0)
    y = raw @ (TRUE_WEIGHTS / SCALES) + 0.1 * rng.normal(size=200)
    standardised = raw / raw.std(axis=0)
    max_steps = 1500 if fast else 3000
    figure, axes = new_figure(2)
    rows, steps_needed = [], {}
    for ax, (label, x) in zip(axes, (("raw", raw), ("standardised", standardised)), strict=True):
        hessian = 2 * x.T @ x / len(x)
        eigenvalues = np.linalg.eigvalsh(hessian)
        best = np.linalg.lstsq(x, y, rcond=None)[0]
        optimum = np.mean((x @ best - y) ** 2)

        def gradient(w, x=x):
            return 2 * x.T @ (x @ w - y) / len(x)

        rate = 1 / eigenvalues[-1]
        path = optimizer_path(
            backend, "sgd", {"learning_rate": rate}, gradient, [0.0, 0.0], max_steps
        )
        losses = np.mean((path @ x.T - y) ** 2, axis=1)
        converged = np.nonzero(losses <= optimum * 1.001 + 1e-12)[0]
        steps_needed[label] = int(converged[0]) if len(converged) else None
        span = np.abs(best).max() * 1.6 + 0.1
        g1, g2 = np.meshgrid(np.linspace(-span, span, 150), np.linspace(-span, span, 150))
        surface = np.mean((np.stack([g1, g2], -1) @ x.T - y) ** 2, axis=-1)
        ax.contour(
            g1,
            g2,
            surface,
            levels=np.quantile(surface, np.linspace(0.01, 0.9, 15)),
            linewidths=0.5,
            colors="grey",
        )
        ax.plot(
            *path[:: max(1, len(path) // 60)].T,
            ".-",
            markersize=3,
            label=f"η = 1/λ_max = {rate:.3g}",
        )
        ax.set(
            title=f"{label}: λ_max/λ_min = {eigenvalues[-1] / eigenvalues[0]:.0f}",
            xlabel="w₁",
            ylabel="w₂",
        )
        ax.legend()
        rows.append(
            [
                label,
                f"{eigenvalues[-1] / eigenvalues[0]:.0f}",
                f"{rate:.3g}",
                str(steps_needed[label]) if steps_needed[label] is not None else f"> {max_steps}",
            ]
        )
    raw_steps = steps_needed["raw"] if steps_needed["raw"] is not None else np.inf
    claims = {
        "standardised features converge": steps_needed["standardised"] is not None,
        "standardised features need fewer steps": (steps_needed["standardised"] or np.inf)
        < raw_steps,
    }
    return Result(
        "Feature scaling and the loss surface",
        ["features", "condition number", "η", "steps to 0.1% of optimum"],
        rows,
        claims,
        figure,
        {"steps": steps_needed},
    )
