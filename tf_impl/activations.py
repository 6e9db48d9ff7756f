"""Hidden-layer activations; GradientTape differentiates them, so no backward here."""

import tensorflow as tf

from reference.errors import check_choice

ACTIVATIONS = {
    "relu": tf.nn.relu,
    "sigmoid": tf.sigmoid,
    "tanh": tf.tanh,
    "linear": tf.identity,
}
NAMES = tuple(ACTIVATIONS)


def get(name):
    check_choice("activation", name, NAMES)
    return ACTIVATIONS[name]
