"""A gradient of ``None`` (a parameter the loss does not reach), handled as Keras handles it.

Keras 3.15 skips such a variable (docs/conventions.md §2.10): it keeps its value and its
slots, gets no weight decay, and is left out of the global clip norm, while the step
count advances and the moving average moves for every variable. Over 24 float64 steps
of a small problem where "u" has no gradient every third step and "b" never has one:
the oracle against ``keras.optimizers``, and tf_impl (``tf.function``) and jax_impl
(``jax.jit``) against the oracle.
"""

import warnings

import numpy as np
import pytest

from bench import tolerances
from bench.metrics import worst_difference
from reference import optimizers as reference_optimizers

# Both libraries warn on every step with a None gradient; test_each_backend_warns reads it.
pytestmark = [
    pytest.mark.filterwarnings("ignore:grads of .* are None"),
    pytest.mark.filterwarnings("ignore:Gradients do not exist"),
]

START = {
    "w": np.array([1.0, -2.0, 0.5]),
    "u": np.array([[0.25, -0.75], [1.5, 0.5]]),
    "b": np.array([0.3, -0.1]),
}
TARGET = {"w": np.array([0.5, 0.5, -1.0]), "u": np.array([[1.0, 0.0], [-1.0, 2.0]]), "b": 0.0}
STEPS = 24

# Hyperparameters float32 holds exactly, so Keras's float32 casts change nothing
# (docs/conventions.md §2.2); Nadam's own 0.96 is cast whatever we choose.
CASES = {
    "sgd-momentum": ("sgd", {"learning_rate": 0.25, "momentum": 0.5}),
    "adam": ("adam", {"learning_rate": 0.125, "beta_1": 0.75, "beta_2": 0.875}),
    "adamw-global-clipnorm": (
        "adamw",
        {
            "learning_rate": 0.125,
            "beta_1": 0.75,
            "beta_2": 0.875,
            "weight_decay": 0.0625,
            "global_clipnorm": 1.0,
        },
    ),
    "sgd-ema": (
        "sgd",
        {
            "learning_rate": 0.25,
            "momentum": 0.5,
            "use_ema": True,
            "ema_momentum": 0.75,
            "ema_overwrite_frequency": 5,
        },
    ),
    "adam-accumulation": (
        "adam",
        {"learning_rate": 0.125, "beta_1": 0.75, "beta_2": 0.875, "gradient_accumulation_steps": 2},
    ),
    "nadam": ("nadam", {"learning_rate": 0.125, "beta_1": 0.75, "beta_2": 0.875}),
}
# What Keras's float32 0.96 leaves in the Nadam comparison (bench/tolerances.py).
KERAS_TOLERANCE = {"nadam": tolerances.NADAM_096}


def gradients(params, step):
    """∇ of c_k · ½‖θ − target‖², c_k = 0.5 + 0.25 (k mod 4), at the caller's own weights;
    None for "u" every third step and for "b" always."""
    scale = 0.5 + 0.25 * (step % 4)
    grads = {name: scale * (np.asarray(value) - TARGET[name]) for name, value in params.items()}
    if step % 3 == 1:
        grads["u"] = None
    grads["b"] = None
    return grads


def oracle_run(case_id, optimizer=None):
    name, hyper = CASES[case_id]
    optimizer = optimizer or reference_optimizers.get(name, **hyper)
    params = {key: value.copy() for key, value in START.items()}
    state = optimizer.init(params)
    trajectory = []
    for step in range(STEPS):
        params, state = optimizer.update(gradients(params, step), state, params)
        trajectory.append(params)
    return trajectory


def keras_run(case_id):
    import keras

    from bench.keras_bridge import floatx, keras_optimizer

    name, hyper = CASES[case_id]
    trajectory = []
    with floatx("float64"):
        variables = {key: keras.Variable(value, name=key) for key, value in START.items()}
        optimizer = keras_optimizer(name, hyper)
        for step in range(STEPS):
            grads = gradients({key: v.numpy() for key, v in variables.items()}, step)
            optimizer.apply(list(grads.values()), list(variables.values()))
            trajectory.append({key: v.numpy() for key, v in variables.items()})
    return trajectory


def tf_run(case_id):
    import tensorflow as tf

    from tf_impl import optimizers

    name, hyper = CASES[case_id]
    optimizer = optimizers.get(name, **hyper)
    variables = {key: tf.Variable(value) for key, value in START.items()}
    state = optimizer.init(variables)
    update = tf.function(lambda grads: optimizer.update(grads, state, variables))
    trajectory = []
    for step in range(STEPS):
        grads = gradients({key: v.numpy() for key, v in variables.items()}, step)
        update({k: None if g is None else tf.constant(g) for k, g in grads.items()})
        trajectory.append({key: v.numpy() for key, v in variables.items()})
    return trajectory


def jax_run(case_id):
    import jax

    from jax_impl import optimizers

    name, hyper = CASES[case_id]
    trajectory = []
    with jax.enable_x64(True):
        optimizer = optimizers.get(name, **hyper)
        params = {key: jax.numpy.asarray(value) for key, value in START.items()}
        state = optimizer.init(params)
        update = jax.jit(optimizer.update)  # a None leaf is an empty node of the pytree
        for step in range(STEPS):
            grads = gradients({key: np.asarray(v) for key, v in params.items()}, step)
            params, state = update(grads, state, params)
            trajectory.append({key: np.asarray(v) for key, v in params.items()})
    return trajectory


SUBJECTS = {"keras": keras_run, "tf_impl": tf_run, "jax_impl": jax_run}


@pytest.mark.parametrize("subject", list(SUBJECTS))
@pytest.mark.parametrize("case_id", list(CASES))
def test_none_gradients_match_the_oracle_float64_24_steps(case_id, subject):
    tolerance = tolerances.FLOAT64
    if subject == "keras":
        tolerance = KERAS_TOLERANCE.get(CASES[case_id][0], tolerance)
    got = SUBJECTS[subject](case_id)
    difference = worst_difference(got, oracle_run(case_id), (subject, "the oracle"))
    assert difference <= tolerance


class ZerosForNone:
    """The common mistake: a None gradient taken as zeros, so momentum and moments move."""

    def update(self, grads, state, params, **inputs):
        grads = {k: np.zeros_like(params[k]) if g is None else g for k, g in grads.items()}
        return super().update(grads, state, params, **inputs)


class DecayedAnyway:
    """The skipped parameter still gets the decoupled weight decay."""

    def without_gradient(self, step, param, slots, t):
        return self.decay_weights(param, slots, self.learning_rate), slots


class FrozenAverage:
    """The skipped parameter's moving average stays too (Keras moves every average)."""

    def update(self, grads, state, params, **inputs):
        new_params, new_state = super().update(grads, state, params, **inputs)
        for name in (k for k, g in grads.items() if g is None):
            new_params[name] = params[name]
            new_state["slots"][name]["average"] = state["slots"][name]["average"]
        return new_params, new_state


class KeptSum:
    """The skipped parameter keeps its accumulated sum over an update call."""

    def without_gradient(self, step, param, slots, t):
        return param, slots


class StoppedProduct:
    """Nadam's Π stops for a skipped tensor (Keras keeps one Π for all, moved every update)."""

    def slots_without_gradient(self, slots, t):
        return slots


PLANTED = {
    "zeros-sgd-momentum": ("sgd-momentum", ZerosForNone),
    "zeros-adam": ("adam", ZerosForNone),
    "zeros-adam-accumulation": ("adam-accumulation", ZerosForNone),
    "decayed-anyway": ("adamw-global-clipnorm", DecayedAnyway),
    "frozen-average": ("sgd-ema", FrozenAverage),
    "kept-sum": ("adam-accumulation", KeptSum),
    "stopped-product": ("nadam", StoppedProduct),
}


@pytest.mark.parametrize("planted", list(PLANTED))
def test_each_planted_mistake_parts_from_keras(planted):
    """Each part of the rule matters on these cases: an oracle with one part wrong parts
    from Keras by more than 1000 times the tolerance the right one meets (measured: 0.008,
    the kept sum, to 0.47, the frozen average)."""
    case_id, mistake = PLANTED[planted]
    name, hyper = CASES[case_id]
    wrong = type(planted, (mistake, reference_optimizers.OPTIMIZERS[name]), {})(**hyper)
    difference = worst_difference(keras_run(case_id), oracle_run(case_id, wrong))
    assert difference > 1e3 * KERAS_TOLERANCE.get(name, tolerances.FLOAT64)


def _backends():
    import jax

    from jax_impl import optimizers as jax_optimizers
    from tf_impl import optimizers as tf_optimizers

    return {  # each backend's module, and how it holds parameters
        "reference": (reference_optimizers, lambda p: p),
        "tf_impl": (tf_optimizers, lambda p: {k: _tf_variable(v) for k, v in p.items()}),
        "jax_impl": (jax_optimizers, lambda p: jax.tree.map(jax.numpy.asarray, p)),
    }


def _tf_variable(value):
    import tensorflow as tf

    return tf.Variable(value)


@pytest.mark.parametrize("backend", ["reference", "tf_impl", "jax_impl"])
def test_the_skipped_parameter_and_its_slots_stay_as_they_are(backend):
    """AdamW with EMA, one step where "u" has no gradient: u and its m, v unchanged, no
    decay, the step count advanced, and u's moving average moved toward u (a₁ = θ₁)."""
    import jax

    module, wrap = _backends()[backend]
    with jax.enable_x64(True):
        optimizer = module.get(
            "adamw", learning_rate=0.125, weight_decay=0.0625, use_ema=True, ema_momentum=0.5
        )
        params = wrap({key: value.copy() for key, value in START.items()})
        state = optimizer.init(params)
        grads = {"w": np.ones(3), "u": None, "b": np.ones(2)}
        params, state = optimizer.update(grads, state, params)
        u_slots = {slot: np.asarray(value) for slot, value in state["slots"]["u"].items()}
        np.testing.assert_array_equal(np.asarray(params["u"]), START["u"])
        np.testing.assert_array_equal(u_slots["momentum"], 0)
        np.testing.assert_array_equal(u_slots["velocity"], 0)
        np.testing.assert_array_equal(u_slots["average"], START["u"])
        assert int(state["step"]) == 1
        assert not np.allclose(np.asarray(params["w"]), START["w"])


@pytest.mark.parametrize("name", reference_optimizers.NAMES + reference_optimizers.OPTAX_NAMES)
def test_every_optimizer_leaves_the_skipped_parameter(name):
    """The rule is the base class's, so every optimizer, optax's too, inherits it; noisy SGD
    takes its noise for every parameter and uses the given ones'."""
    optimizer = reference_optimizers.get(name)
    params = {key: value.copy() for key, value in START.items()}
    state = optimizer.init(params)
    grads = {"w": np.ones(3), "u": None, "b": np.ones(2)}
    noise = {key: np.full(value.shape, 0.5) for key, value in START.items()}
    for _ in range(2):
        params, state = optimizer.update(grads, state, params, loss=1.0, noise=noise)
    np.testing.assert_array_equal(params["u"], START["u"])
    for slot, value in optimizer.init(START)["slots"]["u"].items():
        if slot != "mu_product":  # Nadam's Π moves (docs/conventions.md §2.10)
            np.testing.assert_array_equal(state["slots"]["u"][slot], value)
    assert not np.array_equal(params["w"], START["w"])


@pytest.mark.parametrize("backend", ["reference", "tf_impl", "jax_impl"])
def test_each_backend_warns_naming_the_parameters(backend):
    import jax

    module, wrap = _backends()[backend]
    with jax.enable_x64(True):
        optimizer = module.get("sgd")
        params = wrap({key: value.copy() for key, value in START.items()})
        grads = {"w": None, "u": np.ones((2, 2)), "b": None}
        with pytest.warns(UserWarning, match=r"grads of \['w', 'b'\] are None"):
            optimizer.update(grads, optimizer.init(params), params)


def test_keras_warns_and_refuses_as_the_conventions_say():
    """The facts docs/conventions.md §2.10 reports, read again from Keras."""
    import keras

    from bench.keras_bridge import floatx

    with floatx("float64"):
        w, u = keras.Variable(np.ones(3), name="w"), keras.Variable(np.ones(2), name="u")
        optimizer = keras.optimizers.SGD(0.25)
        with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['u'\]"):
            optimizer.apply([np.ones(3), None], [w, u])
        assert int(optimizer.iterations.numpy()) == 1
        with pytest.raises(ValueError, match="No gradients provided for any variable"):
            optimizer.apply([None, None], [w, u])
        assert int(optimizer.iterations.numpy()) == 1


def test_every_gradient_none_is_refused_before_anything_changes():
    params = {key: value.copy() for key, value in START.items()}
    optimizer = reference_optimizers.get("adam")
    state = optimizer.init(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before any warning
        with pytest.raises(ValueError, match=r"Every gradient is None: .*\['w', 'u', 'b'\]"):
            optimizer.update(dict.fromkeys(params), state, params)
    assert state["step"] == 0
