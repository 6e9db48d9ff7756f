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
``jax.jit``), compiled by the same ``training.compile_step`` as the step, with the same
weights and data. The calls alternate round by round
(``paired_seconds``), so a machine that slows down for a while slows them all alike
and the differences stay meaningful. A difference smaller than the noise can come
out negative: the report shows it as ≈0.

A compiler drops work whose result nobody reads, so the ``gradients`` and
``matmuls`` parts return the gradients of their last batch beside a number: they
are written out, as the step writes out its new weights, but no update reads them.
"""

import statistics
import time

from bench import backends
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
    builders = {"reference": _numpy_part, "tf_impl": _tf_part, "jax_impl": _jax_part}
    return builders[backends.STEPS[case.backend_mode].package](case, part)


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


def _numpy_part(case, part):
    from reference import losses, mlp, training

    params = weights(case)
    kernels = [params[f"dense_{i}/kernel"] for i in range(mlp.num_layers(params))]
    x, y = data(case)
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
    call = training.compile_step(lambda p, s, x, y: (p, s, compute(x, y)), case.steps_per_call)
    return Step(lambda: call(params, None, x, y)[2])


def _tf_part(case, part):
    tf = backends.tensorflow()

    from tf_impl import losses, mlp, training

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
    mode = backends.STEPS[case.backend_mode].mode
    call = training.compile_step(compute[part], mode, case.steps_per_call, x, y)
    compiled = None if mode == "eager" else call

    def run():
        with tf.device(device):
            return _loss(call(x, y)).numpy()

    return Step(
        run, lambda: 0 if compiled is None else compiled.experimental_get_tracing_count(), compiled
    )


def _jax_part(case, part):
    import jax

    from jax_impl import losses, mlp, training

    device = jax.devices(case.device)[0]
    params = jax.device_put(weights(case), device)
    x, y = jax.device_put(data(case), device)
    loss_fn = losses.get("softmax_cross_entropy")

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
    call = training.compile_step(lambda p, s, x, y: (p, s, compute(p, x, y)), case.steps_per_call)

    def run():
        return _loss(jax.block_until_ready(call(params, None, x, y)[2]))

    return Step(run, lambda: call.trace_count)
