"""Every learning-rate schedule Keras has: its curve, and what it does to the same run.

All start from 0.1 and span the whole run; each run is SGD with momentum 0.9 on the
digits, the same weights, the same batches.
"""

import importlib

import numpy as np

from bench.demos.common import Result, load_data, new_figure, train
from reference import mlp

PEAK = 0.1


def _schedules(total):
    return {
        "constant": None,
        "step decay": (
            "exponential_decay",
            {
                "initial_learning_rate": PEAK,
                "decay_steps": total // 4,
                "decay_rate": 0.3,
                "staircase": True,
            },
        ),
        "exponential": (
            "exponential_decay",
            {"initial_learning_rate": PEAK, "decay_steps": total, "decay_rate": 0.05},
        ),
        "polynomial": (
            "polynomial_decay",
            {"initial_learning_rate": PEAK, "decay_steps": total, "power": 2.0},
        ),
        "inverse time": (
            "inverse_time_decay",
            {"initial_learning_rate": PEAK, "decay_steps": total // 10, "decay_rate": 1.0},
        ),
        "cosine": ("cosine_decay", {"initial_learning_rate": PEAK, "decay_steps": total}),
        "warmup + cosine": (
            "cosine_decay",
            {
                "initial_learning_rate": 0.0,
                "warmup_target": PEAK,
                "warmup_steps": total // 10,
                "decay_steps": total - total // 10,
            },
        ),
        "cosine restarts": (
            "cosine_decay_restarts",
            {"initial_learning_rate": PEAK, "first_decay_steps": total // 7},
        ),
    }


def run(backend="tf", seed=0, fast=False, data="digits"):
    x, y, x_val, y_val = load_data(data, seed)
    if fast:
        x, y = x[:500], y[:500]
    epochs, batch = (2, 64) if fast else (6, 64)
    total = epochs * -(-len(x) // batch)
    module = importlib.import_module(
        {"numpy": "reference", "tf": "tf_impl", "jax": "jax_impl"}[backend] + ".schedules"
    )
    start = mlp.init_params((x.shape[1], 32, 10), seed=seed)
    figure, (ax_curve, ax_loss) = new_figure(2)
    rows, curves, finals = [], {}, {}
    for label, spec in _schedules(total).items():
        schedule = (lambda step: PEAK) if spec is None else module.get(spec[0], **spec[1])
        curves[label] = np.array([float(schedule(step)) for step in range(total)])
        params, history = train(
            backend,
            start,
            x,
            y,
            "sgd",
            {"learning_rate": schedule, "momentum": 0.9},
            batch,
            epochs,
            seed,
        )
        val = float(
            mlp.loss_and_grads({k: v.astype(np.float64) for k, v in params.items()}, x_val, y_val)[
                0
            ]
        )
        finals[label] = (history, val)
        ax_curve.plot(curves[label], label=label)
        smooth = np.convolve(history, np.ones(10) / 10, mode="valid")
        ax_loss.semilogy(smooth, label=label)
        rows.append(
            [
                label,
                f"{curves[label][0]:.3g}",
                f"{curves[label].max():.3g}",
                f"{curves[label][-1]:.3g}",
                f"{np.mean(history[-10:]):.3f}",
                f"{val:.3f}",
            ]
        )
    ax_curve.set(title="learning rate per step", xlabel="step")
    ax_loss.set(title="training loss (10-step mean)", xlabel="step")
    ax_curve.legend(fontsize=7)
    warmup = curves["warmup + cosine"]
    restarts = curves["cosine restarts"]
    claims = {
        "warmup rises to its peak, then decays": warmup[0] < warmup.max()
        and warmup[-1] < warmup.max(),
        "cosine restarts jumps back up at least twice": int(np.sum(np.diff(restarts) > 0.01)) >= 2,
        "step decay is piecewise constant": len(np.unique(np.round(curves["step decay"], 12))) <= 5,
        "every run trains (final loss below the first)": all(
            h[-1] < h[0] for h, _ in finals.values()
        ),
    }
    return Result(
        "Learning-rate schedules",
        ["schedule", "first η", "largest η", "last η", "final train loss", "validation loss"],
        rows,
        claims,
        figure,
    )
