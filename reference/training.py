"""The training loop: one step, and batch / stochastic / mini-batch gradient descent.

Three functions, the same in ``reference``, ``tf_impl`` and ``jax_impl``:

- ``train_step(params, state, x, y, optimizer)``: forward, backward, update, once;
- ``make_train_step(params, optimizer, *, mode, steps_per_call, device, replicas)``:
  a ``TrainStep`` that holds the weights and the optimizer state and runs
  ``train_step`` on them, ``step(x, y) -> loss``. It is the one way gdkit builds a
  step: ``fit``, the benchmark, ``gdkit check`` and the lab all go through it;
- ``fit``: the loop over the data.

NumPy runs one operation at a time, so its only mode is ``"eager"``, on the CPU.

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
from reference import model as layer_model
from reference.errors import NonFiniteLossError, check_choice, check_range, non_finite_loss_message
from reference.validation import check_fit, check_names

MODES = ("eager",)
DATA_PARALLEL_MODES = ()


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

    ``model=None`` is the MLP of ``reference.mlp``. A ``model`` given as layer specs
    (``reference.model``) trains in training mode, and its moving statistics ride along:
    ``state`` is then ``(optimizer_state, model_state)``. ``dropout_masks`` are its
    Dropout layers' masks (``reference.model.dropout_masks``).
    """
    if model is None:
        loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
        params, state = optimizer.update(grads, state, params)
        return params, state, loss_value
    optimizer_state, model_state = state
    loss_value, grads, model_state = layer_model.loss_and_grads(
        model, params, model_state, x, y, True, dropout_masks, loss
    )
    params, optimizer_state = optimizer.update(grads, optimizer_state, params)
    return params, (optimizer_state, model_state), loss_value


def check_step_options(mode, modes, data_parallel_modes, steps_per_call, replicas):
    """The checks ``make_train_step`` makes in every backend, before anything is built."""
    check_choice("mode", mode, modes)
    check_range("steps_per_call", steps_per_call, low=1)
    check_range("replicas", replicas, low=1)
    for name, value in (("steps_per_call", steps_per_call), ("replicas", replicas)):
        if int(value) != value:
            raise ValueError(f"{name}={value!r} is not allowed: need a positive integer.")
    if mode in data_parallel_modes and steps_per_call != 1:
        raise ValueError(
            f"steps_per_call={steps_per_call!r} is not allowed with mode {mode!r}: need 1."
        )
    if mode not in data_parallel_modes and replicas != 1:
        allowed = ", ".join(data_parallel_modes) or "none in this backend"
        raise ValueError(
            f"replicas={replicas!r} is not allowed with mode {mode!r}: "
            f"only the data-parallel modes ({allowed}) take replicas."
        )


def compile_step(one_batch, steps_per_call):
    """``call(params, state, x, y) -> (params, state, result)``: ``one_batch``, of the same
    signature, on each of the K batches of a call; returns the last result.

    With K > 1, ``x`` has shape (K, B, ...). NumPy compiles nothing: this is the loop
    that the twins' ``compile_step`` puts inside one compiled call.
    """
    if steps_per_call == 1:
        return one_batch

    def each_batch(params, state, xs, ys):
        for x, y in zip(xs, ys, strict=True):
            params, state, result = one_batch(params, state, x, y)
        return params, state, result

    return each_batch


class TrainStep:
    """``step(x, y) -> loss``: ``train_step`` on the weights and state it holds.

    With ``steps_per_call=K``, ``x`` has shape (K, B, ...) and ``y`` (K, B, ...): the
    call makes K steps, one per batch, and returns the last loss. A model's Dropout
    layers use the same ``dropout_masks`` at every step.
    """

    trace_count = 0  # NumPy traces nothing
    compiled = None

    def __init__(self, params, optimizer, steps_per_call, activation, loss, model=None):
        specs, model_state, dropout_masks = model or (None, None, None)
        self.params = {name: np.asarray(value) for name, value in params.items()}
        self.state = optimizer.init(self.params)
        if specs is not None:
            self.state = (self.state, {name: np.asarray(v) for name, v in model_state.items()})

        def one_step(params, state, x, y):
            return train_step(
                params, state, x, y, optimizer, activation, loss, specs, dropout_masks
            )

        self._call = compile_step(one_step, steps_per_call)

    def __call__(self, x, y):
        # Overflow turns the loss non-finite; the caller reports it (``fit``: check_finite).
        with np.errstate(over="ignore", invalid="ignore"):
            self.params, self.state, loss_value = self._call(self.params, self.state, x, y)
        return loss_value

    def on_device(self, *arrays):
        """The arrays where the step reads them: NumPy, on the CPU."""
        return tuple(np.asarray(array) for array in arrays)

    def weights(self):
        """The current weights, as NumPy arrays."""
        return {name: np.array(value) for name, value in self.params.items()}

    def model_state(self):
        """A model's current moving statistics, as NumPy arrays (empty for the MLP)."""
        return {} if isinstance(self.state, dict) else dict(self.state[1])


def make_train_step(
    params,
    optimizer,
    *,
    mode="eager",
    steps_per_call=1,
    device=None,
    replicas=1,
    activation="relu",
    loss="softmax_cross_entropy",
    model=None,
    model_state=None,
    dropout_masks=None,
):
    """A ``TrainStep`` starting from ``params`` with a fresh ``optimizer.init`` state.

    ``mode`` is one of ``MODES``; ``device`` is ``None`` or ``"cpu"``; ``replicas``
    belongs to the data-parallel modes, which NumPy does not have
    (``reference.distributed.train_step`` writes that step out). ``model``: layer specs
    (``reference.model``) with their ``model_state`` (the moving statistics, ``{}`` when
    there are none) and ``dropout_masks``; ``None`` is the MLP.
    """
    model = check_model_options(model, model_state, dropout_masks, mode, DATA_PARALLEL_MODES)
    check_step_options(mode, MODES, DATA_PARALLEL_MODES, steps_per_call, replicas)
    check_names(activation, loss)
    if device is not None:
        check_choice("device", device, ("cpu",))
    return TrainStep(params, optimizer, int(steps_per_call), activation, loss, model)


def check_model_options(model, model_state, dropout_masks, mode, data_parallel_modes):
    """``(specs, model_state, dropout_masks)`` for a model, ``None`` for the MLP; the same
    checks in every backend."""
    if model is None:
        if model_state is not None or dropout_masks is not None:
            raise ValueError(
                "model_state and dropout_masks belong to a model: give model=<layer specs>."
            )
        return None
    layer_model.layer_names(model)  # every kind known
    if mode in data_parallel_modes:
        raise ValueError(
            f"model=<layer specs> is not allowed with mode {mode!r}: the data-parallel "
            "modes train the MLP (reference.model_data_parallel has the model's step)."
        )
    layer_model.check_dropout_masks(model, layer_model.layer_names(model), True, dropout_masks)
    if model_state is None and any(kind == "batch_normalization" for kind, _ in model):
        raise ValueError(
            "model_state is None, but the model has batch normalization: give its moving "
            "statistics (the state from init_params)."
        )
    return tuple(model), dict(model_state or {}), dropout_masks


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
    check_fit(params, x, y, optimizer, batch_size, epochs, seed, activation, loss)
    step = make_train_step(params, optimizer, activation=activation, loss=loss)
    history = []
    for step_index, index in enumerate(batches(len(x), batch_size, epochs, seed)):
        loss_value = float(step(x[index], y[index]))
        check_finite(loss_value, step_index, optimizer, history)
        history.append(loss_value)
    return step.params, history
