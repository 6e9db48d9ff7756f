"""Every optimizer Keras 3 ships, written with TensorFlow ops on ``tf.Variable`` slots.

The same contract as ``reference.optimizers``:

    optimizer = get("adam", learning_rate=0.01)
    state = optimizer.init(params)                  # params: dict of tf.Variable
    params, state = optimizer.update(grads, state, params)

Unlike the oracle, ``update`` works the way TensorFlow code does: the weights,
the slots and the step counter are ``tf.Variable``s, assigned in place, so a
``tf.function`` train step can update them without returning them.

Each class inherits its hyperparameters, defaults and checks from the oracle's
class of the same name, so the two cannot drift apart; what is written here is
only the arithmetic: ``init_slots`` and ``update_variable`` with TF ops, the same
equations line for line (see the oracle's docstrings for them);
``tests/test_optimizer_twins.py`` checks that every class writes both. None of
this calls ``keras.optimizers``: those are what the tests compare against.
"""

import math

import tensorflow as tf

from reference import optimizers as reference
from reference.errors import check_same_structure
from tf_impl import clipping


def _as(value, dtype):
    """A Python number or a tensor as a tensor of ``dtype``.

    ``tf.cast`` of a Python float goes through float32 first (docs/conventions.md §2.2);
    converting to float64 first keeps 0.9 as the float64 0.9.
    """
    return tf.cast(tf.convert_to_tensor(value, tf.float64), dtype)


def _norm(x):
    return tf.sqrt(tf.reduce_sum(x * x))


def _rms(x):
    return tf.sqrt(tf.reduce_mean(x * x))


class Optimizer:
    """The shared part, with TensorFlow state: schedule, clipping, weight decay, the walk."""

    def init(self, params):
        slots = {
            name: {
                slot: tf.Variable(value, trainable=False, name=f"{name}/{slot}".replace("/", "_"))
                for slot, value in self.slots_for(param).items()
            }
            for name, param in params.items()
        }
        return {
            "step": tf.Variable(0, dtype=tf.int64, trainable=False, name="step"),
            "slots": slots,
        }

    def update(self, grads, state, params, *, loss=None, noise=None):
        """One step; every new value is computed before the first assignment.

        So an update that fails part-way (an error in one tensor's rule) leaves every
        variable, slot and the step count as they were. A ``None`` gradient: the oracle's
        rule (its ``update`` docstring), here as elsewhere.
        """
        check_same_structure(grads, params, state)
        grads, noise = reference.given_gradients(grads, noise)
        step = state["step"]
        updates_made = self.updates_made(step)
        learning_rate = self.learning_rate_at(step)
        raw = self.unscale(grads)
        grads = self.use_extra_inputs(self.clip(self.mean_gradient(raw, state)), step, loss, noise)
        dtypes = {param.dtype for param in params.values()}  # η and t once per dtype
        lr = {dtype: _as(learning_rate, dtype) for dtype in dtypes}
        t = {dtype: tf.cast(updates_made + 1, dtype) for dtype in dtypes}
        new = {}
        for name, param in params.items():
            slots = {slot: variable.value() for slot, variable in state["slots"][name].items()}
            value = param.value()
            if name not in grads:  # a None gradient: Keras skips the variable
                new[name] = self.without_gradient(step, value, slots, t[param.dtype])
            else:
                if self.decays(name):
                    value = self.decay_weights(value, slots, lr[param.dtype])
                new[name] = self.update_variable(
                    tf.cast(grads[name], param.dtype), value, slots, lr[param.dtype], t[param.dtype]
                )
                if self.gradient_accumulation_steps:
                    grad = tf.cast(raw[name], param.dtype)
                    new[name] = self.accumulate(step, new[name], (param.value(), slots), grad)
            if self.use_ema:
                average = slots["average"]
                new_value, average = self.average_weights(new[name][0], average, updates_made)
                new[name] = (new_value, {**new[name][1], "average": average})
        for name, (new_value, new_slots) in new.items():
            params[name].assign(new_value)
            for slot, slot_value in new_slots.items():
                state["slots"][name][slot].assign(slot_value)
        step.assign_add(1)
        return params, state

    def choose(self, condition, chosen, other):
        """The oracle's ``choose``, element by element: the condition is a tensor."""
        return tf.nest.map_structure(lambda a, b: tf.where(condition, a, b), chosen, other)

    def average_weights(self, param, average, step):
        """The oracle's ``average_weights`` (Keras's EMA), on the step variable."""
        zero = tf.zeros((), param.dtype)
        momentum = tf.where(tf.not_equal(step, 0), _as(self.ema_momentum, param.dtype), zero)
        average = momentum * average + (1 - momentum) * param
        frequency = self.ema_overwrite_frequency
        if frequency is not None:
            param = tf.where(tf.equal((step + 1) % frequency, 0), average, param)
        return param, average

    def clip(self, grads):
        if self.clipnorm is not None:
            return clipping.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm is not None:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return clipping.clip_by_value(grads, self.clipvalue)
        return grads


class SGD(Optimizer, reference.SGD):
    """The equations: ``reference.optimizers.SGD``."""

    def init_slots(self, param):
        return {"velocity": tf.zeros_like(param)} if self.momentum > 0 else {}

    def update_variable(self, grad, param, slots, lr, t):
        if self.momentum == 0:
            return param - lr * grad, slots
        mu = self.momentum
        if self.convention == "keras":
            velocity = mu * slots["velocity"] - lr * grad
            if self.nesterov:
                return param + mu * velocity - lr * grad, {"velocity": velocity}
            return param + velocity, {"velocity": velocity}
        buffer = mu * slots["velocity"] + grad  # convention="optax": η outside the buffer
        step = grad + mu * buffer if self.nesterov else buffer
        return param - lr * step, {"velocity": buffer}


class RMSprop(Optimizer, reference.RMSprop):
    """The equations: ``reference.optimizers.RMSprop``."""

    def init_slots(self, param):
        slots = {"velocity": tf.zeros_like(param)}
        if self.centered:
            slots["average_grad"] = tf.zeros_like(param)
        if self.momentum > 0:
            slots["momentum"] = tf.zeros_like(param)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        rho = self.rho
        new = {"velocity": rho * slots["velocity"] + (1 - rho) * grad * grad}
        if self.centered:
            new["average_grad"] = rho * slots["average_grad"] + (1 - rho) * grad
            denominator = new["velocity"] - new["average_grad"] ** 2 + self.epsilon
        else:
            denominator = new["velocity"] + self.epsilon
        increment = lr * grad / tf.sqrt(denominator)
        if self.momentum > 0:
            new["momentum"] = self.momentum * slots["momentum"] + increment
            return param - new["momentum"], new
        return param - increment, new


class Adagrad(Optimizer, reference.Adagrad):
    """The equations: ``reference.optimizers.Adagrad``."""

    def init_slots(self, param):
        return {
            "accumulator": tf.fill(param.shape, _as(self.initial_accumulator_value, param.dtype))
        }

    def update_variable(self, grad, param, slots, lr, t):
        accumulator = slots["accumulator"] + grad * grad
        return param - lr * grad / tf.sqrt(accumulator + self.epsilon), {"accumulator": accumulator}


class Adadelta(Optimizer, reference.Adadelta):
    """The equations: ``reference.optimizers.Adadelta``."""

    def init_slots(self, param):
        return {"grad_average": tf.zeros_like(param), "delta_average": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        rho, eps = self.rho, self.epsilon
        grad_average = rho * slots["grad_average"] + (1 - rho) * grad * grad
        delta = -tf.sqrt(slots["delta_average"] + eps) / tf.sqrt(grad_average + eps) * grad
        delta_average = rho * slots["delta_average"] + (1 - rho) * delta * delta
        return param + lr * delta, {"grad_average": grad_average, "delta_average": delta_average}


class Adam(Optimizer, reference.Adam):
    """The equations: ``reference.optimizers.Adam``."""

    def init_slots(self, param):
        slots = {"momentum": tf.zeros_like(param), "velocity": tf.zeros_like(param)}
        if self.amsgrad:
            slots["velocity_max"] = tf.zeros_like(param)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        new = {"momentum": momentum, "velocity": velocity}
        if self.convention == "keras":
            if self.amsgrad:
                velocity = tf.maximum(slots["velocity_max"], velocity)
                new["velocity_max"] = velocity
            alpha = lr * tf.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            return param - alpha * momentum / (tf.sqrt(velocity) + self.epsilon), new
        momentum_hat = momentum / (1 - beta_1**t)  # convention="optax": the paper's m̂ and v̂
        velocity_hat = velocity / (1 - beta_2**t)
        if self.amsgrad:
            velocity_hat = tf.maximum(slots["velocity_max"], velocity_hat)
            new["velocity_max"] = velocity_hat
        return param - lr * momentum_hat / (tf.sqrt(velocity_hat) + self.epsilon), new


class AdamW(Adam, reference.AdamW):
    """The equations: ``reference.optimizers.AdamW`` (Adam's rule, λ = 0.004)."""


class Adamax(Optimizer, reference.Adamax):
    """The equations: ``reference.optimizers.Adamax``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param), "norm": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = slots["momentum"] + (1 - self.beta_1) * (grad - slots["momentum"])
        if self.convention == "keras":
            norm = tf.maximum(self.beta_2 * slots["norm"], tf.abs(grad))
            update = lr * momentum / ((1 - self.beta_1**t) * (norm + self.epsilon))
        else:  # convention="optax": ε inside the max
            norm = tf.maximum(self.beta_2 * slots["norm"], tf.abs(grad) + self.epsilon)
            update = lr * momentum / ((1 - self.beta_1**t) * norm)
        return param - update, {"momentum": momentum, "norm": norm}


class Nadam(Optimizer, reference.Nadam):
    """The equations: ``reference.optimizers.Nadam``."""

    def init_slots(self, param):
        return {
            "momentum": tf.zeros_like(param),
            "velocity": tf.zeros_like(param),
            "mu_product": tf.ones((), param.dtype),
        }

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        velocity_hat = velocity / (1 - beta_2**t)
        if self.convention == "keras":
            mu_t = beta_1 * (1 - 0.5 * 0.96**t)
            mu_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
            mu_product = slots["mu_product"] * mu_t
            momentum_hat = mu_next * momentum / (1 - mu_product * mu_next) + (1 - mu_t) * grad / (
                1 - mu_product
            )
        else:  # convention="optax": no momentum schedule
            momentum_hat = beta_1 * momentum / (1 - beta_1 ** (t + 1)) + (1 - beta_1) * grad / (
                1 - beta_1**t
            )
            mu_product = slots["mu_product"]
        new = {"momentum": momentum, "velocity": velocity, "mu_product": mu_product}
        return param - lr * momentum_hat / (tf.sqrt(velocity_hat) + self.epsilon), new


class Ftrl(Optimizer, reference.Ftrl):
    """The equations: ``reference.optimizers.Ftrl``."""

    def init_slots(self, param):
        return {
            "accumulator": tf.fill(param.shape, _as(self.initial_accumulator_value, param.dtype)),
            "linear": tf.zeros_like(param),
        }

    def update_variable(self, grad, param, slots, lr, t):
        power = -self.learning_rate_power
        l2 = self.l2 + self.beta / (2 * lr)
        shrunk_grad = grad + 2 * self.l2_shrinkage * param
        accumulator = slots["accumulator"] + grad * grad
        sigma = (accumulator**power - slots["accumulator"] ** power) / lr
        linear = slots["linear"] + shrunk_grad - sigma * param
        quadratic = accumulator**power / lr + 2 * l2
        param = (tf.clip_by_value(linear, -self.l1, self.l1) - linear) / quadratic
        return param, {"accumulator": accumulator, "linear": linear}


class Lion(Optimizer, reference.Lion):
    """The equations: ``reference.optimizers.Lion``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = slots["momentum"]
        interpolated = self.beta_1 * momentum + (1 - self.beta_1) * grad
        momentum = self.beta_2 * momentum + (1 - self.beta_2) * grad
        return param - lr * tf.sign(interpolated), {"momentum": momentum}


class Lamb(Optimizer, reference.Lamb):
    """The equations: ``reference.optimizers.Lamb``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param), "velocity": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        direction = (momentum / (1 - beta_1**t)) / (
            tf.sqrt(velocity / (1 - beta_2**t)) + self.epsilon
        )
        if self.convention == "optax" and self.weight_decay is not None:
            direction = direction + self.weight_decay * param
        param_norm = _norm(param)
        direction_norm = _norm(direction)
        both_positive = tf.logical_and(param_norm > 0, direction_norm > 0)
        ratio = tf.where(both_positive, param_norm / direction_norm, tf.ones_like(param_norm))
        return param - ratio * lr * direction, {"momentum": momentum, "velocity": velocity}


class Adafactor(Optimizer, reference.Adafactor):
    """The equations: ``reference.optimizers.Adafactor``."""

    def init_slots(self, param):
        shape = param.shape
        if len(shape) < 2:
            return {"velocity": tf.zeros_like(param)}
        return {
            "row": tf.zeros(shape[:-1], param.dtype),
            "column": tf.zeros(shape[:-2] + shape[-1:], param.dtype),
        }

    def update_variable(self, grad, param, slots, lr, t):
        rho = tf.minimum(lr, 1 / tf.sqrt(t))
        alpha = tf.maximum(_as(self.epsilon_2, param.dtype), _rms(param)) * rho
        regulated = grad * grad + self.epsilon_1
        beta_2 = 1 - t**self.beta_2_decay
        if len(param.shape) >= 2:
            row = beta_2 * slots["row"] + (1 - beta_2) * tf.reduce_mean(regulated, axis=-1)
            column = beta_2 * slots["column"] + (1 - beta_2) * tf.reduce_mean(regulated, axis=-2)
            row_share = row / tf.reduce_mean(row, axis=-1, keepdims=True)
            velocity = row_share[..., :, None] * column[..., None, :]
            new = {"row": row, "column": column}
        else:
            velocity = beta_2 * slots["velocity"] + (1 - beta_2) * regulated
            new = {"velocity": velocity}
        update = grad / tf.sqrt(velocity)
        update = update / tf.maximum(_as(1.0, param.dtype), _rms(update) / self.clip_threshold)
        return param - alpha * update, new


def newton_schulz(matrix, steps, a, b, c):
    """Approximately orthogonalise ``matrix``: the oracle's quintic iteration in TF."""
    tall = matrix.shape[0] > matrix.shape[1]
    x = tf.transpose(matrix) if tall else matrix
    x = x / (_norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ tf.transpose(x)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return tf.transpose(x) if tall else x


class Muon(Optimizer, reference.Muon):
    """The equations: ``reference.optimizers.Muon``."""

    def init_slots(self, param):
        return {"momentum": tf.zeros_like(param)}

    def init(self, params):
        state = super().init(params)
        for name, param in params.items():
            if self.uses_adam(name, param):
                state["slots"][name]["velocity"] = tf.Variable(
                    tf.zeros_like(param), trainable=False
                )
        return state

    def update_variable(self, grad, param, slots, lr, t):
        if "velocity" in slots:
            return self.adam_update(grad, param, slots, lr * self.adam_lr_ratio, t)
        momentum = self.momentum * slots["momentum"] + grad
        direction = grad + self.momentum * momentum if self.nesterov else momentum
        update = lr * newton_schulz(direction, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        if self.rms_rate is not None:
            update = update * math.sqrt(max(param.shape)) * self.rms_rate
        return param - update, {"momentum": momentum}

    def adam_update(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.adam_beta_1, self.adam_beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        alpha = lr * tf.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        new_param = param - alpha * momentum / (tf.sqrt(velocity) + self.epsilon)
        return new_param, {"momentum": momentum, "velocity": velocity}


class ScheduleFreeAdamW(Optimizer, reference.ScheduleFreeAdamW):
    """The equations: ``reference.optimizers.ScheduleFreeAdamW``."""

    def init_slots(self, param):
        return {"z": tf.identity(param), "velocity": tf.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        if self.warmup_steps > 0:
            lr = lr * tf.minimum(t / self.warmup_steps, 1)
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        z = slots["z"] - lr * grad / (tf.sqrt(velocity / (1 - beta_2**t)) + self.epsilon)
        z_in_x = slots["z"] if self.convention == "paper" else z
        x = (param - (1 - beta_1) * z_in_x) / beta_1
        weight = 1 / t
        x = (1 - weight) * x + weight * z
        y = (1 - beta_1) * z + beta_1 * x
        return y, {"z": z, "velocity": velocity}


OPTIMIZERS = {
    "sgd": SGD,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adadelta": Adadelta,
    "adam": Adam,
    "adamw": AdamW,
    "adamax": Adamax,
    "nadam": Nadam,
    "ftrl": Ftrl,
    "lion": Lion,
    "lamb": Lamb,
    "adafactor": Adafactor,
    "muon": Muon,
    "schedule_free_adamw": ScheduleFreeAdamW,
}
NAMES = reference.NAMES
assert tuple(OPTIMIZERS) == NAMES


def get(name, **hyper):
    """Build optimizer ``name`` with Keras's hyperparameter names (as ``reference.get``)."""
    from tf_impl import optax_optimizers  # imported when used: it builds on this module

    return reference.get(name, registry=OPTIMIZERS | optax_optimizers.OPTIMIZERS, **hyper)


def set_state(state, step=None, slots=None):
    """Set ``state``'s step count and chosen slots in place, and return it (the arguments
    as ``reference.set_state``'s); its variables stay the ones a train step holds."""
    reference.check_new_state(state, step, slots)
    for name, given in (slots or {}).items():
        for slot, value in given.items():
            variable = state["slots"][name][slot]
            variable.assign(tf.convert_to_tensor(value, variable.dtype))
    if step is not None:
        state["step"].assign(int(step))
    return state
