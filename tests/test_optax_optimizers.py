"""The optimizers optax ships and Keras does not: the oracle, jax_impl and tf_impl against optax.

The 100-step trajectories of the gradient-only ones against optax (oracle and
jax_impl) are ``bench.cases.OPTAX_CASES``, run by tests/test_reference_vs_optax.py and
``gdkit check``. Here: tf_impl against the oracle, teacher-forced (each step from the
oracle's parameters and gradient, eager and ``tf.function``); the two optimizers that
need more than gradients (Polyak SGD: ``loss=``, noisy SGD: ``noise=``) over 100 steps
against optax, on ``bench.trajectories``'s loop (``gdkit check`` runs the same, tf_impl's
and jax_impl's trajectories against the oracle's too); the names and the new ``update``
keywords.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from bench import tolerances
from bench.cases import EXTRA_INPUT_CASES, OPTAX_CASES
from bench.metrics import max_relative_difference, worst_difference
from bench.trajectories import jax_trajectory, optax_trajectory, oracle_trajectory, problem
from jax_impl import optax_optimizers as jax_optax_optimizers
from jax_impl import optimizers as jax_optimizers
from reference import mlp
from reference import optax_optimizers as reference_optax_optimizers
from reference import optimizers as reference_optimizers
from tf_impl import optax_optimizers as tf_optax_optimizers
from tf_impl import optimizers as tf_optimizers

NEW_CASES = {
    case_id: case
    for case_id, case in OPTAX_CASES.items()
    if case.optimizer in reference_optimizers.OPTAX_NAMES
}
STEPS = 100
SINGLE_STEPS = 3


def _oracle_steps(case, steps):
    """``(params, loss, grads, noise)`` before each oracle step, and the params after it."""
    params, x, y = problem()
    optimizer = reference_optimizers.get(case.optimizer, **case.hyperparameters)
    state = optimizer.init(params)
    rng = np.random.default_rng(3)
    for _ in range(steps):
        loss, grads = mlp.loss_and_grads(params, x, y)
        noise = {name: rng.standard_normal(p.shape) for name, p in params.items()}
        new_params, state = optimizer.update(grads, state, params, loss=loss, noise=noise)
        yield (params, loss, grads, noise), new_params
        params = new_params


@pytest.mark.parametrize("mode", ["eager", "function"])
@pytest.mark.parametrize("case_id", list(NEW_CASES) + list(EXTRA_INPUT_CASES))
def test_tf_matches_the_oracle_teacher_forced_float64(case_id, mode):
    import tensorflow as tf

    case = NEW_CASES.get(case_id) or EXTRA_INPUT_CASES[case_id]
    start, _, _ = problem()
    variables = {name: tf.Variable(value) for name, value in start.items()}
    optimizer = tf_optimizers.get(case.optimizer, **case.hyperparameters)
    state = optimizer.init(variables)

    def step(params, grads, loss, noise):
        for name, value in params.items():
            variables[name].assign(value)
        optimizer.update(grads, state, variables, loss=loss, noise=noise)

    if mode == "function":
        step = tf.function(step)
    worst = 0.0
    steps = STEPS if mode == "function" else 5  # eager: Python per op, slower
    for (params, loss, grads, noise), expected in _oracle_steps(case, steps):
        as_tf = {name: tf.constant(value) for name, value in grads.items()}
        step(params, as_tf, tf.constant(loss), {k: tf.constant(v) for k, v in noise.items()})
        got = {name: variable.numpy() for name, variable in variables.items()}
        worst = max(worst, max_relative_difference(got, expected, sides=("tf", "the oracle")))
    assert worst <= tolerances.FLOAT64


@pytest.mark.parametrize("case_id", list(NEW_CASES))
def test_single_steps_match_optax_teacher_forced_float64(case_id):
    """Each step from the oracle's parameters and gradient: optax's update and jax_impl's
    (eager), each with its own state, against the oracle's next parameters."""
    case = NEW_CASES[case_id]
    worst = {"optax": 0.0, "jax_impl": 0.0}
    with jax.enable_x64(True):
        transform = case.optax(optax)
        ours = jax_optimizers.get(case.optimizer, **case.hyperparameters)
        start = {k: jnp.asarray(v) for k, v in problem()[0].items()}
        optax_state, jax_state = transform.init(start), ours.init(start)
        optax_update, jax_update = (
            transform.update,
            ours.update,
        )  # eager: 3 steps cost less than a compile
        for (params, _, grads, _), expected in _oracle_steps(case, SINGLE_STEPS):
            updates, optax_state = optax_update(grads, optax_state, params)
            by_optax = optax.apply_updates(params, updates)
            by_jax, jax_state = jax_update(grads, jax_state, params)
            for name, got in (("optax", by_optax), ("jax_impl", by_jax)):
                got = {k: np.asarray(v) for k, v in got.items()}
                difference = max_relative_difference(got, expected, sides=(name, "the oracle"))
                worst[name] = max(worst[name], difference)
    assert worst["optax"] <= tolerances.OPTAX_NEW
    assert worst["jax_impl"] <= tolerances.OPTAX_NEW


@pytest.mark.parametrize("case_id", list(EXTRA_INPUT_CASES))
def test_extra_input_optimizers_match_optax_float64_100_steps(case_id):
    """The oracle and jax_impl (jitted) against optax, each from its own parameters with its
    own loss, all given optax's noise draws (``bench.trajectories``, as ``gdkit check``)."""
    case = EXTRA_INPUT_CASES[case_id]
    by_optax = list(optax_trajectory(case, STEPS))
    for side, trajectory in (
        ("the oracle", oracle_trajectory(case, STEPS)),
        ("jax_impl", jax_trajectory(case, STEPS)),
    ):
        difference = worst_difference(trajectory, by_optax, sides=(side, "optax"))
        assert difference <= tolerances.OPTAX_NEW, side


def test_each_backend_finds_every_optax_name():
    for module in (reference_optimizers, tf_optimizers, jax_optimizers):
        for name in reference_optimizers.OPTAX_NAMES:
            hyper = {} if name != "rprop" else {"learning_rate": 0.01}
            assert (
                type(module.get(name, **hyper)).__name__
                == type(reference_optimizers.get(name, **hyper)).__name__
            )
    assert tuple(reference_optax_optimizers.OPTIMIZERS) == reference_optimizers.OPTAX_NAMES


@pytest.mark.parametrize("module", [tf_optax_optimizers, jax_optax_optimizers])
def test_each_twin_writes_its_own_rule(module):
    """A twin that forgot a method would run the oracle's NumPy on framework tensors."""
    for name, cls in module.OPTIMIZERS.items():
        for method in ("init_slots", "update_variable", "use_extra_inputs"):
            defined_in = getattr(cls, method).__module__
            assert not defined_in.startswith("reference") or (
                method == "use_extra_inputs" and name not in ("polyak_sgd", "noisy_sgd")
            ), (name, method, defined_in)


def test_optax_aliases_resolve_to_the_keras_classes_with_optax_settings():
    amsgrad = reference_optimizers.get("amsgrad")
    assert isinstance(amsgrad, reference_optimizers.Adam)
    assert (amsgrad.amsgrad, amsgrad.convention, amsgrad.epsilon) == (True, "optax", 1e-8)
    adamaxw = reference_optimizers.get("adamaxw")
    assert isinstance(adamaxw, reference_optimizers.Adamax)
    assert (adamaxw.convention, adamaxw.weight_decay) == ("optax", 1e-4)
    nadamw = reference_optimizers.get("nadamw", weight_decay=0.5)
    assert isinstance(nadamw, reference_optimizers.Nadam)
    assert (nadamw.convention, nadamw.weight_decay) == ("optax", 0.5)


def test_optax_hyperparameter_names_are_checked():
    with pytest.raises(ValueError, match="hyperparameter for yogi"):
        reference_optimizers.get("yogi", beta_1=0.9)
    with pytest.raises(ValueError, match="b1=1.5"):
        jax_optimizers.get("adabelief", b1=1.5)
    with pytest.raises(TypeError, match="rprop"):
        reference_optimizers.get("rprop", learning_rate=lambda step: 0.1)


@pytest.mark.parametrize("module", [reference_optimizers, jax_optimizers])
def test_the_extra_inputs_are_required_where_used(module):
    params, x, y = problem()
    _, grads = mlp.loss_and_grads(params, x, y)
    if module is jax_optimizers:
        params = {k: jnp.asarray(v) for k, v in params.items()}
        grads = {k: jnp.asarray(v) for k, v in grads.items()}
    polyak = module.get("polyak_sgd")
    with pytest.raises(ValueError, match="polyak_sgd needs the loss"):
        polyak.update(grads, polyak.init(params), params)
    noisy = module.get("noisy_sgd")
    with pytest.raises(ValueError, match="noisy_sgd needs its noise"):
        noisy.update(grads, noisy.init(params), params)
    adam = module.get("adam")  # the others accept and ignore them
    adam.update(grads, adam.init(params), params, loss=1.0, noise=grads)
