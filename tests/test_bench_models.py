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
        (["--model", "cnn", "--breakdown"], "--breakdown belongs to the MLP"),
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

    assert steps._blas_threads_limited(blas_threads)() == {steps.NUMPY_BLAS_THREADS}
