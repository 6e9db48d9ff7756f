"""Batch, stochastic and mini-batch gradient descent on the same data and the same model.

Batch GD takes one exact step per epoch; stochastic GD takes one noisy step per
example; mini-batches sit between. Counted per epoch the small batches win (many
more updates); counted per gradient evaluation they cost the same; on the clock
small batches pay the per-step overhead. The noise of a batch-B gradient falls as 1/B.
"""

import time

import numpy as np

from bench.demos.common import Result, load_data, loss_and_grads, new_figure, train
from reference import mlp

VARIANTS = {
    "batch": (None, 0.5),
    "stochastic (1)": (1, 0.01),
    "mini-batch 32": (32, 0.1),
    "mini-batch 256": (256, 0.3),
}
NOISE_BATCHES = (1, 4, 16, 64, 256)


def run(backend="tf", seed=0, fast=False, data="digits"):
    x, y, _, _ = load_data(data, seed)
    if fast:
        x, y = x[:400], y[:400]
    epochs = 3 if fast else 8
    start = mlp.init_params((x.shape[1], 32, 10), seed=seed)
    figure, (ax_epochs, ax_evals, ax_clock, ax_noise) = new_figure(2, 2, height=3.6)
    rows, finals = [], {}
    for label, (batch_size, rate) in VARIANTS.items():
        params, curve, clock = start, [mlp.loss_and_grads(start, x, y)[0]], [0.0]
        for epoch in range(epochs):
            began = time.perf_counter()
            params, _ = train(
                backend, params, x, y, "sgd", {"learning_rate": rate}, batch_size, 1, seed + epoch
            )
            clock.append(clock[-1] + time.perf_counter() - began)
            curve.append(
                mlp.loss_and_grads({k: v.astype(np.float64) for k, v in params.items()}, x, y)[0]
            )
        evaluations = np.arange(epochs + 1) * len(x)
        ax_epochs.plot(curve, ".-", label=label)
        ax_evals.plot(evaluations, curve, ".-", label=label)
        ax_clock.plot(clock, curve, ".-", label=label)
        steps = epochs * (1 if batch_size is None else -(-len(x) // batch_size))
        finals[label] = curve
        rows.append([label, rate, steps, f"{curve[0]:.3f}", f"{curve[-1]:.3f}", f"{clock[-1]:.2f}"])
    ax_epochs.set(title="training loss per epoch", xlabel="epoch", ylabel="loss")
    ax_evals.set(title="per example gradient evaluated", xlabel="gradient evaluations")
    ax_clock.set(title="per second", xlabel="seconds")
    for ax in (ax_epochs, ax_evals, ax_clock):
        ax.legend(fontsize=8)

    _, full = loss_and_grads(backend, start, x, y)
    full_norm = sum(np.sum(g**2) for g in full.values())
    rng = np.random.default_rng(seed)
    noise = []
    for batch_size in NOISE_BATCHES:
        samples = []
        for _ in range(12 if fast else 30):
            index = rng.choice(len(x), batch_size, replace=False)
            _, grads = loss_and_grads(backend, start, x[index], y[index])
            samples.append(sum(np.sum((grads[k] - full[k]) ** 2) for k in full) / full_norm)
        noise.append(float(np.mean(samples)))
    ax_noise.loglog(NOISE_BATCHES, noise, "o-", label="measured")
    ax_noise.loglog(NOISE_BATCHES, noise[0] / np.array(NOISE_BATCHES), "--", label="∝ 1/B")
    ax_noise.set(title="gradient noise ‖g_B − g‖² / ‖g‖²", xlabel="batch size B")
    ax_noise.legend(fontsize=8)
    claims = {
        "every variant lowers the loss": all(c[-1] < c[0] for c in finals.values()),
        "mini-batch 32 beats batch GD per epoch": finals["mini-batch 32"][-1] < finals["batch"][-1],
        "gradient noise falls as the batch grows": bool(np.all(np.diff(noise) < 0)),
        "noise at B=1 is over 20× the noise at B=256": noise[0] > 20 * noise[-1],
    }
    return Result(
        "Batch, stochastic and mini-batch gradient descent",
        ["variant", "η", "steps", "loss before", "loss after", "seconds"],
        rows,
        claims,
        figure,
        {"noise": dict(zip(NOISE_BATCHES, noise, strict=True))},
    )
