"""The oracle's training loop: batch, stochastic and mini-batch gradient descent."""

import numpy as np
import pytest

from reference import data, mlp, optimizers, training
from reference.errors import NonFiniteLossError


def _setup():
    x, y = data.classification_problem(40, 6, 3, seed=2)
    params = mlp.init_params((6, 10, 3), seed=0)
    return params, x, y


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (1, 40), (16, 3)])
def test_fit_decreases_the_loss(batch_size, steps_per_epoch):
    params, x, y = _setup()
    optimizer = optimizers.get("sgd", learning_rate=0.1)
    trained, history = training.fit(
        params, x, y, optimizer, batch_size=batch_size, epochs=5, seed=0
    )
    assert len(history) == 5 * steps_per_epoch
    before = mlp.loss_and_grads(params, x, y)[0]
    after = mlp.loss_and_grads(trained, x, y)[0]
    assert after < 0.8 * before


@pytest.mark.parametrize("batch_size", [None, 1, 16])
def test_fit_is_bit_identical_for_the_same_seed(batch_size):
    params, x, y = _setup()
    runs = [
        training.fit(params, x, y, optimizers.get("adam"), batch_size=batch_size, epochs=2, seed=7)
        for _ in range(2)
    ]
    assert runs[0][1] == runs[1][1]
    for name in params:
        np.testing.assert_array_equal(runs[0][0][name], runs[1][0][name])


def test_different_seeds_shuffle_differently():
    first = [list(i) for i in training.batches(20, 5, 1, seed=0)]
    second = [list(i) for i in training.batches(20, 5, 1, seed=1)]
    assert first != second
    assert sorted(sum(first, [])) == list(range(20))


def test_last_partial_batch_is_kept():
    sizes = [len(i) for i in training.batches(10, 4, 2, seed=0)]
    assert sizes == [4, 4, 2, 4, 4, 2]


def test_fit_does_not_modify_its_inputs():
    params, x, y = _setup()
    copies = {k: v.copy() for k, v in params.items()}
    training.fit(params, x, y, optimizers.get("adam"), batch_size=8, epochs=1)
    for name in params:
        np.testing.assert_array_equal(params[name], copies[name])


def test_non_finite_loss_stops_with_step_and_a_smaller_learning_rate():
    params, x, y = _setup()
    x = x * 1e3
    with pytest.raises(NonFiniteLossError) as error:
        training.fit(
            params, x, y, optimizers.get("sgd", learning_rate=1e3), batch_size=None, epochs=50
        )
    message = str(error.value)
    assert "at step" in message
    assert "learning_rate=100" in message
