"""MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D with ``lax.reduce_window``.

``lax.reduce_window(max)``'s gradient gives a tie to the first maximum in row-major
order, as TensorFlow (``jnp.max`` over stacked windows would split it). The average
divides by the real cells of each window: the same window sum over an array of ones.
"""

import jax.numpy as jnp
from jax import lax

from reference.layers.checks import check_input_shape
from reference.layers.pooling import pooling_geometry


def max_pooling2d_forward(x, pool_size=2, strides=None, padding="valid"):
    pool, strides, *_ = pooling_geometry("MaxPooling2D", x.shape, pool_size, strides, padding)
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, *pool, 1), (1, *strides, 1), padding.upper())


def average_pooling2d_forward(x, pool_size=2, strides=None, padding="valid"):
    pool, strides, *_ = pooling_geometry("AveragePooling2D", x.shape, pool_size, strides, padding)
    window, step = (1, *pool, 1), (1, *strides, 1)
    total = lax.reduce_window(x, 0.0, lax.add, window, step, padding.upper())
    real = jnp.ones((1, *x.shape[1:3], 1), x.dtype)
    count = lax.reduce_window(real, 0.0, lax.add, window, step, padding.upper())
    return total / count


def global_average_pooling2d_forward(x):
    check_input_shape("GlobalAveragePooling2D", x.shape, (None, None, None, None))
    return x.mean(axis=(1, 2))
