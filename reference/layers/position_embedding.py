"""PositionEmbedding: a learned vector per position, added to the token embeddings.

y[b, t, :] = x[b, t, :] + P[t, :], with P of shape (sequence length, features). Keras
itself has no such layer (KerasHub's ``PositionEmbedding`` does this, and its default
initialiser, glorot-uniform, is ours); attention alone cannot tell positions apart.
"""

from reference.layers.sequence_checks import check_sequence


def position_embedding_forward(params, x):
    """y = x + P[:T]; P must have exactly the sequence's length T."""
    table = params["embeddings"]
    steps, features = table.shape
    check_sequence("PositionEmbedding", x.shape, features, steps=steps)
    return x + table, x.shape[0]


def position_embedding_backward(dy, cache):
    """P is added to every sequence of the batch: dP = Σ_batch dy; dx = dy."""
    return dy, {"embeddings": dy.sum(axis=0)}
