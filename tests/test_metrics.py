"""The comparisons fail on NaN and infinity, naming the side and the step.

``max(0.0, nan)`` is ``0.0`` and ``nan > tolerance`` is False: before these checks,
a trajectory that turned to NaN compared as a difference of 0 and passed.
"""

import inspect
import json
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

from bench import checks, tolerances
from bench.cases import CASES
from bench.cli import main
from bench.metrics import (
    NonFiniteError,
    first_parting,
    max_relative_difference,
    relative_update_difference,
    worst_difference,
)
from bench.trajectories import jax_trajectory, oracle_trajectory
from reference import optimizers

GOOD = {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}


def _with(value):
    return {"w": np.array([1.0, value]), "b": np.array([0.5])}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_max_relative_difference_fails_on_either_side(bad):
    with pytest.raises(NonFiniteError, match=r"tf went non-finite at step 7: 1 of 2 values of 'w'"):
        max_relative_difference(_with(bad), GOOD, 7, ("tf", "numpy"))
    with pytest.raises(NonFiniteError, match=r"numpy went non-finite at step 7"):
        max_relative_difference(GOOD, _with(bad), 7, ("tf", "numpy"))


def test_relative_update_difference_fails_on_any_of_its_three():
    before = {"w": np.zeros(2), "b": np.zeros(1)}
    for args, side in (
        ((_with(np.nan), GOOD, GOOD), "the starting point"),
        ((before, _with(np.nan), GOOD), "keras"),
        ((before, GOOD, _with(np.nan)), "the oracle"),
    ):
        with pytest.raises(NonFiniteError, match=f"{side} went non-finite at step 3"):
            relative_update_difference(*args, step=3, sides=("keras", "the oracle"))


def test_trajectory_comparisons_name_the_step():
    got = [GOOD, GOOD, _with(np.nan), GOOD]
    with pytest.raises(NonFiniteError, match="jax went non-finite at step 3"):
        worst_difference(got, [GOOD] * 4, ("jax", "numpy"))
    with pytest.raises(NonFiniteError, match="numpy went non-finite at step 3"):
        first_parting([GOOD] * 4, got, 1e-10, ("jax", "numpy"))


def test_finite_differences_are_unchanged():
    assert max_relative_difference(_with(-2.5), GOOD) == pytest.approx(0.25)
    assert max_relative_difference(GOOD, GOOD) == 0.0
    assert first_parting([GOOD, _with(-2.5)], [GOOD, GOOD], 0.1) == (2, "w", 0.25)


CORRECT = 'rho * slots["average_grad"]'
PLANTED = 'rho / slots["average_grad"]'


@pytest.fixture
def planted_rmsprop_bug(monkeypatch):
    """The oracle's centred RMSprop with one wrong operator: ρ m / ... instead of ρ m.

    A subclass carrying the changed copy of ``update_variable`` replaces RMSprop in the
    oracle's registry for this test only; ``reference/optimizers.py`` is not touched.
    """
    source = textwrap.dedent(inspect.getsource(optimizers.RMSprop.update_variable))
    assert source.count(CORRECT) == 1, "the line to plant the bug in has changed"
    namespace = {}
    exec(source.replace(CORRECT, PLANTED), vars(optimizers), namespace)
    planted = type(
        "RMSprop", (optimizers.RMSprop,), {"update_variable": namespace["update_variable"]}
    )
    monkeypatch.setitem(optimizers.OPTIMIZERS, "rmsprop", planted)


def _old_max_relative_difference(a, b):
    """The metric as it was: Python's max() drops a NaN ratio."""
    worst = 0.0
    for name in b:
        scale = np.max(np.abs(b[name]))
        diff = np.max(np.abs(np.asarray(a[name]) - np.asarray(b[name])))
        worst = max(worst, diff / scale if scale > 0 else diff)
    return worst


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_planted_bug_in_the_oracle_fails_the_comparison(planted_rmsprop_bug):
    case = CASES["rmsprop-centered-momentum"]
    oracle = list(oracle_trajectory(case))
    jax = list(jax_trajectory(case))
    assert np.isnan(oracle[-1]["dense_0/kernel"]).all()
    old = max(_old_max_relative_difference(a, b) for a, b in zip(jax, oracle, strict=True))
    assert old <= tolerances.FLOAT64  # what the old metric made of it: a pass
    with pytest.raises(NonFiniteError, match="the oracle went non-finite at step 1"):
        worst_difference(jax, oracle, ("jax", "the oracle"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_planted_bug_in_the_oracle_fails_gdkit_check(planted_rmsprop_bug):
    results = checks.run(["rmsprop"], ["jax"])
    by_case = {r["case"]: r for r in results}
    assert by_case["rmsprop-default"]["passed"]  # the uncentred form is untouched
    failed = by_case["rmsprop-centered-momentum"]
    assert not failed["passed"] and failed["difference"] is None
    assert "the oracle went non-finite at step 1" in failed["error"]
    result = CliRunner().invoke(main, ["check", "--optimizer", "rmsprop", "--backend", "jax"])
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.output and "the oracle went non-finite at step 1" in result.output
    as_json = CliRunner().invoke(
        main, ["check", "--optimizer", "rmsprop", "--backend", "jax", "--json"]
    )
    assert as_json.exit_code == 1
    assert [r["passed"] for r in json.loads(as_json.output)] == [True, False]
