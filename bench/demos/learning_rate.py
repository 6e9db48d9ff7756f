"""Choosing the learning rate: the "loss is NaN, divide by 10" rule, automated, and a range test.

1. Start far too high. When the loss turns NaN or infinite, divide the rate by 10 and
   start again, until a run finishes with a finite, falling loss.
2. The range test (Smith 2017): one short run whose rate grows tenfold every few
   steps. The loss falls, flattens, then explodes; a good rate is about a tenth of the
   rate where the smoothed loss was lowest.
"""

import numpy as np

from bench.demos.common import Result, load_data, new_figure, train
from reference import mlp
from reference.errors import NonFiniteLossError


def _schedule(backend, **kwargs):
    import importlib

    module = {"numpy": "reference", "tf": "tf_impl", "jax": "jax_impl"}[backend]
    return importlib.import_module(f"{module}.schedules").get("exponential_decay", **kwargs)


def run(backend="tf", seed=0, fast=False, data="digits"):
    x, y, x_val, y_val = load_data(data, seed)
    params = mlp.init_params((x.shape[1], 32, 10), seed=seed)
    epochs = 2 if fast else 4
    attempts, curves, rate, stable = [], [], 1000.0, None
    while stable is None and rate > 1e-6:
        try:
            _, history = train(
                backend, params, x, y, "sgd", {"learning_rate": rate}, 32, epochs, seed
            )
        except NonFiniteLossError as error:
            attempts.append([f"{rate:g}", f"loss non-finite at step {error.step}", "—"])
            curves.append((rate, error.history, f"non-finite at step {error.step}"))
            rate /= 10
            continue
        falling = history[-1] < history[0]
        attempts.append(
            [f"{rate:g}", "finished" + ("" if falling else ", not falling"), f"{history[-1]:.3g}"]
        )
        curves.append((rate, history, "stable" if falling else "finite, not falling"))
        if falling:
            stable = rate
        else:
            rate /= 10

    steps_per_decade, decades = (8, 6) if fast else (15, 6)
    schedule = _schedule(
        backend, initial_learning_rate=1e-4, decay_steps=steps_per_decade, decay_rate=10.0
    )
    try:
        _, losses = train(
            backend, params, x, y, "sgd", {"learning_rate": schedule}, 32, epochs=50, seed=seed
        )
    except NonFiniteLossError as error:
        losses = error.history
    losses = np.array(losses[: steps_per_decade * decades])
    rates = 1e-4 * 10 ** (np.arange(len(losses)) / steps_per_decade)
    smoothed = np.array([losses[max(0, i - 4) : i + 1].mean() for i in range(len(losses))])
    suggested = float(rates[np.argmin(smoothed)] / 10)
    _, check = train(backend, params, x, y, "sgd", {"learning_rate": suggested}, 32, 1, seed)

    figure, (ax_attempts, ax_range) = new_figure(2)
    for attempt_rate, history, blew_up in curves:
        outcome = f": non-finite at step {len(history)}" if blew_up else ": stable"
        shown = np.minimum(history, 1e6)  # a finite but astronomical loss would flatten the rest
        (line,) = ax_attempts.semilogy(
            np.arange(len(shown)), shown, label=f"η={attempt_rate:g}{outcome}"
        )
        if blew_up and len(shown):
            ax_attempts.plot(len(shown), shown[-1], "x", color=line.get_color(), markersize=10)
    ax_attempts.set(title="divide by 10 until the loss stays finite", xlabel="step", ylabel="loss")
    ax_attempts.legend(fontsize=8)
    ax_range.semilogx(rates, losses, alpha=0.4, label="loss")
    ax_range.semilogx(rates, smoothed, label="smoothed")
    ax_range.axvline(
        suggested, color="tab:green", linestyle="--", label=f"suggested {suggested:.2g}"
    )
    ax_range.set(
        title="learning-rate range test",
        xlabel="learning rate",
        ylabel="loss",
        ylim=(0, max(3.0, float(np.nanmin(losses)) * 2)),
    )
    ax_range.legend()
    claims = {
        "a too-large rate gives a non-finite loss": attempts[0][2] == "—",
        "dividing by 10 ends on a stable rate": stable is not None,
        "the suggested rate's run stays finite": bool(np.all(np.isfinite(check))),
        "the suggested rate is below where the loss blew up": suggested < rates[-1],
    }
    return Result(
        "Finding a learning rate",
        ["learning rate", "outcome", "final loss"],
        attempts,
        claims,
        figure,
        {"stable": stable, "suggested": suggested},
    )
