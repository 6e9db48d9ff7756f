"""``make_train_step(..., model=specs)``: a layer model trained through the one step factory.

Every backend and mode takes the oracle's steps (``reference.model.loss_and_grads`` then
the optimizer), moving statistics and dropout masks included; K fused steps equal K single
steps; the model's options are checked the same way in the three backends.
"""

import contextlib
import importlib

import numpy as np
import pytest

import jax_impl
from bench import tolerances
from bench.metrics import max_relative_difference
from reference import model, optimizers

# Conv → ReLU → batch norm: no bias sits right before batch norm (its gradient would be
# rounding noise, and so would any relative difference in it).
SPECS = (
    ("conv2d", {"filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}),
    ("batch_normalization", {}),
    ("max_pooling2d", {"pool_size": 2}),
    ("flatten", {}),
    ("dropout", {"rate": 0.25}),
    ("dense", {"units": 3}),
)
INPUT_SHAPE, BATCH, STEPS = (6, 6, 1), 8, 4
MODEL_STEPS_TOLERANCE = tolerances.MODEL_STEPS
ADAM = {"learning_rate": 0.01}
STEP_MODES = [
    ("reference", "eager"),
    ("tf_impl", "eager"),
    ("tf_impl", "function"),
    ("tf_impl", "xla"),
    ("jax_impl", "jit"),
]


def problem():
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((STEPS, BATCH, *INPUT_SHAPE))
    ys = rng.integers(3, size=(STEPS, BATCH))
    masks = model.dropout_masks(SPECS, INPUT_SHAPE, BATCH, seed=1)
    return xs, ys, masks


def oracle_run():
    xs, ys, masks = problem()
    params, state = model.init_params(SPECS, INPUT_SHAPE, seed=0)
    optimizer = optimizers.get("adam", **ADAM)
    optimizer_state = optimizer.init(params)
    losses = []
    for x, y in zip(xs, ys, strict=True):
        loss, grads, state = model.loss_and_grads(SPECS, params, state, x, y, True, masks)
        params, optimizer_state = optimizer.update(grads, optimizer_state, params)
        losses.append(loss)
    return losses, params, state


def backend(package):
    training = importlib.import_module(f"{package}.training")
    backend_optimizers = importlib.import_module(f"{package}.optimizers")
    float64 = jax_impl.float64() if package == "jax_impl" else contextlib.nullcontext()
    return training, backend_optimizers, float64


def model_step(package, mode, steps_per_call=1):
    training, backend_optimizers, _ = backend(package)
    _, masks = problem()[1:]
    params, state = model.init_params(SPECS, INPUT_SHAPE, seed=0)
    return training.make_train_step(
        params,
        backend_optimizers.get("adam", **ADAM),
        mode=mode,
        steps_per_call=steps_per_call,
        model=SPECS,
        model_state=state,
        dropout_masks=masks,
    )


@pytest.mark.parametrize("package, mode", STEP_MODES, ids=[f"{p}-{m}" for p, m in STEP_MODES])
def test_a_model_step_takes_the_oracles_steps(package, mode):
    xs, ys, _ = problem()
    oracle_losses, oracle_params, oracle_state = oracle_run()
    with backend(package)[2]:
        step = model_step(package, mode)
        losses = [float(step(x, y)) for x, y in zip(xs, ys, strict=True)]
        weights, moving = step.weights(), step.model_state()
    assert np.allclose(losses, oracle_losses, rtol=MODEL_STEPS_TOLERANCE, atol=0)
    assert max_relative_difference(weights, oracle_params) <= MODEL_STEPS_TOLERANCE
    assert max_relative_difference(moving, oracle_state) <= MODEL_STEPS_TOLERANCE
    start = model.init_params(SPECS, INPUT_SHAPE, seed=0)
    assert max_relative_difference(moving, start[1]) > 0.01  # the moving statistics moved


@pytest.mark.parametrize("package, mode", STEP_MODES, ids=[f"{p}-{m}" for p, m in STEP_MODES])
def test_fused_model_steps_equal_single_steps(package, mode):
    xs, ys, _ = problem()
    with backend(package)[2]:
        single = model_step(package, mode)
        for x, y in zip(xs, ys, strict=True):
            single(x, y)
        fused = model_step(package, mode, steps_per_call=STEPS)
        fused(xs, ys)
        assert fused.trace_count == (1 if fused.compiled is not None else 0)
        assert max_relative_difference(fused.weights(), single.weights()) <= tolerances.SAME_PROGRAM
        assert (
            max_relative_difference(fused.model_state(), single.model_state())
            <= tolerances.SAME_PROGRAM
        )


BAD_MODEL_OPTIONS = [
    (
        {"model": SPECS[:2], "model_state": None},
        "model_state is None, but the model has batch normalization",
    ),
    ({"model": SPECS, "model_state": {}}, "dropout_masks is missing ['dropout_4']"),
    ({"model_state": {}}, "model_state and dropout_masks belong to a model"),
    ({"model": (("pooling", {}),)}, "layer kind"),
]


@pytest.mark.parametrize("package", ["reference", "tf_impl", "jax_impl"])
@pytest.mark.parametrize("options, message", BAD_MODEL_OPTIONS)
def test_bad_model_options_raise_the_same_error(package, options, message):
    training, backend_optimizers, _ = backend(package)
    params, _ = model.init_params(SPECS, INPUT_SHAPE, seed=0)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        training.make_train_step(params, backend_optimizers.get("sgd"), **options)


@pytest.mark.parametrize("package, mode", [("tf_impl", "mirrored"), ("jax_impl", "sharded")])
def test_a_model_in_a_data_parallel_mode_is_refused(package, mode):
    training, backend_optimizers, _ = backend(package)
    params, state = model.init_params(SPECS[:2], INPUT_SHAPE, seed=0)
    with pytest.raises(ValueError, match=f"not allowed with mode '{mode}'"):
        training.make_train_step(
            params, backend_optimizers.get("sgd"), mode=mode, model=SPECS[:2], model_state=state
        )
