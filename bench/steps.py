"""One benchmark case: a whole training step (forward, backward, update) ready to time.

``build(case)`` returns a ``Step`` whose ``run()`` makes one call (K fused training
steps) and waits for the result: TensorFlow's loss is read back to the host, JAX's
``block_until_ready`` is called, so no work is left queued when the clock stops.
"""

import dataclasses

import numpy as np

from reference import mlp as reference_mlp

INPUT_SIZE, NUM_CLASSES = 784, 10
DATA_PARALLEL = ("tf-mirrored", "jax-sharded")


@dataclasses.dataclass(frozen=True)
class Case:
    backend_mode: str
    device: str
    optimizer: str
    batch_size: int
    hidden: int
    steps_per_call: int = 1
    replicas: int = 1  # data-parallel cases: batch_size is per replica

    @property
    def sizes(self):
        return (INPUT_SIZE, self.hidden, NUM_CLASSES)

    @property
    def global_batch(self):
        return self.batch_size * self.replicas

    @property
    def name(self):
        replicas = f"-r{self.replicas}" if self.backend_mode in DATA_PARALLEL else ""
        return (
            f"{self.backend_mode}-{self.device}-{self.optimizer}"
            f"-b{self.batch_size}-h{self.hidden}-k{self.steps_per_call}{replicas}"
        )


def flops_per_step(sizes, batch_size):
    """Multiply-adds × 2 that one step needs: the forward matmul, the kernel gradient and,
    except for the first layer (no gradient for the input data), the input gradient:
    4·B·in·H for the first layer, 6·B·H·out for each later one."""
    first = 4 * batch_size * sizes[0] * sizes[1]
    rest = sum(6 * batch_size * a * b for a, b in zip(sizes[1:-1], sizes[2:], strict=True))
    return first + rest


@dataclasses.dataclass
class Step:
    run: callable
    trace_count: callable = lambda: 0  # noqa: E731
    compiled: object = None  # the tf.function or jitted function, where one is inspected


def data(case):
    """K batches of standardised inputs and integer labels, fixed by a seed."""
    rng = np.random.default_rng(0)
    shape = (case.steps_per_call, case.global_batch)
    x = rng.standard_normal((*shape, INPUT_SIZE), dtype=np.float32)
    y = rng.integers(NUM_CLASSES, size=shape).astype(np.int32)
    if case.steps_per_call == 1:
        return x[0], y[0]
    return x, y


def weights(case):
    return reference_mlp.init_params(case.sizes, seed=0, dtype=np.float32)


def build(case):
    builders = {
        "numpy": _numpy_step,
        "tf-eager": _tf_step,
        "tf-function": _tf_step,
        "tf-xla": _tf_step,
        "keras": _keras_step,
        "jax-jit": _jax_step,
        "tf-mirrored": _tf_mirrored_step,
        "jax-sharded": _jax_sharded_step,
    }
    return builders[case.backend_mode](case)


def _numpy_step(case):
    from reference import optimizers, training

    optimizer = optimizers.get(case.optimizer)
    params = weights(case)
    x, y = data(case)
    carry = {"params": params, "state": optimizer.init(params)}

    def run():
        batches = [(x, y)] if case.steps_per_call == 1 else zip(x, y, strict=True)
        for xb, yb in batches:
            carry["params"], carry["state"], loss = training.train_step(
                carry["params"], carry["state"], xb, yb, optimizer
            )
        return loss

    return Step(run)


def _tf_step(case):
    import tensorflow as tf

    from tf_impl import optimizers, training

    mode = case.backend_mode.removeprefix("tf-")
    with tf.device(f"/{case.device.upper()}:0"):
        params = {k: tf.Variable(v) for k, v in weights(case).items()}
        optimizer = optimizers.get(case.optimizer)
        state = optimizer.init(params)
        x, y = (tf.constant(a) for a in data(case))
    step = training.make_train_step(
        params, state, optimizer, mode, steps_per_call=case.steps_per_call
    )

    def run():
        with tf.device(f"/{case.device.upper()}:0"):
            return step(x, y).numpy()

    return Step(run, lambda: step.trace_count)


def _keras_step(case):
    """The tutorial's step: ``Sequential`` + a Keras optimizer + ``apply_gradients``."""
    import tensorflow as tf

    from bench.keras_bridge import keras_optimizer
    from tf_impl import tutorial

    with tf.device(f"/{case.device.upper()}:0"):
        model = tutorial.build_model(weights(case))
        optimizer = keras_optimizer(case.optimizer, {})
        single_step = tutorial.make_train_step(model, optimizer)
        x, labels = data(case)
        x, y = tf.constant(x), tf.constant(np.eye(NUM_CLASSES, dtype=np.float32)[labels])
    if case.steps_per_call == 1:
        step = single_step
    else:

        @tf.function
        def step(xs, ys):
            loss = tf.zeros(())
            for i in tf.range(case.steps_per_call):
                loss = single_step(xs[i], ys[i])
            return loss

    def run():
        with tf.device(f"/{case.device.upper()}:0"):
            return step(x, y).numpy()

    return Step(run, lambda: step.experimental_get_tracing_count())


def _jax_step(case):
    import jax

    from jax_impl import optimizers, training

    device = jax.devices(case.device)[0]
    optimizer = optimizers.get(case.optimizer)
    params = jax.device_put(weights(case), device)
    carry = {"params": params, "state": jax.device_put(optimizer.init(params), device)}
    x, y = jax.device_put(data(case), device)
    step = training.make_train_step(optimizer, steps_per_call=case.steps_per_call)

    def run():
        carry["params"], carry["state"], loss = step(carry["params"], carry["state"], x, y)
        return loss.block_until_ready()

    return Step(run, lambda: step.trace_count)


def _tf_mirrored_step(case):
    """The data-parallel step under MirroredStrategy over ``case.replicas`` devices."""
    import tensorflow as tf

    from tf_impl import distributed, optimizers

    strategy = distributed.mirrored_strategy(case.replicas)
    step = distributed.DataParallelTrainStep(
        strategy, weights(case), optimizers.get(case.optimizer), dtype=tf.float32
    )
    x, y = data(case)
    return Step(lambda: step(x, y).numpy(), lambda: step._step.experimental_get_tracing_count())


def _jax_sharded_step(case):
    """The data-parallel step with the batch sharded over ``case.replicas`` JAX devices."""
    import jax

    from jax_impl import distributed, optimizers

    optimizer = optimizers.get(case.optimizer)
    step = distributed.DataParallelTrainStep(distributed.data_mesh(case.replicas), optimizer)
    params = jax.tree.map(jax.numpy.asarray, weights(case))
    carry = {"params": params, "state": optimizer.init(params)}
    x, y = data(case)

    def run():
        carry["params"], carry["state"], loss = step(carry["params"], carry["state"], x, y)
        return loss.block_until_ready()

    return Step(run, lambda: step.trace_count)
