"""Learning-rate schedules in TensorFlow: ``get(name, **kw)`` returns ``step -> rate``.

The same functions and arguments as ``reference.schedules`` (Keras's), written
with TF ops so they trace into a ``tf.function``: branches on the step are
``tf.where``, never Python ``if``. They compute in float64; the optimizer casts
the rate to each variable's dtype.
"""

import math

import numpy as np
import tensorflow as tf

from reference.errors import check_choice
from reference.schedules import (
    ReduceLROnPlateau,  # pure Python: fed one loss at a time
    check_argument_names,
    check_arguments,
    check_piecewise,
    check_step,
)


def _step(step):
    """The step as a float64 tensor, checked when it is concrete (not while traced).

    A Python float is converted straight to float64: ``tf.cast`` would round it
    through float32 first (12345678.9 would become 12345679.0).
    """
    if not tf.is_tensor(step):
        check_step(step)
        return tf.constant(np.float64(step))
    if tf.executing_eagerly():
        check_step(step.numpy())
    return tf.cast(step, tf.float64)


def exponential_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    """η(k) = η₀ · rate^(k / D), with ⌊k / D⌋ when ``staircase``."""
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        decay_steps=decay_steps,
        decay_rate=decay_rate,
        staircase=staircase,
    )

    def schedule(step):
        progress = _step(step) / decay_steps
        if staircase:
            progress = tf.floor(progress)
        return initial_learning_rate * decay_rate**progress

    return schedule


def piecewise_constant_decay(boundaries, values):
    """values[0] for k ≤ b₀, values[i] for b_{i-1} < k ≤ b_i, values[-1] for k > b_last."""
    check_piecewise(boundaries, values)

    def schedule(step):
        step = _step(step)
        rate = tf.constant(values[-1], tf.float64)
        for boundary, value in reversed(list(zip(boundaries, values, strict=False))):
            rate = tf.where(step <= boundary, tf.constant(value, tf.float64), rate)
        return rate

    return schedule


def polynomial_decay(
    initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False
):
    """η(k) = (η₀ − η_end) · (1 − k/D)^power + η_end, k clamped to D (or D cycled)."""
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        decay_steps=decay_steps,
        end_learning_rate=end_learning_rate,
        power=power,
        cycle=cycle,
    )

    def schedule(step):
        step = _step(step)
        if cycle:
            horizon = decay_steps * tf.where(
                step == 0, tf.ones_like(step), tf.math.ceil(step / decay_steps)
            )
        else:
            horizon = tf.constant(float(decay_steps), tf.float64)
            step = tf.minimum(step, horizon)
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
        progress = _step(step) / decay_steps
        if staircase:
            progress = tf.floor(progress)
        return initial_learning_rate / (1 + decay_rate * progress)

    return schedule


def _cosine(progress, alpha):
    """(1 − α) · ½(1 + cos(π · progress)) + α."""
    return (1 - alpha) * 0.5 * (1 + tf.cos(math.pi * progress)) + alpha


def cosine_decay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    """Cosine decay, with an optional linear warmup to ``warmup_target`` first."""
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        decay_steps=decay_steps,
        alpha=alpha,
        warmup_target=warmup_target,
        warmup_steps=warmup_steps,
    )

    def schedule(step):
        step = _step(step)
        if warmup_target is None:
            return initial_learning_rate * _cosine(
                tf.minimum(step, decay_steps) / decay_steps, alpha
            )
        step = tf.minimum(step, float(decay_steps + warmup_steps))
        warming = (warmup_target - initial_learning_rate) * (
            step / max(warmup_steps, 1)
        ) + initial_learning_rate
        decaying = warmup_target * _cosine((step - warmup_steps) / decay_steps, alpha)
        return tf.where(step < warmup_steps, warming, decaying)

    return schedule


def cosine_decay_restarts(
    initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0
):
    """SGDR: cosine cycles, cycle i lasting D·t_mul^i and peaking at η₀·m_mul^i."""
    check_arguments(
        initial_learning_rate=initial_learning_rate,
        first_decay_steps=first_decay_steps,
        t_mul=t_mul,
        m_mul=m_mul,
        alpha=alpha,
    )

    def schedule(step):
        progress = _step(step) / first_decay_steps
        if t_mul == 1.0:
            cycle = tf.floor(progress)
            fraction = progress - cycle
        else:
            cycle = tf.floor(tf.math.log(1.0 - progress * (1.0 - t_mul)) / math.log(t_mul))
            # At a cycle boundary the logarithm may round just below the integer.
            next_start = (1.0 - t_mul ** (cycle + 1)) / (1.0 - t_mul)
            cycle = tf.where(progress >= next_start, cycle + 1, cycle)
            cycles_done = (1.0 - t_mul**cycle) / (1.0 - t_mul)
            fraction = (progress - cycles_done) / t_mul**cycle
        cosine = 0.5 * m_mul**cycle * (1.0 + tf.cos(math.pi * fraction))
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
__all__ = [*NAMES, "NAMES", "get", "ReduceLROnPlateau"]


def get(name, **kwargs):
    check_choice("schedule", name, NAMES)
    check_argument_names(name, kwargs)
    return SCHEDULES[name](**kwargs)
