"""A multilayer perceptron with its backward pass written out by hand.

Parameters are an ordered dict ``{"dense_0/kernel": (in, out), "dense_0/bias": (out,), ...}``
in layer order, the order Keras's ``get_weights()`` uses. Every hidden layer is
``a = activation(x @ kernel + bias)``; the output layer is linear (logits).

Called as ``loss_and_grads(params, x, y)`` it is the seed model: ReLU on every
hidden layer, softmax cross-entropy on the logits.
"""

import numpy as np

from reference import activations, losses
from reference.errors import check_float_dtype, check_integer
from reference.validation import as_array, check_batch, check_labels, mlp_sizes


def init_params(sizes, seed=0, dtype=np.float64):
    """Glorot-uniform kernels and zero biases, like Keras's ``Dense`` defaults.

    kernel ~ U(-L, L) with L = sqrt(6 / (fan_in + fan_out)); bias = 0.
    """
    if len(sizes) < 2 or any(int(n) != n or n < 1 for n in sizes):
        raise ValueError(f"sizes={sizes!r} is not allowed: need at least two positive integers.")
    check_integer("seed", seed, low=0)
    check_float_dtype(np.dtype(dtype).name)
    rng = np.random.default_rng(seed)
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params[f"dense_{layer}/kernel"] = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(
            dtype
        )
        params[f"dense_{layer}/bias"] = np.zeros(fan_out, dtype=dtype)
    return params


def num_layers(params):
    return len(params) // 2


def dense_forward(x, kernel, bias):
    return x @ kernel + bias


def dense_backward(dout, x, kernel, need_dx=True):
    """out = x W + b  =>  dW = xᵀ dout,  db = Σ_rows dout,  dx = dout Wᵀ.

    The first layer's dx would be the gradient for the input data, which nothing needs:
    skipping it saves a third of that layer's backward work.
    """
    dx = dout @ kernel.T if need_dx else None
    return x.T @ dout, dout.sum(axis=0), dx


def forward(params, x, activation="relu"):
    """Logits of the MLP."""
    x = as_array(x)
    check_batch(x, None, *mlp_sizes(params))
    logits, _ = _forward_with_cache(params, x, activation)
    return logits


def _forward_with_cache(params, x, activation):
    activate = activations.get(activation)
    cache = []
    a = x.astype(params["dense_0/kernel"].dtype, copy=False)  # as Keras casts a layer's inputs
    last = num_layers(params) - 1
    for layer in range(last + 1):
        kernel, bias = params[f"dense_{layer}/kernel"], params[f"dense_{layer}/bias"]
        z = dense_forward(a, kernel, bias)
        cache.append((a, z))
        a = z if layer == last else activate(z)
    return a, cache


def loss_and_grads(params, x, y, activation="relu", loss="softmax_cross_entropy"):
    """``(loss, grads)``, grads with the keys of params, by backpropagation.

    Backward, from the last layer to the first:
        dz_L = dloss/dlogits
        dW_l = a_{l-1}ᵀ dz_l,  db_l = Σ_rows dz_l,  da_{l-1} = dz_l W_lᵀ
        dz_{l-1} = activation'(z_{l-1}) ⊙ da_{l-1}
    """
    x, y = as_array(x), as_array(y)
    num_features, num_classes = mlp_sizes(params)
    check_batch(x, y, num_features, num_classes)
    check_labels(y, num_classes)
    activate_backward = activations.get_backward(activation)
    loss_fn = losses.get(loss)
    logits, cache = _forward_with_cache(params, x, activation)
    loss_value, dz = loss_fn(logits, y)
    grads = {}
    for layer in reversed(range(num_layers(params))):
        a_prev, _ = cache[layer]
        kernel = params[f"dense_{layer}/kernel"]
        dkernel, dbias, da_prev = dense_backward(dz, a_prev, kernel, need_dx=layer > 0)
        grads[f"dense_{layer}/kernel"], grads[f"dense_{layer}/bias"] = dkernel, dbias
        if layer > 0:
            z_prev = cache[layer - 1][1]
            dz = activate_backward(da_prev, z_prev, a_prev)
    return loss_value, {name: grads[name] for name in params}
