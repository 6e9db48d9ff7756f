"""Sliding windows (im2col) and their adjoint, shared by convolution and pooling.

Cell (a, b) of window (i, j) is x̃[i·s_h + a·d_h, j·s_w + b·d_w] of the padded input x̃.
``extract_windows`` gathers, for every output position (i, j), its whole window: a
strided view (no Python loop over pixels), for convolution's one matmul.
``window_cells`` slices the other way round: for each cell (a, b), that cell of every
window at once, an (N, out_h, out_w, C) view; pooling reduces over the kh·kw cells with
elementwise operations on these views. ``add_windows`` is ``extract_windows``'s adjoint
(transpose): it adds every window's cells back to the input positions they were read
from. Both loop over the kh·kw cells of the window only.
"""

import numpy as np

from reference.layers.checks import window_output_size


def spatial_geometry(layer, x_shape, window, strides, dilation, padding):
    """((out_h, out_w), (pad_top, pad_bottom), (pad_left, pad_right)) for an NHWC input."""
    out_h, pad_h = window_output_size(
        layer, x_shape[1], window[0], strides[0], dilation[0], padding
    )
    out_w, pad_w = window_output_size(
        layer, x_shape[2], window[1], strides[1], dilation[1], padding
    )
    return (out_h, out_w), pad_h, pad_w


def pad(x, pad_h, pad_w, value=0.0):
    if not any(pad_h + pad_w):
        return x  # "valid": np.pad would still copy the whole input
    return np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)), constant_values=value)


def extract_windows(padded, window, strides, dilation, out_size):
    """View of shape (N, out_h, out_w, kh, kw, C): window (i, j) of the padded input."""
    span = [d * (k - 1) + 1 for k, d in zip(window, dilation, strict=True)]
    view = np.lib.stride_tricks.sliding_window_view(padded, span, axis=(1, 2))
    view = view[:, :: strides[0], :: strides[1], :, :: dilation[0], :: dilation[1]]
    return view[:, : out_size[0], : out_size[1]].transpose(0, 1, 2, 4, 5, 3)


def window_cells(window, strides, dilation, out_size):
    """For each cell (a, b) of the window, in row-major order: the (rows, cols) slices that
    pick x̃[i·s_h + a·d_h, j·s_w + b·d_w] for every output position (i, j)."""
    for a in range(window[0]):
        for b in range(window[1]):
            top, left = a * dilation[0], b * dilation[1]
            rows = slice(top, top + strides[0] * (out_size[0] - 1) + 1, strides[0])
            cols = slice(left, left + strides[1] * (out_size[1] - 1) + 1, strides[1])
            yield rows, cols


def add_windows(window_grads, padded_shape, strides, dilation):
    """Adjoint of ``extract_windows``: Σ over windows of each cell's gradient, (N, H̃, W̃, C).

    Windows overlap when the stride is smaller than the window, so cells add up.
    """
    grad = np.zeros(padded_shape, window_grads.dtype)
    _, out_h, out_w, kh, kw, _ = window_grads.shape
    cells = window_cells((kh, kw), strides, dilation, (out_h, out_w))
    for (a, b), (rows, cols) in zip(np.ndindex(kh, kw), cells, strict=True):
        grad[:, rows, cols, :] += window_grads[:, :, :, a, b, :]
    return grad


def crop(padded, pad_h, pad_w):
    """Remove the padding again: the inverse of ``pad`` on the spatial axes."""
    height, width = padded.shape[1] - sum(pad_h), padded.shape[2] - sum(pad_w)
    return padded[:, pad_h[0] : pad_h[0] + height, pad_w[0] : pad_w[0] + width, :]
