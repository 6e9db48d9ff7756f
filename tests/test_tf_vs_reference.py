"""tf_impl against the NumPy oracle: gradients, every optimizer in all three modes.

oneDNN is off for these tests (tests/conftest.py), so float32 matmuls round as the
plain kernels do.
"""

import numpy as np
import pytest
import tensorflow as tf

from bench.equivalence import CASE_IDS, max_relative_difference, oracle_trajectory
from reference import activations, losses
from reference import mlp as reference_mlp
from tests.tf_helpers import numpy_params, set_state, tf_setup
from tf_impl import mlp

# Same equations in float64; only the order of operations differs (measured ≤ 3e-13).
FLOAT64_TOLERANCE = 1e-10
# GradientTape against hand-derived backprop (measured ≤ 2e-15).
GRADIENT_TOLERANCE = 1e-12
# float32 over 30 steps. TF raises β to the power t in float32, NumPy in float64 from a
# Python float: measured 7.4e-6 for the default betas, ≤ 1e-6 for float32-exact ones.
FLOAT32_TOLERANCE = 2e-5
# Past ~40 steps several float32 runs turn chaotic (1e-7 at step 30 grows to 3e-4 at
# step 100 for Adam with clipvalue), as CONVENTIONS.md §1.6 warns; so float32 runs stop at 30.
FLOAT32_STEPS = 30
MODES = ["eager", "function", "xla"]
FORCED_STEPS = 8


@pytest.mark.parametrize(
    "sizes", [(5, 3), (5, 7, 3), (4, 6, 5, 3)], ids=["0-hidden", "1-hidden", "2-hidden"]
)
@pytest.mark.parametrize("activation", activations.NAMES)
@pytest.mark.parametrize("loss", losses.NAMES)
@pytest.mark.parametrize("labels_form", ["integer", "one_hot"])
def test_gradient_tape_matches_hand_derived_backprop(sizes, activation, loss, labels_form):
    rng = np.random.default_rng(0)
    weights = reference_mlp.init_params(sizes, seed=1)
    x = rng.normal(size=(6, sizes[0]))
    y = rng.integers(sizes[-1], size=6)
    if labels_form == "one_hot":
        y = losses.one_hot(y, sizes[-1], np.float64)
    expected_loss, expected = reference_mlp.loss_and_grads(weights, x, y, activation, loss)
    params = {k: tf.Variable(v) for k, v in weights.items()}
    loss_value, grads = mlp.loss_and_grads(params, tf.constant(x), tf.constant(y), activation, loss)
    assert abs(float(loss_value) - expected_loss) <= GRADIENT_TOLERANCE * abs(expected_loss)
    assert (
        max_relative_difference({k: g.numpy() for k, g in grads.items()}, expected)
        <= GRADIENT_TOLERANCE
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_teacher_forced_steps_match_oracle_float64(case_id, mode):
    """From the oracle's exact state at several points of its trajectory, one tf_impl step."""
    params, state, step, x, y = tf_setup(case_id, np.float64, mode)
    trajectory = oracle_trajectory(case_id)
    worst = 0.0
    for k in np.linspace(0, len(trajectory) - 2, FORCED_STEPS).astype(int):
        set_state(params, state, *trajectory[k])
        step(x, y)
        worst = max(worst, max_relative_difference(numpy_params(params), trajectory[k + 1][0]))
    assert worst <= FLOAT64_TOLERANCE


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_trajectory_matches_oracle_float64(case_id, mode):
    params, _, step, x, y = tf_setup(case_id, np.float64, mode)
    trajectory = oracle_trajectory(case_id)
    worst = 0.0
    for k in range(1, len(trajectory)):
        step(x, y)
        worst = max(worst, max_relative_difference(numpy_params(params), trajectory[k][0]))
    assert worst <= FLOAT64_TOLERANCE
    if mode != "eager":
        assert step.trace_count == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_trajectory_matches_oracle_float32(case_id, mode):
    params, _, step, x, y = tf_setup(case_id, np.float32, mode)
    trajectory = oracle_trajectory(case_id, "float32", FLOAT32_STEPS)
    for _ in range(FLOAT32_STEPS):
        step(x, y)
    assert max_relative_difference(numpy_params(params), trajectory[-1][0]) <= FLOAT32_TOLERANCE


@pytest.mark.parametrize(
    "case_id", ["adam-custom", "rmsprop-centered-momentum", "muon-custom", "lamb-global_clipnorm"]
)
def test_the_three_modes_agree(case_id):
    results = {}
    for mode in MODES:
        params, _, step, x, y = tf_setup(case_id, np.float64, mode)
        for _ in range(100):
            step(x, y)
        results[mode] = numpy_params(params)
    # Three float64 programs of the same equations: XLA fuses differently (measured ≤ 1e-15).
    assert max_relative_difference(results["function"], results["eager"]) <= 1e-12
    assert max_relative_difference(results["xla"], results["eager"]) <= 1e-12


def test_a_wrong_term_is_caught():
    """Sanity: the comparison sees a one-term change of the update (Adam without ε)."""
    params, _, step, x, y = tf_setup("adam-custom", np.float64, "function")
    step.optimizer.epsilon = 0.5
    for _ in range(10):
        step(x, y)
    assert (
        max_relative_difference(numpy_params(params), oracle_trajectory("adam-custom")[10][0])
        > 1e-6
    )
