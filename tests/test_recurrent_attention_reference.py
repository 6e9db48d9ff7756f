"""The oracle's sequence layers: every backward (BPTT, attention) against finite differences.

The loss is L = Σ y ⊙ R with a fixed random R; the check covers the inputs, the initial
states and every weight, at sequence lengths 1, 2 and ≥ 10, and shows that it catches
a wrong backward (truncated backpropagation through time, attention without its scale).

The finite differences evaluate the forward in extended precision (``np.longdouble``,
64-bit mantissa on x86-64 Linux): twelve recurrent steps shrink the gradient reaching
the first step to ~1e-6 of the last one's (vanishing gradients), and in float64 the
differences' rounding noise (~1e-11 absolute) alone was then 8e-6 relative. The analytic
gradients stay float64. Where ``longdouble`` is float64 (ARM macOS, Windows) the T = 12
cases lose that margin.
"""

import numpy as np
import pytest

import reference.layers as reference_layers
from bench import tolerances
from reference.gradcheck import gradcheck
from reference.layers import attention, recurrent
from tests.sequence_cases import CASE_IDS, CASES, case_named, truncated_after_one_step

GRADCHECK_TOLERANCE = tolerances.SEQUENCE_GRADCHECK
KEY_BIAS_TOLERANCE = tolerances.KEY_BIAS
WRONG_BACKWARD_FLOOR = 1e-2  # the wrong backwards below measured 0.27 to 1
SAMPLES_PER_TENSOR = 12


def sequence_gradcheck(case, backward=None, seed=0):
    """Worst relative error of the oracle's backward (or ``backward``) over every tensor."""
    params, inputs = case.params(), case.inputs()
    y, cache = case.call(reference_layers, params, inputs)
    upstream = np.random.default_rng(seed + 100).standard_normal(y.shape)
    dx, grads = (backward or case.backward)(upstream, cache)
    analytic = {**case.input_grads(dx), **grads}
    masks = {name: inputs[name] for name in case.bool_inputs}
    # the key's bias has a zero gradient, where a relative error means nothing: see below
    tensors = {
        name: value
        for name, value in {**case.differentiable(inputs), **params}.items()
        if name != "key/bias"
    }

    def loss(shifted):
        extended = {
            name: np.asarray(value, np.longdouble) for name, value in {**params, **shifted}.items()
        }
        weights = {name: extended[name] for name in params}
        given = {name: extended[name] for name in inputs if name not in masks}
        y, _ = case.call(reference_layers, weights, {**given, **masks})
        return (y * upstream).sum()

    return gradcheck(loss, tensors, analytic, SAMPLES_PER_TENSOR, seed)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sequence_backward_matches_finite_differences(case):
    error, where = sequence_gradcheck(case)
    assert error <= GRADCHECK_TOLERANCE, (error, where)


def _attention_without_scale(dy, cache):
    """Forgets the factor c = 1/√K in dQ and dK̂ (it is in the forward)."""
    inputs, params, queries, keys, values, _, *rest = cache
    return attention.multi_head_attention_backward(
        dy, (inputs, params, queries, keys, values, 1.0, *rest)
    )


WRONG_BACKWARDS = {
    "simple_rnn-T12": truncated_after_one_step(recurrent.simple_rnn_backward, 3),
    "lstm-T12": truncated_after_one_step(recurrent.lstm_backward, 5),
    "gru-T12-sequences": truncated_after_one_step(recurrent.gru_backward, 5),
    "multi_head_attention-cross-key-T5-S3": _attention_without_scale,
}


@pytest.mark.parametrize("case_id", list(WRONG_BACKWARDS))
def test_gradcheck_flags_a_wrong_sequence_backward(case_id):
    error, _ = sequence_gradcheck(case_named(case_id), WRONG_BACKWARDS[case_id])
    assert error > WRONG_BACKWARD_FLOOR


def test_attention_key_bias_gets_no_gradient():
    """b_k adds q·b_k to every score of a row; the softmax ignores a shift of a whole row."""
    for case in CASES:
        if case.family == "attention":
            y, cache = case.call(reference_layers, case.params(), case.inputs())
            upstream = np.random.default_rng(5).standard_normal(y.shape)
            _, grads = case.backward(upstream, cache)
            scale = np.abs(grads["value/bias"]).max()
            assert np.abs(grads["key/bias"]).max() <= KEY_BIAS_TOLERANCE * scale, case.id


def test_lstm_without_return_sequences_is_the_last_step_of_the_sequence():
    case = case_named("lstm-T12-sequences")
    params, inputs = case.params(), case.inputs()
    every, _ = recurrent.lstm_forward(params, inputs["x"], return_sequences=True)
    last, _ = recurrent.lstm_forward(params, inputs["x"])
    np.testing.assert_array_equal(last, every[:, -1])


def test_a_fully_masked_query_averages_every_value():
    case = case_named("multi_head_attention-cross-mask-T4-S6")
    params, inputs = case.params(), case.inputs()
    mask = np.ones(inputs["mask"].shape, bool)
    mask[0, 1] = False
    y, cache = attention.multi_head_attention_forward(
        params, inputs["query"], inputs["value"], attention_mask=mask
    )
    probabilities = cache[7]
    np.testing.assert_allclose(probabilities[0, :, 1], 1 / mask.shape[2], rtol=1e-15)
