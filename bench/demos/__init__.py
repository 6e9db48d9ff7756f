"""The teaching lab: each pitfall of gradient descent as an experiment, a picture and a table.

Each module has ``run(backend, seed, fast, data) -> Result``; ``gdkit demo NAME`` saves
the figure and prints the table. ``fast`` shrinks the run for the test suite, which
asserts every claim a picture makes on the numbers behind it.
"""

DEMOS = {
    "update-rule": "the update rule on quadratics: too small, right, oscillating, divergent rates",
    "learning-rate": "a NaN loss, divided by 10 until stable; a learning-rate range test",
    "variants": "batch, stochastic and mini-batch gradient descent on real digits",
    "optimizers": "SGD, momentum, Nesterov, RMSprop, Adam and more on 2-D landscapes",
    "plateau": "a run that stalls, and reduce-on-plateau, a schedule and momentum",
    "vanishing": "deep sigmoid nets against ReLU, residual and batch-norm: gradient per layer",
    "exploding": "too-large weights blow gradients up to NaN; clipping keeps them finite",
    "through-time": "RNN gradients per time step; a SimpleRNN blowing up, clipping saving it",
    "schedules": "every learning-rate schedule's curve and what it does to one run",
    "normalization": "raw against standardised features: the loss surface and the steps",
    "convolution": "the digits CNN: the filters it learns, and batch norm at a high rate",
}
NAMES = tuple(DEMOS)


def module(name):
    import importlib

    return importlib.import_module(f"bench.demos.{name.replace('-', '_')}")
