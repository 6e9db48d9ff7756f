"""Each backend trained on one fixed problem, step by step, from the same starting weights.

A trajectory is a generator of the parameters (NumPy arrays) after steps 1, 2, ...:
two of them are compared as they go (``bench.metrics.worst_difference``), so a long
run never holds more than one step of each. ``oracle_snapshots`` keeps a whole short
trajectory, with the optimizer's state, for tests that restart a backend from it.

Polyak SGD needs the loss at each step and noisy SGD its noise (``update(..., loss=,
noise=)``); each backend's trajectory gives them: the loss is the backend's own, the
noise one input for all (``noise_draws``).
"""

import collections
import functools
import itertools

import numpy as np

from bench.cases import CASES, EXTRA_INPUT_CASES
from reference import data, mlp

SIZES = (8, 16, 4)
BATCH = 32


def problem(dtype=np.float64):
    """The fixed problem of every trajectory: an 8 → 16 → 4 MLP on Gaussian blobs."""
    x, y = data.classification_problem(BATCH, SIZES[0], SIZES[-1], seed=1, dtype=dtype)
    params = mlp.init_params(SIZES, seed=0, dtype=dtype)
    return params, x, y


# The optimizers whose update takes more than gradients: ``loss=`` (Polyak SGD), ``noise=``
# (noisy SGD). A backend's training step takes a batch only, so they run a loop of their own.
EXTRA_INPUT_OPTIMIZERS = frozenset(case.optimizer for case in EXTRA_INPUT_CASES.values())


def noise_draws(case, params):
    """The noise of each step of ``case``: one input for every backend, so they agree exactly.

    For noisy SGD, optax's own draws (NumPy arrays shaped and typed like ``params``): the
    key of ``case.optax``, split once a step as ``optax.add_noise`` does, so optax, which
    draws for itself, agrees too. It needs optax. For every other optimizer, None.
    """
    if case.optimizer != "noisy_sgd":
        return itertools.repeat(None)
    return _optax_noise(case, params)


def _optax_noise(case, params):
    import jax
    import optax

    with jax.enable_x64(True):
        key = case.optax(optax).init(params)[0].rng_key  # the state of optax.add_noise
    while True:
        with jax.enable_x64(True):  # around each step: the caller runs between two
            key, sample_key = jax.random.split(key)
            noise = optax.tree.random_like(sample_key, params, jax.random.normal)
        yield {name: np.asarray(value) for name, value in noise.items()}


def final(trajectory):
    """The last parameters of a trajectory."""
    return collections.deque(trajectory, maxlen=1)[0]


def oracle_states(case, steps=None, dtype="float64"):
    """The oracle's ``(params, state)`` at the start of ``case``, then after each step."""
    from reference import optimizers, schedules

    params, x, y = problem(np.dtype(dtype))
    optimizer = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
    state = optimizer.init(params)
    noises = noise_draws(case, params)
    yield params, state
    for _ in range(steps or case.steps_for(dtype)):
        loss, grads = mlp.loss_and_grads(params, x, y)
        params, state = optimizer.update(grads, state, params, loss=loss, noise=next(noises))
        yield params, state


def oracle_trajectory(case, steps=None, dtype="float64"):
    states = oracle_states(case, steps, dtype)
    next(states)  # the start
    for params, _ in states:
        yield params


@functools.cache
def oracle_snapshots(case_id, dtype="float64", steps=None):
    """``oracle_states`` of a case in ``CASES``, kept: index k is after k steps (0: the start)."""
    return list(oracle_states(CASES[case_id], steps, dtype))


def tf_start(case, dtype="float64", mode="function"):
    """``(step, x, y)``: a tf_impl training step at the oracle's starting point."""
    from tf_impl import optimizers, schedules, training

    params, x, y = problem(np.dtype(dtype))
    optimizer = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
    return training.make_train_step(params, optimizer, mode=mode), x, y


def run(step, x, y, steps):
    """A training step's trajectory: the weights after each of ``steps`` calls."""
    for _ in range(steps):
        step(x, y)
        yield step.weights()


def tf_trajectory(case, steps=None, dtype="float64", mode="function"):
    if case.optimizer in EXTRA_INPUT_OPTIMIZERS:
        return _tf_with_extra_inputs(case, steps or case.steps_for(dtype), dtype, mode)
    step, x, y = tf_start(case, dtype, mode)
    return run(step, x, y, steps or case.steps_for(dtype))


def _tf_with_extra_inputs(case, steps, dtype, mode):
    """tf_impl's gradient and update, the loss and ``noise_draws`` passed on, in ``mode``."""
    import tensorflow as tf

    from tf_impl import mlp as tf_mlp
    from tf_impl import optimizers, schedules

    params, x, y = problem(np.dtype(dtype))
    variables = {name: tf.Variable(value) for name, value in params.items()}
    optimizer = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
    state = optimizer.init(variables)

    def step(x, y, noise):
        loss, grads = tf_mlp.loss_and_grads(variables, x, y)
        optimizer.update(grads, state, variables, loss=loss, noise=noise)

    if mode != "eager":
        step = tf.function(step, jit_compile=mode == "xla")
    x, y = tf.constant(x), tf.constant(y)
    for noise in itertools.islice(noise_draws(case, params), steps):
        if noise is not None:
            noise = {name: tf.constant(value) for name, value in noise.items()}
        step(x, y, noise)
        yield {name: variable.numpy() for name, variable in variables.items()}


def jax_start(case, dtype="float64"):
    """``(step, x, y)``: a jitted jax_impl training step at the oracle's starting point.
    Call it inside ``jax.enable_x64(dtype == "float64")``."""
    from jax_impl import optimizers, schedules, training

    params, x, y = problem(np.dtype(dtype))
    optimizer = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
    return training.make_train_step(params, optimizer), x, y


def jax_trajectory(case, steps=None, dtype="float64"):
    if case.optimizer in EXTRA_INPUT_OPTIMIZERS:
        yield from _jax_with_extra_inputs(case, steps or case.steps_for(dtype), dtype)
        return
    import jax

    x64 = dtype == "float64"
    with jax.enable_x64(x64):
        step, x, y = jax_start(case, dtype)
    for _ in range(steps or case.steps_for(dtype)):
        with jax.enable_x64(x64):  # around each step: the caller runs between two
            step(x, y)
        yield step.weights()


def _jax_with_extra_inputs(case, steps, dtype):
    """jax_impl's gradient and update, jitted, the loss and ``noise_draws`` passed on."""
    import jax

    from jax_impl import mlp as jax_mlp
    from jax_impl import optimizers, schedules

    x64 = dtype == "float64"
    start, x, y = problem(np.dtype(dtype))
    with jax.enable_x64(x64):
        optimizer = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
        params = {name: jax.numpy.asarray(value) for name, value in start.items()}
        state = optimizer.init(params)

        @jax.jit
        def step(params, state, x, y, noise):
            loss, grads = jax_mlp.loss_and_grads(params, x, y)
            return optimizer.update(grads, state, params, loss=loss, noise=noise)

    for noise in itertools.islice(noise_draws(case, start), steps):
        with jax.enable_x64(x64):  # around each step: the caller runs between two
            params, state = step(params, state, x, y, noise)
        yield {name: np.asarray(value) for name, value in params.items()}


def keras_schedule_in(dtype):
    """``schedules.get`` for Keras, computing in ``dtype``: Keras computes a schedule in the
    precision of its arguments (docs/conventions.md §4.1), so floats are given as ``dtype``
    scalars."""
    from bench.keras_bridge import keras_schedule

    def scalar(value):
        if isinstance(value, list):
            return [scalar(v) for v in value]
        return np.dtype(dtype).type(value) if isinstance(value, float) else value

    def get(name, **arguments):
        if name == "polynomial_decay":  # else Keras casts its default 1e-4 through float32
            arguments.setdefault("end_learning_rate", 1e-4)
        return keras_schedule(name, {k: scalar(v) for k, v in arguments.items()})

    return get


def keras_trajectory(case, steps=None, dtype="float64"):
    """``keras.optimizers`` on Keras variables, each gradient the oracle's."""
    from bench.keras_bridge import KerasRunner, floatx, keras_optimizer

    params, x, y = problem(np.dtype(dtype))
    with floatx(dtype):
        hyper = case.hyperparameters_for(keras_schedule_in(dtype))
        runner = KerasRunner(case.optimizer, keras_optimizer(case.optimizer, hyper), params)
    for _ in range(steps or case.steps_for(dtype)):
        _, grads = mlp.loss_and_grads(params, x, y)
        with floatx(dtype):
            params = runner.apply(grads)
        yield params


def optax_trajectory(case, steps=None):
    """optax's transform ``case.optax``, each gradient the oracle's, in float64 under x64;
    Polyak SGD is given the oracle's loss (optax's ``value=``), noisy SGD draws its own noise
    (the ``noise_draws`` of the others)."""
    import jax
    import optax

    params, x, y = problem()
    with jax.enable_x64(True):
        transform = case.optax(optax)
        state = transform.init(params)
        update = jax.jit(transform.update)
    for _ in range(steps or case.steps):
        loss, grads = mlp.loss_and_grads(params, x, y)
        extra_inputs = {"value": loss} if case.optimizer in EXTRA_INPUT_OPTIMIZERS else {}
        with jax.enable_x64(True):  # around each step: the caller runs between two
            updates, state = update(grads, state, params, **extra_inputs)
            new_params = optax.apply_updates(params, updates)
        params = {k: np.asarray(v) for k, v in new_params.items()}
        yield params
