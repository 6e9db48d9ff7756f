"""The oracle's ``fit`` on a small problem, which each backend's ``fit`` must follow."""

from reference import data, mlp, optimizers, training

SIZES = (6, 10, 3)
LEARNING_RATE = 0.01
SEED = 4


def fit_problem():
    """``(x, y, weights)``: 40 examples of 3 classes, and the starting weights."""
    x, y = data.classification_problem(40, SIZES[0], SIZES[-1], seed=2)
    return x, y, mlp.init_params(SIZES, seed=0)


def epochs_for(batch_size):
    return 1 if batch_size == 1 else 3


def oracle_fit(batch_size):
    """The oracle's ``(params, loss history)`` after Adam's ``fit`` with this batch size."""
    x, y, weights = fit_problem()
    optimizer = optimizers.get("adam", learning_rate=LEARNING_RATE)
    return training.fit(weights, x, y, optimizer, batch_size, epochs_for(batch_size), seed=SEED)
