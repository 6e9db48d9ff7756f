"""``gdkit bench --model cnn``: the layer models' cases, their FLOPs and their options.

The timings themselves are never asserted (they depend on the machine's load); a tiny
run checks that every requested case is built, run and reported.
"""

import json

import pytest
from click.testing import CliRunner

from bench import steps
from bench.cli import main
from bench.config import Config


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_mnist_cnn_flops_count_its_conv_and_dense_matmuls():
    """28×28×1 → Conv2D 32 (3×3, valid: 26×26) → pool → Conv2D 64 (3×3: 11×11) → pool →
    5·5·64 = 1600 → Dense 10, by hand: the first layer ×2 (no input gradient), others ×3."""
    conv_1 = 26 * 26 * 32 * 3 * 3 * 1
    conv_2 = 11 * 11 * 64 * 3 * 3 * 32
    dense = 1600 * 10
    by_hand = 2 * 2 * 8 * conv_1 + 3 * 2 * 8 * (conv_2 + dense)
    assert steps.Case("numpy", "cpu", "adam", 8, 64, model="cnn").flops_per_step == by_hand


def test_mlp_case_flops_are_the_mlp_rule():
    case = steps.Case("numpy", "cpu", "adam", 32, 64)
    assert case.flops_per_step == steps.flops_per_step((784, 64, 10), 32)


def test_a_layer_model_grid_ignores_hidden_and_has_no_data_parallel_cases():
    config = Config.quick(
        backend_modes=("numpy",), hidden=(8, 16), replicas=(1,), model="cnn", device="cpu"
    )
    cases = list(config.cases())
    assert [case.name for case in cases] == [
        "numpy-cpu-adam-b32-cnn-k1",
        "numpy-cpu-adam-b256-cnn-k1",
    ]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--model", "resnet"], "'resnet' is not one of"),
        (["--model", "cnn", "--hidden", "8"], "--hidden belongs to the MLP"),
        (["--model", "cnn", "--replicas", "2"], "--replicas belongs to the MLP"),
    ],
)
def test_options_of_the_mlp_alone_are_refused_for_a_layer_model(args, fragment):
    result = invoke("bench", *args)
    assert result.exit_code == 2, result.output
    assert fragment in result.output and "Traceback" not in result.output


def test_bench_model_cnn_end_to_end(tmp_path):
    """The MNIST CNN at batch 2 through every backend mode, K = 1 and 2, into the JSON."""
    path = tmp_path / "cnn.json"
    result = invoke(
        "bench",
        "--model",
        "cnn",
        "--quick",
        "--device",
        "cpu",
        "--batch-size",
        "2",
        "--steps-per-call",
        "1",
        "--steps-per-call",
        "2",
        "--rounds",
        "1",
        "--optimizer",
        "sgd",
        "--json",
        str(path),
    )
    assert result.exit_code == 0, result.output
    assert "model cnn (mnist_cnn)" in result.output
    benchmarks = json.loads(path.read_text())["benchmarks"]
    names = {bench["name"] for bench in benchmarks}
    for backend_mode in ("numpy", "tf-eager", "tf-function", "tf-xla", "keras", "jax-jit"):
        for k in (1, 2):
            assert f"test_train_step[{backend_mode}-cpu-sgd-b2-cnn-k{k}]" in names
    case = steps.Case("numpy", "cpu", "sgd", 2, 64, model="cnn")
    for bench in benchmarks:
        assert bench["extra_info"]["model"] == "cnn"
        assert bench["extra_info"]["flops_per_step"] == case.flops_per_step
        assert bench["extra_info"]["trace_count"] <= 1


def test_numpy_cases_run_with_the_benchmarks_blas_threads():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    assert steps.limit_blas_threads(blas_threads)() == {steps.NUMPY_BLAS_THREADS}


def test_each_layers_flops_add_up_to_the_models():
    input_shape, specs = steps.Case("numpy", "cpu", "adam", 8, 64, model="cnn").preset
    shapes = steps.reference_model.input_shapes(specs, input_shape)
    per_layer = [
        steps.layer_flops(kind, config, shape, 8, first=i == 0)
        for i, ((kind, config), shape) in enumerate(zip(specs, shapes, strict=True))
    ]
    assert per_layer[0] == 2 * 2 * 8 * 26 * 26 * 32 * 3 * 3 * 1  # conv 1, no input gradient
    assert per_layer[1] == 0  # max pooling has no matmul
    assert sum(per_layer) == steps.model_flops_per_step(input_shape, specs, 8)


def test_layer_breakdown_times_every_layer_in_every_mode():
    """``--breakdown`` for a layer model: one row per layer, each mode timed, in a table."""
    from rich.console import Console

    from bench import layer_times, report

    modes = ("numpy", "tf-eager", "jax-jit")
    rows = layer_times.layer_times("cnn", 2, modes, rounds=1)
    _, specs = steps.PRESETS["mnist_cnn"]
    assert [row["name"] for row in rows] == steps.reference_model.layer_names(specs)
    assert [row["output"] for row in rows[:2]] == [(26, 26, 32), (13, 13, 32)]
    for row in rows:
        assert set(row["seconds"]) == set(modes) and min(row["seconds"].values()) > 0
    console = Console(width=200, record=True)
    console.print(report.layer_table("cnn", 2, rows, peak_gflops=10.0))
    text = console.export_text()
    assert "conv2d_0" in text and "all layers" in text and "%)" in text


def test_breakdown_of_a_layer_model_prints_its_layer_table():
    result = invoke(
        "bench",
        *("--model", "cnn", "--breakdown", "--quick", "--backend", "numpy"),
        *("--batch-size", "2", "--rounds", "1", "--device", "cpu"),
    )
    assert result.exit_code == 0, result.output
    assert "--model cnn, B=2:" in result.output
    assert "max_pooling2d_1" in result.output and "all layers" in result.output
