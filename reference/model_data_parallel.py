"""The model's data-parallel gradient, with batch norm's statistics synchronised or per shard.

R replicas each run the model on one shard (x_r, y_r) of the batch, n_r examples,
Σ n_r = B. Every layer but batch norm works on each example alone, so it is the same
per shard as on the whole batch. Batch norm is not:

- ``synchronized=True``: its statistics (and, in the backward, its two means) are
  all-reduced over the shards (``synchronized_batch_normalization_forward``), and the
  step is the single-device step, to rounding;
- ``synchronized=False``: each replica normalises by its own shard's statistics, as
  plain batch norm under ``MirroredStrategy`` does; the forward pass, the loss and the
  gradients change. The moving statistics are then the plain mean of the replicas'
  (a ``tf.Variable`` with MEAN aggregation).

The loss is the batch mean, L = Σ_r (n_r / B) L_r, so each shard's output gradient is
scaled by n_r / B and the weight gradients are summed over the shards (the all-reduce).
"""

import numpy as np

from reference import losses
from reference.layers import normalization
from reference.model import (
    check_dropout_masks,
    check_labels,
    layer_backward,
    layer_forward,
    layer_names,
    own,
)


def loss_and_grads(
    specs,
    params,
    state,
    shards,
    synchronized=True,
    dropout_masks=None,
    loss="softmax_cross_entropy",
):
    """``(loss, grads, new_state)`` of the whole batch, computed shard by shard.

    ``shards`` is a list of ``(x_r, y_r)``; ``dropout_masks`` are whole-batch masks, as
    for ``reference.model``, split the way the batch is.
    """
    names = layer_names(specs)
    check_dropout_masks(specs, names, True, dropout_masks)
    xs = [x for x, _ in shards]
    sizes = [len(x) for x in xs]
    splits = np.cumsum(sizes)[:-1]
    new_state, caches = {}, []
    for name, (kind, config) in zip(names, specs, strict=True):
        layer_params, layer_state = own(params, name), own(state, name)
        if kind == "batch_normalization" and synchronized:
            momentum, epsilon = config.get("momentum", 0.99), config.get("epsilon", 1e-3)
            xs, layer_state, cache = normalization.synchronized_batch_normalization_forward(
                layer_params, layer_state, xs, True, momentum, epsilon
            )
        else:
            masks = np.split(dropout_masks[name], splits) if kind == "dropout" else [None] * len(xs)
            results = [
                layer_forward(kind, config, layer_params, layer_state, x, True, mask)
                for x, mask in zip(xs, masks, strict=True)
            ]
            xs, cache = [y for y, _, _ in results], [c for _, _, c in results]
            layer_state = {
                key: np.mean([s[key] for _, s, _ in results], axis=0) for key in layer_state
            }
        new_state.update({f"{name}/{key}": value for key, value in layer_state.items()})
        caches.append(cache)
    total = sum(sizes)
    loss_value, dys = 0.0, []
    for logits, (_, y), size in zip(xs, shards, sizes, strict=True):
        check_labels(logits, y)
        shard_loss, dlogits = losses.get(loss)(logits, y)
        loss_value += size / total * shard_loss
        dys.append(size / total * dlogits)
    grads = {}
    for i in reversed(range(len(specs))):
        kind, config = specs[i]
        if kind == "batch_normalization" and synchronized:
            dys, layer_grads = normalization.synchronized_batch_normalization_backward(
                dys, caches[i]
            )
        else:
            results = [
                layer_backward(kind, config, dy, cache, input_gradient=i > 0)
                for dy, cache in zip(dys, caches[i], strict=True)
            ]
            dys = [dx for dx, _ in results]
            layer_grads = {key: sum(g[key] for _, g in results) for key in results[0][1]}
        grads.update({f"{names[i]}/{key}": value for key, value in layer_grads.items()})
    return loss_value, {key: grads[key] for key in params}, new_state
