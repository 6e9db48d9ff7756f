"""A model's layer specs as Keras layers, holding the oracle's weights.

The spec configs use Keras's own argument names, so most kinds are Keras's layer built
from the config (``CLASSES``). Two sequence kinds a ``keras.Sequential`` cannot hold as
they are get a small wrapper: ``position_embedding`` (Keras has no such layer; KerasHub's
adds a learned (T, D) table the same way) and ``multi_head_attention`` as self-attention
(Keras's layer takes query and value separately, so the wrapper calls it on (x, x), and
adds x back with ``residual``). ``gdkit bench`` and the tests build their Keras models here.
"""

# isort: off
import tf_impl  # noqa: F401  (first: it imports TensorFlow quietly, before Keras would)
import keras

# isort: on
import numpy as np

from reference.layers.attention import WEIGHTS as ATTENTION_WEIGHTS
from reference.model import layer_names

# Keras's class for each layer kind of reference.model that Keras has as it is.
CLASSES = {
    "dense": "Dense",
    "conv2d": "Conv2D",
    "activation": "Activation",
    "max_pooling2d": "MaxPooling2D",
    "average_pooling2d": "AveragePooling2D",
    "global_average_pooling2d": "GlobalAveragePooling2D",
    "flatten": "Flatten",
    "batch_normalization": "BatchNormalization",
    "layer_normalization": "LayerNormalization",
    "dropout": "Dropout",
    "embedding": "Embedding",
    "simple_rnn": "SimpleRNN",
    "lstm": "LSTM",
    "gru": "GRU",
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


WRAPPERS = {"position_embedding": PositionEmbedding, "multi_head_attention": SelfAttention}


def keras_layer(kind, config, dtype=None):
    """The Keras layer of one spec (``dtype=None``: Keras's floatx)."""
    if kind in WRAPPERS:
        return WRAPPERS[kind](**config, dtype=dtype)
    return getattr(keras.layers, CLASSES[kind])(**config, dtype=dtype)


def weight_names(kind, layer):
    """The oracle's names of ``layer``'s weights, in the order of ``layer.weights``."""
    if kind == "multi_head_attention":
        return list(ATTENTION_WEIGHTS)
    return [weight.name for weight in layer.weights]


def set_weights(specs, model, tensors):
    """Load the oracle's ``tensors`` (params and state, by key) into ``model``'s layers."""
    for name, (kind, _), layer in zip(layer_names(specs), specs, model.layers, strict=True):
        names = weight_names(kind, layer)
        layer.set_weights([np.asarray(tensors[f"{name}/{weight}"]) for weight in names])
