"""jax_impl against the NumPy oracle: gradients, every optimizer, the jitted step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jax_impl
from bench.equivalence import (
    CASE_IDS,
    CASES,
    SIZES,
    max_relative_difference,
    oracle_trajectory,
    problem,
)
from jax_impl import clipping, mlp, optimizers, schedules, training
from reference import activations, data, losses
from reference import clipping as reference_clipping
from reference import mlp as reference_mlp
from reference import optimizers as reference_optimizers
from reference import schedules as reference_schedules
from reference import training as reference_training
from tests.same_errors import (
    assert_non_finite_fit_matches_the_oracle,
    assert_optimizer_errors_match_the_oracle,
)
from tests.test_reference_vs_keras import SCHEDULE_ARGUMENTS

# Same equations in float64; only the order of operations differs (measured ≤ 1.5e-13).
FLOAT64_TOLERANCE = 1e-10
# jax.value_and_grad against hand-derived backprop (measured ≤ 2e-15).
GRADIENT_TOLERANCE = 1e-12
# float32 over 30 steps: JAX raises β to a float32 power where NumPy uses the exact
# Python float (measured 7.4e-6 with default betas, ≤ 1e-6 with float32-exact ones).
FLOAT32_TOLERANCE = 2e-5
FLOAT32_STEPS = 30
FORCED_STEPS = 8
# A clip is one norm and one scale: a couple of float64 roundings (measured ≤ 2e-16).
CLIP_TOLERANCE = 1e-15


@pytest.fixture(autouse=True)
def x64():
    with jax_impl.float64():
        yield


def _numpy(tree):
    return {k: np.asarray(v) for k, v in tree.items()}


def _jax_state(state):
    return jax.tree.map(jnp.asarray, state)


@pytest.mark.parametrize(
    "sizes", [(5, 3), (5, 7, 3), (4, 6, 5, 3)], ids=["0-hidden", "1-hidden", "2-hidden"]
)
@pytest.mark.parametrize("activation", activations.NAMES)
@pytest.mark.parametrize("loss", losses.NAMES)
@pytest.mark.parametrize("labels_form", ["integer", "one_hot"])
def test_value_and_grad_matches_hand_derived_backprop(sizes, activation, loss, labels_form):
    rng = np.random.default_rng(0)
    weights = reference_mlp.init_params(sizes, seed=1)
    x = rng.normal(size=(6, sizes[0]))
    y = rng.integers(sizes[-1], size=6)
    if labels_form == "one_hot":
        y = losses.one_hot(y, sizes[-1], np.float64)
    expected_loss, expected = reference_mlp.loss_and_grads(weights, x, y, activation, loss)
    loss_value, grads = mlp.loss_and_grads(
        {k: jnp.asarray(v) for k, v in weights.items()},
        jnp.asarray(x),
        jnp.asarray(y),
        activation,
        loss,
    )
    assert abs(float(loss_value) - expected_loss) <= GRADIENT_TOLERANCE * abs(expected_loss)
    assert max_relative_difference(_numpy(grads), expected) <= GRADIENT_TOLERANCE


def _setup(case_id):
    _, name, hyper, _ = CASES[CASE_IDS.index(case_id)]
    optimizer = optimizers.get(name, **hyper)
    return optimizer, training.make_train_step(mlp.init_params(SIZES), optimizer).compiled


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_teacher_forced_steps_match_oracle_float64(case_id):
    _, step = _setup(case_id)
    _, x, y = problem()
    trajectory = oracle_trajectory(case_id)
    worst = 0.0
    for k in np.linspace(0, len(trajectory) - 2, FORCED_STEPS).astype(int):
        oracle_params, oracle_state = trajectory[k]
        params, _, _ = step(_jax_state(oracle_params), _jax_state(oracle_state), x, y)
        worst = max(worst, max_relative_difference(_numpy(params), trajectory[k + 1][0]))
    assert worst <= FLOAT64_TOLERANCE


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_trajectory_matches_oracle_float64_and_compiles_once(case_id):
    optimizer, step = _setup(case_id)
    _, x, y = problem()
    trajectory = oracle_trajectory(case_id)
    params = mlp.init_params(SIZES)
    state = optimizer.init(params)
    worst = 0.0
    for k in range(1, len(trajectory)):
        params, state, _ = step(params, state, x, y)
        worst = max(worst, max_relative_difference(_numpy(params), trajectory[k][0]))
    assert worst <= FLOAT64_TOLERANCE
    assert step.trace_count == 1


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_trajectory_matches_oracle_float32(case_id):
    _, name, hyper, _ = CASES[CASE_IDS.index(case_id)]
    _, x, y = problem(np.float32)
    trajectory = oracle_trajectory(case_id, "float32", FLOAT32_STEPS)
    with jax.enable_x64(False):
        optimizer = optimizers.get(name, **hyper)
        step = training.make_train_step(mlp.init_params(SIZES), optimizer).compiled
        params = mlp.init_params(SIZES)
        state = optimizer.init(params)
        for _ in range(FLOAT32_STEPS):
            params, state, _ = step(params, state, x, y)
        assert params["dense_0/kernel"].dtype == jnp.float32
    assert max_relative_difference(_numpy(params), trajectory[-1][0]) <= FLOAT32_TOLERANCE


def test_update_is_pure():
    optimizer = optimizers.get("adam")
    params = mlp.init_params(SIZES)
    state = optimizer.init(params)
    before = jax.tree.map(np.array, (params, state))
    optimizer.update(jax.tree.map(jnp.ones_like, params), state, params)
    after = jax.tree.map(np.array, (params, state))
    jax.tree.map(np.testing.assert_array_equal, before, after)


@pytest.mark.parametrize(
    "name, kwargs",
    SCHEDULE_ARGUMENTS,
    ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULE_ARGUMENTS)],
)
def test_schedule_matches_oracle_under_jit(name, kwargs):
    ours = jax.jit(schedules.get(name, **kwargs))
    oracle = reference_schedules.get(name, **kwargs)
    values = np.array([float(ours(jnp.asarray(s, jnp.int32))) for s in range(201)])
    expected = np.array([oracle(s) for s in range(201)], dtype=np.float64)
    # Same float64 expressions; relative to the peak, since a cycle may end at exactly 0.
    assert np.max(np.abs(values - expected)) <= 1e-12 * np.max(np.abs(expected))


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
        assert max_relative_difference(_numpy(ours), expected) <= CLIP_TOLERANCE


@pytest.mark.parametrize("batch_size", [None, 1, 12])
def test_fit_follows_the_oracle_shuffle_and_trajectory(batch_size):
    x, y = data.classification_problem(40, 6, 3, seed=2)
    weights = reference_mlp.init_params((6, 10, 3), seed=0)
    epochs = 1 if batch_size == 1 else 3
    expected, expected_history = reference_training.fit(
        weights,
        x,
        y,
        reference_optimizers.get("adam", learning_rate=0.01),
        batch_size,
        epochs,
        seed=4,
    )
    params, history = training.fit(
        mlp.init_params((6, 10, 3)),
        x,
        y,
        optimizers.get("adam", learning_rate=0.01),
        batch_size,
        epochs,
        seed=4,
    )
    np.testing.assert_allclose(history, expected_history, rtol=1e-12)
    assert max_relative_difference(_numpy(params), expected) <= FLOAT64_TOLERANCE


def test_non_finite_loss_stops_fit_with_the_oracles_message():
    assert_non_finite_fit_matches_the_oracle(training, mlp, optimizers)


def test_bad_input_fails_as_in_the_oracle():
    assert_optimizer_errors_match_the_oracle(optimizers)
    params = mlp.init_params((3, 2))
    optimizer = optimizers.get("adam")
    with pytest.raises(ValueError, match=r"missing \['dense_0/bias'\]"):
        optimizer.update({"dense_0/kernel": jnp.ones((3, 2))}, optimizer.init(params), params)
