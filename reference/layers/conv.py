"""Conv2D, channels last, as im2col followed by one matrix product."""

from reference.layers.checks import check_input_shape, check_strides_and_dilation, pair
from reference.layers.windows import add_windows, crop, extract_windows, pad, spatial_geometry


def conv2d_geometry(kernel_shape, x_shape, strides, padding, dilation_rate):
    """Checks the input against the kernel; returns the geometry ``conv2d_forward`` uses."""
    strides = pair("strides", "Conv2D", strides)
    dilation = pair("dilation_rate", "Conv2D", dilation_rate)
    check_strides_and_dilation("Conv2D", strides, dilation)
    check_input_shape("Conv2D", x_shape, (None, None, None, kernel_shape[2]))
    out_size, pad_h, pad_w = spatial_geometry(
        "Conv2D", x_shape, kernel_shape[:2], strides, dilation, padding
    )
    return strides, dilation, out_size, pad_h, pad_w


def conv2d_forward(params, x, strides=1, padding="valid", dilation_rate=1):
    """Cross-correlation (no kernel flip), Keras's Conv2D:

        y[n,i,j,o] = b[o] + Σ_{a,b,c} x̃[n, i·s_h + a·d_h, j·s_w + b·d_w, c] · W[a,b,c,o]

    x̃ is x zero-padded (TensorFlow's "same" split: an odd pad goes bottom/right).
    Gathering every window into a row of ``columns`` (N·H_o·W_o, kh·kw·C_in) makes it
    one product: y = columns · W.reshape(kh·kw·C_in, C_out) + b.
    """
    kernel = params["kernel"]
    kh, kw, c_in, c_out = kernel.shape
    strides, dilation, out_size, pad_h, pad_w = conv2d_geometry(
        kernel.shape, x.shape, strides, padding, dilation_rate
    )
    padded = pad(x, pad_h, pad_w)
    windows = extract_windows(padded, (kh, kw), strides, dilation, out_size)
    columns = windows.reshape(-1, kh * kw * c_in)
    y = columns @ kernel.reshape(-1, c_out) + params["bias"]
    cache = (columns, kernel, padded.shape, strides, dilation, pad_h, pad_w)
    return y.reshape(x.shape[0], *out_size, c_out), cache


def conv2d_backward(dy, cache, input_gradient=True):
    """The forward is y = C·W + b with C = im2col(x̃), so, rows of dy against rows of C:

    dW = Cᵀ dy      (reshaped back to (kh, kw, C_in, C_out))
    db = Σ_{n,i,j} dy
    dC = dy Wᵀ,  and dx = crop(col2im(dC)): each window cell's gradient is added
                 back to the input pixel it was read from (overlaps add up).

    ``input_gradient=False`` skips dx (``None``): a model's first layer reads the data,
    which needs no gradient, as TensorFlow's tape and ``jax.grad`` skip it too.
    """
    columns, kernel, padded_shape, strides, dilation, pad_h, pad_w = cache
    kh, kw, c_in, c_out = kernel.shape
    rows_dy = dy.reshape(-1, c_out)
    grads = {
        "kernel": (columns.T @ rows_dy).reshape(kernel.shape),
        "bias": rows_dy.sum(axis=0),
    }
    if not input_gradient:
        return None, grads
    window_grads = (rows_dy @ kernel.reshape(-1, c_out).T).reshape(*dy.shape[:3], kh, kw, c_in)
    dx = crop(add_windows(window_grads, padded_shape, strides, dilation), pad_h, pad_w)
    return dx, grads
