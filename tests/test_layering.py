"""The backends stay independent: each imports and trains with the other made unimportable.

TensorFlow 2.21 itself imports ``jax`` when it is installed (``tensorflow/lite/python/
util.py``), so "``jax`` is not in ``sys.modules``" cannot hold after importing
``tf_impl``; blocking the other framework's import and training anyway is the
stronger check.
"""

import subprocess
import sys

import pytest

from tests.fresh_process import BLOCKER, HANG_GUARD_S

SCRIPT = (
    BLOCKER
    + """
from {package} import mlp, optimizers, training
from reference import data
x, y = data.classification_problem(16, 4, 3, dtype="float32")
params = mlp.init_params((4, 5, 3), {dtype})
_, history = training.fit(params, x, y, optimizers.get("adam"), batch_size=8, epochs=1)
print(len(history), sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
"""
)


@pytest.mark.parametrize(
    "package, blocked, dtype",
    [
        ("jax_impl", ["tensorflow", "keras", "tf_impl"], "dtype=None"),
        # about a minute (every TF layer traced): make test-slow and CI run it
        pytest.param("tf_impl", ["jax_impl", "optax"], "seed=0", marks=pytest.mark.slow),
        ("reference", ["tensorflow", "keras", "jax", "optax", "tf_impl", "jax_impl"], "seed=0"),
    ],
)
def test_a_backend_works_with_the_other_unimportable(package, blocked, dtype):
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(package=package, blocked=blocked, dtype=dtype)],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-1] == "[]"
    assert result.stdout.split()[0] == "2"


def test_importing_jax_impl_does_not_import_tensorflow():
    check = (
        "import sys, jax_impl.training; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=HANG_GUARD_S
    )
    assert result.stdout.split() == ["False", "False"]
