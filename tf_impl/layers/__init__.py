"""The layers in TensorFlow: ``tf.nn`` and ``tf`` ops, gradients from GradientTape.

The same modules and forward functions as ``reference.layers``, with the same
arguments; each returns ``y`` alone (batch norm ``(y, new_state)``): the tape keeps
what the backward needs, so there is no cache and no backward. Shapes are checked by
the oracle's own checks, so a bad shape fails with the same message in every backend.
The pooling layers convert their input to a tensor first: ``tf.nn.max_pool2d`` given a
NumPy float64 array returns float32 once the op has run on float32 in the process.
"""

from tf_impl.layers import (  # noqa: F401  (layers.conv.conv2d_forward after one import)
    activation,
    attention,
    conv,
    dense,
    dropout,
    embedding,
    merge,
    normalization,
    pooling,
    position_embedding,
    recurrent,
    reshape,
)
