"""The layers of the TensorFlow tutorials, each forward with its backward written beside it.

The contract, the same for every layer (CS231n's):

    y, cache = conv2d_forward(params, x, strides=1, padding="same")
    dx, grads = conv2d_backward(dy, cache)

``params`` is the layer's own dict (``{"kernel": ..., "bias": ...}``, Keras's weight
names); ``grads`` has the same keys. A layer without weights returns ``grads = {}``.
The cache holds only what the backward needs. Batch normalization also takes and
returns its non-trainable state (the moving statistics); ``training`` is always an
argument, never a global.

Data layout is Keras's: channels last, (N, H, W, C); kernels (kh, kw, C_in, C_out).
Each backward's docstring carries its derivation. ``tf_impl.layers`` and
``jax_impl.layers`` have the same modules and forward functions; their gradients
come from GradientTape and ``jax.grad``.

One module per family: ``activation``, ``dense``, ``conv``, ``pooling``,
``reshape``, ``normalization``, ``dropout``, ``embedding``, ``merge``; ``checks``
holds the input checks the three backends share.
"""

from reference.layers import (  # noqa: F401  (layers.conv.conv2d_forward after one import)
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
