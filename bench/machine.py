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


# JAX's names for full-float32 products (``jax.default_matmul_precision``); every other
# setting, the default included, lets an NVIDIA GPU use TF32 (docs/gpu.md).
JAX_FULL_FLOAT32 = ("float32", "highest", "F32_F32_F32")


def float32_matmul_precision(framework, device):
    """What a float32 matmul is computed in, as timed: ``"float32"`` or ``"tf32"``.

    CPUs (and NumPy) always compute float32 products in float32. On a GPU, JAX and
    TensorFlow both default to TF32 (10-bit mantissa inputs) where the GPU has it, NVIDIA
    Ampere (compute capability 8.0) or newer, unless raised: JAX by
    ``jax.default_matmul_precision("float32")``, TensorFlow by
    ``tf.config.experimental.enable_tensor_float_32_execution(False)``.
    """
    if framework == "numpy" or device == "cpu":
        return "float32"
    if framework == "jax":
        import jax

        if jax.config.jax_default_matmul_precision in JAX_FULL_FLOAT32:
            return "float32"
        capability = getattr(jax.devices(device)[0], "compute_capability", None)
    elif framework == "tensorflow":
        tf = backends.tensorflow()
        if not tf.config.experimental.tensor_float_32_execution_enabled():
            return "float32"
        capability = _tf_compute_capability(tf)
    else:
        raise ValueError(f"unknown framework {framework!r}")
    return "float32" if _before_ampere(capability) else "tf32"


def _tf_compute_capability(tf):
    gpus = tf.config.list_physical_devices("GPU")
    try:
        return tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
    except (IndexError, ValueError, TypeError):  # no GPU, or a device TensorFlow cannot describe
        return None


def _before_ampere(capability):
    """Compute capability ``"8.0"`` or ``(8, 0)`` is Ampere; unknown counts as TF32-capable."""
    if capability is None:
        return False
    major = capability[0] if isinstance(capability, tuple) else str(capability).split(".")[0]
    return int(major) < 8


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
