"""The MLP in JAX: parameters are a dict pytree, gradients come from ``jax.value_and_grad``.

The initial weights are the oracle's NumPy draw, so every backend starts from the
same numbers.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jax_impl import activations, losses
from reference import mlp as reference_mlp
from reference.errors import check_float_dtype
from reference.validation import as_array, check_batch, check_labels, mlp_sizes


def init_params(sizes, seed=0, dtype=None):
    """The oracle's Glorot-uniform weights as JAX arrays.

    ``dtype=None`` is JAX's default float: float32, or float64 inside ``jax_impl.float64()``.
    """
    weights = reference_mlp.init_params(sizes, seed, np.float64)
    dtype = dtype or jnp.result_type(float)
    check_float_dtype(np.dtype(dtype).name)
    return {name: jnp.asarray(value, dtype) for name, value in weights.items()}


def num_layers(params):
    return len(params) // 2


def forward(params, x, activation="relu"):
    """Logits: a = activation(a @ kernel + bias) on hidden layers, linear output."""
    activate = activations.get(activation)
    x = as_array(x)
    check_batch(x, None, *mlp_sizes(params))
    last = num_layers(params) - 1
    a = jnp.asarray(x, params["dense_0/kernel"].dtype)  # as Keras casts a layer's inputs
    for layer in range(last + 1):
        z = a @ params[f"dense_{layer}/kernel"] + params[f"dense_{layer}/bias"]
        a = z if layer == last else activate(z)
    return a


def objective(params, x, y, activation="relu", loss="softmax_cross_entropy"):
    """The scalar loss as a function of params: what ``jax.value_and_grad`` differentiates."""
    return losses.get(loss)(forward(params, x, activation), y)


def loss_and_grads(params, x, y, activation="relu", loss="softmax_cross_entropy"):
    """``(loss, grads)`` by ``jax.value_and_grad`` of the loss with respect to params.

    Shapes are checked always; label values only outside ``jax.jit`` (a traced
    array has no values to look at).
    """
    x, y = as_array(x), as_array(y)
    num_features, num_classes = mlp_sizes(params)
    check_batch(x, y, num_features, num_classes)
    if not isinstance(y, jax.core.Tracer):
        check_labels(np.asarray(y), num_classes)
    return jax.value_and_grad(objective)(params, x, y, activation, loss)
