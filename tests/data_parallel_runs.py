"""Data-parallel runs in a fresh process, printed as JSON (devices must be set before start).

``python -m tests.data_parallel_runs tf R`` splits the CPU into R logical devices for
a MirroredStrategy (one strategy per process: strategies over different device sets
in one process collide in TensorFlow's collective groups); ``... jax`` asks XLA for 4
host devices and runs R in (1, 2, 4). Each run trains 20 steps and reports its largest
relative difference from the oracle's data-parallel step and from its single-device step.
"""

import json
import os
import sys

import numpy as np

from bench.metrics import max_relative_difference
from reference import data, distributed, mlp, optimizers

STEPS = 20
BATCH = 30  # 4 replicas get 8, 8, 7, 7 examples: unequal shards
OPTIMIZERS = [
    ("sgd", {"learning_rate": 0.125, "momentum": 0.875}),
    ("adam", {"learning_rate": 2.0**-6, "beta_1": 0.875, "beta_2": 0.96875}),
    ("lamb", {"learning_rate": 2.0**-6, "beta_1": 0.75, "beta_2": 0.875, "global_clipnorm": 0.25}),
]
SIZES = (6, 8, 3)


def problem(batch=BATCH):
    x, y = data.classification_problem(batch, SIZES[0], SIZES[-1], seed=3)
    return mlp.init_params(SIZES, seed=0), x, y


def oracle(name, hyper, replicas, batch=BATCH):
    """The oracle's data-parallel run and its single-device run."""
    weights, x, y = problem(batch)
    runs = {}
    for label, shards in (
        ("data_parallel", distributed.shard(x, y, replicas)),
        ("single", [(x, y)]),
    ):
        optimizer, params = optimizers.get(name, **hyper), weights
        state = optimizer.init(params)
        for _ in range(STEPS):
            params, state, _ = distributed.train_step(params, state, shards, optimizer)
        runs[label] = params
    return runs


def tensorflow_runs(replicas):
    import tensorflow as tf

    from bench.keras_bridge import keras_optimizer
    from tf_impl import distributed
    from tf_impl import optimizers as tf_optimizers

    distributed.use_logical_cpus(replicas)
    tf.keras.config.set_floatx("float64")
    results = []
    strategy = distributed.mirrored_strategy(replicas)
    for _ in (None,):
        for name, hyper in OPTIMIZERS:
            expected = oracle(name, hyper, replicas)
            weights, x, y = problem()
            for kind in ("tf_impl", "keras"):
                if kind == "tf_impl":
                    step = distributed.DataParallelTrainStep(
                        strategy, weights, tf_optimizers.get(name, **hyper)
                    )
                else:
                    step = distributed.KerasDataParallelTrainStep(
                        strategy,
                        weights,
                        lambda name=name, hyper=hyper: keras_optimizer(name, hyper),
                    )
                for _ in range(STEPS):
                    step(x, y)
                got = step.weights()
                results.append(
                    {
                        "backend": kind,
                        "replicas": replicas,
                        "optimizer": name,
                        "vs_data_parallel": max_relative_difference(got, expected["data_parallel"]),
                        "vs_single": max_relative_difference(got, expected["single"]),
                    }
                )
    return results


def jax_runs():
    import jax

    from jax_impl import distributed
    from jax_impl import optimizers as jax_optimizers

    results = []
    with jax.enable_x64(True):
        for replicas in (1, 2, 4):
            mesh = distributed.data_mesh(replicas)
            for name, hyper in OPTIMIZERS:
                expected = oracle(name, hyper, replicas, batch=32)
                weights, x, y = problem(32)
                optimizer = jax_optimizers.get(name, **hyper)
                params = jax.tree.map(jax.numpy.asarray, weights)
                state = optimizer.init(params)
                step = distributed.DataParallelTrainStep(mesh, optimizer)
                for _ in range(STEPS):
                    params, state, _ = step(params, state, x, y)
                got = jax.tree.map(np.asarray, params)
                results.append(
                    {
                        "backend": "jax",
                        "replicas": replicas,
                        "optimizer": name,
                        "trace_count": step.trace_count,
                        "vs_data_parallel": max_relative_difference(got, expected["data_parallel"]),
                        "vs_single": max_relative_difference(got, expected["single"]),
                    }
                )
    return results


if __name__ == "__main__":
    if sys.argv[1] == "jax":
        assert "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")
        print(json.dumps(jax_runs()))
    else:
        print(json.dumps(tensorflow_runs(int(sys.argv[2]))))
