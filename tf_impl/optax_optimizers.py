"""The optimizers optax ships and Keras does not, with TensorFlow ops on ``tf.Variable`` slots.

Each class inherits its hyperparameters, defaults and checks from the class of the
same name in ``reference.optax_optimizers`` (whose docstrings give the equations);
what is written here is the arithmetic, ``init_slots`` and ``update_variable`` (and
``use_extra_inputs`` for Polyak SGD and noisy SGD) with TF ops; ``update`` is
``tf_impl.optimizers``'s, assigning in place. Branches on the step (the first step,
RAdam's threshold) are ``tf.where``, so a ``tf.function`` step traces once.
"""

import functools

import tensorflow as tf

from reference import optax_optimizers as reference
from tf_impl import optimizers as keras_optimizers


def _norm(x):
    return tf.sqrt(tf.reduce_sum(x * x))


def _first_step(t):
    return tf.equal(t, 1)


class AdaBelief(keras_optimizers.Optimizer, reference.AdaBelief):
    """The equations: ``reference.optax_optimizers.AdaBelief``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param), "belief": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2 = self.b1, self.b2
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        error = grad - momentum
        belief = (1 - b2) * (error * error) + b2 * slots["belief"] + self.eps_root
        if self.nesterov:
            momentum_hat = b1 * (momentum / (1 - b1 ** (t + 1))) + (1 - b1) * (grad / (1 - b1**t))
        else:
            momentum_hat = momentum / (1 - b1**t)
        belief_hat = belief / (1 - b2**t)
        new_param = param - lr * (momentum_hat / (tf.sqrt(belief_hat) + self.eps))
        return new_param, {"momentum": momentum, "belief": belief}


class Adan(keras_optimizers.Optimizer, reference.Adan):
    """The equations: ``reference.optax_optimizers.Adan``."""

    def init_slots(self, param):
        zeros = tf.zeros_like(param)
        return {"momentum": zeros, "difference": zeros, "second_moment": zeros, "grad": zeros}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2, b3 = self.b1, self.b2, self.b3
        difference = tf.where(_first_step(t), tf.zeros_like(grad), grad - slots["grad"])
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        difference_average = (1 - b2) * difference + b2 * slots["difference"]
        corrected = grad + (1 - b2) * difference
        second_moment = (1 - b3) * (corrected * corrected) + b3 * slots["second_moment"]
        direction = momentum / (1 - b1**t) + (1 - b2) * (difference_average / (1 - b2**t))
        denominator = tf.sqrt(second_moment / (1 - b3**t) + self.eps_root) + self.eps
        new = {
            "momentum": momentum,
            "difference": difference_average,
            "second_moment": second_moment,
            "grad": grad,
        }
        return param - lr * (direction / denominator), new


class Fromage(keras_optimizers.Optimizer, reference.Fromage):
    """The equations: ``reference.optax_optimizers.Fromage``."""

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        param_norm = tf.maximum(_norm(param), self.min_norm)
        grad_norm = tf.maximum(_norm(grad), self.min_norm)
        both_positive = tf.logical_and(param_norm > 0, grad_norm > 0)
        ratio = tf.where(both_positive, param_norm / grad_norm, tf.ones_like(param_norm))
        shrink = 1 / tf.sqrt(1 + lr * lr)
        return shrink * param - (lr * shrink) * (ratio * grad), slots


class Lars(keras_optimizers.Optimizer, reference.Lars):
    """The equations: ``reference.optax_optimizers.Lars``."""

    def init_slots(self, param):
        return {"velocity": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        direction = grad if self.weight_decay is None else grad + self.weight_decay * param
        param_norm, direction_norm = _norm(param), _norm(direction)
        both_positive = tf.logical_and(param_norm > 0, direction_norm > 0)
        ratio = tf.where(
            both_positive,
            self.trust_coefficient * param_norm / (direction_norm + self.eps),
            tf.ones_like(param_norm),
        )
        step = -lr * (ratio * direction)
        velocity = step + self.momentum * slots["velocity"]
        if self.nesterov:
            return param + (step + self.momentum * velocity), {"velocity": velocity}
        return param + velocity, {"velocity": velocity}


class NoisySGD(keras_optimizers.Optimizer, reference.NoisySGD):
    """The equations: ``reference.optax_optimizers.NoisySGD``."""

    def use_extra_inputs(self, grads, step, loss, noise):
        reference._check_noise(noise, grads)
        noisy = {}
        for name, grad in grads.items():
            t = tf.cast(step + 1, grad.dtype)
            deviation = tf.sqrt(self.eta / t**self.gamma)
            noisy[name] = grad + deviation * tf.cast(noise[name], grad.dtype)
        return noisy

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        return param - lr * grad, slots


class NovoGrad(keras_optimizers.Optimizer, reference.NovoGrad):
    """The equations: ``reference.optax_optimizers.NovoGrad``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param), "norm_average": tf.zeros((), param.dtype)}

    def update_variable(self, grad, param, slots, lr, t):
        squared_norm = tf.reduce_sum(grad * grad)
        norm_average = tf.where(
            _first_step(t),
            squared_norm,
            (1 - self.b2) * squared_norm + self.b2 * slots["norm_average"],
        )
        direction = grad / (tf.sqrt(norm_average + self.eps_root) + self.eps)
        if self.weight_decay is not None:
            direction = direction + self.weight_decay * param
        momentum = tf.where(_first_step(t), direction, self.b1 * slots["momentum"] + direction)
        return param - lr * momentum, {"momentum": momentum, "norm_average": norm_average}


class OptimisticGradientDescent(keras_optimizers.Optimizer, reference.OptimisticGradientDescent):
    """The equations: ``reference.optax_optimizers.OptimisticGradientDescent``."""

    def init_slots(self, param):
        return {"previous_grad": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        previous = tf.where(_first_step(t), grad, slots["previous_grad"])
        direction = (self.alpha + self.beta) * grad - self.beta * previous
        return param - lr * direction, {"previous_grad": grad}


class OptimisticAdam(keras_optimizers.Optimizer, reference.OptimisticAdam):
    """The equations: ``reference.optax_optimizers.OptimisticAdam``."""

    def init_slots(self, param):
        zeros = tf.zeros_like(param)
        return {"momentum": zeros, "velocity": zeros, "previous_direction": zeros}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2 = self.b1, self.b2
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        velocity = (1 - b2) * (grad * grad) + b2 * slots["velocity"]
        if self.nesterov:
            momentum_hat = b1 * (momentum / (1 - b1 ** (t + 1))) + (1 - b1) * (grad / (1 - b1**t))
        else:
            momentum_hat = momentum / (1 - b1**t)
        direction = momentum_hat / (tf.sqrt(velocity / (1 - b2**t) + self.eps_root) + self.eps)
        previous = tf.where(_first_step(t), direction, slots["previous_direction"])
        step = (self.alpha + self.beta) * direction - self.beta * previous
        new = {"momentum": momentum, "velocity": velocity, "previous_direction": direction}
        return param - lr * step, new


class PolyakSGD(keras_optimizers.Optimizer, reference.PolyakSGD):
    """The equations: ``reference.optax_optimizers.PolyakSGD``."""

    def use_extra_inputs(self, grads, step, loss, noise):
        if loss is None:
            raise ValueError(
                "polyak_sgd needs the loss at params: update(grads, state, params, loss=...)."
            )
        scaling = self.learning_rate_at(step)
        squared_norm = scaling * scaling * sum(tf.reduce_sum(g * g) for g in grads.values())
        gap = tf.cast(loss, squared_norm.dtype) - self.f_min
        if self.variant == "sps+":
            gap = tf.maximum(gap, tf.zeros_like(gap))
        size = tf.where(
            squared_norm + self.eps <= reference._NO_GRADIENT,
            tf.zeros_like(gap),
            tf.minimum(gap / (squared_norm + self.eps), self.max_learning_rate),
        )
        return {name: tf.cast(size, grad.dtype) * grad for name, grad in grads.items()}

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        return param - lr * grad, slots


class RAdam(keras_optimizers.Optimizer, reference.RAdam):
    """The equations: ``reference.optax_optimizers.RAdam``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param), "velocity": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2 = self.b1, self.b2
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        velocity = (1 - b2) * (grad * grad) + b2 * slots["velocity"]
        new = {"momentum": momentum, "velocity": velocity}
        if self.nesterov:
            momentum_hat = b1 * (momentum / (1 - b1 ** (t + 1))) + (1 - b1) * (grad / (1 - b1**t))
        else:
            momentum_hat = momentum / (1 - b1**t)
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2**t / (1 - b2**t)
        rectifier = tf.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        denominator = tf.sqrt(velocity / (1 - b2**t) + self.eps_root) + self.eps
        rectified = rectifier * momentum_hat / denominator
        return param - lr * tf.where(rho < self.threshold, momentum_hat, rectified), new


class Rprop(keras_optimizers.Optimizer, reference.Rprop):
    """The equations: ``reference.optax_optimizers.Rprop``."""

    def init_slots(self, param):
        return {
            # tf.constant, not tf.cast: a Python float would pass through float32 first
            "step_size": tf.fill(tf.shape(param), tf.constant(self.learning_rate, param.dtype)),
            "previous_step": tf.zeros_like(param),
        }

    def update_variable(self, grad, param, slots, lr, t):
        agreement = grad * slots["previous_step"]
        zeros = tf.zeros_like(grad)
        factor = tf.where(agreement > 0, zeros + self.eta_plus, zeros + self.eta_minus)
        grown = tf.clip_by_value(
            slots["step_size"] * factor, self.min_step_size, self.max_step_size
        )
        step_size = tf.where(tf.equal(agreement, 0), slots["step_size"], grown)
        step = tf.where(agreement < 0, zeros, step_size * tf.sign(grad))
        applied = tf.where(agreement < 0, zeros, slots["previous_step"])
        return param - applied, {"step_size": step_size, "previous_step": step}


class SignSGD(keras_optimizers.Optimizer, reference.SignSGD):
    """The equations: ``reference.optax_optimizers.SignSGD``."""

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        return param - lr * tf.sign(grad), slots


class Signum(keras_optimizers.Optimizer, reference.Signum):
    """The equations: ``reference.optax_optimizers.Signum``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = (1 - self.beta) * grad + self.beta * slots["momentum"]
        return param - lr * tf.sign(momentum), {"momentum": momentum}


class SM3(keras_optimizers.Optimizer, reference.SM3):
    """The equations: ``reference.optax_optimizers.SM3``."""

    def init_slots(self, param):
        slots = {"momentum": tf.zeros_like(param)}
        for axis, size in enumerate(param.shape):
            slots[f"accumulator_{axis}"] = tf.zeros(size, param.dtype)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        rank = grad.shape.rank
        shaped = [
            tf.reshape(slots[f"accumulator_{axis}"], [-1 if i == axis else 1 for i in range(rank)])
            for axis in range(rank)
        ]
        accumulated = grad * grad + (functools.reduce(tf.minimum, shaped) if rank else 0)
        scale = tf.where(accumulated > 0, 1 / tf.sqrt(accumulated + 1e-8), tf.zeros_like(grad))
        momentum = (1 - self.momentum) * (grad * scale) + self.momentum * slots["momentum"]
        new = {"momentum": momentum}
        for axis in range(rank):
            others = tuple(i for i in range(rank) if i != axis)
            new[f"accumulator_{axis}"] = (
                tf.reduce_max(accumulated, axis=others) if others else accumulated
            )
        return param - lr * momentum, new


class Yogi(keras_optimizers.Optimizer, reference.Yogi):
    """The equations: ``reference.optax_optimizers.Yogi``."""

    def init_slots(self, param):
        filled = tf.fill(tf.shape(param), tf.constant(1e-6, param.dtype))
        return {"momentum": filled, "velocity": filled}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2 = self.b1, self.b2
        squared = grad * grad
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        velocity = slots["velocity"] - (1 - b2) * tf.sign(slots["velocity"] - squared) * squared
        momentum_hat = momentum / (1 - b1**t)
        velocity_hat = velocity / (1 - b2**t)
        new_param = param - lr * (momentum_hat / (tf.sqrt(velocity_hat) + self.eps))
        return new_param, {"momentum": momentum, "velocity": velocity}


class AMSGrad(keras_optimizers.Adam, reference.AMSGrad):
    """``reference.optax_optimizers.AMSGrad``: Adam's rule from ``tf_impl.optimizers``."""


class AdamaxW(keras_optimizers.Adamax, reference.AdamaxW):
    """``reference.optax_optimizers.AdamaxW``: Adamax's rule from ``tf_impl.optimizers``."""


class NAdamW(keras_optimizers.Nadam, reference.NAdamW):
    """``reference.optax_optimizers.NAdamW``: Nadam's rule from ``tf_impl.optimizers``."""


OPTIMIZERS = {
    "adabelief": AdaBelief,
    "adan": Adan,
    "fromage": Fromage,
    "lars": Lars,
    "noisy_sgd": NoisySGD,
    "novograd": NovoGrad,
    "optimistic_gradient_descent": OptimisticGradientDescent,
    "optimistic_adam": OptimisticAdam,
    "polyak_sgd": PolyakSGD,
    "radam": RAdam,
    "rprop": Rprop,
    "sign_sgd": SignSGD,
    "signum": Signum,
    "sm3": SM3,
    "yogi": Yogi,
    "amsgrad": AMSGrad,
    "adamaxw": AdamaxW,
    "nadamw": NAdamW,
}
assert tuple(OPTIMIZERS) == reference.keras_optimizers.OPTAX_NAMES
