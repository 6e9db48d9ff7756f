"""The MLP in TensorFlow: weights are ``tf.Variable``s, gradients come from GradientTape.

The initial weights are the oracle's NumPy draw, so every backend starts from the
same numbers.
"""

import numpy as np
import tensorflow as tf

from reference import mlp as reference_mlp
from tf_impl import activations, losses


def init_params(sizes, seed=0, dtype=tf.float64):
    """The oracle's Glorot-uniform weights, as ``tf.Variable``s of ``dtype``."""
    dtype = tf.as_dtype(dtype)
    weights = reference_mlp.init_params(sizes, seed, np.float64)
    return {
        name: tf.Variable(value.astype(dtype.as_numpy_dtype), name=name.replace("/", "_"))
        for name, value in weights.items()
    }


def num_layers(params):
    return len(params) // 2


def forward(params, x, activation="relu"):
    """Logits: a = activation(a @ kernel + bias) on hidden layers, linear output."""
    activate = activations.get(activation)
    last = num_layers(params) - 1
    a = x
    for layer in range(last + 1):
        z = a @ params[f"dense_{layer}/kernel"] + params[f"dense_{layer}/bias"]
        a = z if layer == last else activate(z)
    return a


def loss_and_grads(params, x, y, activation="relu", loss="softmax_cross_entropy"):
    """``(loss, grads)``: the forward pass recorded on a tape, then ``tape.gradient``."""
    loss_fn = losses.get(loss)
    with tf.GradientTape() as tape:
        loss_value = loss_fn(forward(params, x, activation), y)
    grads = tape.gradient(loss_value, params)
    return loss_value, grads
