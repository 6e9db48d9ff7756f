"""The command line on bad input and bad luck.

Every user mistake exits 2 with one line and no traceback, found before any work
starts; output files are written whole or not at all; a bench that fails or is
interrupted keeps the cases that finished.
"""

import errno
import json
import os
import stat

import pytest
from click.testing import CliRunner

from bench import backends, files
from bench.cli import main

TINY_BENCH = [
    "bench",
    "--quick",
    "--backend",
    "numpy",
    "--hidden",
    "8",
    "--optimizer",
    "sgd",
    "--rounds",
    "2",
]


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def error_lines(result):
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


def assert_usage_error(result, fragment):
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    (line,) = error_lines(result)  # one line says what is wrong
    assert fragment in line, result.output


@pytest.fixture
def no_work(monkeypatch):
    """Make starting any real work an error: a usage error must come before it."""

    def started(*args, **kwargs):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr("bench.cli._run_benchmarks", started)
    monkeypatch.setattr(backends, "prepare_replicas", started)
    monkeypatch.setattr("bench.demos.module", started)


def _write(path, text):
    path.write_text(text)
    return path


COMPARE_FILES = {
    "missing": (None, "cannot read"),
    "not JSON": ("{not json", "is not JSON"),
    "binary": (b"\x89PNG\x00\xff", "not UTF-8 text"),
    "a list": ("[1, 2]", "no 'benchmarks' list"),
    "no benchmarks": ('{"hello": 1}', "no 'benchmarks' list"),
    "entry not a dict": ('{"benchmarks": [3]}', "benchmarks[0] has no 'name'"),
    "entry without name": ('{"benchmarks": [{"stats": {"median": 1}}]}', "has no 'name'"),
    "entry without stats": ('{"benchmarks": [{"name": "a"}]}', "no positive 'stats'/'median'"),
    "stats without median": (
        '{"benchmarks": [{"name": "a", "stats": {"mean": 1}}]}',
        "no positive 'stats'/'median'",
    ),
    "zero median": (
        '{"benchmarks": [{"name": "a", "stats": {"median": 0}}]}',
        "no positive 'stats'/'median'",
    ),
}


@pytest.mark.parametrize("case", COMPARE_FILES, ids=list(COMPARE_FILES))
def test_a_bad_compare_file_is_refused_before_the_run(case, tmp_path, no_work):
    content, fragment = COMPARE_FILES[case]
    path = tmp_path / "old.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert_usage_error(invoke("bench", "--compare", path), fragment)
    assert_usage_error(invoke("bench", "--compare", path, "--json", tmp_path / "new.json"), "")
    assert not (tmp_path / "new.json").exists()


def test_compare_as_empty_path_or_folder(tmp_path, no_work):
    assert_usage_error(invoke("bench", "--compare", ""), "the path is empty")
    assert_usage_error(invoke("bench", "--compare", tmp_path), "is a directory")


JSON_PATHS = {
    "empty": (lambda tmp: "", "the path is empty"),
    "blank": (lambda tmp: "  ", "the path is empty"),
    "missing folder": (lambda tmp: tmp / "nowhere" / "run.json", "does not exist"),
    "a folder": (lambda tmp: tmp, "is a directory"),
    "inside a file": (lambda tmp: _write(tmp / "file", "x") / "run.json", "is not a folder"),
    "unwritable folder": (lambda tmp: "/proc/run.json", "cannot write in folder /proc"),
}


@pytest.mark.parametrize("case", JSON_PATHS, ids=list(JSON_PATHS))
def test_a_bad_json_path_is_refused_before_the_run(case, tmp_path, no_work):
    make_path, fragment = JSON_PATHS[case]
    assert_usage_error(invoke("bench", "--json", make_path(tmp_path)), fragment)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--mode", "xla", "--backend", "numpy"], "--mode xla picks TensorFlow's modes"),
        (["--mode", "eager", "--backend", "keras", "--backend", "jax"], "--backend keras/jax"),
        (["--breakdown", "--backend", "keras"], "--breakdown splits the steps of"),
        (["--replicas", "100000"], "100000 is not in the range 1<=x<=64"),
        (["--replicas", "0"], "0 is not in the range 1<=x<=64"),
        (["--hidden", "100000000"], "needs about 1862.3 GiB"),
        (["--batch-size", "100000000"], "--batch-size 100000000"),
        (["--steps-per-call", "100000000", "--batch-size", "32"], "make one of them smaller"),
        (["--batch-size", "0"], "0 is not in the range x>=1"),
        (["--batch-size", "-4"], "-4 is not in the range x>=1"),
        (["--hidden", "0"], "0 is not in the range x>=1"),
        (["--steps-per-call", "-1"], "-1 is not in the range x>=1"),
        (["--steps-per-call", "0"], "0 is not in the range x>=1"),
        (["--rounds", "0"], "0 is not in the range x>=1"),
        (["--rounds", "1.5"], "'1.5' is not a valid integer"),
        (["--optimizer", "adma"], "Unknown optimizer 'adma'. Did you mean"),
        (["--optimizer", "ADAM"], "Unknown optimizer 'ADAM'"),
        (["--optimizer", ""], "Unknown optimizer ''"),
        (["--backend", "torch"], "'torch' is not one of"),
        (["--mode", "jit"], "'jit' is not one of"),
        (["--device", "tpu"], "'tpu' is not one of"),
        (["--dtype", "float16"], "No such option '--dtype'"),
        (["extra"], "unexpected extra argument (extra)"),
    ],
)
def test_bench_mistakes_exit_2_before_the_run(args, fragment, no_work):
    assert_usage_error(invoke("bench", *args), fragment)


def test_more_replicas_than_devices_is_refused_before_the_run(monkeypatch):
    """Where GPUs are visible the devices are the GPUs, however many replicas are asked for."""
    monkeypatch.setattr(backends, "prepare_replicas", lambda count: [])
    monkeypatch.setattr(backends, "device_count", lambda framework: 1)
    monkeypatch.setattr("bench.cli._run_benchmarks", pytest.fail)
    result = invoke("bench", "--replicas", "1", "--replicas", "2")
    assert_usage_error(result, "2 replicas, but TensorFlow and JAX have at most 1 devices")


def test_a_run_that_would_time_nothing_is_a_usage_error(monkeypatch):
    """--backend tf on a machine without TensorFlow: no case is left to time."""
    monkeypatch.setattr(backends, "installed", lambda framework: framework == "numpy")
    monkeypatch.setattr(backends, "any_gpu", lambda: False)
    monkeypatch.setattr("bench.cli._run_benchmarks", pytest.fail)
    result = invoke("bench", "--backend", "tf", "--mode", "xla")
    assert_usage_error(result, "nothing to time: tf-xla on --device all")
    assert "tensorflow is not installed" in result.output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["vanishing", "--seed", "-1"], "-1 is not in the range x>=0"),
        (["vanishing", "--seed", "one"], "'one' is not a valid integer"),
        (["vanishing", "--out", ""], "the path is empty"),
        (["nonsense"], "Unknown demo 'nonsense'"),
        (["vanishin"], "Unknown demo 'vanishin'. Did you mean"),
        (["vanishing", "--backend", "torch"], "'torch' is not one of"),
        (["vanishing", "--data", "imagenet"], "'imagenet' is not one of"),
        ([], "Name a demo"),
    ],
)
def test_demo_mistakes_exit_2_before_the_run(args, fragment, no_work):
    assert_usage_error(invoke("demo", *args), fragment)


def test_demo_out_folders_that_cannot_hold_the_picture(tmp_path, no_work):
    (tmp_path / "out" / "vanishing.png").mkdir(parents=True)
    result = invoke("demo", "vanishing", "--out", tmp_path / "out")
    assert_usage_error(result, "vanishing.png is a folder, not a file")
    _write(tmp_path / "file", "x")
    assert_usage_error(invoke("demo", "vanishing", "--out", tmp_path / "file"), "is a file")
    result = invoke("demo", "vanishing", "--out", tmp_path / "file" / "below")
    assert_usage_error(result, "cannot make")
    assert_usage_error(invoke("demo", "vanishing", "--out", "/proc/gdkit"), "cannot make")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["show", "nonsense"], "Unknown piece 'nonsense'"),
        (["show", "adma"], "Unknown piece 'adma'"),
        (["nonsense"], "No such command 'nonsense'"),
        ([""], "No such command ''"),
        (["bench", "--no-such-option"], "No such option"),
    ],
)
def test_other_mistakes_exit_2(args, fragment):
    assert_usage_error(invoke(*args), fragment)


# ---- files written whole or not at all ----


def _full_disk(handle, *args, **kwargs):
    """A write that gets half-way and then finds the disk full."""
    handle.write(b"partial" if "b" in handle.mode else "partial")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = _write(tmp_path / "run.json", "good")
    with pytest.raises(OSError, match="No space left"):
        with files.replaced_atomically(path) as handle:
            _full_disk(handle)
    assert path.read_text() == "good"
    assert os.listdir(tmp_path) == ["run.json"]


def test_an_interrupted_write_keeps_the_old_file(tmp_path):
    path = _write(tmp_path / "run.json", "good")
    with pytest.raises(KeyboardInterrupt):
        with files.replaced_atomically(path) as handle:
            handle.write("half")
            raise KeyboardInterrupt
    assert path.read_text() == "good"
    assert os.listdir(tmp_path) == ["run.json"]


def test_a_replaced_file_keeps_its_permissions_and_a_new_one_follows_the_umask(tmp_path):
    old = _write(tmp_path / "old.json", "good")
    old.chmod(0o640)
    with files.replaced_atomically(old) as handle:
        handle.write("better")
    assert old.read_text() == "better"
    assert stat.S_IMODE(old.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        with files.replaced_atomically(tmp_path / "new.json") as handle:
            handle.write("new")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One real two-case bench (NumPy, tiny), its JSON reused as a canned run."""
    path = tmp_path_factory.mktemp("run") / "run.json"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("PYTEST_XDIST_WORKER", raising=False)  # see tests/conftest.py
        result = invoke(*TINY_BENCH, "--batch-size", "4", "--batch-size", "8", "--json", path)
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def _canned(monkeypatch, data):
    from bench import cli

    run = cli._Run(json.loads(json.dumps(data)), len(data["benchmarks"]), [], False)
    monkeypatch.setattr(cli, "_run_benchmarks", lambda config: run)


def test_bench_json_on_a_full_disk_keeps_the_old_file(tiny_run, tmp_path, monkeypatch):
    _canned(monkeypatch, tiny_run)
    path = _write(tmp_path / "run.json", '{"benchmarks": []}')
    monkeypatch.setattr(json, "dump", lambda data, handle, **kw: _full_disk(handle))
    result = invoke("bench", "--json", path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = error_lines(result)
    assert f"cannot write {path}: No space left on device" in line
    assert "Training step" in result.output  # the tables still show the run
    assert path.read_text() == '{"benchmarks": []}'
    assert os.listdir(tmp_path) == ["run.json"]


def test_bench_json_replaces_the_compared_file_whole(tiny_run, tmp_path, monkeypatch):
    """--json and --compare on one file: read before the run, replaced after it."""
    _canned(monkeypatch, tiny_run)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(tiny_run))
    result = invoke("bench", "--compare", path, "--json", path)
    assert result.exit_code == 0, result.output
    assert "Against the earlier run" in result.output
    assert json.loads(path.read_text())["benchmarks"] == tiny_run["benchmarks"]


def _fake_demo(monkeypatch):
    from bench.demos import common

    def run(backend, seed, fast, data):
        figure, _ = common.new_figure(1, width=1, height=1)
        return common.Result("fake", ["a"], [["1"]], {"it ran": True}, figure)

    monkeypatch.setattr("bench.demos.module", lambda name: type("Demo", (), {"run": run}))


def test_demo_picture_is_written_and_replaced_whole(tmp_path, monkeypatch):
    _fake_demo(monkeypatch)
    path = _write(tmp_path / "vanishing.png", "old picture")
    result = invoke("demo", "vanishing", "--backend", "numpy", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert path.read_bytes().startswith(b"\x89PNG")
    assert os.listdir(tmp_path) == ["vanishing.png"]


def test_demo_on_a_full_disk_exits_1_and_keeps_the_old_picture(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    _fake_demo(monkeypatch)
    monkeypatch.setattr(Figure, "savefig", lambda self, handle, **kw: _full_disk(handle))
    path = _write(tmp_path / "vanishing.png", "old picture")
    result = invoke("demo", "vanishing", "--backend", "numpy", "--out", tmp_path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = error_lines(result)
    assert "vanishing.png: No space left on device" in line
    assert "it ran" in result.output  # the table and claims were printed first
    assert path.read_text() == "old picture"
    assert os.listdir(tmp_path) == ["vanishing.png"]


# ---- a bench that stops early keeps what it measured ----


def _stop_at_case(monkeypatch, number, error):
    """Make the benchmark's ``number``-th case (1-based) raise ``error`` as it starts."""
    import bench.test_bench

    real_build, calls = bench.test_bench.build, []

    def build(case):
        calls.append(case)
        if len(calls) == number:
            raise error
        return real_build(case)

    monkeypatch.setattr(bench.test_bench, "build", build)


@pytest.mark.parametrize("finished", [1, 0])
@pytest.mark.filterwarnings("ignore:Not saving anything")  # pytest-benchmark, when no case ran
def test_an_interrupted_bench_keeps_the_finished_cases(finished, tmp_path, monkeypatch):
    _stop_at_case(monkeypatch, finished + 1, KeyboardInterrupt())
    path = _write(tmp_path / "run.json", "old")
    result = invoke(*TINY_BENCH, "--batch-size", "4", "--batch-size", "8", "--json", path)
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
    if finished:
        names = [b["name"] for b in json.loads(path.read_text())["benchmarks"]]
        assert names == ["test_train_step[numpy-cpu-sgd-b4-h8-k1]"]
        assert "Training step" in result.output
        assert f"Interrupted: the 1 finished cases are in the tables above and in {path}" in (
            result.output
        )
    else:
        assert path.read_text() == "old"
        assert "Interrupted: no case finished, so nothing is written (of 2 cases)" in (
            result.output
        )


def test_a_failing_case_keeps_the_others(tmp_path, monkeypatch):
    _stop_at_case(monkeypatch, 1, RuntimeError("out of memory, say"))
    path = tmp_path / "run.json"
    result = invoke(*TINY_BENCH, "--batch-size", "4", "--batch-size", "8", "--json", path)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "failed test_bench.py::test_train_step[numpy-cpu-sgd-b4-h8-k1]" in result.output
    assert "RuntimeError: out of memory, say" in result.output
    (line,) = error_lines(result)
    assert "1 of 2 cases failed; the 1 finished cases are in the tables above" in line
    names = [b["name"] for b in json.loads(path.read_text())["benchmarks"]]
    assert names == ["test_train_step[numpy-cpu-sgd-b8-h8-k1]"]
