"""MultiHeadAttention in JAX, Keras's weight layout; the equations are the oracle's.

Q, K̂, V̂ = per-head projections; S = c Q·K̂ over the key size, c = fl32(1/√K) as
Keras; P = softmax over keys of S, masked; y = (P V̂) · W_o + b_o.
"""

import jax.numpy as jnp
from jax import nn

from reference.layers.attention import MASKED_SCORE, causal_mask, inverse_sqrt_key_dim
from reference.layers.attention import check_inputs as check_attention_inputs
from reference.layers.sequence_checks import check_attention_mask


def attention_mask_of(layer, query, value, attention_mask, use_causal_mask):
    """The (B, T, S) boolean mask the softmax uses, or ``None`` for no mask."""
    batch, queries, keys = query.shape[0], query.shape[1], value.shape[1]
    mask = None
    if attention_mask is not None:
        check_attention_mask(layer, tuple(attention_mask.shape), batch, queries, keys)
        mask = jnp.asarray(attention_mask).astype(bool)
    if use_causal_mask:
        causal = jnp.asarray(causal_mask(queries, keys))[None]
        mask = causal if mask is None else mask & causal
    return mask


def project(x, kernel, bias):
    return jnp.einsum("btd,dhk->bthk", x, kernel) + bias


def multi_head_attention_forward(
    params, query, value, key=None, attention_mask=None, use_causal_mask=False
):
    key = value if key is None else key
    check_attention_inputs(params, query, value, key)
    mask = attention_mask_of("MultiHeadAttention", query, value, attention_mask, use_causal_mask)
    queries = project(query, params["query/kernel"], params["query/bias"])
    keys = project(key, params["key/kernel"], params["key/bias"])
    values = project(value, params["value/kernel"], params["value/bias"])
    scale = inverse_sqrt_key_dim(params["query/kernel"].shape[2])
    scores = jnp.einsum("bthk,bshk->bhts", queries, keys) * scale
    if mask is not None:
        scores = jnp.where(mask[:, None], scores, MASKED_SCORE)
    probabilities = nn.softmax(scores, axis=-1)
    attended = jnp.einsum("bhts,bshv->bthv", probabilities, values)
    output_kernel = params["attention_output/kernel"]
    return jnp.einsum("bthv,hvo->bto", attended, output_kernel) + params["attention_output/bias"]
