"""The training loop in JAX, with a ``jax.jit``-compiled step.

The same three functions as ``reference.training``: ``train_step`` (one step, the
oracle's lines, pure), ``make_train_step`` (a ``TrainStep`` holding the weights and
optimizer state, ``step(x, y) -> loss``: the one way gdkit builds a step) and
``fit``. The modes:

- ``mode="jit"``: ``train_step`` compiled by ``jax.jit`` (``CompiledStep``);
- ``mode="sharded"``: the data-parallel step with the batch sharded over
  ``replicas`` devices (``jax_impl.distributed``).

JAX's functions are pure, so a ``TrainStep`` is a carry around a pure compiled
function, ``step.compiled(params, state, x, y) -> (params, state, loss)``, which
takes any weights and state (a test can start it from the oracle's).

Tracing. The compiled function is traced and compiled once per distinct input
shape: over a run with a fixed batch size that is once (``step.trace_count == 1``);
``fit`` with a batch size that does not divide the data adds one more compile for
the smaller last batch.

Fused steps. ``steps_per_call=K`` runs K training steps inside one compiled call:
``xs`` has shape (K, B, ...), ``ys`` (K, B, ...), and ``jax.lax.scan`` carries
(params, state) through them, returning the last loss. A jitted call costs only a
few microseconds here, but fusing still removes K − 1 dispatches and host syncs.
``compile_step`` is that loop and the compilation, in one place: ``bench.parts``
times the pieces of a step through it too.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jax_impl import distributed, mlp
from jax_impl import model as layer_model
from reference.errors import check_choice
from reference.training import batches, check_finite, check_model_options, check_step_options
from reference.validation import check_fit, check_names

MODES = ("jit", "sharded")
DATA_PARALLEL_MODES = ("sharded",)


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

    ``model=None`` is the MLP of ``jax_impl.mlp``. A ``model`` given as layer specs
    (``jax_impl.model``) trains in training mode, and its moving statistics ride along:
    ``state`` is then ``(optimizer_state, model_state)``. ``dropout_masks`` are its
    Dropout layers' masks (``reference.model.dropout_masks``).
    """
    if model is None:
        loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
        params, state = optimizer.update(grads, state, params)
        return params, state, loss_value
    optimizer_state, model_state = state
    x = jnp.asarray(x, next(iter(params.values())).dtype)  # as Keras casts a model's inputs
    loss_value, grads, model_state = layer_model.loss_and_grads(
        model, params, model_state, x, y, True, dropout_masks, loss
    )
    params, optimizer_state = optimizer.update(grads, optimizer_state, params)
    return params, (optimizer_state, model_state), loss_value


class CompiledStep:
    """``call(params, state, x, y) -> (params, state, result)``: ``one_batch``, of the same
    signature, on each of the K batches of a call, compiled by ``jax.jit``.

    With K > 1, ``x`` has shape (K, B, ...) and ``jax.lax.scan`` carries
    (params, state, result) from one batch to the next; the call returns the last.
    """

    def __init__(self, one_batch, steps_per_call):
        self.trace_count = 0

        def traced(params, state, x, y):
            self.trace_count += 1  # Python runs this only while tracing
            if steps_per_call == 1:
                return one_batch(params, state, x, y)

            def next_batch(carry, batch):
                params, state, _ = carry
                return one_batch(params, state, *batch), None

            first = one_batch(params, state, x[0], y[0])
            return jax.lax.scan(next_batch, first, (x[1:], y[1:]))[0]

        self._jitted = jax.jit(traced)

    def __call__(self, params, state, x, y):
        return self._jitted(params, state, x, y)


def compile_step(one_batch, steps_per_call):
    """``one_batch(params, state, x, y) -> (params, state, result)`` over the K batches of
    a call, compiled: a ``CompiledStep``."""
    return CompiledStep(one_batch, steps_per_call)


class TrainStep:
    """``step(x, y) -> loss``: a compiled pure step, carrying the weights and state."""

    def __init__(self, params, optimizer, compiled, device, model_state=None):
        self.device = None if device is None else jax.devices(device)[0]
        self.params = self._placed({name: jnp.asarray(value) for name, value in params.items()})
        self.state = self._placed(optimizer.init(self.params))
        if model_state is not None:
            moving = {name: jnp.asarray(value) for name, value in model_state.items()}
            self.state = (self.state, self._placed(moving))
        self.compiled = compiled

    def _placed(self, tree):
        return tree if self.device is None else jax.device_put(tree, self.device)

    def __call__(self, x, y):
        self.params, self.state, loss_value = self.compiled(self.params, self.state, x, y)
        return loss_value

    def on_device(self, *arrays):
        """The arrays on the step's device, so a call copies nothing."""
        if isinstance(self.compiled, distributed.DataParallelTrainStep):
            return arrays  # each call shards the batch over the replicas itself
        return tuple(self._placed(jnp.asarray(array)) for array in arrays)

    def weights(self):
        """The current weights, as NumPy arrays."""
        return {name: np.asarray(value) for name, value in self.params.items()}

    def model_state(self):
        """A model's current moving statistics, as NumPy arrays (empty for the MLP)."""
        return (
            {}
            if isinstance(self.state, dict)
            else {k: np.asarray(v) for k, v in self.state[1].items()}
        )

    @property
    def trace_count(self):
        return self.compiled.trace_count


def make_train_step(
    params,
    optimizer,
    *,
    mode="jit",
    steps_per_call=1,
    device=None,
    replicas=1,
    activation="relu",
    loss="softmax_cross_entropy",
    model=None,
    model_state=None,
    dropout_masks=None,
):
    """A step starting from ``params`` (NumPy or JAX arrays) with a fresh ``optimizer.init``.

    ``mode``: one of ``MODES``. ``device``: ``"cpu"``, ``"gpu"`` or ``None`` (JAX's
    default). ``replicas``: the data-parallel mode's device count; it places the
    replicas itself and ignores ``device``. ``model``: layer specs (``reference.model``)
    with their ``model_state`` (the moving statistics) and ``dropout_masks``; ``None`` is
    the MLP.
    """
    model = check_model_options(model, model_state, dropout_masks, mode, DATA_PARALLEL_MODES)
    check_step_options(mode, MODES, DATA_PARALLEL_MODES, steps_per_call, replicas)
    check_names(activation, loss)
    if device is not None:
        check_choice("device", device, ("cpu", "gpu"))
    if mode == "sharded":
        mesh = distributed.data_mesh(int(replicas))
        compiled = distributed.DataParallelTrainStep(mesh, optimizer, activation, loss)
        return TrainStep(params, optimizer, compiled, device=None)

    specs, model_state, dropout_masks = model or (None, None, None)
    dtype = jnp.result_type(next(iter(params.values())))
    masks = {name: jnp.asarray(m, dtype) for name, m in (dropout_masks or {}).items()} or None

    def one_step(params, state, x, y):
        return train_step(params, state, x, y, optimizer, activation, loss, specs, masks)

    compiled = compile_step(one_step, int(steps_per_call))
    return TrainStep(params, optimizer, compiled, device, model_state)


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
    check_fit(params, x, y, optimizer, batch_size, epochs, seed, activation, loss)
    dtype = params["dense_0/kernel"].dtype
    x, y = np.asarray(x).astype(dtype), np.asarray(y)
    step = make_train_step(params, optimizer, activation=activation, loss=loss)
    history = []
    for step_index, index in enumerate(batches(len(x), batch_size, epochs, seed)):
        loss_value = float(step(x[index], y[index]))
        check_finite(loss_value, step_index, optimizer, history)
        history.append(loss_value)
    return step.params, history
