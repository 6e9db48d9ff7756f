"""The oracle against Keras 3's own optimizers, schedules and ReduceLROnPlateau, in float64.

Keras runs with ``floatx("float64")`` and float32-exact hyperparameters (tests/cases.py),
so the only differences left are the order of float64 operations.
"""

import keras
import numpy as np
import pytest

from bench.equivalence import (
    CASE_IDS,
    CASES,
    FLOAT64_TOLERANCE,
    KERAS_DEFAULT_ROUNDING,
    NADAM_096_TOLERANCE,
    SCHEDULE_CASE_IDS,
    SCHEDULE_CASES,
    max_relative_difference,
    problem,
    relative_update_difference,
)
from bench.keras_bridge import KerasRunner, floatx, keras_optimizer, keras_schedule
from reference import mlp, optimizers, schedules

EXACT_CASES = [case for case in CASES if case[0] not in KERAS_DEFAULT_ROUNDING]


def _tolerance(case_id):
    return NADAM_096_TOLERANCE if case_id.startswith("nadam") else FLOAT64_TOLERANCE


def teacher_forced_difference(name, hyper, steps, keras_hyper=None):
    """Largest relative difference of one Keras step from the oracle's state, over a trajectory."""
    params, x, y = problem()
    oracle = optimizers.get(name, **hyper)
    runner = KerasRunner(name, keras_optimizer(name, keras_hyper or hyper), params)
    state = oracle.init(params)
    worst = 0.0
    for _ in range(steps):
        _, grads = mlp.loss_and_grads(params, x, y)
        runner.set_state(params, state)
        keras_params = runner.apply(grads)
        new_params, state = oracle.update(grads, state, params)
        worst = max(worst, relative_update_difference(params, keras_params, new_params))
        params = new_params
    return worst


def trajectory_difference(name, hyper, steps, keras_hyper=None):
    """Each trains on its own trajectory; the largest relative difference of the weights."""
    params, x, y = problem()
    oracle = optimizers.get(name, **hyper)
    runner = KerasRunner(name, keras_optimizer(name, keras_hyper or hyper), params)
    state = oracle.init(params)
    keras_params = params
    worst = 0.0
    for _ in range(steps):
        _, grads = mlp.loss_and_grads(params, x, y)
        params, state = oracle.update(grads, state, params)
        _, keras_grads = mlp.loss_and_grads(keras_params, x, y)
        keras_params = runner.apply(keras_grads)
        worst = max(worst, max_relative_difference(keras_params, params))
    return worst


@pytest.fixture(autouse=True)
def keras_float64():
    with floatx("float64"):
        yield


@pytest.mark.parametrize(
    "case_id, name, hyper, steps", EXACT_CASES, ids=[c[0] for c in EXACT_CASES]
)
def test_teacher_forced_steps_match_keras_float64(case_id, name, hyper, steps):
    assert teacher_forced_difference(name, hyper, steps) <= _tolerance(case_id)


@pytest.mark.parametrize(
    "case_id, name, hyper, steps", EXACT_CASES, ids=[c[0] for c in EXACT_CASES]
)
def test_trajectory_matches_keras_float64(case_id, name, hyper, steps):
    assert trajectory_difference(name, hyper, steps) <= _tolerance(case_id)


@pytest.mark.parametrize("case_id", list(KERAS_DEFAULT_ROUNDING))
def test_keras_defaults_differ_by_float32_rounding(case_id):
    """Shows the size of Keras's float32 rounding of default hyperparameters (§1.2)."""
    _, name, hyper, steps = CASES[CASE_IDS.index(case_id)]
    _, measured = KERAS_DEFAULT_ROUNDING[case_id]
    difference = trajectory_difference(name, hyper, steps)
    # Within a factor of 10 of the measured size: big enough to be the rounding, never a bug.
    assert measured / 10 <= difference <= measured * 10


@pytest.mark.parametrize(
    "case_id, name, hyper, schedule, schedule_kwargs, steps", SCHEDULE_CASES, ids=SCHEDULE_CASE_IDS
)
def test_schedule_as_learning_rate_matches_keras_float64(
    case_id, name, hyper, schedule, schedule_kwargs, steps
):
    f64_kwargs = {
        k: np.float64(v) if isinstance(v, float) else v for k, v in schedule_kwargs.items()
    }
    oracle_hyper = dict(hyper, learning_rate=schedules.get(schedule, **schedule_kwargs))
    keras_hyper = dict(hyper, learning_rate=keras_schedule(schedule, f64_kwargs))
    assert trajectory_difference(name, oracle_hyper, steps, keras_hyper) <= FLOAT64_TOLERANCE
    keras_hyper = dict(hyper, learning_rate=keras_schedule(schedule, f64_kwargs))
    assert teacher_forced_difference(name, oracle_hyper, steps, keras_hyper) <= FLOAT64_TOLERANCE


def test_schedule_free_adamw_paper_form_differs_from_keras():
    """Keras-on-TF recovers x from the updated z; the paper from the old z."""
    hyper = {"learning_rate": 2.0**-6, "beta_1": 0.75, "beta_2": 0.875}
    paper = dict(hyper, convention="paper")
    assert trajectory_difference("schedule_free_adamw", paper, 30, hyper) > 1e-3


SCHEDULE_ARGUMENTS = [
    ("exponential_decay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6}),
    (
        "exponential_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6, "staircase": True},
    ),
    ("piecewise_constant_decay", {"boundaries": [10, 50, 120], "values": [1.0, 0.5, 0.1, 0.01]}),
    ("polynomial_decay", {"initial_learning_rate": 0.1, "decay_steps": 150}),
    (
        "polynomial_decay",
        {
            "initial_learning_rate": 0.1,
            "decay_steps": 40,
            "end_learning_rate": 0.003,
            "power": 2.5,
            "cycle": True,
        },
    ),
    ("inverse_time_decay", {"initial_learning_rate": 0.1, "decay_steps": 9, "decay_rate": 0.3}),
    (
        "inverse_time_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 9, "decay_rate": 0.3, "staircase": True},
    ),
    ("cosine_decay", {"initial_learning_rate": 0.1, "decay_steps": 150}),
    ("cosine_decay", {"initial_learning_rate": 0.1, "decay_steps": 150, "alpha": 0.1}),
    (
        "cosine_decay",
        {
            "initial_learning_rate": 0.0,
            "decay_steps": 120,
            "alpha": 0.05,
            "warmup_target": 0.2,
            "warmup_steps": 30,
        },
    ),
    ("cosine_decay", {"initial_learning_rate": 0.1, "decay_steps": 100, "warmup_steps": 30}),
    ("cosine_decay_restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 20}),
    (
        "cosine_decay_restarts",
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 15,
            "t_mul": 1.0,
            "m_mul": 0.7,
            "alpha": 0.1,
        },
    ),
    (
        "cosine_decay_restarts",
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 10,
            "t_mul": 1.5,
            "m_mul": 0.8,
            "alpha": 0.05,
        },
    ),
]
# Both compute the same float64 expression; differences are a few ulps.
SCHEDULE_TOLERANCE = 1e-12


@pytest.mark.parametrize(
    "name, kwargs",
    SCHEDULE_ARGUMENTS,
    ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULE_ARGUMENTS)],
)
def test_schedule_matches_keras_steps_0_to_200(name, kwargs):
    oracle = schedules.get(name, **kwargs)
    # np.float64 arguments make Keras compute in float64 (CONVENTIONS.md §3).
    keras_kwargs = {
        k: (
            np.float64(v)
            if isinstance(v, float)
            else [np.float64(e) for e in v]
            if k == "values"
            else v
        )
        for k, v in kwargs.items()
    }
    if name == "polynomial_decay":
        # Keras casts its own default end_learning_rate=1e-4 through float32; pass it as float64.
        keras_kwargs.setdefault("end_learning_rate", np.float64(1e-4))
    reference = keras_schedule(name, keras_kwargs)
    ours = np.array([oracle(step) for step in range(201)], dtype=np.float64)
    theirs = np.array([float(reference(step)) for step in range(201)])
    scale = np.maximum(np.abs(theirs), 1e-300)
    assert np.max(np.abs(ours - theirs) / scale) <= SCHEDULE_TOLERANCE
    assert len(set(np.round(ours, 12))) > 1  # the schedule does move


class _ModelWithOptimizer:
    def __init__(self, optimizer):
        self.optimizer = optimizer


@pytest.mark.parametrize(
    "kwargs",
    [
        {"factor": 0.5, "patience": 2, "min_delta": 0.01},
        {"factor": 0.5, "patience": 2, "min_delta": 0.01, "cooldown": 1},
        {"factor": 0.5, "patience": 2, "min_delta": 0.01, "cooldown": 3},
        {"factor": 0.25, "patience": 1, "min_delta": 0.0, "min_lr": 0.01},
    ],
)
def test_reduce_on_plateau_matches_keras_callback(kwargs):
    losses = [1.0, 0.9] + [0.95] * 5 + [0.8] + [0.85] * 6 + [0.5, 0.5, 0.49, 0.3] + [0.31] * 8
    optimizer = keras.optimizers.SGD(learning_rate=1.0)
    callback = keras.callbacks.ReduceLROnPlateau(monitor="loss", **kwargs)
    callback.set_model(_ModelWithOptimizer(optimizer))
    controller = schedules.ReduceLROnPlateau(1.0, **kwargs)
    ours, theirs = [], []
    for epoch, loss in enumerate(losses):
        callback.on_epoch_end(epoch, {"loss": loss})
        theirs.append(float(optimizer.learning_rate))
        ours.append(controller.step(loss))
    # Powers of two and min_lr=0.01: Keras's float32 variable adds at most 1 float32 ulp.
    np.testing.assert_allclose(ours, theirs, rtol=1e-7)
    assert ours[-1] < 1.0
