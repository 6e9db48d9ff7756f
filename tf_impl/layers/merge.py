"""Add, the merge of a residual connection."""

from reference.layers.checks import check_input_shape


def add_forward(inputs):
    for x in inputs[1:]:
        check_input_shape("Add", x.shape, tuple(inputs[0].shape))
    total = inputs[0]
    for x in inputs[1:]:
        total = total + x
    return total
