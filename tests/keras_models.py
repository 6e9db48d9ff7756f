"""A ``keras.Sequential`` of the same layers as a list of specs, holding the same weights.

The spec configs use Keras's own argument names, so each layer is built from them
directly. Keras's Dropout draws its own mask and cannot be given one; with
``dropout_masks``, each Dropout is replaced by a layer that applies the given mask the
way Keras's Dropout applies its own (x · m · (1/(1 − rate))).
"""

import keras
import numpy as np

from reference.model import layer_names

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
}


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
            layers.append(getattr(keras.layers, CLASSES[kind])(**config, dtype="float64"))
    model = keras.Sequential([keras.Input(input_shape, dtype="float64"), *layers])
    tensors = {**params, **state}
    for name, layer in zip(layer_names(specs), model.layers, strict=True):
        layer.set_weights([np.asarray(tensors[f"{name}/{w.name}"]) for w in layer.weights])
    return model
