"""``make gpu-check``: JAX's training steps on a GPU, checked against the oracle and timed
against the CPU, with the machine's own Python and nothing installed for the occasion.

    python3 -m bench.gpu_check        # from the repository root: what `make gpu-check` runs

1. Every equivalence case (``bench.cases``) runs jax_impl on the GPU against the NumPy
   oracle three times: float64 over the case's trajectory; float32 with matmuls in full
   float32 (``jax.default_matmul_precision("float32")``) over ``FLOAT32_STEPS``; float32 at
   JAX's default precision, which is TF32 on NVIDIA Ampere or newer, over ``TF32_STEPS``.
2. ``gdkit bench --backend jax --device all`` times the MLP's step on the GPU and the CPU
   in one run (batch 32, 256, 1024; K = 1 and 16) and writes pytest-benchmark's JSON.
3. The GPU-over-CPU table.

Only the standard library is imported before the checks below, so a missing package is
named in one line. Exit status: 0 when everything passed, or when there is no GPU (there
is nothing to check); 1 when a package is missing or a comparison failed.
"""

import argparse
import contextlib
import glob
import json
import pathlib
import sys
import time

from bench import backends

# Import names of what the check needs, and their names on PyPI where they differ.
NEEDED = ("numpy", "jax", "click", "rich", "pytest", "pytest_benchmark")
PYPI_NAMES = {"pytest_benchmark": "pytest-benchmark"}
BATCH_SIZES = (32, 256, 1024)
STEPS_PER_CALL = (1, 16)

TF32_STEPS = 1  # why one step: bench/tolerances.py, TF32


def missing_packages():
    return [PYPI_NAMES.get(name, name) for name in NEEDED if not backends.installed(name)]


def nvidia_device_present():
    """An NVIDIA GPU the driver exposes, found without JAX: its device files."""
    return bool(glob.glob("/dev/nvidia[0-9]*") or glob.glob("/proc/driver/nvidia/gpus/*"))


def why_not(python=sys.executable):
    """``(exit status, one line)`` when the check cannot or need not run; None when it can."""
    if not backends.installed("jax"):
        if not nvidia_device_present():
            return 0, "gpu-check: no GPU on this machine (and no JAX): nothing to check."
        return 1, f"gpu-check: {python} cannot import jax (pip name: jax[cuda12])."
    if not backends.gpus("jax"):
        if nvidia_device_present():
            return (
                1,
                "gpu-check: an NVIDIA GPU is present but JAX sees none (jaxlib without CUDA?).",
            )
        return 0, "gpu-check: no GPU visible to JAX on this machine: nothing to check."
    missing = missing_packages()
    if missing:
        return 1, f"gpu-check: {python} cannot import {', '.join(missing)}; install them first."
    return None


def equivalence_runs(gpu_precision):
    """``(label, dtype, precision setting, steps, tolerance)``; None: the case's own."""
    from bench import cases, tolerances

    return (
        ("float64", "float64", None, None, None),
        ("float32, float32 matmuls", "float32", "float32", cases.FLOAT32_STEPS, tolerances.FLOAT32),
        (f"float32, default ({gpu_precision})", "float32", None, TF32_STEPS, tolerances.TF32),
    )


def check_equivalence(case_ids, console):
    """jax_impl on the GPU against the oracle: a result dict per (case, run), as ``gdkit check``."""
    import jax
    from rich.progress import Progress

    from bench import checks, machine
    from bench.cases import CASES

    gpu = jax.devices("gpu")[0]
    runs = equivalence_runs(machine.float32_matmul_precision("jax", "gpu"))
    results = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("equivalence on the GPU", total=len(case_ids) * len(runs))
        for case_id in case_ids:
            case = CASES[case_id]
            for label, dtype, precision, steps, limit in runs:
                progress.update(task, description=f"{case_id}, {label}")
                precision_context = (
                    jax.default_matmul_precision(precision)
                    if precision
                    else contextlib.nullcontext()
                )
                with jax.default_device(gpu), precision_context:
                    difference, case_limit, error = checks.compare(case, "jax", dtype, steps)
                limit = limit or case_limit
                results.append(
                    {
                        "optimizer": case.optimizer,
                        "case": case_id,
                        "backend": "jax (gpu)",
                        "dtype": f"{label}, {_steps(steps or case.steps_for(dtype))}",
                        "difference": None if difference is None else float(difference),
                        "tolerance": limit,
                        "passed": error is None and bool(difference <= limit),
                    }
                )
                progress.advance(task)
    return results


def _steps(count):
    return "1 step" if count == 1 else f"{count} steps"


def run_bench(batch_sizes, steps_per_call, rounds, json_path, quick=False):
    """``gdkit bench`` for jax-jit on the GPU and the CPU; its pytest-benchmark JSON, loaded."""
    from bench import report
    from bench.cli import main as gdkit

    arguments = ["bench", "--backend", "jax", "--device", "all", "--json", str(json_path)]
    for batch_size in batch_sizes:
        arguments += ["--batch-size", str(batch_size)]
    for k in steps_per_call:
        arguments += ["--steps-per-call", str(k)]
    if rounds:
        arguments += ["--rounds", str(rounds)]
    if quick:
        arguments.append("--quick")
    gdkit.main(args=arguments, prog_name="gdkit", standalone_mode=False)
    return report.load(json_path)


def parse(argv):
    parser = argparse.ArgumentParser(prog="python3 -m bench.gpu_check", description=__doc__)
    parser.add_argument("--case", action="append", help="an equivalence case id; default: all")
    parser.add_argument("--batch-size", action="append", type=int, help="default: 32 256 1024")
    parser.add_argument("--steps-per-call", action="append", type=int, help="default: 1 16")
    parser.add_argument("--rounds", type=int, help="timed calls per bench case (default 30)")
    parser.add_argument("--quick", action="store_true", help="gdkit bench --quick: a first look")
    parser.add_argument("--out", default="gdkit-out", help="folder for the JSON files")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    stop = why_not()
    if stop is not None:
        status, line = stop
        print(line)
        return status

    import jax
    from rich.console import Console

    from bench import checks, report
    from bench.cases import CASES

    started = time.perf_counter()
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    console.print(f"GPU: {jax.devices('gpu')[0].device_kind}; JAX {jax.__version__}")

    results = check_equivalence(args.case or list(CASES), console)
    console.print(checks.table(results))
    failed = sum(not result["passed"] for result in results)
    console.print(
        f"equivalence on the GPU: {len(results) - failed} passed, {failed} failed "
        f"({time.perf_counter() - started:.0f} s)"
    )
    (out / "gpu-equivalence.json").write_text(json.dumps(results, indent=2))

    import click

    try:
        data = run_bench(
            args.batch_size or BATCH_SIZES,
            args.steps_per_call or STEPS_PER_CALL,
            args.rounds,
            out / "gpu-bench.json",
            args.quick,
        )
    except click.ClickException as error:
        console.print(f"gdkit bench: {error.format_message()}")
        return 1
    table = report.gpu_table(report.step_rows(data))
    console.print(table if table is not None else "No case ran on both the GPU and the CPU.")
    console.print(
        f"gpu-check took {time.perf_counter() - started:.0f} s; "
        f"JSON in {out / 'gpu-bench.json'} and {out / 'gpu-equivalence.json'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
