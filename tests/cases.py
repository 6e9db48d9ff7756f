"""The optimizer cases every equivalence test walks through.

Hyperparameters are ones float32 represents exactly (2^-k, 1 - 2^-k, ...), so Keras,
which rounds some of them through float32 even for float64 variables
(CONVENTIONS.md §1.2), computes with the same numbers as the float64 oracle.
Every hyperparameter of every optimizer appears at a non-default value somewhere.
"""

import functools

import numpy as np

from reference import data, mlp

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
