"""Learning-rate schedules: ``get(name, **kw)`` returns ``step -> learning rate``.

Names, arguments and results are Keras's (``keras.optimizers.schedules``). The step
is the 0-based count of updates already made, so update t (1-based) uses
``schedule(t - 1)``, as in Keras and optax.

``ReduceLROnPlateau`` is the odd one out: not a function of the step but a small
controller fed one loss at a time, with Keras's callback semantics.
"""

import inspect
import math

import numpy as np

from reference.errors import check_bool, check_choice, check_range, is_real

# What each argument may be, the same for every schedule that takes it. A learning
# rate below 0 would make training climb the loss; the schedules' own formulas
# need the rest (a negative decay_rate has no real power, t_mul ≤ 0 no logarithm).
ARGUMENT_RANGES = {
    "initial_learning_rate": {"low": 0},
    "end_learning_rate": {"low": 0},
    "warmup_target": {"low": 0},
    "decay_steps": {"low": 0, "low_open": True},
    "first_decay_steps": {"low": 0, "low_open": True},
    "warmup_steps": {"low": 0},
    "decay_rate": {"low": 0},
    "power": {"low": 0},
    "alpha": {"low": 0, "high": 1},
    "t_mul": {"low": 0, "low_open": True},
    "m_mul": {"low": 0},
}
FLAGS = ("staircase", "cycle")


def check_arguments(**arguments):
    """The checks every backend's schedule runs on its arguments, before building it."""
    for name, value in arguments.items():
        if name in FLAGS:
            check_bool(name, value)
        elif name == "warmup_target" and value is None:
            continue
        else:
            check_range(name, value, **ARGUMENT_RANGES[name])


def check_piecewise(boundaries, values):
    """Boundaries strictly increasing, one more value than boundaries, each value ≥ 0."""
    if len(values) != len(boundaries) + 1:
        raise ValueError(
            f"values has {len(values)} entries and boundaries {len(boundaries)}: "
            "need exactly one more value than boundaries."
        )
    for index, value in enumerate(values):
        check_range(f"values[{index}]", value, low=0)
    for index, boundary in enumerate(boundaries):
        check_range(f"boundaries[{index}]", boundary)
    if any(b >= after for b, after in zip(boundaries, boundaries[1:], strict=False)):
        raise ValueError(
            f"boundaries={list(boundaries)!r} is not allowed: need strictly increasing steps."
        )


def check_step(step):
    """A concrete step (a number, or an array holding one) is ≥ 0: updates made so far."""
    try:
        value = float(step)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(step, (bool, str)) or not is_real(value) or value < 0:
        raise ValueError(f"step={value:g} is not allowed: need 0 <= step (updates made so far).")


def exponential_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """η(k) = η₀ · rate^(k / D), with ⌊k / D⌋ when ``staircase``."""
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        decay_steps=decay_steps,
        decay_rate=decay_rate,
        staircase=staircase,
    )

    def schedule(step):
        check_step(step)
        progress = step / decay_steps
        if staircase:
            progress = np.floor(progress)
        return initial_learning_rate * decay_rate**progress

    return schedule


def piecewise_constant_decay(boundaries, values):
    """values[0] for k ≤ b₀, values[i] for b_{i-1} < k ≤ b_i, values[-1] for k > b_last.

    The boundary step itself still gets the old value (optax switches one step earlier).
    """
    check_piecewise(boundaries, values)

    def schedule(step):
        check_step(step)
        for boundary, value in zip(boundaries, values, strict=False):
            if step <= boundary:
                return value
        return values[-1]

    return schedule


def polynomial_decay(
    initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False
):
    """η(k) = (η₀ − η_end) · (1 − k/D)^power + η_end, with k clamped to D.

    With ``cycle``, D grows to the first multiple of D that is ≥ k instead (D at k = 0).
    """
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        decay_steps=decay_steps,
        end_learning_rate=end_learning_rate,
        power=power,
        cycle=cycle,
    )

    def schedule(step):
        check_step(step)
        if cycle:
            horizon = decay_steps * (1.0 if step == 0 else np.ceil(step / decay_steps))
        else:
            horizon = decay_steps
            step = min(step, decay_steps)
        progress = step / horizon
        return (initial_learning_rate - end_learning_rate) * (
            1 - progress
        ) ** power + end_learning_rate

    return schedule


def inverse_time_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """η(k) = η₀ / (1 + rate · k / D), with ⌊k / D⌋ when ``staircase``."""
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        decay_steps=decay_steps,
        decay_rate=decay_rate,
        staircase=staircase,
    )

    def schedule(step):
        check_step(step)
        progress = step / decay_steps
        if staircase:
            progress = np.floor(progress)
        return initial_learning_rate / (1 + decay_rate * progress)

    return schedule


def _cosine(progress, alpha):
    """(1 − α) · ½(1 + cos(π · progress)) + α, for progress in [0, 1]."""
    return (1 - alpha) * 0.5 * (1 + np.cos(math.pi * progress)) + alpha


def cosine_decay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    """Cosine decay, with an optional linear warmup first.

    Without ``warmup_target``: η(k) = η₀ · cos_α(min(k, D) / D) and ``warmup_steps`` is ignored.
    With it, for k < W:  η(k) = η₀ + (target − η₀) · k / W,
    and after:           η(k) = target · cos_α(min(k − W, D) / D),
    where cos_α(p) = (1 − α) · ½(1 + cos πp) + α. D counts the steps after the warmup.
    """
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        decay_steps=decay_steps,
        alpha=alpha,
        warmup_target=warmup_target,
        warmup_steps=warmup_steps,
    )

    def schedule(step):
        check_step(step)
        if warmup_target is None:
            return initial_learning_rate * _cosine(min(step, decay_steps) / decay_steps, alpha)
        step = min(step, decay_steps + warmup_steps)
        if step < warmup_steps:
            return (warmup_target - initial_learning_rate) * (
                step / warmup_steps
            ) + initial_learning_rate
        return warmup_target * _cosine((step - warmup_steps) / decay_steps, alpha)

    return schedule


def cosine_decay_restarts(
    initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0
):
    """SGDR: cosine cycles, cycle i lasting D·t_mul^i and peaking at η₀·m_mul^i.

    With p = k / D, the cycle index is i = ⌊log(1 − p(1 − t_mul)) / log t_mul⌋
    (i = ⌊p⌋ when t_mul = 1) and the fraction done within it is
    f = (p − (1 − t_mul^i)/(1 − t_mul)) / t_mul^i. Then
    η(k) = η₀ · ((1 − α) · m_mul^i · ½(1 + cos πf) + α): the floor α·η₀ is not scaled by m_mul^i.
    """
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        first_decay_steps=first_decay_steps,
        t_mul=t_mul,
        m_mul=m_mul,
        alpha=alpha,
    )

    def schedule(step):
        check_step(step)
        progress = step / first_decay_steps
        if t_mul == 1.0:
            cycle = np.floor(progress)
            fraction = progress - cycle
        else:
            cycle = np.floor(np.log(1.0 - progress * (1.0 - t_mul)) / np.log(t_mul))
            # At a cycle boundary the logarithm may round just below the integer (Keras's
            # own schedule does inside a tf.function: 2.9999999999999996 at step 140 of
            # first_decay_steps=20, t_mul=2, giving 0 instead of a restart).
            next_start = (1.0 - t_mul ** (cycle + 1)) / (1.0 - t_mul)
            cycle = cycle + 1 if progress >= next_start else cycle
            cycles_done = (1.0 - t_mul**cycle) / (1.0 - t_mul)
            fraction = (progress - cycles_done) / t_mul**cycle
        cosine = 0.5 * m_mul**cycle * (1.0 + np.cos(math.pi * fraction))
        return initial_learning_rate * ((1 - alpha) * cosine + alpha)

    return schedule


SCHEDULES = {
    "exponential_decay": exponential_decay,
    "piecewise_constant_decay": piecewise_constant_decay,
    "polynomial_decay": polynomial_decay,
    "inverse_time_decay": inverse_time_decay,
    "cosine_decay": cosine_decay,
    "cosine_decay_restarts": cosine_decay_restarts,
}
NAMES = tuple(SCHEDULES)


def get(name, **kwargs):
    """The schedule ``name`` built with Keras's arguments, e.g.
    ``get("exponential_decay", initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)``."""
    check_choice("schedule", name, NAMES)
    check_argument_names(name, kwargs)
    return SCHEDULES[name](**kwargs)


def check_argument_names(name, kwargs):
    """Each keyword is an argument of schedule ``name``, and none it needs is missing."""
    parameters = inspect.signature(SCHEDULES[name]).parameters
    for key in kwargs:
        check_choice(f"argument for {name}", key, tuple(parameters))
    empty = inspect.Parameter.empty
    missing = [key for key, p in parameters.items() if p.default is empty and key not in kwargs]
    if missing:
        raise TypeError(f"{name} needs {', '.join(missing)}; got only {', '.join(kwargs)}.")


class ReduceLROnPlateau:
    """Keras's ``ReduceLROnPlateau`` as a controller: ``step(loss)`` once per epoch.

    Improvement is absolute: loss < best − min_delta. Each epoch:
      1. in cooldown: cooldown_counter −= 1, wait = 0;
      2. improved: best = loss, wait = 0;
      3. else, if no longer in cooldown: wait += 1, and when wait ≥ patience
         lr ← max(lr · factor, min_lr) (only if lr > min_lr), cooldown_counter = cooldown, wait = 0.
    So the rate drops after ``patience`` epochs without improvement, and, as in Keras,
    ``cooldown = c`` shields only c − 1 epochs (cooldown 1 acts like 0).
    """

    def __init__(
        self, learning_rate, factor=0.1, patience=10, min_delta=1e-4, cooldown=0, min_lr=0.0
    ):
        check_range("learning_rate", learning_rate, low=0)
        check_range("factor", factor, low=0, high=1, high_open=True)
        check_range("patience", patience, low=0)
        check_range("cooldown", cooldown, low=0)
        check_range("min_lr", min_lr, low=0)
        self.learning_rate = learning_rate
        self.factor, self.patience, self.min_delta = factor, patience, abs(min_delta)
        self.cooldown, self.min_lr = cooldown, min_lr
        self.best = math.inf
        self.wait = 0
        self.cooldown_counter = 0

    def step(self, loss):
        """Feed one epoch's loss; returns the learning rate for the next epoch."""
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if loss < self.best - self.min_delta:
            self.best = loss
            self.wait = 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and self.learning_rate > self.min_lr:
                self.learning_rate = max(self.learning_rate * self.factor, self.min_lr)
                self.cooldown_counter = self.cooldown
                self.wait = 0
        return self.learning_rate
