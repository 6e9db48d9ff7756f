"""Gradient descent written in TensorFlow from scratch.

``tf.GradientTape`` for the gradients, ``tf.Variable`` for weights and optimizer
state, train steps eager, in ``tf.function`` and with XLA. Module for module and
name for name the same as ``reference``, and checked against it and against
``keras.optimizers`` in the test suite.

TensorFlow starts quietly here: the log lines it prints while loading are dropped
(``reference.native_log`` says which, and why ``TF_CPP_MIN_LOG_LEVEL`` alone cannot),
and its C++ log level is warnings off, errors on (``TF_CPP_MIN_LOG_LEVEL=2``) unless
you set one. ``TF_CPP_MIN_LOG_LEVEL=0`` shows everything.
"""

from reference import native_log

native_log.errors_only_by_default()
with native_log.startup_log_filtered():
    import tensorflow

    # The first look for devices probes CUDA (a cuInit error where there is no GPU):
    # done here, inside the filter. It does not start the runtime, so logical devices
    # (``distributed.use_logical_cpus``) can still be configured afterwards.
    tensorflow.config.list_physical_devices()
