"""Input checks shared by the three backends, so that they fail identically.

Every check raises ``ValueError`` with one line that names the offending value
and says what is allowed. Checks run before anything is computed, so a failed
call never leaves a half-updated state behind.
"""

import math
import numbers


def check_choice(kind, value, allowed):
    """``value`` must be one of ``allowed``; suggest the closest name if not."""
    if value in allowed:
        return
    hint = ""
    if isinstance(value, str) and allowed:
        closest = min(allowed, key=lambda name: edit_distance(value, name))
        if edit_distance(value, closest) <= max(2, len(value) // 3):
            hint = f" Did you mean {closest!r}?"
    raise ValueError(f"Unknown {kind} {value!r}.{hint} Valid names: {', '.join(allowed)}.")


def edit_distance(a, b):
    """Optimal string alignment distance: insertions, deletions, substitutions, swaps."""
    rows = [list(range(len(b) + 1))]
    for i, char_a in enumerate(a, 1):
        row = [i]
        for j, char_b in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def check_range(name, value, low=None, high=None, low_open=False, high_open=False):
    """``low <= value <= high`` (or ``<`` at an open end), and finite."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if ok:
        return
    left = "" if low is None else f"{low} {'<' if low_open else '<='} "
    right = "" if high is None else f" {'<' if high_open else '<='} {high}"
    raise ValueError(f"{name}={value!r} is not allowed: need {left}{name}{right}.")


def check_same_structure(grads, params):
    """``grads`` must have exactly the keys of ``params``, each with its shape."""
    missing = [k for k in params if k not in grads]
    extra = [k for k in grads if k not in params]
    if missing or extra:
        raise ValueError(
            f"grads keys do not match params: missing {missing}, unexpected {extra}; "
            f"expected exactly {list(params)}."
        )
    for key, param in params.items():
        if tuple(grads[key].shape) != tuple(param.shape):
            raise ValueError(
                f"grads[{key!r}] has shape {tuple(grads[key].shape)}, "
                f"but params[{key!r}] has shape {tuple(param.shape)}; they must match."
            )


def non_finite_loss_message(loss, step, learning_rate):
    """The message every backend's ``fit`` stops with when the loss is NaN or inf."""
    return (
        f"Loss is {loss} at step {step}: training stopped. "
        f"The learning rate there was {learning_rate:.6g}; "
        f"try one ten times smaller (learning_rate={learning_rate / 10:.6g})."
    )


class NonFiniteLossError(FloatingPointError):
    """Raised by ``fit`` when the loss turns NaN or infinite.

    ``step`` is where it happened and ``history`` the finite losses before it, so a
    caller (a learning-rate finder, say) can use the run up to that point.
    """

    def __init__(self, message, step=None, history=()):
        super().__init__(message)
        self.step, self.history = step, list(history)
