"""What the demos share: the result type, data, and any backend's pieces and steps."""

import dataclasses
import importlib
import pathlib

import numpy as np

from bench import backends

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


def optimizer_path(backend, name, hyper, gradient, start, steps, loss=None, noise=None):
    """Points visited by optimizer ``name`` of ``backend`` from ``start`` on a landscape.

    ``gradient(point) -> array`` is the landscape's gradient in NumPy; the backend's
    optimizer makes each update. For the optimizers that need more than gradients:
    ``loss(point) -> value``, the landscape itself, becomes ``update(..., loss=)`` (Polyak
    SGD), and ``noise[step]``, draws shaped like ``start``, ``update(..., noise=)`` (noisy SGD).
    """
    start = np.asarray(start, np.float64)
    path = [start]

    def extra_inputs(step):
        extra = {}
        if loss is not None:
            extra["loss"] = np.float64(loss(path[-1]))
        if noise is not None:
            extra["noise"] = {"x": np.asarray(noise[step], np.float64)}
        return extra

    if backend == "numpy":
        from reference import optimizers

        optimizer = optimizers.get(name, **hyper)
        params = {"x": start}
        state = optimizer.init(params)
        for step in range(steps):
            grads = {"x": gradient(params["x"])}
            params, state = optimizer.update(grads, state, params, **extra_inputs(step))
            path.append(params["x"])
    elif backend == "tf":
        tf = backends.tensorflow()
        optimizers = backend_module("tf", "optimizers")  # quiet: each path traces its own walk

        optimizer = optimizers.get(name, **hyper)
        params = {"x": tf.Variable(start)}
        state = optimizer.init(params)
        draws = None if noise is None else tf.constant(np.asarray(noise, np.float64))
        errors = np.geterr()  # the caller's: TensorFlow calls NumPy from threads of its own

        def numpy_at(function, point):
            with np.errstate(**errors):
                return np.asarray(function(point), np.float64)

        def at(function, point, shape):  # the NumPy landscape, called from the graph
            value = tf.numpy_function(lambda p: numpy_at(function, p), [point], tf.float64)
            return tf.ensure_shape(value, shape)

        @tf.function  # the whole walk is one graph: a call per step would cost ~3× as much
        def walk():
            points = tf.TensorArray(tf.float64, size=steps, element_shape=start.shape)
            for step in tf.range(steps):
                point = params["x"].read_value()
                extra = {}
                if loss is not None:
                    extra["loss"] = at(loss, point, ())
                if draws is not None:
                    extra["noise"] = {"x": draws[step]}
                grads = {"x": at(gradient, point, start.shape)}
                optimizer.update(grads, state, params, **extra)
                points = points.write(step, params["x"].read_value())
            return points.stack()

        path.extend(walk().numpy())
    else:
        import jax
        import jax.numpy as jnp

        from jax_impl import optimizers

        with jax.enable_x64(True):
            optimizer = optimizers.get(name, **hyper)
            params = {"x": jnp.asarray(start)}
            state = optimizer.init(params)
            # a call per step: a compiled scan calling back the NumPy landscape measured ~4× slower
            update = jax.jit(lambda g, s, p, extra: optimizer.update({"x": g}, s, p, **extra))
            for step in range(steps):
                extra = jax.tree.map(jnp.asarray, extra_inputs(step))
                params, state = update(jnp.asarray(gradient(path[-1])), state, params, extra)
                path.append(np.asarray(params["x"]))
    return np.array(path)


def backend_module(backend, name):
    """The backend's module ``name``: ``backend_module("tf", "training")`` is tf_impl's."""
    if backend == "tf":
        backends.tensorflow().get_logger().setLevel("ERROR")  # a demo retraces on purpose
    return importlib.import_module(f"{backends.PACKAGE[backend]}.{name}")


def _weights_for(backend, params):
    """NumPy weights as the backend trains them: float64 in NumPy, float32 in TF and JAX."""
    dtype = np.float64 if backend == "numpy" else np.float32
    return {name: np.asarray(value, dtype) for name, value in params.items()}


def make_step(backend, params, optimizer, hyper, activation="relu"):
    """The backend's ``training.make_train_step`` from NumPy ``params``: ``step(x, y) -> loss``,
    ``step.weights()`` the NumPy weights now."""
    training = backend_module(backend, "training")
    optimizer = backend_module(backend, "optimizers").get(optimizer, **hyper)
    return training.make_train_step(_weights_for(backend, params), optimizer, activation=activation)


def make_model_step(backend, specs, params, state, optimizer, hyper):
    """``make_step`` for a model of layer specs (``reference.model``), from the NumPy
    ``params`` and moving statistics ``state``; ``step.model_state()`` reads them back."""
    training = backend_module(backend, "training")
    optimizer = backend_module(backend, "optimizers").get(optimizer, **hyper)
    return training.make_train_step(
        _weights_for(backend, params),
        optimizer,
        model=specs,
        model_state=_weights_for(backend, state),
    )


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
    training = backend_module(backend, "training")
    optimizer = backend_module(backend, "optimizers").get(optimizer, **hyper)
    trained, history = training.fit(
        _weights_for(backend, params), x, y, optimizer, batch_size, epochs, seed, activation, loss
    )
    return {name: np.asarray(value) for name, value in trained.items()}, history


def loss_and_grads(backend, params, x, y, activation="relu", loss="softmax_cross_entropy"):
    """The backend's ``loss_and_grads`` on NumPy params, as NumPy (float64 for numpy)."""
    if backend == "numpy":
        from reference import mlp

        return mlp.loss_and_grads(params, x, y, activation, loss)
    if backend == "tf":
        tf = backends.tensorflow()

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
