"""Every optimizer Keras 3 ships, written as its equations in NumPy.

The contract, the same in ``reference``, ``tf_impl`` and ``jax_impl``:

    optimizer = get("adam", learning_rate=0.01)
    state = optimizer.init(params)
    params, state = optimizer.update(grads, state, params)

``update`` makes one whole step and is pure: it returns new dicts and never
modifies its inputs. The step count lives in ``state["step"]`` (the number of
updates made so far); inside a step, t = step + 1 is the 1-based update number.

One step does what Keras's ``BaseOptimizer.apply`` does, in Keras's order:
  1. η = learning_rate, or learning_rate(step) when it is a schedule (the step
     *before* this update, as in Keras and optax);
  2. g ← g / ``loss_scale_factor`` (when set); with ``gradient_accumulation_steps``
     n, g ← the mean of the last n gradients, and only every n-th call goes on;
  3. clip the gradients (``clipnorm`` per tensor, ``global_clipnorm``, ``clipvalue``;
     at most one);
  4. decoupled weight decay: θ ← θ − θ·λ·η, for every optimizer, before the update,
     except parameters matched by ``exclude_from_weight_decay``;
  5. the optimizer's own rule, one tensor at a time (``update_variable``);
  6. with ``use_ema``, the moving average of the weights (``average_weights``).
A gradient may be ``None``, for a parameter the loss does not reach; as in Keras, that
parameter and its slots are left as they are (``without_gradient``), with a warning.
``set_state`` starts a state from given slots and step count (a textbook's example).

Hyperparameter names and defaults are Keras's, so ``get("adam")`` is
``keras.optimizers.Adam()``. The hyperparameters are used exactly, in float64:
Keras on TensorFlow rounds some of them through float32 (docs/conventions.md §2.2);
this oracle does not. Where optax computes something else under the same name,
``convention="optax"`` selects optax's form; each docstring says what differs.

Each optimizer is a class with three parts: ``__init__`` (hyperparameters and
their checks), ``init_slots(param)`` (its per-tensor state) and
``update_variable(grad, param, slots, lr, t)`` (its rule for one tensor).
``tf_impl`` and ``jax_impl`` inherit the first from here and rewrite the other
two in their own arithmetic.
"""

import inspect
import math
import re
import warnings

import numpy as np

from reference import clipping
from reference.errors import (
    check_bool,
    check_choice,
    check_integer,
    check_range,
    check_same_structure,
)


class Optimizer:
    """What every Keras optimizer shares: schedule, clipping, weight decay, the walk."""

    conventions = ("keras",)

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        exclude_from_weight_decay=None,
        loss_scale_factor=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        gradient_accumulation_steps=None,
        convention="keras",
    ):
        if not callable(learning_rate):
            check_range("learning_rate", learning_rate, low=0)
        if weight_decay is not None:
            check_range("weight_decay", weight_decay, low=0)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        chosen = [name for name, value in clips.items() if value is not None]
        if len(chosen) > 1:
            raise ValueError(
                f"Set at most one of clipnorm, clipvalue, global_clipnorm; got {chosen}."
            )
        for name in chosen:
            check_range(name, clips[name], low=0, low_open=True)
        check_choice(f"convention for {type(self).__name__}", convention, self.conventions)
        _check_patterns("exclude_from_weight_decay", exclude_from_weight_decay)
        self.exclude_from_weight_decay = list(exclude_from_weight_decay or [])
        if loss_scale_factor is not None:
            check_range("loss_scale_factor", loss_scale_factor, low=0, low_open=True)
        self.loss_scale_factor = loss_scale_factor
        check_bool("use_ema", use_ema)
        check_range("ema_momentum", ema_momentum, low=0, high=1)
        if ema_overwrite_frequency is not None:
            check_integer("ema_overwrite_frequency", ema_overwrite_frequency, low=1)
        self.use_ema, self.ema_momentum = use_ema, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if gradient_accumulation_steps is not None:
            check_integer("gradient_accumulation_steps", gradient_accumulation_steps, low=2)
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.convention = convention

    def learning_rate_at(self, step):
        """η for the update that follows ``step`` updates already made."""
        if callable(self.learning_rate):
            return self.learning_rate(step)
        return self.learning_rate

    def init(self, params):
        return {"step": 0, "slots": {name: self.slots_for(p) for name, p in params.items()}}

    def slots_for(self, param):
        """The rule's slots for ``param``, and its moving average when ``use_ema``."""
        slots = self.init_slots(param)
        if self.use_ema:
            slots["average"] = param * 0  # zeros of θ's shape and dtype, in every backend
        if self.gradient_accumulation_steps:
            slots["accumulated_grad"] = param * 0
        return slots

    def update(self, grads, state, params, *, loss=None, noise=None):
        """One step. Each gradient is cast to its parameter's dtype, as Keras does, so
        float32 weights stay float32 whatever the gradients' dtype.

        ``loss`` (the loss at ``params``) and ``noise`` (standard normal draws, a dict
        like ``params``) are for the optimizers that need more than gradients, Polyak
        SGD and noisy SGD (``reference/optax_optimizers.py``); the others ignore them.

        With ``gradient_accumulation_steps`` n, as Keras: ``state["step"]`` counts calls;
        every n-th call updates with the mean of the last n gradients (t counts those
        updates), the others only add their gradient to the sum. The schedule sees calls.

        A gradient ``None`` (the loss does not reach that parameter) is Keras's skipped
        variable (docs/conventions.md §2.10): the parameter and its slots stay as they are
        (``without_gradient``), while the step count advances, the moving average moves
        for every parameter, and a global clip norm is over the given gradients."""
        check_same_structure(grads, params, state)
        grads, noise = given_gradients(grads, noise)
        step = state["step"]
        updates_made = self.updates_made(step)
        learning_rate = self.learning_rate_at(step)
        raw = self.unscale(grads)
        grads = self.use_extra_inputs(self.clip(self.mean_gradient(raw, state)), step, loss, noise)
        lr = {param.dtype: param.dtype.type(learning_rate) for param in params.values()}
        new_params, new_slots = {}, {}
        for name, param in params.items():
            slots = state["slots"][name]
            if name not in grads:  # a None gradient: Keras skips the variable
                new_params[name], new_slots[name] = self.without_gradient(
                    step, param, slots, updates_made + 1
                )
            else:
                value = param
                if self.decays(name):
                    value = self.decay_weights(param, slots, lr[param.dtype])
                new_params[name], new_slots[name] = self.update_variable(
                    np.asarray(grads[name]).astype(param.dtype, copy=False),
                    value,
                    slots,
                    lr[param.dtype],
                    updates_made + 1,
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

    def updates_made(self, step):
        """Updates made in ``step`` calls: ``step`` // n with gradient accumulation."""
        if self.gradient_accumulation_steps:
            return step // self.gradient_accumulation_steps
        return step

    def mean_gradient(self, grads, state):
        """(g + the accumulated sum) / n with gradient accumulation; g otherwise."""
        n = self.gradient_accumulation_steps
        if not n:
            return grads
        return {k: (g + state["slots"][k]["accumulated_grad"]) / n for k, g in grads.items()}

    def accumulate(self, step, updated, kept, grad):
        """``(θ, slots)``: the update on every n-th call, with the sum reset; otherwise θ
        and the slots kept, with ``grad`` added to the sum."""
        param, slots = kept
        total = slots["accumulated_grad"] + grad
        new_param, new_slots = updated
        new_slots = {**slots, **new_slots, "accumulated_grad": total * 0}
        kept = (param, {**slots, "accumulated_grad": total})
        return self.choose(
            (step + 1) % self.gradient_accumulation_steps == 0, (new_param, new_slots), kept
        )

    def without_gradient(self, step, param, slots, t):
        """``(θ, slots)`` of a parameter whose gradient is ``None``, as Keras leaves it: no
        weight decay, no rule, θ and the slots unchanged (``slots_without_gradient``). With
        gradient accumulation, an update call empties its sum, as Keras empties every sum
        then: what it had accumulated is dropped. Operators only, so the twins inherit it."""
        left = (param, self.slots_without_gradient(slots, t))
        if self.gradient_accumulation_steps:
            return self.accumulate(step, left, (param, slots), slots["accumulated_grad"] * 0)
        return left

    def slots_without_gradient(self, slots, t):
        """The slots of a parameter that update t does not reach: unchanged (Nadam's move)."""
        return slots

    def choose(self, condition, chosen, other):
        """``chosen`` if ``condition``, else ``other``: (θ, slots) pairs (twins: element-wise)."""
        return chosen if condition else other

    def average_weights(self, param, average, step):
        """Keras's ``use_ema``, after the update: a ← μ a + (1 − μ) θ, with μ = 0 at the first
        step (a = θ); every ``ema_overwrite_frequency`` steps θ ← a.
        Returns ``(θ, a)``."""
        momentum = self.ema_momentum if step != 0 else 0.0
        average = momentum * average + (1 - momentum) * param
        frequency = self.ema_overwrite_frequency
        if frequency is not None and (step + 1) % frequency == 0:
            return average, average
        return param, average

    def clip(self, grads):
        if self.clipnorm is not None:
            return clipping.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm is not None:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return clipping.clip_by_value(grads, self.clipvalue)
        return grads

    def unscale(self, grads):
        """g / loss_scale_factor, before clipping: Keras's undoing of a loss it scaled up."""
        if self.loss_scale_factor is None:
            return grads
        return {name: grad / self.loss_scale_factor for name, grad in grads.items()}

    def decays(self, name):
        """Whether parameter ``name`` gets the decoupled weight decay: not if a pattern of
        ``exclude_from_weight_decay`` is found in it (``re.search``), as Keras's
        ``exclude_from_weight_decay(var_names=...)`` does with a variable's name."""
        return not any(re.search(pattern, name) for pattern in self.exclude_from_weight_decay)

    def use_extra_inputs(self, grads, step, loss, noise):
        """The clipped gradients, changed by ``loss`` or ``noise`` where the rule uses them."""
        return grads

    def decay_weights(self, param, slots, lr):
        """θ ← θ − θ·λ·η: Keras's decoupled weight decay, applied before the rule."""
        if self.weight_decay is None:
            return param
        return param - param * self.weight_decay * lr

    def init_slots(self, param):
        raise NotImplementedError

    def update_variable(self, grad, param, slots, lr, t):
        raise NotImplementedError


def given_gradients(grads, noise=None):
    """``grads`` without its ``None`` entries, and ``noise`` without theirs, with a warning
    as Keras gives ("Gradients do not exist for variables [...] when minimizing the loss")."""
    missing = [name for name, grad in grads.items() if grad is None]
    if not missing:
        return grads, noise
    warnings.warn(
        f"grads of {missing} are None: the loss does not reach those parameters, "
        "so they and their optimizer slots are left as they are.",
        stacklevel=3,
    )
    given = {name: grad for name, grad in grads.items() if grad is not None}
    if noise is not None:
        noise = {name: value for name, value in noise.items() if name not in missing}
    return given, noise


def _check_beta(name, value):
    check_range(name, value, low=0, high=1, high_open=True)


def _check_epsilon(value, name="epsilon"):
    check_range(name, value, low=0, low_open=True)


def _norm(x):
    return np.sqrt(np.sum(x * x))


def _rms(x):
    return np.sqrt(np.mean(x * x))


def _check_patterns(name, patterns):
    """None, or a list of regular expressions; a lone string would be read letter by letter."""
    if patterns is None:
        return
    is_list = isinstance(patterns, (list, tuple)) and all(isinstance(p, str) for p in patterns)
    if not is_list:
        example = [patterns] if isinstance(patterns, str) else ["dense_1"]
        raise TypeError(
            f"{name}={patterns!r} is not allowed: need a list of names or regular "
            f"expressions, e.g. {example!r}."
        )
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            message = f"{name} holds {pattern!r}, not a regular expression: {error}."
            raise ValueError(message) from None


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    momentum = 0:   θ ← θ − η g
    momentum = μ:   v ← μ v − η g
                    θ ← θ + v            (heavy ball)
                    θ ← θ + μ v − η g    (nesterov=True)

    convention="optax" keeps η out of the buffer, as optax and torch do:
                    b ← μ b + g,   θ ← θ − η b   (or θ − η (g + μ b) with nesterov).
    With a constant η the two agree; under a schedule they do not (docs/conventions.md §2.5).
    """

    conventions = ("keras", "optax")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **base):
        super().__init__(learning_rate, **base)
        check_range("momentum", momentum, low=0, high=1)
        check_bool("nesterov", nesterov)
        self.momentum, self.nesterov = momentum, nesterov

    def init_slots(self, param):
        return {"velocity": np.zeros_like(param)} if self.momentum > 0 else {}

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


class RMSprop(Optimizer):
    """RMSprop (Hinton 2012), optionally centred (Graves 2013) and with momentum.

    v ← ρ v + (1 − ρ) g²
    centred:  m ← ρ m + (1 − ρ) g,   D = v − m² + ε      otherwise D = v + ε
    Δ = η g / √D                      (ε inside the root, as in Keras and optax)
    momentum μ > 0:  M ← μ M + Δ,  θ ← θ − M             otherwise θ ← θ − Δ

    Warning: torch puts ε outside the root and η outside the momentum.
    """

    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **base
    ):
        super().__init__(learning_rate, **base)
        _check_beta("rho", rho)
        check_range("momentum", momentum, low=0, high=1)
        _check_epsilon(epsilon)
        check_bool("centered", centered)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def init_slots(self, param):
        slots = {"velocity": np.zeros_like(param)}
        if self.centered:
            slots["average_grad"] = np.zeros_like(param)
        if self.momentum > 0:
            slots["momentum"] = np.zeros_like(param)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        rho = self.rho
        new = {"velocity": rho * slots["velocity"] + (1 - rho) * grad * grad}
        if self.centered:
            new["average_grad"] = rho * slots["average_grad"] + (1 - rho) * grad
            denominator = new["velocity"] - new["average_grad"] ** 2 + self.epsilon
        else:
            denominator = new["velocity"] + self.epsilon
        increment = lr * grad / np.sqrt(denominator)
        if self.momentum > 0:
            new["momentum"] = self.momentum * slots["momentum"] + increment
            return param - new["momentum"], new
        return param - increment, new


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011), in TensorFlow's form.

    a₀ = initial_accumulator_value
    a ← a + g²
    θ ← θ − η g / √(a + ε)        (ε inside the root, as in Keras and optax)

    Warning: torch and the paper use a₀ = 0 and θ ← θ − η g / (√a + ε).
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **base):
        super().__init__(learning_rate, **base)
        check_range("initial_accumulator_value", initial_accumulator_value, low=0)
        _check_epsilon(epsilon)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def init_slots(self, param):
        return {"accumulator": np.full_like(param, self.initial_accumulator_value)}

    def update_variable(self, grad, param, slots, lr, t):
        accumulator = slots["accumulator"] + grad * grad
        return param - lr * grad / np.sqrt(accumulator + self.epsilon), {"accumulator": accumulator}


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012), with Keras's learning rate in front.

    E[g²] ← ρ E[g²] + (1 − ρ) g²
    δ = −√(E[Δθ²] + ε) / √(E[g²] + ε) · g        (the previous E[Δθ²])
    E[Δθ²] ← ρ E[Δθ²] + (1 − ρ) δ²
    θ ← θ + η δ

    The paper has no η (η = 1); Keras defaults to η = 0.001.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **base):
        super().__init__(learning_rate, **base)
        _check_beta("rho", rho)
        _check_epsilon(epsilon)
        self.rho, self.epsilon = rho, epsilon

    def init_slots(self, param):
        return {"grad_average": np.zeros_like(param), "delta_average": np.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        rho, eps = self.rho, self.epsilon
        grad_average = rho * slots["grad_average"] + (1 - rho) * grad * grad
        delta = -np.sqrt(slots["delta_average"] + eps) / np.sqrt(grad_average + eps) * grad
        delta_average = rho * slots["delta_average"] + (1 - rho) * delta * delta
        return param + lr * delta, {"grad_average": grad_average, "delta_average": delta_average}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), optionally AMSGrad (Reddi et al. 2018).

    m ← m + (1 − β₁)(g − m)
    v ← v + (1 − β₂)(g² − v)
    AMSGrad:  v̂ ← max(v̂, v), and v̂ replaces v below
    α_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)
    θ ← θ − α_t m / (√v + ε̂)                  ("epsilon hat": ε is not bias-corrected)

    convention="optax" is the paper's Algorithm 1 (also torch's):
    θ ← θ − η m̂ / (√v̂ + ε), m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ); with AMSGrad optax
    takes the max over the bias-corrected v̂. No constant ε makes the two forms equal.
    """

    conventions = ("keras", "optax")

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **base
    ):
        super().__init__(learning_rate, **base)
        _check_beta("beta_1", beta_1)
        _check_beta("beta_2", beta_2)
        _check_epsilon(epsilon)
        check_bool("amsgrad", amsgrad)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def init_slots(self, param):
        slots = {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}
        if self.amsgrad:
            slots["velocity_max"] = np.zeros_like(param)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        new = {"momentum": momentum, "velocity": velocity}
        if self.convention == "keras":
            if self.amsgrad:
                velocity = np.maximum(slots["velocity_max"], velocity)
                new["velocity_max"] = velocity
            alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)  # a float: keeps the dtype
            return param - alpha * momentum / (np.sqrt(velocity) + self.epsilon), new
        momentum_hat = momentum / (1 - beta_1**t)  # convention="optax": the paper's m̂ and v̂
        velocity_hat = velocity / (1 - beta_2**t)
        if self.amsgrad:
            velocity_hat = np.maximum(slots["velocity_max"], velocity_hat)
            new["velocity_max"] = velocity_hat
        return param - lr * momentum_hat / (np.sqrt(velocity_hat) + self.epsilon), new


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    θ ← θ − θ λ η, then the Adam step. This is exactly ``Adam(weight_decay=λ)``;
    AdamW only makes λ default to 0.004.

    Warning: the paper does not multiply λ by the base step size; every library does.
    optax's ``adamw`` adds λθ to the update before scaling by η: the same algebra.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **base,
    ):
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **base
        )


class Adamax(Optimizer):
    """Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm.

    m ← m + (1 − β₁)(g − m)
    u ← max(β₂ u, |g|)
    θ ← θ − η m / ((1 − β₁ᵗ)(u + ε))           (ε added after the max)

    convention="optax" (also torch): u ← max(β₂ u, |g| + ε),  θ ← θ − η m / ((1 − β₁ᵗ) u).
    """

    conventions = ("keras", "optax")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **base):
        super().__init__(learning_rate, **base)
        _check_beta("beta_1", beta_1)
        _check_beta("beta_2", beta_2)
        _check_epsilon(epsilon)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param), "norm": np.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = slots["momentum"] + (1 - self.beta_1) * (grad - slots["momentum"])
        if self.convention == "keras":
            norm = np.maximum(self.beta_2 * slots["norm"], np.abs(grad))
            update = lr * momentum / ((1 - self.beta_1**t) * (norm + self.epsilon))
        else:  # convention="optax": ε inside the max
            norm = np.maximum(self.beta_2 * slots["norm"], np.abs(grad) + self.epsilon)
            update = lr * momentum / ((1 - self.beta_1**t) * norm)
        return param - update, {"momentum": momentum, "norm": norm}


class Nadam(Optimizer):
    """Nadam (Dozat 2016): Adam with Nesterov momentum and a momentum schedule.

    μ_t = β₁ (1 − ½ · 0.96ᵗ)                     (Keras: 0.96ᵗ, the paper 0.96^(t/250))
    Π_t = Π_{t−1} μ_t,  Π_{t+1} = Π_t μ_{t+1}     (Π₀ = 1; each tensor keeps its own copy)
    m ← m + (1 − β₁)(g − m)
    v ← v + (1 − β₂)(g² − v)
    m̂ = μ_{t+1} m / (1 − Π_{t+1}) + (1 − μ_t) g / (1 − Π_t)
    v̂ = v / (1 − β₂ᵗ)
    θ ← θ − η m̂ / (√v̂ + ε)

    convention="optax" (``optax.nadam``) has no momentum schedule:
    m̂ = β₁ m / (1 − β₁ᵗ⁺¹) + (1 − β₁) g / (1 − β₁ᵗ).
    """

    conventions = ("keras", "optax")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **base):
        super().__init__(learning_rate, **base)
        _check_beta("beta_1", beta_1)
        _check_beta("beta_2", beta_2)
        _check_epsilon(epsilon)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def init_slots(self, param):
        return {
            "momentum": np.zeros_like(param),
            "velocity": np.zeros_like(param),
            "mu_product": np.ones((), param.dtype),
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
        return param - lr * momentum_hat / (np.sqrt(velocity_hat) + self.epsilon), new

    def slots_without_gradient(self, slots, t):
        """Keras keeps one Π for all variables and moves it at every update, so a tensor
        the loss does not reach still moves its copy: Π_t = Π_{t−1} μ_t. Operators only,
        so the twins inherit it."""
        if self.convention != "keras":
            return slots
        mu_t = self.beta_1 * (1 - 0.5 * 0.96**t)
        return {**slots, "mu_product": slots["mu_product"] * mu_t}


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al. 2013), per coordinate, in Keras's form.

    λ₂' = λ₂ + β / (2η)
    ĝ = g + 2 λ_shrink θ
    n' = n + g²
    z ← z + ĝ − (n'^(−p) − n^(−p)) / η · θ          (p = learning_rate_power = −½: a root)
    θ ← (clip(z, −λ₁, λ₁) − z) / (n'^(−p) / η + 2 λ₂'),   n ← n'

    Warning: Keras's l2 is half the paper's λ₂, and n starts at 0.1, not 0.
    """

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        **base,
    ):
        super().__init__(learning_rate, **base)
        if not callable(learning_rate):  # the rule divides by η
            check_range("learning_rate", learning_rate, low=0, low_open=True)
        check_range("learning_rate_power", learning_rate_power, high=0)
        check_range("initial_accumulator_value", initial_accumulator_value, low=0)
        check_range("l1_regularization_strength", l1_regularization_strength, low=0)
        check_range("l2_regularization_strength", l2_regularization_strength, low=0)
        check_range(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength, low=0
        )
        check_range("beta", beta, low=0)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1 = l1_regularization_strength
        self.l2 = l2_regularization_strength
        self.l2_shrinkage = l2_shrinkage_regularization_strength
        self.beta = beta

    def init_slots(self, param):
        return {
            "accumulator": np.full_like(param, self.initial_accumulator_value),
            "linear": np.zeros_like(param),
        }

    def update_variable(self, grad, param, slots, lr, t):
        power = -self.learning_rate_power
        l2 = self.l2 + self.beta / (2 * lr)
        shrunk_grad = grad + 2 * self.l2_shrinkage * param
        accumulator = slots["accumulator"] + grad * grad
        sigma = (accumulator**power - slots["accumulator"] ** power) / lr
        linear = slots["linear"] + shrunk_grad - sigma * param
        quadratic = accumulator**power / lr + 2 * l2
        param = (np.clip(linear, -self.l1, self.l1) - linear) / quadratic
        return param, {"accumulator": accumulator, "linear": linear}


class Lion(Optimizer):
    """Lion (Chen et al. 2023): the sign of an interpolated momentum.

    c = β₁ m + (1 − β₁) g
    θ ← θ − η sign(c)
    m ← β₂ m + (1 − β₂) g

    Warning: optax's ``lion`` defaults to weight_decay=1e-3; Keras to none.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **base):
        super().__init__(learning_rate, **base)
        _check_beta("beta_1", beta_1)
        _check_beta("beta_2", beta_2)
        self.beta_1, self.beta_2 = beta_1, beta_2

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = slots["momentum"]
        interpolated = self.beta_1 * momentum + (1 - self.beta_1) * grad
        momentum = self.beta_2 * momentum + (1 - self.beta_2) * grad
        return param - lr * np.sign(interpolated), {"momentum": momentum}


class Lamb(Optimizer):
    """LAMB (You et al. 2020): Adam's direction, scaled per tensor by a trust ratio.

    m ← m + (1 − β₁)(g − m),   v ← v + (1 − β₂)(g² − v)
    r = (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
    ratio = ‖θ‖ / ‖r‖   (1 if either norm is 0)
    θ ← θ − ratio · η · r

    Keras decays θ before the step (generic weight decay), outside r and the ratio.
    convention="optax" (the paper's form) puts the decay inside both:
    u = r + λθ, ratio = ‖θ‖ / ‖u‖, θ ← θ − ratio · η · u.
    """

    conventions = ("keras", "optax")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **base):
        super().__init__(learning_rate, **base)
        _check_beta("beta_1", beta_1)
        _check_beta("beta_2", beta_2)
        _check_epsilon(epsilon)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}

    def decay_weights(self, param, slots, lr):
        if self.convention == "optax":
            return param  # the decay is part of the update direction instead
        return super().decay_weights(param, slots, lr)

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        momentum = slots["momentum"] + (1 - beta_1) * (grad - slots["momentum"])
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        direction = (momentum / (1 - beta_1**t)) / (
            np.sqrt(velocity / (1 - beta_2**t)) + self.epsilon
        )
        if self.convention == "optax" and self.weight_decay is not None:
            direction = direction + self.weight_decay * param
        param_norm = _norm(param)
        direction_norm = _norm(direction)
        ratio = param_norm / direction_norm if param_norm > 0 and direction_norm > 0 else 1.0
        return param - ratio * lr * direction, {"momentum": momentum, "velocity": velocity}


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern 2018), in Keras's form.

    ρ_t = min(η, 1/√t)                        (always: ``relative_step`` changes nothing in Keras)
    α_t = max(ε₂, RMS(θ)) · ρ_t
    G = g² + ε₁,   β̂₂ = 1 − t^(beta_2_decay)
    ndim ≥ 2, factored over the last two axes:
        r ← β̂₂ r + (1 − β̂₂) mean_last(G),   c ← β̂₂ c + (1 − β̂₂) mean_second_last(G)
        V = (r / mean(r)) ⊗ c
    otherwise:  V ← β̂₂ V + (1 − β̂₂) G
    U = g / √V,   Û = U / max(1, RMS(U) / d)
    θ ← θ − α_t Û

    Warning: optax factors only dimensions ≥ 128 (``min_dim_size_to_factor``) and has
    no relative step; torch clamps with ε₁ instead of adding it.
    """

    def __init__(
        self,
        learning_rate=0.001,
        beta_2_decay=-0.8,
        epsilon_1=1e-30,
        epsilon_2=1e-3,
        clip_threshold=1.0,
        relative_step=True,
        **base,
    ):
        super().__init__(learning_rate, **base)
        check_range("beta_2_decay", beta_2_decay, high=0)
        _check_epsilon(epsilon_1, "epsilon_1")
        _check_epsilon(epsilon_2, "epsilon_2")
        check_range("clip_threshold", clip_threshold, low=0, low_open=True)
        check_bool("relative_step", relative_step)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def init_slots(self, param):
        shape = param.shape
        if len(shape) < 2:
            return {"velocity": np.zeros_like(param)}
        return {
            "row": np.zeros(shape[:-1], param.dtype),
            "column": np.zeros(shape[:-2] + shape[-1:], param.dtype),
        }

    def update_variable(self, grad, param, slots, lr, t):
        rho = np.minimum(lr, 1 / np.sqrt(param.dtype.type(t)))
        alpha = np.maximum(self.epsilon_2, _rms(param)) * rho
        regulated = grad * grad + self.epsilon_1
        beta_2 = 1 - param.dtype.type(t) ** self.beta_2_decay
        if len(param.shape) >= 2:
            row = beta_2 * slots["row"] + (1 - beta_2) * np.mean(regulated, axis=-1)
            column = beta_2 * slots["column"] + (1 - beta_2) * np.mean(regulated, axis=-2)
            row_share = row / np.mean(row, axis=-1, keepdims=True)
            velocity = row_share[..., :, None] * column[..., None, :]
            new = {"row": row, "column": column}
        else:
            velocity = beta_2 * slots["velocity"] + (1 - beta_2) * regulated
            new = {"velocity": velocity}
        update = grad / np.sqrt(velocity)
        update = update / np.maximum(1, _rms(update) / self.clip_threshold)
        return param - alpha * update, new


def newton_schulz(matrix, steps, a, b, c):
    """Approximately orthogonalise ``matrix`` (U Vᵀ of its SVD) by a quintic iteration.

    X = M / (‖M‖_F + 1e-7), working on the wide orientation;
    repeat: A = X Xᵀ,  B = b A + c A²,  X = a X + B X.
    """
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / (_norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


class Muon(Optimizer):
    """Muon (Jordan 2024): orthogonalised momentum for matrices, Adam for the rest.

    2-D tensors not excluded:
        M ← μ M + g                                (a sum, not an average)
        D = g + μ M  (nesterov)   or   D = M
        θ ← θ − η · NS₅(D) · √max(rows, cols) · rms_rate
    everything else (and names matching ``exclude_layers`` or "embedding"):
        Keras's Adam with η · adam_lr_ratio, β = (adam_beta_1, adam_beta_2), ε̂ = epsilon.
    Weight decay θ ← θ − θλη uses ``weight_decay`` for Muon tensors and
    ``adam_weight_decay`` for the others, always with the plain η.

    Warning: optax's ``contrib.muon`` uses an EMA with bias-corrected Nesterov and NAdamW
    for the rest; torch runs the iteration in bfloat16.
    """

    def __init__(
        self,
        learning_rate=0.001,
        adam_beta_1=0.9,
        adam_beta_2=0.999,
        adam_weight_decay=0.004,
        epsilon=1e-7,
        weight_decay=0.004,
        exclude_layers=None,
        exclude_embeddings=True,
        muon_a=3.4445,
        muon_b=-4.7750,
        muon_c=2.0315,
        adam_lr_ratio=1,
        momentum=0.95,
        ns_steps=5,
        nesterov=True,
        rms_rate=0.2,
        **base,
    ):
        super().__init__(learning_rate, weight_decay=weight_decay, **base)
        _check_beta("adam_beta_1", adam_beta_1)
        _check_beta("adam_beta_2", adam_beta_2)
        _check_epsilon(epsilon)
        check_range("momentum", momentum, low=0, high=1)
        check_integer("ns_steps", ns_steps, low=0)
        check_range("adam_lr_ratio", adam_lr_ratio, low=0)
        if adam_weight_decay is not None:
            check_range("adam_weight_decay", adam_weight_decay, low=0)
        if rms_rate is not None:
            check_range("rms_rate", rms_rate, low=0, low_open=True)
        for name, value in (("muon_a", muon_a), ("muon_b", muon_b), ("muon_c", muon_c)):
            check_range(name, value)
        check_bool("nesterov", nesterov)
        check_bool("exclude_embeddings", exclude_embeddings)
        _check_patterns("exclude_layers", exclude_layers)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.adam_weight_decay, self.adam_lr_ratio = adam_weight_decay, adam_lr_ratio
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = exclude_embeddings
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.momentum, self.ns_steps = momentum, int(ns_steps)
        self.nesterov, self.rms_rate = nesterov, rms_rate

    def uses_adam(self, name, param):
        if len(param.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in name.lower():
            return True
        return any(re.search(pattern, name) for pattern in self.exclude_layers)

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param)}

    def init(self, params):
        state = super().init(params)
        for name, param in params.items():
            if self.uses_adam(name, param):
                state["slots"][name]["velocity"] = np.zeros_like(param)
        return state

    def decay_weights(self, param, slots, lr):
        decay = self.adam_weight_decay if "velocity" in slots else self.weight_decay
        if decay is None:
            return param
        return param - param * decay * lr

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
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)  # a Python float: keeps the dtype
        new_param = param - alpha * momentum / (np.sqrt(velocity) + self.epsilon)
        return new_param, {"momentum": momentum, "velocity": velocity}


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al. 2024), as Keras writes it.

    The variable holds y, the point where gradients are taken; z is the base sequence
    (starting at θ₀) and x, the average the paper evaluates, is recovered from y and z.
    η_t = η · min(t / warmup_steps, 1)          (when warmup_steps > 0)
    v ← v + (1 − β₂)(g² − v)
    z' = z − η_t g / (√(v / (1 − β₂ᵗ)) + ε)
    x = (y − (1 − β₁) z') / β₁                  (Keras on TensorFlow: the *new* z')
    x' = (1 − 1/t) x + (1/t) z'
    y' = (1 − β₁) z' + β₁ x'

    Warning: the paper recovers x from the old z, x = (y − (1 − β₁) z) / β₁, and so does
    Keras's code as written; on the TensorFlow backend its ``momentum.value`` aliases the
    variable, so the read happens after the update (measured: 0.04 apart after 3 steps).
    ``convention="paper"`` computes the paper's x.
    """

    conventions = ("keras", "paper")

    def __init__(
        self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0, **base
    ):
        super().__init__(learning_rate, **base)
        check_range("beta_1", beta_1, low=0, high=1, low_open=True, high_open=True)
        _check_beta("beta_2", beta_2)
        _check_epsilon(epsilon)
        check_range("warmup_steps", warmup_steps, low=0)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.warmup_steps = warmup_steps

    def init_slots(self, param):
        return {"z": param.copy(), "velocity": np.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        beta_1, beta_2 = self.beta_1, self.beta_2
        if self.warmup_steps > 0:
            lr = lr * min(t / self.warmup_steps, 1)
        velocity = slots["velocity"] + (1 - beta_2) * (grad * grad - slots["velocity"])
        z = slots["z"] - lr * grad / (np.sqrt(velocity / (1 - beta_2**t)) + self.epsilon)
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
NAMES = tuple(OPTIMIZERS)
# The optimizers optax ships and Keras does not, with optax's hyperparameter names
# (reference/optax_optimizers.py), then optax's names for Keras forms above.
OPTAX_NAMES = (
    "adabelief",
    "adan",
    "fromage",
    "lars",
    "noisy_sgd",
    "novograd",
    "optimistic_gradient_descent",
    "optimistic_adam",
    "polyak_sgd",
    "radam",
    "rprop",
    "sign_sgd",
    "signum",
    "sm3",
    "yogi",
    "amsgrad",
    "adamaxw",
    "nadamw",
)
BASE_ARGUMENTS = tuple(inspect.signature(Optimizer.__init__).parameters)[2:]


def optimizer_class(name):
    """The oracle's class for optimizer ``name``, one of ``NAMES`` or ``OPTAX_NAMES``."""
    check_choice("optimizer", name, NAMES + OPTAX_NAMES)
    if name in OPTIMIZERS:
        return OPTIMIZERS[name]
    from reference import optax_optimizers  # imported when used: it builds on this module

    return optax_optimizers.OPTIMIZERS[name]


def hyperparameters(name):
    """The keyword arguments optimizer ``name`` takes, its own then the shared ones."""
    own = [
        p
        for p in inspect.signature(optimizer_class(name).__init__).parameters
        if p not in ("self", "base")
    ]
    return tuple(own) + tuple(p for p in BASE_ARGUMENTS if p not in own)


def get(name, registry=None, **hyper):
    """Build optimizer ``name`` with Keras's hyperparameter names, e.g. ``get("adam", beta_1=0.8)``;
    the ``OPTAX_NAMES`` take optax's, e.g. ``get("yogi", b1=0.8)``.

    ``registry`` lets ``tf_impl`` and ``jax_impl`` build their own classes with the same checks.
    """
    allowed = hyperparameters(name)
    for key in hyper:
        check_choice(f"hyperparameter for {name}", key, allowed)
    return (registry[name] if registry else optimizer_class(name))(**hyper)


def check_new_state(state, step, slots):
    """``set_state``'s arguments: a step count >= 0 and arrays for slots ``state`` has."""
    if step is not None:
        check_integer("step", step, low=0)
    for name, given in (slots or {}).items():
        if name not in state["slots"]:
            raise ValueError(
                f"slots has {name!r}, not a parameter of this state: need one of "
                f"{list(state['slots'])}."
            )
        for slot, value in given.items():
            have = state["slots"][name]
            if slot not in have:
                raise ValueError(
                    f"slots[{name!r}] has {slot!r}, not a slot of this optimizer: need one of "
                    f"{list(have)}."
                )
            if tuple(np.shape(value)) != tuple(have[slot].shape):
                raise ValueError(
                    f"slots[{name!r}][{slot!r}] has shape {tuple(np.shape(value))}: "
                    f"need {tuple(have[slot].shape)}."
                )


def set_state(state, step=None, slots=None):
    """A copy of optimizer ``state`` with its step count and chosen slots set to given values.

    ``step`` is the number of updates already made (the next update is t = step + 1);
    ``slots`` maps a parameter name to the slots to set, by the names ``init`` gave them.
    A textbook's worked example, a given velocity before update t = 6:

        optimizer = get("sgd", learning_rate=0.1, momentum=0.9)
        state = set_state(optimizer.init(params), step=5, slots={"w": {"velocity": v}})
        params, state = optimizer.update(grads, state, params)
    """
    check_new_state(state, step, slots)
    new_slots = {name: dict(own) for name, own in state["slots"].items()}
    for name, given in (slots or {}).items():
        for slot, value in given.items():
            new_slots[name][slot] = np.array(value, dtype=new_slots[name][slot].dtype)
    return {"step": state["step"] if step is None else int(step), "slots": new_slots}
