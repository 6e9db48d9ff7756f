"""Which frameworks and devices this machine has, found without importing what is missing.

Every import of TensorFlow or JAX in ``bench`` goes through here, lazily, so that
``gdkit`` runs on a machine with NumPy alone and says what it cannot do.
"""

import contextlib
import functools
import importlib
import importlib.util
import os
import sys

BACKEND_MODES = ("numpy", "tf-eager", "tf-function", "tf-xla", "keras", "jax-jit")
FRAMEWORK = {
    "numpy": "numpy",
    "tf-eager": "tensorflow",
    "tf-function": "tensorflow",
    "tf-xla": "tensorflow",
    "keras": "tensorflow",
    "jax-jit": "jax",
    "tf-mirrored": "tensorflow",
    "jax-sharded": "jax",
}


def installed(framework):
    """Whether ``framework`` can be imported here; a finder that refuses it counts as absent."""
    try:
        return importlib.util.find_spec(framework) is not None
    except ImportError:
        return False


def tensorflow():
    """TensorFlow, imported through ``tf_impl`` so that its start-up noise stays quiet."""
    importlib.import_module("tf_impl")  # first: it quiets TensorFlow's start-up
    return importlib.import_module("tensorflow")


@functools.cache
def gpus(framework):
    """Names of the GPUs ``framework`` sees (empty when it sees none or is missing)."""
    if framework == "tensorflow" and installed("tensorflow"):
        tf = tensorflow()
        return tuple(d.name for d in tf.config.list_physical_devices("GPU"))
    if framework == "jax" and installed("jax"):
        import jax

        with quiet_native_stderr():  # JAX logs a failed cuInit where there is no GPU
            try:
                return tuple(str(d) for d in jax.devices("gpu"))
            except RuntimeError:
                return ()
    return ()


def prepare_replicas(count):
    """Give TensorFlow and JAX ``count`` CPU devices; must run before either starts.

    Returns what could not be done, as lines to print (a framework already started).
    """
    notes = []
    if count <= 1:
        return notes
    flag = f"--xla_force_host_platform_device_count={count}"
    if "jax" in sys.modules:
        notes.append("JAX had already started: its data-parallel cases get the devices it has.")
    else:
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
    if installed("tensorflow"):
        tf = tensorflow()
        try:
            if not tf.config.list_physical_devices("GPU"):
                from tf_impl import distributed

                distributed.use_logical_cpus(count)
        except RuntimeError:
            notes.append(
                "TensorFlow had already started: its data-parallel cases get the devices it has."
            )
    return notes


def device_count(framework):
    """Devices a data-parallel case can use: GPUs if any, else (logical) CPUs."""
    if framework == "tensorflow":
        tf = tensorflow()
        return len(tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU"))
    import jax

    return jax.device_count()


def any_gpu():
    return bool(gpus("tensorflow") or gpus("jax"))


def devices_for(backend_mode, requested):
    """The devices a backend runs on, from ``cpu``, ``gpu`` or ``all``."""
    framework = FRAMEWORK[backend_mode]
    available = ["cpu"] + (["gpu"] if framework != "numpy" and gpus(framework) else [])
    wanted = available if requested == "all" else [requested]
    return [device for device in wanted if device in available]


@contextlib.contextmanager
def quiet_native_stderr():
    """Drop what native code writes to file descriptor 2 for a while (Python errors still raise)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
