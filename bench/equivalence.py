"""The optimizer cases every equivalence test walks through.

Hyperparameters are ones float32 represents exactly (2^-k, 1 - 2^-k, ...), so Keras,
which rounds some of them through float32 even for float64 variables
(CONVENTIONS.md §1.2), computes with the same numbers as the float64 oracle.
Every hyperparameter of every optimizer appears at a non-default value somewhere.
"""

import functools

import numpy as np

from reference import data, mlp, schedules

LR = 2.0**-6

# (case id, optimizer name, hyperparameters, trajectory steps)
# Trajectories stop early where CONVENTIONS.md §1.6 says rounding is amplified.
CASES = [
    ("sgd-default", "sgd", {}, 100),
    ("sgd-momentum", "sgd", {"learning_rate": LR, "momentum": 0.875}, 100),
    ("sgd-nesterov", "sgd", {"learning_rate": LR, "momentum": 0.875, "nesterov": True}, 100),
    ("rmsprop-default", "rmsprop", {}, 30),
    (
        "rmsprop-centered-momentum",
        "rmsprop",
        {
            "learning_rate": 2.0**-9,
            "rho": 0.75,
            "momentum": 0.5,
            "epsilon": 2.0**-10,
            "centered": True,
        },
        30,
    ),
    ("adagrad-default", "adagrad", {}, 100),
    (
        "adagrad-custom",
        "adagrad",
        {"learning_rate": LR, "initial_accumulator_value": 0.25, "epsilon": 2.0**-20},
        100,
    ),
    ("adadelta-default", "adadelta", {}, 100),
    ("adadelta-custom", "adadelta", {"learning_rate": 1.0, "rho": 0.875, "epsilon": 2.0**-20}, 100),
    ("adam-default", "adam", {}, 100),
    (
        "adam-custom",
        "adam",
        {"learning_rate": LR, "beta_1": 0.875, "beta_2": 1 - 2.0**-10, "epsilon": 2.0**-20},
        100,
    ),
    (
        "adam-amsgrad",
        "adam",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "amsgrad": True},
        100,
    ),
    ("adamw-default", "adamw", {}, 100),
    (
        "adamw-custom",
        "adamw",
        {
            "learning_rate": LR,
            "weight_decay": 0.0625,
            "beta_1": 0.75,
            "beta_2": 0.875,
            "epsilon": 2.0**-16,
            "amsgrad": True,
        },
        100,
    ),
    ("adamax-default", "adamax", {}, 100),
    (
        "adamax-custom",
        "adamax",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "epsilon": 2.0**-16},
        100,
    ),
    ("nadam-default", "nadam", {}, 100),
    (
        "nadam-custom",
        "nadam",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "epsilon": 2.0**-16},
        100,
    ),
    ("ftrl-default", "ftrl", {}, 100),
    (
        "ftrl-custom",
        "ftrl",
        {
            "learning_rate": 0.25,
            "learning_rate_power": -0.75,
            "initial_accumulator_value": 0.5,
            "l1_regularization_strength": 2.0**-10,
            "l2_regularization_strength": 2.0**-6,
            "l2_shrinkage_regularization_strength": 2.0**-8,
            "beta": 0.5,
        },
        100,
    ),
    ("lion-default", "lion", {}, 30),
    ("lion-custom", "lion", {"learning_rate": 2.0**-9, "beta_1": 0.75, "beta_2": 0.875}, 30),
    ("lamb-default", "lamb", {}, 100),
    (
        "lamb-custom",
        "lamb",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "epsilon": 2.0**-16},
        100,
    ),
    ("adafactor-default", "adafactor", {}, 30),
    (
        "adafactor-custom",
        "adafactor",
        {
            "learning_rate": 2.0**-5,
            "beta_2_decay": -0.5,
            "epsilon_1": 2.0**-60,
            "epsilon_2": 2.0**-8,
            "clip_threshold": 0.5,
            "relative_step": False,
        },
        30,
    ),
    ("muon-default", "muon", {}, 100),
    (
        "muon-custom",
        "muon",
        {
            "learning_rate": LR,
            "adam_beta_1": 0.75,
            "adam_beta_2": 0.875,
            "adam_weight_decay": 0.0625,
            "epsilon": 2.0**-16,
            "weight_decay": 0.125,
            "muon_a": 3.0,
            "muon_b": -4.0,
            "muon_c": 2.0,
            "adam_lr_ratio": 0.5,
            "momentum": 0.875,
            "ns_steps": 3,
            "nesterov": False,
            "rms_rate": 0.25,
        },
        100,
    ),
    (
        "muon-exclude_layers",
        "muon",
        {
            "learning_rate": LR,
            "adam_beta_1": 0.75,
            "adam_beta_2": 0.875,
            "adam_weight_decay": 0.0625,
            "weight_decay": 0.125,
            "exclude_layers": ["dense_1"],
            "exclude_embeddings": False,
        },
        100,
    ),
    ("schedule_free_adamw-default", "schedule_free_adamw", {}, 100),
    (
        "schedule_free_adamw-custom",
        "schedule_free_adamw",
        {
            "learning_rate": LR,
            "beta_1": 0.75,
            "beta_2": 0.875,
            "epsilon": 2.0**-16,
            "warmup_steps": 10,
        },
        100,
    ),
    # The base features, each on an optimizer it affects.
    (
        "adam-weight_decay",
        "adam",
        {"learning_rate": LR, "beta_1": 0.875, "beta_2": 0.875, "weight_decay": 0.0625},
        100,
    ),
    ("sgd-clipnorm", "sgd", {"learning_rate": 0.25, "momentum": 0.5, "clipnorm": 0.125}, 100),
    (
        "adam-clipvalue",
        "adam",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "clipvalue": 2.0**-7},
        100,
    ),
    ("sgd-global_clipnorm", "sgd", {"learning_rate": 0.25, "global_clipnorm": 0.25}, 100),
    (
        "lamb-global_clipnorm",
        "lamb",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "global_clipnorm": 0.25},
        100,
    ),
]

# (case id, optimizer name, hyperparameters, schedule name, schedule arguments, steps)
SCHEDULE_CASES = [
    (
        "sgd-momentum-exponential",
        "sgd",
        {"momentum": 0.875},
        "exponential_decay",
        {"initial_learning_rate": 0.125, "decay_steps": 10, "decay_rate": 0.5},
        100,
    ),
    (
        "adam-cosine-warmup",
        "adam",
        {"beta_1": 0.875, "beta_2": 0.96875},
        "cosine_decay",
        {
            "initial_learning_rate": 0.0,
            "decay_steps": 80,
            "warmup_target": LR,
            "warmup_steps": 20,
            "alpha": 0.125,
        },
        100,
    ),
]

# optax forms: (case id, oracle hyperparameters, optax transform given the optax module).
# The optimizer name is the case id up to the first '-'.
OPTAX_CASES = [
    ("sgd", {"learning_rate": LR}, lambda optax: optax.sgd(LR)),
    (
        "sgd-momentum",
        {"learning_rate": LR, "momentum": 0.875, "convention": "optax"},
        lambda optax: optax.sgd(LR, momentum=0.875),
    ),
    (
        "sgd-nesterov",
        {"learning_rate": LR, "momentum": 0.875, "nesterov": True, "convention": "optax"},
        lambda optax: optax.sgd(LR, momentum=0.875, nesterov=True),
    ),
    (
        "rmsprop-centered-momentum",
        {
            "learning_rate": 2.0**-9,
            "rho": 0.75,
            "momentum": 0.5,
            "epsilon": 2.0**-10,
            "centered": True,
        },
        lambda optax: optax.rmsprop(2.0**-9, decay=0.75, eps=2.0**-10, centered=True, momentum=0.5),
    ),
    (
        "adagrad",
        {"learning_rate": LR, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        lambda optax: optax.adagrad(LR, initial_accumulator_value=0.1, eps=1e-7),
    ),
    (
        "adadelta",
        {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6},
        lambda optax: optax.adadelta(1.0, rho=0.9, eps=1e-6),
    ),
    (
        "adam",
        {
            "learning_rate": LR,
            "beta_1": 0.9,
            "beta_2": 0.999,
            "epsilon": 1e-8,
            "convention": "optax",
        },
        lambda optax: optax.adam(LR, b1=0.9, b2=0.999, eps=1e-8),
    ),
    (
        "amsgrad",
        {
            "learning_rate": LR,
            "beta_1": 0.8,
            "beta_2": 0.9,
            "epsilon": 1e-8,
            "amsgrad": True,
            "convention": "optax",
        },
        lambda optax: optax.amsgrad(LR, b1=0.8, b2=0.9, eps=1e-8),
    ),
    (
        "adamw",
        {"learning_rate": LR, "weight_decay": 0.05, "epsilon": 1e-8, "convention": "optax"},
        lambda optax: optax.adamw(LR, eps=1e-8, weight_decay=0.05),
    ),
    (
        "adamax",
        {
            "learning_rate": LR,
            "beta_1": 0.8,
            "beta_2": 0.95,
            "epsilon": 1e-8,
            "convention": "optax",
        },
        lambda optax: optax.adamax(LR, b1=0.8, b2=0.95, eps=1e-8),
    ),
    (
        "nadam",
        {"learning_rate": LR, "epsilon": 1e-8, "convention": "optax"},
        lambda optax: optax.nadam(LR, eps=1e-8),
    ),
    (
        "lion",
        {"learning_rate": 2.0**-9, "weight_decay": 0.01},
        lambda optax: optax.lion(2.0**-9, weight_decay=0.01),
    ),
    (
        "lamb",
        {"learning_rate": LR, "epsilon": 1e-6, "weight_decay": 0.0625, "convention": "optax"},
        lambda optax: optax.lamb(LR, eps=1e-6, weight_decay=0.0625),
    ),
    (
        "sgd-exponential-decay",
        {
            "learning_rate": schedules.exponential_decay(0.125, 10, 0.5),
            "momentum": 0.875,
            "convention": "optax",
        },
        lambda optax: optax.sgd(optax.exponential_decay(0.125, 10.0, 0.5), momentum=0.875),
    ),
    (
        "adam-global-clipnorm",
        {"learning_rate": LR, "epsilon": 1e-8, "global_clipnorm": 0.25, "convention": "optax"},
        lambda optax: optax.chain(optax.clip_by_global_norm(0.25), optax.adam(LR, eps=1e-8)),
    ),
    (
        "adam-clipvalue",
        {"learning_rate": LR, "epsilon": 1e-8, "clipvalue": 2.0**-7, "convention": "optax"},
        lambda optax: optax.chain(optax.clip(2.0**-7), optax.adam(LR, eps=1e-8)),
    ),
]


# Pairs no setting reconciles (CONVENTIONS.md §10): (oracle, optax, smallest expected gap).
IRRECONCILABLE = [
    (
        "adam-epsilon-hat",
        ("adam", {"learning_rate": LR, "epsilon": 1e-8}),
        lambda optax: optax.adam(LR, eps=1e-8),
        1e-9,
    ),
    (
        "amsgrad-raw-max",
        (
            "adam",
            {"learning_rate": LR, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-8, "amsgrad": True},
        ),
        lambda optax: optax.amsgrad(LR, b1=0.8, b2=0.9, eps=1e-8),
        1e-3,
    ),
    (
        "nadam-momentum-schedule",
        ("nadam", {"learning_rate": LR, "epsilon": 1e-8}),
        lambda optax: optax.nadam(LR, eps=1e-8),
        1e-3,
    ),
    (
        "lamb-decay-placement",
        ("lamb", {"learning_rate": LR, "epsilon": 1e-6, "weight_decay": 0.0625}),
        lambda optax: optax.lamb(LR, eps=1e-6, weight_decay=0.0625),
        1e-3,
    ),
    (
        "sgd-momentum-under-schedule",
        ("sgd", {"learning_rate": schedules.exponential_decay(0.125, 10, 0.5), "momentum": 0.875}),
        lambda optax: optax.sgd(optax.exponential_decay(0.125, 10.0, 0.5), momentum=0.875),
        1e-3,
    ),
    (
        "muon",
        ("muon", {"learning_rate": LR, "weight_decay": None, "adam_weight_decay": None}),
        lambda optax: optax.contrib.muon(LR),
        1e-4,
    ),
]

CASE_IDS = [case[0] for case in CASES]
SCHEDULE_CASE_IDS = [case[0] for case in SCHEDULE_CASES]

SIZES = (8, 16, 4)
BATCH = 32


def problem(dtype=np.float64):
    """The fixed problem of every trajectory: an 8 → 16 → 4 MLP on Gaussian blobs."""
    x, y = data.classification_problem(BATCH, SIZES[0], SIZES[-1], seed=1, dtype=dtype)
    params = mlp.init_params(SIZES, seed=0, dtype=dtype)
    return params, x, y


def max_relative_difference(a, b):
    """Largest over tensors of max|a − b| / max|b| (0 where both are 0)."""
    worst = 0.0
    for name in b:
        scale = np.max(np.abs(b[name]))
        diff = np.max(np.abs(np.asarray(a[name], np.float64) - np.asarray(b[name], np.float64)))
        worst = max(worst, diff / scale if scale > 0 else diff)
    return worst


def relative_update_difference(before, after_a, after_b):
    """Largest over tensors of max|Δa − Δb| / max|Δb|: compares the steps, not the weights."""
    worst = 0.0
    for name in before:
        step_a = np.asarray(after_a[name], np.float64) - np.asarray(before[name], np.float64)
        step_b = np.asarray(after_b[name], np.float64) - np.asarray(before[name], np.float64)
        scale = np.max(np.abs(step_b))
        diff = np.max(np.abs(step_a - step_b))
        worst = max(worst, diff / scale if scale > 0 else diff)
    return worst


@functools.cache
def oracle_trajectory(case_id, dtype_name="float64", steps=None):
    """The oracle's (params, state) after each step of a case: index k = after k steps."""
    from reference import optimizers

    _, name, hyper, case_steps = CASES[CASE_IDS.index(case_id)]
    params, x, y = problem(np.dtype(dtype_name))
    optimizer = optimizers.get(name, **hyper)
    state = optimizer.init(params)
    snapshots = [(params, state)]
    for _ in range(steps or case_steps):
        _, grads = mlp.loss_and_grads(params, x, y)
        params, state = optimizer.update(grads, state, params)
        snapshots.append((params, state))
    return snapshots


# Same equations in float64; only the order of operations differs (measured ≤ 3e-13
# between any two of NumPy, TensorFlow, JAX, Keras and optax over 100 steps).
FLOAT64_TOLERANCE = 1e-10
# float32, stopped at 30 steps (past ~40 some runs turn chaotic, CONVENTIONS.md §1.6).
# TF and JAX raise β to a float32 power where NumPy uses the exact Python float:
# measured 7.4e-6 with default betas, ≤ 1.3e-6 with float32-exact ones.
FLOAT32_TOLERANCE = 2e-5
FLOAT32_STEPS = 30

# Keras rounds these hyperparameters through float32 even for float64 variables
# (CONVENTIONS.md §1.2), so with Keras's *defaults* the oracle, which uses the exact
# values, must differ. Each entry: (what Keras rounds, measured trajectory difference).
KERAS_DEFAULT_ROUNDING = {
    "adagrad-default": ("initial_accumulator_value 0.1", 3.0e-9),
    "adam-default": ("beta_1, beta_2 in the bias correction", 6.2e-6),
    "adamw-default": ("beta_1, beta_2 and weight_decay", 6.2e-6),
    "adamax-default": ("beta_1 in beta_1**t", 3.9e-8),
    "nadam-default": ("beta_1, beta_2 and 0.96", 6.1e-8),
    "ftrl-default": ("initial_accumulator_value 0.1", 1.1e-8),
    "lamb-default": ("beta_1, beta_2 in the bias correction", 6.7e-6),
    "adafactor-default": ("epsilon_2 1e-3", 4.8e-8),
    "muon-default": ("Adam's betas and the weight decays", 6.5e-6),
    "schedule_free_adamw-default": ("beta_1, beta_2", 2.4e-8),
}
# Nadam casts its hard-coded 0.96 to float32 whatever the hyperparameters: measured
# 1.0e-7 per step and 1.2e-8 over 100 steps with exact betas.
NADAM_096_TOLERANCE = 1e-6


def tolerance(case_id, backend, dtype):
    """The tolerance a comparison of ``backend`` with the oracle must meet, and why."""
    if dtype == "float32":
        return FLOAT32_TOLERANCE
    if backend == "keras" and case_id in KERAS_DEFAULT_ROUNDING:
        return KERAS_DEFAULT_ROUNDING[case_id][1] * 10
    if backend == "keras" and case_id.startswith("nadam"):
        return NADAM_096_TOLERANCE
    return FLOAT64_TOLERANCE


def case(case_id):
    return CASES[CASE_IDS.index(case_id)]


def tf_start(name, hyper, dtype="float64", mode="function"):
    """``(params, state, step, x, y)``: tf_impl at the oracle's starting point on ``problem()``."""
    import tensorflow as tf

    from tf_impl import mlp as tf_mlp
    from tf_impl import optimizers, training

    _, x, y = problem(np.dtype(dtype))
    params = tf_mlp.init_params(SIZES, seed=0, dtype=tf.as_dtype(dtype))
    optimizer = optimizers.get(name, **hyper)
    state = optimizer.init(params)
    return params, state, training.make_train_step(params, state, optimizer, mode), x, y


def tf_trajectory(name, hyper, steps, dtype="float64", mode="function"):
    """tf_impl's weights after each step (index 0: the start), trained on ``problem()``."""
    params, _, step, x, y = tf_start(name, hyper, dtype, mode)
    snapshots = [{k: v.numpy() for k, v in params.items()}]
    for _ in range(steps):
        step(x, y)
        snapshots.append({k: v.numpy() for k, v in params.items()})
    return snapshots


def jax_trajectory(name, hyper, steps, dtype="float64"):
    """jax_impl's weights after each step (index 0: the start), trained on ``problem()``."""
    import jax

    from jax_impl import mlp as jax_mlp
    from jax_impl import optimizers, training

    _, x, y = problem(np.dtype(dtype))
    with jax.enable_x64(dtype == "float64"):
        params = jax_mlp.init_params(SIZES)
        optimizer = optimizers.get(name, **hyper)
        step = training.make_train_step(optimizer)
        state = optimizer.init(params)
        snapshots = [jax.tree.map(np.asarray, params)]
        for _ in range(steps):
            params, state, _ = step(params, state, x, y)
            snapshots.append(jax.tree.map(np.asarray, params))
    return snapshots


def keras_trajectory(name, hyper, steps, dtype="float64"):
    """``keras.optimizers``' weights after each step, each gradient the oracle's."""
    from bench.keras_bridge import KerasRunner, floatx, keras_optimizer

    params, x, y = problem(np.dtype(dtype))
    with floatx(dtype):
        runner = KerasRunner(name, keras_optimizer(name, hyper), params)
        snapshots = [params]
        for _ in range(steps):
            _, grads = mlp.loss_and_grads(params, x, y)
            params = runner.apply(grads)
            snapshots.append(params)
    return snapshots


def optax_trajectory(make_transform, steps, dtype="float64"):
    """optax's weights after each step, each gradient the oracle's, in float64 under x64."""
    import jax
    import jax.numpy as jnp
    import optax

    params, x, y = problem(np.dtype(dtype))
    with jax.enable_x64(dtype == "float64"):
        transform = make_transform(optax)
        jparams = {k: jnp.asarray(v) for k, v in params.items()}
        state = transform.init(jparams)
        update = jax.jit(transform.update)
        snapshots = [params]
        for _ in range(steps):
            _, grads = mlp.loss_and_grads({k: np.asarray(v) for k, v in jparams.items()}, x, y)
            updates, state = update({k: jnp.asarray(g) for k, g in grads.items()}, state, jparams)
            jparams = optax.apply_updates(jparams, updates)
            snapshots.append({k: np.asarray(v) for k, v in jparams.items()})
    return snapshots


def oracle_final(name, hyper, steps, dtype="float64"):
    from reference import optimizers

    params, x, y = problem(np.dtype(dtype))
    optimizer = optimizers.get(name, **hyper)
    state = optimizer.init(params)
    for _ in range(steps):
        _, grads = mlp.loss_and_grads(params, x, y)
        params, state = optimizer.update(grads, state, params)
    return params


def worst_difference(snapshots, reference_snapshots):
    return max(
        max_relative_difference(a, b) for a, b in zip(snapshots, reference_snapshots, strict=True)
    )
