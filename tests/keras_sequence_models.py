"""A ``keras.Sequential`` of a sequence preset's layers, holding the oracle's weights.

The recurrent kinds, Embedding, LayerNormalization, Flatten and Dense are Keras's own
layers built from the spec's config; ``position_embedding`` and ``multi_head_attention``
(self-attention, with its residual) are the small wrappers of
``bench/keras_sequence_layers.py``, which ``gdkit bench`` uses too.
"""

import keras
import numpy as np

from bench.keras_sequence_layers import PositionEmbedding, SelfAttention, weight_names
from reference.model import layer_names

CLASSES = {
    "simple_rnn": "SimpleRNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "embedding": "Embedding",
    "layer_normalization": "LayerNormalization",
    "flatten": "Flatten",
    "dense": "Dense",
}


def keras_layer(kind, config):
    if kind == "position_embedding":
        return PositionEmbedding(dtype="float64")
    if kind == "multi_head_attention":
        return SelfAttention(**config, dtype="float64")
    return getattr(keras.layers, CLASSES[kind])(**config, dtype="float64")


def keras_sequence_model(specs, input_shape, params):
    """The preset in Keras (float64 weights, integer token input), weights from ``params``."""
    layers = [keras_layer(kind, config) for kind, config in specs]
    model = keras.Sequential([keras.Input(input_shape, dtype="int32"), *layers])
    for name, (kind, _), layer in zip(layer_names(specs), specs, model.layers, strict=True):
        names = weight_names(kind, layer)
        layer.set_weights([np.asarray(params[f"{name}/{weight}"]) for weight in names])
    return model


def keras_parameter_order(specs, model):
    """The oracle's keys in the order of ``model.trainable_variables``."""
    return [
        f"{name}/{weight}"
        for name, (kind, _), layer in zip(layer_names(specs), specs, model.layers, strict=True)
        for weight in weight_names(kind, layer)
    ]
