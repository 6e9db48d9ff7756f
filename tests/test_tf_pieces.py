"""tf_impl's schedules, clipping, training loop, tutorial path and errors."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from bench import tolerances
from bench.cases import SCHEDULES
from bench.keras_bridge import floatx
from bench.metrics import max_relative_difference
from reference import clipping as reference_clipping
from reference import data
from reference import mlp as reference_mlp
from reference import optimizers as reference_optimizers
from reference import schedules as reference_schedules
from tests.fit_runs import LEARNING_RATE, SEED, epochs_for, fit_problem, oracle_fit
from tests.same_errors import (
    assert_non_finite_fit_matches_the_oracle,
    assert_optimizer_errors_match_the_oracle,
)
from tf_impl import clipping, mlp, optimizers, schedules, training, tutorial

SIDES = ("tf_impl", "the oracle")


@pytest.mark.parametrize("schedule_id", list(SCHEDULES))
def test_schedule_matches_oracle_inside_tf_function(schedule_id):
    name, arguments = SCHEDULES[schedule_id].name, SCHEDULES[schedule_id].arguments
    ours = tf.function(schedules.get(name, **arguments))
    oracle = reference_schedules.get(name, **arguments)
    steps = tf.range(201, dtype=tf.int64)
    values = np.array([float(ours(s)) for s in steps])
    expected = np.array([oracle(s) for s in range(201)], dtype=np.float64)
    # Relative to the schedule's peak: a cycle ending at exactly 0 may come out as 1e-17.
    difference = max_relative_difference({name: values}, {name: expected}, sides=SIDES)
    assert difference <= tolerances.SCHEDULE


def test_schedule_matches_keras():
    ours = schedules.get(
        "cosine_decay",
        initial_learning_rate=0.0,
        decay_steps=50,
        warmup_target=0.1,
        warmup_steps=10,
        alpha=0.1,
    )
    theirs = keras.optimizers.schedules.CosineDecay(
        np.float64(0.0), 50, alpha=np.float64(0.1), warmup_target=np.float64(0.1), warmup_steps=10
    )
    for step in range(80):
        assert float(ours(step)) == pytest.approx(
            float(theirs(step)), rel=tolerances.SCHEDULE, abs=1e-300
        )


def _grads():
    rng = np.random.default_rng(0)
    return {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=5) * 0.1}


def test_clipping_matches_oracle_and_tensorflow():
    grads = _grads()
    tf_grads = {k: tf.constant(v) for k, v in grads.items()}
    by_global = clipping.clip_by_global_norm(tf_grads, 1.0)
    tf_global, norm = tf.clip_by_global_norm(list(tf_grads.values()), 1.0)
    oracle_global = reference_clipping.clip_by_global_norm(grads, 1.0)
    for (key, value), theirs in zip(by_global.items(), tf_global, strict=True):
        np.testing.assert_allclose(value, theirs, rtol=tolerances.CLIP, equal_nan=False)
        np.testing.assert_allclose(value, oracle_global[key], rtol=tolerances.CLIP, equal_nan=False)
    assert float(clipping.global_norm(tf_grads)) == pytest.approx(float(norm), rel=tolerances.CLIP)
    for key, value in clipping.clip_by_norm(tf_grads, 0.5).items():
        np.testing.assert_allclose(
            value, tf.clip_by_norm(tf_grads[key], 0.5), rtol=tolerances.CLIP, equal_nan=False
        )
        np.testing.assert_allclose(
            value,
            reference_clipping.clip_by_norm(grads, 0.5)[key],
            rtol=tolerances.CLIP,
            equal_nan=False,
        )
    for key, value in clipping.clip_by_value(tf_grads, 0.2).items():
        np.testing.assert_array_equal(value, tf.clip_by_value(tf_grads[key], -0.2, 0.2))
        np.testing.assert_array_equal(value, reference_clipping.clip_by_value(grads, 0.2)[key])
    assert np.any(np.abs(grads["a"]) > 0.2)  # the clip does bite


def test_global_clip_of_a_non_finite_norm_gives_nan():
    grads = {"a": tf.constant([np.inf, 1.0])}
    assert np.all(np.isnan(clipping.clip_by_global_norm(grads, 1.0)["a"]))
    assert np.all(
        np.isnan(reference_clipping.clip_by_global_norm({"a": np.array([np.inf, 1.0])}, 1.0)["a"])
    )


@pytest.mark.parametrize("mode", ["eager", "function", "xla"])
@pytest.mark.parametrize("batch_size", [None, 1, 12])
def test_fit_follows_the_oracle_shuffle_and_trajectory(batch_size, mode):
    expected, expected_history = oracle_fit(batch_size)
    x, y, weights = fit_problem()
    optimizer = optimizers.get("adam", learning_rate=LEARNING_RATE)
    params, history = training.fit(
        {k: tf.Variable(v) for k, v in weights.items()},
        x,
        y,
        optimizer,
        batch_size,
        epochs_for(batch_size),
        seed=SEED,
        mode=mode,
    )
    np.testing.assert_allclose(
        history, expected_history, rtol=tolerances.LOSS_HISTORY, equal_nan=False
    )
    params = {k: v.numpy() for k, v in params.items()}
    assert max_relative_difference(params, expected, sides=SIDES) <= tolerances.FLOAT64


def test_compiled_step_traces_once_over_100_steps_and_batch_sizes():
    x, y = data.classification_problem(40, 6, 3, seed=2)
    params = mlp.init_params((6, 10, 3), seed=0)
    optimizer = optimizers.get("sgd", learning_rate=0.1)
    step = training.make_train_step(params, optimizer, mode="function")
    for k in range(100):
        size = 32 if k % 3 else 8  # the batch size changes: the None batch dimension absorbs it
        step(x[:size], y[:size])
    assert step.trace_count == 1


def test_non_finite_loss_stops_fit_with_the_oracles_message():
    assert_non_finite_fit_matches_the_oracle(training, mlp, optimizers)


def test_bad_input_fails_as_in_the_oracle():
    assert_optimizer_errors_match_the_oracle(optimizers)
    params = mlp.init_params((3, 2), seed=0)
    optimizer = optimizers.get("adam")
    state = optimizer.init(params)
    with pytest.raises(ValueError, match=r"grads\['dense_0/kernel'\] has shape \(2, 3\)"):
        optimizer.update(
            {"dense_0/kernel": tf.ones((2, 3), tf.float64), "dense_0/bias": tf.ones(2, tf.float64)},
            state,
            params,
        )
    assert int(state["step"]) == 0
    with pytest.raises(ValueError, match="Unknown mode 'jit'"):
        training.make_train_step(params, optimizer, mode="jit")


def _tutorial_run(dtype, keras_optimizer, steps=100):
    x, labels = data.classification_problem(64, 20, 10, seed=3, dtype=dtype)
    y = np.eye(10, dtype=dtype)[labels]
    weights = reference_mlp.init_params((20, 64, 10), seed=0, dtype=dtype)
    model = tutorial.build_model(weights, dtype=np.dtype(dtype).name)
    step = tutorial.make_train_step(model, keras_optimizer, dtype=np.dtype(dtype).name)
    for _ in range(steps):
        step(x, y)
    return tutorial.params_of(model, list(weights)), (weights, x, y)


def _tf_impl_run(weights, x, y, dtype, hyper, steps=100):
    params = {k: tf.Variable(v) for k, v in weights.items()}
    optimizer = optimizers.get("adam", **hyper)
    step = training.make_train_step(params, optimizer, mode="function")
    for _ in range(steps):
        step(x, y)
    return {k: v.numpy() for k, v in params.items()}


def _oracle_run(weights, x, y, hyper, steps=100):
    optimizer = reference_optimizers.get("adam", **hyper)
    state = optimizer.init(weights)
    for _ in range(steps):
        _, grads = reference_mlp.loss_and_grads(weights, x, y)
        weights, state = optimizer.update(grads, state, weights)
    return weights


def test_tutorial_path_equals_tf_impl_and_oracle_float64():
    hyper = {"learning_rate": 2.0**-10, "beta_1": 0.875, "beta_2": 1 - 2.0**-10}
    with floatx("float64"):
        keras_params, (weights, x, y) = _tutorial_run(np.float64, keras.optimizers.Adam(**hyper))
    assert (
        max_relative_difference(_tf_impl_run(weights, x, y, np.float64, hyper), keras_params)
        <= tolerances.FLOAT64
    )
    assert (
        max_relative_difference(_oracle_run(weights, x, y, hyper), keras_params)
        <= tolerances.FLOAT64
    )


def test_tutorial_path_equals_tf_impl_and_oracle_float32():
    """``Adam(0.001)`` exactly as the tutorial writes it, in float32."""
    keras_params, (weights, x, y) = _tutorial_run(np.float32, keras.optimizers.Adam(0.001))
    tf_impl = _tf_impl_run(weights, x, y, np.float32, {})
    assert max_relative_difference(tf_impl, keras_params) <= tolerances.KERAS_FLOAT32
    weights64 = {k: v.astype(np.float64) for k, v in weights.items()}
    oracle = _oracle_run(weights64, x.astype(np.float64), y.astype(np.float64), {})
    assert max_relative_difference(keras_params, oracle) <= tolerances.FLOAT32_100_STEPS


@pytest.mark.parametrize("built_first", [False, True])
def test_tutorial_step_traces_twice_unless_the_optimizer_is_built_first(built_first):
    """Keras creates Adam's slots inside the first call, and tf.function traces again."""
    weights = reference_mlp.init_params((8, 4, 3), seed=0, dtype=np.float32)
    x = tf.constant(np.random.default_rng(0).standard_normal((5, 8), dtype=np.float32))
    y = tf.constant(np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1]])
    model, optimizer = tutorial.build_model(weights), keras.optimizers.Adam(0.001)
    if built_first:
        optimizer.build(model.trainable_variables)
    step = tutorial.make_train_step(model, optimizer)
    for _ in range(5):
        step(x, y)
    assert step.experimental_get_tracing_count() == (1 if built_first else 2)


def test_restart_boundary_where_keras_inside_tf_function_misses_the_restart():
    """In a graph log(8)/log(2) is 2.9999999999999996: Keras's schedule gives 0 at step 140."""
    kwargs = {"initial_learning_rate": 0.1, "first_decay_steps": 20}
    keras_schedule = keras.optimizers.schedules.CosineDecayRestarts(np.float64(0.1), 20)
    in_graph = float(tf.function(keras_schedule)(tf.constant(140, tf.int64)))
    ours = float(
        tf.function(schedules.get("cosine_decay_restarts", **kwargs))(tf.constant(140, tf.int64))
    )
    assert ours == pytest.approx(0.1)
    assert reference_schedules.get("cosine_decay_restarts", **kwargs)(140) == pytest.approx(0.1)
    assert in_graph == pytest.approx(0.0, abs=1e-12)
