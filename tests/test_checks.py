"""``gdkit check``'s own logic: what it compares, that a wrong term fails it, and memory that
does not grow with steps. The comparisons themselves are ``gdkit check``'s to run."""

import tracemalloc

from bench import checks
from bench.cases import CASES, EXTRA_INPUT_CASES, OPTAX_CASES
from reference import optimizers as reference_optimizers


def test_comparisons_cover_every_case_of_the_chosen_optimizers():
    todo = checks.comparisons(["adam"], ["tf", "optax"], "float64")
    assert {(case.id, backend) for case, backend in todo} == {
        *((case.id, "tf") for case in CASES.values() if case.optimizer == "adam"),
        *((case.id, "optax") for case in OPTAX_CASES.values() if case.optimizer == "adam"),
    }
    assert checks.comparisons(["adam"], ["optax"], "float32") == []
    assert checks.comparisons(["muon"], ["optax"], "float64") == []


def test_every_optimizer_optax_ships_is_compared_on_tf_and_jax():
    """Each of ``OPTAX_NAMES`` (Polyak and noisy SGD included) has tf and jax rows in both
    dtypes, optax rows in float64, and no keras row."""
    names = reference_optimizers.OPTAX_NAMES
    every = ["tf", "jax", "keras", "optax"]
    for dtype, backends in (("float64", {"tf", "jax", "optax"}), ("float32", {"tf", "jax"})):
        rows = checks.comparisons(names, every, dtype)
        compared = {(case.optimizer, backend) for case, backend in rows}
        assert compared == {(name, backend) for name in names for backend in backends}, dtype
    extra = {(case.id, backend) for case, backend in checks.comparisons(names, every, "float64")}
    assert {(case_id, "tf") for case_id in EXTRA_INPUT_CASES} <= extra
    assert {(case_id, "jax") for case_id in EXTRA_INPUT_CASES} <= extra


def test_nothing_to_check_says_what_each_backend_lacks():
    assert checks.comparisons(["adabelief"], ["keras"], "float64") == []
    assert checks.nothing_to_check(["adabelief"], ["keras"], "float64") == (
        "keras has no case for adabelief: Keras ships no optimizer of that name"
    )
    assert checks.nothing_to_check(["adabelief"], ["keras", "optax"], "float32") == (
        "keras has no case for adabelief: Keras ships no optimizer of that name; "
        "optax is compared with the oracle in float64 only"
    )


def test_a_wrong_term_in_a_new_optimizer_fails_gdkit_check(monkeypatch):
    """A 1% wrong step in tf_impl's AdaBelief fails ``gdkit check``'s comparison; jax_impl's
    noisy SGD without its noise fails it too (the noise reaches the update, and matters).
    Unplanted, both pass: tests/test_optax_optimizers.py and ``gdkit check`` itself."""
    from jax_impl import optax_optimizers as jax_optax_optimizers
    from tf_impl import optax_optimizers as tf_optax_optimizers

    right = tf_optax_optimizers.AdaBelief.update_variable

    def wrong(self, grad, param, slots, lr, t):
        return right(self, grad, param, slots, 1.01 * lr, t)

    monkeypatch.setattr(tf_optax_optimizers.AdaBelief, "update_variable", wrong)
    difference, limit, _ = checks.compare(OPTAX_CASES["adabelief"], "tf", steps=3)
    assert difference > 100 * limit
    monkeypatch.setattr(
        jax_optax_optimizers.NoisySGD, "use_extra_inputs", lambda self, grads, *_: grads
    )
    [result] = checks.run(["noisy_sgd"], ["jax"], steps=3)
    assert not result["passed"] and result["difference"] > 100 * result["tolerance"]


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
