"""Every optimizer Keras 3 ships, in JAX: pure ``init`` / ``update`` on dict pytrees.

The same contract as ``reference.optimizers``:

    optimizer = get("adam", learning_rate=0.01)
    state = optimizer.init(params)
    params, state = optimizer.update(grads, state, params)

``update`` is pure and jit-compatible: it returns new pytrees, never modifies its
inputs, and has no Python control flow on traced values (branches are on
hyperparameters and shapes, which are static). The step counter is an array in
the state, so a jitted step compiles once.

Each class inherits its hyperparameters, defaults and checks from the oracle's
class of the same name; what is written here is only the arithmetic,
``init_slots`` and ``update_variable`` with ``jax.numpy``, the same equations
line for line (the oracle's docstrings give them);
``tests/test_optimizer_twins.py`` checks that every class writes both. None of
this calls optax: optax is what the tests compare against.
"""

import math

import jax
import jax.numpy as jnp

from jax_impl import clipping
from reference import optimizers as reference
from reference.errors import check_same_structure


def _norm(x):
    return jnp.sqrt(jnp.sum(x * x))


def _rms(x):
    return jnp.sqrt(jnp.mean(x * x))


class Optimizer:
    """The shared part, in JAX: schedule, clipping, weight decay, the walk over params."""

    def init(self, params):
        slots = {name: self.slots_for(param) for name, param in params.items()}
        return {"step": jnp.zeros((), jnp.int32), "slots": slots}

    def update(self, grads, state, params, *, loss=None, noise=None):
        """One step; a ``None`` gradient (an empty pytree node, so it passes ``jax.jit``) is
        the oracle's rule (its ``update`` docstring)."""
        check_same_structure(grads, params, state)
        grads, noise = reference.given_gradients(grads, noise)
        step = state["step"]
        updates_made = self.updates_made(step)
        learning_rate = self.learning_rate_at(step)
        raw = self.unscale(grads)
        grads = self.use_extra_inputs(self.clip(self.mean_gradient(raw, state)), step, loss, noise)
        dtypes = {param.dtype for param in params.values()}  # η and t once per dtype
        lr = {dtype: jnp.asarray(learning_rate, dtype) for dtype in dtypes}
        t = {dtype: (updates_made + 1).astype(dtype) for dtype in dtypes}
        new_params, new_slots = {}, {}
        for name, param in params.items():
            slots = state["slots"][name]
            if name not in grads:  # a None gradient: Keras skips the variable
                new_params[name], new_slots[name] = self.without_gradient(
                    step, param, slots, t[param.dtype]
                )
            else:
                value = param
                if self.decays(name):
                    value = self.decay_weights(param, slots, lr[param.dtype])
                new_params[name], new_slots[name] = self.update_variable(
                    grads[name].astype(param.dtype), value, slots, lr[param.dtype], t[param.dtype]
                )
                if self.gradient_accumulation_steps:
                    new_params[name], new_slots[name] = self.accumulate(
                        step, (new_params[name], new_slots[name]), (param, slots), raw[name]
                    )
            if self.use_ema:
                new_params[name], average = self.average_weights(
                    new_params[name], slots["average"], updates_made
                )
                new_slots[name] = {**new_slots[name], "average": average}
        return new_params, {"step": step + 1, "slots": new_slots}

    def choose(self, condition, chosen, other):
        """The oracle's ``choose``, element by element: the condition is traced."""
        return jax.tree.map(lambda a, b: jnp.where(condition, a, b), chosen, other)

    def average_weights(self, param, average, step):
        """The oracle's ``average_weights`` (Keras's EMA), with the step traced."""
        momentum = jnp.where(step != 0, self.ema_momentum, 0.0).astype(param.dtype)
        average = momentum * average + (1 - momentum) * param
        frequency = self.ema_overwrite_frequency
        if frequency is not None:
            param = jnp.where((step + 1) % frequency == 0, average, param)
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
        return {"velocity": jnp.zeros_like(param)} if self.momentum > 0 else {}

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
        slots = {"velocity": jnp.zeros_like(param)}
        if self.centered:
            slots["average_grad"] = jnp.zeros_like(param)
        if self.momentum > 0:
            slots["momentum"] = jnp.zeros_like(param)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        rho = self.rho
        new = {"velocity": rho * slots["velocity"] + (1 - rho) * grad * grad}
        if self.centered:
            new["average_grad"] = rho * slots["average_grad"] + (1 - rho) * grad
            denominator = new["velocity"] - new["average_grad"] ** 2 + self.epsilon
        else:
            denominator = new["velocity"] + self.epsilon
        increment = lr * grad / jnp.sqrt(denominator)
        if self.momentum > 0:
            new["momentum"] = self.momentum * slots["momentum"] + increment
            return param - new["momentum"], new
        return param - increment, new


class Adagrad(Optimizer, reference.Adagrad):
    """The equations: ``reference.optimizers.Adagrad``."""

    def init_slots(self, param):
        return {"accumulator": jnp.full_like(param, self.initial_accumulator_value)}

    def update_variable(self, grad, param, slots, lr, t):
        accumulator = slots["accumulator"] + grad * grad
        return param - lr * grad / jnp.sqrt(accumulator + self.epsilon), {
            "accumulator": accumulator
        }


class Adadelta(Optimizer, reference.Adadelta):
    """The equations: ``reference.optimizers.Adadelta``."""

    def init_slots(self, param):
        return {"grad_average": jnp.zeros_like(param), "delta_average": jnp.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        rho, eps = self.rho, self.epsilon
        grad_average = rho * slots["grad_average"] + (1 - rho) * grad * grad
        delta = -jnp.sqrt(slots["delta_average"] + eps) / jnp.sqrt(grad_average + eps) * grad
        delta_average = rho * slots["delta_average"] + (1 - rho) * delta * delta
        return param + lr * delta, {"grad_average": grad_average, "delta_average": delta_average}


class Adam(Optimizer, reference.Adam):
    """The equations: ``reference.optimizers.Adam``."""

    def init_slots(self, param):
        slots = {"momentum": jnp.zeros_like(param), "velocity": jnp.zeros_like(param)}
        if self.amsgrad:
            slots["velocity_max"] = jnp.zeros_like(param)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        new = {"momentum": momentum, "velocity": velocity}
        if self.convention == "keras":
            if self.amsgrad:
                velocity = jnp.maximum(slots["velocity_max"], velocity)
                new["velocity_max"] = velocity
            alpha = lr * jnp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            return param - alpha * momentum / (jnp.sqrt(velocity) + self.epsilon), new
        momentum_hat = momentum / (1 - beta_1**t)  # convention="optax": the paper's m̂ and v̂
        velocity_hat = velocity / (1 - beta_2**t)
        if self.amsgrad:
            velocity_hat = jnp.maximum(slots["velocity_max"], velocity_hat)
            new["velocity_max"] = velocity_hat
        return param - lr * momentum_hat / (jnp.sqrt(velocity_hat) + self.epsilon), new


class AdamW(Adam, reference.AdamW):
    """The equations: ``reference.optimizers.AdamW`` (Adam's rule, λ = 0.004)."""


class Adamax(Optimizer, reference.Adamax):
    """The equations: ``reference.optimizers.Adamax``."""

    def init_slots(self, param):
        return {"momentum": jnp.zeros_like(param), "norm": jnp.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = slots["momentum"] + (1 - self.beta_1) * (grad - slots["momentum"])
        if self.convention == "keras":
            norm = jnp.maximum(self.beta_2 * slots["norm"], jnp.abs(grad))
            update = lr * momentum / ((1 - self.beta_1**t) * (norm + self.epsilon))
        else:  # convention="optax": ε inside the max
            norm = jnp.maximum(self.beta_2 * slots["norm"], jnp.abs(grad) + self.epsilon)
            update = lr * momentum / ((1 - self.beta_1**t) * norm)
        return param - update, {"momentum": momentum, "norm": norm}


class Nadam(Optimizer, reference.Nadam):
    """The equations: ``reference.optimizers.Nadam``."""

    def init_slots(self, param):
        return {
            "momentum": jnp.zeros_like(param),
            "velocity": jnp.zeros_like(param),
            "mu_product": jnp.ones((), param.dtype),
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
        return param - lr * momentum_hat / (jnp.sqrt(velocity_hat) + self.epsilon), new


class Ftrl(Optimizer, reference.Ftrl):
    """The equations: ``reference.optimizers.Ftrl``."""

    def init_slots(self, param):
        return {
            "accumulator": jnp.full_like(param, self.initial_accumulator_value),
            "linear": jnp.zeros_like(param),
        }

    def update_variable(self, grad, param, slots, lr, t):
        power = -self.learning_rate_power
        l2 = self.l2 + self.beta / (2 * lr)
        shrunk_grad = grad + 2 * self.l2_shrinkage * param
        accumulator = slots["accumulator"] + grad * grad
        sigma = (accumulator**power - slots["accumulator"] ** power) / lr
        linear = slots["linear"] + shrunk_grad - sigma * param
        quadratic = accumulator**power / lr + 2 * l2
        param = (jnp.clip(linear, -self.l1, self.l1) - linear) / quadratic
        return param, {"accumulator": accumulator, "linear": linear}


class Lion(Optimizer, reference.Lion):
    """The equations: ``reference.optimizers.Lion``."""

    def init_slots(self, param):
        return {"momentum": jnp.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = slots["momentum"]
        interpolated = self.beta_1 * momentum + (1 - self.beta_1) * grad
        momentum = self.beta_2 * momentum + (1 - self.beta_2) * grad
        return param - lr * jnp.sign(interpolated), {"momentum": momentum}


class Lamb(Optimizer, reference.Lamb):
    """The equations: ``reference.optimizers.Lamb``."""

    def init_slots(self, param):
        return {"momentum": jnp.zeros_like(param), "velocity": jnp.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        direction = (momentum / (1 - beta_1**t)) / (
            jnp.sqrt(velocity / (1 - beta_2**t)) + self.epsilon
        )
        if self.convention == "optax" and self.weight_decay is not None:
            direction = direction + self.weight_decay * param
        param_norm = _norm(param)
        direction_norm = _norm(direction)
        both_positive = jnp.logical_and(param_norm > 0, direction_norm > 0)
        ratio = jnp.where(both_positive, param_norm / direction_norm, 1.0)
        return param - ratio * lr * direction, {"momentum": momentum, "velocity": velocity}


class Adafactor(Optimizer, reference.Adafactor):
    """The equations: ``reference.optimizers.Adafactor``."""

    def init_slots(self, param):
        shape = param.shape
        if len(shape) < 2:
            return {"velocity": jnp.zeros_like(param)}
        return {
            "row": jnp.zeros(shape[:-1], param.dtype),
            "column": jnp.zeros(shape[:-2] + shape[-1:], param.dtype),
        }

    def update_variable(self, grad, param, slots, lr, t):
        rho = jnp.minimum(lr, 1 / jnp.sqrt(t))
        alpha = jnp.maximum(self.epsilon_2, _rms(param)) * rho
        regulated = grad * grad + self.epsilon_1
        beta_2 = 1 - t**self.beta_2_decay
        if len(param.shape) >= 2:
            row = beta_2 * slots["row"] + (1 - beta_2) * jnp.mean(regulated, axis=-1)
            column = beta_2 * slots["column"] + (1 - beta_2) * jnp.mean(regulated, axis=-2)
            row_share = row / jnp.mean(row, axis=-1, keepdims=True)
            velocity = row_share[..., :, None] * column[..., None, :]
            new = {"row": row, "column": column}
        else:
            velocity = beta_2 * slots["velocity"] + (1 - beta_2) * regulated
            new = {"velocity": velocity}
        update = grad / jnp.sqrt(velocity)
        update = update / jnp.maximum(1.0, _rms(update) / self.clip_threshold)
        return param - alpha * update, new


def newton_schulz(matrix, steps, a, b, c):
    """Approximately orthogonalise ``matrix``: the oracle's quintic iteration in JAX."""
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / (_norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


class Muon(Optimizer, reference.Muon):
    """The equations: ``reference.optimizers.Muon``."""

    def init_slots(self, param):
        return {"momentum": jnp.zeros_like(param)}

    def init(self, params):
        state = super().init(params)
        for name, param in params.items():
            if self.uses_adam(name, param):
                state["slots"][name]["velocity"] = jnp.zeros_like(param)
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
        alpha = lr * jnp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        new_param = param - alpha * momentum / (jnp.sqrt(velocity) + self.epsilon)
        return new_param, {"momentum": momentum, "velocity": velocity}


class ScheduleFreeAdamW(Optimizer, reference.ScheduleFreeAdamW):
    """The equations: ``reference.optimizers.ScheduleFreeAdamW``."""

    def init_slots(self, param):
        return {"z": param, "velocity": jnp.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        if self.warmup_steps > 0:
            lr = lr * jnp.minimum(t / self.warmup_steps, 1)
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        z = slots["z"] - lr * grad / (jnp.sqrt(velocity / (1 - beta_2**t)) + self.epsilon)
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
    from jax_impl import optax_optimizers  # imported when used: it builds on this module

    return reference.get(name, registry=OPTIMIZERS | optax_optimizers.OPTIMIZERS, **hyper)


def set_state(state, step=None, slots=None):
    """A copy of ``state`` with its step count and chosen slots set (as ``reference.set_state``)."""
    reference.check_new_state(state, step, slots)
    new_slots = {name: dict(own) for name, own in state["slots"].items()}
    for name, given in (slots or {}).items():
        for slot, value in given.items():
            new_slots[name][slot] = jnp.asarray(value, new_slots[name][slot].dtype)
    new_step = state["step"] if step is None else jnp.asarray(step, state["step"].dtype)
    return {"step": new_step, "slots": new_slots}
