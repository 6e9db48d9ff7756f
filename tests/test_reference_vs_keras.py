"""The oracle against Keras 3's own optimizers, schedules and ReduceLROnPlateau, in float64.

Keras runs with ``floatx("float64")`` and float32-exact hyperparameters (bench/cases.py),
so the only differences left are the order of float64 operations.
"""

import dataclasses

import keras
import numpy as np
import pytest

from bench import tolerances
from bench.cases import CASES, SCHEDULE_CASES, SCHEDULES, OptimizerCase
from bench.keras_bridge import KerasRunner, floatx, keras_optimizer
from bench.metrics import check_finite, relative_update_difference, worst_difference
from bench.tolerances import KERAS_DEFAULT_ROUNDING
from bench.trajectories import keras_schedule_in, keras_trajectory, oracle_trajectory, problem
from reference import mlp, optimizers, schedules

EXACT_IDS = [case_id for case_id in CASES if case_id not in KERAS_DEFAULT_ROUNDING]
SIDES = ("keras", "the oracle")


def teacher_forced_difference(case):
    """Largest relative difference of one Keras step from the oracle's state, over a trajectory."""
    params, x, y = problem()
    oracle = optimizers.get(case.optimizer, **case.hyperparameters_for(schedules.get))
    keras_hyper = case.hyperparameters_for(keras_schedule_in("float64"))
    runner = KerasRunner(case.optimizer, keras_optimizer(case.optimizer, keras_hyper), params)
    state = oracle.init(params)
    worst = 0.0
    for step in range(1, case.steps + 1):
        _, grads = mlp.loss_and_grads(params, x, y)
        runner.set_state(params, state)
        keras_params = runner.apply(grads)
        new_params, state = oracle.update(grads, state, params)
        difference = relative_update_difference(params, keras_params, new_params, step, SIDES)
        worst = max(worst, difference)
        params = new_params
    return worst


def trajectory_difference(case, keras_case=None):
    """Each trains on its own trajectory; the largest relative difference of the weights."""
    return worst_difference(keras_trajectory(keras_case or case), oracle_trajectory(case), SIDES)


@pytest.fixture(autouse=True)
def keras_float64():
    with floatx("float64"):
        yield


@pytest.mark.parametrize("case_id", EXACT_IDS)
def test_teacher_forced_steps_match_keras_float64(case_id):
    case = CASES[case_id]
    assert teacher_forced_difference(case) <= tolerances.tolerance(case, "keras", "float64")


@pytest.mark.parametrize("case_id", EXACT_IDS)
def test_trajectory_matches_keras_float64(case_id):
    case = CASES[case_id]
    assert trajectory_difference(case) <= tolerances.tolerance(case, "keras", "float64")


@pytest.mark.parametrize("case_id", list(KERAS_DEFAULT_ROUNDING))
def test_keras_defaults_differ_by_float32_rounding(case_id):
    """Shows the size of Keras's float32 rounding of default hyperparameters.

    docs/conventions.md §2.2 lists what Keras rounds and the measured gaps.
    """
    _, measured = KERAS_DEFAULT_ROUNDING[case_id]
    difference = trajectory_difference(CASES[case_id])
    factor = tolerances.ROUNDING_FACTOR  # big enough to be the rounding, never a bug
    assert measured / factor <= difference <= measured * factor


@pytest.mark.parametrize("case_id", list(SCHEDULE_CASES))
def test_schedule_as_learning_rate_matches_keras_float64(case_id):
    case = SCHEDULE_CASES[case_id]
    assert trajectory_difference(case) <= tolerances.FLOAT64
    assert teacher_forced_difference(case) <= tolerances.FLOAT64


def test_schedule_free_adamw_paper_form_differs_from_keras():
    """Keras-on-TF recovers x from the updated z; the paper from the old z."""
    hyper = {"learning_rate": 2.0**-6, "beta_1": 0.75, "beta_2": 0.875}
    keras_form = OptimizerCase("schedule_free_adamw-keras", "schedule_free_adamw", hyper, steps=30)
    paper = dataclasses.replace(keras_form, convention="paper")
    assert trajectory_difference(paper, keras_form) > 1e-3


@pytest.mark.parametrize("schedule_id", list(SCHEDULES))
def test_schedule_matches_keras_steps_0_to_200(schedule_id):
    name, arguments = SCHEDULES[schedule_id].name, SCHEDULES[schedule_id].arguments
    oracle = schedules.get(name, **arguments)
    reference = keras_schedule_in("float64")(name, **arguments)
    ours = np.array([oracle(step) for step in range(201)], dtype=np.float64)
    theirs = np.array([float(reference(step)) for step in range(201)])
    check_finite({name: ours}, "the oracle")
    check_finite({name: theirs}, "keras")
    scale = np.maximum(np.abs(theirs), 1e-300)
    assert np.max(np.abs(ours - theirs) / scale) <= tolerances.SCHEDULE
    assert len(set(np.round(ours, 12))) > 1  # the schedule does move


class _ModelWithOptimizer:
    def __init__(self, optimizer):
        self.optimizer = optimizer


@pytest.mark.parametrize(
    "kwargs",
    [
        {"factor": 0.5, "patience": 2, "min_delta": 0.01},
        {"factor": 0.5, "patience": 2, "min_delta": 0.01, "cooldown": 1},
        {"factor": 0.5, "patience": 2, "min_delta": 0.01, "cooldown": 3},
        {"factor": 0.25, "patience": 1, "min_delta": 0.0, "min_lr": 0.01},
    ],
)
def test_reduce_on_plateau_matches_keras_callback(kwargs):
    losses = [1.0, 0.9] + [0.95] * 5 + [0.8] + [0.85] * 6 + [0.5, 0.5, 0.49, 0.3] + [0.31] * 8
    optimizer = keras.optimizers.SGD(learning_rate=1.0)
    callback = keras.callbacks.ReduceLROnPlateau(monitor="loss", **kwargs)
    callback.set_model(_ModelWithOptimizer(optimizer))
    controller = schedules.ReduceLROnPlateau(1.0, **kwargs)
    ours, theirs = [], []
    for epoch, loss in enumerate(losses):
        callback.on_epoch_end(epoch, {"loss": loss})
        theirs.append(float(optimizer.learning_rate))
        ours.append(controller.step(loss))
    np.testing.assert_allclose(ours, theirs, rtol=tolerances.PLATEAU, equal_nan=False)
    assert ours[-1] < 1.0
