"""Input checks shared by the three backends, so that they fail identically.

Every check raises ``ValueError`` (a value out of range) or ``TypeError`` (a value
of the wrong kind) with one line that names the argument, what was given and
what is allowed. Checks run before anything is computed, so a failed call never
leaves a half-updated state behind.
"""

import difflib
import math
import numbers
from collections.abc import Mapping


def check_choice(kind, value, allowed):
    """``value`` must be one of ``allowed``; suggest the closest names if not."""
    if value in allowed:
        return
    hint = ""
    if isinstance(value, str):
        # cutoff 0.75: "adma" finds "adamax" (0.8) and "adam" (0.75), while "cosine_decy"
        # finds "cosine_decay" (0.96) alone, not "cosine_decay_restarts" (0.69).
        close = difflib.get_close_matches(value.lower(), list(allowed), n=3, cutoff=0.75)
        if value.lower() in allowed:  # "ADAM": the one name, not its neighbours too
            close = [value.lower()]
        if close:
            quoted = [repr(name) for name in close]
            names = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
            hint = f" Did you mean {names}?"
    raise ValueError(f"Unknown {kind} {value!r}.{hint} Valid names: {', '.join(allowed)}.")


def is_real(value):
    """A finite real number, and not a bool (``True`` is an int to Python, not to us)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def check_range(name, value, low=None, high=None, low_open=False, high_open=False):
    """``low <= value <= high`` (or ``<`` at an open end), and finite."""
    ok = is_real(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if ok:
        return
    left = "" if low is None else f"{low} {'<' if low_open else '<='} "
    right = "" if high is None else f" {'<' if high_open else '<='} {high}"
    raise ValueError(f"{name}={value!r} is not allowed: need {left}{name}{right}.")


def check_integer(name, value, low=None):
    """A whole number ``>= low``: an ``int``, or a float such as ``5.0`` that is one."""
    if is_real(value) and int(value) == value and (low is None or value >= low):
        return
    bound = "" if low is None else f" >= {low}"
    raise ValueError(f"{name}={value!r} is not allowed: need an integer{bound}.")


def check_bool(name, value):
    """``True`` or ``False``: a string such as ``"no"`` would count as true."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return
    raise TypeError(f"{name}={value!r} is not allowed: need True or False.")


def check_mapping(name, value, example="{'dense_0/kernel': ..., ...}"):
    """A dict keyed by parameter name, as ``init_params`` returns."""
    if isinstance(value, Mapping):
        return
    raise TypeError(
        f"{name} is a {type(value).__name__}: need a dict keyed by parameter name, like {example}."
    )


def check_float_dtype(name):
    """Weights need a floating dtype: Glorot draws and updates would truncate to integers."""
    if "float" not in name:
        raise TypeError(
            f"dtype={name} is not allowed: need a floating dtype "
            "(float16, bfloat16, float32 or float64)."
        )


def dtype_name(array):
    """``"float32"`` for a NumPy, JAX or TensorFlow array alike."""
    return getattr(array.dtype, "name", str(array.dtype))


def check_same_structure(grads, params, state=None):
    """``grads`` (and the optimizer ``state``) must match ``params`` key for key.

    Each gradient is an array of its parameter's shape, or ``None`` (what
    ``tape.gradient`` returns for a variable the loss does not reach: the optimizers
    leave that parameter as it is, as Keras does), but not every one ``None``; each
    parameter has a floating dtype, so that an update can keep it.
    """
    check_mapping("grads", grads)
    check_mapping("params", params)
    missing = [k for k in params if k not in grads]
    extra = [k for k in grads if k not in params]
    if missing or extra:
        raise ValueError(
            f"grads keys do not match params: missing {missing}, unexpected {extra}; "
            f"expected exactly {list(params)}."
        )
    for key, param in params.items():
        if "float" not in dtype_name(param):
            raise TypeError(
                f"params[{key!r}] has dtype {dtype_name(param)}: need a floating dtype "
                "(float16, bfloat16, float32 or float64)."
            )
        grad = grads[key]
        if grad is None:
            continue
        if not hasattr(grad, "shape"):
            raise TypeError(
                f"grads[{key!r}] is a {type(grad).__name__}: need an array of shape "
                f"{tuple(param.shape)}."
            )
        if tuple(grad.shape) != tuple(param.shape):
            raise ValueError(
                f"grads[{key!r}] has shape {tuple(grad.shape)}, "
                f"but params[{key!r}] has shape {tuple(param.shape)}; they must match."
            )
    if params and all(grads[key] is None for key in params):
        raise ValueError(
            f"Every gradient is None: the loss reaches none of params {list(params)}, "
            "so there is nothing to update (Keras: 'No gradients provided for any variable')."
        )
    if state is not None:
        check_state(state, params)


def check_state(state, params):
    """``state`` is what ``optimizer.init(params)`` returned for these very params."""
    if not isinstance(state, Mapping) or set(state) != {"step", "slots"}:
        raise TypeError(
            "state is not an optimizer state: pass what optimizer.init(params) returned "
            "(a dict with 'step' and 'slots')."
        )
    if set(state["slots"]) != set(params):
        raise ValueError(
            f"state holds slots for {list(state['slots'])} but params are {list(params)}: "
            "pass the state that optimizer.init returned for these params."
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
