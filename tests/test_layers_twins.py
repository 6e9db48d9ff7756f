"""``tf_impl.layers`` and ``jax_impl.layers`` against the oracle's layers.

Forward and gradients (GradientTape, ``jax.grad``) of L = Σ y ⊙ R with respect to the
input and every weight, against the oracle's hand-written backward: float64 tight,
float32 within what float32 arithmetic allows (measured).
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
from tests.layer_cases import (
    BATCH_NORM_STATE,
    CASE_IDS,
    CASES,
    cache,
    max_relative_difference,
    output,
)
from tests.sync_batch_norm_runs import run_in_a_fresh_process

FLOAT64_TOLERANCE = tolerances.LAYER_TWINS_FLOAT64
FLOAT32_TOLERANCE = tolerances.LAYER_TWINS_FLOAT32
FLOAT32_QUICK_CASES = (  # one per family in `make test`; the whole grid is marked slow
    "dense",
    "activation-softmax",
    "conv2d-3x3-same",
    "max_pooling2d-3-2-same",
    "average_pooling2d-3-2-same",
    "batch_normalization-training-4d",
    "layer_normalization",
    "dropout-training",
)
BACKENDS = ("tf", "jax")


def oracle(case, params, x, upstream_seed=3):
    result = case.call(reference_layers, params, x)
    y = output(result)
    upstream = np.random.default_rng(upstream_seed).standard_normal(y.shape)
    dx, grads = case.backward(upstream, cache(result))
    return y, upstream, {"x": dx, **grads}


def tf_output_and_gradients(case, params, x, upstream, dtype):
    tensors = {name: tf.constant(value, dtype) for name, value in {"x": x, **params}.items()}
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        weights = {name: value for name, value in tensors.items() if name != "x"}
        y = output(case.call(tf_layers, weights, tensors["x"]))
        loss = tf.reduce_sum(y * tf.constant(upstream, dtype))
    grads = tape.gradient(loss, tensors)
    return y.numpy(), {name: grad.numpy() for name, grad in grads.items()}


def jax_output_and_gradients(case, params, x, upstream, dtype):
    def loss(tensors):
        weights = {name: value for name, value in tensors.items() if name != "x"}
        y = output(case.call(jax_layers, weights, tensors["x"]))
        return (y * upstream.astype(dtype)).sum(), y

    with jax_impl.float64():
        tensors = {name: jnp.asarray(value, dtype) for name, value in {"x": x, **params}.items()}
        grads, y = jax.jit(jax.grad(loss, has_aux=True))(tensors)
        return np.asarray(y), {name: np.asarray(grad) for name, grad in grads.items()}


RUNNERS = {"tf": tf_output_and_gradients, "jax": jax_output_and_gradients}


def worst_difference(case, backend, dtype):
    params, x = case.params(), case.input()
    y, upstream, grads = oracle(case, params, x)
    twin_y, twin_grads = RUNNERS[backend](case, params, x, upstream, dtype)
    assert twin_y.dtype == dtype and set(twin_grads) == set(grads)
    differences = [max_relative_difference(twin_y, y)]
    differences += [max_relative_difference(twin_grads[name], grads[name]) for name in grads]
    return max(differences)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_twin_layer_matches_oracle_float64(case, backend):
    assert worst_difference(case, backend, np.float64) <= FLOAT64_TOLERANCE


FLOAT32_CASES = [
    case if case.id in FLOAT32_QUICK_CASES else pytest.param(case, marks=pytest.mark.slow)
    for case in CASES
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", FLOAT32_CASES, ids=CASE_IDS)
def test_twin_layer_matches_oracle_float32(case, backend):
    assert worst_difference(case, backend, np.float32) <= FLOAT32_TOLERANCE


@pytest.mark.parametrize("backend", BACKENDS)
def test_twin_batch_norm_returns_the_oracles_moving_statistics(backend):
    rng = np.random.default_rng(0)
    params = {"gamma": 1 + rng.random(3), "beta": rng.standard_normal(3)}
    x = 2 + 3 * rng.standard_normal((4, 5, 3))
    _, expected, _ = reference_layers.normalization.batch_normalization_forward(
        params, BATCH_NORM_STATE, x, True, 0.875
    )
    if backend == "tf":
        _, state = tf_layers.normalization.batch_normalization_forward(
            params, BATCH_NORM_STATE, tf.constant(x), True, 0.875
        )
    else:
        with jax_impl.float64():
            _, state = jax_layers.normalization.batch_normalization_forward(
                params, BATCH_NORM_STATE, jnp.asarray(x), True, 0.875
            )
    for name, value in expected.items():
        assert max_relative_difference(np.asarray(state[name]), value) <= FLOAT64_TOLERANCE


def test_twin_embeddings_and_add_match_oracle():
    table = np.random.default_rng(0).standard_normal((7, 4))
    indices = np.array([[0, 3, 3, 6], [1, 3, 0, 2]])
    y, saved = reference_layers.embedding.embedding_forward({"embeddings": table}, indices)
    upstream = np.random.default_rng(1).standard_normal(y.shape)
    _, grads = reference_layers.embedding.embedding_backward(upstream, saved)
    variable = tf.Variable(table)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(
            tf_layers.embedding.embedding_forward({"embeddings": variable}, indices) * upstream
        )
    tf_grad = tf.convert_to_tensor(tape.gradient(loss, variable)).numpy()
    with jax_impl.float64():
        jax_grad = jax.grad(
            lambda t: (
                jax_layers.embedding.embedding_forward({"embeddings": t}, indices) * upstream
            ).sum()
        )(jnp.asarray(table))
    assert max_relative_difference(tf_grad, grads["embeddings"]) <= FLOAT64_TOLERANCE
    assert max_relative_difference(np.asarray(jax_grad), grads["embeddings"]) <= FLOAT64_TOLERANCE
    inputs = [np.ones((2, 3)), np.arange(6.0).reshape(2, 3)]
    expected, _ = reference_layers.merge.add_forward(inputs)
    np.testing.assert_array_equal(
        tf_layers.merge.add_forward([tf.constant(v) for v in inputs]), expected
    )
    np.testing.assert_array_equal(
        jax_layers.merge.add_forward([jnp.asarray(v) for v in inputs]), expected
    )


def _conv(layers, x, kernel_shape=(3, 3, 2, 4), padding="valid"):
    params = {"kernel": np.ones(kernel_shape), "bias": np.zeros(kernel_shape[3])}
    return layers.conv.conv2d_forward(params, x, padding=padding)


BAD_INPUTS = {
    "conv2d-wrong-channels": (
        lambda L, x: _conv(L, x),
        (2, 5, 5, 3),
        r"Conv2D: expected an input of shape \(any, any, any, 2\), got \(2, 5, 5, 3\)",
    ),
    "conv2d-kernel-larger-than-valid-input": (
        lambda L, x: _conv(L, x),
        (2, 2, 5, 2),
        r"Conv2D: a window spanning 3 does not fit an input of size 2",
    ),
    "conv2d-rank": (
        lambda L, x: _conv(L, x),
        (5, 5, 2),
        r"Conv2D: expected an input of shape \(any, any, any, 2\), got \(5, 5, 2\)",
    ),
    "dense-wrong-features": (
        lambda L, x: L.dense.dense_forward({"kernel": np.ones((4, 2)), "bias": np.zeros(2)}, x),
        (3, 5),
        r"Dense: expected an input of shape \(any, 4\), got \(3, 5\)",
    ),
    "max-pool-too-large": (
        lambda L, x: L.pooling.max_pooling2d_forward(x, 3),
        (1, 2, 2, 1),
        r"MaxPooling2D: a window spanning 3",
    ),
    "batch-norm-channels": (
        lambda L, x: L.normalization.batch_normalization_forward(
            {"gamma": np.ones(3), "beta": np.zeros(3)}, BATCH_NORM_STATE, x, True
        ),
        (4, 2),
        r"BatchNormalization: expected an input of shape \(any, 3\), got \(4, 2\)",
    ),
    "dropout-mask": (
        lambda L, x: L.dropout.dropout_forward(x, np.ones((3, 4)), 0.5, True),
        (3, 5),
        r"Dropout mask: expected an input of shape \(3, 5\), got \(3, 4\)",
    ),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
@pytest.mark.parametrize("backend", ("reference", "tf", "jax"))
def test_a_shape_that_does_not_fit_raises_the_same_error_in_every_backend(name, backend):
    call, shape, message = BAD_INPUTS[name]
    layers, convert = {
        "reference": (reference_layers, np.asarray),
        "tf": (tf_layers, tf.constant),
        "jax": (jax_layers, jnp.asarray),
    }[backend]
    with pytest.raises(ValueError, match=message):
        call(layers, convert(np.ones(shape)))


def test_embedding_rejects_an_index_out_of_range_in_every_backend():
    params = {"embeddings": np.ones((3, 2))}
    for layers in (reference_layers, tf_layers, jax_layers):
        with pytest.raises(
            ValueError, match=r"Embedding: indices must lie in \[0, 3\); got values from -1 to 2"
        ):
            layers.embedding.embedding_forward(params, np.array([0, -1, 2]))


SYNC_TOLERANCE = tolerances.SYNC_BATCH_NORM


def test_jax_synchronized_batch_norm_under_shard_map_is_the_single_device_layer():
    report = run_in_a_fresh_process("jax")
    assert report["devices"] == 4
    assert report["synchronized"] <= SYNC_TOLERANCE


@pytest.mark.slow  # a fresh TensorFlow process with 4 logical CPUs: 20 s here
def test_tf_synchronized_batch_norm_under_mirrored_strategy_is_the_single_device_layer():
    report = run_in_a_fresh_process("tf")
    assert report["replicas_agree"]
    assert report["synchronized"] <= SYNC_TOLERANCE


def test_tf_max_pool_keeps_float64_numpy_input_after_a_float32_call():
    """``tf.nn.max_pool2d`` itself returns float32 here, after a float32 call."""
    x = np.random.default_rng(0).random((1, 4, 4, 1))
    tf.nn.max_pool2d(x.astype(np.float32), 2, 2, "VALID")
    assert tf_layers.pooling.max_pooling2d_forward(x, 2).dtype == tf.float64
    assert tf_layers.pooling.average_pooling2d_forward(x, 2).dtype == tf.float64
