"""One benchmark case: a whole training step (forward, backward, update) ready to time.

``build(case)`` makes the step the way every caller does, through its backend's
``training.make_train_step`` (``bench.backends.STEPS`` names the package and mode;
Keras's step is the tutorial's), and returns a ``Step`` whose ``run()`` makes one call
(K fused training steps) and reads the loss back to the host, so no work is left
queued when the clock stops.
"""

import dataclasses
import importlib

import numpy as np

from bench import backends
from reference import mlp as reference_mlp

INPUT_SIZE, NUM_CLASSES = 784, 10


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
        replicas = f"-r{self.replicas}" if self.backend_mode in backends.DATA_PARALLEL else ""
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
    if case.backend_mode == "keras":
        return _keras_step(case)
    steps = backends.STEPS[case.backend_mode]
    training = importlib.import_module(f"{steps.package}.training")
    optimizers = importlib.import_module(f"{steps.package}.optimizers")
    step = training.make_train_step(
        weights(case),
        optimizers.get(case.optimizer),
        mode=steps.mode,
        steps_per_call=case.steps_per_call,
        device=case.device,
        replicas=case.replicas,
    )
    x, y = step.on_device(*data(case))
    return Step(lambda: float(step(x, y)), lambda: step.trace_count)


def _keras_step(case):
    """The tutorial's step: ``Sequential`` + a Keras optimizer + ``apply_gradients``."""
    tf = backends.tensorflow()

    from bench.keras_bridge import keras_optimizer
    from tf_impl import training, tutorial

    with tf.device(f"/{case.device.upper()}:0"):
        model = tutorial.build_model(weights(case))
        optimizer = keras_optimizer(case.optimizer, {})
        step = tutorial.make_train_step(model, optimizer)
        x, labels = data(case)
        x, y = tf.constant(x), tf.constant(np.eye(NUM_CLASSES, dtype=np.float32)[labels])
    if case.steps_per_call > 1:  # the K batches of a call in one graph loop, as ours
        step = training.compile_step(step, "function", case.steps_per_call, x, y)

    def run():
        with tf.device(f"/{case.device.upper()}:0"):
            return step(x, y).numpy()

    return Step(run, lambda: step.experimental_get_tracing_count())
