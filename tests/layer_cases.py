"""The layer cases the layer tests walk through: one call, the same in the three backends.

Each case's ``call(layers, params, x)`` calls one forward function of a ``layers``
package (``reference.layers``, ``tf_impl.layers`` or ``jax_impl.layers``): the names and
arguments are the same in all three. The reference returns ``(y, cache)`` (batch norm
``(y, new_state, cache)``), the twins ``y`` (batch norm ``(y, new_state)``); ``output``
and ``cache`` pick them apart.
"""

import dataclasses

import numpy as np

from reference.layers import (
    activation,
    conv,
    dense,
    dropout,
    normalization,
    pooling,
    reshape,
)

BATCH_NORM_STATE = {
    "moving_mean": np.array([0.25, -0.5, 0.125]),
    "moving_variance": np.array([0.5, 1.5, 2.0]),
}
DROPOUT_RATE = 0.25
DROPOUT_MASK = (np.random.default_rng(7).random((2, 5, 6, 3)) >= DROPOUT_RATE).astype(np.float64)


@dataclasses.dataclass(frozen=True)
class LayerCase:
    id: str
    call: object  # (layers package, params, x) -> the forward's result
    backward: object  # the reference backward
    input_shape: tuple
    param_shapes: dict  # name -> shape; params drawn from N(0, 1) (γ around 1)
    keras_layer: object = None  # () -> a keras layer with the same configuration
    keras_weights: tuple = ()  # the params' names in keras layer.weights order
    keras_training: bool = False

    def params(self, seed=1):
        rng = np.random.default_rng(seed)
        drawn = {name: rng.standard_normal(shape) for name, shape in self.param_shapes.items()}
        if "gamma" in drawn:
            drawn["gamma"] = 1 + 0.5 * drawn["gamma"]
        return drawn

    def input(self, seed=0):
        return np.random.default_rng(seed).standard_normal(self.input_shape)


def output(result):
    return result[0] if isinstance(result, tuple) else result


def cache(result):
    return result[-1]


def _keras(name, *args, **kwargs):
    def make():
        import keras

        return getattr(keras.layers, name)(*args, dtype="float64", **kwargs)

    return make


def _conv_case(id, kernel, strides, padding, dilation, input_shape=(2, 7, 6, 3)):
    return LayerCase(
        f"conv2d-{id}",
        lambda L, p, x: L.conv.conv2d_forward(p, x, strides, padding, dilation),
        conv.conv2d_backward,
        input_shape,
        {"kernel": (*kernel, input_shape[3], 4), "bias": (4,)},
        _keras("Conv2D", 4, kernel, strides=strides, padding=padding, dilation_rate=dilation),
        ("kernel", "bias"),
    )


def _pool_case(kind, pool, strides, padding, input_shape=(2, 7, 6, 3)):
    forward = getattr(pooling, f"{kind}_pooling2d_forward")
    keras_name = {"max": "MaxPooling2D", "average": "AveragePooling2D"}[kind]
    return LayerCase(
        f"{kind}_pooling2d-{pool}-{strides}-{padding}",
        lambda L, p, x: getattr(L.pooling, forward.__name__)(x, pool, strides, padding),
        getattr(pooling, f"{kind}_pooling2d_backward"),
        input_shape,
        {},
        _keras(keras_name, pool, strides=strides, padding=padding),
    )


def _activation_case(name, keras_name):
    return LayerCase(
        f"activation-{name}",
        lambda L, p, x: L.activation.activation_forward(x, name),
        activation.activation_backward,
        (3, 5),
        {},
        _keras("Activation", keras_name),
    )


def state_like(gamma):
    """The batch-norm state in the dtype of the case's weights (float32 runs included)."""
    dtype = np.dtype(gamma.dtype.name)
    return {name: value.astype(dtype) for name, value in BATCH_NORM_STATE.items()}


def _batch_norm_case(training, input_shape):
    def call(L, p, x):
        state = state_like(p["gamma"])
        return L.normalization.batch_normalization_forward(p, state, x, training)

    return LayerCase(
        f"batch_normalization-{'training' if training else 'inference'}-{len(input_shape)}d",
        call,
        normalization.batch_normalization_backward,
        input_shape,
        {"gamma": (3,), "beta": (3,)},
        _keras("BatchNormalization"),
        ("gamma", "beta", "moving_mean", "moving_variance"),
        training,
    )


CASES = [
    LayerCase(
        "dense",
        lambda L, p, x: L.dense.dense_forward(p, x),
        dense.dense_backward,
        (4, 5),
        {"kernel": (5, 3), "bias": (3,)},
        _keras("Dense", 3),
        ("kernel", "bias"),
    ),
    LayerCase(
        "dense-3d",
        lambda L, p, x: L.dense.dense_forward(p, x),
        dense.dense_backward,
        (2, 3, 5),
        {"kernel": (5, 3), "bias": (3,)},
        _keras("Dense", 3),
        ("kernel", "bias"),
    ),
    *(_activation_case(name, name) for name in ("relu", "sigmoid", "tanh", "linear", "softmax")),
    _conv_case("3x3-valid", (3, 3), 1, "valid", 1),
    _conv_case("3x3-same", (3, 3), 1, "same", 1),
    _conv_case("3x3-same-stride2", (3, 3), 2, "same", 1),  # odd pad: (0, 1) rows
    _conv_case("2x3-same-stride2x3", (2, 3), (2, 3), "same", 1),
    _conv_case("3x2-valid-stride2", (3, 2), 2, "valid", 1),
    _conv_case("3x3-same-dilation2", (3, 3), 1, "same", 2),
    _conv_case("2x2-valid-dilation2x3", (2, 2), 1, "valid", (2, 3)),
    _conv_case("1x1", (1, 1), 1, "valid", 1),
    _pool_case("max", 2, None, "valid"),
    _pool_case("max", 3, 2, "same"),
    _pool_case("max", 2, 1, "same"),
    _pool_case("max", (3, 2), (2, 1), "valid"),
    _pool_case("average", 2, None, "valid"),
    _pool_case("average", 3, 2, "same"),
    _pool_case("average", 2, 1, "same"),
    _pool_case("average", (3, 2), (2, 1), "valid"),
    LayerCase(
        "global_average_pooling2d",
        lambda L, p, x: L.pooling.global_average_pooling2d_forward(x),
        pooling.global_average_pooling2d_backward,
        (2, 5, 4, 3),
        {},
        _keras("GlobalAveragePooling2D"),
    ),
    LayerCase(
        "flatten",
        lambda L, p, x: L.reshape.flatten_forward(x),
        reshape.flatten_backward,
        (2, 5, 4, 3),
        {},
        _keras("Flatten"),
    ),
    _batch_norm_case(True, (6, 3)),
    _batch_norm_case(False, (6, 3)),
    _batch_norm_case(True, (2, 5, 4, 3)),
    _batch_norm_case(False, (2, 5, 4, 3)),
    LayerCase(
        "layer_normalization",
        lambda L, p, x: L.normalization.layer_normalization_forward(p, x),
        normalization.layer_normalization_backward,
        (2, 4, 5),
        {"gamma": (5,), "beta": (5,)},
        _keras("LayerNormalization"),
        ("gamma", "beta"),
    ),
    LayerCase(
        "dropout-training",
        lambda L, p, x: L.dropout.dropout_forward(x, DROPOUT_MASK, DROPOUT_RATE, True),
        dropout.dropout_backward,
        DROPOUT_MASK.shape,
        {},
    ),
    LayerCase(
        "dropout-inference",
        lambda L, p, x: L.dropout.dropout_forward(x, DROPOUT_MASK, DROPOUT_RATE, False),
        dropout.dropout_backward,
        DROPOUT_MASK.shape,
        {},
    ),
]
CASE_IDS = [case.id for case in CASES]
KERAS_CASES = [case for case in CASES if case.keras_layer is not None]


def max_relative_difference(actual, expected):
    """max |actual − expected| / max |expected|: one number for a whole tensor."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    scale = np.abs(expected).max()
    return float(np.abs(actual - expected).max() / (scale if scale > 0 else 1.0))
