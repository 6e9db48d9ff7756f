"""``gdkit check``: every implementation against the NumPy oracle, with the suite's own code.

The cases (``bench.cases``), tolerances (``bench.tolerances``), trajectories
(``bench.trajectories``) and metric (``bench.metrics``) are those of the test suite,
so ``gdkit check`` and ``make test`` cannot disagree. Trajectories are compared step by
step as they run, so memory stays that of one step however many steps are asked for.
"""

from rich.progress import Progress
from rich.table import Table

from bench import trajectories
from bench.cases import CASES, OPTAX_CASES
from bench.metrics import NonFiniteError, worst_difference
from bench.tolerances import tolerance


def comparisons(names, backends_, dtype):
    """``(case, backend)`` for everything to compare; optax only in float64."""
    todo = [
        (case, backend)
        for case in CASES.values()
        if case.optimizer in names
        for backend in backends_
        if backend in ("tf", "jax", "keras")
    ]
    if "optax" in backends_ and dtype == "float64":
        todo += [(case, "optax") for case in OPTAX_CASES.values() if case.optimizer in names]
    return todo


def nothing_to_check(names, backends_, dtype):
    """Why ``comparisons`` is empty, in one line."""
    if not backends_:
        return "none of the chosen backends is installed"
    if dtype != "float64":
        return "optax is compared with the oracle in float64 only"
    if "optax" not in backends_:  # the optimizers Keras lacks have optax cases only
        return f"{', '.join(names)}: compared with optax only here; add --backend optax"
    covered = sorted({case.optimizer for case in OPTAX_CASES.values()})
    return f"optax has no case for {', '.join(names)} (it has {', '.join(covered)})"


def compare(case, backend, dtype="float64", steps=None):
    """``(largest relative difference, tolerance, error)`` of one backend against the oracle
    over a trajectory; ``error`` says where a value went non-finite (the difference is None)."""
    if backend == "optax":
        got = trajectories.optax_trajectory(case, steps)
    elif backend == "tf":
        got = trajectories.tf_trajectory(case, steps, dtype)
    elif backend == "jax":
        got = trajectories.jax_trajectory(case, steps, dtype)
    else:
        got = trajectories.keras_trajectory(case, steps, dtype)
    expected = trajectories.oracle_trajectory(case, steps or case.steps_for(dtype), dtype)
    limit = tolerance(case, backend, dtype)
    try:
        return worst_difference(got, expected, sides=(backend, "the oracle")), limit, None
    except NonFiniteError as error:
        return None, limit, str(error)


def run(names, backends_, dtype="float64", steps=None, console=None):
    """A result dict per comparison: optimizer, case, backend, difference, tolerance, passed
    (and ``error`` where a value went non-finite)."""
    todo = comparisons(names, backends_, dtype)
    results = []
    with Progress(console=console, transient=True, disable=console is None) as progress:
        task = progress.add_task("checking", total=len(todo))
        for case, backend in todo:
            progress.update(task, description=f"{backend} {case.id}")
            difference, limit, error = compare(case, backend, dtype, steps)
            result = {
                "optimizer": case.optimizer,
                "case": case.id,
                "backend": backend,
                "dtype": dtype,
                "difference": None if difference is None else float(difference),
                "tolerance": limit,
                "passed": error is None and bool(difference <= limit),
            }
            if error is not None:
                result["error"] = error
            results.append(result)
            progress.advance(task)
    return results


def table(results):
    out = Table(title="Largest relative difference from the NumPy oracle", title_justify="left")
    for column in ("optimizer", "case", "backend", "dtype", "difference", "tolerance", ""):
        out.add_column(column, justify="right" if column in ("difference", "tolerance") else "left")
    for r in results:
        verdict = "[green]pass[/]" if r["passed"] else "[red bold]FAIL[/]"
        difference = "non-finite" if r["difference"] is None else f"{r['difference']:.1e}"
        out.add_row(
            r["optimizer"],
            r["case"],
            r["backend"],
            r["dtype"],
            difference,
            f"{r['tolerance']:.0e}",
            verdict,
        )
    return out


def errors(results):
    """One line per comparison that went non-finite: which side, and at which step."""
    return [f"{r['backend']} {r['case']}: {r['error']}" for r in results if "error" in r]
