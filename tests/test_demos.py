"""The lab's claims are true statements: each demo in its fast mode, on the numbers it computed."""

import struct

import numpy as np
import pytest
from click.testing import CliRunner

from bench import tolerances
from bench.cli import main
from bench.demos import NAMES, deep_nets, module
from bench.demos import optimizers as optimizers_demo
from reference import gradcheck, mlp, model
from reference import optimizers as reference_optimizers

# The fast runs on the oracle; TensorFlow and JAX go through the CLI in tests/test_lessons.py.
BACKEND = "numpy"
GRADCHECK_TOLERANCE = tolerances.GRADCHECK
# Polyak and noisy SGD in float64 on the bowl, tf and jax against the oracle, 15 steps:
# a few roundings (measured ≤ 3.4e-15). Not longer: Polyak's step on the bowl amplifies
# a rounding about tenfold every few steps (jax, 50 steps: 7.9e-7).
PATH_TOLERANCE = 1e-12
PATH_STEPS = 15


@pytest.mark.parametrize("name", NAMES)
def test_every_claim_of_the_demo_holds(name):
    result = module(name).run(backend=BACKEND, seed=0, fast=True)
    failed = [claim for claim, holds in result.claims.items() if not holds]
    assert result.claims and not failed, failed
    assert result.rows


@pytest.mark.parametrize("name", ["update-rule", "exploding", "vanishing"])
@pytest.mark.parametrize("backend", ["tf", "jax"])
def test_claims_hold_on_the_other_backends(name, backend):
    result = module(name).run(backend=backend, seed=0, fast=True)
    assert all(result.claims.values()), result.claims


def test_the_convolution_claims_hold_in_jax():
    """Its TensorFlow run is LESSONS.md's command (tests/test_lessons.py), the default backend."""
    result = module("convolution").run(backend="jax", seed=0, fast=True)
    assert all(result.claims.values()), result.claims


def test_the_optimizers_demo_has_every_optimizer_gdkit_has():
    names = {name for name, _ in optimizers_demo.OPTIMIZERS.values()}
    assert names == set(reference_optimizers.NAMES + reference_optimizers.OPTAX_NAMES)
    assert set(optimizers_demo.DRAWN_OTHERS) <= set(optimizers_demo.OTHERS)


@pytest.mark.parametrize("label", list(optimizers_demo.OTHERS))
def test_each_optimizer_of_the_table_takes_its_first_steps(label):
    """The fast run draws only some; the full run's table has every one of these."""
    name, hyper = optimizers_demo.OTHERS[label]
    for landscape in optimizers_demo.LANDSCAPES:
        path = optimizers_demo.landscape_path(BACKEND, name, hyper, landscape, 3, seed=0)
        assert path.shape == (4, 2) and np.isfinite(path).all() and np.ptp(path[:, 0]) > 0


@pytest.mark.parametrize("name", ["polyak_sgd", "noisy_sgd"])
@pytest.mark.parametrize("backend", ["tf", "jax"])
def test_the_loss_and_noise_inputs_reach_every_backend_alike(name, backend):
    hyper = {"polyak_sgd": {}, "noisy_sgd": {"learning_rate": 1e-2}}[name]
    paths = [
        optimizers_demo.landscape_path(b, name, hyper, "ill-conditioned", PATH_STEPS, seed=0)
        for b in ("numpy", backend)
    ]
    assert np.ptp(paths[0][:, 0]) > 0.1  # it moves: the inputs are used
    np.testing.assert_allclose(paths[1], paths[0], rtol=0, atol=PATH_TOLERANCE)


def test_the_residual_nets_backward_walk_passes_gradcheck():
    rng = np.random.default_rng(0)
    params = mlp.init_params((5, 6, 6, 6, 3), seed=0)
    x, y = rng.normal(size=(8, 5)), rng.integers(3, size=8)
    _, grads = deep_nets.residual_loss_and_grads(params, x, y)
    error, where = gradcheck.gradcheck(
        lambda p: deep_nets.residual_loss_and_grads(p, x, y)[0], params, grads
    )
    assert error <= GRADCHECK_TOLERANCE, where


def test_the_batch_norm_net_is_a_model_that_passes_gradcheck():
    rng = np.random.default_rng(0)
    specs = deep_nets.batch_norm_specs(3, 6, 3)
    params, state = model.init_params(specs, (5,), seed=0)
    x, y = rng.normal(size=(8, 5)), rng.integers(3, size=8)
    _, grads, _ = model.loss_and_grads(specs, params, state, x, y)
    # Batch norm subtracts the batch mean, so a bias right before it cannot change the loss:
    # its gradient is 0 to rounding (relative error is meaningless there), and is checked so.
    before_batch_norm = [f"dense_{i}/bias" for i in (0, 3, 6)]
    assert max(np.abs(grads[name]).max() for name in before_batch_norm) < 1e-12
    checked = {k: params[k] for k in grads if k not in before_batch_norm}
    error, where = gradcheck.gradcheck(
        lambda p: model.loss_and_grads(specs, {**params, **p}, state, x, y)[0],
        checked,
        {k: grads[k] for k in checked},
    )
    assert error <= GRADCHECK_TOLERANCE, where


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_cli_writes_a_sensible_png(tmp_path, monkeypatch):
    monkeypatch.setenv("GDKIT_DEMO_FAST", "1")
    result = CliRunner().invoke(
        main, ["demo", "normalization", "--backend", "numpy", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "✓ standardised features need fewer steps" in result.output
    width, height = _png_size(tmp_path / "normalization.png")
    assert 600 <= width <= 3000 and 300 <= height <= 2000


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["demo", "vanishin"], "Did you mean 'vanishing'?"),
        (["demo"], "Name a demo"),
        (["demo", "exploding", "--backend", "torch"], "'torch' is not one of"),
        (["demo", "exploding", "--seed", "x"], "'x' is not a valid integer"),
        (["demo", "exploding", "--out", "/proc/gdkit"], "cannot make /proc/gdkit"),
    ],
)
def test_demo_user_mistakes_exit_2(args, fragment):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_mnist_without_the_keras_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    result = CliRunner().invoke(
        main, ["demo", "exploding", "--data", "mnist", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "gdkit never downloads" in result.output


def test_demo_list_names_every_demo():
    result = CliRunner().invoke(main, ["demo", "--list"])
    assert result.exit_code == 0
    assert all(name in result.output for name in NAMES)
