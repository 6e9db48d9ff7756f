"""A quiet terminal: no TensorFlow start-up log on stderr, in a fresh process, unless asked.

TensorFlow 2.21 prints these while it loads, before it reads ``TF_CPP_MIN_LOG_LEVEL``;
``reference.native_log`` filters them out of every gdkit entry point that imports it.
"""

import os
import subprocess
import sys

import pytest

from tests.fresh_process import HANG_GUARD_S

# The lines a new user saw (issue: "a quiet terminal"), one fragment of each.
STARTUP_FRAGMENTS = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "Could not find cuda drivers",
    "This TensorFlow binary is optimized",
    "To enable the following instructions",
    "failed call to cuInit",
)
GDKIT = [sys.executable, "-c", "from bench.cli import main; main()"]


def _run(args, **env):
    environment = {**os.environ, "GDKIT_DEMO_FAST": "1"}
    environment.pop("TF_CPP_MIN_LOG_LEVEL", None)  # tests/conftest.py sets it for the suite
    environment.update(env)
    return subprocess.run(
        args, capture_output=True, text=True, env=environment, timeout=HANG_GUARD_S, check=False
    )


def _startup_lines(stderr):
    return [line for line in stderr.splitlines() if any(f in line for f in STARTUP_FRAGMENTS)]


# Each starts TensorFlow in a fresh process (10-20 s): `make test` runs the demo's, and
# `make test-slow` (and CI) the others.
SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "args, env",
    [
        # With the user's own TF_CPP_MIN_LOG_LEVEL=3 the lines once came twice in check.
        pytest.param(
            ["check", "--optimizer", "sgd", "--backend", "tf", "--steps", "2"],
            {"TF_CPP_MIN_LOG_LEVEL": "3"},
            marks=SLOW,
        ),
        pytest.param(
            ["bench", "--quick", "--backend", "tf", "--mode", "eager", "--batch-size", "8"]
            + ["--steps-per-call", "1", "--rounds", "1"],
            {},
            marks=SLOW,
        ),
        (["demo", "update-rule", "--backend", "tf", "--out", "{tmp}"], {}),
        (["show", "adam"], {}),
    ],
    ids=["check-level-3", "bench", "demo", "show"],
)
def test_a_command_prints_no_tensorflow_startup_log(args, env, tmp_path):
    result = _run([*GDKIT, *[a.format(tmp=tmp_path) for a in args]], **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _startup_lines(result.stderr) == [], result.stderr


@pytest.mark.slow
def test_importing_tf_impl_is_quiet_as_in_the_lab():
    result = _run([sys.executable, "-c", "from tf_impl import training; print('ok')"])
    assert result.stdout.strip() == "ok", result.stderr
    assert _startup_lines(result.stderr) == [], result.stderr


@pytest.mark.slow
def test_verbose_brings_the_startup_log_back(tmp_path):
    result = _run(
        [*GDKIT, "--verbose", "demo", "update-rule", "--backend", "tf"] + ["--out", str(tmp_path)]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # absl's notice comes wherever TensorFlow 2.21 loads; the others depend on the machine.
    assert any(STARTUP_FRAGMENTS[0] in line for line in _startup_lines(result.stderr))


@pytest.mark.slow  # --verbose already shows the lines come back; this is the second way
def test_the_users_own_level_0_brings_it_back_too():
    result = _run([sys.executable, "-c", "import tf_impl"], TF_CPP_MIN_LOG_LEVEL="0")
    assert result.returncode == 0, result.stderr
    assert any(STARTUP_FRAGMENTS[0] in line for line in _startup_lines(result.stderr))


FILTER_SCRIPT = """
import os, sys
from reference import native_log
with native_log.startup_log_filtered():
    os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written\\n")
    os.write(2, b"I0000 00:00:1795958260.821458   16237 port.cc:153] oneDNN custom operations\\n")
    os.write(2, b"E0000 00:00:1795958260.821458   16237 kernel.cc:12] a real error\\n")
    print("a Python warning", file=sys.stderr)
print("after", file=sys.stderr)
"""


def test_the_filter_keeps_errors_and_python_output():
    result = _run([sys.executable, "-c", FILTER_SCRIPT])
    assert result.stderr.splitlines() == [
        "E0000 00:00:1795958260.821458   16237 kernel.cc:12] a real error",
        "a Python warning",
        "after",
    ]
