"""``loss_scale_factor``: gradients of a loss scaled by s are divided by s before clipping.

As Keras's ``BaseOptimizer.apply`` does. Each run is fed the gradients of the loss
times s = 3, at its own parameters; the oracle against Keras over 100 float64 steps,
against itself unscaled, and against tf_impl and jax_impl.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from bench import tolerances
from bench.cases import LR
from bench.metrics import worst_difference
from bench.trajectories import problem
from jax_impl import optimizers as jax_optimizers
from reference import mlp
from reference import optimizers as reference_optimizers
from tf_impl import optimizers as tf_optimizers

SCALE = 3.0
HYPER = {
    "learning_rate": LR,
    "beta_1": 0.75,
    "beta_2": 0.875,
    "epsilon": 2.0**-16,
    "clipnorm": 0.125,  # the clip sees the unscaled gradient
}
STEPS = 100
TWIN_STEPS = 20  # the twins run eagerly here


def scaled_grads(params, x, y, scale):
    _, grads = mlp.loss_and_grads({k: np.asarray(v) for k, v in params.items()}, x, y)
    return {k: g * scale for k, g in grads.items()}


def oracle_run(scale, steps=STEPS, **hyper):
    params, x, y = problem()
    optimizer = reference_optimizers.get("adam", **HYPER, **hyper)
    state = optimizer.init(params)
    for _ in range(steps):
        params, state = optimizer.update(scaled_grads(params, x, y, scale), state, params)
        yield params


def keras_run():
    from bench.keras_bridge import KerasRunner, floatx, keras_optimizer

    params, x, y = problem()
    with floatx("float64"):
        optimizer = keras_optimizer("adam", {**HYPER, "loss_scale_factor": SCALE})
        runner = KerasRunner("adam", optimizer, params)
    for _ in range(STEPS):
        grads = scaled_grads(params, x, y, SCALE)
        with floatx("float64"):
            params = runner.apply(grads)
        yield params


def twin_run(module):
    params, x, y = problem()
    with jax.enable_x64(True):
        if module is tf_optimizers:
            params = {k: tf.Variable(v) for k, v in params.items()}
        else:
            params = {k: jnp.asarray(v) for k, v in params.items()}
        optimizer = module.get("adam", **HYPER, loss_scale_factor=SCALE)
        state = optimizer.init(params)
        for _ in range(TWIN_STEPS):
            grads = scaled_grads({k: np.asarray(v) for k, v in params.items()}, x, y, SCALE)
            params, state = optimizer.update(grads, state, params)
            yield {k: np.asarray(v) for k, v in params.items()}


def test_oracle_matches_keras_float64_100_steps():
    got = oracle_run(SCALE, loss_scale_factor=SCALE)
    difference = worst_difference(got, keras_run(), ("the oracle", "keras"))
    assert difference <= tolerances.FLOAT64


def test_scaled_and_unscaled_runs_agree():
    scaled = oracle_run(SCALE, loss_scale_factor=SCALE)
    difference = worst_difference(scaled, oracle_run(1.0), ("scaled", "unscaled"))
    assert difference <= tolerances.FLOAT64


def test_without_the_factor_the_scaled_gradients_move_elsewhere():
    """The checks above can fail: ignoring s changes the run."""
    ignored = oracle_run(SCALE)
    with pytest.raises(AssertionError):
        assert worst_difference(ignored, oracle_run(1.0), ("ignored", "unscaled")) <= 1e-6


@pytest.mark.parametrize("module", [tf_optimizers, jax_optimizers], ids=lambda m: m.__name__)
def test_twins_match_the_oracle(module):
    expected = oracle_run(SCALE, TWIN_STEPS, loss_scale_factor=SCALE)
    difference = worst_difference(twin_run(module), expected, (module.__name__, "the oracle"))
    assert difference <= tolerances.FLOAT64


def test_a_zero_factor_is_refused():
    with pytest.raises(ValueError, match="loss_scale_factor=0 is not allowed"):
        reference_optimizers.get("adam", loss_scale_factor=0)
