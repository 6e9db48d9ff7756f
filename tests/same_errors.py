"""Checks that a backend fails exactly as the oracle does (type and message)."""

import pytest

from reference import data
from reference import mlp as reference_mlp
from reference import optimizers as reference_optimizers
from reference import training as reference_training
from reference.errors import NonFiniteLossError

BAD_CALLS = (
    lambda m: m.get("adma"),
    lambda m: m.get("adam", beta_1=1.0),
    lambda m: m.get("adam", epsilon=0.0),
    lambda m: m.get("rmsprop", epsilon=0.0),
    lambda m: m.get("sgd", learning_rate=-1.0),
)


def assert_optimizer_errors_match_the_oracle(optimizers):
    for call in BAD_CALLS:
        with pytest.raises(ValueError) as expected:
            call(reference_optimizers)
        with pytest.raises(ValueError) as raised:
            call(optimizers)
        assert str(raised.value) == str(expected.value)


def assert_non_finite_fit_matches_the_oracle(training, mlp, optimizers):
    """A backend's ``fit`` stops on a NaN loss at the oracle's step, with the oracle's message."""
    x, y = data.classification_problem(40, 6, 3, seed=2)
    x = x * 1e3  # with η = 1000 the loss overflows within a few steps
    with pytest.raises(NonFiniteLossError) as expected:
        reference_training.fit(
            reference_mlp.init_params((6, 10, 3), seed=0),
            x,
            y,
            reference_optimizers.get("sgd", learning_rate=1e3),
            None,
            50,
        )
    with pytest.raises(NonFiniteLossError) as raised:
        training.fit(
            mlp.init_params((6, 10, 3), seed=0),
            x,
            y,
            optimizers.get("sgd", learning_rate=1e3),
            None,
            50,
        )
    assert str(raised.value) == str(expected.value)
    assert raised.value.step == expected.value.step


def raised(call):
    """``(type, message)`` of the ValueError or TypeError that ``call()`` must raise."""
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    return type(error.value), str(error.value)


def assert_fails_like_the_oracle(call, backend, oracle):
    """``call(backend)`` raises what ``call(oracle)`` raises: same type, same one line."""
    expected_type, expected = raised(lambda: call(oracle))
    got_type, got = raised(lambda: call(backend))
    assert "\n" not in expected, expected
    assert (got_type, got) == (expected_type, expected), f"{got_type.__name__}: {got}"
    return expected
