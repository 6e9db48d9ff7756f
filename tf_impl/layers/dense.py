"""Dense: y = x W + b on the last axis."""

from reference.layers.checks import check_input_shape


def dense_forward(params, x):
    kernel = params["kernel"]
    check_input_shape("Dense", x.shape, (None,) * (len(x.shape) - 1) + (kernel.shape[0],))
    return x @ kernel + params["bias"]
