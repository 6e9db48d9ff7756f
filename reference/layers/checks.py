"""Input checks shared by the three backends' layers, so that they fail identically.

A shape that does not fit a layer raises ``ValueError`` naming the layer, the
expected shape and the given one. ``None`` in an expected shape means any size
(and a ``None`` in a given shape, TensorFlow's unknown batch size, fits anything).
"""

import math


def describe(shape):
    return "(" + ", ".join("any" if n is None else str(n) for n in shape) + ")"


def check_input_shape(layer, given, expected):
    """``given`` must have the rank of ``expected`` and its sizes where they are fixed."""
    given = tuple(None if n is None else int(n) for n in given)
    fits = len(given) == len(expected) and all(
        want is None or have is None or want == have
        for want, have in zip(expected, given, strict=True)
    )
    if not fits:
        raise ValueError(
            f"{layer}: expected an input of shape {describe(expected)}, got {describe(given)}."
        )


def pair(name, layer, value):
    """An int or a pair of positive ints, as Keras accepts for kernel sizes and strides."""
    values = (value, value) if isinstance(value, int) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"{layer}: {name}={value!r} is not allowed: need a positive int or pair.")
    return values


PADDINGS = ("valid", "same")


def window_output_size(layer, size, window, stride, dilation, padding):
    """Output size and (before, after) padding of one spatial axis, TensorFlow's rule.

    valid: out = ⌊(size − d(k−1) − 1) / s⌋ + 1, no padding.
    same:  out = ⌈size / s⌉; total pad P = max((out−1)s + d(k−1) + 1 − size, 0),
           before = ⌊P/2⌋, after = P − before: an odd pad puts the extra cell after
           (bottom / right).
    """
    if padding not in PADDINGS:
        raise ValueError(f"{layer}: padding={padding!r} is not allowed: need one of {PADDINGS}.")
    span = dilation * (window - 1) + 1
    if padding == "valid":
        if size is not None and span > size:
            raise ValueError(
                f"{layer}: a window spanning {span} does not fit an input of size {size} "
                f'with padding="valid"; expected an input of size >= {span}.'
            )
        return (None if size is None else (size - span) // stride + 1), (0, 0)
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + span - size, 0)
    return out, (total // 2, total - total // 2)


def check_strides_and_dilation(layer, strides, dilation):
    """Keras rejects a stride above 1 together with a dilation above 1; so do we."""
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(
            f"{layer}: strides={strides} with dilation_rate={dilation} is not allowed: "
            "need strides of 1 or a dilation rate of 1, as Keras."
        )


def check_indices(layer, indices, input_dim):
    """Integer indices must lie in [0, input_dim) (Keras silently wraps a negative one)."""
    if indices.size and (indices.min() < 0 or indices.max() >= input_dim):
        raise ValueError(
            f"{layer}: indices must lie in [0, {input_dim}); got values from "
            f"{indices.min()} to {indices.max()}."
        )
