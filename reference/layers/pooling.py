"""MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D, channels last, TensorFlow's rules.

Pooling reduces each window over its kh·kw cells. Written as a loop over the cells,
each step an elementwise operation on one (N, out_h, out_w, C) slice of the input
(``window_cells``), it costs kh·kw passes over the output and no copy of the windows.
"""

import numpy as np

from reference.layers.checks import check_input_shape, pair
from reference.layers.windows import crop, pad, spatial_geometry, window_cells

NO_DILATION = (1, 1)


def pooling_geometry(layer, x_shape, pool_size, strides, padding):
    """Pool size, strides (``None`` → the pool size, as Keras), output size and pads."""
    check_input_shape(layer, x_shape, (None, None, None, None))
    pool = pair("pool_size", layer, pool_size)
    strides = pool if strides is None else pair("strides", layer, strides)
    out_size, pad_h, pad_w = spatial_geometry(layer, x_shape, pool, strides, NO_DILATION, padding)
    return pool, strides, out_size, pad_h, pad_w


def max_pooling2d_forward(x, pool_size=2, strides=None, padding="valid"):
    """y[n,i,j,c] = max_{a,b} x̃[n, i·s_h + a, j·s_w + b, c], x̃ padded with −∞ ("same").

    Padded cells are −∞, so they are never the maximum.
    """
    pool, strides, out_size, pad_h, pad_w = pooling_geometry(
        "MaxPooling2D", x.shape, pool_size, strides, padding
    )
    padded = pad(x, pad_h, pad_w, value=-np.inf)
    cells = window_cells(pool, strides, NO_DILATION, out_size)
    rows, cols = next(cells)
    y = padded[:, rows, cols, :].copy()
    for rows, cols in cells:
        np.maximum(y, padded[:, rows, cols, :], out=y)
    return y, (padded, y, pool, strides, pad_h, pad_w)


def max_pooling2d_backward(dy, cache):
    """∂y/∂x̃ is 1 at the winning cell of each window and 0 elsewhere, so each upstream
    gradient goes to its window's winner; overlapping windows add.

    Of tied maxima the first in row-major (a, b) order wins, as in TensorFlow: walking the
    cells in that order, a cell equal to y wins unless an earlier one has already won.
    """
    padded, y, pool, strides, pad_h, pad_w = cache
    grad = np.zeros(padded.shape, dy.dtype)
    won = np.zeros(y.shape, bool)
    for rows, cols in window_cells(pool, strides, NO_DILATION, y.shape[1:3]):
        wins = padded[:, rows, cols, :] == y
        wins &= ~won
        won |= wins
        grad[:, rows, cols, :] += dy * wins
    return crop(grad, pad_h, pad_w), {}


def average_pooling2d_forward(x, pool_size=2, strides=None, padding="valid"):
    """y[n,i,j,c] = Σ_{real (a,b)} x[n, i·s_h + a − top, j·s_w + b − left, c] / count(i,j).

    count(i,j) is the number of real (not padded) cells in window (i, j): TensorFlow's
    "same" average ignores the padding (torch's default divides by kh·kw instead).
    """
    pool, strides, out_size, pad_h, pad_w = pooling_geometry(
        "AveragePooling2D", x.shape, pool_size, strides, padding
    )
    padded = pad(x, pad_h, pad_w)
    real = pad(np.ones((1, *x.shape[1:3], 1), x.dtype), pad_h, pad_w)
    cells = list(window_cells(pool, strides, NO_DILATION, out_size))
    count = sum(real[:, rows, cols, :] for rows, cols in cells)
    total = sum(padded[:, rows, cols, :] for rows, cols in cells)
    return total / count, (count, pool, strides, padded.shape, pad_h, pad_w)


def average_pooling2d_backward(dy, cache):
    """Each real cell of window (i, j) has weight 1/count(i,j): it gets dy[i,j] / count(i,j),
    summed over the windows that contain it (padded cells' share is cropped away)."""
    count, pool, strides, padded_shape, pad_h, pad_w = cache
    share = dy / count
    grad = np.zeros(padded_shape, dy.dtype)
    for rows, cols in window_cells(pool, strides, NO_DILATION, dy.shape[1:3]):
        grad[:, rows, cols, :] += share
    return crop(grad, pad_h, pad_w), {}


def global_average_pooling2d_forward(x):
    """y[n,c] = (1 / HW) Σ_{h,w} x[n,h,w,c]."""
    check_input_shape("GlobalAveragePooling2D", x.shape, (None, None, None, None))
    return x.mean(axis=(1, 2)), x.shape


def global_average_pooling2d_backward(dy, cache):
    """Every pixel has weight 1/HW: dx[n,h,w,c] = dy[n,c] / HW."""
    n, height, width, channels = cache
    share = dy[:, None, None, :] / (height * width)
    return np.broadcast_to(share, cache).copy(), {}
