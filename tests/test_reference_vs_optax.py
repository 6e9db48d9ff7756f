"""The oracle's optax forms (``convention="optax"``) against optax itself, in float64.

optax runs inside ``jax.enable_x64(True)`` on float64 parameters; each step's gradient
is the oracle's, computed from optax's own current parameters. Where no setting of
the oracle reproduces optax, the test shows the size of the difference instead.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bench.equivalence import (
    IRRECONCILABLE,
    OPTAX_CASES,
    max_relative_difference,
    optax_trajectory,
    oracle_final,
)
from reference import clipping

# Same formulas in float64, different operation order: measured ≤ 3e-15 over 100 steps.
FLOAT64_TOLERANCE = 1e-10
STEPS = 100
# A clip is one norm and one scale; optax divides where Keras multiplies (measured ≤ 6e-17).
CLIP_TOLERANCE = 1e-14


def run_optax(make_transform, steps=STEPS):
    return optax_trajectory(make_transform, steps)[-1]


def run_oracle(name, hyper, steps=STEPS):
    return oracle_final(name, hyper, steps)


@pytest.mark.parametrize("case_id, hyper, make_optax", OPTAX_CASES, ids=[c[0] for c in OPTAX_CASES])
def test_optax_form_matches_optax_float64_100_steps(case_id, hyper, make_optax):
    name = case_id.split("-")[0].replace("amsgrad", "adam")
    difference = max_relative_difference(run_oracle(name, hyper), run_optax(make_optax))
    assert difference <= FLOAT64_TOLERANCE


@pytest.mark.parametrize(
    "case_id, oracle, make_optax, at_least", IRRECONCILABLE, ids=[c[0] for c in IRRECONCILABLE]
)
def test_keras_form_differs_from_optax_by_a_measurable_amount(
    case_id, oracle, make_optax, at_least
):
    name, hyper = oracle
    difference = max_relative_difference(run_oracle(name, hyper), run_optax(make_optax))
    assert difference >= at_least


def test_clipping_matches_optax():
    rng = np.random.default_rng(0)
    grads = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=5)}
    with jax.enable_x64(True):
        jgrads = {k: jnp.asarray(v) for k, v in grads.items()}
        by_global, _ = optax.clip_by_global_norm(1.0).update(jgrads, None)
        by_value, _ = optax.clip(0.3).update(jgrads, None)
    ours_global = clipping.clip_by_global_norm(grads, 1.0)
    ours_value = clipping.clip_by_value(grads, 0.3)
    for k in grads:
        np.testing.assert_allclose(ours_global[k], by_global[k], rtol=CLIP_TOLERANCE)
        np.testing.assert_array_equal(ours_value[k], by_value[k])
    assert clipping.global_norm(ours_global) == pytest.approx(1.0, rel=CLIP_TOLERANCE)
