"""Vanishing gradients: in a deep sigmoid net the first layers hardly learn.

Backpropagation multiplies the gradient by σ'(z) ≤ ¼ and by a weight matrix at every
layer, so ten sigmoid layers shrink it by orders of magnitude before it reaches the
first. ReLU (derivative 1 where active, with He-scaled weights) keeps its size; a
residual connection adds an identity path the gradient flows along untouched; batch
normalisation keeps σ in its steep middle.
"""

import numpy as np

from bench.demos import deep_nets
from bench.demos.common import Result, load_data, loss_and_grads, make_step, new_figure
from reference import mlp

DEPTH, WIDTH, RATE = 10, 32, 0.5
NETS = ("sigmoid", "relu (He init)", "residual sigmoid", "batch-norm sigmoid")


def _init(name, input_size, seed):
    params = mlp.init_params((input_size, *[WIDTH] * DEPTH, 10), seed=seed)
    if name.startswith("relu"):  # He initialisation: Glorot's variance doubled
        params = {k: v * np.sqrt(2) if k.endswith("kernel") else v for k, v in params.items()}
    return params


def _kernel_norms(grads):
    return np.array([np.linalg.norm(grads[f"dense_{i}/kernel"]) for i in range(len(grads) // 2)])


def _numpy_net_steps(kind, params, x, y, steps, rng):
    for _ in range(steps):
        index = rng.choice(len(x), 128, replace=False)
        _, grads = deep_nets.loss_and_grads(kind, params, x[index], y[index])
        params = {k: v - RATE * grads[k] for k, v in params.items()}
    return params


def run(backend="tf", seed=0, fast=False, data="digits"):
    x, y, _, _ = load_data(data, seed)
    steps = 30 if fast else 150
    sample = np.random.default_rng(seed).choice(len(x), 256, replace=False)
    figure, (ax_grad, ax_learn) = new_figure(2)
    rows, ratios = [], {}
    for name in NETS:
        params = _init(name, x.shape[1], seed)
        rng = np.random.default_rng(seed)
        if name in ("sigmoid", "relu (He init)"):
            activation = name.split()[0]
            _, grads = loss_and_grads(backend, params, x[sample], y[sample], activation)
            step = make_step(backend, params, "sgd", {"learning_rate": RATE}, activation)
            for _ in range(steps):
                index = rng.choice(len(x), 128, replace=False)
                step(x[index], y[index])
            trained = step.weights()
        else:
            kind = "residual" if name.startswith("residual") else "batchnorm"
            _, grads = deep_nets.loss_and_grads(kind, params, x[sample], y[sample])
            trained = _numpy_net_steps(kind, params, x, y, steps, rng)
        norms = _kernel_norms(grads)
        change = np.array(
            [
                np.linalg.norm(trained[f"dense_{i}/kernel"] - params[f"dense_{i}/kernel"])
                / np.linalg.norm(params[f"dense_{i}/kernel"])
                for i in range(len(params) // 2)
            ]
        )
        ratios[name] = norms[0] / norms[-2]  # first layer against the last hidden layer
        ax_grad.semilogy(norms, "o-", label=name)
        ax_learn.semilogy(change, "o-", label=name)
        rows.append(
            [name, f"{norms[0]:.2e}", f"{norms[-2]:.2e}", f"{ratios[name]:.2e}", f"{change[0]:.2e}"]
        )
    ax_grad.set(title="gradient norm per layer at initialisation", xlabel="layer (0 = first)")
    ax_learn.set(title=f"relative weight change after {steps} steps", xlabel="layer (0 = first)")
    ax_grad.legend(fontsize=8)
    claims = {
        "the sigmoid net's first layer gets < 1/10 of its last hidden layer's gradient": ratios[
            "sigmoid"
        ]
        < 0.1,
        "the ReLU net's first layer does not": ratios["relu (He init)"] >= 0.1,
        "the residual net's first layer does not": ratios["residual sigmoid"] >= 0.1,
    }
    return Result(
        "Vanishing gradients",
        ["net", "first-layer ‖∇W‖", "last hidden ‖∇W‖", "first / last", "first layer's change"],
        rows,
        claims,
        figure,
        {"ratios": ratios},
    )
