"""Losses on logits, each returning ``(loss, dloss/dlogits)``; mean over the batch.

The mean over the batch is Keras's default reduction (``"sum_over_batch_size"``),
so the gradient of every loss carries a factor ``1 / B``.
"""

import numpy as np

from reference.errors import check_choice


def one_hot(labels, num_classes, dtype):
    """Integer labels ``(B,)`` become one-hot rows ``(B, K)``; one-hot labels pass through."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        return labels.astype(dtype)
    return np.eye(num_classes, dtype=dtype)[labels]


def softmax_cross_entropy(logits, labels):
    """Softmax cross-entropy from logits, integer or one-hot labels.

    loss = mean_i [ logsumexp(z_i) - z_i · y_i ]
    dloss/dz_i = (softmax(z_i) - y_i) / B

    The log-sum-exp subtracts the row maximum first, so large logits never overflow.
    """
    batch_size, num_classes = logits.shape
    targets = one_hot(labels, num_classes, logits.dtype)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -(targets * log_probs).sum(axis=1).mean()
    dlogits = (np.exp(log_probs) - targets) / batch_size
    return loss, dlogits


def mean_squared_error(predictions, targets):
    """Mean squared error over every element, like Keras's ``MeanSquaredError``.

    loss = mean_(i,k) (p_ik - t_ik)^2
    dloss/dp_ik = 2 (p_ik - t_ik) / (B K)
    """
    targets = one_hot(targets, predictions.shape[1], predictions.dtype)
    error = predictions - targets
    loss = (error * error).mean()
    dpredictions = 2 * error / error.size
    return loss, dpredictions


LOSSES = {
    "softmax_cross_entropy": softmax_cross_entropy,
    "mean_squared_error": mean_squared_error,
}
NAMES = tuple(LOSSES)


def get(name):
    """The loss function. Unlike the twins' (which return the loss alone and let the
    framework differentiate), the oracle's returns ``(loss, dloss/dlogits)``."""
    check_choice("loss", name, NAMES)
    return LOSSES[name]
