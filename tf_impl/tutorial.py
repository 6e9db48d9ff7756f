"""The tutorial's own code path: Keras layers, a Keras optimizer, a ``tf.function`` step.

This is the snippet most people learn TensorFlow training from::

    model = keras.Sequential([Dense(64, activation="relu"), Dense(10)])
    optimizer = keras.optimizers.Adam(0.001)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))  # noqa: B905 (verbatim)
        return loss

Here it starts from the oracle's initial weights (``set_weights``), so the tests
can show that it computes what ``tf_impl`` and ``reference`` compute.

It traces twice: Keras creates the optimizer's slot variables during the first
call, and ``tf.function`` traces again once they exist (``gdkit bench`` shows
``traces 2`` for keras). ``optimizer.build(model.trainable_variables)`` before the
first call makes it one trace.
"""

import keras
import numpy as np
import tensorflow as tf


def build_model(params, dtype="float32"):
    """``Sequential([Dense(H, relu), ..., Dense(K)])`` holding ``params`` (NumPy arrays)."""
    kernels = [np.asarray(params[f"dense_{i}/kernel"]) for i in range(len(params) // 2)]
    layers = [keras.Input((kernels[0].shape[0],), dtype=dtype)]
    for i, kernel in enumerate(kernels):
        activation = None if i == len(kernels) - 1 else "relu"
        layers.append(keras.layers.Dense(kernel.shape[1], activation=activation, dtype=dtype))
    model = keras.Sequential(layers)
    model.set_weights([np.asarray(params[name]) for name in params])
    return model


def make_train_step(model, optimizer=None, dtype="float32"):
    """The tutorial's ``@tf.function`` step; ``optimizer`` defaults to ``Adam(0.001)``."""
    optimizer = optimizer or keras.optimizers.Adam(0.001)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=dtype)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))  # noqa: B905 (verbatim)
        return loss

    return train_step


def params_of(model, names):
    """The model's weights as a dict with the kit's names."""
    return dict(zip(names, model.get_weights(), strict=True))
