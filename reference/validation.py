"""Checks of the data a user passes in, shared by the three backends.

Each backend's ``mlp.loss_and_grads`` calls ``check_batch``, and each backend's
``fit`` calls ``check_fit`` once, before anything is computed, so the three refuse
the same input with the same message. Shapes are checked always: they are known
even while a compiled step is being traced. Values (labels in range, finite
features) need concrete arrays: ``loss_and_grads`` checks labels whenever its
inputs are concrete (not inside ``tf.function`` or ``jax.jit``), and ``fit`` checks
the whole data set once.
"""

import numpy as np

from reference import activations, losses
from reference.errors import check_choice, check_integer, check_mapping, dtype_name


def mlp_sizes(params):
    """``(features, classes)``: the MLP's input width and number of outputs."""
    check_mapping("params", params)
    last = len(params) // 2 - 1
    return int(params["dense_0/kernel"].shape[0]), int(params[f"dense_{last}/kernel"].shape[-1])


def as_array(value):
    """Arrays (NumPy, JAX, TensorFlow) as they are; a list becomes a NumPy array."""
    return value if hasattr(value, "shape") and hasattr(value, "dtype") else np.asarray(value)


def _is_number(name):
    return any(kind in name for kind in ("float", "int", "bool"))


def _is_integer(name):
    return "int" in name


def check_batch(x, y, num_features, num_classes):
    """x is (B, F) numbers with B ≥ 1; y is integer labels (B,) or targets (B, K).

    ``y=None`` checks x alone. A dimension that is not known yet (``None``: the batch
    of a step that ``tf.function`` traces) is not checked.
    """
    x_shape = tuple(x.shape)
    if not _is_number(dtype_name(x)):
        raise TypeError("x does not hold numbers: need float or integer features.")
    if len(x_shape) != 2 or x_shape[1] not in (None, num_features):
        raise ValueError(
            f"x has shape {x_shape}: need (batch, {num_features}), one row of "
            f"{num_features} features per example, as the first layer expects."
        )
    batch = x_shape[0]
    if batch == 0:
        raise ValueError(f"x has shape {x_shape}: the batch is empty; need at least one example.")
    if y is None:
        return
    y_shape = tuple(y.shape)
    wanted = f"integer labels of shape ({batch},) or targets of shape ({batch}, {num_classes})"
    if len(y_shape) not in (1, 2):
        raise ValueError(f"y has shape {y_shape}: need {wanted}.")
    if None not in (batch, y_shape[0]) and y_shape[0] != batch:
        raise ValueError(
            f"y has {y_shape[0]} rows but x has {batch}: need one label per example, {wanted}."
        )
    if len(y_shape) == 2 and y_shape[1] == 1 and num_classes > 1:
        raise ValueError(
            f"y has shape {y_shape}, one column, but the model has {num_classes} outputs: "
            f"give integer labels as shape ({batch},) (y.ravel()), or targets of shape "
            f"({batch}, {num_classes})."
        )
    if len(y_shape) == 2 and y_shape[1] != num_classes:
        raise ValueError(f"y has shape {y_shape}: need {wanted}.")
    if not _is_number(dtype_name(y)):
        raise TypeError("y does not hold numbers: need integer labels or float targets.")
    if len(y_shape) == 1 and not _is_integer(dtype_name(y)):
        raise TypeError(
            f"y has dtype {dtype_name(y)} and shape {y_shape}: labels of shape (batch,) are "
            f"class indices and need an integer dtype; or give targets of shape "
            f"(batch, {num_classes})."
        )


def check_labels(y, num_classes):
    """Integer labels lie in 0 ≤ label < K (``y`` concrete; targets of shape (B, K) pass)."""
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        return
    outside = np.flatnonzero((y < 0) | (y >= num_classes))
    if outside.size:
        index = int(outside[0])
        raise ValueError(
            f"y holds the label {y[index]} at index {index}: need 0 <= label < {num_classes}, "
            f"one class per output of the model ({outside.size} of {y.size} labels are not)."
        )


def check_finite(name, values):
    """No NaN or infinity in the data, so that a NaN loss can only come from training."""
    values = np.asarray(values)
    if values.dtype.kind != "f":
        return
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        where = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{name} holds {values[where]} at index {where[0] if len(where) == 1 else where}: "
            f"need finite numbers ({len(bad)} entries are NaN or infinite)."
        )


def check_fit(params, x, y, optimizer, batch_size, epochs, seed, activation, loss):
    """Everything ``fit`` is given, before the first step: data, sizes, loop settings."""
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update")):
        raise TypeError(
            f"optimizer={optimizer!r} is not an optimizer: build one with "
            "optimizers.get(name, **hyperparameters)."
        )
    num_features, num_classes = mlp_sizes(params)
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim >= 1 and y.ndim >= 1 and len(x) != len(y):
        raise ValueError(f"x has {len(x)} examples but y has {len(y)}: need one label per example.")
    if x.ndim >= 1 and len(x) == 0:
        raise ValueError(
            f"x has shape {x.shape}: the data set is empty; need at least one example."
        )
    check_batch(x, y, num_features, num_classes)
    check_labels(y, num_classes)
    check_finite("x", x)
    check_finite("y", y)
    if batch_size is not None:
        check_integer("batch_size", batch_size, low=1)
    check_integer("epochs", epochs, low=1)
    if seed is not None:
        check_integer("seed", seed, low=0)
    check_names(activation, loss)


def check_names(activation, loss):
    """Known activation and loss names, checked before a step is traced: a name error
    raised while ``tf.function`` traces comes wrapped in many lines of graph context."""
    check_choice("activation", activation, activations.NAMES)
    check_choice("loss", loss, losses.NAMES)
