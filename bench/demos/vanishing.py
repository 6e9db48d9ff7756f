"""Vanishing gradients: in a deep sigmoid net the first layers hardly learn.

Backpropagation multiplies the gradient by σ'(z) ≤ ¼ and by a weight matrix at every
layer, so ten sigmoid layers shrink it by orders of magnitude before it reaches the
first. ReLU (derivative 1 where active, with He-scaled weights) keeps its size; a
residual connection adds an identity path the gradient flows along untouched; batch
normalisation keeps σ in its steep middle.
"""

import numpy as np

from bench.demos import deep_nets
from bench.demos.common import (
    Result,
    load_data,
    loss_and_grads,
    make_model_step,
    make_step,
    new_figure,
)
from reference import mlp, model

DEPTH, WIDTH, RATE = 10, 32, 0.5
NETS = ("sigmoid", "relu (He init)", "residual sigmoid", "batch-norm sigmoid")


def _init(name, input_size, seed):
    params = mlp.init_params((input_size, *[WIDTH] * DEPTH, 10), seed=seed)
    if name.startswith("relu"):  # He initialisation: Glorot's variance doubled
        params = {k: v * np.sqrt(2) if k.endswith("kernel") else v for k, v in params.items()}
    return params


def _kernels(tensors, params):
    """The Dense kernels, first layer first: in the order of ``params``'s keys, which is the
    layers' (JAX hands a dict back with its keys sorted: dense_12 before dense_3)."""
    return [tensors[name] for name in params if name.endswith("/kernel")]


def _residual_steps(params, x, y, steps, rng):
    """SGD on the residual net, in NumPy: it is not a chain of layer specs (deep_nets.py)."""
    for _ in range(steps):
        index = rng.choice(len(x), 128, replace=False)
        _, grads = deep_nets.residual_loss_and_grads(params, x[index], y[index])
        params = {k: v - RATE * grads[k] for k, v in params.items()}
    return params


def _gradients_and_training(name, backend, x, y, sample, steps, seed):
    """``(params at the start, their gradients on the sample, params after the steps)``."""
    rng = np.random.default_rng(seed)
    if name.startswith("residual"):
        params = _init(name, x.shape[1], seed)
        _, grads = deep_nets.residual_loss_and_grads(params, x[sample], y[sample])
        return params, grads, _residual_steps(params, x, y, steps, rng)
    if name.startswith("batch-norm"):
        specs = deep_nets.batch_norm_specs(DEPTH, WIDTH, 10)
        params, state = model.init_params(specs, x.shape[1:], seed=seed)
        _, grads, _ = model.loss_and_grads(specs, params, state, x[sample], y[sample])
        step = make_model_step(backend, specs, params, state, "sgd", {"learning_rate": RATE})
    else:
        activation = name.split()[0]
        params = _init(name, x.shape[1], seed)
        _, grads = loss_and_grads(backend, params, x[sample], y[sample], activation)
        step = make_step(backend, params, "sgd", {"learning_rate": RATE}, activation)
    for _ in range(steps):
        index = rng.choice(len(x), 128, replace=False)
        step(x[index], y[index])
    return params, grads, step.weights()


def run(backend="tf", seed=0, fast=False, data="digits"):
    x, y, _, _ = load_data(data, seed)
    steps = 30 if fast else 150
    sample = np.random.default_rng(seed).choice(len(x), 256, replace=False)
    figure, (ax_grad, ax_learn) = new_figure(2)
    rows, ratios = [], {}
    for name in NETS:
        params, grads, trained = _gradients_and_training(name, backend, x, y, sample, steps, seed)
        norms = np.array([np.linalg.norm(kernel) for kernel in _kernels(grads, params)])
        change = np.array(
            [
                np.linalg.norm(after - before) / np.linalg.norm(before)
                for before, after in zip(
                    _kernels(params, params), _kernels(trained, params), strict=True
                )
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
        "nor does the batch-norm net's": ratios["batch-norm sigmoid"] >= 0.1,
    }
    return Result(
        "Vanishing gradients",
        ["net", "first-layer ‖∇W‖", "last hidden ‖∇W‖", "first / last", "first layer's change"],
        rows,
        claims,
        figure,
        {"ratios": ratios},
    )
