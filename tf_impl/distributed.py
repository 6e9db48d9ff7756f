"""The data-parallel training step on ``tf.distribute``, with the from-scratch optimizers.

Under a ``MirroredStrategy`` every replica holds a copy of each ``tf.Variable`` and runs
the same step on its own shard of the batch:

    g_r = ∇ mean loss over shard r           (a GradientTape on each replica)
    g   = Σ_r (n_r / B) · g_r                (all-reduce SUM of the size-weighted g_r)
    θ  ← optimizer.update(g, state, θ)       (identical on every replica)

``reference.distributed`` shows why this equals the single-device step. The weights
and optimizer slots are created under the strategy's scope with aggregation
``ONLY_FIRST_REPLICA``: after the all-reduce every replica computes the same update,
and assigning it in replica context keeps one copy.

On a CPU-only machine, ``use_logical_cpus(R)`` splits the CPU into R logical devices
(before TensorFlow starts its runtime); on a GPU machine the GPUs are the replicas.
"""

import numpy as np
import tensorflow as tf

from reference.distributed import shard
from tf_impl import losses, mlp


def use_logical_cpus(count):
    """Split the first CPU into ``count`` logical devices; call before any TF op runs."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * count
    )


def mirrored_strategy(replicas):
    """A MirroredStrategy over the first ``replicas`` GPUs, or logical CPUs when there are none.

    On logical CPUs the all-reduce is ``ReductionToOneDevice`` (plain copies and adds):
    TensorFlow's default collective all-reduce keys its groups by process, so strategies
    over different numbers of CPUs could not live in one process (a benchmark of R = 1, 2, 4).
    """
    gpus = tf.config.list_logical_devices("GPU")
    devices = gpus or tf.config.list_logical_devices("CPU")
    if replicas > len(devices):
        raise ValueError(
            f"replicas={replicas} is not allowed: this process has {len(devices)} devices."
        )
    names = [d.name for d in devices[:replicas]]
    if gpus:
        return tf.distribute.MirroredStrategy(names)
    return tf.distribute.MirroredStrategy(
        names, cross_device_ops=tf.distribute.ReductionToOneDevice()
    )


def _one_copy(next_creator, **kwargs):
    kwargs["aggregation"] = tf.VariableAggregation.ONLY_FIRST_REPLICA
    return next_creator(**kwargs)


def _distribute(strategy, shards, dtype):
    """Hand replica r exactly shard r (shards may differ in size)."""
    xs = [tf.constant(x, dtype) for x, _ in shards]
    ys = [tf.constant(y) for _, y in shards]
    return (
        strategy.experimental_distribute_values_from_function(
            lambda ctx: xs[ctx.replica_id_in_sync_group]
        ),
        strategy.experimental_distribute_values_from_function(
            lambda ctx: ys[ctx.replica_id_in_sync_group]
        ),
    )


class DataParallelTrainStep:
    """``step(x, y) -> loss``: one data-parallel step of a tf_impl optimizer under ``strategy``."""

    def __init__(
        self,
        strategy,
        weights,
        optimizer,
        dtype=tf.float64,
        activation="relu",
        loss="softmax_cross_entropy",
    ):
        self.strategy, self.dtype = strategy, tf.as_dtype(dtype)
        with strategy.scope(), tf.variable_creator_scope(_one_copy):
            self.params = {
                k: tf.Variable(np.asarray(v), dtype=self.dtype, name=k.replace("/", "_"))
                for k, v in weights.items()
            }
            self.state = optimizer.init(self.params)
        params, state = self.params, self.state

        def replica_step(x, y, batch_size):
            loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
            share = tf.cast(tf.shape(x)[0], self.dtype) / tf.cast(batch_size, self.dtype)
            context = tf.distribute.get_replica_context()
            grads = context.all_reduce(
                tf.distribute.ReduceOp.SUM, {k: g * share for k, g in grads.items()}
            )
            loss_value = context.all_reduce(tf.distribute.ReduceOp.SUM, loss_value * share)
            optimizer.update(grads, state, params)
            return loss_value

        @tf.function
        def step(x, y, batch_size):
            return strategy.run(replica_step, args=(x, y, batch_size))

        self._step = step

    def __call__(self, x, y):
        shards = shard(np.asarray(x), np.asarray(y), self.strategy.num_replicas_in_sync)
        loss_value = self._step(*_distribute(self.strategy, shards, self.dtype), len(x))
        return self.strategy.experimental_local_results(loss_value)[0]

    def on_device(self, *arrays):
        """The batch stays on the host: each call shards it over the replicas."""
        return arrays

    def weights(self):
        return {k: v.numpy() for k, v in self.params.items()}

    @property
    def trace_count(self):
        return self._step.experimental_get_tracing_count()


class KerasDataParallelTrainStep:
    """The same step with the tutorial's Keras model and a built-in Keras optimizer.

    Keras's ``apply_gradients`` all-reduces (sums) the replicas' gradients itself, so each
    replica passes its gradient already scaled by its share n_r / B. A Keras optimizer
    belongs to the strategy it is made under, so this takes a function that makes one.
    """

    def __init__(
        self, strategy, weights, make_optimizer, dtype="float64", loss="softmax_cross_entropy"
    ):
        from tf_impl import tutorial

        self.strategy, self.dtype = strategy, tf.as_dtype(dtype)
        with strategy.scope():
            self.model = tutorial.build_model(weights, dtype=self.dtype.name)
            self.optimizer = keras_optimizer = make_optimizer()
            keras_optimizer.build(self.model.trainable_variables)
        model, loss_fn = self.model, losses.get(loss)

        def replica_step(x, y, batch_size):
            with tf.GradientTape() as tape:
                loss_value = loss_fn(model(x, training=True), y)
            grads = tape.gradient(loss_value, model.trainable_variables)
            share = tf.cast(tf.shape(x)[0], self.dtype) / tf.cast(batch_size, self.dtype)
            keras_optimizer.apply_gradients(
                zip([g * share for g in grads], model.trainable_variables, strict=True)
            )
            return tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, loss_value * share
            )

        @tf.function
        def step(x, y, batch_size):
            return strategy.run(replica_step, args=(x, y, batch_size))

        self._step = step
        self.names = list(weights)

    def __call__(self, x, y):
        shards = shard(np.asarray(x), np.asarray(y), self.strategy.num_replicas_in_sync)
        loss_value = self._step(*_distribute(self.strategy, shards, self.dtype), len(x))
        return self.strategy.experimental_local_results(loss_value)[0]

    def weights(self):
        return dict(zip(self.names, self.model.get_weights(), strict=True))
