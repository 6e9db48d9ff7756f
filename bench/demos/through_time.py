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
that their gates can *learn* to keep the state: the right panel.)
With U twice as large, the SimpleRNN's gradient grows going back in time instead.

Middle: that SimpleRNN trained by SGD. Without clipping the loss blows up by orders of
magnitude within a few steps (NaN in float32); clipping the gradient by its global norm
(``global_clipnorm``) or each tensor by its norm (``clipnorm``) bounds every update,
and the loss falls.

Right: the three cells trained with Adam (clipped) on 30-step sequences, the first
step's gradient ratio measured every 50 steps. The SimpleRNN's collapses (to ~5e-5) and
its loss stays at the mean-predictor's 1/6; the LSTM's and GRU's grow to order 1 and
beyond as their gates learn to keep the marked values, and they solve the task.
"""

import numpy as np

from bench.demos.common import Result, backend_module, new_figure
from reference import model
from reference.layers import dense, recurrent

UNITS, RATE, RECURRENT_SCALE, BATCH = 16, 0.1, 2.0, 32
TRAINED_LENGTH, TRAINED_STEPS = 30, 300
ADAM = {"learning_rate": 0.01, "global_clipnorm": 1.0}
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


class _Trainer:
    """One training step of the ``kind`` model in the backend: ``trainer(x, y) -> loss``;
    ``trainer.weights()`` the weights now, as float64 NumPy (for the oracle's BPTT)."""

    def __init__(self, backend, kind, params, optimizer, hyper):
        self.specs, self.backend = specs_of(kind), backend
        self.optimizer = backend_module(backend, "optimizers").get(optimizer, **hyper)
        self.model = backend_module(backend, "model")
        self.dtype = np.float64 if backend == "numpy" else np.float32
        if backend == "tf":
            import tensorflow as tf

            self.variables = {k: tf.Variable(v.astype(self.dtype)) for k, v in params.items()}
            self.state = self.optimizer.init(self.variables)
            self.compiled = tf.function(self._tf_step, autograph=False)
            return
        self.carry = [{k: v.astype(self.dtype) for k, v in params.items()}]
        self.carry.append(self.optimizer.init(self.carry[0]))
        self.update = self._update
        if backend == "jax":
            import jax

            self.update = jax.jit(self._update)

    def _loss_and_grads(self, weights, x, y):
        loss = "mean_squared_error"
        return self.model.loss_and_grads(self.specs, weights, {}, x, y, loss=loss)

    def _tf_step(self, x, y):
        value, grads, _ = self._loss_and_grads(self.variables, x, y)
        self.optimizer.update(grads, self.state, self.variables)
        return value

    def _update(self, weights, state, x, y):
        value, grads, _ = self._loss_and_grads(weights, x, y)
        weights, state = self.optimizer.update(grads, state, weights)
        return weights, state, value

    def __call__(self, x, y):
        x, y = x.astype(self.dtype), y.astype(self.dtype)
        if self.backend == "tf":
            return float(self.compiled(x, y))
        self.carry[0], self.carry[1], value = self.update(*self.carry, x, y)
        return float(value)

    def weights(self):
        tensors = self.variables if self.backend == "tf" else self.carry[0]
        return {k: np.asarray(v, np.float64) for k, v in tensors.items()}


def _train(trainer, length, steps, seed, probe=None, every=50):
    """Losses of ``steps`` steps (stopping at a non-finite one); with ``probe = (kind, x,
    target)`` also the first-step gradient ratio every ``every`` steps."""
    rng, losses, ratios = np.random.default_rng(seed + 1), [], []
    for step in range(steps + 1):
        if probe is not None and step % every == 0:
            norms = gradient_per_step(probe[0], trainer.weights(), *probe[1:])
            ratios.append(norms[0] / norms[-1])
        if step == steps:
            break
        x, y = adding_problem(BATCH, length, rng)
        with np.errstate(over="ignore", invalid="ignore"):  # the run diverges on purpose
            losses.append(trainer(x, y))
        if not np.isfinite(losses[-1]):
            break
    return np.array(losses), np.array(ratios)


def run(backend="tf", seed=0, fast=False, data="digits"):
    length, steps = (30, 30) if fast else (50, 100)
    x, target = adding_problem(64, length, np.random.default_rng(seed))
    figure, (ax_steps, ax_loss, ax_training) = new_figure(3)
    rows, first_step = [], {}
    curves = {kind: initial_params(kind, length, seed) for kind in KINDS}
    large = f"simple_rnn, U × {RECURRENT_SCALE:g}"
    curves[large] = initial_params("simple_rnn", length, seed, RECURRENT_SCALE)
    for label, params in curves.items():
        norms = gradient_per_step(label.split(",")[0], params, x, target)
        first_step[label] = norms[0] / norms[-1]
        ax_steps.semilogy(norms / norms[-1], ".-", label=label)
        rows.append([label, "‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ at initialisation", f"{first_step[label]:.2g}"])
    losses = {}
    for label, hyper in RUNS.items():
        trainer = _Trainer(
            backend, "simple_rnn", curves[large], "sgd", {"learning_rate": RATE, **hyper}
        )
        losses[label], _ = _train(trainer, length, steps, seed)
        shown = np.where(np.isfinite(losses[label]), losses[label], np.nan)
        ax_loss.semilogy(shown, ".-", label=label)
        rows.append(
            [f"{large}, SGD, {label}", "loss first → last", f"{shown[0]:.3g} → {shown[-1]:.3g}"]
        )
    trained, ratios = {}, {}
    for kind in KINDS:  # Adam, clipped, on a shorter sequence: the gated cells learn to keep
        trainer = _Trainer(backend, kind, initial_params(kind, TRAINED_LENGTH, seed), "adam", ADAM)
        probe = (kind, *adding_problem(64, TRAINED_LENGTH, np.random.default_rng(seed)))
        trained[kind], ratios[kind] = _train(trainer, TRAINED_LENGTH, TRAINED_STEPS, seed, probe)
        ax_training.semilogy(np.arange(len(ratios[kind])) * 50, ratios[kind], ".-", label=kind)
        rows.append(
            [
                f"{kind}, Adam, T = {TRAINED_LENGTH}",
                "ratio at start → end; loss of the last 20 steps",
                f"{ratios[kind][0]:.2g} → {ratios[kind][-1]:.2g}; {trained[kind][-20:].mean():.3g}",
            ]
        )
    ax_steps.set(
        title=f"‖∂L/∂x_t‖ / ‖∂L/∂x_T‖ at initialisation (T = {length})", xlabel="time step t"
    )
    ax_loss.set(title=f"SGD on the adding problem, {large}", xlabel="step")
    ax_training.set(
        title=f"‖∂L/∂x_1‖ / ‖∂L/∂x_T‖ while training with Adam (T = {TRAINED_LENGTH})",
        xlabel="step",
    )
    for axis in (ax_steps, ax_loss, ax_training):
        axis.legend()

    def fell(run):
        return bool(np.all(np.isfinite(losses[run])) and losses[run][-5:].mean() < losses[run][0])

    solved = {kind: trained[kind][-20:].mean() for kind in KINDS}
    gated = min(ratios["lstm"][-1], ratios["gru"][-1])
    claims = {
        "at initialisation the GRU's first-step gradient is the smallest of the three": (
            first_step["gru"] < min(first_step["lstm"], first_step["simple_rnn"])
        ),
        "with U × 2 the SimpleRNN's gradient grows going back in time": first_step[large] > 10,
        "without clipping its loss blows up (× 1000 or more)": not fell("no clipping")
        and np.nanmax(losses["no clipping"]) > 1000 * losses["no clipping"][0],
        "clipping by the global norm keeps it finite and the loss falls": fell("global_clipnorm=1"),
        "clipping each tensor by its norm does too": fell("clipnorm=1 per tensor"),
        "trained, LSTM and GRU solve the task (loss < 0.05) and SimpleRNN does not (> 0.1)": (
            max(solved["lstm"], solved["gru"]) < 0.05 and solved["simple_rnn"] > 0.1
        ),
        "trained, the gated cells carry 100× more gradient to the first step": (
            gated > 100 * ratios["simple_rnn"][-1]
        ),
    }
    return Result(
        "Gradients through time (adding problem)",
        ["run", "measured", "value"],
        rows,
        claims,
        figure,
        {
            "first_step_ratio": first_step,
            "losses": {k: v.tolist() for k, v in {**losses, **trained}.items()},
            "first_step_ratio_while_training": {k: v.tolist() for k, v in ratios.items()},
        },
    )
