"""Where a training step's time goes: the same step cut short, timed beside it.

``gdkit bench --breakdown`` times, for each step case, four shorter calls:

- ``empty``: the same call and the same loop over K batches, with no arithmetic;
- ``forward``: the loss only (forward pass and loss);
- ``gradients``: the loss and every gradient (forward and backward), no update;
- ``matmuls``: the step's matrix products alone, the same shapes, nothing else.

Then overhead = empty, forward = forward − empty, backward = gradients − forward,
update = step − gradients, and matmuls = matmuls − empty: the floor that the
backend's matmul kernels set at this size. Each part runs the way its step does:
the same K batches per call, the same mode (eager, ``tf.function``, XLA,
``jax.jit``), the same weights and data. The calls alternate round by round
(``paired_seconds``), so a machine that slows down for a while slows them all alike
and the differences stay meaningful. A difference smaller than the noise can come
out negative: the report shows it as ≈0.

A compiler drops work whose result nobody reads, so the ``gradients`` and
``matmuls`` parts return the gradients of their last batch beside a number: they
are written out, as the step writes out its new weights, but no update reads them.
"""

import statistics
import time

from bench.steps import Step, data, weights

PARTS = ("empty", "forward", "gradients", "matmuls")
MODES = ("numpy", "tf-eager", "tf-function", "tf-xla", "jax-jit")  # keras has no hand-made parts


def paired_seconds(case, step_run, rounds):
    """Seconds per training step: overhead, forward, backward, update, the whole step, matmuls.

    The five calls (the four parts and the step) alternate within each round, and the
    differences are taken within a round before the median over rounds, so drift
    between rounds cancels out.
    """
    runs = {part: build(case, part).run for part in PARTS}
    runs["step"] = step_run
    for run in runs.values():
        run()  # the first call of a part traces and compiles it
        run()
    rounds_seen = []
    for _ in range(rounds):
        seconds = {}
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            seconds[name] = (time.perf_counter() - start) / case.steps_per_call
        rounds_seen.append(
            {
                "overhead": seconds["empty"],
                "forward": seconds["forward"] - seconds["empty"],
                "backward": seconds["gradients"] - seconds["forward"],
                "update": seconds["step"] - seconds["gradients"],
                "step": seconds["step"],
                "matmuls": seconds["matmuls"] - seconds["empty"],
            }
        )
    return {key: statistics.median(r[key] for r in rounds_seen) for key in rounds_seen[0]}


def build(case, part):
    builders = {
        "numpy": _numpy_part,
        "tf-eager": _tf_part,
        "tf-function": _tf_part,
        "tf-xla": _tf_part,
        "jax-jit": _jax_part,
    }
    return builders[case.backend_mode](case, part)


def _matmuls_only(kernels, x, matmul):
    """The step's matrix products with their shapes and nothing else: per layer the forward
    product, the kernel gradient and (not for the first layer) the input gradient.
    Forward outputs stand in for the gradients, which have their shapes. ``matmul`` has
    ``tf.matmul``'s signature, so each backend multiplies transposes as its gradients do."""
    inputs, a = [], x
    for kernel in kernels:
        inputs.append(a)
        a = matmul(a, kernel)
    logits, dz, kernel_grads = a, a, []
    for layer in reversed(range(len(kernels))):
        kernel_grads.append(matmul(inputs[layer], dz, transpose_a=True))
        if layer > 0:
            dz = matmul(dz, kernels[layer], transpose_b=True)
    return logits[0, 0], kernel_grads


def _matmul(a, b, transpose_a=False, transpose_b=False):
    """``tf.matmul``'s signature for NumPy and JAX arrays (``.T`` is a view in both)."""
    return (a.T if transpose_a else a) @ (b.T if transpose_b else b)


def _loss(result):
    """The number a part returns, alone or first in a tuple beside the gradients."""
    return result[0] if isinstance(result, tuple) else result


def _batches(case, x, y):
    return [(x, y)] if case.steps_per_call == 1 else list(zip(x, y, strict=True))


def _numpy_part(case, part):
    from reference import losses, mlp

    params = weights(case)
    kernels = [params[f"dense_{i}/kernel"] for i in range(mlp.num_layers(params))]
    batches = _batches(case, *data(case))
    loss_fn = losses.get("softmax_cross_entropy")

    def empty(x, y):
        return x[0, 0]

    def forward(x, y):
        return loss_fn(mlp.forward(params, x), y)[0]  # the oracle's loss returns dlogits too

    def gradients(x, y):
        return mlp.loss_and_grads(params, x, y)[0]  # NumPy computes what it is told to

    def matmuls(x, y):
        return _matmuls_only(kernels, x, _matmul)[0]

    compute = {"empty": empty, "forward": forward, "gradients": gradients, "matmuls": matmuls}
    compute = compute[part]

    def run():
        for x, y in batches:
            loss = compute(x, y)
        return loss

    return Step(run)


def _tf_part(case, part):
    import tensorflow as tf

    from tf_impl import losses, mlp

    device = f"/{case.device.upper()}:0"
    with tf.device(device):
        params = {name: tf.Variable(value) for name, value in weights(case).items()}
        x, y = (tf.constant(array) for array in data(case))
    kernels = [params[f"dense_{i}/kernel"] for i in range(mlp.num_layers(params))]
    loss_fn = losses.get("softmax_cross_entropy")

    def empty(x, y):
        return x[0, 0]

    def forward(x, y):
        return loss_fn(mlp.forward(params, x), y)

    def gradients(x, y):
        return mlp.loss_and_grads(params, x, y)

    def matmuls(x, y):
        return _matmuls_only(kernels, x, tf.matmul)

    compute = {"empty": empty, "forward": forward, "gradients": gradients, "matmuls": matmuls}
    compute = compute[part]

    def fused(xs, ys):
        result = compute(xs[0], ys[0])
        for i in tf.range(1, case.steps_per_call):
            # A step waits for the previous step's update; a part has nothing to wait for,
            # and a tf.while_loop would overlap up to 10 iterations of it. Keep them in line.
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            result = compute(xs[i], ys[i])
        return result

    call = compute if case.steps_per_call == 1 else fused
    mode = case.backend_mode.removeprefix("tf-")
    if mode != "eager":
        call = tf.function(call, jit_compile=mode == "xla")

    def run():
        with tf.device(device):
            return _loss(call(x, y)).numpy()

    return Step(run, lambda: 0 if mode == "eager" else call.experimental_get_tracing_count(), call)


def _jax_part(case, part):
    import jax

    from jax_impl import losses, mlp

    device = jax.devices(case.device)[0]
    params = jax.device_put(weights(case), device)
    x, y = jax.device_put(data(case), device)
    loss_fn = losses.get("softmax_cross_entropy")
    traces = []

    def empty(params, x, y):
        return x[0, 0]

    def forward(params, x, y):
        return loss_fn(mlp.forward(params, x), y)

    def gradients(params, x, y):
        return mlp.loss_and_grads(params, x, y)

    def matmuls(params, x, y):
        kernels = [params[f"dense_{i}/kernel"] for i in range(mlp.num_layers(params))]
        return _matmuls_only(kernels, x, _matmul)

    compute = {"empty": empty, "forward": forward, "gradients": gradients, "matmuls": matmuls}
    compute = compute[part]

    def traced(params, x, y):
        traces.append(1)  # Python runs this only while tracing
        if case.steps_per_call == 1:
            return compute(params, x, y)

        def one_batch(last, batch):
            return compute(params, *batch), None

        shapes = jax.eval_shape(compute, params, x[0], y[0])
        nothing_yet = jax.tree.map(lambda s: jax.numpy.zeros(s.shape, s.dtype), shapes)
        return jax.lax.scan(one_batch, nothing_yet, (x, y))[0]

    call = jax.jit(traced)

    def run():
        return _loss(jax.block_until_ready(call(params, x, y)))

    return Step(run, lambda: len(traces))
