"""The optimizer update alone, hand-written against the built-ins, on a realistic parameter set.

tf_impl's optimizers against ``keras.optimizers`` (both inside ``tf.function``), and
jax_impl's against optax (both under ``jax.jit``), on the weights of a
784 → 512 → 512 → 10 MLP (670k parameters) with fixed gradients. The optimizers optax
ships and Keras does not (reference/optax_optimizers.py) have no Keras twin: tf_impl's
are timed alone.
"""

import functools

import numpy as np

from bench import backends
from reference import mlp as reference_mlp
from reference import optimizers as reference_optimizers

SIZES = (784, 512, 512, 10)

# Both sides of a pair with optax's own names (reference/optax_optimizers.py) get this
# learning rate and optax's defaults otherwise, so they compute the same update.
LEARNING_RATE = 1e-3

# optax's transform for each optimizer of jax_impl that optax ships. For Keras's optimizers
# it is optax's nearest (same role, not always the same formula: jax_impl runs with Keras's
# defaults); for optax's own it is the same rule.
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
    "muon": "contrib.muon",
    "schedule_free_adamw": "contrib.schedule_free_adamw",
    "adabelief": "adabelief",
    "adan": "adan",
    "fromage": "fromage",
    "lars": "lars",
    "noisy_sgd": "noisy_sgd",
    "novograd": "novograd",
    "optimistic_gradient_descent": "optimistic_gradient_descent",
    "optimistic_adam": "optimistic_adam_v2",  # optax's optimistic_adam: the older signature
    "polyak_sgd": "polyak_sgd",
    "radam": "radam",
    "rprop": "rprop",
    "sign_sgd": "sign_sgd",
    "signum": "signum",
    "sm3": "sm3",
    "yogi": "yogi",
    "amsgrad": "amsgrad",
    "adamaxw": "adamaxw",
    "nadamw": "nadamw",
}
KERAS_NAMES = reference_optimizers.NAMES  # the optimizers with a twin in keras.optimizers
IMPLEMENTATIONS = ("tf_impl", "keras", "jax_impl", "optax")

# The loss Polyak SGD is given at every update (its step size is min(loss / ‖g‖², 1) with
# optax's defaults); a fixed input, like the gradients.
POLYAK_LOSS = 1.0


def has_twin(implementation, optimizer):
    """Whether the built-in ``implementation`` ("keras" or "optax") has ``optimizer``."""
    return optimizer in (KERAS_NAMES if implementation == "keras" else OPTAX_NAMES)


def update_cases(optimizers):
    for optimizer in optimizers:
        for implementation in IMPLEMENTATIONS:
            if implementation in ("keras", "optax") and not has_twin(implementation, optimizer):
                continue
            if backends.installed(backends.FRAMEWORK[implementation]):
                yield implementation, optimizer


def _weights_and_grads():
    params = reference_mlp.init_params(SIZES, seed=0, dtype=np.float32)
    rng = np.random.default_rng(1)
    grads = {k: rng.standard_normal(v.shape, dtype=np.float32) * 1e-2 for k, v in params.items()}
    return params, grads


def extra_inputs(optimizer_name, params):
    """The keywords of ``update`` beyond the gradients, fixed NumPy inputs like them:
    Polyak SGD's ``loss``, noisy SGD's ``noise`` (optax draws its own from its key)."""
    if optimizer_name == "polyak_sgd":
        return {"loss": np.float32(POLYAK_LOSS)}
    if optimizer_name == "noisy_sgd":
        rng = np.random.default_rng(2)
        return {
            "noise": {k: rng.standard_normal(v.shape, dtype=np.float32) for k, v in params.items()}
        }
    return {}


def hyperparameters(optimizer_name):
    """tf_impl's and jax_impl's: Keras's defaults for Keras's optimizers, else optax's
    defaults with ``LEARNING_RATE`` (Polyak SGD has none: its step size is computed)."""
    if optimizer_name in KERAS_NAMES or optimizer_name == "polyak_sgd":
        return {}
    return {"learning_rate": LEARNING_RATE}


def optax_function(optax, path):
    """``optax.adam`` for "adam", ``optax.contrib.muon`` for "contrib.muon"; None if absent."""
    return functools.reduce(
        lambda module, name: getattr(module, name, None), path.split("."), optax
    )


def optax_transform(optax, optimizer_name):
    """optax's side of the pair: ``OPTAX_NAMES``'s transform, optax's defaults."""
    make = optax_function(optax, OPTAX_NAMES[optimizer_name])
    if optimizer_name == "polyak_sgd":
        return make()
    if optimizer_name == "noisy_sgd":
        return make(LEARNING_RATE, key=0)
    return make(learning_rate=LEARNING_RATE)


def optax_extra_inputs(extra):
    """``extra_inputs`` as optax's ``update`` takes them: Polyak SGD's loss is ``value``;
    noisy SGD draws its noise from its key."""
    return {"value": extra["loss"]} if "loss" in extra else {}


def build_update(implementation, optimizer_name):
    """A callable making one synchronised optimizer update."""
    params, grads = _weights_and_grads()
    extra = extra_inputs(optimizer_name, params)
    if implementation in ("tf_impl", "keras"):
        return _tf_update(implementation, optimizer_name, params, grads, extra)
    return _jax_update(implementation, optimizer_name, params, grads, extra)


def _tf_update(implementation, optimizer_name, params, grads, extra):
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

        optimizer = optimizers.get(optimizer_name, **hyperparameters(optimizer_name))
        state = optimizer.init(variables)
        tf_extra = tf.nest.map_structure(tf.constant, extra)

        @tf.function
        def update():
            optimizer.update(tf_grads, state, variables, **tf_extra)
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


def _jax_update(implementation, optimizer_name, params, grads, extra):
    import jax
    import jax.numpy as jnp

    jparams = {k: jnp.asarray(v) for k, v in params.items()}
    jgrads = {k: jnp.asarray(v) for k, v in grads.items()}
    jextra = jax.tree.map(jnp.asarray, extra)
    if implementation == "jax_impl":
        from jax_impl import optimizers

        optimizer = optimizers.get(optimizer_name, **hyperparameters(optimizer_name))
        step = jax.jit(optimizer.update)
        carry = [jparams, optimizer.init(jparams)]

        def update():
            carry[0], carry[1] = step(jgrads, carry[1], carry[0], **jextra)
            return carry[0]["dense_0/bias"].block_until_ready()

        return update
    import optax

    transform = optax_transform(optax, optimizer_name)
    optax_extra = optax_extra_inputs(jextra)

    @jax.jit
    def optax_step(grads, state, params, extra):
        updates, state = transform.update(grads, state, params, **extra)
        return optax.apply_updates(params, updates), state

    carry = [jparams, transform.init(jparams)]

    def update():
        carry[0], carry[1] = optax_step(jgrads, carry[1], carry[0], optax_extra)
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
    """``{optimizer: {"tf_impl/keras": r, "jax_impl/optax": r}}`` for what is installed;
    a pair whose built-in lacks the optimizer is left out."""
    ratios = {}
    for optimizer in optimizers:
        row = {}
        if backends.installed("tensorflow") and has_twin("keras", optimizer):
            row["tf_impl/keras"] = paired_ratio("tf_impl", "keras", optimizer, rounds)
        if backends.installed("jax") and has_twin("optax", optimizer):
            row["jax_impl/optax"] = paired_ratio("jax_impl", "optax", optimizer, rounds)
        ratios[optimizer] = row
    return ratios
