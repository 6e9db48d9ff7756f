"""Where a layer model's training step goes: each layer's forward and backward, timed alone.

``gdkit bench --model cnn --breakdown`` gives every layer of the model the input it gets
in the model (the oracle's forward pass in training, float32) and an upstream gradient
of its output's shape, and times that layer's forward and backward pass alone on the CPU, per mode:

- numpy: the oracle's hand-derived pair, ``layer_forward`` then ``layer_backward``;
- tf-eager, tf-function, tf-xla: ``tf_impl``'s forward under a ``GradientTape``, the
  gradient of Σ y ⊙ dy, run and compiled as the step is;
- jax-jit: ``jax_impl``'s forward under ``jax.grad``, jitted.

Each layer's modes alternate call by call, so a machine that slows down for a while
slows them alike. The first layer gets no input gradient (the data needs none), as in
the step. Beside each time, the layer's matmul FLOPs (``bench.steps.layer_flops``) at
the machine's measured matmul peak say how far from the arithmetic limit it runs. The
layers' times add up to about the step without its loss and update; a compiler that
fuses neighbouring layers makes the step cheaper than the sum.
"""

import statistics
import time

import numpy as np

from bench import backends
from bench.parts import MODES
from bench.steps import MODELS, PRESETS, layer_flops, limit_blas_threads
from reference import model as reference_model


def layer_times(model, batch_size, modes, rounds=20):
    """One dict per layer: ``name``, ``output`` (its shape), ``flops`` (matmul FLOPs of its
    forward and backward) and ``seconds`` (median per mode)."""
    input_shape, specs = PRESETS[MODELS[model]]
    params, state = reference_model.init_params(specs, input_shape, seed=0, dtype=np.float32)
    masks = reference_model.dropout_masks(specs, input_shape, batch_size, seed=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size, *input_shape), dtype=np.float32)
    rows = []
    names = reference_model.layer_names(specs)
    for index, (name, (kind, config)) in enumerate(zip(names, specs, strict=True)):
        layer = Layer(
            kind,
            config,
            reference_model.own(params, name),
            reference_model.own(state, name),
            x,
            None if name not in masks else masks[name].astype(np.float32),
            input_gradient=index > 0,
        )
        y, _, _ = layer.numpy_forward()
        layer.dy = rng.standard_normal(y.shape, dtype=np.float32)
        runs = {mode: layer.run(mode) for mode in modes if mode in MODES}
        rows.append(
            {
                "name": name,
                "output": y.shape[1:],
                "flops": layer_flops(kind, config, x.shape[1:], batch_size, index == 0),
                "seconds": alternating_medians(runs, rounds),
            }
        )
        x = y
    return rows


def alternating_medians(runs, rounds):
    """Median seconds of each run, the runs called in turn within each round."""
    for run in runs.values():
        run()  # the first call traces and compiles
        run()
    samples = {mode: [] for mode in runs}
    for _ in range(rounds):
        for mode, run in runs.items():
            start = time.perf_counter()
            run()
            samples[mode].append(time.perf_counter() - start)
    return {mode: statistics.median(seconds) for mode, seconds in samples.items()}


class Layer:
    """One layer of the model with its input and upstream gradient, ready to run per mode."""

    def __init__(self, kind, config, params, state, x, mask, input_gradient):
        self.kind, self.config, self.params, self.state = kind, config, params, state
        self.x, self.mask, self.input_gradient = x, mask, input_gradient
        self.dy = None

    def run(self, mode):
        """A callable making one forward and backward pass of the layer in ``mode``."""
        if mode == "numpy":
            return limit_blas_threads(self.numpy_forward_backward)
        if mode == "jax-jit":
            return self.jax_run()
        return self.tf_run(mode.removeprefix("tf-"))

    def numpy_forward(self):
        return reference_model.layer_forward(
            self.kind, self.config, self.params, self.state, self.x, True, self.mask
        )

    def numpy_forward_backward(self):
        _, _, cache = self.numpy_forward()
        return reference_model.layer_backward(
            self.kind, self.config, self.dy, cache, self.input_gradient
        )

    def tf_run(self, mode):
        tf = backends.tensorflow()
        from tf_impl import model

        with tf.device("/CPU:0"):
            params = {key: tf.Variable(value) for key, value in self.params.items()}
            state = {key: tf.constant(value) for key, value in self.state.items()}
            x, dy = tf.constant(self.x), tf.constant(self.dy)
            mask = None if self.mask is None else tf.constant(self.mask)

        def forward_backward(x):
            with tf.GradientTape() as tape:
                if self.input_gradient:
                    tape.watch(x)
                y, _ = model.layer_forward(self.kind, self.config, params, state, x, True, mask)
                total = tf.reduce_sum(y * dy)
            sources = [*params.values(), *([x] if self.input_gradient else [])]
            return tape.gradient(total, sources) if sources else [total]

        if mode != "eager":
            forward_backward = tf.function(forward_backward, jit_compile=mode == "xla")

        def run():
            with tf.device("/CPU:0"):
                return forward_backward(x)[-1].numpy()

        return run

    def jax_run(self):
        import jax
        import jax.numpy as jnp

        from jax_impl import model

        def total(params, x):
            y, _ = model.layer_forward(
                self.kind, self.config, params, self.state, x, True, self.mask
            )
            return jnp.sum(y * self.dy)

        gradient = jax.jit(jax.grad(total, argnums=(0, 1) if self.input_gradient else 0))
        params, x = jax.device_put((self.params, self.x), jax.devices("cpu")[0])
        return lambda: jax.block_until_ready(gradient(params, x))
