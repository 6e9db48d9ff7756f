"""The MLP in TensorFlow: weights are ``tf.Variable``s, gradients come from GradientTape.

The initial weights are the oracle's NumPy draw, so every backend starts from the
same numbers.
"""

import numpy as np
import tensorflow as tf

from reference import mlp as reference_mlp
from reference.errors import check_float_dtype
from reference.validation import check_batch, check_labels, mlp_sizes
from tf_impl import activations, losses


def init_params(sizes, seed=0, dtype=tf.float64):
    """The oracle's Glorot-uniform weights, as ``tf.Variable``s of ``dtype``."""
    weights = reference_mlp.init_params(sizes, seed, np.float64)
    dtype = tf.as_dtype(dtype)
    check_float_dtype(dtype.name)
    return {
        name: tf.Variable(value.astype(dtype.as_numpy_dtype), name=name.replace("/", "_"))
        for name, value in weights.items()
    }


def num_layers(params):
    return len(params) // 2


def forward(params, x, activation="relu"):
    """Logits: a = activation(a @ kernel + bias) on hidden layers, linear output."""
    activate = activations.get(activation)
    x = tf.convert_to_tensor(x)
    check_batch(x, None, *mlp_sizes(params))
    last = num_layers(params) - 1
    a = tf.cast(x, params["dense_0/kernel"].dtype)  # as Keras casts a layer's inputs
    for layer in range(last + 1):
        z = a @ params[f"dense_{layer}/kernel"] + params[f"dense_{layer}/bias"]
        a = z if layer == last else activate(z)
    return a


def loss_and_grads(params, x, y, activation="relu", loss="softmax_cross_entropy"):
    """``(loss, grads)``: the forward pass recorded on a tape, then ``tape.gradient``.

    Shapes are checked always; label values only when running eagerly (a traced
    ``tf.function`` has no values to look at).
    """
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    num_features, num_classes = mlp_sizes(params)
    check_batch(x, y, num_features, num_classes)
    if tf.executing_eagerly():
        check_labels(y.numpy(), num_classes)
    loss_fn = losses.get(loss)
    with tf.GradientTape() as tape:
        loss_value = loss_fn(forward(params, x, activation), y)
    grads = tape.gradient(loss_value, params)
    return loss_value, grads
