"""Bad input to the sequence layers: the same ValueError, naming the layer, the expected and
the given, in the three backends (a sequence of the wrong rank or size, an initial state
of the wrong shape, a mask that does not fit, a token id outside the embedding)."""

import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

import jax_impl.layers as jax_layers
import reference.layers as reference_layers
import tf_impl.layers as tf_layers
from tests.sequence_cases import case_named

BACKENDS = {
    "reference": (reference_layers, np.asarray),
    "tf": (tf_layers, tf.constant),
    "jax": (jax_layers, jnp.asarray),
}


def _rnn(forward_name, case_id, shape, initial_state=None):
    """A forward of ``case_id``'s layer on ones of ``shape``, ``initial_state`` as shapes."""

    def call(layers, convert):
        params = case_named(case_id).params()
        state = initial_state
        if state is not None:
            state = [convert(np.ones(s)) for s in state]
            state = state[0] if len(state) == 1 else state
        forward = getattr(layers.recurrent, f"{forward_name}_forward")
        return forward(params, convert(np.ones(shape)), state)

    return call


def _attention(query_shape, value_shape, mask_shape=None, causal=False):
    def call(layers, convert):
        params = case_named("multi_head_attention-self-T2").params()
        mask = None if mask_shape is None else convert(np.ones(mask_shape, bool))
        return layers.attention.multi_head_attention_forward(
            params, convert(np.ones(query_shape)), convert(np.ones(value_shape)), None, mask, causal
        )

    return call


BAD_INPUTS = {
    "lstm-sequence-rank": (
        _rnn("lstm", "lstm-T2", (2, 3)),
        r"LSTM: expected a sequence of shape \(any, time >= 1, 3\), got \(2, 3\)\.",
    ),
    "gru-features": (
        _rnn("gru", "gru-T2", (2, 5, 4)),
        r"GRU: expected a sequence of shape \(any, time >= 1, 3\), got \(2, 5, 4\)\.",
    ),
    "simple_rnn-no-steps": (
        _rnn("simple_rnn", "simple_rnn-T2", (2, 0, 3)),
        r"SimpleRNN: expected a sequence of shape \(any, time >= 1, 3\), got \(2, 0, 3\)\.",
    ),
    "lstm-initial-state-shape": (
        _rnn("lstm", "lstm-T2", (2, 5, 3), [(2, 4), (2, 5)]),
        r"LSTM: expected an initial state of shape \(2, 4\), got \(2, 5\)\.",
    ),
    "lstm-one-initial-state": (
        _rnn("lstm", "lstm-T2", (2, 5, 3), [(2, 4)]),
        r"LSTM: expected 2 initial states \(h₀ and c₀\), got 1\.",
    ),
    "gru-initial-state-batch": (
        _rnn("gru", "gru-T2", (2, 5, 3), [(3, 4)]),
        r"GRU: expected an initial state of shape \(2, 4\), got \(3, 4\)\.",
    ),
    "attention-mask-shape": (
        _attention((2, 4, 6), (2, 5, 6), (2, 4, 4)),
        r"MultiHeadAttention: expected an attention_mask of shape \(2, 4, 5\), got \(2, 4, 4\)\.",
    ),
    "attention-query-rank": (
        _attention((2, 6), (2, 5, 6)),
        r"MultiHeadAttention query: expected a sequence of shape \(any, time >= 1, 6\), "
        r"got \(2, 6\)\.",
    ),
    "attention-value-batch": (
        _attention((2, 4, 6), (3, 5, 6), causal=True),
        r"MultiHeadAttention value: expected a sequence of shape \(2, time >= 1, 6\), "
        r"got \(3, 5, 6\)\.",
    ),
}


@pytest.mark.parametrize("backend", list(BACKENDS))
@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_sequence_input_raises_the_same_error_in_every_backend(name, backend):
    call, message = BAD_INPUTS[name]
    layers, convert = BACKENDS[backend]
    with pytest.raises(ValueError, match=message):
        call(layers, convert)


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_token_id_outside_the_embedding_raises_in_every_backend(backend):
    layers, _ = BACKENDS[backend]
    params = {"embeddings": np.ones((5, 2))}
    with pytest.raises(
        ValueError, match=r"Embedding: indices must lie in \[0, 5\); got values from 0 to 5\."
    ):
        layers.embedding.embedding_forward(params, np.array([[0, 4, 5], [1, 2, 3]]))
