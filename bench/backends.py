"""Which frameworks and devices this machine has, found without importing what is missing.

Every import of TensorFlow or JAX in ``bench`` goes through here, lazily, so that
``gdkit`` runs on a machine with NumPy alone and says what it cannot do.
"""

import functools
import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

BACKEND_MODES = ("numpy", "tf-eager", "tf-function", "tf-xla", "keras", "jax-jit")
FRAMEWORK = {
    "numpy": "numpy",
    "tf-eager": "tensorflow",
    "tf-function": "tensorflow",
    "tf-xla": "tensorflow",
    "keras": "tensorflow",
    "jax-jit": "jax",
}


def installed(framework):
    return importlib.util.find_spec(framework) is not None


@functools.cache
def gpus(framework):
    """Names of the GPUs ``framework`` sees (empty when it sees none or is missing)."""
    if framework == "tensorflow" and installed("tensorflow"):
        import tensorflow as tf

        return tuple(d.name for d in tf.config.list_physical_devices("GPU"))
    if framework == "jax" and installed("jax"):
        import jax

        try:
            return tuple(str(d) for d in jax.devices("gpu"))
        except RuntimeError:
            return ()
    return ()


def any_gpu():
    return bool(gpus("tensorflow") or gpus("jax"))


def devices_for(backend_mode, requested):
    """The devices a backend runs on, from ``cpu``, ``gpu`` or ``all``."""
    framework = FRAMEWORK[backend_mode]
    available = ["cpu"] + (["gpu"] if framework != "numpy" and gpus(framework) else [])
    wanted = available if requested == "all" else [requested]
    return [device for device in wanted if device in available]
