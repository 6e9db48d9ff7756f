"""Activations as layers: relu, sigmoid, tanh, linear, softmax (over the last axis)."""

import tensorflow as tf

from reference.errors import check_choice

FUNCTIONS = {
    "relu": tf.nn.relu,
    "sigmoid": tf.sigmoid,
    "tanh": tf.tanh,
    "linear": tf.identity,
    "softmax": tf.nn.softmax,
}
NAMES = tuple(FUNCTIONS)


def activation_forward(x, name):
    check_choice("activation", name, NAMES)
    return FUNCTIONS[name](x)
