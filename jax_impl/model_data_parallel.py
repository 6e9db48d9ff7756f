"""The model's data-parallel gradient in JAX: ``jax.shard_map``, batch norm synchronised by psum.

The same computation as ``reference.model_data_parallel``, with equal shards (shard_map
splits the batch evenly over the mesh axis ``"data"``). Each shard differentiates its
share of the batch-mean loss, (n_r / B)·L_r, and the gradients are summed (``psum``).
With ``synchronized=True`` batch norm's statistics are psum-ed too, and ``jax.grad``
differentiates through that psum: the backward's own all-reduce comes for free.
Weighting the loss before differentiating (not the gradients after) matters once shards
are unequal: the gradient that flows back through the shared statistics must carry every
shard's weight (``tf_impl.model_data_parallel`` measured 0.63 off the other way).
"""

import jax
from jax import lax
from jax.sharding import PartitionSpec as P

from jax_impl import losses
from jax_impl.layers import normalization
from jax_impl.model import layer_forward
from reference.model import check_dropout_masks, check_labels, layer_names, own

DATA_AXIS = "data"


def forward(specs, params, state, x, training, dropout_masks, synchronized):
    """One shard's ``(logits, new_state)``, inside ``shard_map``."""
    new_state = {}
    for name, (kind, config) in zip(layer_names(specs), specs, strict=True):
        layer_params, layer_state = own(params, name), own(state, name)
        if kind == "batch_normalization":
            x, layer_state = normalization.batch_normalization_forward(
                layer_params,
                layer_state,
                x,
                training,
                config.get("momentum", 0.99),
                config.get("epsilon", 1e-3),
                axis_name=DATA_AXIS if synchronized else None,
            )
            if not synchronized:  # each replica's own statistics; the variables keep the mean
                layer_state = jax.tree.map(lambda s: lax.pmean(s, DATA_AXIS), layer_state)
        else:
            mask = dropout_masks.get(name)
            x, layer_state = layer_forward(
                kind, config, layer_params, layer_state, x, training, mask
            )
        new_state.update({f"{name}/{key}": value for key, value in layer_state.items()})
    return x, new_state


def loss_and_grads(
    specs,
    params,
    state,
    x,
    y,
    mesh,
    synchronized=True,
    dropout_masks=None,
    loss="softmax_cross_entropy",
):
    """``(loss, grads, new_state)`` of the whole batch, the batch split over ``mesh``."""
    check_dropout_masks(specs, layer_names(specs), True, dropout_masks)

    def per_shard(params, state, x, y, masks):
        share = x.shape[0] / lax.psum(x.shape[0], DATA_AXIS)  # n_r / B

        def objective(params):
            logits, new_state = forward(specs, params, state, x, True, masks, synchronized)
            check_labels(logits, y)
            return share * losses.get(loss)(logits, y), new_state

        (loss_value, new_state), grads = jax.value_and_grad(objective, has_aux=True)(params)
        return lax.psum(loss_value, DATA_AXIS), lax.psum(grads, DATA_AXIS), new_state

    # check_vma=False: every shard differentiates its own share, and the sums are explicit.
    sharded = jax.shard_map(
        per_shard,
        mesh=mesh,
        in_specs=(P(), P(), P(DATA_AXIS), P(DATA_AXIS), P(DATA_AXIS)),
        out_specs=(P(), P(), P()),
        check_vma=False,
    )
    return sharded(params, state, x, y, dropout_masks or {})
