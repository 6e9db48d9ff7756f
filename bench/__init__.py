"""The ``gdkit`` command and the benchmark suite.

Backends are imported lazily, so ``gdkit`` starts, and says clearly what is
missing, on a machine that has NumPy but not TensorFlow or JAX.
"""
