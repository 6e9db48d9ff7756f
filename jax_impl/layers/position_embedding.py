"""PositionEmbedding: y = x + P, a learned vector per position (the oracle's equations)."""

from reference.layers.sequence_checks import check_sequence


def position_embedding_forward(params, x):
    table = params["embeddings"]
    steps, features = table.shape
    check_sequence("PositionEmbedding", x.shape, features, steps=steps)
    return x + table
