"""Learning-rate schedules in JAX: ``get(name, **kw)`` returns ``step -> rate``.

The same functions and arguments as ``reference.schedules`` (Keras's), written
with ``jax.numpy`` so they trace under ``jax.jit``: branches on the step are
``jnp.where``. They compute in JAX's default float (float64 under x64); note that
an int32 step divided by a Python int stays float32 even under x64, so the step
is converted to a float first.
"""

import math

import jax
import jax.numpy as jnp

from reference.errors import check_choice
from reference.schedules import (
    ReduceLROnPlateau,  # pure Python: fed one loss at a time
    check_argument_names,
    check_arguments,
    check_piecewise,
    check_step,
)


def _float(value):
    return jnp.asarray(value, jnp.result_type(float))


def _step(step):
    """The step as JAX's default float, checked when it is concrete (not while traced)."""
    if not isinstance(step, jax.core.Tracer):
        check_step(step)
    return _float(step)


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
            progress = jnp.floor(progress)
        return initial_learning_rate * decay_rate**progress

    return schedule


def piecewise_constant_decay(boundaries, values):
    """values[0] for k ≤ b₀, values[i] for b_{i-1} < k ≤ b_i, values[-1] for k > b_last."""
    check_piecewise(boundaries, values)

    def schedule(step):
        step = _step(step)
        rate = _float(values[-1])
        for boundary, value in reversed(list(zip(boundaries, values, strict=False))):
            rate = jnp.where(step <= boundary, value, rate)
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
            horizon = decay_steps * jnp.where(step == 0, 1.0, jnp.ceil(step / decay_steps))
        else:
            horizon = _float(decay_steps)
            step = jnp.minimum(step, horizon)
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
            progress = jnp.floor(progress)
        return initial_learning_rate / (1 + decay_rate * progress)

    return schedule


def _cosine(progress, alpha):
    """(1 − α) · ½(1 + cos(π · progress)) + α."""
    return (1 - alpha) * 0.5 * (1 + jnp.cos(math.pi * progress)) + alpha


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
                jnp.minimum(step, decay_steps) / decay_steps, alpha
            )
        step = jnp.minimum(step, decay_steps + warmup_steps)
        warming = (warmup_target - initial_learning_rate) * (
            step / max(warmup_steps, 1)
        ) + initial_learning_rate
        decaying = warmup_target * _cosine((step - warmup_steps) / decay_steps, alpha)
        return jnp.where(step < warmup_steps, warming, decaying)

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
            cycle = jnp.floor(progress)
            fraction = progress - cycle
        else:
            cycle = jnp.floor(jnp.log(1.0 - progress * (1.0 - t_mul)) / math.log(t_mul))
            # At a cycle boundary the logarithm may round just below the integer.
            next_start = (1.0 - t_mul ** (cycle + 1)) / (1.0 - t_mul)
            cycle = jnp.where(progress >= next_start, cycle + 1, cycle)
            cycles_done = (1.0 - t_mul**cycle) / (1.0 - t_mul)
            fraction = (progress - cycles_done) / t_mul**cycle
        cosine = 0.5 * m_mul**cycle * (1.0 + jnp.cos(math.pi * fraction))
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
