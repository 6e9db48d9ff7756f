"""``gradient_accumulation_steps`` n: every n-th call updates with the mean of n gradients.

As Keras's ``BaseOptimizer``: the step count counts calls, t (Adam's bias correction)
counts updates, the schedule sees calls, clipping and weight decay act on the update
calls only, and the moving average (``use_ema``) moves on every call. Over 100 float64
calls: the oracle against Keras (each from its own weights, the oracle's gradient) and
against tf_impl (``tf.function``) and jax_impl (``jax.jit``).
"""

import numpy as np
import pytest

from bench import tolerances
from bench.cases import EXPONENTIAL, LR, OptimizerCase
from bench.metrics import worst_difference
from bench.trajectories import (
    jax_trajectory,
    keras_trajectory,
    oracle_states,
    oracle_trajectory,
    problem,
    tf_trajectory,
)
from reference import mlp
from reference import optimizers as reference_optimizers

# Hyperparameters float32 holds exactly, so Keras's float32 casts change nothing.
CASES = {
    "adam-accumulate-3": OptimizerCase(
        "adam-accumulate-3",
        "adam",
        {
            "learning_rate": LR,
            "beta_1": 0.75,
            "beta_2": 0.875,
            "clipnorm": 0.125,
            "weight_decay": 0.0625,
            "gradient_accumulation_steps": 3,
        },
    ),
    "sgd-accumulate-schedule-ema": OptimizerCase(
        "sgd-accumulate-schedule-ema",
        "sgd",
        {
            "momentum": 0.5,
            "gradient_accumulation_steps": 2,
            "use_ema": True,
            "ema_momentum": 0.75,
            "ema_overwrite_frequency": 3,
        },
        EXPONENTIAL,
    ),
}
SUBJECTS = {"keras": keras_trajectory, "tf_impl": tf_trajectory, "jax_impl": jax_trajectory}


@pytest.mark.parametrize("subject", list(SUBJECTS))
@pytest.mark.parametrize("case_id", list(CASES))
def test_accumulation_matches_the_oracle_float64_100_calls(case_id, subject):
    case = CASES[case_id]
    got = SUBJECTS[subject](case)
    difference = worst_difference(got, oracle_trajectory(case), (subject, "the oracle"))
    assert difference <= tolerances.FLOAT64


def test_three_calls_are_one_update_with_the_mean_gradient():
    """Calls 1 and 2 leave the weights; call 3 equals one plain Adam step on the mean."""
    case = CASES["adam-accumulate-3"]
    hyper = dict(case.hyperparameters)
    del hyper["gradient_accumulation_steps"]
    params, x, y = problem()
    accumulating = reference_optimizers.get("adam", **case.hyperparameters)
    state = accumulating.init(params)
    rng = np.random.default_rng(0)
    grads = [
        {k: g * rng.uniform(0.5, 2) for k, g in mlp.loss_and_grads(params, x, y)[1].items()}
        for _ in range(3)
    ]
    current = params
    for call, g in enumerate(grads, start=1):
        current, state = accumulating.update(g, state, current)
        if call < 3:
            for name in params:
                np.testing.assert_array_equal(current[name], params[name])
    plain = reference_optimizers.get("adam", **hyper)
    mean = {k: (grads[0][k] + grads[1][k] + grads[2][k]) / 3 for k in params}
    expected, _ = plain.update(mean, plain.init(params), params)
    for name in params:
        np.testing.assert_allclose(current[name], expected[name], rtol=1e-14, atol=0)
    assert state["step"] == 3


def test_the_sum_restarts_after_an_update():
    case = CASES["adam-accumulate-3"]
    states = [state for _, state in oracle_states(case, steps=4)]
    for step, state in enumerate(states):
        sums = [slots["accumulated_grad"] for slots in state["slots"].values()]
        assert all(np.any(s) for s in sums) == (step % 3 != 0)


def test_one_step_accumulation_is_refused():
    with pytest.raises(ValueError, match="gradient_accumulation_steps=1 is not allowed"):
        reference_optimizers.get("adam", gradient_accumulation_steps=1)
