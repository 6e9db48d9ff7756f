"""MultiHeadAttention with Keras's weight layout, and its backward by hand.

    y, cache = multi_head_attention_forward(params, query, value, key=None,
                                            attention_mask=None, use_causal_mask=False)
    (d_query, d_value, d_key), grads = multi_head_attention_backward(dy, cache)

query is (B, T, D_q), value (B, S, D_v), key (B, S, D_k) and defaults to value (then
``d_key`` is ``None`` and the key's gradient is inside ``d_value``). Self-attention is
``query = value = x``, whose gradient is d_query + d_value. The weights, Keras's names
and shapes (H heads, key size K, value size V = K, output size O = D_q):

    query/kernel (D_q, H, K)   query/bias (H, K)       likewise key/… and value/… (V)
    attention_output/kernel (H, V, O)                  attention_output/bias (O,)

The forward, with c = 1/√K:

    Q = q W_q + b_q,  K̂ = k W_k + b_k,  V̂ = v W_v + b_v       (B, ·, H, K or V)
    S[b,h,t,s] = c Σ_κ Q[b,t,h,κ] K̂[b,s,h,κ]                   (B, H, T, S)
    P = softmax over s of S, masked                            (rows sum to 1)
    A[b,t,h,ν] = Σ_s P[b,h,t,s] V̂[b,s,h,ν]
    y[b,t,o] = Σ_{h,ν} A[b,t,h,ν] W_o[h,ν,o] + b_o

Warning (measured against Keras 3.15): Keras rounds c to float32 even in float64,
c = fl32(1/√K); with the exact float64 c, K = 3 differs from Keras by 7e-9. We do
as Keras. torch's scale is the paper's 1/√head_dim in the compute dtype.

Masking: ``attention_mask`` (B, T, S) is True where query t may look at key s;
``use_causal_mask`` keeps s ≤ t (and with both, their "and"). A masked score is
replaced by a large negative number before the softmax, as Keras does, so its
probability is 0 — and a query with every key masked averages all values uniformly.
"""

import numpy as np

from reference.layers.activation import softmax
from reference.layers.sequence_checks import check_attention_mask, check_sequence


def einsum(subscripts, *operands):
    """``np.einsum`` that hands each contraction to BLAS (``optimize=True``): without it
    NumPy loops in C over every index, 5-10x slower here."""
    return np.einsum(subscripts, *operands, optimize=True)


WEIGHTS = (  # Keras's layer.weights order
    "query/kernel",
    "query/bias",
    "key/kernel",
    "key/bias",
    "value/kernel",
    "value/bias",
    "attention_output/kernel",
    "attention_output/bias",
)
MASKED_SCORE = -1e9  # Keras's Softmax mask value: e^(−1e9 − max) is exactly 0 in float64


def inverse_sqrt_key_dim(key_dim):
    """1/√K rounded to float32 first, as Keras (see the module's warning)."""
    return float(np.float32(1.0 / np.sqrt(key_dim)))


def causal_mask(queries, keys):
    """tril(T, S): query t sees keys s ≤ t."""
    return np.tril(np.ones((queries, keys), bool))


def attention_mask_of(layer, query, value, attention_mask, use_causal_mask):
    """The (B, T, S) boolean mask the softmax uses, or ``None`` for no mask."""
    batch, queries, keys = query.shape[0], query.shape[1], value.shape[1]
    mask = None
    if attention_mask is not None:
        check_attention_mask(layer, np.shape(attention_mask), batch, queries, keys)
        mask = np.asarray(attention_mask).astype(bool)
    if use_causal_mask:
        causal = np.broadcast_to(causal_mask(queries, keys), (batch, queries, keys))
        mask = causal if mask is None else mask & causal
    return mask


def check_inputs(params, query, value, key):
    layer = "MultiHeadAttention"
    check_sequence(f"{layer} query", query.shape, params["query/kernel"].shape[0])
    batch = query.shape[0]
    check_sequence(f"{layer} value", value.shape, params["value/kernel"].shape[0], batch)
    check_sequence(f"{layer} key", key.shape, params["key/kernel"].shape[0], batch, value.shape[1])


def project(x, kernel, bias):
    """(B, T, D) · (D, H, K) + (H, K) → (B, T, H, K): one Dense per head."""
    return einsum("btd,dhk->bthk", x, kernel) + bias


def multi_head_attention_forward(
    params, query, value, key=None, attention_mask=None, use_causal_mask=False
):
    """Self-attention is query = value (= key). With c = fl32(1/√K), per head h:

    Q = q W_q + b_q,  K̂ = k W_k + b_k,  V̂ = v W_v + b_v
    S[b,h,t,s] = c Σ_κ Q[b,t,h,κ] K̂[b,s,h,κ]    (a masked score → a large negative number)
    P = softmax over s of S
    A[b,t,h,ν] = Σ_s P[b,h,t,s] V̂[b,s,h,ν]
    y[b,t,o] = Σ_{h,ν} A[b,t,h,ν] W_o[h,ν,o] + b_o
    """
    given_key = key is not None
    key = key if given_key else value
    check_inputs(params, query, value, key)
    mask = attention_mask_of("MultiHeadAttention", query, value, attention_mask, use_causal_mask)
    queries = project(query, params["query/kernel"], params["query/bias"])
    keys = project(key, params["key/kernel"], params["key/bias"])
    values = project(value, params["value/kernel"], params["value/bias"])
    scale = inverse_sqrt_key_dim(params["query/kernel"].shape[2])
    scores = einsum("bthk,bshk->bhts", queries, keys) * scale
    if mask is not None:
        scores = np.where(mask[:, None], scores, MASKED_SCORE)
    probabilities = softmax(scores)
    attended = einsum("bhts,bshv->bthv", probabilities, values)
    output_kernel = params["attention_output/kernel"]
    y = einsum("bthv,hvo->bto", attended, output_kernel) + params["attention_output/bias"]
    inputs = (query, key, value, given_key)
    return y, (inputs, params, queries, keys, values, scale, mask, probabilities, attended)


def project_backward(d_projected, x, kernel):
    """Dense's backward per head: dW = Σ_{b,t} x ⊗ dQ, db = Σ_{b,t} dQ, dx = dQ · Wᵀ."""
    return (
        einsum("bthk,dhk->btd", d_projected, kernel),
        {
            "kernel": einsum("btd,bthk->dhk", x, d_projected),
            "bias": d_projected.sum(axis=(0, 1)),
        },
    )


def multi_head_attention_backward(dy, cache):
    """Backward through the output projection, the weighted sum, the softmax, the scale and
    the three input projections, in that order:

        dW_o = Σ_{b,t} A ⊗ dy,   db_o = Σ_{b,t} dy,   dA = dy · W_oᵀ
        dP[b,h,t,s] = Σ_ν dA[b,t,h,ν] V̂[b,s,h,ν],   dV̂[b,s,h,ν] = Σ_t P dA
        dS = P ⊙ (dP − Σ_s P ⊙ dP)      (softmax's Jacobian; 0 where masked, since a
                                          masked score was replaced by a constant)
        dQ = c Σ_s dS K̂,   dK̂ = c Σ_t dS Q
        then each projection's backward (Dense per head). The key's bias gets a zero
        gradient: it adds the same number to every score of a row, which the softmax
        ignores (Σ_s dS = 0).
    """
    inputs, params, queries, keys, values, scale, mask, probabilities, attended = cache
    query, key, value, given_key = inputs
    grads = {
        "attention_output/kernel": einsum("bthv,bto->hvo", attended, dy),
        "attention_output/bias": dy.sum(axis=(0, 1)),
    }
    d_attended = einsum("bto,hvo->bthv", dy, params["attention_output/kernel"])
    d_probabilities = einsum("bthv,bshv->bhts", d_attended, values)
    d_values = einsum("bhts,bthv->bshv", probabilities, d_attended)
    row_sum = (probabilities * d_probabilities).sum(axis=-1, keepdims=True)
    d_scores = probabilities * (d_probabilities - row_sum)
    if mask is not None:
        d_scores = np.where(mask[:, None], d_scores, 0.0)
    d_queries = scale * einsum("bhts,bshk->bthk", d_scores, keys)
    d_keys = scale * einsum("bhts,bthk->bshk", d_scores, queries)
    projected = {"query": (d_queries, query), "key": (d_keys, key), "value": (d_values, value)}
    d_inputs = {}
    for name, (d_projected, x) in projected.items():
        d_inputs[name], projection = project_backward(d_projected, x, params[f"{name}/kernel"])
        grads[f"{name}/kernel"], grads[f"{name}/bias"] = projection["kernel"], projection["bias"]
    grads = {name: grads[name] for name in WEIGHTS}
    if given_key:
        return (d_inputs["query"], d_inputs["value"], d_inputs["key"]), grads
    return (d_inputs["query"], d_inputs["value"] + d_inputs["key"], None), grads
