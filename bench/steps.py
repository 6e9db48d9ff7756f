"""One benchmark case: a whole training step (forward, backward, update) ready to time.

``build(case)`` makes the step the way every caller does, through its backend's
``training.make_train_step`` (``bench.backends.STEPS`` names the package and mode;
Keras's step is the tutorial's), and returns a ``Step`` whose ``run()`` makes one call
(K fused training steps) and reads the loss back to the host, so no work is left
queued when the clock stops.

The model is the MLP 784 → H → 10 (``reference.mlp``) or a preset of layer specs
(``MODELS``: ``gdkit bench --model cnn``). A model's Dropout layers get one fixed mask,
drawn by NumPy, in every backend but Keras, whose Dropout draws its own each step.
"""

import dataclasses
import functools
import importlib

import numpy as np

from bench import backends
from reference import mlp as reference_mlp
from reference import model as reference_model
from reference import model_presets, model_sequences

INPUT_SIZE, NUM_CLASSES = 784, 10

# gdkit bench --model NAME: None is the MLP (its width is --hidden), else a preset of
# reference.model_presets. A new model is one line here.
MODELS = {
    "mlp": None,
    "cnn": "mnist_cnn",
    "lstm": "lstm_sequence_50",
    "transformer": "transformer_sequence_50",
}
PRESETS = {**model_presets.PRESETS, **model_sequences.BENCH_PRESETS}
MODEL_BATCH_SIZES = (32, 128)  # a layer model's default batches in gdkit bench


@dataclasses.dataclass(frozen=True)
class Case:
    backend_mode: str
    device: str
    optimizer: str
    batch_size: int
    hidden: int
    steps_per_call: int = 1
    replicas: int = 1  # data-parallel cases: batch_size is per replica
    model: str = "mlp"  # a key of MODELS; every model but the MLP ignores hidden

    @property
    def sizes(self):
        return (INPUT_SIZE, self.hidden, NUM_CLASSES)

    @property
    def preset(self):
        """``(input_shape, specs)`` of a layer model, ``None`` for the MLP."""
        name = MODELS[self.model]
        return None if name is None else PRESETS[name]

    @property
    def input_shape(self):
        return (INPUT_SIZE,) if self.preset is None else self.preset[0]

    @property
    def global_batch(self):
        return self.batch_size * self.replicas

    @property
    def name(self):
        replicas = f"-r{self.replicas}" if self.backend_mode in backends.DATA_PARALLEL else ""
        model = f"h{self.hidden}" if self.preset is None else self.model
        return (
            f"{self.backend_mode}-{self.device}-{self.optimizer}"
            f"-b{self.batch_size}-{model}-k{self.steps_per_call}{replicas}"
        )

    @property
    def flops_per_step(self):
        if self.preset is None:
            return flops_per_step(self.sizes, self.global_batch)
        return model_flops_per_step(*self.preset, self.global_batch)


def flops_per_step(sizes, batch_size):
    """Multiply-adds × 2 that one step needs: the forward matmul, the kernel gradient and,
    except for the first layer (no gradient for the input data), the input gradient:
    4·B·in·H for the first layer, 6·B·H·out for each later one."""
    first = 4 * batch_size * sizes[0] * sizes[1]
    rest = sum(6 * batch_size * a * b for a, b in zip(sizes[1:-1], sizes[2:], strict=True))
    return first + rest


def model_flops_per_step(input_shape, specs, batch_size):
    """Multiply-adds × 2 of a layer model's step, counting its matrix products alone: the sum
    of ``layer_flops`` over the layers."""
    shapes = reference_model.input_shapes(specs, input_shape)
    return sum(
        layer_flops(kind, config, shape, batch_size, first=i == 0)
        for i, ((kind, config), shape) in enumerate(zip(specs, shapes, strict=True))
    )


def layer_flops(kind, config, input_shape, batch_size, first=False):
    """Multiply-adds × 2 of one layer's forward and backward, its matrix products alone:
    a Conv2D's im2col matmul (out_h · out_w · filters · kh · kw · in_channels per example),
    a Dense's (in · units), a recurrent layer's x_t W and h U at every step, attention's
    projections, scores and weighted sum. Forward, kernel gradient and input gradient make
    ×3, except for the first layer, whose input (the data) needs no gradient: ×2, the rule
    of ``flops_per_step``. Pooling, batch norm, activations and the update count 0: they are
    O(activations), not O(activations × kernel)."""
    if kind == "dense":
        multiply_adds = input_shape[-1] * config["units"]
    elif kind == "conv2d":
        out_shape = _output_shape([(kind, config)], input_shape)
        multiply_adds = np.prod(out_shape) * np.prod(_kernel_size(config)) * input_shape[-1]
    elif kind in model_sequences.RECURRENT_KINDS:
        gates = model_sequences.GATE_BLOCKS[kind] * config["units"]
        multiply_adds = input_shape[0] * (input_shape[-1] + config["units"]) * gates
    elif kind == "multi_head_attention":
        steps, width = input_shape
        heads_width = config["num_heads"] * config["key_dim"]
        multiply_adds = 4 * steps * width * heads_width + 2 * steps * steps * heads_width
    else:
        return 0
    return (2 if first else 3) * 2 * batch_size * int(multiply_adds)


def _kernel_size(config):
    size = config["kernel_size"]
    return (size, size) if isinstance(size, int) else tuple(size)


def _output_shape(specs, input_shape):
    params, state = reference_model.init_params(specs, input_shape)
    return reference_model.forward(specs, params, state, np.zeros((1, *input_shape)))[0].shape[1:]


@dataclasses.dataclass
class Step:
    run: callable
    trace_count: callable = lambda: 0  # noqa: E731
    compiled: object = None  # the tf.function or jitted function, where one is inspected


def data(case):
    """K batches of standardised inputs and integer labels, fixed by a seed."""
    rng = np.random.default_rng(0)
    shape = (case.steps_per_call, case.global_batch)
    x = rng.standard_normal((*shape, *case.input_shape), dtype=np.float32)
    y = rng.integers(NUM_CLASSES, size=shape).astype(np.int32)
    if case.steps_per_call == 1:
        return x[0], y[0]
    return x, y


def weights(case):
    """The MLP's weights (``reference.mlp``), float32."""
    return reference_mlp.init_params(case.sizes, seed=0, dtype=np.float32)


def model_options(case):
    """``make_train_step``'s arguments for the case's model: the weights, and for a layer
    model its specs, moving statistics and one dropout mask per Dropout layer."""
    if case.preset is None:
        return {"params": weights(case)}
    input_shape, specs = case.preset
    params, state = reference_model.init_params(specs, input_shape, seed=0, dtype=np.float32)
    masks = reference_model.dropout_masks(specs, input_shape, case.global_batch, seed=0)
    return {
        "params": params,
        "model": specs,
        "model_state": state,
        "dropout_masks": {name: mask.astype(np.float32) for name, mask in masks.items()},
    }


def build(case):
    if case.backend_mode == "keras":
        return _keras_step(case)
    steps = backends.STEPS[case.backend_mode]
    training = importlib.import_module(f"{steps.package}.training")
    optimizers = importlib.import_module(f"{steps.package}.optimizers")
    step = training.make_train_step(
        optimizer=optimizers.get(case.optimizer),
        mode=steps.mode,
        steps_per_call=case.steps_per_call,
        device=case.device,
        replicas=case.replicas,
        **model_options(case),
    )
    x, y = step.on_device(*data(case))
    if steps.package == "reference":
        return Step(limit_blas_threads(lambda: float(step(x, y))))
    return Step(lambda: float(step(x, y)), lambda: step.trace_count)


# NumPy's matmuls run on OpenBLAS's own threads. On this 2-core machine shared with other
# work they contend: the MNIST CNN's NumPy step took 1061 ms at B=32 and 4503 ms at B=128
# with OpenBLAS's 2 threads, 145 ms and 449 ms with 1 (measured, load average 12). The
# benchmark's NumPy cases run with this many (report.py's caption says so); None: OpenBLAS's.
NUMPY_BLAS_THREADS = 1


def limit_blas_threads(run):
    """``run`` with NumPy's BLAS on ``NUMPY_BLAS_THREADS`` threads while it runs (3 µs a call)."""
    if NUMPY_BLAS_THREADS is None:
        return run
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()

    def limited():
        with controller.limit(limits=NUMPY_BLAS_THREADS, user_api="blas"):
            return run()

    return limited


def _keras_step(case):
    """The tutorial's step: ``Sequential`` + a Keras optimizer + ``apply_gradients``."""
    tf = backends.tensorflow()

    from bench.keras_bridge import keras_optimizer
    from tf_impl import training, tutorial

    with tf.device(f"/{case.device.upper()}:0"):
        model = tutorial.build_model(weights(case)) if case.preset is None else _keras_model(case)
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


@functools.cache
def _keras():
    backends.tensorflow()  # first: TensorFlow starts quietly
    return importlib.import_module("keras")


def _keras_model(case):
    """The preset as the tutorial writes it: a ``keras.Sequential`` of Keras's layers, float32,
    holding the oracle's initial weights."""
    keras = _keras()
    from bench import keras_layers

    input_shape, specs = case.preset
    layers = [keras_layers.keras_layer(kind, config) for kind, config in specs]
    model = keras.Sequential([keras.Input(input_shape), *layers])
    params, state = reference_model.init_params(specs, input_shape, seed=0, dtype=np.float32)
    keras_layers.set_weights(specs, model, {**params, **state})
    return model
