"""``gdkit bench --model lstm`` and ``--model transformer``: their FLOPs by hand, and a tiny
run through the backends (the timings themselves are never asserted)."""

import json

import pytest
from click.testing import CliRunner

from bench import steps
from bench.cli import main


def test_lstm_flops_count_its_input_and_recurrent_matmuls():
    """(50, 16) → LSTM 128 → Dense 10: per example, 50 steps of x_t W (16 × 512) and
    h U (128 × 512); the first layer ×2 (no gradient for the data), the Dense ×3."""
    lstm = 50 * (16 + 128) * 4 * 128
    dense = 128 * 10
    by_hand = 2 * 2 * 8 * lstm + 3 * 2 * 8 * dense
    assert steps.Case("numpy", "cpu", "adam", 8, 64, model="lstm").flops_per_step == by_hand


def test_transformer_flops_count_projections_scores_and_the_head():
    """(50, 64): four projections 64 → 4·16, scores and weighted sum 50 × 50 × 64 per
    example, then Flatten (3200) → Dense 10; none is the first layer (positions are)."""
    attention = 4 * 50 * 64 * 64 + 2 * 50 * 50 * 64
    dense = 50 * 64 * 10
    by_hand = 3 * 2 * 8 * (attention + dense)
    case = steps.Case("numpy", "cpu", "adam", 8, 64, model="transformer")
    assert case.flops_per_step == by_hand


@pytest.mark.slow  # TensorFlow traces 50 unrolled steps and their gradient
@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_bench_sequence_model_end_to_end(model, tmp_path):
    path = tmp_path / f"{model}.json"
    result = CliRunner().invoke(
        main,
        ["bench", "--model", model, "--quick", "--device", "cpu", "--batch-size", "2"]
        + ["--backend", "numpy", "--backend", "jax", "--backend", "keras", "--backend", "tf"]
        + ["--mode", "function", "--rounds", "1", "--optimizer", "sgd", "--json", str(path)],
    )
    assert result.exit_code == 0, result.output
    names = {bench["name"] for bench in json.loads(path.read_text())["benchmarks"]}
    for backend_mode in ("numpy", "tf-function", "keras", "jax-jit"):
        assert f"test_train_step[{backend_mode}-cpu-sgd-b2-{model}-k1]" in names
