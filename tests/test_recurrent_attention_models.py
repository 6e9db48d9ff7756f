"""The sequence presets (Embedding → LSTM / GRU / SimpleRNN → Dense, and a one-block
Transformer encoder) gradchecked, against a Keras model with the same weights, the twins
against the oracle, and 30 Adam steps in every backend on the synthetic first-token task."""

import functools

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import tensorflow as tf

import jax_impl
from bench import tolerances
from jax_impl import model as jax_model
from jax_impl import optimizers as jax_optimizers
from reference import losses, model, model_sequences, optimizers
from reference.gradcheck import gradcheck
from tests.keras_sequence_models import keras_parameter_order, keras_sequence_model
from tests.layer_cases import max_relative_difference
from tests.sequence_cases import truncated_after_one_step
from tf_impl import model as tf_model
from tf_impl import optimizers as tf_optimizers

GRADCHECK_TOLERANCE = tolerances.SEQUENCE_MODEL_GRADCHECK
FLOAT64_TOLERANCE = tolerances.SEQUENCE_MODEL_FLOAT64
ZERO_GRADIENT = tolerances.SEQUENCE_ZERO_GRADIENT
TRAJECTORY_TOLERANCE = tolerances.SEQUENCE_TRAJECTORY
ADAM = {"learning_rate": 2.0**-6, "beta_1": 0.875, "beta_2": 1 - 2.0**-10, "epsilon": 2.0**-20}
BATCH, STEPS = 8, 30
NAMES = model_sequences.NAMES


def start(name):
    input_shape, specs = model_sequences.PRESETS[name]
    params, state = model.init_params(specs, input_shape, seed=0)
    return specs, input_shape, params, state


def perturbed(params, seed=3):
    """A point away from the initialisation for the gradient checks: at init the embeddings
    are U(±0.05), so many gradients are ~1e-6 of the largest and the check measures only
    its own rounding. Embeddings × 20, every other weight + N(0, 0.1²)."""
    rng = np.random.default_rng(seed)
    return {
        key: value * 20
        if key.endswith("/embeddings")
        else value + 0.1 * rng.standard_normal(value.shape)
        for key, value in params.items()
    }


def zero_gradient_keys(params):
    return [key for key in params if key.endswith("/key/bias")]


def check_gradients(grads, expected, tolerance=FLOAT64_TOLERANCE, zero_tolerance=ZERO_GRADIENT):
    zero = zero_gradient_keys(expected)
    for key, value in expected.items():
        if key in zero:
            assert np.abs(np.asarray(grads[key]) - value).max() <= zero_tolerance, key
        else:
            assert max_relative_difference(grads[key], value) <= tolerance, key


def preset_gradcheck(name, length=model_sequences.SEQUENCE_LENGTH):
    specs, _, params, state = start(name)
    params = perturbed(params)
    x, y = model_sequences.first_token_task(4, length, seed=1)
    _, grads, _ = model.loss_and_grads(specs, params, state, x, y)

    def loss(shifted):  # the differences in extended precision, as the layer checks
        extended = {k: np.asarray(v, np.longdouble) for k, v in {**params, **shifted}.items()}
        logits, _ = model.forward(specs, extended, state, x)
        return losses.softmax_cross_entropy(logits, y)[0]

    zero = zero_gradient_keys(params)
    checked = {key: value for key, value in params.items() if key not in zero}
    return gradcheck(loss, checked, grads, 6, h=1e-6), [grads[key] for key in zero]


GRADCHECK_CASES = [  # the recurrent presets take any length; the Transformer's is fixed
    (name, length)
    for name in NAMES
    for length in ((1, 2, 10) if name != "transformer_encoder" else (10,))
]


@pytest.mark.parametrize("name, length", GRADCHECK_CASES)
def test_sequence_preset_backward_matches_finite_differences(name, length):
    (error, where), zero_grads = preset_gradcheck(name, length)
    assert error <= GRADCHECK_TOLERANCE, (error, where)
    for grad in zero_grads:
        assert np.abs(grad).max() <= ZERO_GRADIENT


def test_gradcheck_flags_a_preset_with_truncated_backpropagation_through_time(monkeypatch):
    from reference.layers import recurrent

    monkeypatch.setitem(
        model.BACKWARD, "lstm", truncated_after_one_step(recurrent.lstm_backward, 5)
    )
    (error, _), _ = preset_gradcheck("lstm_classifier")
    assert error > 1e-2


def keras_loss_and_grads(keras_model, specs, x, y):
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    with tf.GradientTape() as tape:
        logits = keras_model(tf.constant(x), training=True)
        loss = cross_entropy(y, logits)
    grads = tape.gradient(loss, keras_model.trainable_variables)
    names = keras_parameter_order(specs, keras_model)
    return (
        logits.numpy(),
        float(loss),
        {k: tf.convert_to_tensor(g).numpy() for k, g in zip(names, grads, strict=True)},
    )


@pytest.mark.parametrize("name", NAMES)
def test_sequence_preset_matches_keras_with_the_same_weights(name):
    specs, input_shape, params, state = start(name)
    params = perturbed(params)
    x, y = model_sequences.first_token_task(BATCH, seed=1)
    logits, _ = model.forward(specs, params, state, x)
    loss, grads, _ = model.loss_and_grads(specs, params, state, x, y)
    keras_model = keras_sequence_model(specs, input_shape, params)
    keras_logits, keras_loss, keras_grads = keras_loss_and_grads(keras_model, specs, x, y)
    assert max_relative_difference(logits, keras_logits) <= FLOAT64_TOLERANCE
    assert abs(loss - keras_loss) <= FLOAT64_TOLERANCE * abs(keras_loss)
    assert set(keras_grads) == set(grads)
    check_gradients(keras_grads, grads)


def twin_loss_and_grads(backend, specs, params, state, x, y):
    if backend == "tf":
        tf_params = {k: tf.Variable(v) for k, v in params.items()}
        loss, grads, _ = tf_model.loss_and_grads(specs, tf_params, state, tf.constant(x), y)
    else:
        with jax_impl.float64():
            loss, grads, _ = jax.jit(lambda p, x: jax_model.loss_and_grads(specs, p, state, x, y))(
                {k: jnp.asarray(v) for k, v in params.items()}, jnp.asarray(x)
            )
    return float(loss), {
        k: np.asarray(tf.convert_to_tensor(v) if backend == "tf" else v) for k, v in grads.items()
    }


@pytest.mark.parametrize(
    "name, backend",
    [(name, "tf") for name in NAMES]
    + [
        (name, "jax")
        if name == "lstm_classifier"
        else pytest.param(name, "jax", marks=pytest.mark.slow)
        for name in NAMES
    ],
)
def test_twin_sequence_preset_matches_oracle_float64(name, backend):
    specs, _, params, state = start(name)
    params = perturbed(params)
    x, y = model_sequences.first_token_task(BATCH, seed=1)
    loss, grads, _ = model.loss_and_grads(specs, params, state, x, y)
    twin_loss, twin_grads = twin_loss_and_grads(backend, specs, params, state, x, y)
    assert abs(twin_loss - loss) <= FLOAT64_TOLERANCE * abs(loss)
    check_gradients(twin_grads, grads)


# --- 30 Adam steps of each preset in every backend --------------------------------------


@functools.cache
def batches():
    x, y = model_sequences.first_token_task(STEPS * BATCH, seed=0)
    return [(x[i * BATCH : (i + 1) * BATCH], y[i * BATCH : (i + 1) * BATCH]) for i in range(STEPS)]


@functools.cache
def oracle_trajectory(name):
    specs, _, params, state = start(name)
    optimizer = optimizers.get("adam", **ADAM)
    optimizer_state = optimizer.init(params)
    trajectory = []
    for x, y in batches():
        loss, grads, state = model.loss_and_grads(specs, params, state, x, y)
        params, optimizer_state = optimizer.update(grads, optimizer_state, params)
        trajectory.append(loss)
    return np.array(trajectory), params


def tf_trajectory(name, mode):
    specs, input_shape, _, _ = start(name)
    params, state = tf_model.init_params(specs, input_shape, seed=0)
    optimizer = tf_optimizers.get("adam", **ADAM)
    optimizer_state = optimizer.init(params)

    def step(x, y):
        loss, grads, _ = tf_model.loss_and_grads(specs, params, state, x, y)
        optimizer.update(grads, optimizer_state, params)
        return loss

    if mode != "eager":
        step = tf.function(step, jit_compile=mode == "xla", autograph=False)
    trajectory = [float(step(tf.constant(x), tf.constant(y))) for x, y in batches()]
    return np.array(trajectory), {k: v.numpy() for k, v in params.items()}


def jax_trajectory(name):
    specs, input_shape, _, _ = start(name)
    optimizer = jax_optimizers.get("adam", **ADAM)

    @jax.jit
    def step(params, optimizer_state, x, y):
        loss, grads, _ = jax_model.loss_and_grads(specs, params, {}, x, y)
        params, optimizer_state = optimizer.update(grads, optimizer_state, params)
        return params, optimizer_state, loss

    with jax_impl.float64():
        params, _ = jax_model.init_params(specs, input_shape, seed=0)
        optimizer_state = optimizer.init(params)
        trajectory = []
        for x, y in batches():
            params, optimizer_state, loss = step(params, optimizer_state, x, y)
            trajectory.append(float(loss))
        return np.array(trajectory), {k: np.asarray(v) for k, v in params.items()}


def keras_trajectory(name):
    specs, input_shape, params, _ = start(name)
    keras_model = keras_sequence_model(specs, input_shape, params)
    optimizer = keras.optimizers.Adam(**ADAM)
    cross_entropy = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    trajectory = []
    for x, y in batches():
        with tf.GradientTape() as tape:
            loss = cross_entropy(y, keras_model(tf.constant(x), training=True))
        grads = tape.gradient(loss, keras_model.trainable_variables)
        # dense, as the oracle's: Keras's Adam treats an IndexedSlices gradient otherwise
        # (see test_keras_adam_squares_each_embedding_occurrence_separately)
        grads = [tf.convert_to_tensor(grad) for grad in grads]
        optimizer.apply(grads, keras_model.trainable_variables)
        trajectory.append(float(loss))
    names = keras_parameter_order(specs, keras_model)
    weights = {k: v.numpy() for k, v in zip(names, keras_model.trainable_variables, strict=True)}
    return np.array(trajectory), weights


TRAJECTORIES = {
    "tf-eager": lambda name: tf_trajectory(name, "eager"),
    "tf-function": lambda name: tf_trajectory(name, "function"),
    "tf-xla": lambda name: tf_trajectory(name, "xla"),
    "jax-jit": jax_trajectory,
    "keras": keras_trajectory,
}


QUICK_TRAJECTORIES = {("lstm_classifier", "tf-function"), ("transformer_encoder", "jax-jit")}


@pytest.mark.parametrize(
    "name, runner",
    [
        (name, runner)
        if (name, runner) in QUICK_TRAJECTORIES
        else pytest.param(name, runner, marks=pytest.mark.slow)
        for name in NAMES
        for runner in TRAJECTORIES
    ],
)
def test_sequence_preset_30_adam_steps_match_the_oracle(name, runner):
    trajectory, params = TRAJECTORIES[runner](name)
    oracle_losses, oracle_params = oracle_trajectory(name)
    assert oracle_losses[-5:].mean() < oracle_losses[:5].mean()  # it learns
    assert max_relative_difference(trajectory, oracle_losses) <= TRAJECTORY_TOLERANCE
    check_gradients(params, oracle_params, TRAJECTORY_TOLERANCE, TRAJECTORY_TOLERANCE)


def test_keras_adam_squares_each_embedding_occurrence_separately():
    """Measured: given an Embedding's gradient as tf.IndexedSlices (what GradientTape
    returns), Keras's Adam squares each occurrence's slice before adding them up, so a
    token seen twice in a batch gets v += (1 − β₂)(g₁² + g₂²) instead of (g₁ + g₂)². The
    oracle, and Keras given the dense gradient, use the gradient of the loss, (g₁ + g₂)².
    Over the LSTM preset's 30 steps the sparse path drifts 3.5e-2 from the dense one."""
    slices = tf.IndexedSlices(
        tf.constant([[1.0], [2.0]], tf.float64), tf.constant([0, 0]), tf.constant([3, 1])
    )
    velocities = []
    for gradient in (slices, tf.convert_to_tensor(slices)):
        variable = tf.Variable(tf.zeros((3, 1), tf.float64))
        optimizer = keras.optimizers.Adam(beta_2=0.999)
        optimizer.build([variable])
        optimizer.apply([gradient], [variable])
        (velocity,) = [v for v in optimizer.variables if "velocity" in v.path]
        velocities.append(velocity.numpy()[0, 0])
    np.testing.assert_allclose(velocities, [0.001 * (1 + 4), 0.001 * (1 + 2) ** 2], rtol=1e-12)
