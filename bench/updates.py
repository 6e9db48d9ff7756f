"""The optimizer update alone, hand-written against the built-ins, on a realistic parameter set.

tf_impl's optimizers against ``keras.optimizers`` (both inside ``tf.function``), and
jax_impl's against optax (both under ``jax.jit``), on the weights of a
784 → 512 → 512 → 10 MLP (670k parameters) with fixed gradients.
"""

import numpy as np

from bench import backends
from reference import mlp as reference_mlp

SIZES = (784, 512, 512, 10)

# optax's nearest transform for each optimizer (same role, not always the same formula).
OPTAX_NAMES = {
    "sgd": "sgd",
    "rmsprop": "rmsprop",
    "adagrad": "adagrad",
    "adadelta": "adadelta",
    "adam": "adam",
    "adamw": "adamw",
    "adamax": "adamax",
    "nadam": "nadam",
    "lion": "lion",
    "lamb": "lamb",
    "adafactor": "adafactor",
}
IMPLEMENTATIONS = ("tf_impl", "keras", "jax_impl", "optax")


def update_cases(optimizers):
    for optimizer in optimizers:
        for implementation in IMPLEMENTATIONS:
            if implementation == "optax" and optimizer not in OPTAX_NAMES:
                continue
            if backends.installed(backends.FRAMEWORK[implementation]):
                yield implementation, optimizer


def _weights_and_grads():
    params = reference_mlp.init_params(SIZES, seed=0, dtype=np.float32)
    rng = np.random.default_rng(1)
    grads = {k: rng.standard_normal(v.shape, dtype=np.float32) * 1e-2 for k, v in params.items()}
    return params, grads


def build_update(implementation, optimizer_name):
    """A callable making one synchronised optimizer update."""
    params, grads = _weights_and_grads()
    if implementation in ("tf_impl", "keras"):
        tf = backends.tensorflow()
        if implementation == "keras":
            import keras

            # Keras variables: some optimizers (Muon) read a variable's Keras path.
            variables = {k: keras.Variable(v, name=k.replace("/", "_")) for k, v in params.items()}
        else:
            variables = {k: tf.Variable(v) for k, v in params.items()}
        tf_grads = {k: tf.constant(v) for k, v in grads.items()}
        if implementation == "tf_impl":
            from tf_impl import optimizers

            optimizer = optimizers.get(optimizer_name)
            state = optimizer.init(variables)

            @tf.function
            def update():
                optimizer.update(tf_grads, state, variables)
                return variables["dense_0/bias"][0]

        else:
            from bench.keras_bridge import keras_optimizer

            optimizer = keras_optimizer(optimizer_name, {})
            var_list = list(variables.values())
            optimizer.build(var_list)
            grad_list = list(tf_grads.values())

            @tf.function
            def update():
                optimizer.apply(grad_list, var_list)
                return var_list[1][0]

        return lambda: update().numpy()

    import jax
    import jax.numpy as jnp

    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    jgrads = {k: jnp.asarray(v) for k, v in grads.items()}
    if implementation == "jax_impl":
        from jax_impl import optimizers

        optimizer = optimizers.get(optimizer_name)
        step = jax.jit(optimizer.update)
        carry = [jparams, optimizer.init(jparams)]

        def update():
            carry[0], carry[1] = step(jgrads, carry[1], carry[0])
            return carry[0]["dense_0/bias"].block_until_ready()

        return update
    import optax

    transform = getattr(optax, OPTAX_NAMES[optimizer_name])(learning_rate=1e-3)

    @jax.jit
    def optax_step(grads, state, params):
        updates, state = transform.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    carry = [jparams, transform.init(jparams)]

    def update():
        carry[0], carry[1] = optax_step(jgrads, carry[1], carry[0])
        return carry[0]["dense_0/bias"].block_until_ready()

    return update


def paired_ratio(first, second, optimizer_name, rounds=100):
    """Median time of ``first``'s update over ``second``'s, their calls alternating.

    This machine's speed drifts by up to 2× over seconds; timing one implementation after
    the other lets the drift land on one side. Alternating calls put it on both.
    """
    import statistics
    import time

    updates = [build_update(first, optimizer_name), build_update(second, optimizer_name)]
    samples = ([], [])
    for update in updates:
        update()  # compile
    for _ in range(rounds):
        for update, times in zip(updates, samples, strict=True):
            start = time.perf_counter()
            update()
            times.append(time.perf_counter() - start)
    return statistics.median(samples[0]) / statistics.median(samples[1])


def paired_ratios(optimizers, rounds=100):
    """``{optimizer: {"tf_impl/keras": r, "jax_impl/optax": r}}`` for what is installed."""
    ratios = {}
    for optimizer in optimizers:
        row = {}
        if backends.installed("tensorflow"):
            row["tf_impl/keras"] = paired_ratio("tf_impl", "keras", optimizer, rounds)
        if backends.installed("jax") and optimizer in OPTAX_NAMES:
            row["jax_impl/optax"] = paired_ratio("jax_impl", "optax", optimizer, rounds)
        ratios[optimizer] = row
    return ratios
