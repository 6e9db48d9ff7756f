"""tf_impl against ``keras.optimizers`` built-ins, teacher-forced and over trajectories."""

import numpy as np
import pytest

from bench.equivalence import (
    CASE_IDS,
    CASES,
    FLOAT32_STEPS,
    FLOAT32_TOLERANCE,
    FLOAT64_TOLERANCE,
    KERAS_DEFAULT_ROUNDING,
    NADAM_096_TOLERANCE,
    keras_trajectory,
    max_relative_difference,
    oracle_trajectory,
)
from bench.keras_bridge import KerasRunner, floatx, keras_optimizer
from reference import mlp as reference_mlp
from tests.tf_helpers import numpy_params, set_state, tf_setup

# float32 against Keras under its default floatx: both round β^t, η and μ to float32 the
# same way; measured ≤ 1.3e-6 after FLOAT32_STEPS steps, within FLOAT32_TOLERANCE.
EXACT_IDS = [case_id for case_id in CASE_IDS if case_id not in KERAS_DEFAULT_ROUNDING]


def _tolerance(case_id):
    return NADAM_096_TOLERANCE if case_id.startswith("nadam") else FLOAT64_TOLERANCE


@pytest.mark.parametrize("case_id", EXACT_IDS)
def test_teacher_forced_steps_match_keras_float64(case_id):
    _, name, hyper, _ = CASES[CASE_IDS.index(case_id)]
    trajectory = oracle_trajectory(case_id)
    with floatx("float64"):
        params, state, step, x, y = tf_setup(case_id, np.float64, "function")
        runner = KerasRunner(name, keras_optimizer(name, hyper), trajectory[0][0])
        worst = 0.0
        for k in np.linspace(0, len(trajectory) - 2, 8).astype(int):
            oracle_params, oracle_state = trajectory[k]
            set_state(params, state, oracle_params, oracle_state)
            runner.set_state(oracle_params, oracle_state)
            step(x, y)
            _, grads = reference_mlp.loss_and_grads(oracle_params, x, y)
            keras_params = runner.apply(grads)
            worst = max(worst, max_relative_difference(numpy_params(params), keras_params))
    assert worst <= _tolerance(case_id)


def _keras_trajectory(name, hyper, steps, dtype):
    return keras_trajectory(name, hyper, steps, np.dtype(dtype).name)[-1]


@pytest.mark.parametrize("case_id", EXACT_IDS)
def test_trajectory_matches_keras_float64(case_id):
    _, name, hyper, steps = CASES[CASE_IDS.index(case_id)]
    expected = _keras_trajectory(name, hyper, steps, np.float64)
    params, _, step, x, y = tf_setup(case_id, np.float64, "function")
    for _ in range(steps):
        step(x, y)
    assert max_relative_difference(numpy_params(params), expected) <= _tolerance(case_id)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_trajectory_matches_keras_float32(case_id):
    """Keras's defaults included: in float32 Keras's own float32 rounding is the norm."""
    _, name, hyper, _ = CASES[CASE_IDS.index(case_id)]
    expected = _keras_trajectory(name, hyper, FLOAT32_STEPS, np.float32)
    params, _, step, x, y = tf_setup(case_id, np.float32, "function")
    for _ in range(FLOAT32_STEPS):
        step(x, y)
    assert max_relative_difference(numpy_params(params), expected) <= FLOAT32_TOLERANCE
