"""The gdkit command: every command, every user mistake (one line, exit 2), and check's exit 1."""

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from bench import report
from bench.cli import main
from bench.steps import Case


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def assert_usage_error(result, fragment):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert fragment in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["bench", "--optimizer", "adma"], "Did you mean 'adamax'"),
        (["bench", "--backend", "pytorch"], "'pytorch' is not one of"),
        (["bench", "--mode", "jit"], "'jit' is not one of"),
        (["bench", "--batch-size", "0"], "0 is not in the range x>=1"),
        (["bench", "--batch-size", "-4"], "-4 is not in the range x>=1"),
        (["bench", "--batch-size", "many"], "'many' is not a valid integer"),
        (["bench", "--hidden", "0"], "0 is not in the range x>=1"),
        (["bench", "--steps-per-call", "x"], "'x' is not a valid integer"),
        (["bench", "--device", "tpu"], "'tpu' is not one of"),
        (["bench", "--device", "gpu"], "no GPU is visible"),
        (["bench", "--compare", "/nonexistent/old.json"], "cannot read /nonexistent/old.json"),
        (["check", "--optimizer", "sgdd"], "Did you mean 'sgd'?"),
        (["check", "--backend", "torch"], "'torch' is not one of"),
        (["check", "--dtype", "float16"], "'float16' is not one of"),
        (["check", "--steps", "0"], "0 is not in the range x>=1"),
        (["check", "--backend", "optax", "--dtype", "float32"], "optax is compared with the"),
        (["check", "--backend", "optax", "--optimizer", "muon"], "optax has no case for muon"),
        (["show", "adma"], "Did you mean 'adamax'"),
        (["show", "adam", "--backend", "torch"], "'torch' is not one of"),
        (["nonsense"], "No such command 'nonsense'"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(args, fragment):
    assert_usage_error(invoke(*args), fragment)


def test_compare_file_that_is_not_benchmark_json(tmp_path):
    path = tmp_path / "old.json"
    path.write_text("{not json")
    assert_usage_error(invoke("bench", "--compare", str(path)), "is not JSON")
    path.write_text(json.dumps({"hello": 1}))
    assert_usage_error(invoke("bench", "--compare", str(path)), "not pytest-benchmark JSON")


def test_version_and_help():
    assert invoke("--version").output.startswith("gdkit, version")
    for command in ("bench", "check", "show"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Examples:" in result.output


def test_check_passes_for_the_real_implementations():
    result = invoke(
        "check", "--optimizer", "adam", "--backend", "tf", "--backend", "jax", "--steps", "5"
    )
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_check_json_output():
    result = invoke("check", "--optimizer", "lion", "--backend", "optax", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {row["backend"] for row in rows} == {"optax"}
    assert all(row["passed"] for row in rows)


def test_check_exits_1_when_an_implementation_is_wrong(monkeypatch):
    from tf_impl import optimizers

    def broken(self, grad, param, slots, lr, t):
        return param - 1.01 * lr * grad, slots  # a 1% wrong step

    monkeypatch.setattr(optimizers.SGD, "update_variable", broken)
    result = invoke("check", "--optimizer", "sgd", "--backend", "tf", "--steps", "3")
    assert result.exit_code == 1
    assert "FAIL" in result.output


def _steady_canary(monkeypatch, readings=(1e-3,)):
    """The noise canary reads how busy the machine is; fixed readings keep a bench run
    on one path (re-run or not) however busy the machine running the tests is."""
    from bench import machine

    values = iter(readings * 1000)
    monkeypatch.setattr(machine, "canary", lambda: next(values))


def test_bench_quick_json_end_to_end(tmp_path, monkeypatch):
    """A tiny model through the whole pipeline: every requested case is in the JSON."""
    _steady_canary(monkeypatch)
    path = tmp_path / "run.json"
    result = invoke(
        "bench",
        "--quick",
        "--hidden",
        "8",
        "--batch-size",
        "4",
        "--batch-size",
        "8",
        "--steps-per-call",
        "1",
        "--steps-per-call",
        "2",
        "--rounds",
        "2",
        "--backend",
        "numpy",
        "--backend",
        "tf",
        "--mode",
        "function",
        "--backend",
        "jax",
        "--updates",
        "--breakdown",
        "--optimizer",
        "sgd",
        "--json",
        str(path),
    )
    assert result.exit_code == 0, result.output
    for title in ("Training step", "Optimizer update alone", "Where a step's time goes"):
        assert title in result.output
    data = json.loads(path.read_text())
    names = {bench["name"] for bench in data["benchmarks"]}
    for backend in ("numpy", "tf-function", "jax-jit"):
        for batch in (4, 8):
            for k in (1, 2):
                assert f"test_train_step[{backend}-cpu-sgd-b{batch}-h8-k{k}]" in names
    for implementation in ("tf_impl", "keras", "jax_impl", "optax"):
        assert f"test_optimizer_update[{implementation}-sgd]" in names
    step = next(
        b for b in data["benchmarks"] if b["name"].startswith("test_train_step[tf-function")
    )
    for key in (
        "backend",
        "mode",
        "device",
        "optimizer",
        "batch_size",
        "sizes",
        "steps_per_call",
        "flops_per_step",
        "gflops",
        "peak_gflops",
        "peak_share",
        "trace_count",
        "first_call_s",
        "noisy",
        "breakdown_s",
    ):
        assert key in step["extra_info"]
    assert set(step["extra_info"]["breakdown_s"]) == {
        "overhead",
        "forward",
        "backward",
        "update",
        "step",
        "matmuls",
    }
    row = next(r for r in report.step_rows(data) if r["name"] == step["name"])
    assert step["extra_info"]["gflops"] == pytest.approx(row["gflops"])  # JSON and table agree
    assert step["params"]["backend_mode"] == "tf-function"  # plain values: groupable in JSON
    assert set(step["params"]) == {field.name for field in dataclasses.fields(Case)}
    assert step["extra_info"]["trace_count"] == 1
    assert "cpu_model" in data["machine_info"] and "tensorflow" in data["machine_info"]
    again = invoke(
        "bench",
        "--quick",
        "--backend",
        "numpy",
        "--hidden",
        "8",
        "--batch-size",
        "4",
        "--optimizer",
        "sgd",
        "--rounds",
        "2",
        "--compare",
        str(path),
    )
    assert again.exit_code == 0, again.output
    assert "Against the earlier run" in again.output


def test_a_noisy_case_is_timed_again_and_reported_from_the_rerun(tmp_path, monkeypatch):
    _steady_canary(monkeypatch, readings=(1e-3, 2e-3))  # each pair of readings moves 100%
    path = tmp_path / "run.json"
    args = ("--quick", "--backend", "numpy", "--hidden", "8", "--batch-size", "4")
    result = invoke("bench", *args, "--rounds", "2", "--json", str(path))
    assert result.exit_code == 0, result.output
    (bench,) = json.loads(path.read_text())["benchmarks"]
    assert bench["extra_info"]["noisy"] and bench["extra_info"]["rerun_median_s"] > 0
    assert report.seconds_per_step(bench) == bench["extra_info"]["rerun_median_s"]
    assert "noisy" in result.output


def test_flops_per_step_counts_no_input_gradient():
    from bench.steps import flops_per_step

    assert flops_per_step((784, 64, 10), 32) == 4 * 32 * 784 * 64 + 6 * 32 * 64 * 10
    assert np.isclose(
        flops_per_step((10, 20, 30, 5), 2), 4 * 2 * 10 * 20 + 6 * 2 * 20 * 30 + 6 * 2 * 30 * 5
    )


@pytest.mark.slow  # a fresh process with 4 logical CPUs: about a minute
def test_bench_replicas_in_a_fresh_process(tmp_path):
    """Devices are split before TensorFlow and JAX start, so this runs in its own process."""
    import subprocess
    import sys

    path = tmp_path / "replicas.json"
    command = [
        sys.executable,
        "-c",
        "from bench.cli import main; main()",
        "bench",
        "--quick",
        "--backend",
        "numpy",
        "--hidden",
        "8",
        "--batch-size",
        "4",
        "--rounds",
        "2",
        "--replicas",
        "1",
        "--replicas",
        "2",
        "--json",
        str(path),
    ]
    # No wall-clock limit: on 2 cores beside `pytest -n 2` and two busy loops this run took
    # 248 s (87 s with less load), so the 300 s limit it had failed it on a busy machine.
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Data-parallel step" in result.stdout and "share the same cores" in result.stdout
    names = {bench["name"] for bench in json.loads(path.read_text())["benchmarks"]}
    for backend in ("tf-mirrored", "jax-sharded"):
        for replicas in (1, 2):
            assert f"test_train_step[{backend}-cpu-adam-b4-h8-k1-r{replicas}]" in names


@pytest.mark.parametrize(
    "words, expected",
    [
        ("gdkit b", ["bench"]),
        (
            "gdkit bench --optimizer ada",
            ["adagrad", "adadelta", "adam", "adamw", "adamax", "adafactor"],
        ),
        ("gdkit check --optimizer li", ["lion"]),
        ("gdkit show cosine", ["cosine_decay", "cosine_decay_restarts"]),
        ("gdkit show back", ["backprop"]),
        ("gdkit demo v", ["variants", "vanishing"]),
    ],
)
def test_shell_completion(words, expected):
    """What bash gets back from ``_GDKIT_COMPLETE=bash_complete`` (Click's protocol)."""
    environment = {
        "_GDKIT_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    result = CliRunner().invoke(main, [], env=environment, prog_name="gdkit")
    assert result.exit_code == 0, result.output
    assert [line.split(",", 1)[1] for line in result.output.splitlines()] == expected


def test_shell_completion_script():
    result = CliRunner().invoke(main, [], env={"_GDKIT_COMPLETE": "bash_source"}, prog_name="gdkit")
    assert result.exit_code == 0 and "_gdkit_completion" in result.output
