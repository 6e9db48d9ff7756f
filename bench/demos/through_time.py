"""Exploding and vanishing gradients through time, on the adding problem.

Each input step holds a value in [0, 1) and a marker; two steps are marked, one in the
first tenth of the sequence and one in its second half, and the target is the sum of
the two marked values. Predicting the mean (1) scores a mean squared error of 1/6.

Left: the gradient of the loss with respect to each input step x_t, relative to the
last step's, at initialisation (Keras's: orthogonal recurrent kernels, the LSTM's
forget bias at 1). Backpropagation through time multiplies it by Uᵀ and by the
activation's derivative once per step back, so it shrinks or grows geometrically.
Measured here, at initialisation the GRU loses the most: its update gate z starts near
½, so h_t keeps about half of h_{t−1} and the gradient halves at each step; a
SimpleRNN with an orthogonal U loses the least. (The LSTM's and GRU's advantage is
that their gates can *learn* to keep the state; this demo does not train that far.)
With U twice as large, the SimpleRNN's gradient grows going back in time instead.

Right: that SimpleRNN trained by SGD. Without clipping the loss blows up by orders of
magnitude within a few steps; clipping the gradient by its global norm
(``global_clipnorm``) or each tensor by its norm (``clipnorm``) bounds every update,
and the loss falls.
"""

import numpy as np

from bench.demos.common import Result, backend_module, new_figure
from reference import model
from reference.layers import dense, recurrent

UNITS, RATE, RECURRENT_SCALE, BATCH = 16, 0.1, 2.0, 32
KINDS = ("simple_rnn", "lstm", "gru")
RUNS = {"no clipping": {}, "global_clipnorm=1": {"global_clipnorm": 1.0}}
RUNS["clipnorm=1 per tensor"] = {"clipnorm": 1.0}


def adding_problem(count, length, rng):
    """``(x (count, length, 2), target (count, 1))``: the sum of the two marked values."""
    values = rng.uniform(0, 1, (count, length))
    markers = np.zeros((count, length))
    rows = np.arange(count)
    markers[rows, rng.integers(0, max(1, length // 10), count)] = 1
    markers[rows, rng.integers(length // 2, length, count)] = 1
    return np.stack([values, markers], axis=-1), (values * markers).sum(axis=1, keepdims=True)


def specs_of(kind):
    return ((kind, {"units": UNITS}), ("dense", {"units": 1}))


def initial_params(kind, length, seed, recurrent_scale=1.0):
    params, _ = model.init_params(specs_of(kind), (length, 2), seed=seed)
    params[f"{kind}_0/recurrent_kernel"] = params[f"{kind}_0/recurrent_kernel"] * recurrent_scale
    return params


def gradient_per_step(kind, params, x, target):
    """‖∂L/∂x_t‖ for every t, by the oracle's backpropagation through time."""
    layer, head = model.own(params, f"{kind}_0"), model.own(params, "dense_1")
    h, cache = getattr(recurrent, f"{kind}_forward")(layer, x)
    prediction, head_cache = dense.dense_forward(head, h)
    dh, _ = dense.dense_backward(2 * (prediction - target) / len(target), head_cache)
    dx, _ = getattr(recurrent, f"{kind}_backward")(dh, cache)
    return np.linalg.norm(dx, axis=(0, 2))


def _trainer(backend, params, hyper):
    """``step(x, y) -> loss``: one SGD step of the SimpleRNN model in the backend."""
    specs, loss = specs_of("simple_rnn"), "mean_squared_error"
    optimizer = backend_module(backend, "optimizers").get("sgd", learning_rate=RATE, **hyper)
    module = backend_module(backend, "model")
    if backend == "tf":
        import tensorflow as tf

        weights = {k: tf.Variable(v.astype(np.float32)) for k, v in params.items()}
        state = optimizer.init(weights)

        def tf_step(x, y):
            value, grads, _ = module.loss_and_grads(specs, weights, {}, x, y, loss=loss)
            optimizer.update(grads, state, weights)
            return value

        compiled = tf.function(tf_step, autograph=False)
        return lambda x, y: float(compiled(tf.constant(x, tf.float32), tf.constant(y, tf.float32)))
    weights = {
        k: v.astype(np.float64 if backend == "numpy" else np.float32) for k, v in params.items()
    }
    carry = [weights, optimizer.init(weights)]

    def update(weights, state, x, y):
        value, grads, _ = module.loss_and_grads(specs, weights, {}, x, y, loss=loss)
        weights, state = optimizer.update(grads, state, weights)
        return weights, state, value

    if backend == "jax":
        import jax

        update = jax.jit(update)

    def step(x, y):
        dtype = np.float64 if backend == "numpy" else np.float32
        carry[0], carry[1], value = update(*carry, x.astype(dtype), y.astype(dtype))
        return float(value)

    return step


def _train(backend, params, hyper, length, steps, seed):
    step, rng, losses = _trainer(backend, params, hyper), np.random.default_rng(seed + 1), []
    for _ in range(steps):
        x, y = adding_problem(BATCH, length, rng)
        with np.errstate(over="ignore", invalid="ignore"):  # the run diverges on purpose
            losses.append(step(x, y))
        if not np.isfinite(losses[-1]):
            break
    return np.array(losses)


def run(backend="tf", seed=0, fast=False, data="digits"):
    length, steps = (30, 30) if fast else (50, 100)
    x, target = adding_problem(64, length, np.random.default_rng(seed))
    figure, (ax_steps, ax_loss) = new_figure(2)
    rows, first_step = [], {}
    curves = {kind: initial_params(kind, length, seed) for kind in KINDS}
    large = f"simple_rnn, U × {RECURRENT_SCALE:g}"
    curves[large] = initial_params("simple_rnn", length, seed, RECURRENT_SCALE)
    for label, params in curves.items():
        kind = label.split(",")[0]
        norms = gradient_per_step(kind, params, x, target)
        first_step[label] = norms[0] / norms[-1]
        ax_steps.semilogy(norms / norms[-1], ".-", label=label)
        rows.append([label, "at initialisation", f"{first_step[label]:.2g}"])
    losses = {}
    for label, hyper in RUNS.items():
        losses[label] = _train(backend, curves[large], hyper, length, steps, seed)
        shown = np.where(np.isfinite(losses[label]), losses[label], np.nan)
        ax_loss.semilogy(shown, ".-", label=label)
        rows.append([f"{large}, {label}", "loss first → last", f"{shown[0]:.3g} → {shown[-1]:.3g}"])
    ax_steps.set(
        title=f"‖∂L/∂x_t‖ / ‖∂L/∂x_T‖ at initialisation (T = {length})", xlabel="time step t"
    )
    ax_loss.set(title=f"SGD on the adding problem, {large}", xlabel="step")
    ax_steps.legend()
    ax_loss.legend()

    def fell(run):
        return bool(np.all(np.isfinite(losses[run])) and losses[run][-5:].mean() < losses[run][0])

    claims = {
        "at initialisation the GRU's first-step gradient is the smallest of the three": first_step[
            "gru"
        ]
        < min(first_step["lstm"], first_step["simple_rnn"]),
        "with U × 2 the SimpleRNN's gradient grows going back in time": first_step[large] > 10,
        "without clipping its loss blows up (× 1000 or more)": not fell("no clipping")
        and np.nanmax(losses["no clipping"]) > 1000 * losses["no clipping"][0],
        "clipping by the global norm keeps it finite and the loss falls": fell("global_clipnorm=1"),
        "clipping each tensor by its norm does too": fell("clipnorm=1 per tensor"),
    }
    return Result(
        "Gradients through time (adding problem)",
        ["run", "measured", "value"],
        rows,
        claims,
        figure,
        {"first_step_ratio": first_step, "losses": {k: v.tolist() for k, v in losses.items()}},
    )
