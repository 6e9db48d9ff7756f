"""The digits CNN: what its first convolution learns, and batch norm at a high learning rate.

The model is the digits CNN of ``reference.model_presets``: 8×8×1 → Conv2D 8 (3×3, same)
→ BatchNormalization → ReLU → MaxPooling2D 2 → Flatten → Dense 10. Each of the 8
filters is a 3×3 template slid over the image; its feature map, y[i, j] = Σ w ⊙ (the 3×3
patch at i, j) + b, is large where the image looks like the template. Trained, the random
templates become stroke and edge detectors, and the maps show where each one fires.

The images are scikit-learn's as they ship, pixel counts 0–16, not standardised. Batch
normalisation rescales each filter's output to zero mean and unit variance over the
batch, so what follows sees the same scale whatever the scale of the pixels and of the
conv weights. Without it, the conv outputs are as large as the pixels: at η = 0.2 plain
SGD trains the net with batch norm and stalls the one without (measured, seeds 0 and 1:
final loss 0.22 and 0.20 against 1.7 and 2.30 = ln 10, a net that predicts uniformly).
Measured too, and said because it is the other half of the story: on standardised pixels
this shallow net (one conv layer, then Dense) trains at η = 0.5 to 1 as well or better
without batch norm; its help at a high rate here is scale invariance.
"""

import numpy as np

from bench.demos.common import Result, make_model_step
from reference import model, model_presets

BATCH = 64
ADAM_RATE = 0.01  # part 1: learn the filters
HIGH_RATE = 0.2  # part 2: plain SGD this fast on 0-16 pixels (see the docstring)
FILTERS = 8


def specs_without_batch_norm(specs):
    return tuple(spec for spec in specs if spec[0] != "batch_normalization")


def images(seed):
    """scikit-learn's 8×8 digits as images (N, 8, 8, 1) of raw pixel counts 0–16, split 80/20
    in the order of ``common.load_data`` (the MLP demos' split)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = digits.data.reshape(-1, 8, 8, 1), digits.target
    order = np.random.default_rng(seed).permutation(len(x))
    train, val = order[: int(0.8 * len(x))], order[int(0.8 * len(x)) :]
    return x[train], y[train], x[val], y[val]


def train(backend, specs, x, y, optimizer, hyper, steps, seed):
    """``(params at the start, params after, state after, losses)``: mini-batches of BATCH."""
    params, state = model.init_params(specs, x.shape[1:], seed=seed)
    step = make_model_step(backend, specs, params, state, optimizer, hyper)
    rng = np.random.default_rng(seed)
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            index = rng.choice(len(x), BATCH, replace=False)
            losses.append(float(step(x[index], y[index])))
    return params, step.weights(), step.model_state(), np.array(losses)


def accuracy(specs, params, state, x, y):
    logits, _ = model.forward(specs, params, state, x)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def feature_maps(specs, params, state, image):
    """The first block's output on one image (conv → batch norm → ReLU): (side, side, 8)."""
    first_block = specs[:3]  # the same layer names, so the same parameter keys
    maps, _ = model.forward(first_block, params, state, image[None])
    return maps[0]


def final_loss(losses):
    """The mean of the last tenth of the run: inf when the loss went non-finite."""
    tail = losses[-max(1, len(losses) // 10) :]
    return float(np.mean(tail)) if np.all(np.isfinite(losses)) else np.inf


def run(backend="tf", seed=0, fast=False, data=None):
    """``data`` is not used: the digits CNN takes the 8×8 digits."""
    x, y, x_val, y_val = images(seed)
    _, specs = model_presets.PRESETS["digits_cnn"]
    steps = 60 if fast else 300
    start, learned, state, adam_losses = train(
        backend, specs, x, y, "adam", {"learning_rate": ADAM_RATE}, steps, seed
    )
    held_out = accuracy(specs, learned, state, x_val, y_val)
    kernel_start, kernel = start["conv2d_0/kernel"], learned["conv2d_0/kernel"]
    moved = float(np.linalg.norm(kernel - kernel_start) / np.linalg.norm(kernel_start))

    high_rate_runs = {}
    for label, run_specs in (
        ("with batch norm", specs),
        ("without batch norm", specs_without_batch_norm(specs)),
    ):
        *_, losses = train(
            backend, run_specs, x, y, "sgd", {"learning_rate": HIGH_RATE}, steps, seed
        )
        high_rate_runs[label] = losses
    with_bn = final_loss(high_rate_runs["with batch norm"])
    without_bn = final_loss(high_rate_runs["without batch norm"])
    first_loss = high_rate_runs["with batch norm"][0]

    image = x_val[0]
    maps = feature_maps(specs, learned, state, image)
    figure = _figure(kernel_start, kernel, image, maps, adam_losses, high_rate_runs, steps)
    rows = [
        ["Adam η = 0.01, batch norm", f"{adam_losses[0]:.3f}", f"{final_loss(adam_losses):.3f}"],
        *[
            [f"SGD η = {HIGH_RATE:g}, {label}", f"{losses[0]:.3f}", f"{final_loss(losses):.3f}"]
            for label, losses in high_rate_runs.items()
        ],
    ]
    claims = {
        f"the CNN learns the digits: {held_out:.0%} held-out accuracy (≥ 90%)": held_out >= 0.9,
        f"its first-layer filters moved {moved:.2f}× their random start's size (≥ 0.5)": moved
        >= 0.5,
        f"at η = {HIGH_RATE:g} the net with batch norm trains: its loss falls below half "
        "its first": with_bn < 0.5 * first_loss,
        f"without batch norm the same η ends at least twice as high ({without_bn:.3g} vs "
        f"{with_bn:.3g}), or diverges": without_bn >= 2 * with_bn,
    }
    return Result(
        "The digits CNN: learned filters, and batch norm at a high learning rate",
        ["run", "first loss", f"last {max(1, steps // 10)} steps' mean loss"],
        rows,
        claims,
        figure,
        {
            "held_out_accuracy": held_out,
            "filters_moved": moved,
            "final_loss": {"with batch norm": with_bn, "without batch norm": without_bn},
        },
    )


def _figure(kernel_start, kernel, image, maps, adam_losses, high_rate_runs, steps):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 8), layout="constrained")
    grid = figure.add_gridspec(4, FILTERS + 1)
    rows = (
        ("random filters", kernel_start[..., 0, :]),
        ("learned filters", kernel[..., 0, :]),
        ("feature maps", maps),
    )
    for row, (label, stack) in enumerate(rows):
        for k in range(FILTERS):
            ax = figure.add_subplot(grid[row, k + 1])
            ax.imshow(stack[..., k], cmap="RdBu_r" if row < 2 else "viridis")
            ax.set(xticks=[], yticks=[], title=f"{label.split()[0]} {k}" if row < 2 else f"map {k}")
        ax = figure.add_subplot(grid[row, 0])
        ax.set(xticks=[], yticks=[])
        if row == 2:
            ax.imshow(image[..., 0], cmap="gray_r")
            ax.set_title("input")
        else:
            ax.axis("off")
            ax.text(0.5, 0.5, label, ha="center", va="center")
    ax = figure.add_subplot(grid[3, : (FILTERS + 1) // 2])
    ax.plot(adam_losses)
    ax.set(title="Adam η = 0.01, batch norm", xlabel="step", ylabel="loss")
    ax = figure.add_subplot(grid[3, (FILTERS + 1) // 2 :])
    for label, losses in high_rate_runs.items():
        ax.semilogy(np.where(np.isfinite(losses), losses, np.nan), label=label)
    ax.set(title=f"SGD η = {HIGH_RATE:g}", xlabel="step", ylabel="loss")
    ax.legend()
    return figure
