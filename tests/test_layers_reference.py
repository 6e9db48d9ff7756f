"""The oracle's layers: every backward against central finite differences, and the check's teeth.

The loss is L = Σ y ⊙ R with a fixed random R, so dL/dy = R exercises every output.
"""

import numpy as np
import pytest

from bench import tolerances
from reference.gradcheck import gradcheck
from reference.layers import embedding, merge, normalization, pooling
from tests.layer_cases import CASE_IDS, CASES, cache, output

GRADCHECK_TOLERANCE = tolerances.LAYER_GRADCHECK
WRONG_BACKWARD_FLOOR = 1e-2  # a wrong backward measured 0.1 or more; a right one ≤ 2.2e-8
SAMPLES_PER_TENSOR = 15


def layer_gradcheck(call, backward, params, x, seed=0):
    """Worst relative error of ``backward`` over the input and every weight."""
    import reference.layers as layers

    result = call(layers, params, x)
    upstream = np.random.default_rng(seed + 100).standard_normal(output(result).shape)
    dx, grads = backward(upstream, cache(result))

    def loss(tensors):
        weights = {name: value for name, value in tensors.items() if name != "x"}
        return float((output(call(layers, weights, tensors["x"])) * upstream).sum())

    return gradcheck(loss, {"x": x, **params}, {"x": dx, **grads}, SAMPLES_PER_TENSOR, seed)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_layer_backward_matches_finite_differences(case):
    error, where = layer_gradcheck(case.call, case.backward, case.params(), case.input())
    assert error <= GRADCHECK_TOLERANCE, (error, where)


def _batch_norm_without_statistics_gradient(dy, saved):
    """The classic mistake: treat μ_B and σ²_B as constants in training."""
    normalized, inverse_std, gamma, _, axes = saved
    return dy * gamma * inverse_std, {
        "gamma": (dy * normalized).sum(axis=axes),
        "beta": dy.sum(axis=axes),
    }


def _average_pool_dividing_by_window(dy, saved):
    """torch's count_include_pad: divide by kh·kw, padded cells included."""
    count, pool, *rest = saved
    return pooling.average_pooling2d_backward(
        dy, (np.full_like(count, pool[0] * pool[1]), pool, *rest)
    )


def _max_pool_splitting_ties_over_window(dy, saved):
    """Spreads each gradient over the whole window instead of routing it to the maximum."""
    padded, y, pool, strides, pad_h, pad_w = saved
    count = np.ones((1, *y.shape[1:3], 1))
    rest = (pool, strides, padded.shape, pad_h, pad_w)
    return pooling.average_pooling2d_backward(dy * pool[0] * pool[1] / 2, (count, *rest))


def _conv_with_flipped_kernel(dy, saved):
    """Uses the 180°-rotated kernel in dx, true convolution instead of correlation."""
    columns, kernel, *rest = saved
    from reference.layers import conv

    dx, _ = conv.conv2d_backward(dy, (columns, kernel[::-1, ::-1], *rest))
    _, grads = conv.conv2d_backward(dy, saved)
    return dx, grads


def _layer_norm_without_mean_term(dy, saved):
    normalized, inverse_std, gamma = saved
    dx, grads = normalization.layer_normalization_backward(dy, saved)
    return dx + (dy * gamma).mean(axis=-1, keepdims=True) * inverse_std, grads


def _softmax_diagonal_only(dy, saved):
    """Keeps only ∂y_k/∂z_k = y_k(1 − y_k) and forgets the off-diagonal −y_k y_j."""
    _, _, y = saved
    return dy * y * (1 - y), {}


def _dropout_without_scale(dy, saved):
    return dy * (saved != 0), {}


def _dense_without_bias_sum(dy, saved):
    from reference.layers import dense

    dx, grads = dense.dense_backward(dy, saved)
    return dx, {**grads, "bias": dy.reshape(-1, dy.shape[-1]).mean(axis=0)}


WRONG_BACKWARDS = {
    "batch_normalization-training-4d": _batch_norm_without_statistics_gradient,
    "average_pooling2d-3-2-same": _average_pool_dividing_by_window,
    "max_pooling2d-3-2-same": _max_pool_splitting_ties_over_window,
    "conv2d-3x3-same-stride2": _conv_with_flipped_kernel,
    "layer_normalization": _layer_norm_without_mean_term,
    "activation-softmax": _softmax_diagonal_only,
    "dropout-training": _dropout_without_scale,
    "dense": _dense_without_bias_sum,
}


@pytest.mark.parametrize("case_id", list(WRONG_BACKWARDS))
def test_gradcheck_flags_a_wrong_backward(case_id):
    case = CASES[CASE_IDS.index(case_id)]
    error, _ = layer_gradcheck(case.call, WRONG_BACKWARDS[case_id], case.params(), case.input())
    assert error > WRONG_BACKWARD_FLOOR


def test_embedding_backward_adds_repeated_indices():
    table = np.random.default_rng(0).standard_normal((6, 3))
    indices = np.array([[0, 2, 2], [5, 2, 0]])
    y, saved = embedding.embedding_forward({"embeddings": table}, indices)
    upstream = np.random.default_rng(1).standard_normal(y.shape)
    _, grads = embedding.embedding_backward(upstream, saved)

    def loss(tensors):
        return float((embedding.embedding_forward(tensors, indices)[0] * upstream).sum())

    error, _ = gradcheck(loss, {"embeddings": table}, grads, 30)
    assert error <= GRADCHECK_TOLERANCE
    np.testing.assert_array_equal(
        grads["embeddings"][2], upstream[0, 1] + upstream[0, 2] + upstream[1, 1]
    )


def test_residual_add_passes_the_gradient_to_every_input():
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((3, 4)) for _ in range(3)]
    y, saved = merge.add_forward(inputs)
    np.testing.assert_allclose(y, sum(inputs))
    upstream = rng.standard_normal(y.shape)
    grads, weights = merge.add_backward(upstream, saved)
    assert len(grads) == 3 and weights == {}
    for grad in grads:
        np.testing.assert_array_equal(grad, upstream)


def test_max_pool_gives_a_tie_to_its_first_maximum_in_row_major_order():
    x = np.array([[1.0, 3.0], [3.0, 3.0]]).reshape(1, 2, 2, 1)
    y, saved = pooling.max_pooling2d_forward(x, 2)
    dx, _ = pooling.max_pooling2d_backward(np.ones_like(y), saved)
    np.testing.assert_array_equal(dx.reshape(2, 2), [[0.0, 1.0], [0.0, 0.0]])


def test_average_pool_same_divides_by_the_real_cells_only():
    x = np.arange(25.0).reshape(1, 5, 5, 1)
    y, _ = pooling.average_pooling2d_forward(x, 2, 2, "same")
    assert y.shape == (1, 3, 3, 1)
    assert y[0, 2, 2, 0] == 24.0  # the bottom-right window holds one real cell
    ones, _ = pooling.average_pooling2d_forward(np.ones((1, 5, 5, 1)), 3, 2, "same")
    np.testing.assert_array_equal(ones, 1.0)


def test_batch_norm_moving_statistics_use_the_biased_batch_variance():
    x = np.random.default_rng(0).standard_normal((5, 2))
    state = {"moving_mean": np.zeros(2), "moving_variance": np.ones(2)}
    params = {"gamma": np.ones(2), "beta": np.zeros(2)}
    _, new_state, _ = normalization.batch_normalization_forward(params, state, x, True, 0.9)
    np.testing.assert_allclose(new_state["moving_mean"], 0.1 * x.mean(axis=0), rtol=1e-15)
    np.testing.assert_allclose(new_state["moving_variance"], 0.9 + 0.1 * x.var(axis=0), rtol=1e-15)
    _, same_state, _ = normalization.batch_normalization_forward(params, new_state, x, False)
    assert same_state is new_state


SYNC_TOLERANCE = tolerances.SYNC_BATCH_NORM
PER_SHARD_DEPARTURE = 0.1  # per-shard statistics, measured 0.38 (outputs), 0.37-0.72 (dx)


@pytest.mark.parametrize("sizes", [(3, 3, 2, 1), (2, 2, 2, 2)], ids=["unequal", "equal"])
def test_synchronized_batch_norm_is_the_single_device_layer(sizes):
    from tests.sync_batch_norm_runs import oracle_runs

    report = oracle_runs(sizes)
    assert report["synchronized"] <= SYNC_TOLERANCE
    assert report["per_shard_forward"] > PER_SHARD_DEPARTURE
    assert report["per_shard_input_gradient"] > PER_SHARD_DEPARTURE


def test_synchronized_batch_norm_backward_matches_finite_differences():
    from tests.sync_batch_norm_runs import problem

    _, params, state, _, shards, upstream = problem((3, 1, 2))

    def forward(tensors):
        inputs = [tensors[f"x{r}"] for r in range(len(shards))]
        weights = {"gamma": tensors["gamma"], "beta": tensors["beta"]}
        return normalization.synchronized_batch_normalization_forward(weights, state, inputs, True)

    tensors = {**{f"x{r}": x for r, x in enumerate(shards)}, **params}
    ys, _, saved = forward(tensors)
    dxs, grads = normalization.synchronized_batch_normalization_backward(upstream, saved)
    analytic = {**{f"x{r}": dx for r, dx in enumerate(dxs)}, **grads}

    def loss(values):
        return float(
            sum((y * dy).sum() for y, dy in zip(forward(values)[0], upstream, strict=True))
        )

    error, where = gradcheck(loss, tensors, analytic, SAMPLES_PER_TENSOR)
    assert error <= GRADCHECK_TOLERANCE, (error, where)
    # The mistake to catch: the backward's means taken over each shard, not all-reduced.
    _, caches = saved
    local = [
        normalization.batch_normalization_backward(dy, (*cache[:3], True, cache[4]))[0]
        for dy, cache in zip(upstream, caches, strict=True)
    ]
    wrong = {**analytic, **{f"x{r}": dx for r, dx in enumerate(local)}}
    assert gradcheck(loss, tensors, wrong, SAMPLES_PER_TENSOR)[0] > WRONG_BACKWARD_FLOOR
