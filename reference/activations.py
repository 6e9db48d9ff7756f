"""Hidden-layer activations, each with its derivative written next to it.

Every activation is a pair ``forward(z) -> a`` and ``backward(da, z, a) -> dz``.
The backward pass gets both the pre-activation ``z`` and the output ``a`` so each
rule can use whichever makes its derivative simplest. ``get(name)`` returns the
forward, as in ``tf_impl`` and ``jax_impl``; ``get_backward(name)`` is the oracle's
own (the twins' frameworks differentiate for themselves).
"""

import numpy as np

from reference.errors import check_choice


def relu(z):
    return np.maximum(z, 0)


def relu_backward(da, z, a):
    # d relu / dz = 1 where z > 0, else 0 (the kink at 0 gets 0, as in TF and JAX).
    return da * (z > 0)


def sigmoid(z):
    # Written as 0.5 * (1 + tanh(z / 2)) so that large |z| never overflows exp.
    return 0.5 * (1 + np.tanh(0.5 * z))


def sigmoid_backward(da, z, a):
    return da * a * (1 - a)


def tanh(z):
    return np.tanh(z)


def tanh_backward(da, z, a):
    return da * (1 - a * a)


def linear(z):
    return z


def linear_backward(da, z, a):
    return da


ACTIVATIONS = {
    "relu": (relu, relu_backward),
    "sigmoid": (sigmoid, sigmoid_backward),
    "tanh": (tanh, tanh_backward),
    "linear": (linear, linear_backward),
}
NAMES = tuple(ACTIVATIONS)


def get(name):
    """The activation function ``forward(z) -> a``."""
    check_choice("activation", name, NAMES)
    return ACTIVATIONS[name][0]


def get_backward(name):
    """Its derivative ``backward(da, z, a) -> dz``."""
    check_choice("activation", name, NAMES)
    return ACTIVATIONS[name][1]
