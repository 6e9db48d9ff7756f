"""Two ways a run stalls, and what gets it moving again.

The problem: softmax regression on the digits with 30% of the training labels
shuffled, so the gradients of small batches disagree a lot.

A *floor*: the rate is too large for the last stretch, so mini-batch noise keeps the
loss bouncing at a level it cannot go below; lowering the rate — when the loss stops
improving (reduce-on-plateau) or on a schedule (cosine decay) — lets it settle lower.
A *crawl*: the rate is so small that each epoch gains little; momentum accumulates
the consistent part of the gradient and moves much faster.
"""

import numpy as np

from bench.demos.common import Result, load_data, new_figure, train
from reference import mlp
from reference.schedules import ReduceLROnPlateau

HIGH, LOW, BATCH, NOISY_FRACTION = 0.5, 0.002, 8, 0.3


def _loss(params, x, y):
    return float(mlp.loss_and_grads({k: v.astype(np.float64) for k, v in params.items()}, x, y)[0])


def _epochs(backend, params, x, y, epochs, seed, rate_for_epoch, hyper=None):
    """Train epoch by epoch; the rate may change between epochs.

    Each epoch is a fresh ``fit``, so optimizer state restarts: harmless for plain SGD,
    and for momentum it only costs a few steps of speed-up at each epoch's start.
    """
    curve, rates = [_loss(params, x, y)], []
    for epoch in range(epochs):
        rate = rate_for_epoch(epoch, curve[-1])
        rates.append(rate)
        params, _ = train(
            backend,
            params,
            x,
            y,
            "sgd",
            {"learning_rate": rate, **(hyper or {})},
            BATCH,
            1,
            seed + epoch,
        )
        curve.append(_loss(params, x, y))
    return curve, rates


def run(backend="tf", seed=0, fast=False, data="digits"):
    x, clean, _, _ = load_data(data, seed)
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(len(clean)) < NOISY_FRACTION, rng.integers(10, size=len(clean)), clean)
    if fast:
        x, y = x[:600], y[:600]
    epochs = 8 if fast else 12
    start = mlp.init_params((x.shape[1], 10), seed=seed)
    controller = ReduceLROnPlateau(HIGH, factor=0.2, patience=1, min_delta=1e-3)
    runs = {
        "floor: constant η=0.5": _epochs(backend, start, x, y, epochs, seed, lambda e, v: HIGH),
        "floor: reduce-on-plateau": _epochs(
            backend,
            start,
            x,
            y,
            epochs,
            seed,
            lambda e, v: controller.step(v) if e > 0 else HIGH,
        ),
        "floor: cosine decay": _epochs(
            backend,
            start,
            x,
            y,
            epochs,
            seed,
            lambda e, v: HIGH * 0.5 * (1 + np.cos(np.pi * e / epochs)),
        ),
        "crawl: constant η=0.002": _epochs(backend, start, x, y, epochs, seed, lambda e, v: LOW),
        "crawl: momentum 0.9": _epochs(
            backend, start, x, y, epochs, seed, lambda e, v: LOW, {"momentum": 0.9}
        ),
    }
    figure, (ax_loss, ax_rate) = new_figure(2)
    rows = []
    for label, (curve, rates) in runs.items():
        style = "-" if label.startswith("floor") else "--"
        ax_loss.plot(curve, style, marker=".", label=label)
        ax_rate.semilogy(rates, style, marker=".", label=label)
        rows.append(
            [
                label,
                " → ".join(f"{v:.2f}" for v in curve[:: max(1, epochs // 4)]),
                f"{min(curve):.3f}",
                f"{curve[-1]:.3f}",
            ]
        )
    ax_loss.set(
        title="training loss (30% noisy labels)", xlabel="epoch", ylabel="loss", ylim=(0, None)
    )
    ax_rate.set(title="learning rate in force", xlabel="epoch")
    ax_loss.legend(fontsize=8)

    def final(label):
        return runs[label][0][-1]

    claims = {
        "reduce-on-plateau ends below the constant high rate": final("floor: reduce-on-plateau")
        < final("floor: constant η=0.5"),
        "cosine decay ends below the constant high rate": final("floor: cosine decay")
        < final("floor: constant η=0.5"),
        "momentum ends below the crawling constant rate": final("crawl: momentum 0.9")
        < final("crawl: constant η=0.002"),
        "reduce-on-plateau lowered the rate": min(runs["floor: reduce-on-plateau"][1]) < HIGH,
    }
    return Result(
        "Plateaus: a floor and a crawl",
        ["run", "loss over epochs", "best", "final"],
        rows,
        claims,
        figure,
    )
