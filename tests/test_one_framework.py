"""``gdkit`` on a machine with one framework: JAX without TensorFlow, and the reverse.

Each command runs in a fresh process where the other framework cannot be imported (a
meta-path finder refuses it, as in test_layering.py). It runs what it can, says in one
line what is missing, and never imports the absent framework.
"""

import json
import subprocess
import sys

import pytest

from tests.fresh_process import BLOCKER, HANG_GUARD_S

SCRIPT = (
    BLOCKER
    + """
sys.argv = ["gdkit", *sys.argv[1:]]
from bench.cli import main
try:
    main()
finally:
    imported = sorted({{m.split(".")[0] for m in sys.modules}} & set(BLOCKED))
    print("imported:", imported, file=sys.stderr)
"""
)
NO_TENSORFLOW = ("tensorflow", ["tensorflow", "keras"])
NO_JAX = ("jax", ["jax", "jaxlib", "optax"])
BENCH = ["bench", "--quick", "--batch-size", "8", "--hidden", "8", "--rounds", "2", "--mode", "xla"]


def gdkit(blocked, *arguments, json_path=None):
    command = [sys.executable, "-c", SCRIPT.format(blocked=blocked), *arguments]
    if json_path:
        command += ["--json", str(json_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD_S)
    assert result.stderr.splitlines()[-1] == "imported: []", result.stderr[-3000:]
    return result


def missing_lines(output):
    return [line for line in output.splitlines() if "not installed" in line]


@pytest.mark.slow  # a fresh process timing real steps; the check below covers the same gate
@pytest.mark.parametrize("missing, blocked", [NO_TENSORFLOW, NO_JAX], ids=["no-tf", "no-jax"])
def test_bench_times_what_is_installed(tmp_path, missing, blocked):
    path = tmp_path / "bench.json"
    result = gdkit(blocked, *BENCH, json_path=path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert missing_lines(result.stdout) == [f"{missing} is not installed: its rows are skipped."]
    modes = {bench["extra_info"]["mode"] for bench in json.loads(path.read_text())["benchmarks"]}
    if missing == "tensorflow":
        assert modes == {"numpy", "jax-jit"}
    else:
        assert modes == {"numpy", "tf-xla", "keras"}


@pytest.mark.parametrize(
    "missing, blocked, line, ran",
    [
        (
            *NO_TENSORFLOW,
            "tensorflow not installed: --backend keras, tf skipped.",
            {"jax", "optax"},
        ),
        (*NO_JAX, "jax and optax not installed: --backend jax, optax skipped.", {"tf", "keras"}),
    ],
    ids=["no-tf", "no-jax"],
)
def test_check_runs_the_installed_backends(missing, blocked, line, ran):
    result = gdkit(blocked, "check", "--optimizer", "adadelta", "--steps", "3", "--json")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert missing_lines(result.stderr) == [line]  # stderr: stdout is the JSON
    assert {r["backend"] for r in json.loads(result.stdout)} == ran


@pytest.mark.parametrize("missing, blocked", [NO_TENSORFLOW, NO_JAX], ids=["no-tf", "no-jax"])
def test_show_reads_every_backend_without_importing_it(missing, blocked):
    result = gdkit(blocked, "show", "adam")
    assert result.returncode == 0, result.stderr[-2000:]
    for folder in ("reference/", "tf_impl/", "jax_impl/"):
        assert folder in result.stdout
