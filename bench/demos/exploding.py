"""Exploding gradients: too-large initial weights, and clipping as the seat belt.

Each ReLU layer multiplies the signal by roughly the scale of its weights; with
weights three times the Glorot scale, eight layers multiply activations and gradients
by thousands, the first update throws the weights further out, and the loss turns
NaN. Clipping the gradient — by its global norm, or each tensor by its own norm —
bounds every update, so the same run stays finite.
"""

import numpy as np

from bench.demos.common import Result, load_data, loss_and_grads, make_step, new_figure
from reference import clipping, mlp

SCALE, DEPTH, WIDTH, RATE = 3.0, 8, 64, 0.05
RUNS = {
    "no clipping": {},
    "global_clipnorm=1": {"global_clipnorm": 1.0},
    "clipnorm=1 per tensor": {"clipnorm": 1.0},
}


def _run(backend, params, x, y, hyper, steps, seed):
    """SGD with the backend's optimizer: the gradient norm and the loss at each step."""
    step = make_step(backend, params, "sgd", {"learning_rate": RATE, **hyper})
    rng = np.random.default_rng(seed)
    norms, losses = [], []
    for _ in range(steps):
        index = rng.choice(len(x), 64, replace=False)
        with np.errstate(over="ignore", invalid="ignore"):  # the run overflows on purpose
            _, grads = loss_and_grads(backend, step.weights(), x[index], y[index])
            norms.append(float(clipping.global_norm(grads)))  # the gradient this step takes
        losses.append(float(step(x[index], y[index])))
        if not (np.isfinite(losses[-1]) and np.isfinite(norms[-1])):
            break
    return norms, losses


def run(backend="tf", seed=0, fast=False, data="digits"):
    x, y, _, _ = load_data(data, seed)
    steps = 15 if fast else 40
    params = mlp.init_params((x.shape[1], *[WIDTH] * DEPTH, 10), seed=seed)
    params = {k: v * SCALE if k.endswith("kernel") else v for k, v in params.items()}
    figure, (ax_norm, ax_loss) = new_figure(2)
    rows, finite = [], {}
    for label, hyper in RUNS.items():
        norms, losses = _run(backend, params, x, y, hyper, steps, seed)
        finite[label] = bool(np.all(np.isfinite(losses))) and len(losses) == steps
        ax_norm.semilogy(np.where(np.isfinite(norms), norms, np.nan), ".-", label=label)
        ax_loss.semilogy(np.where(np.isfinite(losses), losses, np.nan), ".-", label=label)
        end = "finite" if finite[label] else f"non-finite at step {len(losses) - 1}"
        rows.append(
            [
                label,
                f"{norms[0]:.3g}",
                f"{np.nanmax(np.where(np.isfinite(norms), norms, np.nan)):.3g}",
                end,
            ]
        )
    ax_norm.set(title=f"gradient norm ({DEPTH} ReLU layers, weights ×{SCALE})", xlabel="step")
    ax_loss.set(title="loss", xlabel="step")
    ax_norm.legend()
    claims = {
        "without clipping the run goes non-finite": not finite["no clipping"],
        "global-norm clipping keeps it finite": finite["global_clipnorm=1"],
        "per-tensor clipping keeps it finite": finite["clipnorm=1 per tensor"],
    }
    return Result(
        "Exploding gradients and clipping",
        ["run", "first gradient norm", "largest finite norm", "end"],
        rows,
        claims,
        figure,
    )
