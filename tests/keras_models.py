"""A ``keras.Sequential`` of the same layers as a list of specs, holding the same weights.

Each layer is built by ``bench/keras_layers.py``. Keras's Dropout draws its own mask and
cannot be given one; with ``dropout_masks``, each Dropout is replaced by a layer that
applies the given mask the way Keras's Dropout applies its own (x · m · (1/(1 − rate))).
"""

import keras

from bench.keras_layers import keras_layer, set_weights
from reference.model import layer_names


class GivenMaskDropout(keras.layers.Layer):
    """Dropout with the mask given: the same arithmetic as Keras's, the oracle's mask."""

    def __init__(self, rate, mask, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.mask = rate, mask

    def call(self, x, training=False):
        if not training:
            return x
        return x * self.mask * (1 / (1 - self.rate))


def keras_sequential(specs, input_shape, params, state, dropout_masks=None):
    """The model in Keras (float64), its weights set from ``params`` and ``state``."""
    layers = []
    for name, (kind, config) in zip(layer_names(specs), specs, strict=True):
        if kind == "dropout" and dropout_masks is not None:
            layers.append(GivenMaskDropout(config["rate"], dropout_masks[name], dtype="float64"))
        else:
            layers.append(keras_layer(kind, config, dtype="float64"))
    model = keras.Sequential([keras.Input(input_shape, dtype="float64"), *layers])
    set_weights(specs, model, {**params, **state})
    return model
