"""jax_impl's optax forms against optax itself, in float64, over 100 jitted steps."""

import jax
import numpy as np
import optax
import pytest

import jax_impl
from bench.equivalence import IRRECONCILABLE, OPTAX_CASES, SIZES, max_relative_difference, problem
from jax_impl import mlp, optimizers, schedules

# Same formulas in float64, different operation order: measured ≤ 3e-15.
FLOAT64_TOLERANCE = 1e-10
STEPS = 100


def _jax_hyper(hyper):
    """The oracle's hyperparameters, with an oracle schedule swapped for its JAX twin."""
    if callable(hyper.get("learning_rate")):
        return dict(hyper, learning_rate=schedules.exponential_decay(0.125, 10, 0.5))
    return hyper


def _run(step_fn, init):
    _, x, y = problem()
    params = mlp.init_params(SIZES)
    state = init(params)
    for _ in range(STEPS):
        params, state = step_fn(params, state, x, y)
    return {k: np.asarray(v) for k, v in params.items()}


def run_jax_impl(name, hyper):
    optimizer = optimizers.get(name, **hyper)

    @jax.jit
    def step(params, state, x, y):
        _, grads = mlp.loss_and_grads(params, x, y)
        return optimizer.update(grads, state, params)

    return _run(step, optimizer.init)


def run_optax(transform):
    @jax.jit
    def step(params, state, x, y):
        _, grads = mlp.loss_and_grads(params, x, y)
        updates, state = transform.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return _run(step, transform.init)


@pytest.fixture(autouse=True)
def x64():
    with jax_impl.float64():
        yield


@pytest.mark.parametrize("case_id, hyper, make_optax", OPTAX_CASES, ids=[c[0] for c in OPTAX_CASES])
def test_jax_impl_optax_form_matches_optax_float64_100_steps(case_id, hyper, make_optax):
    name = case_id.split("-")[0].replace("amsgrad", "adam")
    difference = max_relative_difference(
        run_jax_impl(name, _jax_hyper(hyper)), run_optax(make_optax(optax))
    )
    assert difference <= FLOAT64_TOLERANCE


@pytest.mark.parametrize(
    "case_id, oracle, make_optax, at_least", IRRECONCILABLE, ids=[c[0] for c in IRRECONCILABLE]
)
def test_keras_form_differs_from_optax(case_id, oracle, make_optax, at_least):
    name, hyper = oracle
    difference = max_relative_difference(
        run_jax_impl(name, _jax_hyper(hyper)), run_optax(make_optax(optax))
    )
    assert difference >= at_least
