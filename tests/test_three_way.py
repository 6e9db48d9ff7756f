"""NumPy, TensorFlow (tf.function) and JAX (jit): every optimizer, pairwise.

When two backends part, the message names the pair, the first step and the parameter
where they do, so a reader knows which one to open.
"""

import numpy as np
import pytest

from bench.equivalence import (
    CASE_IDS,
    CASES,
    FLOAT64_TOLERANCE,
    jax_trajectory,
    oracle_trajectory,
    tf_trajectory,
)


def first_parting(a, b, tolerance):
    """``(step, parameter, difference)`` where two trajectories first differ beyond tolerance."""
    for step, (params_a, params_b) in enumerate(zip(a, b, strict=True)):
        for name in params_a:
            scale = max(np.max(np.abs(params_b[name])), 1e-300)
            difference = np.max(np.abs(params_a[name] - params_b[name])) / scale
            if difference > tolerance:
                return step, name, difference
    return None


def assert_agree(trajectories, tolerance=FLOAT64_TOLERANCE):
    names = list(trajectories)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            parting = first_parting(trajectories[first], trajectories[second], tolerance)
            if parting:
                step, parameter, difference = parting
                pytest.fail(
                    f"{first} and {second} part at step {step}, parameter {parameter!r}: "
                    f"relative difference {difference:.2e} > {tolerance:.0e}"
                )


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_numpy_tensorflow_and_jax_agree(case_id):
    _, name, hyper, steps = CASES[CASE_IDS.index(case_id)]
    assert_agree(
        {
            "numpy": [params for params, _ in oracle_trajectory(case_id)],
            "tensorflow": tf_trajectory(name, hyper, steps),
            "jax": jax_trajectory(name, hyper, steps),
        }
    )


def test_the_message_names_the_pair_the_step_and_the_parameter():
    good = [params for params, _ in oracle_trajectory("adam-custom")]
    bad = jax_trajectory(
        "adam",
        {"learning_rate": 2.0**-6, "beta_1": 0.875, "beta_2": 1 - 2.0**-10, "epsilon": 2.0**-10},
        100,
    )
    with pytest.raises(
        pytest.fail.Exception, match=r"numpy and jax part at step 1, parameter 'dense_0/kernel'"
    ):
        assert_agree({"numpy": good, "jax": bad})
