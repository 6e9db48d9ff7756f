"""Add, the merge of a residual connection: y = x_1 + x_2 + … (same shapes)."""

from reference.layers.checks import check_input_shape


def add_forward(inputs):
    """y = Σ_k x_k; every input must have the first one's shape."""
    for x in inputs[1:]:
        check_input_shape("Add", x.shape, inputs[0].shape)
    total = inputs[0]
    for x in inputs[1:]:
        total = total + x
    return total, len(inputs)


def add_backward(dy, cache):
    """∂y/∂x_k = I for every k: each input receives the upstream gradient unchanged —
    which is why a residual connection carries gradient past the layers it skips."""
    return [dy] * cache, {}
