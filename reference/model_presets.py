"""Named models: lists of layer specs ``(kind, config)``, Keras's layer and argument names.

A kind is the snake_case name Keras gives the layer (``conv2d``, ``batch_normalization``,
``max_pooling2d``, ...); the config holds the constructor arguments that differ from
Keras's defaults. ``PRESETS[name] = (input_shape, specs)``, input shape without the batch.
"""

DIGITS_CNN = (
    ("conv2d", {"filters": 8, "kernel_size": 3, "padding": "same"}),
    ("batch_normalization", {}),
    ("activation", {"activation": "relu"}),
    ("max_pooling2d", {"pool_size": 2}),
    ("flatten", {}),
    ("dense", {"units": 10}),
)

# The convnet of Keras's "Simple MNIST convnet" example and the TensorFlow tutorials.
MNIST_CNN = (
    ("conv2d", {"filters": 32, "kernel_size": 3, "activation": "relu"}),
    ("max_pooling2d", {"pool_size": 2}),
    ("conv2d", {"filters": 64, "kernel_size": 3, "activation": "relu"}),
    ("max_pooling2d", {"pool_size": 2}),
    ("flatten", {}),
    ("dropout", {"rate": 0.5}),
    ("dense", {"units": 10}),
)

# The seed MLP (784 → 64 → 10) with batch normalization and dropout between the Dense layers.
MLP_BATCH_NORM_DROPOUT = (
    ("dense", {"units": 64}),
    ("batch_normalization", {}),
    ("activation", {"activation": "relu"}),
    ("dropout", {"rate": 0.2}),
    ("dense", {"units": 10}),
)

PRESETS = {
    "digits_cnn": ((8, 8, 1), DIGITS_CNN),
    "mnist_cnn": ((28, 28, 1), MNIST_CNN),
    "mlp_batch_norm_dropout": ((784,), MLP_BATCH_NORM_DROPOUT),
}
NAMES = tuple(PRESETS)


def mlp_specs(sizes, activation="relu"):
    """The MLP of ``reference.mlp`` as specs: Dense layers, ``activation`` on all but the last."""
    last = len(sizes) - 2
    return tuple(
        ("dense", {"units": units, "activation": "linear" if i == last else activation})
        for i, units in enumerate(sizes[1:])
    )
