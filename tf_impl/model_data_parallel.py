"""The model's data-parallel gradient on ``tf.distribute``, batch norm synchronised.

The same computation as ``reference.model_data_parallel``: under a ``MirroredStrategy``
each replica runs the model on its shard, differentiates its share of the batch-mean
loss, (n_r / B)·L_r, with a GradientTape, and the gradients are summed over the
replicas. With ``synchronized=True`` batch norm's statistics are all-reduced
(``ReplicaContext.all_reduce``), and the tape differentiates through that all-reduce:
the backward's own all-reduce comes for free. Weighting the loss before differentiating
(not the gradients after) matters: the gradient that flows back through the shared
statistics must carry every shard's weight. Weighting the gradients afterwards put the
digits CNN's gradient 0.63 off the single-device one (shards of 3, 3, 2, 1; measured).
"""

import tensorflow as tf

from reference.model import check_dropout_masks, check_labels, layer_names, own
from tf_impl import losses
from tf_impl.layers import normalization
from tf_impl.model import layer_forward


@tf.autograph.experimental.do_not_convert
def forward(specs, params, state, x, training, dropout_masks, synchronized):
    """One replica's ``(logits, new_state)``, in replica context."""
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
                synchronized=synchronized,
            )
        else:
            mask = dropout_masks.get(name)
            x, layer_state = layer_forward(
                kind, config, layer_params, layer_state, x, training, mask
            )
        new_state.update({f"{name}/{key}": value for key, value in layer_state.items()})
    return x, new_state


def loss_and_grads(
    strategy,
    specs,
    params,
    state,
    shards,
    synchronized=True,
    dropout_masks=None,
    loss="softmax_cross_entropy",
):
    """``(loss, grads, new_state)`` of the whole batch; ``shards`` holds one (x_r, y_r) per
    replica (unequal sizes allowed), ``dropout_masks`` one dict of masks per replica."""
    check_dropout_masks(specs, layer_names(specs), True, dropout_masks and dropout_masks[0])
    total = sum(len(x) for x, _ in shards)

    def per_replica(values):
        return strategy.experimental_distribute_values_from_function(
            lambda context: values[context.replica_id_in_sync_group]
        )

    def replica_step(x, y, masks):
        weights = {name: tf.convert_to_tensor(value) for name, value in params.items()}
        with tf.GradientTape() as tape:
            tape.watch(weights)
            logits, new_state = forward(specs, weights, state, x, True, masks, synchronized)
            check_labels(logits, y)
            share = tf.cast(tf.shape(x)[0], logits.dtype) / total  # n_r / B
            loss_value = share * losses.get(loss)(logits, y)
        return loss_value, tape.gradient(loss_value, weights), new_state

    results = strategy.run(
        replica_step,
        (
            per_replica([tf.constant(x) for x, _ in shards]),
            per_replica([tf.constant(y) for _, y in shards]),
            per_replica(dropout_masks or [{}] * len(shards)),
        ),
    )
    loss_value, grads, new_state = results
    reduce_sum = lambda value: strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)  # noqa: E731
    reduce_mean = lambda value: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)  # noqa: E731
    return (
        reduce_sum(loss_value),
        {name: reduce_sum(grad) for name, grad in grads.items()},
        {name: reduce_mean(value) for name, value in new_state.items()},
    )
