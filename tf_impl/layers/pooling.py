"""MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D with ``tf.nn``.

``tf.nn.max_pool2d``'s gradient gives a tie to the first maximum in row-major order;
``tf.nn.avg_pool2d`` with "SAME" divides by the real cells of each window.

The input is made a tensor first: given a NumPy float64 array, ``tf.nn.max_pool2d``
returns float32 once it has run on float32 in the process (measured, TF 2.21).
"""

import tensorflow as tf

from reference.layers.checks import check_input_shape
from reference.layers.pooling import pooling_geometry


def max_pooling2d_forward(x, pool_size=2, strides=None, padding="valid"):
    x = tf.convert_to_tensor(x)
    pool, strides, *_ = pooling_geometry("MaxPooling2D", x.shape, pool_size, strides, padding)
    return tf.nn.max_pool2d(x, pool, strides, padding.upper())


def average_pooling2d_forward(x, pool_size=2, strides=None, padding="valid"):
    x = tf.convert_to_tensor(x)
    pool, strides, *_ = pooling_geometry("AveragePooling2D", x.shape, pool_size, strides, padding)
    return tf.nn.avg_pool2d(x, pool, strides, padding.upper())


def global_average_pooling2d_forward(x):
    check_input_shape("GlobalAveragePooling2D", x.shape, (None, None, None, None))
    return tf.reduce_mean(x, axis=(1, 2))
