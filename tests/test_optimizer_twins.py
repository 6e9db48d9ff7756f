"""Each TensorFlow and JAX optimizer writes its own rule: nothing falls back on NumPy's.

The twins inherit their hyperparameters and checks from the oracle's classes, so a
twin that forgot a method would silently run the oracle's NumPy arithmetic on
framework tensors. This test finds such a method by where it is defined.
"""

import pytest

from jax_impl import optimizers as jax_optimizers
from reference import optimizers as reference_optimizers
from tf_impl import optimizers as tf_optimizers

RULES = ("init_slots", "update_variable")


def _own_methods():
    for module in (tf_optimizers, jax_optimizers):
        for name, cls in module.OPTIMIZERS.items():
            methods = RULES + (("adam_update",) if name == "muon" else ())
            for method in methods:
                yield pytest.param(module, cls, method, id=f"{module.__name__}.{name}.{method}")


@pytest.mark.parametrize("module, cls, method", _own_methods())
def test_each_twin_writes_its_own_rule(module, cls, method):
    assert getattr(cls, method).__module__ == module.__name__


def test_a_twin_that_forgets_its_rule_is_caught():
    """The check above fails for a class that inherits the oracle's NumPy rule."""

    class Forgetful(tf_optimizers.Optimizer, reference_optimizers.Lion):
        def init_slots(self, param):
            return {}

    assert Forgetful.update_variable.__module__ != tf_optimizers.__name__


def test_the_twins_cover_every_optimizer():
    assert tuple(tf_optimizers.OPTIMIZERS) == reference_optimizers.NAMES
    assert tuple(jax_optimizers.OPTIMIZERS) == reference_optimizers.NAMES
