"""BatchNormalization and LayerNormalization, Keras's defaults (ε = 1e-3, biased variance)."""

from jax import lax

from reference.errors import check_range
from reference.layers.checks import check_input_shape


def batch_normalization_forward(
    params, state, x, training, momentum=0.99, epsilon=1e-3, axis_name=None
):
    """Returns ``(y, new_state)``; the equations are the oracle's.

    ``axis_name`` (inside ``jax.shard_map`` over that mesh axis): the statistics are
    all-reduced sums over the shards (``lax.psum``), as in the oracle's
    ``synchronized_batch_normalization_forward``; ``jax.grad`` differentiates through
    the psum, which gives the backward its all-reduce too.
    """
    gamma = params["gamma"]
    check_input_shape("BatchNormalization", x.shape, (None,) * (x.ndim - 1) + gamma.shape)
    check_range("momentum", momentum, low=0, high=1)
    check_range("epsilon", epsilon, low=0, low_open=True)
    axes = tuple(range(x.ndim - 1))
    if training and axis_name is not None:
        total = lax.psum(x.size // x.shape[-1], axis_name)
        mean = lax.psum(x.sum(axis=axes), axis_name) / total
        variance = lax.psum(((x - mean) ** 2).sum(axis=axes), axis_name) / total
    elif training:
        mean = x.mean(axis=axes)
        variance = ((x - mean) ** 2).mean(axis=axes)
    if training:
        new_state = {
            "moving_mean": state["moving_mean"] * momentum + mean * (1 - momentum),
            "moving_variance": state["moving_variance"] * momentum + variance * (1 - momentum),
        }
    else:
        mean, variance, new_state = state["moving_mean"], state["moving_variance"], state
    normalized = (x - mean) * lax.rsqrt(variance + epsilon)
    return gamma * normalized + params["beta"], new_state


def layer_normalization_forward(params, x, epsilon=1e-3):
    gamma = params["gamma"]
    check_input_shape("LayerNormalization", x.shape, (None,) * (x.ndim - 1) + gamma.shape)
    check_range("epsilon", epsilon, low=0, low_open=True)
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normalized = (x - mean) * lax.rsqrt(variance + epsilon)
    return gamma * normalized + params["beta"]
