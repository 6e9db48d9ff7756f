"""Two deep nets the MLP module does not have, with their backward passes by hand (NumPy).

Both use sigmoid hidden layers of one width after a first projection layer:
- residual: h ← h + σ(h W + b), so the gradient has an identity path around every layer;
- batch-norm: h ← σ(BN(h W + b)), BN(z) = (z − mean_batch z) / sqrt(var_batch z + ε)
  (no learned scale or shift), which keeps every layer's input in σ's steep middle.
"""

import numpy as np

from reference import losses
from reference.activations import sigmoid

EPSILON = 1e-5


def _batch_norm(z):
    mean, std = z.mean(axis=0), np.sqrt(z.var(axis=0) + EPSILON)
    return (z - mean) / std, std


def _batch_norm_backward(dnormed, normed, std):
    """dz = (dẑ − mean(dẑ) − ẑ · mean(dẑ ⊙ ẑ)) / σ, means over the batch."""
    return (dnormed - dnormed.mean(axis=0) - normed * (dnormed * normed).mean(axis=0)) / std


def loss_and_grads(kind, params, x, y):
    """Softmax cross-entropy of a ``"residual"`` or ``"batchnorm"`` net, and its gradients."""
    layers = len(params) // 2
    cache, h = [], x
    for layer in range(layers - 1):
        z = h @ params[f"dense_{layer}/kernel"] + params[f"dense_{layer}/bias"]
        normed, std = _batch_norm(z) if kind == "batchnorm" else (z, None)
        a = sigmoid(normed)
        cache.append((h, normed, std, a))
        h = h + a if kind == "residual" and layer > 0 else a
    last = layers - 1
    loss, dlogits = losses.softmax_cross_entropy(
        h @ params[f"dense_{last}/kernel"] + params[f"dense_{last}/bias"], y
    )
    grads = {f"dense_{last}/kernel": h.T @ dlogits, f"dense_{last}/bias": dlogits.sum(axis=0)}
    dh = dlogits @ params[f"dense_{last}/kernel"].T
    for layer in reversed(range(layers - 1)):
        h_in, normed, std, a = cache[layer]
        dnormed = dh * a * (1 - a)
        dz = _batch_norm_backward(dnormed, normed, std) if kind == "batchnorm" else dnormed
        grads[f"dense_{layer}/kernel"], grads[f"dense_{layer}/bias"] = h_in.T @ dz, dz.sum(axis=0)
        dh_in = dz @ params[f"dense_{layer}/kernel"].T
        dh = dh + dh_in if kind == "residual" and layer > 0 else dh_in
    return loss, {name: grads[name] for name in params}
