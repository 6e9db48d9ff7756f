"""The training loop: one step, and batch / stochastic / mini-batch gradient descent.

``fit`` walks the data in batches drawn by ``batches``: ``batch_size=None`` is
batch gradient descent (the whole set each step), ``1`` is stochastic, ``k`` is
mini-batch. Each epoch shuffles the examples with a generator seeded once, so
the same seed gives the same order in every backend (``tf_impl`` and ``jax_impl``
use this very function). When ``k`` does not divide the number of examples, the
last batch of each epoch is smaller and its loss is the mean over its own
examples, as in Keras's ``fit``.
"""

import numpy as np

from reference import mlp
from reference.errors import NonFiniteLossError, check_range, non_finite_loss_message


def batches(num_examples, batch_size, epochs, seed):
    """Index arrays, one per step: a fresh permutation each epoch, cut into batches."""
    if batch_size is not None:
        check_range("batch_size", batch_size, low=1)
        if int(batch_size) != batch_size:
            raise ValueError(f"batch_size={batch_size!r} is not allowed: need a positive integer.")
    check_range("epochs", epochs, low=1)
    size = num_examples if batch_size is None else int(batch_size)
    rng = np.random.default_rng(seed)
    for _ in range(int(epochs)):
        order = rng.permutation(num_examples)
        for start in range(0, num_examples, size):
            yield order[start : start + size]


def train_step(params, state, x, y, optimizer, activation="relu", loss="softmax_cross_entropy"):
    """Forward, backward, update: returns ``(params, state, loss)``."""
    loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
    params, state = optimizer.update(grads, state, params)
    return params, state, loss_value


def check_finite(loss_value, step, optimizer, history=()):
    """Stop with a clear message when the loss is NaN or infinite."""
    if not np.isfinite(loss_value):
        learning_rate = float(optimizer.learning_rate_at(step))
        message = non_finite_loss_message(float(loss_value), step, learning_rate)
        raise NonFiniteLossError(message, step, history)


def fit(
    params,
    x,
    y,
    optimizer,
    batch_size=None,
    epochs=1,
    seed=0,
    activation="relu",
    loss="softmax_cross_entropy",
):
    """Train; returns ``(params, history)`` with one loss per step.

    The loss recorded for a step is the loss of its batch *before* the update.
    """
    state = optimizer.init(params)
    history = []
    for step, index in enumerate(batches(len(x), batch_size, epochs, seed)):
        with np.errstate(over="ignore", invalid="ignore"):  # reported by check_finite instead
            params, state, loss_value = train_step(
                params, state, x[index], y[index], optimizer, activation, loss
            )
        check_finite(loss_value, step, optimizer, history)
        history.append(float(loss_value))
    return params, history
