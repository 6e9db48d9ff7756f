"""The sequence layers as model specs, the sequence presets, and their synthetic data.

``reference.model`` hands the kinds below to this module (init, forward, backward), so a
model mixes them freely with the other kinds. Configs use Keras's argument names:

    ("simple_rnn" | "lstm" | "gru", {"units": 16, "return_sequences": False})
    ("position_embedding", {})          y = x + P, P of shape (time, features)
    ("multi_head_attention", {"num_heads": 2, "key_dim": 4,
                              "use_causal_mask": False, "residual": True})

``multi_head_attention`` here is self-attention, query = value = key = the layer's
input; with ``residual`` it returns x + MHA(x, x), the residual connection of a
Transformer block (Keras has no such flag: the Keras twin of the presets wraps its
MultiHeadAttention in a small layer that adds the input back).

Initial weights are Keras's defaults: glorot-uniform kernels (for attention with the
true fans, fan_in = D, fan_out = H·K for a (D, H, K) kernel), orthogonal recurrent
kernels, zero biases except the LSTM's forget block (ones, ``unit_forget_bias``).
"""

import math

import numpy as np

from reference.layers import attention, position_embedding, recurrent

RECURRENT_KINDS = ("simple_rnn", "lstm", "gru")
KINDS = (*RECURRENT_KINDS, "position_embedding", "multi_head_attention")
GATE_BLOCKS = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def glorot_uniform(rng, shape, fan_in, fan_out):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def init_layer(kind, config, input_shape, rng):
    """Keras's default weights for one sequence layer; ``input_shape`` without the batch."""
    steps, features = input_shape
    if kind in RECURRENT_KINDS:
        units, blocks = config["units"], GATE_BLOCKS[kind]
        kernel = glorot_uniform(rng, (features, blocks * units), features, blocks * units)
        recurrent_kernel = recurrent.orthogonal(rng, (units, blocks * units))
        bias = np.zeros((2, 3 * units) if kind == "gru" else blocks * units)
        if kind == "lstm":
            bias[units : 2 * units] = 1.0  # unit_forget_bias
        return {"kernel": kernel, "recurrent_kernel": recurrent_kernel, "bias": bias}
    if kind == "position_embedding":
        return {"embeddings": glorot_uniform(rng, (steps, features), steps, features)}
    heads, key_dim = config["num_heads"], config["key_dim"]
    params = {}
    for name in ("query", "key", "value"):
        kernel_shape = (features, heads, key_dim)
        params[f"{name}/kernel"] = glorot_uniform(rng, kernel_shape, features, heads * key_dim)
        params[f"{name}/bias"] = np.zeros((heads, key_dim))
    output_shape = (heads, key_dim, features)
    params["attention_output/kernel"] = glorot_uniform(rng, output_shape, heads * key_dim, features)
    params["attention_output/bias"] = np.zeros(features)
    return params


def layer_forward(kind, config, params, x):
    """One sequence layer: ``(y, cache)``."""
    if kind in RECURRENT_KINDS:
        forward = getattr(recurrent, f"{kind}_forward")
        return forward(params, x, None, config.get("return_sequences", False))
    if kind == "position_embedding":
        return position_embedding.position_embedding_forward(params, x)
    causal = config.get("use_causal_mask", False)
    y, cache = attention.multi_head_attention_forward(params, x, x, None, None, causal)
    if config.get("residual", False):
        y = x + y
    return y, (config.get("residual", False), cache)


def self_attention_backward(dy, cache):
    """Self-attention feeds x as query and as value (and key): dx = d_query + d_value,
    plus dy itself through the residual connection y = x + MHA(x, x)."""
    residual, attention_cache = cache
    (d_query, d_value, _), grads = attention.multi_head_attention_backward(dy, attention_cache)
    dx = d_query + d_value
    return (dx + dy if residual else dx), grads


BACKWARD = {
    "simple_rnn": recurrent.simple_rnn_backward,
    "lstm": recurrent.lstm_backward,
    "gru": recurrent.gru_backward,
    "position_embedding": position_embedding.position_embedding_backward,
    "multi_head_attention": self_attention_backward,
}

# --- presets: token classifiers on a synthetic task -------------------------------------

VOCABULARY, SEQUENCE_LENGTH, CLASSES = 8, 10, 2


def _recurrent_classifier(kind):
    return (
        ("embedding", {"input_dim": VOCABULARY, "output_dim": 8}),
        (kind, {"units": 16}),
        ("dense", {"units": CLASSES}),
    )


TRANSFORMER_ENCODER = (
    ("embedding", {"input_dim": VOCABULARY, "output_dim": 8}),
    ("position_embedding", {}),
    ("multi_head_attention", {"num_heads": 2, "key_dim": 4, "residual": True}),
    ("layer_normalization", {}),
    ("flatten", {}),
    ("dense", {"units": CLASSES}),
)

PRESETS = {  # name: (input shape without the batch, specs)
    "lstm_classifier": ((SEQUENCE_LENGTH,), _recurrent_classifier("lstm")),
    "gru_classifier": ((SEQUENCE_LENGTH,), _recurrent_classifier("gru")),
    "simple_rnn_classifier": ((SEQUENCE_LENGTH,), _recurrent_classifier("simple_rnn")),
    "transformer_encoder": ((SEQUENCE_LENGTH,), TRANSFORMER_ENCODER),
}
NAMES = tuple(PRESETS)


# gdkit bench --model lstm / transformer: sequences of 50 steps, hidden size 128, float
# inputs (the benchmark's data are standard normal), ten classes.
BENCH_PRESETS = {
    "lstm_sequence_50": ((50, 16), (("lstm", {"units": 128}), ("dense", {"units": 10}))),
    "transformer_sequence_50": (
        (50, 64),
        (
            ("position_embedding", {}),
            ("multi_head_attention", {"num_heads": 4, "key_dim": 16, "residual": True}),
            ("layer_normalization", {}),
            ("flatten", {}),
            ("dense", {"units": 10}),
        ),
    ),
}


def first_token_task(count, length=SEQUENCE_LENGTH, vocabulary=VOCABULARY, seed=0):
    """``(tokens (count, length) ints, labels)``: the label is 1 when the *first* token is
    in the upper half of the vocabulary. The answer sits at t = 0 and the recurrent
    classifiers read the state at t = length, so they must carry it across every step."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(vocabulary, size=(count, length))
    return tokens, (tokens[:, 0] >= vocabulary // 2).astype(np.int64)
