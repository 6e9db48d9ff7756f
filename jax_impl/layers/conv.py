"""Conv2D, channels last: ``lax.conv_general_dilated`` with XLA's own "SAME" / "VALID"."""

from jax import lax

from reference.layers.conv import conv2d_geometry


def conv2d_forward(params, x, strides=1, padding="valid", dilation_rate=1):
    kernel = params["kernel"]
    strides, dilation, *_ = conv2d_geometry(kernel.shape, x.shape, strides, padding, dilation_rate)
    y = lax.conv_general_dilated(
        x,
        kernel,
        window_strides=strides,
        padding=padding.upper(),
        rhs_dilation=dilation,
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
    )
    return y + params["bias"]
