"""A model as a list of layer specs, with its backward pass walked layer by layer.

    params, state = init_params(specs, input_shape, seed=0)
    logits, new_state = forward(params, state, x, training=False)
    loss, grads, new_state = loss_and_grads(params, state, x, y, dropout_masks=masks)

A spec is ``(kind, config)``: ``("conv2d", {"filters": 8, "kernel_size": 3})``, Keras's
layer names and arguments (``reference.model_presets`` has the named models). Layer
``i`` owns the keys ``<kind>_<i>/<weight>`` (``conv2d_0/kernel``,
``batch_normalization_1/gamma``) in Keras's ``get_weights()`` order; the moving
statistics live in ``state`` (``batch_normalization_1/moving_mean``), not in params.
Dropout masks are an input, ``{"dropout_5": mask}``, so every backend can share them.
Dense and Conv2D take Keras's ``activation`` argument (applied after the layer).
"""

import math

import numpy as np

from reference import losses, model_sequences
from reference.errors import check_choice
from reference.layers import (
    activation,
    conv,
    dense,
    dropout,
    embedding,
    normalization,
    pooling,
    reshape,
)

KINDS = (
    "dense",
    "conv2d",
    "activation",
    "max_pooling2d",
    "average_pooling2d",
    "global_average_pooling2d",
    "flatten",
    "batch_normalization",
    "layer_normalization",
    "dropout",
    "embedding",
    *model_sequences.KINDS,  # simple_rnn, lstm, gru, position_embedding, multi_head_attention
)


def layer_names(specs):
    """``conv2d_0``, ``batch_normalization_1``, ...: the kind and the position in the list."""
    for kind, _ in specs:
        check_choice("layer kind", kind, KINDS)
    return [f"{kind}_{i}" for i, (kind, _) in enumerate(specs)]


def glorot_uniform(rng, shape):
    """Keras's default kernel initialiser: U(±√(6 / (fan_in + fan_out))), with
    fan_in = ∏shape[:-1] and fan_out = ∏shape[:-2] · shape[-1] (a conv kernel's
    receptive field counts on both sides)."""
    receptive_field = math.prod(shape[:-2])
    limit = math.sqrt(6.0 / (receptive_field * (shape[-2] + shape[-1])))
    return rng.uniform(-limit, limit, shape)


def init_layer(kind, config, input_shape, rng):
    """Keras's default weights and state for one layer, given its input shape (no batch)."""
    channels = input_shape[-1]
    if kind in model_sequences.KINDS:
        return model_sequences.init_layer(kind, config, input_shape, rng), {}
    if kind == "dense":
        kernel = glorot_uniform(rng, (channels, config["units"]))
        return {"kernel": kernel, "bias": np.zeros(config["units"])}, {}
    if kind == "conv2d":
        size = config["kernel_size"]
        size = (size, size) if isinstance(size, int) else tuple(size)
        kernel = glorot_uniform(rng, (*size, channels, config["filters"]))
        return {"kernel": kernel, "bias": np.zeros(config["filters"])}, {}
    if kind in ("batch_normalization", "layer_normalization"):
        params = {"gamma": np.ones(channels), "beta": np.zeros(channels)}
        if kind == "layer_normalization":
            return params, {}
        return params, {"moving_mean": np.zeros(channels), "moving_variance": np.ones(channels)}
    if kind == "embedding":
        shape = (config["input_dim"], config["output_dim"])
        return {"embeddings": rng.uniform(-0.05, 0.05, shape)}, {}
    return {}, {}


def init_params(specs, input_shape, seed=0, dtype=np.float64):
    """``(params, state)``: Keras's default initialisers, drawn in layer order from one seed.

    Kernels are glorot-uniform, biases and β zeros, γ ones, moving mean 0, moving
    variance 1, embeddings U(±0.05). Each layer's input shape comes from running the
    layers before it on a zero batch of one.
    """
    rng = np.random.default_rng(seed)
    params, state = {}, {}
    x = np.zeros((1, *input_shape))
    for name, (kind, config) in zip(layer_names(specs), specs, strict=True):
        layer_params, layer_state = init_layer(kind, config, x.shape[1:], rng)
        params.update({f"{name}/{key}": value.astype(dtype) for key, value in layer_params.items()})
        state.update({f"{name}/{key}": value.astype(dtype) for key, value in layer_state.items()})
        x, _, _ = layer_forward(kind, config, layer_params, layer_state, x, False, None)
    return params, state


def input_shapes(specs, input_shape):
    """The input shape (no batch) of every layer: the layers run on a zero batch of one."""
    shapes, x, rng = [], np.zeros((1, *input_shape)), np.random.default_rng(0)
    for kind, config in specs:
        shapes.append(x.shape[1:])
        layer_params, layer_state = init_layer(kind, config, x.shape[1:], rng)
        x, _, _ = layer_forward(kind, config, layer_params, layer_state, x, False, None)
    return shapes


def dropout_masks(specs, input_shape, batch_size, seed):
    """One 0/1 mask per Dropout layer, keep probability 1 − rate, drawn by NumPy so that
    every backend (and a Keras model fed the same masks) drops the same units."""
    rng = np.random.default_rng(seed)
    masks = {}
    for name, (kind, config), shape in zip(
        layer_names(specs), specs, input_shapes(specs, input_shape), strict=True
    ):
        if kind == "dropout":
            masks[name] = (rng.random((batch_size, *shape)) >= config["rate"]).astype(np.float64)
    return masks


def layer_forward(kind, config, params, state, x, training, mask):
    """One layer: ``(y, new_state, cache)``. ``params`` and ``state`` are the layer's own."""
    if kind == "dense":
        y, cache = dense.dense_forward(params, x)
    elif kind == "conv2d":
        y, cache = conv.conv2d_forward(
            params,
            x,
            config.get("strides", 1),
            config.get("padding", "valid"),
            config.get("dilation_rate", 1),
        )
    elif kind == "activation":
        y, cache = activation.activation_forward(x, config["activation"])
    elif kind in ("max_pooling2d", "average_pooling2d"):
        forward = getattr(pooling, f"{kind}_forward")
        y, cache = forward(
            x, config.get("pool_size", 2), config.get("strides"), config.get("padding", "valid")
        )
    elif kind == "global_average_pooling2d":
        y, cache = pooling.global_average_pooling2d_forward(x)
    elif kind == "flatten":
        y, cache = reshape.flatten_forward(x)
    elif kind == "batch_normalization":
        momentum, epsilon = config.get("momentum", 0.99), config.get("epsilon", 1e-3)
        return normalization.batch_normalization_forward(
            params, state, x, training, momentum, epsilon
        )
    elif kind == "layer_normalization":
        y, cache = normalization.layer_normalization_forward(params, x, config.get("epsilon", 1e-3))
    elif kind == "dropout":
        y, cache = dropout.dropout_forward(x, mask, config["rate"], training)
    elif kind in model_sequences.KINDS:
        y, cache = model_sequences.layer_forward(kind, config, params, x)
    else:  # embedding
        y, cache = embedding.embedding_forward(params, x)
    if config.get("activation", "linear") != "linear" and kind != "activation":
        y, activation_cache = activation.activation_forward(y, config["activation"])
        cache = (cache, activation_cache)
    return y, state, cache


BACKWARD = {
    "dense": dense.dense_backward,
    "conv2d": conv.conv2d_backward,
    "activation": activation.activation_backward,
    "max_pooling2d": pooling.max_pooling2d_backward,
    "average_pooling2d": pooling.average_pooling2d_backward,
    "global_average_pooling2d": pooling.global_average_pooling2d_backward,
    "flatten": reshape.flatten_backward,
    "batch_normalization": normalization.batch_normalization_backward,
    "layer_normalization": normalization.layer_normalization_backward,
    "dropout": dropout.dropout_backward,
    "embedding": embedding.embedding_backward,
    **model_sequences.BACKWARD,
}


def layer_backward(kind, config, dy, cache, input_gradient=True):
    """One layer's ``(dx, grads)``, its fused activation first. ``input_gradient=False``
    (the first layer: the data needs no gradient) lets a convolution skip dx (``None``)."""
    if config.get("activation", "linear") != "linear" and kind != "activation":
        cache, activation_cache = cache
        dy, _ = activation.activation_backward(dy, activation_cache)
    if kind == "conv2d":
        return conv.conv2d_backward(dy, cache, input_gradient)
    return BACKWARD[kind](dy, cache)


def own(tensors, name):
    """The entries of ``tensors`` that belong to layer ``name``, without the prefix."""
    prefix = f"{name}/"
    return {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}


def check_dropout_masks(specs, names, training, dropout_masks):
    needed = [name for name, (kind, _) in zip(names, specs, strict=True) if kind == "dropout"]
    missing = [name for name in needed if name not in (dropout_masks or {})]
    if training and missing:
        raise ValueError(
            f"dropout_masks is missing {missing}: training needs one 0/1 mask per Dropout "
            f"layer, keyed {needed}."
        )


def forward_with_caches(specs, params, state, x, training, dropout_masks):
    names = layer_names(specs)
    check_dropout_masks(specs, names, training, dropout_masks)
    new_state, caches = {}, []
    for name, (kind, config) in zip(names, specs, strict=True):
        mask = (dropout_masks or {}).get(name)
        x, layer_state, cache = layer_forward(
            kind, config, own(params, name), own(state, name), x, training, mask
        )
        new_state.update({f"{name}/{key}": value for key, value in layer_state.items()})
        caches.append(cache)
    return x, new_state, caches


def forward(specs, params, state, x, training=False, dropout_masks=None):
    """``(logits, new_state)``. In inference the state comes back unchanged."""
    logits, new_state, _ = forward_with_caches(specs, params, state, x, training, dropout_masks)
    return logits, new_state


def loss_and_grads(
    specs, params, state, x, y, training=True, dropout_masks=None, loss="softmax_cross_entropy"
):
    """``(loss, grads, new_state)`` by backpropagation, from the last layer to the first:

    dy_L = dloss/dlogits;  (dy_{i−1}, grads_i) = layer_backward_i(dy_i, cache_i)
    """
    logits, new_state, caches = forward_with_caches(
        specs, params, state, x, training, dropout_masks
    )
    check_labels(logits, y)
    loss_value, dy = losses.get(loss)(logits, y)
    grads = {}
    names = layer_names(specs)
    for i in reversed(range(len(specs))):
        kind, config = specs[i]
        dy, layer_grads = layer_backward(kind, config, dy, caches[i], input_gradient=i > 0)
        grads.update({f"{names[i]}/{key}": value for key, value in layer_grads.items()})
    return loss_value, {key: grads[key] for key in params}, new_state


def check_labels(logits, labels):
    """Integer labels (B,) or one-hot (B, K) that fit the logits (B, K) of the last layer."""
    labels_shape = tuple(labels.shape) if hasattr(labels, "shape") else np.shape(labels)
    batch, classes = tuple(logits.shape)
    fits = any(
        len(labels_shape) == len(allowed)
        and all(
            a is None or b is None or a == b for a, b in zip(labels_shape, allowed, strict=True)
        )
        for allowed in ((batch,), (batch, classes))
    )
    if not fits:
        raise ValueError(
            f"labels: expected shape ({batch},) or ({batch}, {classes}) to fit the "
            f"last layer's output ({batch}, {classes}), got {labels_shape}."
        )
