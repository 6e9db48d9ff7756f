"""The oracle's SimpleRNN, LSTM, GRU and MultiHeadAttention against ``keras.layers``, float64.

Forward: the Keras output with the same weights. Gradients: GradientTape through the
Keras layer of L = Σ y ⊙ R with respect to every input (initial states included) and
every trainable weight, against the oracle's hand-written backward.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import reference.layers as reference_layers
from bench import tolerances
from reference.layers import attention, recurrent
from tests.layer_cases import max_relative_difference
from tests.sequence_cases import CASE_IDS, CASES, case_named

FORWARD_TOLERANCE = tolerances.SEQUENCE_FORWARD_KERAS
GRADIENT_TOLERANCE = tolerances.SEQUENCE_GRADIENT_KERAS
CONVENTION_GAP = 1e-9  # a wrong convention misses Keras by far more (exact 1/√3: 7e-9)
SLOW_CASES = ("-T1", "-T2", "self-T1", "self-T2", "cross-T4-S7")  # id endings; gradchecked fast


def keras_layer_with(case, params, inputs):
    layer = case.keras_layer()
    keras_output(case, layer, inputs)  # builds the weights
    layer.set_weights([params[name] for name in case.keras_weights])
    return layer


def keras_output(case, layer, inputs):
    return case.keras_call(layer, {name: tf.constant(value) for name, value in inputs.items()})


def keras_output_and_gradients(case, layer, inputs, upstream):
    tensors = {name: tf.constant(value) for name, value in inputs.items()}
    watched = case.differentiable(tensors)
    with tf.GradientTape() as tape:
        tape.watch(watched)
        y = case.keras_call(layer, tensors)
        loss = tf.reduce_sum(y * upstream)
    input_grads, weight_grads = tape.gradient(loss, (watched, layer.trainable_weights))
    grads = dict(zip(case.keras_weights, weight_grads, strict=True))
    return y.numpy(), {name: grad.numpy() for name, grad in {**input_grads, **grads}.items()}


def test_keras_weights_are_the_oracles_names_in_order():
    case = case_named("multi_head_attention-cross-key-T5-S3")
    layer = keras_layer_with(case, case.params(), case.inputs())
    paths = [weight.path.split("/", 1)[1] for weight in layer.weights]
    assert paths == list(attention.WEIGHTS)
    for kind in ("lstm-T2", "gru-T2", "simple_rnn-T2"):
        case = case_named(kind)
        layer = keras_layer_with(case, case.params(), case.inputs())
        shapes = [tuple(weight.shape) for weight in layer.weights]
        assert shapes == [case.param_shapes[name] for name in case.keras_weights]


KERAS_CASES = [
    pytest.param(case, marks=pytest.mark.slow) if case.id.endswith(SLOW_CASES) else case
    for case in CASES
]


@pytest.mark.parametrize("case", KERAS_CASES, ids=CASE_IDS)
def test_sequence_layer_matches_keras_forward_and_gradient_tape(case):
    params, inputs = case.params(), case.inputs()
    y, cache = case.call(reference_layers, params, inputs)
    upstream = np.random.default_rng(3).standard_normal(y.shape)
    dx, grads = case.backward(upstream, cache)
    expected = {**case.input_grads(dx), **grads}
    layer = keras_layer_with(case, params, inputs)
    keras_y, keras_grads = keras_output_and_gradients(case, layer, inputs, upstream)
    assert max_relative_difference(y, keras_y) <= FORWARD_TOLERANCE
    assert set(keras_grads) == set(expected)
    for name, keras_grad in keras_grads.items():
        assert gradient_difference(name, expected, keras_grad) <= GRADIENT_TOLERANCE, name


def gradient_difference(name, expected, other):
    """Relative to the tensor's own size, except the key's bias, whose gradient is zero
    (rounding noise ~1e-16 on both sides): there relative to the value bias's."""
    if name != "key/bias":
        return max_relative_difference(other, expected[name])
    scale = np.abs(expected["value/bias"]).max()
    return float(np.abs(np.asarray(other) - expected[name]).max() / scale)


def test_keras_rounds_the_attention_scale_to_float32_in_float64():
    """With the exact float64 1/√3 the oracle would miss Keras by ~7e-9; rounded, it agrees."""
    case = case_named("multi_head_attention-cross-T4-S7")
    params, inputs = case.params(), case.inputs()
    keras_y = keras_output(case, keras_layer_with(case, params, inputs), inputs).numpy()
    rounded, _ = case.call(reference_layers, params, inputs)
    exact = attention.inverse_sqrt_key_dim
    try:
        attention.inverse_sqrt_key_dim = lambda key_dim: 1 / np.sqrt(key_dim)
        unrounded, _ = case.call(reference_layers, params, inputs)
    finally:
        attention.inverse_sqrt_key_dim = exact
    assert max_relative_difference(rounded, keras_y) <= FORWARD_TOLERANCE
    assert max_relative_difference(unrounded, keras_y) > CONVENTION_GAP


def test_keras_lstm_starts_its_forget_bias_at_one_and_its_recurrent_kernel_orthogonal():
    layer = keras.layers.LSTM(3, dtype="float64")
    layer.build((2, 5, 4))
    kernel, recurrent_kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(recurrent_kernel @ recurrent_kernel.T, np.eye(3), atol=1e-14)
    ours = recurrent.orthogonal(np.random.default_rng(0), (3, 12))
    np.testing.assert_allclose(ours @ ours.T, np.eye(3), atol=1e-14)


def test_gru_recurrent_candidate_bias_sits_inside_the_reset_product():
    """Moving b_h,h out of r ⊙ (·) changes the output far beyond rounding."""
    case = case_named("gru-T12")
    params, inputs = case.params(), case.inputs()
    keras_y = keras_output(case, keras_layer_with(case, params, inputs), inputs).numpy()
    y, _ = case.call(reference_layers, params, inputs)
    assert max_relative_difference(y, keras_y) <= FORWARD_TOLERANCE
    layer = keras.layers.GRU(4, reset_after=False, dtype="float64")
    layer(tf.constant(inputs["x"]))
    layer.set_weights(
        [params["kernel"], params["recurrent_kernel"], params["bias"][0] + params["bias"][1]]
    )
    outside = layer(tf.constant(inputs["x"])).numpy()
    assert max_relative_difference(outside, keras_y) > CONVENTION_GAP
