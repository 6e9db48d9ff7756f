"""The training loop in TensorFlow, with the step eager, in ``tf.function``, or XLA.

``make_train_step(params, state, optimizer, mode)`` returns ``step(x, y) -> loss``
that updates ``params`` and ``state`` (``tf.Variable``s) in place:

- ``mode="eager"``: plain Python calling TF ops, one op at a time;
- ``mode="function"``: the step traced once into a graph by ``tf.function``;
- ``mode="xla"``: the same graph compiled by XLA (``jit_compile=True``).

Tracing. A compiled step is traced on its first call with an input signature
whose batch dimension is ``None``, so later calls with any batch size (the last,
smaller batch of an epoch included) reuse the same graph: the trace count stays
at 1. Under XLA the one graph is still compiled to machine code once per distinct
batch shape, which is XLA's rule, not a retrace. ``step.trace_count`` reports the
number of traces (0 in eager mode).

Fused steps. ``steps_per_call=K`` runs K training steps inside one call, the way
Keras's ``steps_per_execution`` does: the step takes ``xs`` of shape (K, B, ...) and
``ys`` of shape (K, B, ...), loops over them with ``tf.range`` (a ``tf.while_loop``
in the graph) and returns the last loss. On a small model the fixed cost of calling
a ``tf.function`` (over 100 µs) dwarfs the arithmetic; fusing pays it once per K steps.
"""

import numpy as np
import tensorflow as tf

from reference.errors import check_choice
from reference.training import batches, check_finite
from tf_impl import mlp

MODES = ("eager", "function", "xla")


class TrainStep:
    """One training step (forward, backward, update) in one of the three modes."""

    def __init__(
        self,
        params,
        state,
        optimizer,
        mode="function",
        activation="relu",
        loss="softmax_cross_entropy",
        steps_per_call=1,
    ):
        check_choice("mode", mode, MODES)
        self.params, self.state, self.optimizer, self.mode = params, state, optimizer, mode
        self.steps_per_call = steps_per_call

        def step(x, y):
            loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
            optimizer.update(grads, state, params)
            return loss_value

        def fused_steps(xs, ys):
            loss_value = tf.zeros((), params["dense_0/kernel"].dtype)
            for i in tf.range(steps_per_call):
                loss_value = step(xs[i], ys[i])
            return loss_value

        self._python_step = step if steps_per_call == 1 else fused_steps
        self._compiled = None

    def _compile(self, x, y):
        fused = int(self.steps_per_call > 1)  # a leading axis of K steps comes before the batch
        signature = [
            tf.TensorSpec((*x.shape[:fused], None, *x.shape[fused + 1 :]), x.dtype),
            tf.TensorSpec((*y.shape[:fused], None, *y.shape[fused + 1 :]), y.dtype),
        ]
        return tf.function(
            self._python_step, input_signature=signature, jit_compile=self.mode == "xla"
        )

    def __call__(self, x, y):
        x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
        if self.mode == "eager":
            return self._python_step(x, y)
        if self._compiled is None:
            self._compiled = self._compile(x, y)
        return self._compiled(x, y)

    @property
    def trace_count(self):
        return 0 if self._compiled is None else self._compiled.experimental_get_tracing_count()


def make_train_step(
    params,
    state,
    optimizer,
    mode="function",
    activation="relu",
    loss="softmax_cross_entropy",
    steps_per_call=1,
):
    return TrainStep(params, state, optimizer, mode, activation, loss, steps_per_call)


def train_step(params, state, x, y, optimizer, activation="relu", loss="softmax_cross_entropy"):
    """One eager step, the oracle's signature: returns ``(params, state, loss)``."""
    loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
    optimizer.update(grads, state, params)
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
    mode="function",
):
    """Train ``params`` (``tf.Variable``s) in place; returns ``(params, history)``.

    The batches are the oracle's (``reference.training.batches``): the same seed
    gives the same shuffle order as ``reference.training.fit``.
    """
    x, y = np.asarray(x), np.asarray(y)
    x = x.astype(params["dense_0/kernel"].dtype.as_numpy_dtype)
    state = optimizer.init(params)
    step_fn = make_train_step(params, state, optimizer, mode, activation, loss)
    history = []
    for step, index in enumerate(batches(len(x), batch_size, epochs, seed)):
        loss_value = float(step_fn(x[index], y[index]))
        check_finite(loss_value, step, optimizer, history)
        history.append(loss_value)
    return params, history
