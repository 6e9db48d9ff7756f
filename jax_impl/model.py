"""A model as a list of layer specs, in JAX: ``jax_impl.layers``, then ``jax.value_and_grad``.

The same functions and arguments as ``reference.model``; everything is pure, the new
moving statistics come back from ``forward`` and ``loss_and_grads``.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jax_impl import losses, model_sequences
from jax_impl.layers import (
    activation,
    conv,
    dense,
    dropout,
    embedding,
    normalization,
    pooling,
    reshape,
)
from reference import model as reference_model
from reference.model import check_dropout_masks, layer_names, own


def init_params(specs, input_shape, seed=0, dtype=None):
    """``(params, state)``: the oracle's initial weights and state as JAX arrays.

    ``dtype=None`` is JAX's default float: float32, or float64 inside ``jax_impl.float64()``.
    """
    params, state = reference_model.init_params(specs, input_shape, seed, np.float64)
    dtype = dtype or jnp.result_type(float)
    return (
        {name: jnp.asarray(value, dtype) for name, value in params.items()},
        {name: jnp.asarray(value, dtype) for name, value in state.items()},
    )


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


def forward(specs, params, state, x, training=False, dropout_masks=None):
    """``(logits, new_state)``."""
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


def objective(params, specs, state, x, y, training, dropout_masks, loss):
    """The scalar loss (and the new state, as auxiliary output) as a function of params."""
    logits, new_state = forward(specs, params, state, x, training, dropout_masks)
    reference_model.check_labels(logits, y)
    return losses.get(loss)(logits, y), new_state


def loss_and_grads(
    specs, params, state, x, y, training=True, dropout_masks=None, loss="softmax_cross_entropy"
):
    """``(loss, grads, new_state)`` by ``jax.value_and_grad`` with respect to params."""
    (loss_value, new_state), grads = jax.value_and_grad(objective, has_aux=True)(
        params, specs, state, x, y, training, dropout_masks, loss
    )
    return loss_value, grads, new_state
