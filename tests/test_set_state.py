"""``optimizers.set_state``: a textbook's worked example (a given velocity, t = 5) in three lines.

The same example in the three backends, against the update written out by hand.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from bench import tolerances
from jax_impl import optimizers as jax_optimizers
from reference import optimizers as reference_optimizers
from tf_impl import optimizers as tf_optimizers

THETA = np.array([1.0, -2.0, 0.5])
GRAD = np.array([0.25, 0.5, -1.0])
VELOCITY = np.array([0.125, -0.0625, 0.5])
SECOND_MOMENT = np.array([0.5, 0.25, 2.0])


def _step(module, name, hyper, slots):
    """Three lines, as a reader would write them, in ``module``'s own arrays."""
    with jax.enable_x64(True):
        if module is tf_optimizers:
            params, grads = {"w": tf.Variable(THETA)}, {"w": tf.constant(GRAD)}
        elif module is jax_optimizers:
            params, grads = {"w": jnp.asarray(THETA)}, {"w": jnp.asarray(GRAD)}
        else:
            params, grads = {"w": THETA}, {"w": GRAD}
        optimizer = module.get(name, **hyper)
        state = module.set_state(optimizer.init(params), step=5, slots={"w": slots})
        params, state = optimizer.update(grads, state, params)
        return np.asarray(params["w"]), int(state["step"])


BACKENDS = [reference_optimizers, tf_optimizers, jax_optimizers]


@pytest.mark.parametrize("module", BACKENDS, ids=lambda m: m.__name__)
def test_momentum_from_a_given_velocity_matches_the_worked_example(module):
    theta, step = _step(
        module, "sgd", {"learning_rate": 0.1, "momentum": 0.9}, {"velocity": VELOCITY}
    )
    velocity = 0.9 * VELOCITY - 0.1 * GRAD  # Keras's form: η inside the velocity
    np.testing.assert_allclose(theta, THETA + velocity, rtol=tolerances.FLOAT64, atol=0)
    assert step == 6


@pytest.mark.parametrize("module", BACKENDS, ids=lambda m: m.__name__)
def test_adam_after_five_steps_bias_corrects_with_t_6(module):
    slots = {"momentum": VELOCITY, "velocity": SECOND_MOMENT}
    theta, _ = _step(module, "adam", {"learning_rate": 0.01}, slots)
    momentum = VELOCITY + 0.1 * (GRAD - VELOCITY)
    second = SECOND_MOMENT + 0.001 * (GRAD * GRAD - SECOND_MOMENT)
    alpha = 0.01 * np.sqrt(1 - 0.999**6) / (1 - 0.9**6)
    expected = THETA - alpha * momentum / (np.sqrt(second) + 1e-7)
    np.testing.assert_allclose(theta, expected, rtol=tolerances.FLOAT64, atol=0)


def test_the_oracle_leaves_the_given_state_alone():
    optimizer = reference_optimizers.get("sgd", momentum=0.9)
    state = optimizer.init({"w": THETA})
    reference_optimizers.set_state(state, step=5, slots={"w": {"velocity": VELOCITY}})
    assert state["step"] == 0
    np.testing.assert_array_equal(state["slots"]["w"]["velocity"], np.zeros(3))


@pytest.mark.parametrize("module", BACKENDS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "step, slots, message",
    [
        (-1, None, "step=-1 is not allowed"),
        (2.5, None, "step=2.5 is not allowed"),
        (None, {"v": {"velocity": VELOCITY}}, "slots has 'v', not a parameter"),
        (None, {"w": {"momentum": VELOCITY}}, "'momentum', not a slot of this optimizer"),
        (None, {"w": {"velocity": VELOCITY[:2]}}, r"has shape \(2,\): need \(3,\)"),
    ],
)
def test_bad_state_values_are_refused_alike(module, step, slots, message):
    with jax.enable_x64(True):
        params = {"w": tf.Variable(THETA)} if module is tf_optimizers else {"w": THETA}
        state = module.get("sgd", momentum=0.9).init(params)
        with pytest.raises(ValueError, match=message):
            module.set_state(state, step=step, slots=slots)
