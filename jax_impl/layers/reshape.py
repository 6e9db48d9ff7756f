"""Flatten: (N, d1, d2, ...) → (N, d1·d2·…), row-major as Keras."""


def flatten_forward(x):
    return x.reshape(x.shape[0], -1)
