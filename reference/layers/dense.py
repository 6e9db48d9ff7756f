"""Dense: y = x W + b on the last axis."""

from reference.layers.checks import check_input_shape


def dense_forward(params, x):
    """y = x W + b, W of shape (in, out), b of shape (out,); any leading axes."""
    kernel = params["kernel"]
    check_input_shape("Dense", x.shape, (None,) * (x.ndim - 1) + (kernel.shape[0],))
    return x @ kernel + params["bias"], (x, kernel)


def dense_backward(dy, cache):
    """y = x W + b, so with the leading axes flattened into rows:

    dW = xᵀ dy      (each row contributes the outer product x_r ⊗ dy_r)
    db = Σ_rows dy  (b is added to every row)
    dx = dy Wᵀ
    """
    x, kernel = cache
    rows_x = x.reshape(-1, x.shape[-1])
    rows_dy = dy.reshape(-1, dy.shape[-1])
    grads = {"kernel": rows_x.T @ rows_dy, "bias": rows_dy.sum(axis=0)}
    return dy @ kernel.T, grads
