"""jax_impl against the NumPy oracle: gradients, every optimizer, the jitted step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_impl
from bench import tolerances
from bench.cases import CASES, FLOAT32_STEPS, SCHEDULES
from bench.metrics import max_relative_difference, worst_difference
from bench.trajectories import SIZES, jax_start, oracle_snapshots, oracle_trajectory, run
from jax_impl import clipping, mlp, optimizers, schedules, training
from reference import clipping as reference_clipping
from reference import mlp as reference_mlp
from reference import schedules as reference_schedules
from tests.backprop_problems import backprop_problem, every_backprop_problem
from tests.fit_runs import LEARNING_RATE, SEED, epochs_for, fit_problem, oracle_fit
from tests.same_errors import (
    assert_non_finite_fit_matches_the_oracle,
    assert_optimizer_errors_match_the_oracle,
)

FORCED_STEPS = 8
SIDES = ("jax_impl", "the oracle")


@pytest.fixture(autouse=True)
def x64():
    with jax_impl.float64():
        yield


def _numpy(tree):
    return {k: np.asarray(v) for k, v in tree.items()}


@every_backprop_problem
def test_value_and_grad_matches_hand_derived_backprop(sizes, activation, loss, labels_form):
    weights, x, y = backprop_problem(sizes, labels_form)
    expected_loss, expected = reference_mlp.loss_and_grads(weights, x, y, activation, loss)
    loss_value, grads = mlp.loss_and_grads(
        {k: jnp.asarray(v) for k, v in weights.items()},
        jnp.asarray(x),
        jnp.asarray(y),
        activation,
        loss,
    )
    assert abs(float(loss_value) - expected_loss) <= tolerances.GRADIENT * abs(expected_loss)
    assert max_relative_difference(_numpy(grads), expected, sides=SIDES) <= tolerances.GRADIENT


@pytest.mark.parametrize("case_id", list(CASES))
def test_teacher_forced_steps_match_oracle_float64(case_id):
    step, x, y = jax_start(CASES[case_id])
    snapshots = oracle_snapshots(case_id)
    worst = 0.0
    for k in np.linspace(0, len(snapshots) - 2, FORCED_STEPS).astype(int):
        oracle_params, oracle_state = jax.tree.map(jnp.asarray, snapshots[k])
        params, _, _ = step.compiled(oracle_params, oracle_state, x, y)
        difference = max_relative_difference(_numpy(params), snapshots[k + 1][0], k + 1, SIDES)
        worst = max(worst, difference)
    assert worst <= tolerances.FLOAT64


@pytest.mark.parametrize("case_id", list(CASES))
def test_trajectory_matches_oracle_float64_and_compiles_once(case_id):
    case = CASES[case_id]
    step, x, y = jax_start(case)
    difference = worst_difference(run(step, x, y, case.steps), oracle_trajectory(case), SIDES)
    assert difference <= tolerances.FLOAT64
    assert step.trace_count == 1


@pytest.mark.parametrize("case_id", list(CASES))
def test_trajectory_matches_oracle_float32(case_id):
    snapshots = oracle_snapshots(case_id, "float32", FLOAT32_STEPS)
    with jax.enable_x64(False):
        step, x, y = jax_start(CASES[case_id], "float32")
        for _ in range(FLOAT32_STEPS):
            step(x, y)
        assert step.params["dense_0/kernel"].dtype == jnp.float32
    difference = max_relative_difference(step.weights(), snapshots[-1][0], FLOAT32_STEPS, SIDES)
    assert difference <= tolerances.FLOAT32


def test_update_is_pure():
    optimizer = optimizers.get("adam")
    params = mlp.init_params(SIZES)
    state = optimizer.init(params)
    before = jax.tree.map(np.array, (params, state))
    optimizer.update(jax.tree.map(jnp.ones_like, params), state, params)
    after = jax.tree.map(np.array, (params, state))
    jax.tree.map(np.testing.assert_array_equal, before, after)


@pytest.mark.parametrize("schedule_id", list(SCHEDULES))
def test_schedule_matches_oracle_under_jit(schedule_id):
    name, arguments = SCHEDULES[schedule_id].name, SCHEDULES[schedule_id].arguments
    ours = jax.jit(schedules.get(name, **arguments))
    oracle = reference_schedules.get(name, **arguments)
    values = np.array([float(ours(jnp.asarray(s, jnp.int32))) for s in range(201)])
    expected = np.array([oracle(s) for s in range(201)], dtype=np.float64)
    # Relative to the peak, since a cycle may end at exactly 0.
    difference = max_relative_difference({name: values}, {name: expected}, sides=SIDES)
    assert difference <= tolerances.SCHEDULE


def test_clipping_matches_oracle():
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=5) * 0.1}
    jgrads = {k: jnp.asarray(v) for k, v in grads.items()}
    pairs = [
        (
            clipping.clip_by_global_norm(jgrads, 1.0),
            reference_clipping.clip_by_global_norm(grads, 1.0),
        ),
        (clipping.clip_by_norm(jgrads, 0.5), reference_clipping.clip_by_norm(grads, 0.5)),
        (clipping.clip_by_value(jgrads, 0.2), reference_clipping.clip_by_value(grads, 0.2)),
    ]
    for ours, expected in pairs:
        assert max_relative_difference(_numpy(ours), expected, sides=SIDES) <= tolerances.CLIP


@pytest.mark.parametrize("batch_size", [None, 1, 12])
def test_fit_follows_the_oracle_shuffle_and_trajectory(batch_size):
    expected, expected_history = oracle_fit(batch_size)
    x, y, weights = fit_problem()
    optimizer = optimizers.get("adam", learning_rate=LEARNING_RATE)
    params, history = training.fit(
        weights, x, y, optimizer, batch_size, epochs_for(batch_size), seed=SEED
    )
    np.testing.assert_allclose(
        history, expected_history, rtol=tolerances.LOSS_HISTORY, equal_nan=False
    )
    assert max_relative_difference(_numpy(params), expected, sides=SIDES) <= tolerances.FLOAT64


def test_non_finite_loss_stops_fit_with_the_oracles_message():
    assert_non_finite_fit_matches_the_oracle(training, mlp, optimizers)


def test_bad_input_fails_as_in_the_oracle():
    assert_optimizer_errors_match_the_oracle(optimizers)
    params = mlp.init_params((3, 2))
    optimizer = optimizers.get("adam")
    with pytest.raises(ValueError, match=r"missing \['dense_0/bias'\]"):
        optimizer.update({"dense_0/kernel": jnp.ones((3, 2))}, optimizer.init(params), params)
