"""The NumPy oracle: every piece of gradient descent written out by hand.

Imports NumPy alone. Everything in ``tf_impl`` and ``jax_impl`` is checked
against this package, and this package is checked against finite differences
(``gradcheck``) and against the framework built-ins (``keras.optimizers``,
``optax``) in the test suite.
"""
