"""What the demos share: the result type, data, and running any backend's pieces."""

import dataclasses
import pathlib

import numpy as np

BACKENDS = ("numpy", "tf", "jax")


@dataclasses.dataclass
class Result:
    """A demo's outcome: a figure, a table of the numbers behind it, and its claims."""

    title: str
    columns: list
    rows: list
    claims: dict  # claim in words -> bool
    figure: object
    numbers: dict = dataclasses.field(default_factory=dict)


class DataUnavailableError(ValueError):
    """Requested data that is not on this machine (gdkit never downloads)."""


def new_figure(columns=2, rows=1, width=6.0, height=4.2):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    return figure, figure.subplots(rows, columns, squeeze=False).ravel()


def _standardise(x, mean, std):
    return (x - mean) / np.where(std > 0, std, 1.0)


def load_data(name="digits", seed=0):
    """``(x_train, y_train, x_val, y_val)``, standardised with the training statistics.

    digits: scikit-learn's bundled 8×8 handwritten digits (1797 images), 80/20 split.
    mnist: Keras's MNIST file, only if it is already in the Keras cache.
    """
    if name == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        x, y = digits.data.astype(np.float64), digits.target.astype(np.int64)
        order = np.random.default_rng(seed).permutation(len(x))
        cut = int(0.8 * len(x))
        train, val = order[:cut], order[cut:]
        x_train, y_train, x_val, y_val = x[train], y[train], x[val], y[val]
    elif name == "mnist":
        path = pathlib.Path.home() / ".keras" / "datasets" / "mnist.npz"
        if not path.exists():
            raise DataUnavailableError(
                f"--data mnist needs Keras's MNIST file at {path}, which is not there; "
                "gdkit never downloads. Use --data digits, or fetch it once with "
                "keras.datasets.mnist.load_data()."
            )
        with np.load(path) as mnist:
            x_train, y_train = mnist["x_train"].reshape(-1, 784) / 255.0, mnist["y_train"]
            x_val, y_val = mnist["x_test"].reshape(-1, 784) / 255.0, mnist["y_test"]
    else:
        raise DataUnavailableError(f"Unknown data {name!r}: use digits or mnist.")
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    return _standardise(x_train, mean, std), y_train, _standardise(x_val, mean, std), y_val


def optimizer_path(backend, name, hyper, gradient, start, steps):
    """Points visited by optimizer ``name`` of ``backend`` from ``start`` on a landscape.

    ``gradient(point) -> array`` is the landscape's gradient in NumPy; the backend's
    optimizer makes each update.
    """
    start = np.asarray(start, np.float64)
    path = [start]
    if backend == "numpy":
        from reference import optimizers

        optimizer = optimizers.get(name, **hyper)
        params = {"x": start}
        state = optimizer.init(params)
        for _ in range(steps):
            params, state = optimizer.update({"x": gradient(params["x"])}, state, params)
            path.append(params["x"])
    elif backend == "tf":
        import tensorflow as tf

        from tf_impl import optimizers

        optimizer = optimizers.get(name, **hyper)
        params = {"x": tf.Variable(start)}
        state = optimizer.init(params)
        update = tf.function(lambda g: optimizer.update({"x": g}, state, params)[0]["x"].value())
        for _ in range(steps):
            path.append(update(tf.constant(gradient(path[-1]))).numpy())
    else:
        import jax
        import jax.numpy as jnp

        from jax_impl import optimizers

        with jax.enable_x64(True):
            optimizer = optimizers.get(name, **hyper)
            params = {"x": jnp.asarray(start)}
            state = optimizer.init(params)
            update = jax.jit(lambda g, s, p: optimizer.update({"x": g}, s, p))
            for _ in range(steps):
                params, state = update(jnp.asarray(gradient(path[-1])), state, params)
                path.append(np.asarray(params["x"]))
    return np.array(path)


def train(
    backend,
    params,
    x,
    y,
    optimizer,
    hyper,
    batch_size=None,
    epochs=1,
    seed=0,
    activation="relu",
    loss="softmax_cross_entropy",
):
    """Train an MLP from NumPy ``params`` with the backend's ``fit``: ``(params, history)``."""
    if backend == "numpy":
        from reference import optimizers, training

        return training.fit(
            params,
            x,
            y,
            optimizers.get(optimizer, **hyper),
            batch_size,
            epochs,
            seed,
            activation,
            loss,
        )
    if backend == "tf":
        import tensorflow as tf

        from tf_impl import optimizers, training

        tf.get_logger().setLevel("ERROR")  # a demo retraces on purpose when its rate changes
        variables = {k: tf.Variable(v.astype(np.float32)) for k, v in params.items()}
        variables, history = training.fit(
            variables,
            x,
            y,
            optimizers.get(optimizer, **hyper),
            batch_size,
            epochs,
            seed,
            activation,
            loss,
        )
        return {k: v.numpy() for k, v in variables.items()}, history
    import jax.numpy as jnp

    from jax_impl import optimizers, training

    arrays = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    arrays, history = training.fit(
        arrays, x, y, optimizers.get(optimizer, **hyper), batch_size, epochs, seed, activation, loss
    )
    return {k: np.asarray(v) for k, v in arrays.items()}, history


def loss_and_grads(backend, params, x, y, activation="relu", loss="softmax_cross_entropy"):
    """The backend's ``loss_and_grads`` on NumPy params, as NumPy (float64 for numpy)."""
    if backend == "numpy":
        from reference import mlp

        return mlp.loss_and_grads(params, x, y, activation, loss)
    if backend == "tf":
        import tensorflow as tf

        from tf_impl import mlp

        variables = {k: tf.Variable(v.astype(np.float32)) for k, v in params.items()}
        value, grads = mlp.loss_and_grads(
            variables, tf.constant(x, tf.float32), tf.constant(y), activation, loss
        )
        return float(value), {k: g.numpy() for k, g in grads.items()}
    import jax.numpy as jnp

    from jax_impl import mlp

    arrays = {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}
    value, grads = mlp.loss_and_grads(
        arrays, jnp.asarray(x, jnp.float32), jnp.asarray(y), activation, loss
    )
    return float(value), {k: np.asarray(g) for k, g in grads.items()}


def stepper(backend, params, optimizer, hyper, activation="relu"):
    """``step(x, y) -> (loss, gradient norm)``: one SGD-family step of the backend's optimizer,
    reporting the global gradient norm it saw; ``step.params()`` gives NumPy weights."""
    if backend == "numpy":
        from reference import mlp, optimizers

        opt = optimizers.get(optimizer, **hyper)
        carry = {"params": params, "state": opt.init(params)}

        def step(x, y):
            with np.errstate(over="ignore", invalid="ignore"):  # exploding runs overflow on purpose
                loss, grads = mlp.loss_and_grads(carry["params"], x, y, activation)
                carry["params"], carry["state"] = opt.update(grads, carry["state"], carry["params"])
                norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
            return float(loss), float(norm)

        step.params = lambda: carry["params"]
        return step
    if backend == "tf":
        import tensorflow as tf

        from tf_impl import clipping, mlp, optimizers

        opt = optimizers.get(optimizer, **hyper)
        variables = {k: tf.Variable(v.astype(np.float32)) for k, v in params.items()}
        state = opt.init(variables)

        @tf.function
        def compiled(x, y):
            loss, grads = mlp.loss_and_grads(variables, x, y, activation)
            opt.update(grads, state, variables)
            return loss, clipping.global_norm(grads)

        def step(x, y):
            loss, norm = compiled(tf.constant(x, tf.float32), tf.constant(y))
            return float(loss), float(norm)

        step.params = lambda: {k: v.numpy() for k, v in variables.items()}
        return step
    import jax
    import jax.numpy as jnp

    from jax_impl import clipping, mlp, optimizers

    opt = optimizers.get(optimizer, **hyper)
    carry = {"params": {k: jnp.asarray(v, jnp.float32) for k, v in params.items()}}
    carry["state"] = opt.init(carry["params"])

    @jax.jit
    def compiled(params, state, x, y):
        loss, grads = mlp.loss_and_grads(params, x, y, activation)
        params, state = opt.update(grads, state, params)
        return params, state, loss, clipping.global_norm(grads)

    def step(x, y):
        carry["params"], carry["state"], loss, norm = compiled(
            carry["params"], carry["state"], jnp.asarray(x, jnp.float32), jnp.asarray(y)
        )
        return float(loss), float(norm)

    step.params = lambda: {k: np.asarray(v) for k, v in carry["params"].items()}
    return step
