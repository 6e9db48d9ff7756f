"""The oracle's and jax_impl's optax forms (``convention="optax"``) against optax itself.

In float64, over 100 steps: optax runs inside ``jax.enable_x64(True)`` on float64
parameters, each step's gradient the oracle's, computed from optax's own current
parameters; jax_impl runs its own jitted step. Where no setting reproduces optax,
the test shows the size of the difference instead.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bench import tolerances
from bench.cases import IRRECONCILABLE, OPTAX_CASES
from bench.metrics import check_finite, max_relative_difference, worst_difference
from bench.trajectories import final, jax_trajectory, optax_trajectory, oracle_trajectory
from reference import clipping

SUBJECTS = {"the oracle": oracle_trajectory, "jax_impl": jax_trajectory}


@pytest.mark.parametrize("subject", list(SUBJECTS))
@pytest.mark.parametrize("case_id", list(OPTAX_CASES))
def test_optax_form_matches_optax_float64_100_steps(case_id, subject):
    case = OPTAX_CASES[case_id]
    difference = worst_difference(
        SUBJECTS[subject](case), optax_trajectory(case), (subject, "optax")
    )
    assert difference <= tolerances.FLOAT64


@pytest.mark.parametrize("subject", list(SUBJECTS))
@pytest.mark.parametrize("case_id", list(IRRECONCILABLE))
def test_keras_form_differs_from_optax_by_a_measurable_amount(case_id, subject):
    case = IRRECONCILABLE[case_id]
    difference = max_relative_difference(
        final(SUBJECTS[subject](case)),
        final(optax_trajectory(case)),
        case.steps,
        (subject, "optax"),
    )
    assert difference >= tolerances.OPTAX_GAPS[case_id]


def test_clipping_matches_optax():
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=5)}
    with jax.enable_x64(True):
        jgrads = {k: jnp.asarray(v) for k, v in grads.items()}
        by_global, _ = optax.clip_by_global_norm(1.0).update(jgrads, None)
        by_value, _ = optax.clip(0.3).update(jgrads, None)
    ours_global = clipping.clip_by_global_norm(grads, 1.0)
    ours_value = clipping.clip_by_value(grads, 0.3)
    assert (
        max_relative_difference(ours_global, by_global, sides=("the oracle", "optax"))
        <= tolerances.CLIP
    )
    check_finite(ours_value, "the oracle")
    for k in grads:
        np.testing.assert_array_equal(ours_value[k], by_value[k])
    assert clipping.global_norm(ours_global) == pytest.approx(1.0, rel=tolerances.CLIP)
