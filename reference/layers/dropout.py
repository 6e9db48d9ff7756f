"""Dropout, inverted, with the mask as an input so that every backend can share one mask."""

from reference.errors import check_range
from reference.layers.checks import check_input_shape


def dropout_forward(x, mask, rate, training):
    """Training: y = x ⊙ m · (1/(1 − rate)), m ∈ {0, 1} drawn with P(m = 1) = 1 − rate;
    inference (or rate 0): y = x. Keras multiplies by 1/(1 − rate) rather than dividing
    by (1 − rate): the two can differ in the last bit, so we multiply too."""
    check_range("rate", rate, low=0, high=1, high_open=True)
    if not training or rate == 0:
        return x, None
    check_input_shape("Dropout mask", mask.shape, x.shape)
    scale = 1 / (1 - rate)
    return x * mask * scale, mask * scale


def dropout_backward(dy, cache):
    """y is linear in x with the diagonal factor m/(1 − rate): dx = dy ⊙ m/(1 − rate)."""
    if cache is None:
        return dy, {}
    return dy * cache, {}
