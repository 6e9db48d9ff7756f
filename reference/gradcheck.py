"""Central finite differences: the oracle of the oracle.

Following CS231n's notes: float64, centred differences, and the relative error
    |analytic - numeric| / max(|analytic| + |numeric|, tiny)
on coordinates sampled from every parameter tensor. A correct gradient gives about
1e-8 or less; a wrong one gives something near 1.
"""

import numpy as np


def numerical_gradient(f, params, name, index, h=1e-5):
    """(f(θ + h e_i) - f(θ - h e_i)) / 2h for one coordinate of one tensor."""
    original = params[name][index]
    shifted = {k: v.copy() for k, v in params.items()}
    shifted[name][index] = original + h
    plus = f(shifted)
    shifted[name][index] = original - h
    minus = f(shifted)
    return (plus - minus) / (2 * h)


def relative_error(analytic, numeric):
    return abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-12)


def gradcheck(f, params, grads, samples_per_tensor=10, seed=0, h=1e-5):
    """Largest relative error over sampled coordinates of every tensor.

    ``f(params) -> scalar loss``; ``grads`` are the analytic gradients to check.
    Returns ``(worst_error, where)`` with ``where = (name, index)``.
    """
    rng = np.random.default_rng(seed)
    worst, where = 0.0, None
    for name, param in params.items():
        for _ in range(samples_per_tensor):
            index = tuple(int(rng.integers(n)) for n in param.shape)
            numeric = numerical_gradient(f, params, name, index, h)
            error = relative_error(float(grads[name][index]), float(numeric))
            if error > worst:
                worst, where = error, (name, index)
    return worst, where
