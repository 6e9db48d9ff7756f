"""Which frameworks and devices this machine has, and what each backend mode runs.

Every import of TensorFlow or JAX in ``bench`` goes through here, lazily, so that
``gdkit`` runs on a machine with NumPy alone and says what it cannot do.
"""

import functools
import importlib
import importlib.util
import os
import sys
import typing

from reference import native_log

native_log.errors_only_by_default()  # before TensorFlow or JAX starts, whichever comes first


class Steps(typing.NamedTuple):
    """How a backend mode's step is made: ``<package>.training.make_train_step(mode=mode)``."""

    package: str
    mode: str | None
    data_parallel: bool = False


# gdkit bench's backend modes, in the order of its tables. Keras's step is the tutorial's
# (``tf_impl.tutorial``: a Sequential and a built-in Keras optimizer), not a mode of ours.
STEPS = {
    "numpy": Steps("reference", "eager"),
    "tf-eager": Steps("tf_impl", "eager"),
    "tf-function": Steps("tf_impl", "function"),
    "tf-xla": Steps("tf_impl", "xla"),
    "keras": Steps("keras", None),
    "jax-jit": Steps("jax_impl", "jit"),
    "tf-mirrored": Steps("tf_impl", "mirrored", data_parallel=True),
    "jax-sharded": Steps("jax_impl", "sharded", data_parallel=True),
}
BACKEND_MODES = tuple(name for name, steps in STEPS.items() if not steps.data_parallel)
DATA_PARALLEL = tuple(name for name, steps in STEPS.items() if steps.data_parallel)

# gdkit's three implementations: the package behind each --backend name.
PACKAGE = {"numpy": "reference", "tf": "tf_impl", "jax": "jax_impl"}

# The framework each name needs installed: gdkit's three implementations (by their
# --backend names and by package), the built-ins they are checked against, every mode.
_IMPLEMENTATIONS = {
    "numpy": "numpy",
    "reference": "numpy",
    "tf": "tensorflow",
    "tf_impl": "tensorflow",
    "keras": "tensorflow",
    "jax": "jax",
    "jax_impl": "jax",
    "optax": "optax",
}
FRAMEWORK = {
    **_IMPLEMENTATIONS,
    **{name: _IMPLEMENTATIONS[steps.package] for name, steps in STEPS.items()},
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

        with native_log.startup_log_filtered():  # a failed cuInit where there is no GPU
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
