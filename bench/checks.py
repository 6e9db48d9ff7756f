"""``gdkit check``: every implementation against the NumPy oracle, with the suite's own code.

The cases (``bench.cases``), tolerances (``bench.tolerances``), trajectories
(``bench.trajectories``) and metric (``bench.metrics``) are those of the test suite,
so ``gdkit check`` and ``make test`` cannot disagree. Trajectories are compared step by
step as they run, so memory stays that of one step however many steps are asked for.
"""

from rich.progress import Progress
from rich.table import Table

from bench import backends, trajectories
from bench.cases import CASES, EXTRA_INPUT_CASES, OPTAX_CASES
from bench.metrics import NonFiniteError, worst_difference
from bench.tolerances import tolerance
from reference.optimizers import OPTAX_NAMES

# What each case is run on. Keras's optimizers: tf_impl, jax_impl and Keras. The optimizers
# optax ships and Keras lacks (and optax's names for Keras forms): tf_impl, jax_impl and
# optax. The oracle's optax forms of Keras's optimizers: optax. optax in float64 only.
_OPTAX_OPTIMIZER_CASES = {
    case_id: case for case_id, case in OPTAX_CASES.items() if case.optimizer in OPTAX_NAMES
} | EXTRA_INPUT_CASES
_KERAS_OPTIMIZER_OPTAX_FORMS = {
    case_id: case for case_id, case in OPTAX_CASES.items() if case.optimizer not in OPTAX_NAMES
}
GROUPS = (
    (CASES, ("tf", "jax", "keras")),
    (_OPTAX_OPTIMIZER_CASES, ("tf", "jax", "optax")),
    (_KERAS_OPTIMIZER_OPTAX_FORMS, ("optax",)),
)


def _can_run(case, backend, dtype):
    if backend == "optax" and dtype != "float64":
        return False
    # Noisy SGD's noise is optax's draws (trajectories.noise_draws), on every backend.
    return case.optimizer != "noisy_sgd" or backends.installed("optax")


def comparisons(names, backends_, dtype):
    """``(case, backend)`` for everything to compare, case by case (``GROUPS``)."""
    return [
        (case, backend)
        for cases, compared_on in GROUPS
        for case in cases.values()
        if case.optimizer in names
        for backend in compared_on
        if backend in backends_ and _can_run(case, backend, dtype)
    ]


def nothing_to_check(names, backends_, dtype):
    """Why ``comparisons`` is empty, in one line: what each chosen backend lacks."""
    if not backends_:
        return "none of the chosen backends is installed"
    asked = ", ".join(names)
    reasons = []
    for backend in backends_:
        if backend == "optax" and dtype != "float64":
            reasons.append("optax is compared with the oracle in float64 only")
        elif backend == "optax":
            covered = sorted(
                {case.optimizer for cases, on in GROUPS if "optax" in on for case in cases.values()}
            )
            reasons.append(f"optax has no case for {asked} (it has {', '.join(covered)})")
        elif backend == "keras":
            reasons.append(f"keras has no case for {asked}: Keras ships no optimizer of that name")
        else:  # every optimizer has tf and jax cases; noisy SGD's noise needs optax
            reasons.append("noisy_sgd's noise is optax's draws, and optax is not installed")
    return "; ".join(dict.fromkeys(reasons))  # tf and jax: one reason, said once


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
