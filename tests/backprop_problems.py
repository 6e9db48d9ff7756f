"""The grid of small problems on which every backend's gradients meet the oracle's."""

import numpy as np
import pytest

from reference import activations, losses, mlp


def every_backprop_problem(test):
    """Parametrize ``test`` over model depth, activation, loss and the form of the labels."""
    for name, values, ids in (
        ("sizes", [(5, 3), (5, 7, 3), (4, 6, 5, 3)], ["0-hidden", "1-hidden", "2-hidden"]),
        ("activation", activations.NAMES, None),
        ("loss", losses.NAMES, None),
        ("labels_form", ["integer", "one_hot"], None),
    ):
        test = pytest.mark.parametrize(name, values, ids=ids)(test)
    return test


def backprop_problem(sizes, labels_form, seed=0):
    """``(params, x, y)``: float64 weights and a batch of 6 examples."""
    rng = np.random.default_rng(seed)
    params = mlp.init_params(sizes, seed=seed)
    x = rng.normal(size=(6, sizes[0]))
    y = rng.integers(sizes[-1], size=6)
    if labels_form == "one_hot":
        y = losses.one_hot(y, sizes[-1], np.float64)
    return params, x, y
