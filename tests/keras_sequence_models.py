"""A ``keras.Sequential`` of a sequence preset's layers, holding the oracle's weights.

The recurrent kinds, Embedding, LayerNormalization, Flatten and Dense are Keras's own
layers built from the spec's config; ``position_embedding`` and ``multi_head_attention``
(self-attention, with its residual) are the small wrappers of
``bench/keras_layers.py``, which ``gdkit bench`` uses too.
"""

import keras

from bench.keras_layers import keras_layer, set_weights, weight_names
from reference.model import layer_names


def keras_sequence_model(specs, input_shape, params):
    """The preset in Keras (float64 weights, integer token input), weights from ``params``."""
    layers = [keras_layer(kind, config, dtype="float64") for kind, config in specs]
    model = keras.Sequential([keras.Input(input_shape, dtype="int32"), *layers])
    set_weights(specs, model, params)
    return model


def keras_parameter_order(specs, model):
    """The oracle's keys in the order of ``model.trainable_variables``."""
    return [
        f"{name}/{weight}"
        for name, (kind, _), layer in zip(layer_names(specs), specs, model.layers, strict=True)
        for weight in weight_names(kind, layer)
    ]
