"""The oracle's hand-derived gradients against central finite differences."""

import numpy as np
import pytest

from bench import tolerances
from reference import gradcheck, losses, mlp
from tests.backprop_problems import backprop_problem, every_backprop_problem


@every_backprop_problem
def test_backprop_matches_finite_differences(sizes, activation, loss, labels_form):
    params, x, y = backprop_problem(sizes, labels_form)
    _, grads = mlp.loss_and_grads(params, x, y, activation, loss)

    def f(p):
        return mlp.loss_and_grads(p, x, y, activation, loss)[0]

    error, where = gradcheck.gradcheck(f, params, grads, samples_per_tensor=8)
    assert error <= tolerances.GRADCHECK, f"relative error {error:.2e} at {where}"


def test_gradcheck_flags_a_wrong_gradient():
    params, x, y = backprop_problem((5, 7, 3), "integer")
    _, grads = mlp.loss_and_grads(params, x, y)
    grads["dense_0/bias"] = grads["dense_0/bias"] * 1.01  # a 1% mistake in one tensor

    def f(p):
        return mlp.loss_and_grads(p, x, y)[0]

    error, where = gradcheck.gradcheck(f, params, grads, samples_per_tensor=8)
    assert error > 1e-3
    assert where[0] == "dense_0/bias"


def test_seed_model_is_relu_softmax_cross_entropy():
    params, x, y = backprop_problem((5, 7, 3), "integer")
    default = mlp.loss_and_grads(params, x, y)
    explicit = mlp.loss_and_grads(params, x, y, "relu", "softmax_cross_entropy")
    assert default[0] == explicit[0]
    other = mlp.loss_and_grads(params, x, y, "tanh")
    assert other[0] != default[0]


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0]])
    loss, dlogits = losses.softmax_cross_entropy(logits, np.array([1]))
    assert loss == pytest.approx(1000.0)
    assert np.all(np.isfinite(dlogits))


def test_glorot_uniform_limits_and_zero_biases():
    params = mlp.init_params((300, 100, 10), seed=3)
    limit = np.sqrt(6 / 400)
    kernel = params["dense_0/kernel"]
    assert kernel.shape == (300, 100)
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.99 * limit
    assert np.all(params["dense_1/bias"] == 0)
    assert list(params) == ["dense_0/kernel", "dense_0/bias", "dense_1/kernel", "dense_1/bias"]
