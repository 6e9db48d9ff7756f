"""Gradient descent written in TensorFlow from scratch.

``tf.GradientTape`` for the gradients, ``tf.Variable`` for weights and optimizer
state, train steps eager, in ``tf.function`` and with XLA. Module for module and
name for name the same as ``reference``, and checked against it and against
``keras.optimizers`` in the test suite.

TensorFlow's start-up log noise is silenced here unless the user already chose a
level (set ``TF_CPP_MIN_LOG_LEVEL`` yourself to see it).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
