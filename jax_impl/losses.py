"""Losses on logits, mean over the batch; ``jax.grad`` derives their gradients."""

import jax
import jax.numpy as jnp

from reference.errors import check_choice


def one_hot(labels, num_classes, dtype):
    """Integer labels ``(B,)`` become one-hot rows ``(B, K)``; one-hot labels pass through."""
    if labels.ndim == 2:
        return labels.astype(dtype)
    return jax.nn.one_hot(labels, num_classes, dtype=dtype)


def softmax_cross_entropy(logits, labels):
    """loss = mean_i [ logsumexp(z_i) − z_i · y_i ], integer or one-hot labels."""
    targets = one_hot(labels, logits.shape[-1], logits.dtype)
    log_probs = logits - jax.nn.logsumexp(logits, axis=1, keepdims=True)
    return -jnp.mean(jnp.sum(targets * log_probs, axis=1))


def mean_squared_error(predictions, targets):
    """loss = mean over every element of (p − t)²."""
    targets = one_hot(targets, predictions.shape[-1], predictions.dtype)
    return jnp.mean((predictions - targets) ** 2)


LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "mean_squared_error": mean_squared_error,
}
NAMES = tuple(LOSSES)


def get(name):
    check_choice("loss", name, NAMES)
    return LOSSES[name]
