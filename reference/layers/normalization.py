"""BatchNormalization and LayerNormalization, Keras's defaults (ε = 1e-3, biased variance).

Both normalise x̂ = (x − μ) / √(σ² + ε) and return y = γ x̂ + β, with σ² the *biased*
variance (÷ n). They differ in what μ and σ² are averaged over:

- batch norm, axis −1: over every axis but the last (the batch and, for images, H and
  W), one statistic per channel; in inference the moving statistics replace them;
- layer norm, axis −1: over the last axis of each sample separately.
"""

import numpy as np

from reference.errors import check_range
from reference.layers.checks import check_input_shape


def batch_normalization_forward(params, state, x, training, momentum=0.99, epsilon=1e-3):
    """Returns ``(y, new_state, cache)``; ``state`` holds ``moving_mean`` and ``moving_variance``.

    Training: μ_B = mean(x), σ²_B = mean((x − μ_B)²) over all axes but the channel axis;
        y = γ (x − μ_B) / √(σ²_B + ε) + β
        moving_mean     ← m · moving_mean     + (1 − m) · μ_B
        moving_variance ← m · moving_variance + (1 − m) · σ²_B   (biased σ²_B, as Keras;
        torch updates with the unbiased one, and its momentum 0.1 is Keras's 0.9)
    Inference: the moving statistics take the place of μ_B and σ²_B; no update.
    """
    gamma = params["gamma"]
    check_input_shape("BatchNormalization", x.shape, (None,) * (x.ndim - 1) + gamma.shape)
    check_range("momentum", momentum, low=0, high=1)
    check_range("epsilon", epsilon, low=0, low_open=True)
    axes = tuple(range(x.ndim - 1))
    if training:
        mean = x.mean(axis=axes)
        variance = ((x - mean) ** 2).mean(axis=axes)
        new_state = {
            "moving_mean": state["moving_mean"] * momentum + mean * (1 - momentum),
            "moving_variance": state["moving_variance"] * momentum + variance * (1 - momentum),
        }
    else:
        mean, variance, new_state = state["moving_mean"], state["moving_variance"], state
    inverse_std = 1 / np.sqrt(variance + epsilon)
    normalized = (x - mean) * inverse_std
    y = gamma * normalized + params["beta"]
    return y, new_state, (normalized, inverse_std, gamma, training, axes)


def batch_normalization_backward(dy, cache):
    """With x̂ = (x − μ)/σ, σ = √(σ² + ε), and sums and means over the n reduced cells:

        dβ = Σ dy,  dγ = Σ dy ⊙ x̂,  dx̂ = γ dy
    Inference (μ, σ constants):  dx = dx̂ / σ
    Training, μ and σ² depend on x too (∂μ/∂x = 1/n, ∂σ²/∂x = 2(x − μ)/n):
        dx = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / σ
    """
    normalized, inverse_std, gamma, training, axes = cache
    grads = {"gamma": (dy * normalized).sum(axis=axes), "beta": dy.sum(axis=axes)}
    dnormalized = dy * gamma
    if not training:
        return dnormalized * inverse_std, grads
    centred = dnormalized - dnormalized.mean(axis=axes)
    dx = (centred - normalized * (dnormalized * normalized).mean(axis=axes)) * inverse_std
    return dx, grads


def layer_normalization_forward(params, x, epsilon=1e-3):
    """Per sample, over the last axis: μ = mean(x), σ² = mean((x − μ)²),
    y = γ (x − μ) / √(σ² + ε) + β. The same in training and inference; no state."""
    gamma = params["gamma"]
    check_input_shape("LayerNormalization", x.shape, (None,) * (x.ndim - 1) + gamma.shape)
    check_range("epsilon", epsilon, low=0, low_open=True)
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    inverse_std = 1 / np.sqrt(variance + epsilon)
    normalized = (x - mean) * inverse_std
    return gamma * normalized + params["beta"], (normalized, inverse_std, gamma)


def layer_normalization_backward(dy, cache):
    """Batch norm's training backward with the roles of the axes swapped: the means run
    over the last axis of each sample, and dγ, dβ sum over every other axis.

        dx = (dx̂ − mean_last(dx̂) − x̂ ⊙ mean_last(dx̂ ⊙ x̂)) / σ,  dx̂ = γ dy
    """
    normalized, inverse_std, gamma = cache
    others = tuple(range(dy.ndim - 1))
    grads = {"gamma": (dy * normalized).sum(axis=others), "beta": dy.sum(axis=others)}
    dnormalized = dy * gamma
    centred = dnormalized - dnormalized.mean(axis=-1, keepdims=True)
    correction = normalized * (dnormalized * normalized).mean(axis=-1, keepdims=True)
    return (centred - correction) * inverse_std, grads
