"""``gdkit check``'s own logic: what it compares, and memory that does not grow with steps."""

import tracemalloc

from bench import checks
from bench.cases import CASES, OPTAX_CASES


def test_comparisons_cover_every_case_of_the_chosen_optimizers():
    todo = checks.comparisons(["adam"], ["tf", "optax"], "float64")
    assert {(case.id, backend) for case, backend in todo} == {
        *((case.id, "tf") for case in CASES.values() if case.optimizer == "adam"),
        *((case.id, "optax") for case in OPTAX_CASES.values() if case.optimizer == "adam"),
    }
    assert checks.comparisons(["adam"], ["optax"], "float32") == []
    assert checks.comparisons(["muon"], ["optax"], "float64") == []


def _peak_bytes(steps):
    tracemalloc.start()
    try:
        difference, _, error = checks.compare(OPTAX_CASES["sgd"], "optax", steps=steps)
        return tracemalloc.get_traced_memory()[1], difference, error
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_steps():
    """Trajectories are compared step by step: 10× the steps, not 10× the memory
    (keeping every step's parameters, 1,000 steps of this model hold about 2 MB more)."""
    _peak_bytes(10)  # compiles, and fills caches that would count once
    short, _, _ = _peak_bytes(100)
    long, difference, error = _peak_bytes(1000)
    assert error is None and difference <= 1e-10
    assert long < short + 200_000, (short, long)
