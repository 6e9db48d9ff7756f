"""Flatten: (N, d1, d2, ...) → (N, d1·d2·…), row-major as Keras (channels fastest)."""


def flatten_forward(x):
    """y[n, (h·W + w)·C + c] = x[n, h, w, c]: a reshape, nothing computed."""
    return x.reshape(x.shape[0], -1), x.shape


def flatten_backward(dy, cache):
    """A reshape only moves numbers, so its gradient is the reverse reshape."""
    return dy.reshape(cache), {}
