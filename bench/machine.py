"""What the timings are measured against: the machine, its matmul peak, and a noise canary."""

import os
import platform
import time

import numpy as np

from bench import backends

CANARY_SIZE = 192


def cpu_model():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas():
    try:
        config = np.show_config(mode="dicts")
        return config["Build Dependencies"]["blas"]["name"]
    except Exception:  # older NumPy: no dict mode
        return "unknown"


def machine_info():
    info = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "blas": blas(),
        "gpus": sorted(set(backends.gpus("tensorflow")) | set(backends.gpus("jax"))),
    }
    if backends.installed("tensorflow"):
        tf = backends.tensorflow()
        import keras

        info["tensorflow"], info["keras"] = tf.__version__, keras.__version__
    if backends.installed("jax"):
        import jax

        info["jax"] = jax.__version__
    return info


def canary():
    """Seconds for a small fixed float32 matmul, best of 5: it moves when the machine slows."""
    a = np.ones((CANARY_SIZE, CANARY_SIZE), np.float32)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return best


def _best_time(call, repeats, min_seconds):
    """The fastest of at least ``repeats`` calls, calling on until ``min_seconds`` have
    passed: a peak is the best the machine can do, so a slow moment must not set it."""
    call()  # warm-up: compilation, allocation
    best, started, calls = float("inf"), time.perf_counter(), 0
    while calls < repeats or time.perf_counter() - started < min_seconds:
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
        calls += 1
    return best


def matmul_peak_gflops(framework, device="cpu", size=1024, repeats=5, min_seconds=0.5):
    """Measured float32 GFLOP/s of an n×n by n×n matmul (2n³ FLOPs), the best of at least
    ``repeats`` runs over at least ``min_seconds``."""
    flops = 2 * size**3
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    if framework == "numpy":
        return flops / _best_time(lambda: a @ a, repeats, min_seconds) / 1e9
    if framework == "tensorflow":
        tf = backends.tensorflow()
        with tf.device(f"/{device.upper()}:0"):
            tensor = tf.constant(a)
            matmul = tf.function(lambda m: tf.reduce_sum(tf.matmul(m, m)))  # read back a scalar
            return flops / _best_time(lambda: matmul(tensor).numpy(), repeats, min_seconds) / 1e9
    if framework == "jax":
        import jax

        array = jax.device_put(a, jax.devices(device)[0])
        matmul = jax.jit(lambda m: m @ m)
        return (
            flops
            / _best_time(lambda: matmul(array).block_until_ready(), repeats, min_seconds)
            / 1e9
        )
    raise ValueError(f"unknown framework {framework!r}")
