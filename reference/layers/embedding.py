"""Embedding: a lookup of rows of a table (input_dim, output_dim) by integer index."""

import numpy as np

from reference.layers.checks import check_indices


def embedding_forward(params, indices):
    """y[..., :] = W[indices[...], :]. Indices must lie in [0, input_dim); float indices
    are truncated toward 0, as Keras does (a model's input may arrive as floats)."""
    table = params["embeddings"]
    indices = np.asarray(indices).astype(np.int64)
    if indices.dtype.kind == "f":  # Keras truncates float ids (a model's init runs on zeros)
        indices = indices.astype(np.int64)
    check_indices("Embedding", indices, table.shape[0])
    return table[indices], (indices, table.shape)


def embedding_backward(dy, cache):
    """Row W[k] is copied to every position whose index is k, so its gradient is the sum
    of those positions' upstream gradients (a scatter-add; repeated indices add up).
    The indices are integers: they get no gradient (``dx = None``)."""
    indices, table_shape = cache
    grad = np.zeros(table_shape, dy.dtype)
    np.add.at(grad, indices.reshape(-1), dy.reshape(-1, table_shape[1]))
    return None, {"embeddings": grad}
