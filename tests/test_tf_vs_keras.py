"""tf_impl against ``keras.optimizers`` built-ins, teacher-forced and over trajectories."""

import numpy as np
import pytest

from bench import tolerances
from bench.cases import CASES
from bench.keras_bridge import KerasRunner, floatx, keras_optimizer
from bench.metrics import max_relative_difference, worst_difference
from bench.tolerances import KERAS_DEFAULT_ROUNDING
from bench.trajectories import keras_trajectory, oracle_snapshots, tf_trajectory
from reference import mlp as reference_mlp
from tests.tf_helpers import set_state, tf_setup

# Keras's defaults are left out in float64: Keras rounds them through float32
# (docs/conventions.md §2.2).
EXACT_IDS = [case_id for case_id in CASES if case_id not in KERAS_DEFAULT_ROUNDING]
SIDES = ("tf_impl", "keras")


@pytest.mark.parametrize("case_id", EXACT_IDS)
def test_teacher_forced_steps_match_keras_float64(case_id):
    case = CASES[case_id]
    snapshots = oracle_snapshots(case_id)
    with floatx("float64"):
        step, x, y = tf_setup(case_id, np.float64, "function")
        keras = KerasRunner(
            case.optimizer, keras_optimizer(case.optimizer, case.hyperparameters), snapshots[0][0]
        )
        worst = 0.0
        for k in np.linspace(0, len(snapshots) - 2, 8).astype(int):
            oracle_params, oracle_state = snapshots[k]
            set_state(step, oracle_params, oracle_state)
            keras.set_state(oracle_params, oracle_state)
            step(x, y)
            _, grads = reference_mlp.loss_and_grads(oracle_params, x, y)
            difference = max_relative_difference(step.weights(), keras.apply(grads), k + 1, SIDES)
            worst = max(worst, difference)
    assert worst <= tolerances.tolerance(case, "keras", "float64")


@pytest.mark.parametrize(
    "case_id, dtype",
    [(case_id, "float64") for case_id in EXACT_IDS] + [(case_id, "float32") for case_id in CASES],
)
def test_trajectory_matches_keras(case_id, dtype):
    """In float32 Keras's defaults are included: there Keras's float32 rounding is the norm."""
    case = CASES[case_id]
    difference = worst_difference(
        tf_trajectory(case, dtype=dtype), keras_trajectory(case, dtype=dtype), SIDES
    )
    assert difference <= tolerances.tolerance(case, "keras", dtype)
