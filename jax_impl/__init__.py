"""Gradient descent in JAX: ``jax.value_and_grad`` and ``jax.jit``, the third opinion.

Module for module and name for name the same as ``reference`` and ``tf_impl``,
checked against the oracle and against ``optax``.

float64. JAX computes in float32 unless its x64 mode is on. gdkit never switches
it on globally; wrap float64 work in ``jax_impl.float64()`` (JAX's own
``jax.enable_x64(True)`` context), or set ``JAX_ENABLE_X64=1`` before starting
Python to make it the default for your whole process. float32 is the default
for training and benching.

Like ``tf_impl``, it starts quietly: XLA's C++ log at errors only unless you set
``TF_CPP_MIN_LOG_LEVEL``, and start-up chatter filtered (``reference.native_log``).
"""

from reference import native_log

native_log.errors_only_by_default()
with native_log.startup_log_filtered():
    import jax


def float64():
    """Context manager: JAX computes in float64 inside it, as before outside it."""
    return jax.enable_x64(True)
