"""``gdkit``: the command line. ``gdkit --help`` lists the commands.

Every user mistake ends in one line on stderr and exit status 2 (Click's usage
errors); no traceback. Backends are imported only by the commands that need them.
"""

import contextlib
import importlib.metadata
import io
import json
import os
import pathlib
import sys
import tempfile

import click
from rich.console import Console

from bench import backends
from reference import optimizers as reference_optimizers
from reference.errors import check_choice

BACKENDS = ("numpy", "tf", "keras", "jax")
TF_MODES = ("eager", "function", "xla")


def _console():
    # Piped or captured output gets a wide fixed width, so tables are never squeezed.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _version():
    try:
        return importlib.metadata.version("gdkit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _check_optimizers(names):
    for name in names:
        try:
            check_choice("optimizer", name, reference_optimizers.NAMES)
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
def main():
    """gdkit: gradient descent three ways (NumPy, TensorFlow, JAX), checked and timed.

    \b
    gdkit bench --quick          time training steps, compiled against not
    gdkit check                  every optimizer against the NumPy oracle
    gdkit show adam              NumPy, TensorFlow and JAX source side by side

    \b
    Shell completion (commands, options, optimizer, piece and demo names):
      eval "$(_GDKIT_COMPLETE=bash_source gdkit)"    # in ~/.bashrc; zsh_source, fish_source
    """


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
    help="Also time the optimizer update alone: tf_impl vs Keras, jax_impl vs optax.",
)
@click.option(
    "--breakdown",
    is_flag=True,
    help="Also split each step into overhead, forward, backward and update, "
    "and time its matmuls alone: where the time goes.",
)
@click.option(
    "--replicas",
    multiple=True,
    type=click.IntRange(min=1),
    help="Also time the data-parallel step (tf-mirrored, jax-sharded) over R devices; repeatable.",
)
@click.option(
    "--quick", is_flag=True, help="A first look in about a minute: fewer rounds, K=1 only."
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
      gdkit bench --backend tf --mode function --mode xla --batch-size 1024 --hidden 4096
      gdkit bench --optimizer adam --optimizer sgd --updates --json run.json
      gdkit bench --backend tf --backend jax --batch-size 32 --steps-per-call 16 --breakdown
      gdkit bench --compare run.json
      gdkit bench --replicas 1 --replicas 2 --replicas 4 --backend numpy
    """
    from bench import report
    from bench.config import Config

    console = _console()
    _check_optimizers(optimizer_names)
    context = click.get_current_context()

    def defaulted(name):
        return context.get_parameter_source(name) == click.core.ParameterSource.DEFAULT

    if replicas:  # before anything starts TensorFlow or JAX: they split the CPU then
        for note in backends.prepare_replicas(max(replicas)):
            console.print(note)
    old = None
    if compare_path:
        try:
            old = report.load(compare_path)
        except report.ReportError as error:
            raise click.BadParameter(str(error), param_hint="--compare") from None
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
        "optimizers": tuple(optimizer_names),
        "batch_sizes": tuple(batch_sizes),
        "hidden": tuple(hidden),
        "steps_per_call": (1,) if quick and defaulted("steps_per_call") else tuple(steps_per_call),
        "update_optimizers": tuple(optimizer_names) if updates else (),
        "replicas": tuple(replicas),
        "breakdown": breakdown,
    }
    config = Config.quick(**settings) if quick else Config(**settings)
    if rounds:
        config.rounds = rounds
    data = _run_benchmarks(config, console)
    rows = report.step_rows(data)
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
    paired = None
    if updates and not quick:
        from bench.updates import paired_ratios

        with console.status("pairing each update with its built-in, calls alternating…"):
            paired = paired_ratios(optimizer_names, rounds=config.rounds * 3)
    update = report.update_table(data, paired)
    if update is not None:
        console.print(update)
    if old is not None:
        table, matched = report.compare_table(old, data)
        console.print(table if matched else f"No case of {compare_path} was run this time.")
    if json_path:
        with open(json_path, "w") as handle:
            json.dump(data, handle, indent=2)
        console.print(f"pytest-benchmark JSON written to {json_path}")


class _Progress:
    """A pytest plugin that drives a rich progress bar, one tick per benchmark case."""

    def __init__(self, progress):
        self.progress, self.task, self.failures = progress, None, []

    def pytest_collection_finish(self, session):
        self.task = self.progress.add_task("benchmarking", total=len(session.items))

    def pytest_runtest_logstart(self, nodeid, location):
        self.progress.update(self.task, description=nodeid.split("[", 1)[-1].rstrip("]"))

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failures.append(f"{report.nodeid}: {report.longreprtext.splitlines()[-1]}")
        if report.when == "teardown":
            self.progress.advance(self.task)


def _run_benchmarks(config, console):
    import pytest
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    here = pathlib.Path(__file__).parent
    files = [str(here / "test_bench.py")]
    if config.update_optimizers:
        files.append(str(here / "test_updates.py"))
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
        with (
            Progress(*columns, console=progress_console, transient=True) as progress,
            contextlib.redirect_stdout(chatter),
            contextlib.redirect_stderr(chatter),
        ):
            plugin = _Progress(progress)
            code = pytest.main(
                [
                    *files,
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
        if code not in (0, 5) or not os.path.exists(json_out):
            for failure in plugin.failures:
                console.print(f"[red]failed[/] {failure}")
            raise click.ClickException(f"the benchmark run failed (pytest exit {int(code)})")
        with open(json_out) as handle:
            return json.load(handle)


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

    names = _check_optimizers(optimizer_names) or reference_optimizers.NAMES
    chosen = ("tf", "jax", "keras", "optax") if "all" in backends_ else backends_
    available = [b for b in chosen if backends.installed(checks.FRAMEWORK[b])]
    console = _console()
    for missing in sorted(set(chosen) - set(available)):
        console.print(
            f"{checks.FRAMEWORK[missing]} is not installed: --backend {missing} is skipped."
        )
    results = checks.run(names, available, dtype, steps, console=None if as_json else console)
    if as_json:
        click.echo(json.dumps(results, indent=2))
    else:
        console.print(checks.table(results))
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
@click.option("--seed", type=int, default=0, show_default=True)
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
    folder = pathlib.Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".gdkit-write-test"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise click.BadParameter(
            f"cannot write to {out}: {error.strerror}", param_hint="--out"
        ) from None
    if backend == "tf":
        backends.tensorflow()
    from bench.demos import common, module

    fast = os.environ.get("GDKIT_DEMO_FAST") == "1"  # the test suite's shortened runs
    try:
        with console.status(f"running {name} on {backend}…"):
            result = module(name).run(backend=backend, seed=seed, fast=fast, data=data)
    except common.DataUnavailableError as error:
        raise click.BadParameter(str(error), param_hint="--data") from None
    path = folder / f"{name}.png"
    result.figure.savefig(path, dpi=100)
    from rich.table import Table

    table = Table(title=result.title, title_justify="left")
    for column in result.columns:
        table.add_column(str(column))
    for row in result.rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    for claim, holds in result.claims.items():
        console.print(f"  {'[green]✓[/]' if holds else '[red]✗[/]'} {claim}")
    console.print(f"picture: {path}")
