"""Gradient clipping, as Keras's ``clipvalue``, ``clipnorm`` and ``global_clipnorm``.

Each takes and returns a dict of gradients.
"""

import numpy as np


def clip_by_value(grads, clipvalue):
    """g ← clip(g, -v, v), element by element."""
    return {name: np.clip(g, -clipvalue, clipvalue) for name, g in grads.items()}


def clip_by_norm(grads, clipnorm):
    """Per tensor: g ← g · c / max(‖g‖, c). Each tensor is clipped on its own."""
    return {
        name: g * clipnorm / np.maximum(np.sqrt(np.sum(g * g)), clipnorm)
        for name, g in grads.items()
    }


def global_norm(grads):
    """N = sqrt(Σ_tensors Σ g²)."""
    return np.sqrt(sum(np.sum(g * g) for g in grads.values()))


def clip_by_global_norm(grads, global_clipnorm):
    """All tensors together: g ← g · c · min(1/N, 1/c), with N the global norm.

    Written as Keras and ``tf.clip_by_global_norm`` write it; a non-finite N makes
    every gradient NaN rather than silently passing it through.
    """
    norm = global_norm(grads)
    with np.errstate(divide="ignore"):  # N = 0 gives 1/N = inf, and min picks 1/c
        scale = (
            global_clipnorm * min(1 / norm, 1 / global_clipnorm) if np.isfinite(norm) else np.nan
        )
    return {name: g * np.asarray(scale, g.dtype) for name, g in grads.items()}
