"""MaxPooling2D, AveragePooling2D and GlobalAveragePooling2D, channels last, TensorFlow's rules."""

import numpy as np

from reference.layers.checks import check_input_shape, pair
from reference.layers.windows import add_windows, crop, extract_windows, pad, spatial_geometry

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

    Padded cells are −∞, so they are never the maximum. Of tied maxima the first in
    row-major (a, b) order wins (``np.argmax`` returns the first), as in TensorFlow.
    """
    pool, strides, out_size, pad_h, pad_w = pooling_geometry(
        "MaxPooling2D", x.shape, pool_size, strides, padding
    )
    padded = pad(x, pad_h, pad_w, value=-np.inf)
    windows = extract_windows(padded, pool, strides, NO_DILATION, out_size, channels_last=False)
    flat = windows.reshape(*windows.shape[:4], pool[0] * pool[1])  # (N, H_o, W_o, C, kh·kw)
    winner = flat.argmax(axis=-1)[..., None]
    y = np.take_along_axis(flat, winner, axis=-1)[..., 0]
    return y, (winner, flat.shape, pool, strides, padded.shape, pad_h, pad_w)


def max_pooling2d_backward(dy, cache):
    """∂y/∂x̃ is 1 at the winning cell of each window and 0 elsewhere, so each upstream
    gradient goes to its window's winner (the first maximum); overlapping windows add."""
    winner, flat_shape, pool, strides, padded_shape, pad_h, pad_w = cache
    window_grads = np.zeros(flat_shape, dy.dtype)
    np.put_along_axis(window_grads, winner, dy[..., None], axis=-1)
    window_grads = window_grads.reshape(*flat_shape[:4], *pool).transpose(0, 1, 2, 4, 5, 3)
    padded_grad = add_windows(window_grads, padded_shape, strides, NO_DILATION)
    return crop(padded_grad, pad_h, pad_w), {}


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
    count = extract_windows(real, pool, strides, NO_DILATION, out_size, False).sum(axis=(4, 5))
    total = extract_windows(padded, pool, strides, NO_DILATION, out_size, False).sum(axis=(4, 5))
    return total / count, (count, pool, strides, padded.shape, pad_h, pad_w)


def average_pooling2d_backward(dy, cache):
    """Each real cell of window (i, j) has weight 1/count(i,j): it gets dy[i,j] / count(i,j),
    summed over the windows that contain it (padded cells' share is cropped away)."""
    count, pool, strides, padded_shape, pad_h, pad_w = cache
    share = (dy / count)[:, :, :, None, None, :]
    window_grads = np.broadcast_to(share, (*dy.shape[:3], *pool, dy.shape[3]))
    padded_grad = add_windows(window_grads, padded_shape, strides, NO_DILATION)
    return crop(padded_grad, pad_h, pad_w), {}


def global_average_pooling2d_forward(x):
    """y[n,c] = (1 / HW) Σ_{h,w} x[n,h,w,c]."""
    check_input_shape("GlobalAveragePooling2D", x.shape, (None, None, None, None))
    return x.mean(axis=(1, 2)), x.shape


def global_average_pooling2d_backward(dy, cache):
    """Every pixel has weight 1/HW: dx[n,h,w,c] = dy[n,c] / HW."""
    n, height, width, channels = cache
    share = dy[:, None, None, :] / (height * width)
    return np.broadcast_to(share, cache).copy(), {}
