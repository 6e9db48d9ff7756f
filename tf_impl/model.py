"""A model as a list of layer specs, in TensorFlow: ``tf_impl.layers``, then GradientTape.

The same functions and arguments as ``reference.model``. Weights and moving statistics
are ``tf.Variable``s holding the oracle's NumPy draw; ``forward`` and
``loss_and_grads`` are pure (they return the new moving statistics as tensors), and
``assign_state`` writes them back, as a training step does after the update.
"""

import numpy as np
import tensorflow as tf

from reference import model as reference_model
from reference.model import check_dropout_masks, layer_names, own
from tf_impl import losses, model_sequences
from tf_impl.layers import (
    activation,
    conv,
    dense,
    dropout,
    embedding,
    normalization,
    pooling,
    reshape,
)


def init_params(specs, input_shape, seed=0, dtype=tf.float64):
    """``(params, state)``: the oracle's initial weights and state as ``tf.Variable``s."""
    dtype = tf.as_dtype(dtype).as_numpy_dtype
    params, state = reference_model.init_params(specs, input_shape, seed, np.float64)

    def variables(tensors, trainable):
        return {
            name: tf.Variable(value.astype(dtype), trainable=trainable, name=name.replace("/", "_"))
            for name, value in tensors.items()
        }

    return variables(params, True), variables(state, False)


def layer_forward(kind, config, params, state, x, training, mask):
    """One layer: ``(y, new_state)``."""
    if kind == "dense":
        y = dense.dense_forward(params, x)
    elif kind == "conv2d":
        y = conv.conv2d_forward(
            params,
            x,
            config.get("strides", 1),
            config.get("padding", "valid"),
            config.get("dilation_rate", 1),
        )
    elif kind == "activation":
        y = activation.activation_forward(x, config["activation"])
    elif kind in ("max_pooling2d", "average_pooling2d"):
        forward = getattr(pooling, f"{kind}_forward")
        y = forward(
            x, config.get("pool_size", 2), config.get("strides"), config.get("padding", "valid")
        )
    elif kind == "global_average_pooling2d":
        y = pooling.global_average_pooling2d_forward(x)
    elif kind == "flatten":
        y = reshape.flatten_forward(x)
    elif kind == "batch_normalization":
        momentum, epsilon = config.get("momentum", 0.99), config.get("epsilon", 1e-3)
        return normalization.batch_normalization_forward(
            params, state, x, training, momentum, epsilon
        )
    elif kind == "layer_normalization":
        y = normalization.layer_normalization_forward(params, x, config.get("epsilon", 1e-3))
    elif kind == "dropout":
        y = dropout.dropout_forward(x, mask, config["rate"], training)
    elif kind in model_sequences.KINDS:
        y = model_sequences.layer_forward(kind, config, params, x)
    else:  # embedding
        y = embedding.embedding_forward(params, x)
    if config.get("activation", "linear") != "linear" and kind != "activation":
        y = activation.activation_forward(y, config["activation"])
    return y, state


# Every branch here and in tf_impl.layers is on Python values (the specs, ``training``),
# never on tensors, so AutoGraph has nothing to convert; letting it try made tracing the
# digits CNN's training step take 11 s (measured) instead of under 1 s.
@tf.autograph.experimental.do_not_convert
def forward(specs, params, state, x, training=False, dropout_masks=None):
    """``(logits, new_state)``; new_state holds tensors (the moving statistics' new values)."""
    names = layer_names(specs)
    check_dropout_masks(specs, names, training, dropout_masks)
    new_state = {}
    for name, (kind, config) in zip(names, specs, strict=True):
        mask = (dropout_masks or {}).get(name)
        x, layer_state = layer_forward(
            kind, config, own(params, name), own(state, name), x, training, mask
        )
        new_state.update({f"{name}/{key}": value for key, value in layer_state.items()})
    return x, new_state


@tf.autograph.experimental.do_not_convert
def loss_and_grads(
    specs, params, state, x, y, training=True, dropout_masks=None, loss="softmax_cross_entropy"
):
    """``(loss, grads, new_state)``: the forward pass on a tape, then ``tape.gradient``."""
    x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    with tf.GradientTape() as tape:
        logits, new_state = forward(specs, params, state, x, training, dropout_masks)
        reference_model.check_labels(logits, y)
        loss_value = losses.get(loss)(logits, y)
    grads = tape.gradient(loss_value, params)
    # an Embedding's gradient comes as tf.IndexedSlices; the optimizers take dense tensors
    grads = {name: tf.convert_to_tensor(grad) for name, grad in grads.items()}
    return loss_value, grads, new_state


def assign_state(state, new_state):
    """Write the new moving statistics into the state's variables."""
    for name, variable in state.items():
        variable.assign(new_state[name])
