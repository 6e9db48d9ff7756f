"""Synchronised batch norm under data parallelism, in a fresh process, printed as JSON.

``python -m tests.sync_batch_norm_runs tf`` splits the CPU into 4 logical devices for a
MirroredStrategy with unequal shards; ``... jax`` asks XLA for 4 host devices and runs
``jax.shard_map`` with equal shards (devices must be set before the framework starts).
Each reports its largest relative difference from the single-device oracle (outputs,
input and weight gradients of L = Σ y ⊙ R, moving statistics), synchronised and not.
"""

import json
import os
import subprocess
import sys

import numpy as np

from reference.layers import normalization
from tests.fresh_process import HANG_GUARD_S

REPLICAS = 4
MOMENTUM = 0.875


def run_in_a_fresh_process(which):
    """``python -m tests.sync_batch_norm_runs WHICH``'s report."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.sync_batch_norm_runs", which],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def problem(sizes):
    rng = np.random.default_rng(0)
    x = 1 + 2 * rng.standard_normal((sum(sizes), 3, 2, 3))
    params = {"gamma": 1 + rng.random(3), "beta": rng.standard_normal(3)}
    state = {"moving_mean": rng.standard_normal(3), "moving_variance": 1 + rng.random(3)}
    upstream = rng.standard_normal(x.shape)
    shards = np.split(x, np.cumsum(sizes)[:-1])
    upstream_shards = np.split(upstream, np.cumsum(sizes)[:-1])
    return x, params, state, upstream, shards, upstream_shards


def single_device(x, params, state, upstream):
    y, new_state, cache = normalization.batch_normalization_forward(
        params, state, x, True, MOMENTUM
    )
    dx, grads = normalization.batch_normalization_backward(upstream, cache)
    return {"y": y, "dx": dx, **grads, **new_state}


def difference(result, expected):
    return max(
        float(np.abs(np.asarray(result[k]) - expected[k]).max() / np.abs(expected[k]).max())
        for k in expected
    )


def oracle_runs(sizes):
    x, params, state, upstream, shards, upstream_shards = problem(sizes)
    expected = single_device(x, params, state, upstream)
    ys, new_state, cache = normalization.synchronized_batch_normalization_forward(
        params, state, shards, True, MOMENTUM
    )
    dxs, grads = normalization.synchronized_batch_normalization_backward(upstream_shards, cache)
    synchronized = {"y": np.concatenate(ys), "dx": np.concatenate(dxs), **grads, **new_state}
    per_shard = [
        single_device(shard, params, state, dy)
        for shard, dy in zip(shards, upstream_shards, strict=True)
    ]
    unsynchronized = {
        "y": np.concatenate([r["y"] for r in per_shard]),
        "dx": np.concatenate([r["dx"] for r in per_shard]),
    }
    return {
        "synchronized": difference(synchronized, expected),
        "per_shard_forward": difference(unsynchronized, {"y": expected["y"]}),
        "per_shard_input_gradient": difference(unsynchronized, {"dx": expected["dx"]}),
    }


def tensorflow_runs():
    from tf_impl.distributed import mirrored_strategy, use_logical_cpus

    use_logical_cpus(REPLICAS)
    import tensorflow as tf

    from tf_impl.layers import normalization as tf_normalization

    sizes = (3, 3, 2, 1)  # unequal shards
    x, params, state, upstream, shards, upstream_shards = problem(sizes)
    expected = single_device(x, params, state, upstream)
    strategy = mirrored_strategy(REPLICAS)

    def per_replica(values):
        return strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant(values[context.replica_id_in_sync_group])
        )

    def replica_step(x_shard, dy_shard):
        weights = {name: tf.constant(value) for name, value in params.items()}
        with tf.GradientTape() as tape:
            tape.watch([x_shard, weights])
            y, new_state = tf_normalization.batch_normalization_forward(
                weights, state, x_shard, True, MOMENTUM, synchronized=True
            )
            loss = tf.reduce_sum(y * dy_shard)
        dx, grads = tape.gradient(loss, [x_shard, weights])
        return y, dx, grads["gamma"], grads["beta"], new_state

    results = strategy.run(replica_step, (per_replica(shards), per_replica(upstream_shards)))
    local = [strategy.experimental_local_results(r) for r in results[:4]]
    states = strategy.experimental_local_results(results[4])
    synchronized = {
        "y": np.concatenate([t.numpy() for t in local[0]]),
        "dx": np.concatenate([t.numpy() for t in local[1]]),
        "gamma": sum(t.numpy() for t in local[2]),
        "beta": sum(t.numpy() for t in local[3]),
        **{k: v.numpy() for k, v in states[0].items()},
    }
    replicas_agree = all(
        np.array_equal(s[k].numpy(), states[0][k].numpy()) for s in states for k in s
    )
    return {"synchronized": difference(synchronized, expected), "replicas_agree": replicas_agree}


def jax_runs():
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={REPLICAS}"
    import jax
    from jax.sharding import Mesh
    from jax.sharding import PartitionSpec as P

    from jax_impl.layers import normalization as jax_normalization

    jax.config.update("jax_enable_x64", True)
    sizes = (2,) * REPLICAS  # shard_map splits evenly
    x, params, state, upstream, _, _ = problem(sizes)
    expected = single_device(x, params, state, upstream)
    mesh = Mesh(np.array(jax.devices()[:REPLICAS]), ("data",))

    def per_shard(weights, x_shard):
        return jax_normalization.batch_normalization_forward(
            weights, state, x_shard, True, MOMENTUM, axis_name="data"
        )

    synchronized_forward = jax.shard_map(
        per_shard, mesh=mesh, in_specs=(P(), P("data")), out_specs=(P("data"), P())
    )

    def loss(weights, x):
        y, _ = synchronized_forward(weights, x)
        return (y * upstream).sum()

    y, new_state = jax.jit(synchronized_forward)(params, x)
    grads, dx = jax.jit(jax.grad(lambda w, x: loss(w, x), argnums=(0, 1)))(params, x)
    synchronized = {"y": y, "dx": dx, **grads, **new_state}
    return {"synchronized": difference(synchronized, expected), "devices": len(jax.devices())}


def model_problem(sizes):
    """The digits CNN, a batch split into shards, the oracle's single-device gradient,
    and the oracle's data-parallel gradients, synchronised and per shard."""
    from reference import model, model_data_parallel, model_presets

    input_shape, specs = model_presets.PRESETS["digits_cnn"]
    params, state = model.init_params(specs, input_shape, seed=0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((sum(sizes), *input_shape))
    y = rng.integers(10, size=sum(sizes))
    splits = np.cumsum(sizes)[:-1]
    shards = list(zip(np.split(x, splits), np.split(y, splits), strict=True))
    single = model.loss_and_grads(specs, params, state, x, y)
    per_shard = model_data_parallel.loss_and_grads(specs, params, state, shards, False)
    return specs, params, state, x, y, shards, single, per_shard


def model_difference(result, expected, specs):
    """Largest relative difference of (loss, grads, new_state); the conv bias before batch
    norm (gradient 0 in theory, rounding noise in practice) is compared absolutely."""
    loss, grads, new_state = result
    worst = abs(float(loss) - expected[0]) / abs(expected[0])
    for key, value in {**expected[1], **expected[2]}.items():
        actual = np.asarray({**grads, **new_state}[key])
        if key == "conv2d_0/bias":
            worst = max(worst, float(np.abs(actual - value).max()))
        else:
            worst = max(worst, float(np.abs(actual - value).max() / np.abs(value).max()))
    return worst


def tensorflow_model_runs():
    from tf_impl.distributed import mirrored_strategy, use_logical_cpus

    use_logical_cpus(REPLICAS)
    from tf_impl import model_data_parallel as tf_data_parallel

    sizes = (3, 3, 2, 1)
    specs, params, state, _, _, shards, single, per_shard = model_problem(sizes)
    strategy = mirrored_strategy(REPLICAS)
    runs = {
        synchronized: tf_data_parallel.loss_and_grads(
            strategy, specs, params, state, shards, synchronized
        )
        for synchronized in (True, False)
    }
    return {
        "synchronized_vs_single_device": model_difference(runs[True], single, specs),
        "per_shard_vs_oracle_per_shard": model_difference(runs[False], per_shard, specs),
        "per_shard_vs_single_device": model_difference(runs[False], single, specs),
    }


def jax_model_runs():
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={REPLICAS}"
    import jax
    from jax.sharding import Mesh

    from jax_impl import model_data_parallel as jax_data_parallel

    jax.config.update("jax_enable_x64", True)
    specs, params, state, x, y, _, single, per_shard = model_problem((2,) * REPLICAS)
    mesh = Mesh(np.array(jax.devices()[:REPLICAS]), (jax_data_parallel.DATA_AXIS,))
    runs = {
        synchronized: jax.jit(
            lambda p, s, x, y, synchronized=synchronized: jax_data_parallel.loss_and_grads(
                specs, p, s, x, y, mesh, synchronized
            )
        )(params, state, x, y)
        for synchronized in (True, False)
    }
    return {
        "synchronized_vs_single_device": model_difference(runs[True], single, specs),
        "per_shard_vs_oracle_per_shard": model_difference(runs[False], per_shard, specs),
        "per_shard_vs_single_device": model_difference(runs[False], single, specs),
    }


if __name__ == "__main__":
    backend = sys.argv[1]
    if backend == "oracle":
        report = {str(sizes): oracle_runs(sizes) for sizes in [(3, 3, 2, 1), (2, 2, 2, 2)]}
    else:
        runs = {
            "tf": tensorflow_runs,
            "jax": jax_runs,
            "tf-model": tensorflow_model_runs,
            "jax-model": jax_model_runs,
        }
        report = runs[backend]()
    print(json.dumps(report))
