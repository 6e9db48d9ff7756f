"""The training loop in JAX, with a ``jax.jit``-compiled step.

``make_train_step(optimizer)`` returns ``step(params, state, x, y) -> (params, state, loss)``,
pure and compiled by ``jax.jit``. It is traced and compiled once per distinct input
shape: over a run with a fixed batch size that is once (``step.trace_count == 1``);
``fit`` with a batch size that does not divide the data adds one more compile for
the smaller last batch.

Fused steps. ``steps_per_call=K`` runs K training steps inside one compiled call:
``xs`` has shape (K, B, ...), ``ys`` (K, B, ...), and ``jax.lax.scan`` carries
(params, state) through them, returning the last loss. A jitted call costs only a
few microseconds here, but fusing still removes K − 1 dispatches and host syncs.
"""

import jax
import numpy as np

from jax_impl import mlp
from reference.training import batches, check_finite


class TrainStep:
    """One jitted training step (forward, backward, update); counts its traces."""

    def __init__(
        self, optimizer, activation="relu", loss="softmax_cross_entropy", steps_per_call=1
    ):
        self.optimizer = optimizer
        self.steps_per_call = steps_per_call
        self.trace_count = 0

        def step(params, state, x, y):
            loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
            params, state = optimizer.update(grads, state, params)
            return params, state, loss_value

        def traced_step(params, state, x, y):
            self.trace_count += 1  # Python runs this only while tracing
            if steps_per_call == 1:
                return step(params, state, x, y)

            def one_step(carry, batch):
                params, state, loss_value = step(*carry, *batch)
                return (params, state), loss_value

            (params, state), losses = jax.lax.scan(one_step, (params, state), (x, y))
            return params, state, losses[-1]

        self._compiled = jax.jit(traced_step)

    def __call__(self, params, state, x, y):
        return self._compiled(params, state, x, y)


def make_train_step(optimizer, activation="relu", loss="softmax_cross_entropy", steps_per_call=1):
    return TrainStep(optimizer, activation, loss, steps_per_call)


def train_step(params, state, x, y, optimizer, activation="relu", loss="softmax_cross_entropy"):
    """One un-jitted step, the oracle's signature: returns ``(params, state, loss)``."""
    loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
    params, state = optimizer.update(grads, state, params)
    return params, state, loss_value


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
    """Train; returns ``(params, history)``: the batches and order of ``reference.training.fit``."""
    dtype = params["dense_0/kernel"].dtype
    x, y = np.asarray(x).astype(dtype), np.asarray(y)
    state = optimizer.init(params)
    step_fn = make_train_step(optimizer, activation, loss)
    history = []
    for step, index in enumerate(batches(len(x), batch_size, epochs, seed)):
        params, state, loss_value = step_fn(params, state, x[index], y[index])
        loss_value = float(loss_value)
        check_finite(loss_value, step, optimizer, history)
        history.append(loss_value)
    return params, history
