"""A ``keras.Sequential`` of a sequence preset's layers, holding the oracle's weights.

The recurrent kinds, Embedding, LayerNormalization, Flatten and Dense are Keras's own
layers built from the spec's config. Two kinds need a small wrapper, because a
Sequential passes one tensor from layer to layer: ``position_embedding`` (Keras has no
such layer; KerasHub's adds a learned (T, D) table the same way) and
``multi_head_attention``, whose Keras layer takes query and value separately — the
wrapper calls Keras's MultiHeadAttention on (x, x) and adds x back when ``residual``.
"""

import keras
import numpy as np

from reference.layers.attention import WEIGHTS as ATTENTION_WEIGHTS
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


class PositionEmbedding(keras.layers.Layer):
    """y = x + P, P of shape (time, features)."""

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=tuple(input_shape[1:]), name="embeddings")

    def call(self, x):
        return x + self.embeddings


class SelfAttention(keras.layers.Layer):
    """Keras's MultiHeadAttention on (x, x); x + that with ``residual``."""

    def __init__(self, num_heads, key_dim, residual=False, use_causal_mask=False, **kwargs):
        super().__init__(**kwargs)
        self.attention = keras.layers.MultiHeadAttention(num_heads, key_dim, dtype=self.dtype)
        self.residual, self.use_causal_mask = residual, use_causal_mask

    def build(self, input_shape):
        self.attention.build(input_shape, input_shape)

    def call(self, x):
        y = self.attention(x, x, use_causal_mask=self.use_causal_mask)
        return x + y if self.residual else y


def keras_layer(kind, config):
    if kind == "position_embedding":
        return PositionEmbedding(dtype="float64")
    if kind == "multi_head_attention":
        return SelfAttention(**config, dtype="float64")
    return getattr(keras.layers, CLASSES[kind])(**config, dtype="float64")


def weight_names(kind, layer):
    """The spec's weight names in the order of ``layer.weights``."""
    if kind == "multi_head_attention":
        return list(ATTENTION_WEIGHTS)
    return [weight.name for weight in layer.weights]


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
