"""``gdkit check``: every implementation against the NumPy oracle, with the suite's own code.

The cases, tolerances and trajectory runners are those of the test suite
(``bench.equivalence``), so ``gdkit check`` and ``make test`` cannot disagree.
"""

from rich.progress import Progress
from rich.table import Table

from bench import equivalence as eq

FRAMEWORK = {"tf": "tensorflow", "keras": "tensorflow", "jax": "jax", "optax": "optax"}


def _comparisons(names, backends_, dtype):
    """(optimizer, case id, backend) for everything to compare."""
    for case_id, name, _, _ in eq.CASES:
        if name not in names:
            continue
        for backend in backends_:
            if backend in ("tf", "jax", "keras"):
                yield name, case_id, backend
    if "optax" in backends_ and dtype == "float64":
        for case_id, _, _ in eq.OPTAX_CASES:
            name = case_id.split("-")[0].replace("amsgrad", "adam")
            if name in names:
                yield name, case_id, "optax"


def _compare(case_id, backend, dtype, steps):
    if backend == "optax":
        _, hyper, make_transform = next(c for c in eq.OPTAX_CASES if c[0] == case_id)
        name = case_id.split("-")[0].replace("amsgrad", "adam")
        steps = steps or 100
        expected = eq.oracle_final(name, hyper, steps)
        got = eq.optax_trajectory(make_transform, steps)[-1]
        return eq.max_relative_difference(got, expected), eq.FLOAT64_TOLERANCE
    _, name, hyper, case_steps = eq.case(case_id)
    steps = steps or (eq.FLOAT32_STEPS if dtype == "float32" else case_steps)
    run = {"tf": eq.tf_trajectory, "jax": eq.jax_trajectory, "keras": eq.keras_trajectory}[backend]
    got = run(name, hyper, steps, dtype)
    expected = [params for params, _ in eq.oracle_trajectory(case_id, dtype, steps)]
    return eq.worst_difference(got, expected), eq.tolerance(case_id, backend, dtype)


def run(names, backends_, dtype="float64", steps=None, console=None):
    """A result dict per comparison: optimizer, case, backend, difference, tolerance, passed."""
    todo = list(_comparisons(names, backends_, dtype))
    results = []
    with Progress(console=console, transient=True, disable=console is None) as progress:
        task = progress.add_task("checking", total=len(todo))
        for name, case_id, backend in todo:
            progress.update(task, description=f"{backend} {case_id}")
            difference, tolerance = _compare(case_id, backend, dtype, steps)
            results.append(
                {
                    "optimizer": name,
                    "case": case_id,
                    "backend": backend,
                    "dtype": dtype,
                    "difference": float(difference),
                    "tolerance": tolerance,
                    "passed": bool(difference <= tolerance),
                }
            )
            progress.advance(task)
    return results


def table(results):
    out = Table(title="Largest relative difference from the NumPy oracle", title_justify="left")
    for column in ("optimizer", "case", "backend", "dtype", "difference", "tolerance", ""):
        out.add_column(column, justify="right" if column in ("difference", "tolerance") else "left")
    for r in results:
        verdict = "[green]pass[/]" if r["passed"] else "[red bold]FAIL[/]"
        out.add_row(
            r["optimizer"],
            r["case"],
            r["backend"],
            r["dtype"],
            f"{r['difference']:.1e}",
            f"{r['tolerance']:.0e}",
            verdict,
        )
    return out
