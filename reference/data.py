"""Small fixed problems that every backend and test shares."""

import numpy as np


def classification_problem(
    num_examples=64, num_features=8, num_classes=4, seed=0, dtype=np.float64
):
    """Gaussian blobs, one per class, standardised: ``(x, integer labels)``."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (num_classes, num_features))
    labels = rng.integers(num_classes, size=num_examples)
    x = centres[labels] + rng.normal(0, 1, (num_examples, num_features))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x.astype(dtype), labels
