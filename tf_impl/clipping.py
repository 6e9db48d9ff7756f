"""Gradient clipping in TensorFlow, written out (``tf.clip_by_*`` are the checks)."""

import tensorflow as tf


def clip_by_value(grads, clipvalue):
    """g ← clip(g, −v, v), element by element."""
    return {name: tf.clip_by_value(g, -clipvalue, clipvalue) for name, g in grads.items()}


def clip_by_norm(grads, clipnorm):
    """Per tensor: g ← g · c / max(‖g‖, c)."""
    return {name: g * clipnorm / tf.maximum(tf.norm(g), clipnorm) for name, g in grads.items()}


def global_norm(grads):
    """N = sqrt(Σ_tensors Σ g²)."""
    return tf.sqrt(tf.add_n([tf.reduce_sum(g * g) for g in grads.values()]))


def clip_by_global_norm(grads, global_clipnorm):
    """All tensors together: g ← g · c · min(1/N, 1/c); a non-finite N gives NaN."""
    norm = global_norm(grads)
    scale = global_clipnorm * tf.minimum(1 / norm, 1 / global_clipnorm)
    scale = tf.where(tf.math.is_finite(norm), scale, tf.constant(float("nan"), norm.dtype))
    return {name: g * tf.cast(scale, g.dtype) for name, g in grads.items()}
