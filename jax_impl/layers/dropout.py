"""Dropout, inverted, with the 0/1 mask as an input (shared with the other backends)."""

from reference.errors import check_range
from reference.layers.checks import check_input_shape


def dropout_forward(x, mask, rate, training):
    check_range("rate", rate, low=0, high=1, high_open=True)
    if not training or rate == 0:
        return x
    check_input_shape("Dropout mask", mask.shape, x.shape)
    return x * mask.astype(x.dtype) * (1 / (1 - rate))
