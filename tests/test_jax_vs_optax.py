"""jax_impl's optax forms against optax itself, in float64, over 100 jitted steps.

jax_impl trains with its own gradients (``jax_impl.training``); optax with the oracle's
(``bench.trajectories.optax_trajectory``), which agree to float64 rounding.
"""

import pytest

import jax_impl
from bench import tolerances
from bench.cases import IRRECONCILABLE, OPTAX_CASES
from bench.metrics import max_relative_difference, worst_difference
from bench.trajectories import final, jax_trajectory, optax_trajectory

SIDES = ("jax_impl", "optax")


@pytest.fixture(autouse=True)
def x64():
    with jax_impl.float64():
        yield


@pytest.mark.parametrize("case_id", list(OPTAX_CASES))
def test_jax_impl_optax_form_matches_optax_float64_100_steps(case_id):
    case = OPTAX_CASES[case_id]
    difference = worst_difference(jax_trajectory(case), optax_trajectory(case), SIDES)
    assert difference <= tolerances.FLOAT64


@pytest.mark.parametrize("case_id", list(IRRECONCILABLE))
def test_keras_form_differs_from_optax(case_id):
    case = IRRECONCILABLE[case_id]
    difference = max_relative_difference(
        final(jax_trajectory(case)), final(optax_trajectory(case)), case.steps, SIDES
    )
    assert difference >= tolerances.OPTAX_GAPS[case_id]
