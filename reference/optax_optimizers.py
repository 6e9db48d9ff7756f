"""The optimizers optax ships and Keras does not, written as their equations in NumPy.

The contract is ``reference.optimizers``'s: ``init(params)``, then
``update(grads, state, params)``, one whole step, pure; the base features (a schedule
as the learning rate, ``clipnorm`` / ``clipvalue`` / ``global_clipnorm``, decoupled
``weight_decay`` θ ← θ − θλη before the rule) come from ``reference.optimizers.Optimizer``.
Two optimizers need more than gradients, and get it through ``update``'s keywords:
Polyak SGD the loss at ``params`` (``loss=``), noisy SGD its standard normal draws
(``noise=``, a dict like ``params``), made by the caller so the three backends agree.

Hyperparameter names and defaults are optax's (``b1``, ``b2``, ``eps``, ``eps_root``),
since Keras has none for these; where optax has no default learning rate, ours is
0.001. Each docstring gives the rule as optax 0.2.8 computes it (read from its source,
checked against it in float64 by ``tests/test_optax_optimizers.py``), the paper, and
where the paper or torch (from their documentation) compute something else.

The last three classes are optax's names for forms ``reference.optimizers`` already has:
``amsgrad``, ``adamaxw`` and ``nadamw`` are Keras's classes with optax's convention and
optax's defaults.
"""

import functools

import numpy as np

from reference import optimizers as keras_optimizers
from reference.errors import check_bool, check_choice, check_range

# Polyak SGD takes no step when the squared gradient norm is below this (optax's test).
_NO_GRADIENT = float(np.finfo(np.float64).eps)


def _check_decay(name, value):
    check_range(name, value, low=0, high=1, high_open=True)


def _check_nonnegative(name, value):
    check_range(name, value, low=0)


def _norm(x):
    return np.sqrt(np.sum(x * x))


def _first_step(t):
    return t == 1


class AdaBelief(keras_optimizers.Optimizer):
    """AdaBelief (Zhuang et al. 2020): Adam whose second moment is the belief in m.

    m ← (1 − b1) g + b1 m
    s ← (1 − b2)(g − m)² + b2 s + eps_root        (the new m; eps_root kept in s)
    m̂ = m / (1 − b1ᵗ)    (nesterov: b1 m / (1 − b1ᵗ⁺¹) + (1 − b1) g / (1 − b1ᵗ))
    ŝ = s / (1 − b2ᵗ)
    θ ← θ − η m̂ / (√ŝ + eps)

    The paper's Algorithm 2 is the same rule (its ε is eps_root and eps at once).
    """

    def __init__(
        self,
        learning_rate=0.001,
        b1=0.9,
        b2=0.999,
        eps=1e-16,
        eps_root=1e-16,
        nesterov=False,
        **base,
    ):
        super().__init__(learning_rate, **base)
        _check_decay("b1", b1)
        _check_decay("b2", b2)
        _check_nonnegative("eps", eps)
        _check_nonnegative("eps_root", eps_root)
        check_bool("nesterov", nesterov)
        self.b1, self.b2, self.eps, self.eps_root, self.nesterov = b1, b2, eps, eps_root, nesterov

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param), "belief": np.zeros_like(param)}

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
        new_param = param - lr * (momentum_hat / (np.sqrt(belief_hat) + self.eps))
        return new_param, {"momentum": momentum, "belief": belief}


class Adan(keras_optimizers.Optimizer):
    """Adan (Xie et al. 2022): Nesterov momentum estimated from gradient differences.

    Δ = g − g_prev   (Δ = 0 at the first step)
    m ← (1 − b1) g + b1 m
    v ← (1 − b2) Δ + b2 v
    n ← (1 − b3)(g + (1 − b2) Δ)² + b3 n
    m̂, v̂, n̂ = m, v, n divided by (1 − b1ᵗ), (1 − b2ᵗ), (1 − b3ᵗ)
    θ ← θ − η (m̂ + (1 − b2) v̂) / (√(n̂ + eps_root) + eps)

    optax's b's are the paper's 1 − β (b1 = 0.98 is the paper's β₁ = 0.02). Weight decay
    is the base's decoupled θ ← θ − θλη, as optax's ``adan`` adds λθ before η; the paper
    divides instead, θ ← (θ − η u) / (1 + λη).
    """

    def __init__(
        self, learning_rate=0.001, b1=0.98, b2=0.92, b3=0.99, eps=1e-8, eps_root=1e-8, **base
    ):
        super().__init__(learning_rate, **base)
        _check_decay("b1", b1)
        _check_decay("b2", b2)
        _check_decay("b3", b3)
        _check_nonnegative("eps", eps)
        _check_nonnegative("eps_root", eps_root)
        self.b1, self.b2, self.b3, self.eps, self.eps_root = b1, b2, b3, eps, eps_root

    def init_slots(self, param):
        zeros = np.zeros_like(param)
        return {"momentum": zeros, "difference": zeros, "second_moment": zeros, "grad": zeros}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2, b3 = self.b1, self.b2, self.b3
        difference = np.zeros_like(grad) if _first_step(t) else grad - slots["grad"]
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        difference_average = (1 - b2) * difference + b2 * slots["difference"]
        corrected = grad + (1 - b2) * difference
        second_moment = (1 - b3) * (corrected * corrected) + b3 * slots["second_moment"]
        direction = momentum / (1 - b1**t) + (1 - b2) * (difference_average / (1 - b2**t))
        denominator = np.sqrt(second_moment / (1 - b3**t) + self.eps_root) + self.eps
        new = {
            "momentum": momentum,
            "difference": difference_average,
            "second_moment": second_moment,
            "grad": grad,
        }
        return param - lr * (direction / denominator), new


class Fromage(keras_optimizers.Optimizer):
    """Fromage (Bernstein et al. 2020): a step of relative size η, then a shrink.

    ‖x‖₊ = max(‖x‖, min_norm)
    θ ← (θ − η ‖θ‖₊ / ‖g‖₊ · g) / √(1 + η²)

    (If min_norm = 0 and a norm is 0 the ratio is 1.) The paper's rule, per layer.
    """

    def __init__(self, learning_rate=0.001, min_norm=1e-6, **base):
        super().__init__(learning_rate, **base)
        _check_nonnegative("min_norm", min_norm)
        self.min_norm = min_norm

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        param_norm = max(_norm(param), self.min_norm)
        grad_norm = max(_norm(grad), self.min_norm)
        ratio = param_norm / grad_norm if param_norm > 0 and grad_norm > 0 else 1.0
        shrink = 1 / np.sqrt(1 + lr * lr)
        return shrink * param - (lr * shrink) * (ratio * grad), slots


class Lars(keras_optimizers.Optimizer):
    """LARS (You et al. 2017): momentum SGD with a per-tensor trust ratio.

    u = g + λθ                                       (λ = weight_decay, inside the ratio)
    r = trust_coefficient ‖θ‖ / (‖u‖ + eps)          (1 if either norm is 0)
    v ← μ v − η r u                                  (η inside the buffer, as optax)
    θ ← θ + v           (nesterov: θ ← θ + μ v − η r u)

    weight_decay here is part of the direction, not the base's decoupled decay. The
    paper's ratio is trust_coefficient ‖θ‖ / (‖g‖ + λ‖θ‖). optax's masks (which
    tensors get decay and the ratio) are not offered: every tensor gets both.
    """

    def __init__(
        self,
        learning_rate=0.001,
        trust_coefficient=0.001,
        eps=0.0,
        momentum=0.9,
        nesterov=False,
        **base,
    ):
        super().__init__(learning_rate, **base)
        check_range("trust_coefficient", trust_coefficient, low=0, low_open=True)
        _check_nonnegative("eps", eps)
        check_range("momentum", momentum, low=0, high=1)
        check_bool("nesterov", nesterov)
        self.trust_coefficient, self.eps = trust_coefficient, eps
        self.momentum, self.nesterov = momentum, nesterov

    def init_slots(self, param):
        return {"velocity": np.zeros_like(param)}

    def decay_weights(self, param, slots, lr):
        return param  # the decay is part of the direction instead

    def update_variable(self, grad, param, slots, lr, t):
        direction = grad if self.weight_decay is None else grad + self.weight_decay * param
        param_norm, direction_norm = _norm(param), _norm(direction)
        if param_norm > 0 and direction_norm > 0:
            ratio = self.trust_coefficient * param_norm / (direction_norm + self.eps)
        else:
            ratio = 1.0
        step = -lr * (ratio * direction)
        velocity = step + self.momentum * slots["velocity"]
        if self.nesterov:
            return param + (step + self.momentum * velocity), {"velocity": velocity}
        return param + velocity, {"velocity": velocity}


class NoisySGD(keras_optimizers.Optimizer):
    """SGD with annealed Gaussian gradient noise (Neelakantan et al. 2015).

    g̃ = g + √(eta / tᵍᵃᵐᵐᵃ) ξ,     ξ ~ N(0, I) given as ``update(..., noise=ξ)``
    θ ← θ − η g̃

    The noise is an input: the caller draws ξ (one standard normal array per
    parameter, a dict like ``params``), so the three backends compute the same step;
    optax draws it from a JAX key in its state. The noise is added after clipping.
    """

    def __init__(self, learning_rate=0.001, eta=0.01, gamma=0.55, **base):
        super().__init__(learning_rate, **base)
        _check_nonnegative("eta", eta)
        _check_nonnegative("gamma", gamma)
        self.eta, self.gamma = eta, gamma

    def use_extra_inputs(self, grads, step, loss, noise):
        _check_noise(noise, grads)
        deviation = np.sqrt(self.eta / float(step + 1) ** self.gamma)
        return {name: grad + deviation * noise[name] for name, grad in grads.items()}

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        return param - lr * grad, slots


def _check_noise(noise, grads):
    if noise is None:
        raise ValueError(
            "noisy_sgd needs its noise: update(grads, state, params, noise=...), "
            "a dict of standard normal draws shaped like params."
        )
    if set(noise) != set(grads):
        raise ValueError(
            f"noise keys {sorted(noise)} do not match params: expected {sorted(grads)}."
        )


class NovoGrad(keras_optimizers.Optimizer):
    """NovoGrad (Ginsburg et al. 2019): Adam with a second moment per tensor.

    n ← ‖g‖²  at t = 1,   else  n ← (1 − b2) ‖g‖² + b2 n         (one number per tensor)
    d = g / (√(n + eps_root) + eps) + λθ                        (λ = weight_decay)
    m ← d  at t = 1,      else  m ← b1 m + d                    (a sum, not an average)
    θ ← θ − η m

    weight_decay is inside the momentum, as in the paper, not the base's decoupled decay.
    """

    def __init__(self, learning_rate=0.001, b1=0.9, b2=0.25, eps=1e-6, eps_root=0.0, **base):
        super().__init__(learning_rate, **base)
        _check_decay("b1", b1)
        _check_decay("b2", b2)
        _check_nonnegative("eps", eps)
        _check_nonnegative("eps_root", eps_root)
        self.b1, self.b2, self.eps, self.eps_root = b1, b2, eps, eps_root

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param), "norm_average": np.zeros((), param.dtype)}

    def decay_weights(self, param, slots, lr):
        return param  # the decay is part of the momentum instead

    def update_variable(self, grad, param, slots, lr, t):
        squared_norm = np.sum(grad * grad)
        if _first_step(t):
            norm_average = squared_norm
        else:
            norm_average = (1 - self.b2) * squared_norm + self.b2 * slots["norm_average"]
        direction = grad / (np.sqrt(norm_average + self.eps_root) + self.eps)
        if self.weight_decay is not None:
            direction = direction + self.weight_decay * param
        momentum = direction if _first_step(t) else self.b1 * slots["momentum"] + direction
        new = {"momentum": momentum, "norm_average": norm_average.astype(param.dtype)}
        return param - lr * momentum, new


class OptimisticGradientDescent(keras_optimizers.Optimizer):
    """Optimistic gradient descent (Mokhtari et al. 2020), for min-max games.

    u = (alpha + beta) g − beta g_prev          (g_prev = g at the first step)
    θ ← θ − η u

    alpha = beta = 1 is Popov's / Daskalakis et al.'s θ − η (2g − g_prev).
    """

    def __init__(self, learning_rate=0.001, alpha=1.0, beta=1.0, **base):
        super().__init__(learning_rate, **base)
        check_range("alpha", alpha)
        check_range("beta", beta)
        self.alpha, self.beta = alpha, beta

    def init_slots(self, param):
        return {"previous_grad": np.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        previous = grad if _first_step(t) else slots["previous_grad"]
        direction = (self.alpha + self.beta) * grad - self.beta * previous
        return param - lr * direction, {"previous_grad": grad}


class OptimisticAdam(keras_optimizers.Optimizer):
    """Optimistic Adam (Daskalakis et al. 2018), as optax's ``optimistic_adam_v2``.

    m ← (1 − b1) g + b1 m,   v ← (1 − b2) g² + b2 v
    m̂ = b1 m / (1 − b1ᵗ⁺¹) + (1 − b1) g / (1 − b1ᵗ)   (nesterov=True, optax's default;
        m / (1 − b1ᵗ) otherwise)
    d = m̂ / (√(v / (1 − b2ᵗ) + eps_root) + eps)
    θ ← θ − η ((alpha + beta) d − beta d_prev)         (d_prev = d at the first step)

    optax's older ``optimistic_adam`` (deprecated) is this with η = 1, alpha = its
    learning rate and beta = its ``optimism``. The paper's Optimistic Adam has no
    Nesterov term and uses 2 m̂ − m̂_prev.
    """

    def __init__(
        self,
        learning_rate=0.001,
        alpha=1.0,
        beta=1.0,
        b1=0.9,
        b2=0.999,
        eps=1e-8,
        eps_root=0.0,
        nesterov=True,
        **base,
    ):
        super().__init__(learning_rate, **base)
        check_range("alpha", alpha)
        check_range("beta", beta)
        _check_decay("b1", b1)
        _check_decay("b2", b2)
        _check_nonnegative("eps", eps)
        _check_nonnegative("eps_root", eps_root)
        check_bool("nesterov", nesterov)
        self.alpha, self.beta, self.b1, self.b2 = alpha, beta, b1, b2
        self.eps, self.eps_root, self.nesterov = eps, eps_root, nesterov

    def init_slots(self, param):
        zeros = np.zeros_like(param)
        return {"momentum": zeros, "velocity": zeros, "previous_direction": zeros}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2 = self.b1, self.b2
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        velocity = (1 - b2) * (grad * grad) + b2 * slots["velocity"]
        if self.nesterov:
            momentum_hat = b1 * (momentum / (1 - b1 ** (t + 1))) + (1 - b1) * (grad / (1 - b1**t))
        else:
            momentum_hat = momentum / (1 - b1**t)
        direction = momentum_hat / (np.sqrt(velocity / (1 - b2**t) + self.eps_root) + self.eps)
        previous = direction if _first_step(t) else slots["previous_direction"]
        step = (self.alpha + self.beta) * direction - self.beta * previous
        new = {"momentum": momentum, "velocity": velocity, "previous_direction": direction}
        return param - lr * step, new


class PolyakSGD(keras_optimizers.Optimizer):
    """SGD with the Polyak step size (Loizou et al. 2021, SPS_max), as optax's ``polyak_sgd``.

    u = scaling · g                                   (scaling may be a schedule)
    γ = min((f − f_min) / (‖u‖² + eps), max_learning_rate)    (‖·‖ over all tensors;
        variant "sps+": max(f − f_min, 0) on top; γ = 0 if ‖u‖² + eps ≤ 2⁻⁵²)
    θ ← θ − γ u                                        (f: ``update(..., loss=f)``)

    The loss at ``params`` is an input, ``update(grads, state, params, loss=f)``. With
    scaling = 1 this is the paper's SPS_max with c = 1; optax's scaling also enters the
    norm, so γ scales as 1 / scaling². The base's ``learning_rate`` is ``scaling`` here.
    """

    def __init__(
        self, max_learning_rate=1.0, scaling=1.0, f_min=0.0, eps=0.0, variant="sps", **base
    ):
        super().__init__(scaling, **base)
        check_range("max_learning_rate", max_learning_rate, low=0)
        check_range("f_min", f_min)
        _check_nonnegative("eps", eps)
        check_choice("variant for polyak_sgd", variant, ("sps", "sps+"))
        self.max_learning_rate, self.f_min, self.eps, self.variant = (
            max_learning_rate,
            f_min,
            eps,
            variant,
        )

    def use_extra_inputs(self, grads, step, loss, noise):
        if loss is None:
            raise ValueError(
                "polyak_sgd needs the loss at params: update(grads, state, params, loss=...)."
            )
        scaling = self.learning_rate_at(step)
        squared_norm = scaling * scaling * sum(np.sum(g * g) for g in grads.values())
        gap = float(loss) - self.f_min
        if self.variant == "sps+":
            gap = max(gap, 0.0)
        if squared_norm + self.eps <= _NO_GRADIENT:
            size = 0.0
        else:
            size = min(gap / (squared_norm + self.eps), self.max_learning_rate)
        return {name: size * grad for name, grad in grads.items()}

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        return param - lr * grad, slots


class RAdam(keras_optimizers.Optimizer):
    """Rectified Adam (Liu et al. 2020): plain momentum until the variance is tractable.

    m ← (1 − b1) g + b1 m,   v ← (1 − b2) g² + b2 v
    ρ∞ = 2 / (1 − b2) − 1,   ρ_t = ρ∞ − 2 t b2ᵗ / (1 − b2ᵗ)
    m̂ = m / (1 − b1ᵗ)   (nesterov: b1 m / (1 − b1ᵗ⁺¹) + (1 − b1) g / (1 − b1ᵗ))
    ρ_t ≥ threshold:  r = √((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t)),
                      θ ← θ − η r m̂ / (√(v / (1 − b2ᵗ) + eps_root) + eps)
    otherwise:        θ ← θ − η m̂

    The paper's test is ρ_t > 4; optax and torch's ``RAdam`` use 5.
    """

    def __init__(
        self,
        learning_rate=0.001,
        b1=0.9,
        b2=0.999,
        eps=1e-8,
        eps_root=0.0,
        threshold=5.0,
        nesterov=False,
        **base,
    ):
        super().__init__(learning_rate, **base)
        _check_decay("b1", b1)
        _check_decay("b2", b2)
        _check_nonnegative("eps", eps)
        _check_nonnegative("eps_root", eps_root)
        check_range("threshold", threshold)
        check_bool("nesterov", nesterov)
        self.b1, self.b2, self.eps, self.eps_root = b1, b2, eps, eps_root
        self.threshold, self.nesterov = threshold, nesterov

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param), "velocity": np.zeros_like(param)}

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
        if rho < self.threshold:
            return param - lr * momentum_hat, new
        rectifier = np.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
        denominator = np.sqrt(velocity / (1 - b2**t) + self.eps_root) + self.eps
        return param - lr * (rectifier * momentum_hat / denominator), new


class Rprop(keras_optimizers.Optimizer):
    """Rprop (Riedmiller & Braun 1993), as optax's ``rprop`` computes it.

    s = g · u_prev                        (u_prev: the last step, 0 at first)
    Δ ← Δ                            if s = 0      (Δ₀ = learning_rate, per coordinate)
    Δ ← clip(Δ · eta_plus,  min_step_size, max_step_size)    if s > 0
    Δ ← clip(Δ · eta_minus, min_step_size, max_step_size)    if s < 0
    u = 0 where s < 0, else Δ sign(g)
    θ ← θ − (0 where s < 0, else u_prev)

    Warning: optax moves θ by the *previous* step u_prev, so its first step moves
    nothing (measured: optax 0.2.8); the paper (iRprop⁻) and torch's ``Rprop`` move by
    the new step u. The learning rate only sets Δ₀: it cannot be a schedule.
    """

    def __init__(
        self,
        learning_rate=0.001,
        eta_minus=0.5,
        eta_plus=1.2,
        min_step_size=1e-6,
        max_step_size=50.0,
        **base,
    ):
        if callable(learning_rate):
            raise TypeError(
                "learning_rate for rprop is the initial step size: need a number, not a schedule."
            )
        super().__init__(learning_rate, **base)
        check_range("eta_minus", eta_minus, low=0, high=1, low_open=True)
        check_range("eta_plus", eta_plus, low=1)
        check_range("min_step_size", min_step_size, low=0)
        check_range("max_step_size", max_step_size, low=min_step_size)
        self.eta_minus, self.eta_plus = eta_minus, eta_plus
        self.min_step_size, self.max_step_size = min_step_size, max_step_size

    def init_slots(self, param):
        return {
            "step_size": np.full_like(param, self.learning_rate),
            "previous_step": np.zeros_like(param),
        }

    def update_variable(self, grad, param, slots, lr, t):
        agreement = grad * slots["previous_step"]
        factor = np.where(agreement > 0, self.eta_plus, self.eta_minus).astype(param.dtype)
        grown = np.clip(slots["step_size"] * factor, self.min_step_size, self.max_step_size)
        step_size = np.where(agreement == 0, slots["step_size"], grown)
        step = np.where(agreement < 0, 0.0, step_size * np.sign(grad)).astype(param.dtype)
        applied = np.where(agreement < 0, 0.0, slots["previous_step"]).astype(param.dtype)
        return param - applied, {"step_size": step_size, "previous_step": step}


class SignSGD(keras_optimizers.Optimizer):
    """signSGD (Bernstein et al. 2018): θ ← θ − η sign(g)."""

    def __init__(self, learning_rate=0.001, **base):
        super().__init__(learning_rate, **base)

    def init_slots(self, param):
        return {}

    def update_variable(self, grad, param, slots, lr, t):
        return param - lr * np.sign(grad), slots


class Signum(keras_optimizers.Optimizer):
    """Signum (Bernstein et al. 2018): the sign of a momentum average.

    m ← (1 − beta) g + beta m
    θ ← θ − η sign(m)

    The paper's Signum is the same; Lion (``reference.optimizers.Lion``) interpolates first.
    """

    def __init__(self, learning_rate=0.001, beta=0.9, **base):
        super().__init__(learning_rate, **base)
        _check_decay("beta", beta)
        self.beta = beta

    def init_slots(self, param):
        return {"momentum": np.zeros_like(param)}

    def update_variable(self, grad, param, slots, lr, t):
        momentum = (1 - self.beta) * grad + self.beta * slots["momentum"]
        return param - lr * np.sign(momentum), {"momentum": momentum}


class SM3(keras_optimizers.Optimizer):
    """SM3 (Anil et al. 2019): Adagrad with one accumulator per row, column, ... of a tensor.

    for a tensor of rank k ≥ 1, accumulators a₀ … a_{k−1}, one per axis:
    A = g² + min over axes i of aᵢ (broadcast along the other axes)
    aᵢ ← max of A over every axis but i
    u = g / √(A + 1e-8)   (0 where A = 0)
    m ← (1 − momentum) u + momentum m
    θ ← θ − η m

    The paper's SM3-II has no 1e-8 and uses a heavy-ball momentum; optax's ``sm3``
    takes a constant learning rate only (ours may be a schedule, like every rate here).
    """

    def __init__(self, learning_rate=0.001, momentum=0.9, **base):
        super().__init__(learning_rate, **base)
        _check_decay("momentum", momentum)
        self.momentum = momentum

    def init_slots(self, param):
        slots = {"momentum": np.zeros_like(param)}
        for axis, size in enumerate(param.shape):
            slots[f"accumulator_{axis}"] = np.zeros(size, param.dtype)
        return slots

    def update_variable(self, grad, param, slots, lr, t):
        rank = grad.ndim
        shaped = [
            slots[f"accumulator_{axis}"].reshape([-1 if i == axis else 1 for i in range(rank)])
            for axis in range(rank)
        ]
        accumulated = grad * grad + (functools.reduce(np.minimum, shaped) if rank else 0)
        scale = np.where(accumulated > 0, 1 / np.sqrt(accumulated + 1e-8), 0.0)
        momentum = (1 - self.momentum) * (grad * scale) + self.momentum * slots["momentum"]
        new = {"momentum": momentum}
        for axis in range(rank):
            others = tuple(i for i in range(rank) if i != axis)
            new[f"accumulator_{axis}"] = np.max(accumulated, axis=others) if others else accumulated
        return param - lr * momentum, new


class Yogi(keras_optimizers.Optimizer):
    """Yogi (Zaheer et al. 2018): Adam whose second moment moves additively.

    m₀ = v₀ = 1e-6
    m ← (1 − b1) g + b1 m
    v ← v − (1 − b2) sign(v − g²) g²
    θ ← θ − η (m / (1 − b1ᵗ)) / (√(v / (1 − b2ᵗ)) + eps)

    The paper's Algorithm 2 has no bias correction and starts m at 0.
    """

    def __init__(self, learning_rate=0.001, b1=0.9, b2=0.999, eps=1e-3, **base):
        super().__init__(learning_rate, **base)
        _check_decay("b1", b1)
        _check_decay("b2", b2)
        _check_nonnegative("eps", eps)
        self.b1, self.b2, self.eps = b1, b2, eps

    def init_slots(self, param):
        return {"momentum": np.full_like(param, 1e-6), "velocity": np.full_like(param, 1e-6)}

    def update_variable(self, grad, param, slots, lr, t):
        b1, b2 = self.b1, self.b2
        squared = grad * grad
        momentum = (1 - b1) * grad + b1 * slots["momentum"]
        velocity = slots["velocity"] - (1 - b2) * np.sign(slots["velocity"] - squared) * squared
        momentum_hat = momentum / (1 - b1**t)
        velocity_hat = velocity / (1 - b2**t)
        new_param = param - lr * (momentum_hat / (np.sqrt(velocity_hat) + self.eps))
        return new_param, {"momentum": momentum, "velocity": velocity}


def _optax_defaults(base, **defaults):
    """Keyword arguments for a Keras class with optax's convention and defaults."""
    return {"convention": "optax", **defaults, **base}


class AMSGrad(keras_optimizers.Adam):
    """optax's ``amsgrad``: ``Adam(amsgrad=True, convention="optax")``, ε = 1e-8.

    The equations: ``reference.optimizers.Adam`` (the max over the bias-corrected v̂).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, **base):
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad=True, **_optax_defaults(base)
        )


class AdamaxW(keras_optimizers.Adamax):
    """optax's ``adamaxw``: ``Adamax(convention="optax")`` with λ = 1e-4, ε = 1e-8.

    The equations: ``reference.optimizers.Adamax``; the decay is the base's θ ← θ − θλη.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, **base):
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, **_optax_defaults(base, weight_decay=1e-4)
        )


class NAdamW(keras_optimizers.Nadam):
    """optax's ``nadamw``: ``Nadam(convention="optax")`` with λ = 1e-4, ε = 1e-8.

    The equations: ``reference.optimizers.Nadam`` (no momentum schedule); the decay is
    the base's θ ← θ − θλη, which is optax's λθ added before η.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, **base):
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, **_optax_defaults(base, weight_decay=1e-4)
        )


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
