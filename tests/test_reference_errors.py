"""Bad input: one ValueError that names the value and what is allowed; nothing modified."""

import re

import numpy as np
import pytest

from bench.cases import CASES
from reference import mlp, optimizers, schedules, training


def test_unknown_optimizer_lists_names_and_suggests_the_closest():
    with pytest.raises(ValueError) as error:
        optimizers.get("adma")
    message = str(error.value)
    assert "'adma'" in message
    # difflib: 0.8, 0.75 and 0.75 (optax's "adan" is a name too)
    assert re.search(r"Did you mean [^?]*'adam'\?", message)  # difflib's close matches, best first
    assert "schedule_free_adamw" in message


@pytest.mark.parametrize(
    "typo, hint",
    [
        ("ADAM", "Did you mean 'adam'?"),
        ("rmsprob", "Did you mean 'rmsprop'?"),
        ("schedulefree", "Did you mean 'schedule_free_adamw'?"),
    ],
)
def test_the_hint_comes_from_difflib(typo, hint):
    with pytest.raises(ValueError) as error:
        optimizers.get(typo)
    assert hint in str(error.value)


def test_no_hint_for_a_name_far_from_every_choice():
    with pytest.raises(ValueError) as error:
        optimizers.get("xyz")
    assert "Did you mean" not in str(error.value)


def test_unknown_hyperparameter_is_named():
    with pytest.raises(ValueError, match=r"'beta1'.*Did you mean 'beta_1'"):
        optimizers.get("adam", beta1=0.9)


@pytest.mark.parametrize(
    "name, hyper, fragment",
    [
        ("sgd", {"learning_rate": -0.1}, "learning_rate=-0.1"),
        ("adam", {"beta_1": 1.0}, "beta_1=1.0"),
        ("adam", {"beta_1": -0.1}, "beta_1=-0.1"),
        ("adam", {"beta_2": 1.5}, "beta_2=1.5"),
        ("adam", {"epsilon": 0.0}, "epsilon=0.0"),
        ("rmsprop", {"epsilon": -1e-7}, "epsilon=-1e-07"),
        ("sgd", {"momentum": 1.5}, "momentum=1.5"),
        ("adam", {"clipnorm": 0.0}, "clipnorm=0.0"),
        ("adam", {"learning_rate": float("nan")}, "learning_rate=nan"),
    ],
)
def test_out_of_range_hyperparameters(name, hyper, fragment):
    with pytest.raises(ValueError) as error:
        optimizers.get(name, **hyper)
    assert fragment in str(error.value)
    assert "need" in str(error.value)


def test_two_clips_are_refused():
    with pytest.raises(ValueError, match="at most one"):
        optimizers.get("sgd", clipnorm=1.0, clipvalue=1.0)


def test_unknown_convention_is_refused():
    with pytest.raises(ValueError, match="convention"):
        optimizers.get("rmsprop", convention="optax")


def _params_state():
    params = mlp.init_params((3, 2), seed=0)
    optimizer = optimizers.get("adam")
    return optimizer, params, optimizer.init(params)


def test_grads_with_a_missing_key_are_refused_and_nothing_changes():
    optimizer, params, state = _params_state()
    snapshot = {k: v.copy() for k, v in params.items()}
    grads = {"dense_0/kernel": np.ones((3, 2))}
    with pytest.raises(ValueError, match=r"missing \['dense_0/bias'\]"):
        optimizer.update(grads, state, params)
    for k in params:
        np.testing.assert_array_equal(params[k], snapshot[k])
    assert state["step"] == 0


def test_grads_with_a_wrong_shape_are_refused():
    optimizer, params, state = _params_state()
    grads = {"dense_0/kernel": np.ones((2, 3)), "dense_0/bias": np.ones(2)}
    with pytest.raises(ValueError, match=r"grads\['dense_0/kernel'\] has shape \(2, 3\).*\(3, 2\)"):
        optimizer.update(grads, state, params)


def test_bad_schedule_and_batch_size():
    with pytest.raises(ValueError, match="Did you mean 'cosine_decay'[?]"):
        schedules.get("cosine_decy")
    with pytest.raises(ValueError, match="decay_steps=0"):
        schedules.get("exponential_decay", initial_learning_rate=0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(ValueError, match="batch_size=0"):
        list(training.batches(10, 0, 1, seed=0))


@pytest.mark.parametrize("case_id", list(CASES))
def test_float32_stays_float32(case_id):
    """No hyperparameter arithmetic may promote float32 weights or slots to float64."""
    params = mlp.init_params((4, 5, 3), dtype=np.float32)
    grads = {k: np.ones_like(v) for k, v in params.items()}
    optimizer = optimizers.get(CASES[case_id].optimizer, **CASES[case_id].hyperparameters)
    new_params, state = optimizer.update(grads, optimizer.init(params), params)
    new_params, state = optimizer.update(grads, state, new_params)
    dtypes = {np.asarray(v).dtype for v in new_params.values()}
    dtypes |= {np.asarray(v).dtype for slots in state["slots"].values() for v in slots.values()}
    assert dtypes == {np.dtype(np.float32)}
