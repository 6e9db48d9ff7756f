"""The update bench's pairs (bench/updates.py): complete, like for like, and reported.

Every optimizer jax_impl has that optax ships must be paired with optax's, so a new one
cannot go untimed; for optax's own optimizers the two sides must compute the same
update, or the ratio would compare different work. No timing here.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from click.testing import CliRunner
from rich.console import Console

from bench import report, updates
from bench.cli import _Run, main
from jax_impl import optimizers as jax_optimizers
from reference import mlp
from reference import optimizers as reference_optimizers

# float32 updates of the bench's MLP by jax_impl and optax, 3 steps: measured ≤ 3.1e-7
# relative (both are float32 arithmetic in a different order), so 1e-5 leaves room.
SAME_UPDATE_FLOAT32 = 1e-5
STEPS = 3
SMALL_SIZES = (12, 8, 3)


def _optax_ships(name):
    """optax's own optimizers (reference/optax_optimizers.py), and Keras's that optax or
    optax.contrib has under the same name."""
    return name in reference_optimizers.OPTAX_NAMES or any(
        updates.optax_function(optax, path) is not None for path in (name, f"contrib.{name}")
    )


def test_every_optimizer_optax_ships_is_paired_with_optax():
    ours = jax_optimizers.NAMES + reference_optimizers.OPTAX_NAMES
    missing = [name for name in ours if _optax_ships(name) and name not in updates.OPTAX_NAMES]
    assert not missing, f"add to bench.updates.OPTAX_NAMES: {missing}"


@pytest.mark.parametrize("name", list(updates.OPTAX_NAMES))
def test_each_optax_name_is_an_optax_optimizer(name):
    path = updates.OPTAX_NAMES[name]
    assert callable(updates.optax_function(optax, path)), path


# noisy SGD: optax draws its noise from its own key, so only the cost is alike.
SAME_RULE = [name for name in reference_optimizers.OPTAX_NAMES if name != "noisy_sgd"]


@pytest.mark.parametrize("name", SAME_RULE)
def test_optax_pairs_compute_the_same_update(name):
    """Both sides as the bench builds them (hyperparameters, extra inputs), eager, 3 steps,
    a new gradient each step (a constant one hides AMSGrad's max, for one)."""
    params = {k: jnp.asarray(v) for k, v in mlp.init_params(SMALL_SIZES, dtype=np.float32).items()}
    rng = np.random.default_rng(0)
    extra = jax.tree.map(jnp.asarray, updates.extra_inputs(name, params))
    ours = jax_optimizers.get(name, **updates.hyperparameters(name))
    transform = updates.optax_transform(optax, name)
    by_ours, ours_state = params, ours.init(params)
    by_optax, optax_state = params, transform.init(params)
    for _ in range(STEPS):
        grads = {
            k: jnp.asarray(rng.standard_normal(v.shape, dtype=np.float32))
            for k, v in params.items()
        }
        by_ours, ours_state = ours.update(grads, ours_state, by_ours, **extra)
        changes, optax_state = transform.update(
            grads, optax_state, by_optax, **updates.optax_extra_inputs(extra)
        )
        by_optax = optax.apply_updates(by_optax, changes)
    for key in params:
        moved = np.max(np.abs(np.asarray(by_optax[key]) - np.asarray(params[key])))
        assert moved > 0, f"{name} {key}: optax's update did not move it"
        np.testing.assert_allclose(by_ours[key], by_optax[key], rtol=SAME_UPDATE_FLOAT32, atol=0)


def test_optax_only_optimizers_get_no_keras_case():
    cases = set(updates.update_cases(["adabelief", "adam"]))
    assert ("keras", "adabelief") not in cases
    assert {("tf_impl", "adabelief"), ("jax_impl", "adabelief"), ("optax", "adabelief")} <= cases
    assert ("keras", "adam") in cases


def _update_benchmark(implementation, optimizer, seconds):
    return {
        "extra_info": {"implementation": implementation, "optimizer": optimizer},
        "stats": {"median": seconds},
    }


def _rendered(table):
    console = Console(width=200, record=True)
    console.print(table)
    return console.export_text()


def test_the_update_table_says_where_keras_has_no_twin():
    data = {
        "benchmarks": [
            _update_benchmark("tf_impl", "yogi", 2e-3),
            _update_benchmark("jax_impl", "yogi", 1e-3),
            _update_benchmark("optax", "yogi", 1e-3),
            _update_benchmark("tf_impl", "ftrl", 2e-3),  # Keras's, its Keras run missing
        ]
    }
    paired = {"yogi": {"jax_impl/optax": 1.04}, "ftrl": {}}
    lines = _rendered(report.update_table(data, paired)).splitlines()
    (yogi,) = [line for line in lines if line.lstrip("│ ").startswith("yogi")]
    (ftrl,) = [line for line in lines if line.lstrip("│ ").startswith("ftrl")]
    assert yogi.count("no Keras twin") == 3  # Keras's µs, the plain and the paired ratio
    assert "1.04" in yogi
    assert "no Keras twin" not in ftrl


def test_an_optax_optimizer_needs_updates_in_the_bench():
    result = CliRunner().invoke(main, ["bench", "--optimizer", "yogi"])
    assert result.exit_code == 2, result.output
    assert "optax's optimizers are timed by --updates alone" in result.output
    assert "Traceback" not in result.output


def test_an_optax_optimizer_with_updates_is_timed_alone(monkeypatch):
    """``gdkit bench --updates --optimizer yogi``: no step case, the update table with the
    paired ratio (the run and the pairing replaced by stand-ins)."""
    ran = {}

    def run_benchmarks(config):
        ran["config"] = config
        data = {"benchmarks": [_update_benchmark("jax_impl", "yogi", 1e-3)]}
        return _Run(data, total=1, failures=[], interrupted=False)

    monkeypatch.setattr("bench.cli._run_benchmarks", run_benchmarks)
    monkeypatch.setattr(
        updates, "paired_ratios", lambda names, rounds: {"yogi": {"jax_impl/optax": 1.03}}
    )
    result = CliRunner().invoke(main, ["bench", "--updates", "--optimizer", "yogi"])
    assert result.exit_code == 0, result.output
    assert ran["config"].optimizers == ()
    assert ran["config"].update_optimizers == ("yogi",)
    assert "Optimizer update alone" in result.output
    assert "no Keras twin" in result.output
    assert "1.03" in result.output
