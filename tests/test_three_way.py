"""NumPy, TensorFlow (tf.function) and JAX (jit): every optimizer and schedule case, pairwise.

When two backends part, the message names the pair, the first step and the parameter
where they do, so a reader knows which one to open.
"""

import dataclasses
import itertools

import pytest

from bench import tolerances
from bench.cases import CASES, SCHEDULE_CASES
from bench.metrics import first_parting
from bench.trajectories import jax_trajectory, oracle_trajectory, tf_trajectory


def assert_agree(trajectories, tolerance=tolerances.FLOAT64):
    """``trajectories``: backend name -> list of parameters after steps 1, 2, ..."""
    for first, second in itertools.combinations(trajectories, 2):
        parting = first_parting(
            trajectories[first], trajectories[second], tolerance, (first, second)
        )
        if parting:
            step, parameter, difference = parting
            pytest.fail(
                f"{first} and {second} part at step {step}, parameter {parameter!r}: "
                f"relative difference {difference:.2e} > {tolerance:.0e}"
            )


@pytest.mark.parametrize("case_id", [*CASES, *SCHEDULE_CASES])
def test_numpy_tensorflow_and_jax_agree(case_id):
    case = CASES.get(case_id) or SCHEDULE_CASES[case_id]
    assert_agree(
        {
            "numpy": list(oracle_trajectory(case)),
            "tensorflow": list(tf_trajectory(case)),
            "jax": list(jax_trajectory(case)),
        }
    )


def test_the_message_names_the_pair_the_step_and_the_parameter():
    case = CASES["adam-custom"]
    wrong = dataclasses.replace(case, hyperparameters={**case.hyperparameters, "epsilon": 2.0**-10})
    with pytest.raises(
        pytest.fail.Exception, match=r"numpy and jax part at step 1, parameter 'dense_0/kernel'"
    ):
        assert_agree({"numpy": list(oracle_trajectory(case)), "jax": list(jax_trajectory(wrong))})
