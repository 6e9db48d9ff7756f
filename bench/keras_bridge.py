"""Drive Keras's built-in optimizers with the oracle's parameters, state and gradients.

Keras keeps an optimizer's state in variables named ``<variable>_<slot>``; the
tables below say which of the oracle's slots each one holds, so a test can put
Keras in exactly the oracle's state before a step (teacher forcing).
"""

import contextlib

import numpy as np

# isort: off
import tf_impl  # noqa: F401  (first: it imports TensorFlow quietly, before Keras would)
import keras

# isort: on

KERAS_CLASSES = {
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "ftrl": "Ftrl",
    "lion": "Lion",
    "lamb": "Lamb",
    "adafactor": "Adafactor",
    "muon": "Muon",
    "schedule_free_adamw": "ScheduleFreeAdamW",
}

# oracle slot name -> suffix of Keras's variable name
SLOT_SUFFIXES = {
    "velocity": "velocity",
    "momentum": "momentum",
    "average_grad": "average_gradient",
    "accumulator": "accumulator",
    "grad_average": "accumulated_grad",
    "delta_average": "accumulated_delta_var",
    "velocity_max": "velocity_hat",
    "norm": "norm",
    "linear": "linear",
}
PER_OPTIMIZER_SUFFIXES = {
    "sgd": {"velocity": "momentum"},
    "schedule_free_adamw": {"z": "momentum"},
}

KERAS_SCHEDULES = {
    "exponential_decay": "ExponentialDecay",
    "piecewise_constant_decay": "PiecewiseConstantDecay",
    "polynomial_decay": "PolynomialDecay",
    "inverse_time_decay": "InverseTimeDecay",
    "cosine_decay": "CosineDecay",
    "cosine_decay_restarts": "CosineDecayRestarts",
}


@contextlib.contextmanager
def floatx(dtype):
    previous = keras.config.floatx()
    keras.config.set_floatx(np.dtype(dtype).name)
    try:
        yield
    finally:
        keras.config.set_floatx(previous)


def keras_schedule(name, kwargs):
    return getattr(keras.optimizers.schedules, KERAS_SCHEDULES[name])(**kwargs)


def keras_optimizer(name, hyper):
    return getattr(keras.optimizers, KERAS_CLASSES[name])(**hyper)


class KerasRunner:
    """One Keras optimizer applied to Keras variables holding the oracle's parameters.

    ``apply`` runs Keras's ``optimizer.apply`` inside one ``tf.function``, as
    ``model.fit`` does (Keras's own graph, traced once): eagerly it took about 40× longer
    a step (measured 244 ms, Adam with weight decay, under load), the suite's largest cost.
    """

    def __init__(self, name, optimizer, params):
        import tensorflow as tf

        self.name = name
        self.optimizer = optimizer
        self.keys = list(params)
        self.variables = [
            keras.Variable(np.array(p), name=k.replace("/", "_"), dtype=p.dtype.name)
            for k, p in params.items()
        ]
        optimizer.build(self.variables)
        self._apply = tf.function(lambda grads: optimizer.apply(grads, self.variables))

    def params(self):
        return {k: np.array(v.numpy()) for k, v in zip(self.keys, self.variables, strict=True)}

    def apply(self, grads):
        self._apply([grads[key] for key in self.keys])
        return self.params()

    def _slot_variable(self, key, variable, slot):
        opt = self.optimizer
        if self.name == "adafactor" and slot in ("row", "column"):
            index = opt._get_variable_index(variable)
            return (opt._r if slot == "row" else opt._c)[index]
        if self.name == "nadam" and slot == "mu_product":
            return opt._u_product
        suffix = PER_OPTIMIZER_SUFFIXES.get(self.name, {}).get(slot) or SLOT_SUFFIXES[slot]
        wanted = f"{variable.name}_{suffix}"
        matches = [v for v in opt.variables if v.name == wanted]
        assert len(matches) == 1, f"no single Keras variable {wanted!r}"
        return matches[0]

    def set_state(self, params, state):
        """Put Keras in the oracle's state: weights, every slot, and the step count."""
        for key, variable in zip(self.keys, self.variables, strict=True):
            variable.assign(params[key])
            for slot, value in state["slots"][key].items():
                self._slot_variable(key, variable, slot).assign(value)
        self.optimizer.iterations.assign(state["step"])
