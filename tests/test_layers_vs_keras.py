"""The oracle's layers against ``keras.layers`` with the same weights, in float64.

Forward: the Keras output. Gradients: GradientTape through the Keras layer of
L = Σ y ⊙ R, with respect to the input and every trainable weight.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from bench import tolerances
from reference.layers import dropout, embedding, merge, normalization, pooling
from tests.layer_cases import BATCH_NORM_STATE, KERAS_CASES, cache, max_relative_difference, output

FORWARD_TOLERANCE = tolerances.LAYER_FORWARD_KERAS
GRADIENT_TOLERANCE = tolerances.LAYER_GRADIENT_KERAS


def keras_layer_with(case, params, x):
    layer = case.keras_layer()
    layer.build(x.shape)
    weights = {**params, **BATCH_NORM_STATE}
    layer.set_weights([weights[name] for name in case.keras_weights])
    return layer


def keras_output_and_gradients(layer, x, upstream, training):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=training)
        loss = tf.reduce_sum(y * upstream)
    grads = tape.gradient(loss, [x, *layer.trainable_weights])
    return y.numpy(), [tf.convert_to_tensor(g).numpy() for g in grads]


def trainable_names(case):
    return [name for name in case.keras_weights if not name.startswith("moving_")]


@pytest.mark.parametrize("case", KERAS_CASES, ids=[case.id for case in KERAS_CASES])
def test_layer_matches_keras_forward_and_gradient_tape(case):
    import reference.layers as layers

    params, x = case.params(), case.input()
    result = case.call(layers, params, x)
    y = output(result)
    upstream = np.random.default_rng(3).standard_normal(y.shape)
    dx, grads = case.backward(upstream, cache(result))
    layer = keras_layer_with(case, params, x)
    keras_y, keras_grads = keras_output_and_gradients(layer, x, upstream, case.keras_training)
    assert max_relative_difference(y, keras_y) <= FORWARD_TOLERANCE
    assert max_relative_difference(dx, keras_grads[0]) <= GRADIENT_TOLERANCE
    for name, keras_grad in zip(trainable_names(case), keras_grads[1:], strict=True):
        assert max_relative_difference(grads[name], keras_grad) <= GRADIENT_TOLERANCE, name


def test_batch_norm_moving_statistics_equal_keras_after_five_training_calls():
    rng = np.random.default_rng(0)
    params = {"gamma": 1 + rng.random(3), "beta": rng.standard_normal(3)}
    state = dict(BATCH_NORM_STATE)
    layer = keras.layers.BatchNormalization(momentum=0.875, dtype="float64")
    layer.build((4, 5, 3))
    layer.set_weights([params["gamma"], params["beta"], *state.values()])
    for _ in range(5):
        x = 2 + 3 * rng.standard_normal((4, 5, 3))
        _, state, _ = normalization.batch_normalization_forward(params, state, x, True, 0.875)
        layer(tf.constant(x), training=True)
    keras_state = [w.numpy() for w in layer.non_trainable_weights]
    assert max_relative_difference(state["moving_mean"], keras_state[0]) <= FORWARD_TOLERANCE
    assert max_relative_difference(state["moving_variance"], keras_state[1]) <= FORWARD_TOLERANCE


def keras_dropout_mask(rate, shape, seed):
    """The 0/1 mask a fresh ``Dropout(rate, seed=seed)`` draws on its first training call."""
    scaled = keras.layers.Dropout(rate, seed=seed, dtype="float64")(
        tf.ones(shape, tf.float64), training=True
    )
    return np.round(scaled.numpy() * (1 - rate))


def test_dropout_with_keras_mask_matches_keras():
    rate, shape, seed = 0.3, (4, 6), 11
    mask = keras_dropout_mask(rate, shape, seed)
    x = np.random.default_rng(0).standard_normal(shape)
    y, saved = dropout.dropout_forward(x, mask, rate, True)
    layer = keras.layers.Dropout(rate, seed=seed, dtype="float64")
    upstream = np.random.default_rng(1).standard_normal(shape)
    keras_y, keras_grads = keras_output_and_gradients(layer, x, upstream, True)
    assert 0 < mask.sum() < mask.size
    np.testing.assert_array_equal(y, keras_y)  # x · (1/(1 − rate)), bit for bit
    dx, _ = dropout.dropout_backward(upstream, saved)
    np.testing.assert_array_equal(dx, keras_grads[0])


def test_embedding_matches_keras_including_repeated_indices():
    table = np.random.default_rng(0).standard_normal((7, 4))
    indices = np.array([[0, 3, 3, 6], [1, 3, 0, 2]])
    y, saved = embedding.embedding_forward({"embeddings": table}, indices)
    upstream = np.random.default_rng(1).standard_normal(y.shape)
    _, grads = embedding.embedding_backward(upstream, saved)
    layer = keras.layers.Embedding(7, 4, dtype="float64")
    layer.build(indices.shape)
    layer.set_weights([table])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(tf.constant(indices)) * upstream)
    keras_grad = tf.convert_to_tensor(tape.gradient(loss, layer.embeddings)).numpy()
    np.testing.assert_array_equal(y, layer(tf.constant(indices)).numpy())
    assert max_relative_difference(grads["embeddings"], keras_grad) <= GRADIENT_TOLERANCE


def test_residual_add_matches_keras():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((3, 4)) for _ in range(2)]
    y, _ = merge.add_forward(inputs)
    keras_y = keras.layers.Add(dtype="float64")([tf.constant(v) for v in inputs]).numpy()
    np.testing.assert_array_equal(y, keras_y)


def test_max_pool_tie_rule_matches_keras():
    """Every window has ties; the gradient goes where Keras's goes (the first maximum)."""
    x = np.array([[3.0, 3, 1, 2], [3, 3, 2, 2], [0, 5, 5, 5], [5, 5, 5, 0]]).reshape(1, 4, 4, 1)
    for pool, strides in [(2, None), (3, 1)]:
        y, saved = pooling.max_pooling2d_forward(x, pool, strides)
        dx, _ = pooling.max_pooling2d_backward(np.ones_like(y), saved)
        layer = keras.layers.MaxPooling2D(pool, strides, dtype="float64")
        _, keras_grads = keras_output_and_gradients(layer, x, np.ones_like(y), False)
        np.testing.assert_array_equal(dx, keras_grads[0])
