"""``make_train_step``: one factory per backend, whatever the mode, device or placement."""

import contextlib
import importlib

import numpy as np
import pytest

import jax_impl
from bench import tolerances
from bench.metrics import max_relative_difference
from reference import data
from reference import mlp as reference_mlp

STEPS = 5


def _problem():
    x, y = data.classification_problem(16, 6, 3, seed=3)
    return reference_mlp.init_params((6, 10, 3), seed=0), x, y


def _trained(package, mode, **options):
    training = importlib.import_module(f"{package}.training")
    optimizers = importlib.import_module(f"{package}.optimizers")
    weights, x, y = _problem()
    float64 = jax_impl.float64() if package == "jax_impl" else contextlib.nullcontext()
    with float64:
        step = training.make_train_step(
            weights, optimizers.get("adam", learning_rate=0.01), mode=mode, **options
        )
        x, y = step.on_device(x, y)
        losses = [float(step(x, y)) for _ in range(STEPS)]
        return step.weights(), losses, step.trace_count


@pytest.mark.parametrize(
    "package, single, data_parallel",
    [("tf_impl", "function", "mirrored"), ("jax_impl", "jit", "sharded")],
)
def test_the_data_parallel_mode_with_one_replica_is_the_single_device_step(
    package, single, data_parallel
):
    expected, expected_losses, _ = _trained(package, single)
    got, losses, trace_count = _trained(package, data_parallel, replicas=1)
    # One replica: the all-reduce adds one term scaled by n/B = 1 (measured: 0 in both).
    assert max_relative_difference(got, expected) <= tolerances.SAME_PROGRAM
    np.testing.assert_allclose(losses, expected_losses, rtol=tolerances.SAME_PROGRAM)
    assert trace_count == 1


@pytest.mark.parametrize("package, mode", [("tf_impl", "function"), ("jax_impl", "jit")])
def test_a_step_placed_on_the_cpu_equals_the_default_placement(package, mode):
    default, _, _ = _trained(package, mode)
    on_cpu, _, _ = _trained(package, mode, device="cpu")
    assert max_relative_difference(on_cpu, default) == 0


def test_numpy_weights_are_copied_and_tf_variables_trained_in_place():
    import tensorflow as tf

    from tf_impl import optimizers, training

    weights, x, y = _problem()
    variables = {name: tf.Variable(value) for name, value in weights.items()}
    from_numpy = training.make_train_step(weights, optimizers.get("sgd"), mode="eager")
    from_variables = training.make_train_step(variables, optimizers.get("sgd"), mode="eager")
    from_numpy(x, y)
    from_variables(x, y)
    assert from_variables.params["dense_0/kernel"] is variables["dense_0/kernel"]
    assert max_relative_difference({k: v.numpy() for k, v in variables.items()}, weights) > 0
    assert max_relative_difference(from_numpy.weights(), from_variables.weights()) == 0
    np.testing.assert_array_equal(weights["dense_0/kernel"], _problem()[0]["dense_0/kernel"])


@pytest.mark.parametrize("package", ["reference", "tf_impl", "jax_impl"])
def test_weights_are_a_copy(package):
    training = importlib.import_module(f"{package}.training")
    optimizers = importlib.import_module(f"{package}.optimizers")
    weights, x, y = _problem()
    step = training.make_train_step(weights, optimizers.get("sgd", learning_rate=0.1))
    before = step.weights()
    step(x, y)
    assert max_relative_difference(step.weights(), before) > 0


@pytest.mark.parametrize("package", ["reference", "tf_impl", "jax_impl"])
def test_a_device_that_is_not_one_fails_the_same_way(package):
    training = importlib.import_module(f"{package}.training")
    optimizer = importlib.import_module(f"{package}.optimizers").get("sgd")
    with pytest.raises(ValueError, match="Unknown device 'tpu'"):
        training.make_train_step(_problem()[0], optimizer, device="tpu")
