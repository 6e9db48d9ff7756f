"""Flatten: (N, d1, d2, ...) → (N, d1·d2·…), row-major as Keras."""

import math

import tensorflow as tf


def flatten_forward(x):
    return tf.reshape(x, (-1, math.prod(x.shape[1:])))
