"""Bad input gets the same one-line ValueError or TypeError from all three backends,
raised before anything changes.

Every case runs on NumPy, TensorFlow and JAX: the oracle's error is the expected
one, and each backend must raise the same type with the same message. The message
names the argument (or parameter key), what was given and what is allowed.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf

import jax_impl
from reference import data
from reference.errors import NonFiniteLossError
from tests.same_errors import assert_fails_like_the_oracle, raised

BACKENDS = ("numpy", "tf", "jax")
SIZES = (4, 5, 3)  # 4 features, 3 classes


def load(name):
    """A backend's modules, imported under their shared names."""
    if name == "numpy":
        from reference import mlp, optimizers, schedules, training
    elif name == "tf":
        from tf_impl import mlp, optimizers, schedules, training
    else:
        from jax_impl import mlp, optimizers, schedules, training
    return SimpleNamespace(
        name=name, mlp=mlp, optimizers=optimizers, schedules=schedules, training=training
    )


ORACLE = load("numpy")


@pytest.fixture(autouse=True)
def x64():
    with jax_impl.float64():
        yield


@pytest.fixture(params=BACKENDS)
def backend(request):
    return load(request.param)


def params_of(b, dtype=np.float64):
    return b.mlp.init_params(SIZES, seed=0, dtype=dtype)


def snapshot(tree):
    """A NumPy copy of params, or of an optimizer state, to compare with afterwards."""
    if isinstance(tree, dict):
        return {k: snapshot(v) for k, v in tree.items()}
    return np.array(tree)


def assert_unchanged(before, tree):
    if isinstance(before, dict):
        assert before.keys() == tree.keys()
        for key in before:
            assert_unchanged(before[key], tree[key])
    else:
        np.testing.assert_array_equal(np.array(tree), before)


X, Y = data.classification_problem(6, 4, 3, seed=1)

# Data. Each call takes a backend and must fail in loss_and_grads.
BAD_BATCHES = {
    "negative label": (X, np.array([-1, 1, 2, 0, 1, 2]), "label -1 at index 0"),
    "label = number of classes": (X, np.array([0, 1, 3, 0, 1, 2]), "label 3 at index 2"),
    "labels shaped (B, 1)": (X, Y[:, None], "y has shape (6, 1), one column"),
    "float labels": (X, Y.astype(np.float64), "need an integer dtype"),
    "targets of the wrong width": (X, np.zeros((6, 2)), "y has shape (6, 2)"),
    "labels of rank 3": (X, np.zeros((6, 3, 1)), "y has shape (6, 3, 1)"),
    "wrong feature count": (np.zeros((6, 5)), Y, "x has shape (6, 5): need (batch, 4)"),
    "x of rank 3": (X[None], Y, "x has shape (1, 6, 4)"),
    "x of rank 1": (X[0], Y[:1], "x has shape (4,)"),
    "empty batch": (np.zeros((0, 4)), np.zeros(0, np.int64), "the batch is empty"),
    "more labels than rows": (X[:5], Y, "y has 6 rows but x has 5"),
    "fewer labels than rows": (X, Y[:5], "y has 5 rows but x has 6"),
    "x of strings": (np.full((6, 4), "a"), Y, "x does not hold numbers"),
}


@pytest.mark.parametrize("case", BAD_BATCHES, ids=list(BAD_BATCHES))
def test_a_bad_batch_fails_like_the_oracle(backend, case):
    x, y, fragment = BAD_BATCHES[case]
    message = assert_fails_like_the_oracle(
        lambda b: b.mlp.loss_and_grads(params_of(b), x, y), backend, ORACLE
    )
    assert fragment in message


def test_the_issue_labels_no_longer_give_three_losses(backend):
    """y = [-1, 1, 1, 0, 1] gave 0.8916 (NumPy wraps −1), 0.6883 (TF, JAX drop the row)."""
    with pytest.raises(ValueError, match=r"y holds the label -1 at index 0: need 0 <= label < 3"):
        backend.mlp.loss_and_grads(params_of(backend), X[:5], np.array([-1, 1, 1, 0, 1]))


def test_forward_checks_x_too(backend):
    assert_fails_like_the_oracle(
        lambda b: b.mlp.forward(params_of(b), np.zeros((6, 5))), backend, ORACLE
    )


def test_a_compiled_tf_step_checks_shapes_while_tracing():
    """Inside ``tf.function`` shapes are known, values are not: the shape check still runs."""
    from tf_impl import mlp

    params = mlp.init_params(SIZES, dtype=tf.float64)
    step = tf.function(lambda x, y: mlp.loss_and_grads(params, x, y)[0])
    with pytest.raises(ValueError, match=r"x has shape \(1, 6, 4\)"):
        step(tf.constant(X[None]), tf.constant(Y))


def test_a_jitted_jax_step_checks_shapes_while_tracing():
    import jax

    from jax_impl import mlp

    params = mlp.init_params(SIZES, dtype=np.float64)
    step = jax.jit(lambda p, x, y: mlp.loss_and_grads(p, x, y)[0])
    with pytest.raises(ValueError, match=r"x has shape \(1, 6, 4\)"):
        step(params, X[None], Y)


# Gradients and updates: each case makes grads (or params, or state) bad in one way.
def _grads_like(params, value=1.0):
    return {k: np.full(tuple(v.shape), value) for k, v in params.items()}


def _every_grad_none(params, state):
    return dict.fromkeys(params), params, state


def _list_grads(params, state):
    return list(_grads_like(params).values()), params, state


def _list_params(params, state):
    return _grads_like(params), list(params.values()), state


def _list_grad_entry(params, state):
    grads = _grads_like(params)
    grads["dense_0/bias"] = [1.0] * 5
    return grads, params, state


def _state_of_other_params(params, state):
    other = dict(state, slots={k: v for k, v in state["slots"].items() if k != "dense_1/bias"})
    return _grads_like(params), params, other


def _not_a_state(params, state):
    return _grads_like(params), params, {"step": 0}


def _wrong_shape(params, state):
    grads = _grads_like(params)
    grads["dense_0/kernel"] = np.ones((5, 4))
    return grads, params, state


def _missing_key(params, state):
    grads = _grads_like(params)
    del grads["dense_0/bias"]
    return grads, params, state


BAD_UPDATES = {
    "every gradient None": (_every_grad_none, ValueError, "Every gradient is None"),
    "grads as a list": (_list_grads, TypeError, "grads is a list"),
    "params as a list": (_list_params, TypeError, "params is a list"),
    "a gradient as a list": (_list_grad_entry, TypeError, "grads['dense_0/bias'] is a list"),
    "state of other params": (_state_of_other_params, ValueError, "state holds slots for"),
    "not a state": (_not_a_state, TypeError, "state is not an optimizer state"),
    "gradient of the wrong shape": (_wrong_shape, ValueError, "grads['dense_0/kernel']"),
    "missing gradient": (_missing_key, ValueError, "missing ['dense_0/bias']"),
}


@pytest.mark.parametrize("case", BAD_UPDATES, ids=list(BAD_UPDATES))
def test_a_bad_update_fails_like_the_oracle_and_changes_nothing(backend, case):
    spoil, error, fragment = BAD_UPDATES[case]

    def call(b):
        optimizer = b.optimizers.get("adam")
        params = params_of(b)
        state = optimizer.init(params)
        before = snapshot(params), snapshot(state)
        grads, bad_params, bad_state = spoil(params, state)
        try:
            optimizer.update(grads, bad_state, bad_params)
        finally:
            assert_unchanged(before[0], params)
            assert_unchanged(before[1], state)

    message = assert_fails_like_the_oracle(call, backend, ORACLE)
    assert raised(lambda: call(backend))[0] is error
    assert fragment in message


def test_integer_params_are_refused(backend):
    def call(b):
        params = {"w": np.zeros(3, np.int64)}
        if b.name == "tf":
            params = {"w": tf.Variable(params["w"])}
        optimizer = b.optimizers.get("sgd")
        optimizer.update({"w": np.ones(3)}, optimizer.init(params), params)

    message = assert_fails_like_the_oracle(call, backend, ORACLE)
    assert "params['w'] has dtype int64: need a floating dtype" in message


def test_an_update_that_fails_part_way_changes_nothing(backend):
    """An error in the rule of the last tensor: no earlier tensor, slot or step moved."""

    class FailsOnTheLastBias(backend.optimizers.OPTIMIZERS["adam"]):
        def update_variable(self, grad, param, slots, lr, t):
            if tuple(param.shape) == (SIZES[-1],):
                raise FloatingPointError("planted failure")
            return super().update_variable(grad, param, slots, lr, t)

    optimizer = FailsOnTheLastBias()
    params = params_of(backend)
    state = optimizer.init(params)
    before = snapshot(params), snapshot(state)
    with pytest.raises(FloatingPointError, match="planted failure"):
        optimizer.update(_grads_like(params), state, params)
    assert_unchanged(before[0], params)
    assert_unchanged(before[1], state)


@pytest.mark.parametrize("grad_dtype", [np.float64, np.int64, np.float16])
@pytest.mark.parametrize("name", ["sgd", "adam", "adafactor", "muon", "nadam"])
def test_the_update_keeps_each_parameter_dtype(backend, name, grad_dtype):
    """float32 weights stay float32 whatever the gradients' dtype, as in Keras; all agree."""
    results = {}
    for b in (ORACLE, backend):
        optimizer = b.optimizers.get(name)
        params = params_of(b, np.float32)
        state = optimizer.init(params)
        grads = {k: np.full(tuple(v.shape), 3, grad_dtype) for k, v in params.items()}
        params, state = optimizer.update(grads, state, params)
        slots = [v for slots in state["slots"].values() for v in slots.values()]
        assert {np.array(v).dtype for v in [*params.values(), *slots]} == {np.dtype(np.float32)}
        results[b.name] = snapshot(params)
    for key, value in results["numpy"].items():
        # float32 arithmetic in two libraries: a few ulps (measured: 0.12 of this tolerance)
        np.testing.assert_allclose(results[backend.name][key], value, rtol=1e-6, atol=1e-7)


# Hyperparameters: refused in the constructor, which the twins inherit from the oracle.
BAD_HYPERPARAMETERS = {
    "ftrl learning_rate=0": ("ftrl", {"learning_rate": 0.0}, "learning_rate=0.0"),
    "ftrl beta<0": ("ftrl", {"beta": -1.0}, "beta=-1.0"),
    "muon rms_rate<0": ("muon", {"rms_rate": -0.2}, "rms_rate=-0.2"),
    "adafactor has no rms_rate": ("adafactor", {"rms_rate": 0.2}, "'rms_rate'"),
    "muon adam_lr_ratio<0": ("muon", {"adam_lr_ratio": -1.0}, "adam_lr_ratio=-1.0"),
    "muon adam_lr_ratio=nan": ("muon", {"adam_lr_ratio": math.nan}, "adam_lr_ratio=nan"),
    "muon muon_a=nan": ("muon", {"muon_a": math.nan}, "muon_a=nan"),
    "muon muon_c=inf": ("muon", {"muon_c": math.inf}, "muon_c=inf"),
    "muon ns_steps=2.5": ("muon", {"ns_steps": 2.5}, "ns_steps=2.5"),
    "muon ns_steps<0": ("muon", {"ns_steps": -1}, "ns_steps=-1"),
    "muon exclude_layers a string": ("muon", {"exclude_layers": "dense_1"}, "['dense_1']"),
    "muon exclude_layers not a regex": ("muon", {"exclude_layers": ["dense_("]}, "dense_("),
    "muon nesterov a string": ("muon", {"nesterov": "no"}, "nesterov='no'"),
    "sgd nesterov a string": ("sgd", {"momentum": 0.5, "nesterov": "yes"}, "nesterov='yes'"),
    "adam amsgrad None": ("adam", {"amsgrad": None}, "amsgrad=None"),
    "rmsprop centered 'False'": ("rmsprop", {"centered": "False"}, "centered='False'"),
    "adafactor relative_step 0": ("adafactor", {"relative_step": 0}, "relative_step=0"),
    "learning_rate a string": ("adam", {"learning_rate": "0.01"}, "learning_rate='0.01'"),
    "weight_decay<0": ("adamw", {"weight_decay": -0.1}, "weight_decay=-0.1"),
}


@pytest.mark.parametrize("case", BAD_HYPERPARAMETERS, ids=list(BAD_HYPERPARAMETERS))
def test_a_bad_hyperparameter_fails_like_the_oracle(backend, case):
    name, hyper, fragment = BAD_HYPERPARAMETERS[case]
    message = assert_fails_like_the_oracle(
        lambda b: b.optimizers.get(name, **hyper), backend, ORACLE
    )
    assert fragment in message


def test_the_schedule_arguments_are_named_like_the_optimizers(backend):
    message = assert_fails_like_the_oracle(
        lambda b: b.schedules.get("exponential_decay", initial_learning_rate=0.1, decay_step=10),
        backend,
        ORACLE,
    )
    assert "Unknown argument for exponential_decay 'decay_step'. Did you mean 'decay_steps'" in (
        message
    )
    message = assert_fails_like_the_oracle(
        lambda b: b.schedules.get("exponential_decay", initial_learning_rate=0.1), backend, ORACLE
    )
    assert message.startswith("exponential_decay needs decay_steps, decay_rate")


@pytest.mark.parametrize(
    "dtype, seed, fragment",
    [(np.int64, 0, "dtype=int64"), (np.float64, -1, "seed=-1"), (np.float64, 0.5, "seed=0.5")],
)
def test_bad_initial_weights_fail_like_the_oracle(backend, dtype, seed, fragment):
    message = assert_fails_like_the_oracle(
        lambda b: b.mlp.init_params(SIZES, seed=seed, dtype=dtype), backend, ORACLE
    )
    assert fragment in message


def test_muon_ns_steps_as_a_whole_float_is_an_integer(backend):
    assert backend.optimizers.get("muon", ns_steps=5.0).ns_steps == 5


# Schedules: their arguments, and the step they are called with.
BAD_SCHEDULES = {
    "unordered boundaries": (
        "piecewise_constant_decay",
        {"boundaries": [10, 5], "values": [0.1, 0.01, 0.001]},
        "strictly increasing",
    ),
    "negative piecewise value": (
        "piecewise_constant_decay",
        {"boundaries": [10], "values": [0.1, -0.01]},
        "values[1]=-0.01",
    ),
    "negative initial_learning_rate": (
        "exponential_decay",
        {"initial_learning_rate": -0.1, "decay_steps": 10, "decay_rate": 0.5},
        "initial_learning_rate=-0.1",
    ),
    "negative decay_rate": (
        "exponential_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": -0.5},
        "decay_rate=-0.5",
    ),
    "negative inverse-time decay_rate": (
        "inverse_time_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": -0.5},
        "decay_rate=-0.5",
    ),
    "t_mul=0": (
        "cosine_decay_restarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 0.0},
        "t_mul=0.0",
    ),
    "t_mul<0": (
        "cosine_decay_restarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": -2.0},
        "t_mul=-2.0",
    ),
    "m_mul<0": (
        "cosine_decay_restarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 10, "m_mul": -1.0},
        "m_mul=-1.0",
    ),
    "alpha>1": (
        "cosine_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "alpha": 1.5},
        "alpha=1.5",
    ),
    "negative warmup_target": (
        "cosine_decay",
        {"initial_learning_rate": 0.0, "decay_steps": 10, "warmup_target": -0.1},
        "warmup_target=-0.1",
    ),
    "negative power": (
        "polynomial_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "power": -1.0},
        "power=-1.0",
    ),
    "negative end_learning_rate": (
        "polynomial_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "end_learning_rate": -1.0},
        "end_learning_rate=-1.0",
    ),
    "staircase a string": (
        "exponential_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5, "staircase": "no"},
        "staircase='no'",
    ),
    "decay_steps=0": (
        "inverse_time_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5},
        "decay_steps=0",
    ),
}


@pytest.mark.parametrize("case", BAD_SCHEDULES, ids=list(BAD_SCHEDULES))
def test_a_bad_schedule_fails_like_the_oracle(backend, case):
    name, arguments, fragment = BAD_SCHEDULES[case]
    message = assert_fails_like_the_oracle(
        lambda b: b.schedules.get(name, **arguments), backend, ORACLE
    )
    assert fragment in message


WARMUP = {
    "initial_learning_rate": 0.0,
    "decay_steps": 100,
    "warmup_target": 0.1,
    "warmup_steps": 10,
}


@pytest.mark.parametrize("step", [-5, -0.5, math.nan], ids=["-5", "-0.5", "nan"])
def test_a_negative_step_fails_like_the_oracle(backend, step):
    """Cosine with warmup returned −0.35 at step −5."""
    message = assert_fails_like_the_oracle(
        lambda b: b.schedules.get("cosine_decay", **WARMUP)(step), backend, ORACLE
    )
    assert "need 0 <= step" in message


def test_a_negative_tensor_step_is_refused_eagerly():
    from jax import numpy as jnp

    from jax_impl import schedules as jax_schedules
    from tf_impl import schedules as tf_schedules

    with pytest.raises(ValueError, match="step=-5 is not allowed"):
        tf_schedules.get("cosine_decay", **WARMUP)(tf.constant(-5, tf.int64))
    with pytest.raises(ValueError, match="step=-5 is not allowed"):
        jax_schedules.get("cosine_decay", **WARMUP)(jnp.asarray(-5))


@pytest.mark.parametrize("step", [12345678.9, 0.1, 3.7])
def test_a_python_float_step_is_not_rounded_through_float32(backend, step):
    """TF's tf.cast of a Python float goes through float32: 0.010492 instead of 0.010589."""
    arguments = {"initial_learning_rate": 0.1, "first_decay_steps": 1000, "t_mul": 1.0}
    got = float(backend.schedules.get("cosine_decay_restarts", **arguments)(step))
    expected = ORACLE.schedules.get("cosine_decay_restarts", **arguments)(step)
    # float64 in every backend (measured: equal; the float32 round trip was 6e-4 off)
    assert got == pytest.approx(expected, rel=1e-12)


# fit: everything is checked before the first step.
def _fit(b, x=X, y=Y, optimizer=None, **options):
    optimizer = optimizer or b.optimizers.get("sgd")
    return b.training.fit(params_of(b), x, y, optimizer, **options)


NAN_X = X.copy()
NAN_X[3, 1] = np.nan

BAD_FITS = {
    "NaN in x": ({"x": NAN_X}, "x holds nan at index (3, 1)"),
    "inf in one-hot y": ({"y": np.where(np.eye(3)[Y] > 0, np.inf, 0.0)}, "y holds inf"),
    "longer y": ({"y": np.concatenate([Y, Y])}, "x has 6 examples but y has 12"),
    "shorter y": ({"y": Y[:4]}, "x has 6 examples but y has 4"),
    "empty data set": ({"x": X[:0], "y": Y[:0]}, "the data set is empty"),
    "epochs=1.5": ({"epochs": 1.5}, "epochs=1.5"),
    "epochs=0": ({"epochs": 0}, "epochs=0"),
    "batch_size=2.5": ({"batch_size": 2.5}, "batch_size=2.5"),
    "batch_size=0": ({"batch_size": 0}, "batch_size=0"),
    "seed=-1": ({"seed": -1}, "seed=-1"),
    "activation='rleu'": ({"activation": "rleu"}, "Did you mean 'relu'?"),
    "loss='mse'": ({"loss": "mse"}, "Unknown loss 'mse'"),
    "label out of range": ({"y": np.where(Y == 2, 7, Y)}, "label 7"),
    "labels shaped (B, 1)": ({"y": Y[:, None]}, "one column"),
    "optimizer as a name": ({"optimizer": "sgd"}, "optimizer='sgd' is not an optimizer"),
}


@pytest.mark.parametrize("case", BAD_FITS, ids=list(BAD_FITS))
def test_a_bad_fit_fails_like_the_oracle_before_the_first_step(backend, case):
    options, fragment = BAD_FITS[case]
    message = assert_fails_like_the_oracle(lambda b: _fit(b, **options), backend, ORACLE)
    assert fragment in message


@pytest.mark.parametrize(
    "names, fragment",
    [({"activation": "rleu"}, "Did you mean 'relu'?"), ({"loss": "mse"}, "Unknown loss 'mse'")],
)
def test_make_train_step_checks_names_before_tracing(backend, names, fragment):
    """TF used to answer with many lines of graph context from inside the trace."""
    message = assert_fails_like_the_oracle(
        lambda b: b.training.make_train_step(params_of(b), b.optimizers.get("sgd"), **names),
        backend,
        ORACLE,
    )
    assert fragment in message


def test_a_failed_tf_fit_leaves_the_variables_untouched():
    from tf_impl import mlp, optimizers, training

    params = mlp.init_params(SIZES, dtype=tf.float64)
    before = snapshot(params)
    with pytest.raises(ValueError):
        training.fit(params, NAN_X, Y, optimizers.get("sgd"), batch_size=2)
    assert_unchanged(before, params)


def test_nan_in_x_is_not_blamed_on_the_learning_rate(backend):
    with pytest.raises(ValueError) as error:
        _fit(backend, x=NAN_X)
    assert not isinstance(error.value, NonFiniteLossError)
    assert "learning rate" not in str(error.value)
