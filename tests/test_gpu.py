"""The GPU paths, tested on a machine without one: the frameworks' device queries are faked.

A faked JAX GPU is the CPU under another name (``jax.devices("gpu")`` answers the CPU
devices), so a whole ``gdkit bench`` and ``make gpu-check`` run through their GPU code.
TF32 is emulated in NumPy (matmul inputs rounded to 10 mantissa bits) to measure the
tolerance ``bench.gpu_check`` applies to float32 at JAX's default precision.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from bench import (
    backends,
    cases,
    gpu_check,
    machine,
    metrics,
    report,
    tolerances,
    trajectories,
)
from bench.cli import main
from bench.config import Config
from reference import mlp
from tests.fresh_process import BLOCKER, HANG_GUARD_S

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Put first on PYTHONPATH, this runs in every Python the test starts (sitecustomize).
FAKE_GPU = (
    BLOCKER
    + """
if {fake_gpu!r}:
    import jax
    cpu_devices = jax.devices
    jax.devices = lambda backend=None: cpu_devices("cpu" if backend == "gpu" else backend)
"""
)
WITHOUT_TENSORFLOW = ["tensorflow", "keras"]


def run_python(tmp_path, arguments, fake_gpu=True, blocked=WITHOUT_TENSORFLOW):
    hooks = tmp_path / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "sitecustomize.py").write_text(FAKE_GPU.format(blocked=blocked, fake_gpu=fake_gpu))
    environment = {**os.environ, "PYTHONPATH": f"{hooks}{os.pathsep}{REPOSITORY}"}
    environment.pop("PYTEST_XDIST_WORKER", None)  # else pytest-benchmark stays off in gdkit bench
    return subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        cwd=tmp_path,
        env=environment,
    )


@pytest.fixture
def fresh_device_lists():
    gpus = backends.gpus  # a test may replace it; the cached original is cleared
    gpus.cache_clear()
    yield
    gpus.cache_clear()


def test_faked_jax_gpu_gives_gpu_cases_and_tf32(monkeypatch, fresh_device_lists):
    import jax

    cpu_devices = jax.devices
    monkeypatch.setattr(
        jax, "devices", lambda backend=None: cpu_devices("cpu" if backend == "gpu" else backend)
    )
    assert backends.gpus("jax")
    assert backends.devices_for("jax-jit", "all") == ["cpu", "gpu"]
    devices = {case.device for case in Config(backend_modes=("jax-jit",)).cases()}
    assert devices == {"cpu", "gpu"}
    assert machine.float32_matmul_precision("jax", "gpu") == "tf32"
    assert machine.float32_matmul_precision("jax", "cpu") == "float32"
    with jax.default_matmul_precision("float32"):
        assert machine.float32_matmul_precision("jax", "gpu") == "float32"


def test_faked_tensorflow_gpu_gives_gpu_cases_and_tf32(monkeypatch, fresh_device_lists):
    tf = backends.tensorflow()
    gpu = tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")
    real = tf.config.list_physical_devices
    monkeypatch.setattr(
        tf.config,
        "list_physical_devices",
        lambda kind=None: [gpu] if kind == "GPU" else real(kind),
    )
    assert backends.gpus("tensorflow") == ("/physical_device:GPU:0",)
    assert backends.devices_for("tf-function", "all") == ["cpu", "gpu"]
    assert backends.devices_for("numpy", "all") == ["cpu"]
    assert machine.float32_matmul_precision("tensorflow", "gpu") == "tf32"
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        assert machine.float32_matmul_precision("tensorflow", "gpu") == "float32"
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(True)


@pytest.mark.parametrize("capability, before", [("7.0", True), ("8.0", False), ((9, 0), False)])
def test_tf32_needs_ampere_or_newer(capability, before):
    assert machine._before_ampere(capability) is before


def test_device_gpu_without_a_gpu_exits_2_with_one_line(monkeypatch, fresh_device_lists):
    monkeypatch.setattr(backends, "gpus", lambda framework: ())
    result = CliRunner().invoke(main, ["bench", "--device", "gpu"])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert errors == [
        "Error: --device gpu: no GPU is visible to TensorFlow or JAX on this machine."
    ]
    assert "Traceback" not in result.output


def _bench(device, us_per_step, precision, k=1):
    info = {
        "mode": "jax-jit",
        "backend": "jax",
        "device": device,
        "optimizer": "adam",
        "batch_size": 256,
        "sizes": [784, 64, 10],
        "steps_per_call": k,
        "replicas": 1,
        "flops_per_step": 1e7,
        "gflops": 1e7 / (us_per_step * 1e-6) / 1e9,
        "framework_peak_gflops": 100.0 if device == "cpu" else 40000.0,
        "peak_gflops": 100.0 if device == "cpu" else 40000.0,
        "matmul_precision": precision,
        "trace_count": 1,
        "first_call_s": 0.5,
    }
    median = us_per_step * k * 1e-6
    return {"name": f"{device}-k{k}", "stats": {"median": median}, "extra_info": info}


def test_gpu_rows_get_the_gpu_over_cpu_ratio_and_table():
    data = {
        "benchmarks": [
            _bench("cpu", 400.0, "float32"),
            _bench("gpu", 50.0, "tf32"),
            _bench("cpu", 300.0, "float32", k=16),
            _bench("gpu", 10.0, "tf32", k=16),
        ]
    }
    rows = {(r["device"], r["steps_per_call"]): r for r in report.step_rows(data)}
    assert rows["gpu", 1]["gpu_vs_cpu"] == pytest.approx(8.0)
    assert rows["gpu", 16]["gpu_vs_cpu"] == pytest.approx(30.0)  # against the CPU at K = 16
    assert rows["cpu", 1]["gpu_vs_cpu"] is None
    console = report_console()
    console.print(report.step_table(list(rows.values())))
    console.print(report.gpu_table(list(rows.values())))
    text = console.export_text()
    assert "×GPU" in text and "GPU over CPU" in text and "GPU 1st ms" in text
    assert "8.00×" in text and "30.00×" in text
    caption = report.step_caption(list(rows.values()))
    assert "TF32 matmuls (10-bit mantissa inputs) in jax-jit on gpu" in caption
    assert "cpu 100 GFLOP/s (jax), gpu 40000 GFLOP/s (jax)" in caption


def test_no_gpu_table_without_gpu_rows():
    rows = report.step_rows({"benchmarks": [_bench("cpu", 400.0, "float32")]})
    assert report.gpu_table(rows) is None


def report_console():
    from rich.console import Console

    return Console(record=True, width=200, file=open(os.devnull, "w"))  # noqa: SIM115


def to_tf32(array):
    """Round float32 to TF32: keep 10 of the 23 mantissa bits, to nearest, ties to even."""
    bits = np.asarray(array, np.float32).view(np.uint32)
    lowest_kept = (bits >> 13) & 1
    return ((bits + 0x0FFF + lowest_kept) & np.uint32(0xFFFFE000)).view(np.float32)


def test_to_tf32_rounds_to_ten_mantissa_bits():
    assert to_tf32(np.float32(1.0001)) == 1.0  # TensorFlow's own example of TF32
    assert to_tf32(np.float32(1 + 2.0**-10)) == np.float32(1 + 2.0**-10)
    assert to_tf32(np.float32(1 + 2.0**-11)) == 1.0  # a tie goes to the even neighbour
    assert to_tf32(np.float32(1 + 3 * 2.0**-11)) == np.float32(1 + 2.0**-9)


def test_tf32_tolerance_covers_one_tf32_step_and_float32_does_not(monkeypatch):
    """The oracle in float32 with TF32-rounded matmul inputs, one step, against float64."""

    def dense_forward(x, kernel, bias):
        return to_tf32(x) @ to_tf32(kernel) + bias

    def dense_backward(dout, x, kernel, need_dx=True):
        dx = to_tf32(dout) @ to_tf32(kernel).T if need_dx else None
        return to_tf32(x).T @ to_tf32(dout), dout.sum(axis=0), dx

    exact = {
        case_id: list(trajectories.oracle_trajectory(case, gpu_check.TF32_STEPS))
        for case_id, case in cases.CASES.items()
    }
    monkeypatch.setattr(mlp, "dense_forward", dense_forward)
    monkeypatch.setattr(mlp, "dense_backward", dense_backward)
    worst = max(
        metrics.worst_difference(
            trajectories.oracle_trajectory(case, gpu_check.TF32_STEPS, "float32"), exact[case_id]
        )
        for case_id, case in cases.CASES.items()
    )
    assert worst <= tolerances.TF32 / 4  # measured 4.2e-4
    assert worst > tolerances.FLOAT32  # full float32's tolerance would reject TF32


def test_why_not_names_what_is_missing(monkeypatch, fresh_device_lists):
    monkeypatch.setattr(gpu_check, "nvidia_device_present", lambda: True)
    monkeypatch.setattr(backends, "installed", lambda name: name != "jax")
    status, line = gpu_check.why_not(python="/usr/bin/python3")
    assert (
        status == 1
        and line == "gpu-check: /usr/bin/python3 cannot import jax (pip name: jax[cuda12])."
    )
    monkeypatch.setattr(gpu_check, "nvidia_device_present", lambda: False)
    assert gpu_check.why_not()[0] == 0


def test_bench_with_a_faked_jax_gpu_and_no_tensorflow(tmp_path):
    path = tmp_path / "gpu.json"
    arguments = ["-c", "from bench.cli import main; main()", "bench", "--quick", "--device", "all"]
    arguments += ["--batch-size", "8", "--hidden", "8", "--rounds", "2", "--json", str(path)]
    result = run_python(tmp_path, arguments)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.count("not installed") == 1  # "tensorflow is not installed: ..."
    data = json.loads(path.read_text())
    infos = {
        (b["extra_info"]["mode"], b["extra_info"]["device"]): b["extra_info"]
        for b in data["benchmarks"]
    }
    assert set(infos) == {("numpy", "cpu"), ("jax-jit", "cpu"), ("jax-jit", "gpu")}
    assert infos["jax-jit", "gpu"]["matmul_precision"] == "tf32"
    assert infos["jax-jit", "cpu"]["matmul_precision"] == "float32"
    assert infos["jax-jit", "gpu"]["first_call_s"] > 0  # compile time, apart from the rounds
    assert infos["jax-jit", "gpu"]["peak_from"] == "jax"
    # one denominator per device in the JSON too: the best of NumPy's and JAX's CPU peaks
    cpu_peaks = {infos[mode, "cpu"]["framework_peak_gflops"] for mode in ("numpy", "jax-jit")}
    for mode in ("numpy", "jax-jit"):
        assert infos[mode, "cpu"]["peak_gflops"] == max(cpu_peaks)
    rows = {(r["mode"], r["device"]): r for r in report.step_rows(data)}
    assert rows["jax-jit", "gpu"]["gpu_vs_cpu"] is not None
    assert "×GPU" in result.stdout and "on gpu" in result.stdout


@pytest.mark.slow  # the whole gpu-check in a fresh process: 35 s and more
def test_gpu_check_with_a_faked_gpu_and_no_tensorflow(tmp_path):
    arguments = ["-m", "bench.gpu_check", "--case", "rmsprop-default", "--batch-size", "8"]
    arguments += ["--steps-per-call", "1", "--steps-per-call", "2", "--rounds", "2"]
    arguments += ["--quick", "--out", str(tmp_path / "out")]
    result = run_python(tmp_path, arguments)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "equivalence on the GPU: 3 passed, 0 failed (" in result.stdout
    for run in ("float64, 30 steps", "float32, float32 matmuls, 30 steps", "1 step"):
        assert run in result.stdout
    assert "GPU over CPU" in result.stdout
    bench = json.loads((tmp_path / "out" / "gpu-bench.json").read_text())
    cases_run = {
        (b["extra_info"]["device"], b["extra_info"]["steps_per_call"]) for b in bench["benchmarks"]
    }
    assert cases_run == {("cpu", 1), ("cpu", 2), ("gpu", 1), ("gpu", 2)}
    results = json.loads((tmp_path / "out" / "gpu-equivalence.json").read_text())
    assert [r["passed"] for r in results] == [True, True, True]


def test_gpu_check_names_a_missing_package_in_one_line(tmp_path):
    result = run_python(
        tmp_path, ["-m", "bench.gpu_check"], blocked=[*WITHOUT_TENSORFLOW, "pytest_benchmark"]
    )
    assert result.returncode == 1
    assert result.stdout.strip().splitlines() == [
        f"gpu-check: {sys.executable} cannot import pytest-benchmark; install them first."
    ]


@pytest.mark.skipif(gpu_check.nvidia_device_present(), reason="a real GPU: make gpu-check runs it")
@pytest.mark.parametrize("blocked", [[], ["jax"]], ids=["cpu-only", "cpu-only-no-jax"])
def test_make_gpu_check_without_a_gpu_says_so_and_exits_0(tmp_path, blocked):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(FAKE_GPU.format(blocked=blocked, fake_gpu=False))
    environment = {**os.environ, "PYTHONPATH": str(hooks)}
    result = subprocess.run(
        ["make", "--no-print-directory", "gpu-check", f"SYSTEM_PYTHON={sys.executable}"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        cwd=REPOSITORY,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"{sys.executable} -m bench.gpu_check"  # make echoes the command
    assert lines[1:] == [
        "gpu-check: no GPU visible to JAX on this machine: nothing to check."
        if not blocked
        else "gpu-check: no GPU on this machine (and no JAX): nothing to check."
    ]
    assert result.stderr == ""


def test_importing_the_gpu_check_imports_no_framework():
    modules = "bench, bench.gpu_check, bench.cli, bench.config, bench.machine, bench.report"
    check = (
        f"import sys, {modules}; print(sorted({{'tensorflow', 'keras', 'jax'}} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        cwd=REPOSITORY,
    )
    assert result.stdout.strip() == "[]", result.stderr[-2000:]
