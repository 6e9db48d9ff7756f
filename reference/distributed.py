"""The data-parallel training step, written out: shards, per-shard gradients, all-reduce.

R replicas each hold a copy of the weights and one shard of the batch. Each computes
the gradient of the mean loss over its own shard; an all-reduce combines them; every
replica then makes the same optimizer update, so the copies stay identical.

Why this is the single-device step. The loss is a mean over the batch of B examples,
L = (1/B) Σ_i ℓ_i. Split the batch into shards S_r of sizes n_r (Σ n_r = B), and let
g_r = ∇[(1/n_r) Σ_{i∈S_r} ℓ_i] be shard r's gradient. Then

    ∇L = (1/B) Σ_i ∇ℓ_i = Σ_r (n_r / B) · g_r,

the size-weighted mean of the shard gradients: exactly the full-batch gradient, so
the update is exactly the single-device update (up to the order of float additions).

When it is not:
- with unequal shards, the plain mean (1/R) Σ_r g_r over-weights the examples of the
  small shards: a different gradient (``weighted=False`` computes it, to show by how
  much). With equal shards the two coincide;
- layers that use batch statistics (batch normalisation) see each shard's mean and
  variance instead of the whole batch's, so the forward pass itself changes unless the
  statistics are all-reduced too ("sync batch norm"). The MLP here has none.
"""

import numpy as np

from reference import mlp
from reference.errors import check_range


def shard(x, y, replicas):
    """Split a batch into ``replicas`` contiguous shards, as equal as possible."""
    check_range("replicas", replicas, low=1, high=len(x))
    return list(zip(np.array_split(x, replicas), np.array_split(y, replicas), strict=True))


def all_reduce_mean(values, sizes, weighted=True):
    """Σ_r (n_r / B) · v_r (size-weighted), or (1/R) Σ_r v_r (plain)."""
    weights = (
        np.asarray(sizes, np.float64) / np.sum(sizes)
        if weighted
        else np.full(len(sizes), 1 / len(sizes))
    )
    if isinstance(values[0], dict):
        return {
            name: sum(w * v[name] for w, v in zip(weights, values, strict=True))
            for name in values[0]
        }
    return sum(w * v for w, v in zip(weights, values, strict=True))


def loss_and_grads(params, shards, weighted=True, activation="relu", loss="softmax_cross_entropy"):
    """The all-reduced loss and gradients over ``shards`` (a list of (x, y))."""
    results = [mlp.loss_and_grads(params, x, y, activation, loss) for x, y in shards]
    sizes = [len(x) for x, _ in shards]
    losses, grads = zip(*results, strict=True)
    return all_reduce_mean(list(losses), sizes, weighted), all_reduce_mean(
        list(grads), sizes, weighted
    )


def train_step(
    params, state, shards, optimizer, weighted=True, activation="relu", loss="softmax_cross_entropy"
):
    """One data-parallel step: shard gradients, all-reduce, one optimizer update."""
    loss_value, grads = loss_and_grads(params, shards, weighted, activation, loss)
    params, state = optimizer.update(grads, state, params)
    return params, state, loss_value
