"""Gradient clipping in JAX (``optax.clip_by_global_norm`` and ``optax.clip`` are the checks)."""

import jax.numpy as jnp


def clip_by_value(grads, clipvalue):
    """g ← clip(g, −v, v), element by element."""
    return {name: jnp.clip(g, -clipvalue, clipvalue) for name, g in grads.items()}


def clip_by_norm(grads, clipnorm):
    """Per tensor: g ← g · c / max(‖g‖, c)."""
    return {
        name: g * clipnorm / jnp.maximum(jnp.sqrt(jnp.sum(g * g)), clipnorm)
        for name, g in grads.items()
    }


def global_norm(grads):
    """N = sqrt(Σ_tensors Σ g²)."""
    return jnp.sqrt(sum(jnp.sum(g * g) for g in grads.values()))


def clip_by_global_norm(grads, global_clipnorm):
    """All tensors together: g ← g · c · min(1/N, 1/c); a non-finite N gives NaN."""
    norm = global_norm(grads)
    scale = global_clipnorm * jnp.minimum(1 / norm, 1 / global_clipnorm)
    scale = jnp.where(jnp.isfinite(norm), scale, jnp.nan)
    return {name: g * scale.astype(g.dtype) for name, g in grads.items()}
