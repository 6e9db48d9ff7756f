"""The lab's claims are true statements: each demo in its fast mode, on the numbers it computed."""

import struct

import numpy as np
import pytest
from click.testing import CliRunner

from bench.cli import main
from bench.demos import NAMES, deep_nets, module
from reference import gradcheck, mlp

# The fast runs on the oracle; TensorFlow and JAX go through the CLI in tests/test_lessons.py.
BACKEND = "numpy"


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


@pytest.mark.parametrize("kind", ["residual", "batchnorm"])
def test_the_deep_nets_backward_passes_pass_gradcheck(kind):
    rng = np.random.default_rng(0)
    params = mlp.init_params((5, 6, 6, 6, 3), seed=0)
    x, y = rng.normal(size=(8, 5)), rng.integers(3, size=8)
    _, grads = deep_nets.loss_and_grads(kind, params, x, y)
    if kind == "batchnorm":
        # Batch norm subtracts the batch mean, so a hidden bias cannot change the loss: its
        # gradient is exactly 0 (relative error is meaningless there), and is checked so.
        hidden_biases = [f"dense_{i}/bias" for i in range(3)]
        assert max(np.abs(grads[name]).max() for name in hidden_biases) < 1e-12
        grads = {k: v for k, v in grads.items() if k not in hidden_biases}
    checked = {k: params[k] for k in grads}
    error, where = gradcheck.gradcheck(
        lambda p: deep_nets.loss_and_grads(kind, {**params, **p}, x, y)[0], checked, grads
    )
    assert error <= 1e-7, where


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
