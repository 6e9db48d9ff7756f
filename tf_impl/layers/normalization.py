"""BatchNormalization and LayerNormalization, Keras's defaults (ε = 1e-3, biased variance)."""

import tensorflow as tf

from reference.errors import check_range
from reference.layers.checks import check_input_shape


def batch_normalization_forward(
    params, state, x, training, momentum=0.99, epsilon=1e-3, synchronized=False
):
    """Returns ``(y, new_state)``; the equations are the oracle's.

    ``synchronized=True`` (Keras's argument name), inside a ``tf.distribute`` replica
    context: the statistics are all-reduced sums over the replicas, as in the oracle's
    ``synchronized_batch_normalization_forward``; GradientTape differentiates through
    the all-reduce, which gives the backward its all-reduce too.
    """
    gamma = params["gamma"]
    check_input_shape(
        "BatchNormalization", x.shape, (None,) * (len(x.shape) - 1) + tuple(gamma.shape)
    )
    check_range("momentum", momentum, low=0, high=1)
    check_range("epsilon", epsilon, low=0, low_open=True)
    axes = list(range(len(x.shape) - 1))
    if training and synchronized:
        replicas = tf.distribute.get_replica_context()
        count = tf.cast(tf.size(x) // tf.shape(x)[-1], x.dtype)
        total = replicas.all_reduce(tf.distribute.ReduceOp.SUM, count)
        mean = replicas.all_reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(x, axis=axes)) / total
        squares = tf.reduce_sum(tf.square(x - mean), axis=axes)
        variance = replicas.all_reduce(tf.distribute.ReduceOp.SUM, squares) / total
    elif training:
        mean = tf.reduce_mean(x, axis=axes)
        variance = tf.reduce_mean(tf.square(x - mean), axis=axes)
    if training:
        new_state = {
            "moving_mean": state["moving_mean"] * momentum + mean * (1 - momentum),
            "moving_variance": state["moving_variance"] * momentum + variance * (1 - momentum),
        }
    else:
        mean, variance, new_state = state["moving_mean"], state["moving_variance"], state
    normalized = (x - mean) * tf.math.rsqrt(variance + epsilon)
    return gamma * normalized + params["beta"], new_state


def layer_normalization_forward(params, x, epsilon=1e-3):
    gamma = params["gamma"]
    check_input_shape(
        "LayerNormalization", x.shape, (None,) * (len(x.shape) - 1) + tuple(gamma.shape)
    )
    check_range("epsilon", epsilon, low=0, low_open=True)
    mean = tf.reduce_mean(x, axis=-1, keepdims=True)
    variance = tf.reduce_mean(tf.square(x - mean), axis=-1, keepdims=True)
    normalized = (x - mean) * tf.math.rsqrt(variance + epsilon)
    return gamma * normalized + params["beta"]
