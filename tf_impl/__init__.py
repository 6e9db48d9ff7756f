"""Gradient descent written in TensorFlow from scratch.

``tf.GradientTape`` for the gradients, ``tf.Variable`` for weights and optimizer
state, train steps eager, in ``tf.function`` and with XLA. Module for module and
name for name the same as ``reference``, and checked against it and against
``keras.optimizers`` in the test suite.

TensorFlow is quiet here by default: its C++ log level is set to errors only, and
the lines it writes to stderr while loading (before its logging starts) are
dropped. Set ``TF_CPP_MIN_LOG_LEVEL`` yourself to see them all.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def _native_stderr_dropped():
    """Send what C++ code writes to file descriptor 2 to /dev/null for a while."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (captured, embedded)
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


if "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with _native_stderr_dropped():
        import tensorflow  # noqa: F401
