"""Embedding: ``tf.gather`` of rows; the tape's gradient is a scatter-add (IndexedSlices)."""

import numpy as np
import tensorflow as tf

from reference.layers.checks import check_indices


def embedding_forward(params, indices):
    table = params["embeddings"]
    if isinstance(indices, np.ndarray):  # checked where the values are known
        check_indices("Embedding", indices.astype(np.int64), table.shape[0])
    return tf.gather(table, tf.cast(indices, tf.int64))
