"""tf_impl against the NumPy oracle: gradients, every optimizer in all three modes.

oneDNN is off for these tests (tests/conftest.py), so float32 matmuls round as the
plain kernels do.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from bench import tolerances
from bench.cases import CASES, FLOAT32_STEPS
from bench.metrics import max_relative_difference, worst_difference
from bench.trajectories import final, oracle_snapshots, oracle_trajectory, run, tf_trajectory
from reference import mlp as reference_mlp
from tests.backprop_problems import backprop_problem, every_backprop_problem
from tests.tf_helpers import set_state, tf_setup
from tf_impl import mlp

MODES = ["eager", "function", "xla"]
FORCED_STEPS = 8
SIDES = ("tf_impl", "the oracle")


@every_backprop_problem
def test_gradient_tape_matches_hand_derived_backprop(sizes, activation, loss, labels_form):
    weights, x, y = backprop_problem(sizes, labels_form)
    expected_loss, expected = reference_mlp.loss_and_grads(weights, x, y, activation, loss)
    params = {k: tf.Variable(v) for k, v in weights.items()}
    loss_value, grads = mlp.loss_and_grads(params, tf.constant(x), tf.constant(y), activation, loss)
    assert abs(float(loss_value) - expected_loss) <= tolerances.GRADIENT * abs(expected_loss)
    grads = {k: g.numpy() for k, g in grads.items()}
    assert max_relative_difference(grads, expected, sides=SIDES) <= tolerances.GRADIENT


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", list(CASES))
def test_teacher_forced_steps_match_oracle_float64(case_id, mode):
    """From the oracle's exact state at several points of its trajectory, one tf_impl step."""
    step, x, y = tf_setup(case_id, np.float64, mode)
    snapshots = oracle_snapshots(case_id)
    worst = 0.0
    for k in np.linspace(0, len(snapshots) - 2, FORCED_STEPS).astype(int):
        set_state(step, *snapshots[k])
        step(x, y)
        difference = max_relative_difference(step.weights(), snapshots[k + 1][0], k + 1, SIDES)
        worst = max(worst, difference)
    assert worst <= tolerances.FLOAT64


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", list(CASES))
def test_trajectory_matches_oracle_float64(case_id, mode):
    step, x, y = tf_setup(case_id, np.float64, mode)
    case = CASES[case_id]
    difference = worst_difference(run(step, x, y, case.steps), oracle_trajectory(case), SIDES)
    assert difference <= tolerances.FLOAT64
    if mode != "eager":
        assert step.trace_count == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", list(CASES))
def test_trajectory_matches_oracle_float32(case_id, mode):
    step, x, y = tf_setup(case_id, np.float32, mode)
    snapshots = oracle_snapshots(case_id, "float32", FLOAT32_STEPS)
    for _ in range(FLOAT32_STEPS):
        step(x, y)
    difference = max_relative_difference(step.weights(), snapshots[-1][0], FLOAT32_STEPS, SIDES)
    assert difference <= tolerances.FLOAT32


@pytest.mark.parametrize(
    "case_id", ["adam-custom", "rmsprop-centered-momentum", "muon-custom", "lamb-global_clipnorm"]
)
def test_the_three_modes_agree(case_id):
    results = {}
    for mode in MODES:
        step, x, y = tf_setup(case_id, np.float64, mode)
        for _ in range(100):
            step(x, y)
        results[mode] = step.weights()
    for mode in ("function", "xla"):
        difference = max_relative_difference(results[mode], results["eager"], 100, (mode, "eager"))
        assert difference <= tolerances.SAME_PROGRAM


def test_a_wrong_term_is_caught():
    """Sanity: the comparison sees a one-term change of the update (Adam's ε 2^-20 → 0.5)."""
    case = CASES["adam-custom"]
    wrong = dataclasses.replace(case, hyperparameters={**case.hyperparameters, "epsilon": 0.5})
    got = final(tf_trajectory(wrong, 10))
    assert max_relative_difference(got, oracle_snapshots(case.id)[10][0]) > 1e-6
