"""``gdkit``: the command line. ``gdkit --help`` lists the commands.

Every user mistake ends in one line on stderr and exit status 2 (Click's usage
errors); no traceback. Backends are imported only by the commands that need them.
"""

import contextlib
import dataclasses
import importlib.metadata
import io
import json
import os
import pathlib
import sys
import tempfile

import click
from rich.console import Console

from bench import backends, files
from bench.steps import MODEL_BATCH_SIZES, MODELS
from reference import optimizers as reference_optimizers
from reference.errors import check_choice

BACKENDS = ("numpy", "tf", "keras", "jax")
TF_MODES = ("eager", "function", "xla")
# Without GPUs each replica is a logical CPU sharing the same cores: R = 64 already took
# 3 minutes for the smallest --quick case on 2 cores (measured); R = 100000 never starts.
MAX_REPLICAS = 64
# A case's arrays may take at most this share of the machine's memory: TensorFlow and
# JAX copy the NumPy data onto their device, so twice the estimate is in use at once.
MEMORY_SHARE = 0.5


def _console():
    # Piped or captured output gets a wide fixed width, so tables are never squeezed.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _version():
    try:
        return importlib.metadata.version("gdkit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _check_optimizers(names, allowed=None):
    for name in names:
        try:
            check_choice("optimizer", name, allowed or reference_optimizers.NAMES)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--optimizer") from None
    return names


def _completer(names):
    """Click's ``shell_complete`` hook: the names that start with what was typed."""

    def complete(ctx, param, incomplete):
        return [name for name in names() if name.startswith(incomplete)]

    return complete


def _piece_names():
    from bench import show_pieces

    return show_pieces.names()


def _demo_names():
    from bench.demos import NAMES

    return NAMES


complete_optimizer = _completer(lambda: reference_optimizers.NAMES)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="gdkit")
@click.option(
    "--verbose",
    is_flag=True,
    help="Show TensorFlow's C++ start-up log too (as TF_CPP_MIN_LOG_LEVEL=0 does).",
)
def main(verbose):
    """gdkit: gradient descent three ways (NumPy, TensorFlow, JAX), checked and timed.

    \b
    gdkit bench --quick          time training steps, compiled against not
    gdkit check                  every optimizer against the NumPy oracle
    gdkit show adam              NumPy, TensorFlow and JAX source side by side

    \b
    Shell completion (commands, options, optimizer, piece and demo names):
      eval "$(_GDKIT_COMPLETE=bash_source gdkit)"    # in ~/.bashrc; zsh_source, fish_source
    """
    if verbose:  # before TensorFlow starts, here and in the processes gdkit bench starts
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"


def backend_modes(selected_backends, selected_modes):
    """The benchmark's backend modes picked by ``--backend`` and ``--mode``.

    ``--mode`` chooses among TensorFlow's eager, function and xla; the other backends
    have one way to run each (NumPy plain, Keras in tf.function, JAX jitted).
    """
    chosen = []
    for backend_mode in backends.BACKEND_MODES:
        backend = backend_mode.split("-")[0]
        if selected_backends and backend not in selected_backends:
            continue
        if backend == "tf" and selected_modes and backend_mode.split("-")[1] not in selected_modes:
            continue
        chosen.append(backend_mode)
    return chosen


def _check_output_file(path, option):
    """A file the command will write: refused now, before the run, if it cannot be."""
    if path is None:
        return
    try:
        files.check_writable(path)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


def _case_bytes(batch_size, hidden, steps_per_call, replicas=1):
    """Bytes of float32 arrays one benchmark case holds: K batches of data, the weights
    with their gradient and up to three optimizer slots, and the activations."""
    from bench.steps import INPUT_SIZE, NUM_CLASSES

    batch = batch_size * replicas
    data = steps_per_call * batch * (INPUT_SIZE + 1)
    weights = 5 * (INPUT_SIZE * hidden + hidden + hidden * NUM_CLASSES + NUM_CLASSES)
    activations = 4 * batch * (hidden + NUM_CLASSES)
    return 4 * (data + weights + activations)


def _check_memory(batch_sizes, hidden, steps_per_call, replicas):
    """Refuse a grid whose largest case cannot fit in this machine's memory."""
    largest = _case_bytes(max(batch_sizes), max(hidden), max(steps_per_call), max(replicas or (1,)))
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if largest > MEMORY_SHARE * total:
        raise click.UsageError(
            f"the largest case (--batch-size {max(batch_sizes)}, --hidden {max(hidden)}, "
            f"--steps-per-call {max(steps_per_call)}, replicas {max(replicas or (1,))}) needs "
            f"about {largest / 2**30:.1f} GiB, more than {MEMORY_SHARE:.0%} of this machine's "
            f"{total / 2**30:.0f} GiB: make one of them smaller."
        )


def _check_layer_model_options(model_name, defaulted, replicas):
    """The options that belong to the MLP alone, refused for a layer model."""
    for option, given in (
        ("--hidden", not defaulted("hidden")),
        ("--replicas", bool(replicas)),
    ):
        if given:
            raise click.UsageError(
                f"{option} belongs to the MLP (--model mlp); --model {model_name} has no "
                f"{'hidden width' if option == '--hidden' else option[2:] + ' cases'}."
            )


def _check_replicas(replicas):
    """Every R must fit on the devices TensorFlow or JAX have (GPUs, else logical CPUs)."""
    counts = [
        backends.device_count(framework)
        for framework in ("tensorflow", "jax")
        if backends.installed(framework)
    ]
    if not counts:
        raise click.UsageError("--replicas needs TensorFlow or JAX; neither is installed.")
    too_many = [count for count in replicas if count > max(counts)]
    if too_many:
        raise click.BadParameter(
            f"{too_many[0]} replicas, but TensorFlow and JAX have at most {max(counts)} devices "
            f"here: use 1 to {max(counts)}.",
            param_hint="--replicas",
        )


@main.command()
@click.option(
    "--backend",
    "backends_",
    multiple=True,
    type=click.Choice(BACKENDS),
    help="Repeatable. Default: all installed.",
)
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice(TF_MODES),
    help="TensorFlow modes, repeatable. Default: all three.",
)
@click.option(
    "--device",
    type=click.Choice(["cpu", "gpu", "all"]),
    default="all",
    show_default=True,
    help="all: every device that is visible.",
)
@click.option(
    "--optimizer",
    "optimizer_names",
    multiple=True,
    shell_complete=complete_optimizer,
    default=("adam",),
    show_default=True,
    help="Repeatable; any of `gdkit check --help`'s names.",
)
@click.option(
    "--batch-size",
    "batch_sizes",
    multiple=True,
    type=click.IntRange(min=1),
    default=(32, 256),
    show_default=True,
    help="Repeatable.",
)
@click.option(
    "--model",
    "model_name",
    type=click.Choice(tuple(MODELS)),
    default="mlp",
    show_default=True,
    help="mlp: 784 → H → 10; cnn: the MNIST convnet of the TensorFlow tutorials "
    "(Conv2D 32, MaxPool, Conv2D 64, MaxPool, Dropout, Dense 10); lstm: 50 steps × 16 → "
    "LSTM 128 → Dense 10; transformer: 50 × 64 + positions → self-attention (4 heads × 16) "
    "+ residual → LayerNorm → Dense 10. Layer models' default batches: 32 and 128.",
)
@click.option(
    "--hidden",
    multiple=True,
    type=click.IntRange(min=1),
    default=(64,),
    show_default=True,
    help="Hidden width of the 784 → H → 10 model; repeatable.",
)
@click.option(
    "--steps-per-call",
    multiple=True,
    type=click.IntRange(min=1),
    default=(1, 16),
    show_default=True,
    help="K training steps fused into one compiled call; repeatable.",
)
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    default=None,
    help="Timed calls per case (default 30, 10 with --quick).",
)
@click.option(
    "--updates",
    is_flag=True,
    help="Also time the optimizer update alone: tf_impl vs Keras, jax_impl vs optax; "
    "optax's own optimizers (adabelief, yogi, ...) are timed here only.",
)
@click.option(
    "--breakdown",
    is_flag=True,
    help="Where the time goes. MLP: also split each step into overhead, forward, backward "
    "and update, and time its matmuls alone. Layer models (--model cnn, ...): time each "
    "layer's forward and backward alone, per mode.",
)
@click.option(
    "--replicas",
    multiple=True,
    type=click.IntRange(min=1, max=MAX_REPLICAS),
    help="Also time the data-parallel step (tf-mirrored, jax-sharded) over R devices; repeatable.",
)
@click.option(
    "--quick", is_flag=True, help="A first look, under a minute on 2 cores: fewer rounds, K=1 only."
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write pytest-benchmark's JSON here (for `pytest-benchmark compare`).",
)
@click.option(
    "--compare",
    "compare_path",
    type=click.Path(dir_okay=False),
    help="An earlier --json file: adds a table of now/before ratios.",
)
def bench(
    backends_,
    modes,
    device,
    optimizer_names,
    batch_sizes,
    model_name,
    hidden,
    steps_per_call,
    rounds,
    updates,
    breakdown,
    replicas,
    quick,
    json_path,
    compare_path,
):
    """Time whole training steps (forward, backward, update) per backend, mode and device.

    \b
    Examples:
      gdkit bench --quick
      gdkit bench --model cnn
      gdkit bench --backend tf --mode function --mode xla --batch-size 1024 --hidden 4096
      gdkit bench --optimizer adam --optimizer sgd --updates --json run.json
      gdkit bench --backend tf --backend jax --batch-size 32 --steps-per-call 16 --breakdown
      gdkit bench --compare run.json
      gdkit bench --replicas 1 --replicas 2 --replicas 4 --backend numpy
    """
    from bench import parts, report
    from bench.config import Config

    console = _console()
    _check_optimizers(
        optimizer_names, reference_optimizers.NAMES + reference_optimizers.OPTAX_NAMES
    )
    optax_only = [name for name in optimizer_names if name in reference_optimizers.OPTAX_NAMES]
    if optax_only and not updates:
        raise click.BadParameter(
            f"{', '.join(optax_only)}: optax's optimizers are timed by --updates alone "
            "(the step cases are Keras's): add --updates.",
            param_hint="--optimizer",
        )
    optimizer_names, batch_sizes, hidden, steps_per_call, replicas = (  # given twice: timed once
        tuple(dict.fromkeys(values))
        for values in (optimizer_names, batch_sizes, hidden, steps_per_call, replicas)
    )
    context = click.get_current_context()

    def defaulted(name):
        return context.get_parameter_source(name) == click.core.ParameterSource.DEFAULT

    if model_name != "mlp":
        _check_layer_model_options(model_name, defaulted, replicas)
        if defaulted("batch_sizes"):
            batch_sizes = MODEL_BATCH_SIZES

    # Every path and value is checked before the run, so a mistake never costs one.
    _check_output_file(json_path, "--json")
    old = None
    if compare_path is not None:
        if not compare_path.strip():
            raise click.BadParameter("the path is empty", param_hint="--compare")
        try:
            old = report.load(compare_path)
        except report.ReportError as error:
            raise click.BadParameter(str(error), param_hint="--compare") from None
    if modes and backends_ and "tf" not in backends_:
        raise click.UsageError(
            f"--mode {'/'.join(modes)} picks TensorFlow's modes, and --backend "
            f"{'/'.join(backends_)} has none: add --backend tf, or leave --mode out."
        )
    if breakdown and not set(backend_modes(backends_, modes)) & set(parts.MODES):
        raise click.UsageError(
            f"--breakdown splits the steps of {', '.join(parts.MODES)}; "
            f"--backend {'/'.join(backends_)} has none of them."
        )
    _check_memory(batch_sizes, hidden, steps_per_call, replicas)
    if replicas:  # before anything starts TensorFlow or JAX: they split the CPU then
        for note in backends.prepare_replicas(max(replicas)):
            console.print(note)
        _check_replicas(replicas)
    if device == "gpu" and not backends.any_gpu():
        raise click.UsageError(
            "--device gpu: no GPU is visible to TensorFlow or JAX on this machine."
        )
    if device == "all" and not backends.any_gpu():
        console.print("No GPU visible to TensorFlow or JAX: benching the CPU only.")
    modes_chosen = backend_modes(backends_, modes)
    for framework in ("tensorflow", "jax"):
        if not backends.installed(framework) and any(
            backends.FRAMEWORK[m] == framework for m in modes_chosen
        ):
            console.print(f"{framework} is not installed: its rows are skipped.")
    settings = {
        "backend_modes": tuple(modes_chosen),
        "device": device,
        "optimizers": tuple(n for n in optimizer_names if n in reference_optimizers.NAMES),
        "batch_sizes": tuple(batch_sizes),
        "hidden": tuple(hidden),
        "steps_per_call": (1,) if quick and defaulted("steps_per_call") else tuple(steps_per_call),
        "update_optimizers": tuple(optimizer_names) if updates else (),
        "replicas": tuple(replicas),
        "breakdown": breakdown and model_name == "mlp",  # a layer model's: _print_layer_times
        "model": model_name,
    }
    config = Config.quick(**settings) if quick else Config(**settings)
    if rounds:
        config.rounds = rounds
    if next(config.cases(), None) is None and not config.update_optimizers:
        raise click.UsageError(
            f"nothing to time: {', '.join(modes_chosen)} on --device {device} "
            "gives no case on this machine."
        )
    run = _run_benchmarks(config)
    data = run.data
    write_error = None
    if json_path and data["benchmarks"]:  # first: nothing that goes wrong later loses the run
        write_error = _write_json(json_path, data)
    rows = report.step_rows(data)
    if rows:
        _print_step_tables(rows, console)
    paired = None
    if updates and not quick and run.complete:
        from bench.updates import paired_ratios

        try:
            with console.status("pairing each update with its built-in, calls alternating…"):
                paired = paired_ratios(optimizer_names, rounds=config.rounds * 3)
        except KeyboardInterrupt:
            run.interrupted = True
    if breakdown and model_name != "mlp" and run.complete:
        _print_layer_times(model_name, config, report.device_peaks(data["benchmarks"]), console)
    update = report.update_table(data, paired)
    if update is not None:
        console.print(update)
    if old is not None and data["benchmarks"]:
        table, matched = report.compare_table(old, data)
        console.print(table if matched else f"No case of {compare_path} was run this time.")
    if json_path and data["benchmarks"] and write_error is None:
        console.print(f"pytest-benchmark JSON written to {json_path}")
    _end_of_run(run, json_path, write_error)


def _write_json(path, data):
    """Write ``data`` to ``path`` whole or not at all; what went wrong, or None."""
    try:
        with files.replaced_atomically(path) as handle:
            json.dump(data, handle, indent=2)
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    return None


def _print_step_tables(rows, console):
    from bench import report

    console.print(report.step_table(rows))
    for line in report.verdicts(rows):
        console.print(f"  {line}")
    parts = report.breakdown_table(rows)
    if parts is not None:
        console.print(parts)
    scaling = report.scaling_table(rows)
    if scaling is not None:
        console.print(scaling)
        if not backends.any_gpu():
            console.print(
                "  CPU only: the R logical devices share the same cores, so these numbers show "
                "the overhead of data parallelism, not a speed-up."
            )


def _print_layer_times(model_name, config, peaks, console):
    """``--breakdown`` for a layer model: each layer's forward and backward alone, per mode,
    against the CPU's matmul peak measured by the run (``peaks``: ``report.device_peaks``)."""
    from bench import layer_times, machine, report

    modes = [mode for mode in config.backend_modes if mode in layer_times.MODES]
    if "cpu" in peaks:
        peak = peaks["cpu"][0]
    else:  # the run timed no CPU case
        with console.status("measuring the matmul peak…"):
            frameworks = {backends.FRAMEWORK[mode] for mode in modes}
            peak = max(machine.matmul_peak_gflops(framework) for framework in frameworks)
    for batch_size in config.batch_sizes:
        with console.status(f"timing each layer of --model {model_name} at B={batch_size}…"):
            rows = layer_times.layer_times(model_name, batch_size, modes, config.rounds)
        console.print(report.layer_table(model_name, batch_size, rows, peak))


def _end_of_run(run, json_path, write_error):
    """Say what an interrupted or failed run kept, and exit 130 or 1; nothing if all went well."""
    finished = len(run.data["benchmarks"])
    if not finished:
        kept = "no case finished, so nothing is written" if json_path else "no case finished"
    elif json_path and write_error is None:
        kept = f"the {finished} finished cases are in the tables above and in {json_path}"
    else:
        kept = f"the {finished} finished cases are in the tables above"
    if run.interrupted:
        click.echo(f"Interrupted: {kept} (of {run.total} cases).", err=True)
        sys.exit(130)
    if run.failures:
        for failure in run.failures:
            click.echo(f"failed {failure}", err=True)
        raise click.ClickException(f"{len(run.failures)} of {run.total} cases failed; {kept}.")
    if write_error is not None:
        raise click.ClickException(f"{write_error}; the tables above are this run's results.")


class _Progress:
    """A pytest plugin that drives a rich progress bar, one tick per benchmark case,
    and notes which cases passed and how the others failed."""

    def __init__(self, progress):
        self.progress, self.task = progress, None
        self.total, self.passed, self.failures = 0, set(), []

    def pytest_collectreport(self, report):
        if report.failed:
            self.failures.append(f"collecting {report.nodeid}: {_failure_line(report)}")

    def pytest_collection_finish(self, session):
        self.total = len(session.items)
        self.task = self.progress.add_task("benchmarking", total=self.total)

    def pytest_runtest_logstart(self, nodeid, location):
        self.progress.update(self.task, description=nodeid.split("[", 1)[-1].rstrip("]"))

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failures.append(f"{report.nodeid}: {_failure_line(report)}")
        elif report.when == "call":
            self.passed.add(report.nodeid)
        if report.when == "teardown":
            self.progress.advance(self.task)


def _failure_line(report):
    """What failed: the exception and its message (``RuntimeError: ...``) where pytest has it."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return crash.message.splitlines()[0]
    lines = report.longreprtext.splitlines()
    return lines[-1] if lines else "failed"


@dataclasses.dataclass
class _Run:
    """What a benchmark run kept: pytest-benchmark's JSON of the cases that passed."""

    data: dict
    total: int
    failures: list
    interrupted: bool

    @property
    def complete(self):
        return not (self.failures or self.interrupted)


def _run_benchmarks(config):
    """Run the cases through pytest-benchmark; keep those that finished, however it ends.

    A failing case, or Ctrl-C (pytest stops at the case it is in and still writes its
    JSON), leaves the cases that passed; a case cut short is dropped.
    """
    import pytest
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    here = pathlib.Path(__file__).parent
    test_files = [str(here / "test_bench.py")]
    if config.update_optimizers:
        test_files.append(str(here / "test_updates.py"))
    with tempfile.TemporaryDirectory() as scratch:
        json_out = os.path.join(scratch, "bench.json")
        os.environ["GDKIT_BENCH_CONFIG"] = config.to_env()
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ]
        progress_console = Console(file=sys.stderr)
        chatter = io.StringIO()  # pytest-benchmark's own messages; the tables replace them
        interrupted = False
        with (
            Progress(*columns, console=progress_console, transient=True) as progress,
            contextlib.redirect_stdout(chatter),
            contextlib.redirect_stderr(chatter),
        ):
            plugin = _Progress(progress)
            try:
                code = pytest.main(
                    [
                        *test_files,
                        "-p",
                        "no:terminal",
                        "-p",
                        "no:cacheprovider",
                        "--rootdir",
                        str(here),
                        "-c",
                        os.devnull,
                        f"--benchmark-json={json_out}",
                        "--benchmark-disable-gc",
                    ],
                    plugins=[plugin],
                )
            except KeyboardInterrupt:  # a second Ctrl-C, while pytest was finishing
                code, interrupted = pytest.ExitCode.INTERRUPTED, True
        interrupted = interrupted or code == pytest.ExitCode.INTERRUPTED
        failures = list(plugin.failures)
        if code not in (0, 5) and not interrupted and not failures:
            failures.append(f"pytest exit {int(code)}")
        try:
            with open(json_out) as handle:
                data = json.load(handle)
        except (OSError, ValueError):  # no case finished, or the JSON was cut short
            data = {"benchmarks": []}
    data["benchmarks"] = [b for b in data["benchmarks"] if b.get("fullname") in plugin.passed]
    return _Run(data, plugin.total, failures, interrupted)


@main.command()
@click.option(
    "--optimizer",
    "optimizer_names",
    multiple=True,
    shell_complete=complete_optimizer,
    help="Repeatable. Default: every optimizer.",
)
@click.option(
    "--backend",
    "backends_",
    multiple=True,
    type=click.Choice(["tf", "jax", "keras", "optax", "all"]),
    default=("all",),
    show_default=True,
)
@click.option(
    "--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=None,
    help="Trajectory length (default: each case's own, 30 in float32).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def check(optimizer_names, backends_, dtype, steps, as_json):
    """Compare every implementation with the NumPy oracle, optimizer by optimizer.

    Prints the largest relative difference from the oracle, the tolerance and
    pass/fail; exits 1 if any comparison fails.

    \b
    Examples:
      gdkit check
      gdkit check --optimizer adam --backend tf --dtype float32
      gdkit check --backend optax --json
    """
    from bench import checks

    checked = reference_optimizers.NAMES + reference_optimizers.OPTAX_NAMES
    names = _check_optimizers(optimizer_names, checked) or checked
    chosen = ("tf", "jax", "keras", "optax") if "all" in backends_ else backends_
    available = [b for b in chosen if backends.installed(backends.FRAMEWORK[b])]
    console = _console()
    skipped = sorted(set(chosen) - set(available))
    if skipped:  # one line; on stderr with --json, so stdout stays JSON
        absent = sorted({backends.FRAMEWORK[backend] for backend in skipped})
        click.echo(
            f"{' and '.join(absent)} not installed: --backend {', '.join(skipped)} skipped.",
            err=as_json,
        )
    if not checks.comparisons(names, available, dtype):
        raise click.UsageError(
            f"nothing to check: {checks.nothing_to_check(names, available, dtype)}."
        )
    results = checks.run(names, available, dtype, steps, console=None if as_json else console)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        console.print(checks.table(results))
        for line in checks.errors(results):
            console.print(f"  {line}", markup=False)
        failed = sum(not r["passed"] for r in results)
        console.print(f"{len(results) - failed} passed, {failed} failed")
    if any(not r["passed"] for r in results):
        sys.exit(1)


@main.command()
@click.argument("name", required=False, shell_complete=_completer(_piece_names))
@click.option(
    "--backend",
    "backends_",
    multiple=True,
    type=click.Choice(["numpy", "tf", "jax"]),
    help="Show only these; repeatable. Default: all three.",
)
@click.option(
    "--layout",
    type=click.Choice(["auto", "columns", "stacked"]),
    default="auto",
    show_default=True,
    help="columns side by side, or stacked one after another; auto: columns when they fit.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(path_type=pathlib.Path),
    help="Write a self-contained page to this file (with --all: a folder of pages).",
)
@click.option("--all", "every_piece", is_flag=True, help="Every piece; needs --html DIR.")
def show(name, backends_, layout, html_path, every_piece):
    """Show one piece in NumPy, TensorFlow and JAX, aligned row by row.

    NAME is an optimizer (adam, sgd, ...), a schedule (cosine_decay, ...), a loss
    (softmax_cross_entropy, mean_squared_error; loss for the first), backprop,
    train_step, clipping, or a layer (conv2d, ...).

    \b
    Examples:
      gdkit show adam
      gdkit show backprop --backend numpy --backend tf
      gdkit show adam --layout stacked
      gdkit show adam --html adam.html
      gdkit show --all --html pages/      # then open pages/index.html
    """
    from bench import show as show_module
    from bench import show_html, show_pieces

    backends_ = backends_ or show_pieces.BACKENDS
    if every_piece and name:
        raise click.UsageError("Give a NAME or --all, not both.")
    if every_piece and html_path is None:
        raise click.UsageError("--all writes one page per piece: give --html DIR.")
    if not every_piece and name is None:
        raise click.UsageError("Name a piece (e.g. gdkit show adam), or give --all --html DIR.")
    try:
        if every_piece:
            written = show_html.write_all(html_path, backends_)
            click.echo(f"Wrote {len(written) - 1} pages and {html_path / 'index.html'}")
            return
        shown = show_pieces.load(name, backends_)
        if html_path is not None:
            click.echo(f"Wrote {show_html.write_page(html_path, shown)}")
            return
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="NAME") from None
    except OSError as error:
        raise click.UsageError(f"cannot write {html_path}: {error.strerror or error}") from None
    show_module.render(shown, _console(), layout)


def _demo_name(ctx, param, value):
    from bench.demos import NAMES

    if value is None or ctx.params.get("list_demos"):
        return value
    try:
        check_choice("demo", value, NAMES)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


@main.command()
@click.option(
    "--list", "list_demos", is_flag=True, is_eager=True, help="Name every demo, one line each."
)
@click.argument("name", required=False, callback=_demo_name, shell_complete=_completer(_demo_names))
@click.option(
    "--backend", type=click.Choice(["numpy", "tf", "jax"]), default="tf", show_default=True
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="gdkit-out",
    show_default=True,
    help="Folder for the PNG.",
)
@click.option(
    "--data",
    type=click.Choice(["digits", "mnist"]),
    default="digits",
    show_default=True,
    help="mnist only if Keras's file is already in ~/.keras/datasets.",
)
def demo(list_demos, name, backend, seed, out, data):
    """Run one experiment of the teaching lab: a picture, the numbers behind it, its claims.

    \b
    Examples:
      gdkit demo --list
      gdkit demo vanishing
      gdkit demo learning-rate --backend jax --out pictures
    """
    from bench.demos import DEMOS

    console = _console()
    if list_demos:
        for demo_name, line in DEMOS.items():
            console.print(f"{demo_name:15s} {line}")
        return
    if name is None:
        raise click.UsageError("Name a demo (gdkit demo --list shows them).")
    if not out.strip():
        raise click.BadParameter("the path is empty", param_hint="--out")
    folder = pathlib.Path(out)
    path = folder / f"{name}.png"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        files.check_writable(path)
    except OSError as error:
        raise click.BadParameter(
            f"cannot make {out}: {error.strerror}", param_hint="--out"
        ) from None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--out") from None
    if backend == "tf":
        backends.tensorflow()
    from bench.demos import common, module

    fast = os.environ.get("GDKIT_DEMO_FAST") == "1"  # the test suite's shortened runs
    try:
        with console.status(f"running {name} on {backend}…"):
            result = module(name).run(backend=backend, seed=seed, fast=fast, data=data)
    except common.DataUnavailableError as error:
        raise click.BadParameter(str(error), param_hint="--data") from None
    from rich.table import Table

    table = Table(title=result.title, title_justify="left")
    for column in result.columns:
        table.add_column(str(column))
    for row in result.rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    for claim, holds in result.claims.items():
        console.print(f"  {'[green]✓[/]' if holds else '[red]✗[/]'} {claim}")
    try:  # a full disk here is no user mistake: exit 1, and an earlier picture stays whole
        with files.replaced_atomically(path, "wb") as handle:
            result.figure.savefig(handle, format="png", dpi=100)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None
    console.print(f"picture: {path}")
