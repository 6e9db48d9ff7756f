"""How two sets of parameters are compared: relative differences that NaN cannot fool.

Python's ``max(0.0, nan)`` is ``0.0`` and ``nan > tolerance`` is False, so a difference
computed from a NaN can pass any test. Every comparison here first checks that both
sides are finite and raises ``NonFiniteError`` (an ``AssertionError``, so a test fails)
naming the side, the tensor and the step where one is not.
"""

import numpy as np


class NonFiniteError(AssertionError):
    """A compared value is NaN or infinite, so no difference can be measured."""


def check_finite(params, side, step=None):
    """Raise ``NonFiniteError`` naming ``side``, the tensor and ``step`` if a value isn't finite."""
    for name, value in params.items():
        value = np.asarray(value)
        if not np.all(np.isfinite(value)):
            bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
            at = "" if step is None else f" at step {step}"
            raise NonFiniteError(
                f"{side} went non-finite{at}: {bad} of {np.size(value)} values of {name!r} "
                "are NaN or infinite"
            )


def max_relative_difference(got, expected, step=None, sides=("got", "expected")):
    """Largest over tensors of max|got − expected| / max|expected| (the absolute difference
    where ``expected`` is all 0). ``sides`` name the two in the message of a non-finite value."""
    check_finite(got, sides[0], step)
    check_finite(expected, sides[1], step)
    worst = 0.0
    for name in expected:
        a = np.asarray(got[name], np.float64)
        b = np.asarray(expected[name], np.float64)
        scale = np.max(np.abs(b))
        difference = np.max(np.abs(a - b))
        worst = max(worst, difference / scale if scale > 0 else difference)
    return worst


def relative_update_difference(before, got, expected, step=None, sides=("got", "expected")):
    """Largest over tensors of max|Δgot − Δexpected| / max|Δexpected|, Δ = after − ``before``:
    compares the steps, not the weights."""
    check_finite(before, "the starting point", step)
    check_finite(got, sides[0], step)
    check_finite(expected, sides[1], step)
    start = {k: np.asarray(v, np.float64) for k, v in before.items()}
    steps_got = {k: np.asarray(got[k], np.float64) - start[k] for k in start}
    steps_expected = {k: np.asarray(expected[k], np.float64) - start[k] for k in start}
    return max_relative_difference(steps_got, steps_expected, step, sides)


def worst_difference(got_trajectory, expected_trajectory, sides=("got", "expected")):
    """The largest ``max_relative_difference`` along two trajectories walked in step.

    Each is an iterable of parameter dicts after steps 1, 2, ...; they are consumed one
    step at a time, so a trajectory of any length takes the memory of one step.
    """
    worst = 0.0
    for step, (got, expected) in enumerate(
        zip(got_trajectory, expected_trajectory, strict=True), start=1
    ):
        worst = max(worst, max_relative_difference(got, expected, step, sides))
    return worst


def first_parting(got_trajectory, expected_trajectory, tolerance, sides=("got", "expected")):
    """``(step, tensor, difference)`` where two trajectories first differ beyond ``tolerance``,
    or None; steps count from 1."""
    for step, (got, expected) in enumerate(
        zip(got_trajectory, expected_trajectory, strict=True), start=1
    ):
        for name in got:
            difference = max_relative_difference(
                {name: got[name]}, {name: expected[name]}, step, sides
            )
            if difference > tolerance:
                return step, name, difference
    return None
