"""The layers in JAX: ``jax.numpy`` and ``lax``, gradients from ``jax.grad``.

The same modules and forward functions as ``reference.layers``, with the same
arguments; each returns ``y`` alone (batch norm ``(y, new_state)``): ``jax.grad``
differentiates the forward, so there is no cache and no backward. Shapes are checked
by the oracle's own checks, so a bad shape fails with the same message in every
backend (inside ``jax.jit`` too: shapes are static).
"""

from jax_impl.layers import (  # noqa: F401  (layers.conv.conv2d_forward after one import)
    activation,
    attention,
    conv,
    dense,
    dropout,
    embedding,
    merge,
    normalization,
    pooling,
    position_embedding,
    recurrent,
    reshape,
)
