"""Keras layers for the two sequence kinds a ``keras.Sequential`` cannot hold as they are.

``position_embedding`` (Keras has no such layer; KerasHub's adds a learned (T, D) table
the same way) and ``multi_head_attention`` as self-attention: Keras's layer takes query
and value separately, so the wrapper calls it on (x, x), and adds x back with
``residual``. ``weight_names`` gives the oracle's names of a layer's weights in order.
"""

# isort: off
import tf_impl  # noqa: F401  (first: it imports TensorFlow quietly, before Keras would)
import keras

# isort: on

from reference.layers.attention import WEIGHTS as ATTENTION_WEIGHTS


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


def weight_names(kind, layer):
    """The oracle's names of ``layer``'s weights, in the order of ``layer.weights``."""
    if kind == "multi_head_attention":
        return list(ATTENTION_WEIGHTS)
    return [weight.name for weight in layer.weights]
