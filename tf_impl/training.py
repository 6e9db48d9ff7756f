"""The training loop in TensorFlow, with the step eager, in ``tf.function``, or XLA.

The same three functions as ``reference.training``: ``train_step`` (one step, the
oracle's lines; the ``tf.Variable``s are updated in place), ``make_train_step``
(a ``TrainStep`` holding the weights and optimizer state, ``step(x, y) -> loss``:
the one way gdkit builds a step) and ``fit``. The modes:

- ``mode="eager"``: plain Python calling TF ops, one op at a time;
- ``mode="function"``: the step traced once into a graph by ``tf.function``;
- ``mode="xla"``: the same graph compiled by XLA (``jit_compile=True``);
- ``mode="mirrored"``: the data-parallel step over ``replicas`` devices under a
  ``MirroredStrategy`` (``tf_impl.distributed``).

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
``compile_step`` is that loop and the compilation of each mode, in one place:
``bench.parts`` times the pieces of a step through it too.
"""

import contextlib

import numpy as np
import tensorflow as tf

from reference.errors import check_choice
from reference.training import batches, check_finite, check_model_options, check_step_options
from reference.validation import check_fit, check_names
from tf_impl import distributed, mlp
from tf_impl import model as layer_model

MODES = ("eager", "function", "xla", "mirrored")
DATA_PARALLEL_MODES = ("mirrored",)


def train_step(
    params,
    state,
    x,
    y,
    optimizer,
    activation="relu",
    loss="softmax_cross_entropy",
    model=None,
    dropout_masks=None,
):
    """One step of gradient descent: returns ``(params, state, loss)``.

        loss, g = L(θ; x, y), ∇θ L          (forward and backward)
        θ, state = optimizer.update(g, state, θ)

    The ``tf.Variable``s in ``params`` and ``state`` are updated in place.
    ``model=None`` is the MLP of ``tf_impl.mlp``. A ``model`` given as layer specs
    (``tf_impl.model``) trains in training mode, and its moving statistics ride along:
    ``state`` is then ``(optimizer_state, model_state)``. ``dropout_masks`` are its
    Dropout layers' masks (``reference.model.dropout_masks``).
    """
    if model is None:
        loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
        params, state = optimizer.update(grads, state, params)
        return params, state, loss_value
    optimizer_state, model_state = state
    x = tf.cast(x, next(iter(params.values())).dtype)  # as Keras casts a model's inputs
    loss_value, grads, new_model_state = layer_model.loss_and_grads(
        model, params, model_state, x, y, True, dropout_masks, loss
    )
    optimizer.update(grads, optimizer_state, params)
    layer_model.assign_state(model_state, new_model_state)
    return params, state, loss_value


def compile_step(one_batch, mode, steps_per_call, x, y):
    """``call(x, y)``: ``one_batch(x, y) -> result`` on each of the K batches of a call,
    run the way ``mode`` runs, for inputs shaped like ``x`` and ``y``; returns the last result.

    With K > 1, ``x`` has shape (K, B, ...): a ``tf.range`` loop (a ``tf.while_loop`` in a
    graph) takes one batch per iteration. In ``"function"`` and ``"xla"`` the call is a
    ``tf.function`` whose batch dimension is ``None``, traced once for every batch size.
    """

    def each_batch(xs, ys):
        result = one_batch(xs[0], ys[0])
        for i in tf.range(1, steps_per_call):
            # Each step waits for the last one's update; run iterations one after another
            # (a tf.while_loop overlaps up to 10), so a loop without that wait does too.
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            result = one_batch(xs[i], ys[i])
        return result

    call = one_batch if steps_per_call == 1 else each_batch
    if mode == "eager":
        return call
    fused = int(steps_per_call > 1)  # a leading axis of K batches comes before the batch
    signature = [
        tf.TensorSpec((*a.shape[:fused], None, *a.shape[fused + 1 :]), a.dtype) for a in (x, y)
    ]
    return tf.function(call, input_signature=signature, jit_compile=mode == "xla")


class TrainStep:
    """``step(x, y) -> loss``: ``train_step`` on the ``tf.Variable``s it holds, in one mode.

    A model's Dropout layers use the same ``dropout_masks`` at every step."""

    def __init__(self, params, optimizer, mode, steps_per_call, device, activation, loss, model):
        specs, model_state, dropout_masks = model or (None, None, None)
        masks = None
        self.mode, self.steps_per_call = mode, steps_per_call
        self.device = None if device is None else f"/{device.upper()}:0"
        with self._placed():
            self.params = {
                name: value if isinstance(value, tf.Variable) else tf.Variable(value)
                for name, value in params.items()
            }
            self.state = optimizer.init(self.params)
            if specs is not None:
                moving = {
                    name: value if isinstance(value, tf.Variable) else tf.Variable(value, False)
                    for name, value in model_state.items()
                }
                self.state = (self.state, moving)
                dtype = next(iter(self.params.values())).dtype
                masks = {name: tf.constant(m, dtype) for name, m in (dropout_masks or {}).items()}
        self.compiled = None  # the tf.function, from the first call on

        def one_step(x, y):
            return train_step(
                self.params, self.state, x, y, optimizer, activation, loss, specs, masks
            )[2]

        self._one_step = one_step
        self._call = None

    def _placed(self):
        return contextlib.nullcontext() if self.device is None else tf.device(self.device)

    def __call__(self, x, y):
        with self._placed():
            x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
            if self._call is None:
                self._call = compile_step(self._one_step, self.mode, self.steps_per_call, x, y)
                self.compiled = None if self.mode == "eager" else self._call
            return self._call(x, y)

    def on_device(self, *arrays):
        """The arrays as tensors on the step's device, so a call copies nothing."""
        with self._placed():
            return tuple(tf.constant(array) for array in arrays)

    def weights(self):
        """The current weights, as NumPy arrays."""
        return {name: value.numpy() for name, value in self.params.items()}

    def model_state(self):
        """A model's current moving statistics, as NumPy arrays (empty for the MLP)."""
        return (
            {} if isinstance(self.state, dict) else {k: v.numpy() for k, v in self.state[1].items()}
        )

    @property
    def trace_count(self):
        return 0 if self.compiled is None else self.compiled.experimental_get_tracing_count()


def make_train_step(
    params,
    optimizer,
    *,
    mode="function",
    steps_per_call=1,
    device=None,
    replicas=1,
    activation="relu",
    loss="softmax_cross_entropy",
    model=None,
    model_state=None,
    dropout_masks=None,
):
    """A step starting from ``params`` with a fresh ``optimizer.init`` state.

    ``params``: NumPy arrays (copied into new ``tf.Variable``s) or ``tf.Variable``s
    (trained in place). ``mode``: one of ``MODES``. ``device``: ``"cpu"``, ``"gpu"``
    or ``None`` (TensorFlow's choice). ``replicas``: the data-parallel modes' device
    count; they place the replicas themselves and ignore ``device``. ``model``: layer
    specs (``reference.model``) with their ``model_state`` (the moving statistics, NumPy
    arrays or ``tf.Variable``s) and ``dropout_masks``; ``None`` is the MLP.
    """
    model = check_model_options(model, model_state, dropout_masks, mode, DATA_PARALLEL_MODES)
    check_step_options(mode, MODES, DATA_PARALLEL_MODES, steps_per_call, replicas)
    check_names(activation, loss)
    if device is not None:
        check_choice("device", device, ("cpu", "gpu"))
    if mode == "mirrored":
        weights = {name: np.asarray(value) for name, value in params.items()}
        return distributed.DataParallelTrainStep(
            distributed.mirrored_strategy(int(replicas)),
            weights,
            optimizer,
            dtype=next(iter(weights.values())).dtype,
            activation=activation,
            loss=loss,
        )
    return TrainStep(params, optimizer, mode, int(steps_per_call), device, activation, loss, model)


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
    """Train ``params`` (``tf.Variable``s trained in place, or NumPy arrays copied into new
    ones); returns ``(params, history)`` with the ``tf.Variable``s.

    The batches are the oracle's (``reference.training.batches``): the same seed
    gives the same shuffle order as ``reference.training.fit``.
    """
    check_fit(params, x, y, optimizer, batch_size, epochs, seed, activation, loss)
    x, y = np.asarray(x), np.asarray(y)
    x = x.astype(tf.as_dtype(params["dense_0/kernel"].dtype).as_numpy_dtype)
    step = make_train_step(params, optimizer, mode=mode, activation=activation, loss=loss)
    history = []
    for step_index, index in enumerate(batches(len(x), batch_size, epochs, seed)):
        loss_value = float(step(x[index], y[index]))
        check_finite(loss_value, step_index, optimizer, history)
        history.append(loss_value)
    return step.params, history
