"""K steps fused into one compiled call equal K single steps."""

import jax
import numpy as np
import pytest
import tensorflow as tf

import jax_impl
from bench.equivalence import max_relative_difference
from reference import data
from tf_impl import mlp as tf_mlp
from tf_impl import optimizers as tf_optimizers
from tf_impl import training as tf_training

K = 16
# The same float64 operations in a loop instead of K calls (measured ≤ 1e-15).
TOLERANCE = 1e-12


def _batches():
    x, y = data.classification_problem(K * 8, 6, 3, seed=5)
    return x.reshape(K, 8, 6), y.reshape(K, 8)


@pytest.mark.parametrize("mode", ["eager", "function", "xla"])
def test_tf_fused_steps_equal_single_steps(mode):
    xs, ys = _batches()
    results = []
    for steps_per_call in (1, K):
        params = tf_mlp.init_params((6, 10, 3), dtype=tf.float64)
        optimizer = tf_optimizers.get("adam", learning_rate=0.01)
        step = tf_training.make_train_step(
            params, optimizer.init(params), optimizer, mode, steps_per_call=steps_per_call
        )
        if steps_per_call == 1:
            losses = [float(step(xs[i], ys[i])) for i in range(K)]
        else:
            losses = [float(step(xs, ys))]
            assert step.trace_count == (0 if mode == "eager" else 1)
        results.append(({k: v.numpy() for k, v in params.items()}, losses[-1]))
    assert max_relative_difference(results[1][0], results[0][0]) <= TOLERANCE
    assert results[1][1] == pytest.approx(results[0][1], rel=TOLERANCE)


def test_jax_fused_steps_equal_single_steps():
    from jax_impl import mlp, optimizers, training

    xs, ys = _batches()
    with jax_impl.float64():
        optimizer = optimizers.get("adam", learning_rate=0.01)
        single = training.make_train_step(optimizer)
        params, state = mlp.init_params((6, 10, 3)), optimizer.init(mlp.init_params((6, 10, 3)))
        for i in range(K):
            params, state, loss = single(params, state, xs[i], ys[i])
        fused = training.make_train_step(optimizer, steps_per_call=K)
        fused_params, fused_state, fused_loss = fused(
            mlp.init_params((6, 10, 3)), optimizer.init(mlp.init_params((6, 10, 3))), xs, ys
        )
        assert int(fused_state["step"]) == K
        assert fused.trace_count == 1
    assert (
        max_relative_difference(
            jax.tree.map(np.asarray, fused_params), jax.tree.map(np.asarray, params)
        )
        <= TOLERANCE
    )
    assert float(fused_loss) == pytest.approx(float(loss), rel=TOLERANCE)
