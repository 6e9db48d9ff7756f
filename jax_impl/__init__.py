"""Gradient descent in JAX: ``jax.value_and_grad`` and ``jax.jit``, the third opinion.

Module for module and name for name the same as ``reference`` and ``tf_impl``,
checked against the oracle and against ``optax``.

float64. JAX computes in float32 unless its x64 mode is on. gdkit never switches
it on globally; wrap float64 work in ``jax_impl.float64()`` (JAX's own
``jax.enable_x64(True)`` context), or set ``JAX_ENABLE_X64=1`` before starting
Python to make it the default for your whole process. float32 is the default
for training and benching.
"""

import jax


def float64():
    """Context manager: JAX computes in float64 inside it, as before outside it."""
    return jax.enable_x64(True)
