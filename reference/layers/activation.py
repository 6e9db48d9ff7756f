"""Activations as layers: relu, sigmoid, tanh, linear (from ``reference.activations``), softmax.

``activation_forward(x, name)`` and ``activation_backward(dy, cache)``; no weights.
"""

import numpy as np

from reference import activations
from reference.errors import check_choice


def softmax(z):
    """softmax(z)_k = e^{z_k − max z} / Σ_j e^{z_j − max z}, over the last axis."""
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def softmax_backward(dy, z, y):
    """∂y_k/∂z_j = y_k (δ_kj − y_j), so
    dz_j = Σ_k dy_k y_k (δ_kj − y_j) = y_j (dy_j − Σ_k dy_k y_k)."""
    return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


FUNCTIONS = {**activations.ACTIVATIONS, "softmax": (softmax, softmax_backward)}
NAMES = tuple(FUNCTIONS)


def activation_forward(x, name):
    """y = f(x), elementwise (softmax: over the last axis)."""
    check_choice("activation", name, NAMES)
    function, backward = FUNCTIONS[name]
    y = function(x)
    return y, (backward, x, y)


def activation_backward(dy, cache):
    """dx = f'(x) ⊙ dy (softmax: its Jacobian applied to dy, see ``softmax_backward``)."""
    backward, x, y = cache
    return backward(dy, x, y), {}
