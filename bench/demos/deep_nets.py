"""Two deep nets the plain MLP is not, built from the oracle's layers (``reference.layers``).

Both use sigmoid hidden layers of one width after a first projection layer:
- residual: h ← h + σ(h W + b), the residual ``Add``, so the gradient has an identity path
  around every layer. A residual net is not a chain of layers, so it is written out here:
  each layer's forward in order, then each layer's own backward in reverse;
- batch-norm: Dense → BatchNormalization → sigmoid, repeated: a list of layer specs
  (``reference.model``), trained like any model. Normalising each layer's input to the
  sigmoid keeps it in σ's steep middle.
"""

from reference import losses
from reference.layers import activation, dense, merge


def batch_norm_specs(depth, width, classes):
    """``depth`` × (Dense ``width`` → BatchNormalization → sigmoid), then Dense ``classes``."""
    block = (
        ("dense", {"units": width}),
        ("batch_normalization", {}),
        ("activation", {"activation": "sigmoid"}),
    )
    return block * depth + (("dense", {"units": classes}),)


def residual_loss_and_grads(params, x, y):
    """Softmax cross-entropy of the residual sigmoid net with MLP ``params`` (``dense_i``),
    and its gradients. Layer 0 projects, h = σ(x W₀ + b₀); each later hidden layer adds,
    h ← h + σ(h Wᵢ + bᵢ); the last is linear. Backward, the ``Add`` hands dh to both of its
    inputs: dh ← dh + (the branch's input gradient)."""
    last = len(params) // 2 - 1
    caches, h = [], x
    for layer in range(last):
        z, dense_cache = dense.dense_forward(own(params, layer), h)
        a, activation_cache = activation.activation_forward(z, "sigmoid")
        h, add_cache = merge.add_forward([h, a]) if layer > 0 else (a, None)
        caches.append((dense_cache, activation_cache, add_cache))
    logits, last_cache = dense.dense_forward(own(params, last), h)
    loss, dh = losses.softmax_cross_entropy(logits, y)
    dh, last_grads = dense.dense_backward(dh, last_cache)
    grads = named(last_grads, last)
    for layer in reversed(range(last)):
        dense_cache, activation_cache, add_cache = caches[layer]
        (skip, branch), _ = merge.add_backward(dh, add_cache) if layer > 0 else ((None, dh), {})
        dz, _ = activation.activation_backward(branch, activation_cache)
        dh, layer_grads = dense.dense_backward(dz, dense_cache)
        grads.update(named(layer_grads, layer))
        if skip is not None:
            dh = dh + skip
    return loss, {name: grads[name] for name in params}


def own(params, layer):
    return {"kernel": params[f"dense_{layer}/kernel"], "bias": params[f"dense_{layer}/bias"]}


def named(grads, layer):
    return {f"dense_{layer}/{key}": value for key, value in grads.items()}
