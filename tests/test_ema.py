"""``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``: Keras's moving average of weights.

After each update a ← μ a + (1 − μ) θ (μ = 0 at the first step), and every
``ema_overwrite_frequency`` steps the weights take the average. Over 100 float64 steps:
the oracle against Keras (each from its own weights, the oracle's gradient) and
against tf_impl (``tf.function``) and jax_impl (``jax.jit``).
"""

import numpy as np
import pytest

from bench import tolerances
from bench.cases import LR, OptimizerCase
from bench.metrics import max_relative_difference, worst_difference
from bench.trajectories import (
    jax_trajectory,
    keras_trajectory,
    oracle_states,
    oracle_trajectory,
    tf_trajectory,
)

# Hyperparameters float32 holds exactly, so Keras's float32 casts change nothing.
CASES = {
    "adam-ema-overwrite": OptimizerCase(
        "adam-ema-overwrite",
        "adam",
        {
            "learning_rate": LR,
            "beta_1": 0.75,
            "beta_2": 0.875,
            "use_ema": True,
            "ema_momentum": 0.75,
            "ema_overwrite_frequency": 7,
        },
    ),
    "sgd-ema": OptimizerCase(
        "sgd-ema",
        "sgd",
        {"learning_rate": 0.25, "momentum": 0.5, "use_ema": True, "ema_momentum": 0.875},
    ),
}
SUBJECTS = {"keras": keras_trajectory, "tf_impl": tf_trajectory, "jax_impl": jax_trajectory}


@pytest.mark.parametrize("subject", list(SUBJECTS))
@pytest.mark.parametrize("case_id", list(CASES))
def test_ema_matches_the_oracle_float64_100_steps(case_id, subject):
    case = CASES[case_id]
    got = SUBJECTS[subject](case)
    difference = worst_difference(got, oracle_trajectory(case), (subject, "the oracle"))
    assert difference <= tolerances.FLOAT64


def test_the_average_is_the_recurrence_written_out():
    """Without overwriting, the weights are those of the run without EMA, and the average
    is a₁ = θ₁, a_k = μ a_{k−1} + (1 − μ) θ_k."""
    case = CASES["sgd-ema"]
    plain = OptimizerCase("sgd", "sgd", {"learning_rate": 0.25, "momentum": 0.5}, steps=20)
    with_ema = OptimizerCase(case.id, case.optimizer, case.hyperparameters, steps=20)
    average = None
    for (params, state), plain_params in zip(
        list(oracle_states(with_ema))[1:], oracle_trajectory(plain), strict=True
    ):
        assert max_relative_difference(params, plain_params) == 0
        expected = (
            params
            if average is None
            else {k: 0.875 * average[k] + 0.125 * params[k] for k in params}
        )
        got = {k: slots["average"] for k, slots in state["slots"].items()}
        assert max_relative_difference(got, expected) <= 1e-15
        average = expected


def test_overwriting_moves_the_weights_to_the_average():
    """Step 7 of a frequency-7 run ends on its average, so it differs from the plain run."""
    case = CASES["adam-ema-overwrite"]
    short = OptimizerCase(case.id, case.optimizer, case.hyperparameters, steps=7)
    params, state = list(oracle_states(short))[-1]
    for name, slots in state["slots"].items():
        np.testing.assert_array_equal(params[name], slots["average"])


def test_bad_ema_settings_are_refused():
    from reference import optimizers

    with pytest.raises(ValueError, match="ema_momentum=1.5 is not allowed"):
        optimizers.get("adam", use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency=0 is not allowed"):
        optimizers.get("adam", use_ema=True, ema_overwrite_frequency=0)
    with pytest.raises(TypeError, match="use_ema='yes' is not allowed"):
        optimizers.get("adam", use_ema="yes")
