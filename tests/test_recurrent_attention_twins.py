"""``tf_impl.layers`` and ``jax_impl.layers`` SimpleRNN, LSTM, GRU and MultiHeadAttention
against the oracle: the forward and the gradients (GradientTape, ``jax.grad``) of
L = Σ y ⊙ R with respect to every input, initial state and weight, against BPTT by hand.
float64 tight; float32 within what float32 arithmetic allows (measured). TensorFlow runs
eagerly, under ``tf.function`` and under XLA; JAX under ``jax.jit``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

import jax_impl
import jax_impl.layers as jax_layers
import reference.layers as reference_layers
import tf_impl.layers as tf_layers
from bench import tolerances
from tests.layer_cases import max_relative_difference
from tests.sequence_cases import CASE_IDS, CASES, case_named

FLOAT64_TOLERANCE = tolerances.SEQUENCE_TWINS_FLOAT64
FLOAT32_TOLERANCE = tolerances.SEQUENCE_TWINS_FLOAT32
QUICK_CASES = (  # in `make test`, one or two per layer; every case runs with the slow tests
    "simple_rnn-T12",
    "lstm-T12",
    "gru-T5-sequences-initial_state",
    "multi_head_attention-cross-key-T5-S3",
    "multi_head_attention-self-mask-causal-T6",
)
FLOAT32_QUICK_CASES = ("lstm-T12", "multi_head_attention-self-mask-causal-T6")
COMPILED_CASES = ("lstm-T12", "gru-T5-sequences-initial_state")
COMPILED_CASES += ("multi_head_attention-self-mask-causal-T6",)
QUICK_COMPILED = {"gru-T5-sequences-initial_state"}
BACKENDS = ("tf", "jax")


def oracle(case, params, inputs, upstream_seed=3):
    y, cache = case.call(reference_layers, params, inputs)
    upstream = np.random.default_rng(upstream_seed).standard_normal(y.shape)
    dx, grads = case.backward(upstream, cache)
    return y, upstream, {**case.input_grads(dx), **grads}


def split(case, tensors, masks):
    weights = {name: tensors[name] for name in case.param_shapes}
    inputs = {name: value for name, value in tensors.items() if name not in case.param_shapes}
    return weights, {**inputs, **masks}


def tf_output_and_gradients(case, params, inputs, upstream, dtype, mode="eager"):
    masks = {name: tf.constant(inputs[name]) for name in case.bool_inputs}
    tensors = {
        name: tf.constant(value, dtype)
        for name, value in {**case.differentiable(inputs), **params}.items()
    }

    def run(tensors):
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            y = case.call(tf_layers, *split(case, tensors, masks))
            loss = tf.reduce_sum(y * tf.constant(upstream, dtype))
        return y, tape.gradient(loss, tensors)

    if mode != "eager":
        run = tf.function(run, jit_compile=(mode == "xla"))
    y, grads = run(tensors)
    return y.numpy(), {name: grad.numpy() for name, grad in grads.items()}


def jax_output_and_gradients(case, params, inputs, upstream, dtype, mode="jit"):
    masks = {name: inputs[name] for name in case.bool_inputs}

    def loss(tensors):
        y = case.call(jax_layers, *split(case, tensors, masks))
        return (y * upstream.astype(dtype)).sum(), y

    with jax_impl.float64():
        tensors = {
            name: jnp.asarray(value, dtype)
            for name, value in {**case.differentiable(inputs), **params}.items()
        }
        grads, y = jax.jit(jax.grad(loss, has_aux=True))(tensors)
        return np.asarray(y), {name: np.asarray(grad) for name, grad in grads.items()}


RUNNERS = {"tf": tf_output_and_gradients, "jax": jax_output_and_gradients}


def gradient_difference(name, twin, expected):
    """Relative to the tensor's size; the key's bias (zero gradient) to the value bias's."""
    if name != "key/bias":
        return max_relative_difference(twin[name], expected[name])
    scale = np.abs(expected["value/bias"]).max()
    return float(np.abs(twin[name] - expected[name]).max() / scale)


def worst_difference(case, backend, dtype, **mode):
    params, inputs = case.params(), case.inputs()
    y, upstream, grads = oracle(case, params, inputs)
    twin_y, twin_grads = RUNNERS[backend](case, params, inputs, upstream, dtype, **mode)
    assert twin_y.dtype == dtype and set(twin_grads) == set(grads)
    differences = [max_relative_difference(twin_y, y)]
    differences += [gradient_difference(name, twin_grads, grads) for name in grads]
    return max(differences)


def quick_or_slow(cases, quick):
    return [
        case if case.id in quick else pytest.param(case, marks=pytest.mark.slow) for case in cases
    ]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", quick_or_slow(CASES, QUICK_CASES), ids=CASE_IDS)
def test_twin_sequence_layer_matches_oracle_float64(case, backend):
    assert worst_difference(case, backend, np.float64) <= FLOAT64_TOLERANCE


@pytest.mark.parametrize("mode", ("function", "xla"))
@pytest.mark.parametrize(
    "case",
    quick_or_slow([case_named(case_id) for case_id in COMPILED_CASES], QUICK_COMPILED),
    ids=COMPILED_CASES,
)
def test_tf_sequence_layer_compiled_matches_oracle_float64(case, mode):
    assert worst_difference(case, "tf", np.float64, mode=mode) <= FLOAT64_TOLERANCE


FLOAT32_CASES = quick_or_slow(CASES, FLOAT32_QUICK_CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", FLOAT32_CASES, ids=CASE_IDS)
def test_twin_sequence_layer_matches_oracle_float32(case, backend):
    assert worst_difference(case, backend, np.float32) <= FLOAT32_TOLERANCE
