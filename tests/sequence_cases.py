"""The sequence-layer cases (SimpleRNN, LSTM, GRU, MultiHeadAttention) the tests walk through.

A case names its inputs (``x``; ``h0``/``c0`` for an initial state; ``query``/``value``/
``key`` for cross-attention) and calls one forward of a ``layers`` package
(``reference.layers``, ``tf_impl.layers`` or ``jax_impl.layers``) with the same
arguments in all three. ``input_grads`` turns the oracle backward's ``dx`` into a dict
keyed like the inputs, so one gradcheck covers inputs, initial states and weights.
Weights are drawn from N(0, 0.5²), and a recurrent kernel is orthogonal (Keras's own
initialiser): with a random U the gradient reaching the first of twelve steps vanished
to 1e-6 of the last step's, below what central differences resolve to 1e-7 relative.
"""

import dataclasses

import numpy as np

from reference.layers import attention, recurrent

BATCH, FEATURES, UNITS = 2, 3, 4
HEADS, KEY_DIM, MODEL_DIM = 2, 3, 6  # key_dim 3: 1/√3 is not exact in float32
WEIGHT_SCALE = 0.5


@dataclasses.dataclass(frozen=True)
class SequenceCase:
    id: str
    family: str  # "recurrent" or "attention"
    call: object  # (layers package, params, inputs dict) -> the forward's result
    backward: object  # the oracle's backward
    input_grads: object  # the backward's dx -> {input name: gradient}
    input_shapes: dict
    param_shapes: dict
    keras_layer: object  # () -> the keras layer with the same configuration
    keras_call: object  # (layer, inputs dict of tensors) -> y
    keras_weights: tuple  # the params' names in the Keras layer.weights order
    bool_inputs: tuple = ()  # inputs that are masks: not differentiated

    def params(self, seed=1):
        rng = np.random.default_rng(seed)
        drawn = {
            name: WEIGHT_SCALE * rng.standard_normal(shape)
            for name, shape in self.param_shapes.items()
        }
        if "recurrent_kernel" in drawn:
            drawn["recurrent_kernel"] = recurrent.orthogonal(rng, drawn["recurrent_kernel"].shape)
        return drawn

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        drawn = {name: rng.standard_normal(shape) for name, shape in self.input_shapes.items()}
        for name in self.bool_inputs:
            drawn[name] = drawn[name] > -0.5
        return drawn

    def differentiable(self, inputs):
        return {name: value for name, value in inputs.items() if name not in self.bool_inputs}


RNN_LAYERS = {  # kind: (Keras class, forward name, gate blocks, bias rows, initial-state names)
    "simple_rnn": ("SimpleRNN", "simple_rnn", 1, None, ("h0",)),
    "lstm": ("LSTM", "lstm", 4, None, ("h0", "c0")),
    "gru": ("GRU", "gru", 3, 2, ("h0",)),
}


def _rnn_case(kind, steps, return_sequences=False, initial_state=False):
    keras_name, forward_name, blocks, bias_rows, state_names = RNN_LAYERS[kind]
    backward = getattr(recurrent, f"{forward_name}_backward")
    states = state_names if initial_state else ()

    def initial(inputs):
        if not states:
            return None
        values = [inputs[name] for name in states]
        return values[0] if len(values) == 1 else tuple(values)

    def call(L, params, inputs):
        forward = getattr(L.recurrent, f"{forward_name}_forward")
        return forward(params, inputs["x"], initial(inputs), return_sequences)

    def input_grads(dx):
        if not states:
            return {"x": dx}
        dx, d_state = dx
        d_states = [d_state] if len(states) == 1 else list(d_state)
        return {"x": dx, **dict(zip(states, d_states, strict=True))}

    def keras_layer():
        import keras

        return getattr(keras.layers, keras_name)(
            UNITS, return_sequences=return_sequences, dtype="float64"
        )

    def keras_call(layer, inputs):
        if not states:
            return layer(inputs["x"])
        return layer(inputs["x"], initial_state=[inputs[name] for name in states])

    bias_shape = (blocks * UNITS,) if bias_rows is None else (bias_rows, blocks * UNITS)
    suffix = ("-sequences" if return_sequences else "") + ("-initial_state" if states else "")
    return SequenceCase(
        f"{kind}-T{steps}{suffix}",
        "recurrent",
        call,
        backward,
        input_grads,
        {"x": (BATCH, steps, FEATURES), **{name: (BATCH, UNITS) for name in states}},
        {
            "kernel": (FEATURES, blocks * UNITS),
            "recurrent_kernel": (UNITS, blocks * UNITS),
            "bias": bias_shape,
        },
        keras_layer,
        keras_call,
        ("kernel", "recurrent_kernel", "bias"),
    )


ATTENTION_PARAM_SHAPES = {
    "query/kernel": (MODEL_DIM, HEADS, KEY_DIM),
    "query/bias": (HEADS, KEY_DIM),
    "key/kernel": (MODEL_DIM, HEADS, KEY_DIM),
    "key/bias": (HEADS, KEY_DIM),
    "value/kernel": (MODEL_DIM, HEADS, KEY_DIM),
    "value/bias": (HEADS, KEY_DIM),
    "attention_output/kernel": (HEADS, KEY_DIM, MODEL_DIM),
    "attention_output/bias": (MODEL_DIM,),
}


def _attention_case(name, queries, keys=None, key=False, mask=False, causal=False):
    """Self-attention when ``keys`` is None; else cross-attention of T = ``queries`` query
    steps over S = ``keys`` steps, with a separate key input when ``key``."""
    self_attention = keys is None

    def call(L, params, inputs):
        forward = L.attention.multi_head_attention_forward
        if self_attention:
            return forward(params, inputs["x"], inputs["x"], None, inputs.get("mask"), causal)
        return forward(
            params, inputs["query"], inputs["value"], inputs.get("key"), inputs.get("mask"), causal
        )

    def input_grads(dx):
        d_query, d_value, d_key = dx
        if self_attention:
            return {"x": d_query + d_value}
        return {"query": d_query, "value": d_value, **({"key": d_key} if key else {})}

    def keras_layer():
        import keras

        return keras.layers.MultiHeadAttention(HEADS, KEY_DIM, dtype="float64")

    def keras_call(layer, inputs):
        if self_attention:
            query = value = inputs["x"]
        else:
            query, value = inputs["query"], inputs["value"]
        return layer(
            query,
            value,
            key=inputs.get("key"),
            attention_mask=inputs.get("mask"),
            use_causal_mask=causal,
        )

    length = queries if self_attention else keys
    shapes = (
        {"x": (BATCH, queries, MODEL_DIM)}
        if self_attention
        else {"query": (BATCH, queries, MODEL_DIM), "value": (BATCH, keys, MODEL_DIM)}
    )
    if key:
        shapes["key"] = (BATCH, keys, MODEL_DIM)
    if mask:
        shapes["mask"] = (BATCH, queries, length)
    return SequenceCase(
        f"multi_head_attention-{name}",
        "attention",
        call,
        attention.multi_head_attention_backward,
        input_grads,
        shapes,
        ATTENTION_PARAM_SHAPES,
        keras_layer,
        keras_call,
        attention.WEIGHTS,
        ("mask",) if mask else (),
    )


RECURRENT_CASES = [
    case
    for kind in RNN_LAYERS
    for case in (
        _rnn_case(kind, 1),
        _rnn_case(kind, 2),
        _rnn_case(kind, 12),
        _rnn_case(kind, 12, return_sequences=True),
        _rnn_case(kind, 1, initial_state=True),
        _rnn_case(kind, 5, return_sequences=True, initial_state=True),
    )
]
ATTENTION_CASES = [
    _attention_case("self-T1", 1),
    _attention_case("self-T2", 2),
    _attention_case("self-T10", 10),
    _attention_case("self-causal-T10", 10, causal=True),
    _attention_case("cross-T4-S7", 4, 7),
    _attention_case("cross-key-T5-S3", 5, 3, key=True),
    _attention_case("cross-mask-T4-S6", 4, 6, mask=True),
    _attention_case("self-mask-causal-T6", 6, mask=True, causal=True),
]
CASES = RECURRENT_CASES + ATTENTION_CASES
CASE_IDS = [case.id for case in CASES]


def case_named(case_id):
    return CASES[CASE_IDS.index(case_id)]


def truncated_after_one_step(backward, recurrent_kernel_at):
    """Truncated BPTT: the gradient stops at each step's h_{t−1} (U is zeroed in the cache's
    entry ``recurrent_kernel_at`` for dh_{t−1} = da_t Uᵀ), so the weights learn nothing
    from what happened more than one step back."""

    def wrong(dy, cache):
        cut = list(cache)
        cut[recurrent_kernel_at] = np.zeros_like(cache[recurrent_kernel_at])
        return backward(dy, tuple(cut))

    return wrong
