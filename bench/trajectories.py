"""Each backend trained on one fixed problem, step by step, from the same starting weights.

A trajectory is a generator of the parameters (NumPy arrays) after steps 1, 2, ...:
two of them are compared as they go (``bench.metrics.worst_difference``), so a long
run never holds more than one step of each. ``oracle_snapshots`` keeps a whole short
trajectory, with the optimizer's state, for tests that restart a backend from it.
"""

import collections
import functools

import numpy as np

from bench.cases import CASES
from reference import data, mlp

SIZES = (8, 16, 4)
BATCH = 32


def problem(dtype=np.float64):
    """The fixed problem of every trajectory: an 8 → 16 → 4 MLP on Gaussian blobs."""
    x, y = data.classification_problem(BATCH, SIZES[0], SIZES[-1], seed=1, dtype=dtype)
    params = mlp.init_params(SIZES, seed=0, dtype=dtype)
    return params, x, y


def final(trajectory):
    """The last parameters of a trajectory."""
    return collections.deque(trajectory, maxlen=1)[0]


def oracle_states(case, steps=None, dtype="float64"):
    """The oracle's ``(params, state)`` at the start of ``case``, then after each step."""
    from reference import optimizers, schedules

    params, x, y = problem(np.dtype(dtype))
    optimizer = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
    state = optimizer.init(params)
    yield params, state
    for _ in range(steps or case.steps_for(dtype)):
        _, grads = mlp.loss_and_grads(params, x, y)
        params, state = optimizer.update(grads, state, params)
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
    step, x, y = tf_start(case, dtype, mode)
    return run(step, x, y, steps or case.steps_for(dtype))


def jax_start(case, dtype="float64"):
    """``(step, x, y)``: a jitted jax_impl training step at the oracle's starting point.
    Call it inside ``jax.enable_x64(dtype == "float64")``."""
    from jax_impl import optimizers, schedules, training

    params, x, y = problem(np.dtype(dtype))
    optimizer = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
    return training.make_train_step(params, optimizer), x, y


def jax_trajectory(case, steps=None, dtype="float64"):
    import jax

    x64 = dtype == "float64"
    with jax.enable_x64(x64):
        step, x, y = jax_start(case, dtype)
    for _ in range(steps or case.steps_for(dtype)):
        with jax.enable_x64(x64):  # around each step: the caller runs between two
            step(x, y)
        yield step.weights()


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
    """optax's transform ``case.optax``, each gradient the oracle's, in float64 under x64."""
    import jax
    import optax

    params, x, y = problem()
    with jax.enable_x64(True):
        transform = case.optax(optax)
        state = transform.init(params)
        update = jax.jit(transform.update)
    for _ in range(steps or case.steps):
        _, grads = mlp.loss_and_grads(params, x, y)
        with jax.enable_x64(True):  # around each step: the caller runs between two
            updates, state = update(grads, state, params)
            new_params = optax.apply_updates(params, updates)
        params = {k: np.asarray(v) for k, v in new_params.items()}
        yield params
