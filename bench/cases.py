"""The cases every equivalence test and ``gdkit check`` walk through, one record each.

Hyperparameters are ones float32 represents exactly (2^-k, 1 - 2^-k, ...), so Keras,
which rounds some of them through float32 even for float64 variables
(docs/conventions.md §2.2), computes with the same numbers as the float64 oracle.
Every hyperparameter of every optimizer appears at a non-default value somewhere.
"""

import dataclasses
from collections.abc import Callable, Mapping

LR = 2.0**-6
# Past ~40 steps several float32 runs turn chaotic (1e-7 at step 30 grows to 3e-4 at
# step 100 for Adam with clipvalue), as docs/conventions.md §2.6 warns; so float32 runs stop at 30.
FLOAT32_STEPS = 30


@dataclasses.dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule by its Keras name and arguments; each backend builds its own."""

    name: str
    arguments: Mapping = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class OptimizerCase:
    """One optimizer set-up, run the same way by every backend.

    ``schedule``, when given, is the learning rate; ``convention`` is the form of the
    update (``"keras"``, ``"optax"`` or ``"paper"``, see each optimizer's docstring);
    ``optax`` builds the optax transform this case is compared with, from the optax module.
    """

    id: str
    optimizer: str
    hyperparameters: Mapping = dataclasses.field(default_factory=dict)
    schedule: Schedule | None = None
    convention: str = "keras"
    steps: int = 100
    optax: Callable | None = None

    def steps_for(self, dtype):
        """The trajectory length: the case's own in float64, ``FLOAT32_STEPS`` in float32."""
        return FLOAT32_STEPS if str(dtype) == "float32" else self.steps

    def hyperparameters_for(self, get_schedule):
        """Keyword arguments for a backend's ``optimizers.get``; ``get_schedule(name, **arguments)``
        is that backend's ``schedules.get``, so each backend runs its own schedule."""
        hyper = dict(self.hyperparameters)
        if self.schedule is not None:
            hyper["learning_rate"] = get_schedule(self.schedule.name, **self.schedule.arguments)
        if self.convention != "keras":  # Keras's own optimizers take no convention
            hyper["convention"] = self.convention
        return hyper


def _by_id(*cases):
    return {case.id: case for case in cases}


# Trajectories stop early where docs/conventions.md §2.6 says rounding is amplified.
CASES = _by_id(
    OptimizerCase("sgd-default", "sgd"),
    OptimizerCase("sgd-momentum", "sgd", {"learning_rate": LR, "momentum": 0.875}),
    OptimizerCase(
        "sgd-nesterov", "sgd", {"learning_rate": LR, "momentum": 0.875, "nesterov": True}
    ),
    OptimizerCase("rmsprop-default", "rmsprop", steps=30),
    OptimizerCase(
        "rmsprop-centered-momentum",
        "rmsprop",
        {
            "learning_rate": 2.0**-9,
            "rho": 0.75,
            "momentum": 0.5,
            "epsilon": 2.0**-10,
            "centered": True,
        },
        steps=30,
    ),
    OptimizerCase("adagrad-default", "adagrad"),
    OptimizerCase(
        "adagrad-custom",
        "adagrad",
        {"learning_rate": LR, "initial_accumulator_value": 0.25, "epsilon": 2.0**-20},
    ),
    OptimizerCase("adadelta-default", "adadelta"),
    OptimizerCase(
        "adadelta-custom", "adadelta", {"learning_rate": 1.0, "rho": 0.875, "epsilon": 2.0**-20}
    ),
    OptimizerCase("adam-default", "adam"),
    OptimizerCase(
        "adam-custom",
        "adam",
        {"learning_rate": LR, "beta_1": 0.875, "beta_2": 1 - 2.0**-10, "epsilon": 2.0**-20},
    ),
    OptimizerCase(
        "adam-amsgrad",
        "adam",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "amsgrad": True},
    ),
    OptimizerCase("adamw-default", "adamw"),
    OptimizerCase(
        "adamw-custom",
        "adamw",
        {
            "learning_rate": LR,
            "weight_decay": 0.0625,
            "beta_1": 0.75,
            "beta_2": 0.875,
            "epsilon": 2.0**-16,
            "amsgrad": True,
        },
    ),
    OptimizerCase("adamax-default", "adamax"),
    OptimizerCase(
        "adamax-custom",
        "adamax",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "epsilon": 2.0**-16},
    ),
    OptimizerCase("nadam-default", "nadam"),
    OptimizerCase(
        "nadam-custom",
        "nadam",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "epsilon": 2.0**-16},
    ),
    OptimizerCase("ftrl-default", "ftrl"),
    OptimizerCase(
        "ftrl-custom",
        "ftrl",
        {
            "learning_rate": 0.25,
            "learning_rate_power": -0.75,
            "initial_accumulator_value": 0.5,
            "l1_regularization_strength": 2.0**-10,
            "l2_regularization_strength": 2.0**-6,
            "l2_shrinkage_regularization_strength": 2.0**-8,
            "beta": 0.5,
        },
    ),
    OptimizerCase("lion-default", "lion", steps=30),
    OptimizerCase(
        "lion-custom",
        "lion",
        {"learning_rate": 2.0**-9, "beta_1": 0.75, "beta_2": 0.875},
        steps=30,
    ),
    OptimizerCase("lamb-default", "lamb"),
    OptimizerCase(
        "lamb-custom",
        "lamb",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "epsilon": 2.0**-16},
    ),
    OptimizerCase("adafactor-default", "adafactor", steps=30),
    OptimizerCase(
        "adafactor-custom",
        "adafactor",
        {
            "learning_rate": 2.0**-5,
            "beta_2_decay": -0.5,
            "epsilon_1": 2.0**-60,
            "epsilon_2": 2.0**-8,
            "clip_threshold": 0.5,
            "relative_step": False,
        },
        steps=30,
    ),
    OptimizerCase("muon-default", "muon"),
    OptimizerCase(
        "muon-custom",
        "muon",
        {
            "learning_rate": LR,
            "adam_beta_1": 0.75,
            "adam_beta_2": 0.875,
            "adam_weight_decay": 0.0625,
            "epsilon": 2.0**-16,
            "weight_decay": 0.125,
            "muon_a": 3.0,
            "muon_b": -4.0,
            "muon_c": 2.0,
            "adam_lr_ratio": 0.5,
            "momentum": 0.875,
            "ns_steps": 3,
            "nesterov": False,
            "rms_rate": 0.25,
        },
    ),
    OptimizerCase(
        "muon-exclude_layers",
        "muon",
        {
            "learning_rate": LR,
            "adam_beta_1": 0.75,
            "adam_beta_2": 0.875,
            "adam_weight_decay": 0.0625,
            "weight_decay": 0.125,
            "exclude_layers": ["dense_1"],
            "exclude_embeddings": False,
        },
    ),
    OptimizerCase("schedule_free_adamw-default", "schedule_free_adamw"),
    OptimizerCase(
        "schedule_free_adamw-custom",
        "schedule_free_adamw",
        {
            "learning_rate": LR,
            "beta_1": 0.75,
            "beta_2": 0.875,
            "epsilon": 2.0**-16,
            "warmup_steps": 10,
        },
    ),
    # The base features, each on an optimizer it affects.
    OptimizerCase(
        "adam-weight_decay",
        "adam",
        {"learning_rate": LR, "beta_1": 0.875, "beta_2": 0.875, "weight_decay": 0.0625},
    ),
    OptimizerCase(
        "sgd-clipnorm", "sgd", {"learning_rate": 0.25, "momentum": 0.5, "clipnorm": 0.125}
    ),
    OptimizerCase(
        "adam-clipvalue",
        "adam",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "clipvalue": 2.0**-7},
    ),
    OptimizerCase("sgd-global_clipnorm", "sgd", {"learning_rate": 0.25, "global_clipnorm": 0.25}),
    OptimizerCase(
        "lamb-global_clipnorm",
        "lamb",
        {"learning_rate": LR, "beta_1": 0.75, "beta_2": 0.875, "global_clipnorm": 0.25},
    ),
)

EXPONENTIAL = Schedule(
    "exponential_decay", {"initial_learning_rate": 0.125, "decay_steps": 10, "decay_rate": 0.5}
)

# A schedule as the learning rate of an optimizer.
SCHEDULE_CASES = _by_id(
    OptimizerCase("sgd-momentum-exponential", "sgd", {"momentum": 0.875}, EXPONENTIAL),
    OptimizerCase(
        "adam-cosine-warmup",
        "adam",
        {"beta_1": 0.875, "beta_2": 0.96875},
        Schedule(
            "cosine_decay",
            {
                "initial_learning_rate": 0.0,
                "decay_steps": 80,
                "warmup_target": LR,
                "warmup_steps": 20,
                "alpha": 0.125,
            },
        ),
    ),
)

# The schedules alone, each against Keras's and the other backends' over steps 0 to 200.
SCHEDULES = {
    "exponential": Schedule(
        "exponential_decay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6}
    ),
    "exponential-staircase": Schedule(
        "exponential_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6, "staircase": True},
    ),
    "piecewise_constant": Schedule(
        "piecewise_constant_decay", {"boundaries": [10, 50, 120], "values": [1.0, 0.5, 0.1, 0.01]}
    ),
    "polynomial": Schedule("polynomial_decay", {"initial_learning_rate": 0.1, "decay_steps": 150}),
    "polynomial-power-cycle": Schedule(
        "polynomial_decay",
        {
            "initial_learning_rate": 0.1,
            "decay_steps": 40,
            "end_learning_rate": 0.003,
            "power": 2.5,
            "cycle": True,
        },
    ),
    "inverse_time": Schedule(
        "inverse_time_decay", {"initial_learning_rate": 0.1, "decay_steps": 9, "decay_rate": 0.3}
    ),
    "inverse_time-staircase": Schedule(
        "inverse_time_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 9, "decay_rate": 0.3, "staircase": True},
    ),
    "cosine": Schedule("cosine_decay", {"initial_learning_rate": 0.1, "decay_steps": 150}),
    "cosine-alpha": Schedule(
        "cosine_decay", {"initial_learning_rate": 0.1, "decay_steps": 150, "alpha": 0.1}
    ),
    "cosine-warmup-from-0": Schedule(
        "cosine_decay",
        {
            "initial_learning_rate": 0.0,
            "decay_steps": 120,
            "alpha": 0.05,
            "warmup_target": 0.2,
            "warmup_steps": 30,
        },
    ),
    "cosine-warmup": Schedule(
        "cosine_decay", {"initial_learning_rate": 0.1, "decay_steps": 100, "warmup_steps": 30}
    ),
    "cosine_restarts": Schedule(
        "cosine_decay_restarts", {"initial_learning_rate": 0.1, "first_decay_steps": 20}
    ),
    "cosine_restarts-constant-period": Schedule(
        "cosine_decay_restarts",
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 15,
            "t_mul": 1.0,
            "m_mul": 0.7,
            "alpha": 0.1,
        },
    ),
    "cosine_restarts-growing-period": Schedule(
        "cosine_decay_restarts",
        {
            "initial_learning_rate": 0.1,
            "first_decay_steps": 10,
            "t_mul": 1.5,
            "m_mul": 0.8,
            "alpha": 0.05,
        },
    ),
}

# The oracle's optax forms, each beside the optax transform that computes the same thing.
OPTAX_CASES = _by_id(
    OptimizerCase("sgd", "sgd", {"learning_rate": LR}, optax=lambda optax: optax.sgd(LR)),
    OptimizerCase(
        "sgd-momentum",
        "sgd",
        {"learning_rate": LR, "momentum": 0.875},
        convention="optax",
        optax=lambda optax: optax.sgd(LR, momentum=0.875),
    ),
    OptimizerCase(
        "sgd-nesterov",
        "sgd",
        {"learning_rate": LR, "momentum": 0.875, "nesterov": True},
        convention="optax",
        optax=lambda optax: optax.sgd(LR, momentum=0.875, nesterov=True),
    ),
    OptimizerCase(
        "rmsprop-centered-momentum",
        "rmsprop",
        CASES["rmsprop-centered-momentum"].hyperparameters,
        optax=lambda optax: optax.rmsprop(
            2.0**-9, decay=0.75, eps=2.0**-10, centered=True, momentum=0.5
        ),
    ),
    OptimizerCase(
        "adagrad",
        "adagrad",
        {"learning_rate": LR, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
        optax=lambda optax: optax.adagrad(LR, initial_accumulator_value=0.1, eps=1e-7),
    ),
    OptimizerCase(
        "adadelta",
        "adadelta",
        {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6},
        optax=lambda optax: optax.adadelta(1.0, rho=0.9, eps=1e-6),
    ),
    OptimizerCase(
        "adam",
        "adam",
        {"learning_rate": LR, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8},
        convention="optax",
        optax=lambda optax: optax.adam(LR, b1=0.9, b2=0.999, eps=1e-8),
    ),
    OptimizerCase(
        "amsgrad",
        "adam",
        {"learning_rate": LR, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-8, "amsgrad": True},
        convention="optax",
        optax=lambda optax: optax.amsgrad(LR, b1=0.8, b2=0.9, eps=1e-8),
    ),
    OptimizerCase(
        "adamw",
        "adamw",
        {"learning_rate": LR, "weight_decay": 0.05, "epsilon": 1e-8},
        convention="optax",
        optax=lambda optax: optax.adamw(LR, eps=1e-8, weight_decay=0.05),
    ),
    OptimizerCase(
        "adamax",
        "adamax",
        {"learning_rate": LR, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-8},
        convention="optax",
        optax=lambda optax: optax.adamax(LR, b1=0.8, b2=0.95, eps=1e-8),
    ),
    OptimizerCase(
        "nadam",
        "nadam",
        {"learning_rate": LR, "epsilon": 1e-8},
        convention="optax",
        optax=lambda optax: optax.nadam(LR, eps=1e-8),
    ),
    OptimizerCase(
        "lion",
        "lion",
        {"learning_rate": 2.0**-9, "weight_decay": 0.01},
        optax=lambda optax: optax.lion(2.0**-9, weight_decay=0.01),
    ),
    OptimizerCase(
        "lamb",
        "lamb",
        {"learning_rate": LR, "epsilon": 1e-6, "weight_decay": 0.0625},
        convention="optax",
        optax=lambda optax: optax.lamb(LR, eps=1e-6, weight_decay=0.0625),
    ),
    OptimizerCase(
        "sgd-exponential-decay",
        "sgd",
        {"momentum": 0.875},
        EXPONENTIAL,
        convention="optax",
        optax=lambda optax: optax.sgd(optax.exponential_decay(0.125, 10.0, 0.5), momentum=0.875),
    ),
    OptimizerCase(
        "adam-global-clipnorm",
        "adam",
        {"learning_rate": LR, "epsilon": 1e-8, "global_clipnorm": 0.25},
        convention="optax",
        optax=lambda optax: optax.chain(optax.clip_by_global_norm(0.25), optax.adam(LR, eps=1e-8)),
    ),
    OptimizerCase(
        "adam-clipvalue",
        "adam",
        {"learning_rate": LR, "epsilon": 1e-8, "clipvalue": 2.0**-7},
        convention="optax",
        optax=lambda optax: optax.chain(optax.clip(2.0**-7), optax.adam(LR, eps=1e-8)),
    ),
)

# Pairs no setting reconciles (docs/conventions.md §8): the oracle's Keras form beside optax.
# The smallest gap each must show is in bench.tolerances.OPTAX_GAPS.
IRRECONCILABLE = _by_id(
    dataclasses.replace(OPTAX_CASES["adam"], id="adam-epsilon-hat", convention="keras"),
    dataclasses.replace(OPTAX_CASES["amsgrad"], id="amsgrad-raw-max", convention="keras"),
    dataclasses.replace(OPTAX_CASES["nadam"], id="nadam-momentum-schedule", convention="keras"),
    dataclasses.replace(OPTAX_CASES["lamb"], id="lamb-decay-placement", convention="keras"),
    dataclasses.replace(
        OPTAX_CASES["sgd-exponential-decay"], id="sgd-momentum-under-schedule", convention="keras"
    ),
    OptimizerCase(
        "muon",
        "muon",
        {"learning_rate": LR, "weight_decay": None, "adam_weight_decay": None},
        optax=lambda optax: optax.contrib.muon(LR),
    ),
)

# The optimizers optax ships and Keras does not (reference/optax_optimizers.py, optax's
# hyperparameter names), and optax's names for Keras forms, each beside optax's own.
OPTAX_CASES |= _by_id(
    OptimizerCase(
        "adabelief",
        "adabelief",
        {"learning_rate": LR, "b1": 0.875, "b2": 0.96875, "eps": 1e-12, "eps_root": 1e-14},
        optax=lambda optax: optax.adabelief(LR, b1=0.875, b2=0.96875, eps=1e-12, eps_root=1e-14),
    ),
    OptimizerCase(
        "adabelief-nesterov",
        "adabelief",
        {"learning_rate": LR, "nesterov": True},
        optax=lambda optax: optax.adabelief(LR, nesterov=True),
    ),
    OptimizerCase(
        "adan",
        "adan",
        {"learning_rate": LR, "b1": 0.9, "b2": 0.875, "b3": 0.96875, "weight_decay": 0.0625},
        optax=lambda optax: optax.adan(LR, b1=0.9, b2=0.875, b3=0.96875, weight_decay=0.0625),
    ),
    OptimizerCase(
        "fromage",
        "fromage",
        {"learning_rate": LR, "min_norm": 1e-5},
        optax=lambda optax: optax.fromage(LR, min_norm=1e-5),
    ),
    OptimizerCase(
        "lars",
        "lars",
        {
            "learning_rate": 0.25,
            "weight_decay": 0.0625,
            "trust_coefficient": 0.0625,
            "eps": 1e-3,
            "momentum": 0.75,
        },
        optax=lambda optax: optax.lars(
            0.25, weight_decay=0.0625, trust_coefficient=0.0625, eps=1e-3, momentum=0.75
        ),
    ),
    OptimizerCase(
        "lars-nesterov",
        "lars",
        {"learning_rate": 0.5, "momentum": 0.75, "nesterov": True},
        optax=lambda optax: optax.lars(0.5, momentum=0.75, nesterov=True),
    ),
    OptimizerCase(
        "novograd",
        "novograd",
        {"learning_rate": 2.0**-8, "b1": 0.875, "b2": 0.5, "eps": 1e-8, "weight_decay": 0.0625},
        optax=lambda optax: optax.novograd(
            2.0**-8, b1=0.875, b2=0.5, eps=1e-8, weight_decay=0.0625
        ),
    ),
    OptimizerCase(
        "optimistic_gradient_descent",
        "optimistic_gradient_descent",
        {"learning_rate": LR, "alpha": 0.75, "beta": 0.5},
        optax=lambda optax: optax.optimistic_gradient_descent(LR, alpha=0.75, beta=0.5),
    ),
    OptimizerCase(
        "optimistic_adam",
        "optimistic_adam",
        {"learning_rate": LR, "alpha": 0.75, "beta": 0.5, "b1": 0.875, "b2": 0.96875},
        optax=lambda optax: optax.optimistic_adam_v2(
            LR, alpha=0.75, beta=0.5, b1=0.875, b2=0.96875
        ),
    ),
    OptimizerCase(
        "radam",
        "radam",
        {"learning_rate": LR, "b2": 0.96875, "threshold": 4.0},
        optax=lambda optax: optax.radam(LR, b2=0.96875, threshold=4.0),
    ),
    OptimizerCase(
        "radam-nesterov",
        "radam",
        {"learning_rate": LR, "nesterov": True},
        optax=lambda optax: optax.radam(LR, nesterov=True),
    ),
    # Rprop steps by the gradient's sign whatever its size: with steps up to 2^-5 the loss
    # reached 1e-6 by step 30, the gradients rounding noise whose signs differ between
    # backends (tf_impl parted at step 47). Steps up to 2^-8 keep the loss above 0.009.
    OptimizerCase(
        "rprop",
        "rprop",
        {"learning_rate": 2.0**-10, "eta_minus": 0.25, "eta_plus": 1.5, "max_step_size": 2.0**-8},
        optax=lambda optax: optax.rprop(
            2.0**-10, eta_minus=0.25, eta_plus=1.5, max_step_size=2.0**-8
        ),
    ),
    OptimizerCase(
        "sign_sgd",
        "sign_sgd",
        {"learning_rate": 2.0**-9},
        optax=lambda optax: optax.sign_sgd(2.0**-9),
    ),
    OptimizerCase(
        "signum",
        "signum",
        {"learning_rate": 2.0**-9, "beta": 0.75},
        optax=lambda optax: optax.signum(2.0**-9, beta=0.75),
    ),
    OptimizerCase(
        "sm3",
        "sm3",
        {"learning_rate": 2.0**-4, "momentum": 0.75},
        optax=lambda optax: optax.sm3(2.0**-4, momentum=0.75),
    ),
    OptimizerCase(
        "yogi",
        "yogi",
        {"learning_rate": LR, "b1": 0.875, "b2": 0.96875, "eps": 2.0**-10},
        optax=lambda optax: optax.yogi(LR, b1=0.875, b2=0.96875, eps=2.0**-10),
    ),
    OptimizerCase(
        "amsgrad-optax-name",
        "amsgrad",
        {"learning_rate": LR, "beta_1": 0.8, "beta_2": 0.9},
        optax=lambda optax: optax.amsgrad(LR, b1=0.8, b2=0.9),
    ),
    OptimizerCase(
        "adamaxw",
        "adamaxw",
        {"learning_rate": LR, "beta_1": 0.8, "weight_decay": 0.0625},
        optax=lambda optax: optax.adamaxw(LR, b1=0.8, weight_decay=0.0625),
    ),
    OptimizerCase("nadamw", "nadamw", {"learning_rate": LR}, optax=lambda optax: optax.nadamw(LR)),
)

# The two that need more than gradients: their ``update`` takes ``loss=`` (Polyak SGD) or
# ``noise=`` (noisy SGD), which bench.trajectories gives every backend.
EXTRA_INPUT_CASES = _by_id(
    OptimizerCase(
        "polyak_sgd",
        "polyak_sgd",
        {"max_learning_rate": 0.5, "scaling": 0.75, "f_min": 0.125, "eps": 1e-3},
        optax=lambda optax: optax.polyak_sgd(0.5, scaling=0.75, f_min=0.125, eps=1e-3),
    ),
    # scaling 0.5 doubles the Polyak step: the first overshoots below f_min, where the
    # "sps+" gap max(f − f_min, 0) stops the rest.
    OptimizerCase(
        "polyak_sgd-sps+",
        "polyak_sgd",
        {"max_learning_rate": 8.0, "scaling": 0.5, "f_min": 1.25, "variant": "sps+"},
        optax=lambda optax: optax.polyak_sgd(8.0, scaling=0.5, f_min=1.25, variant="sps+"),
    ),
    OptimizerCase(
        "noisy_sgd",
        "noisy_sgd",
        {"learning_rate": LR, "eta": 0.0625, "gamma": 0.75},
        optax=lambda optax: optax.noisy_sgd(LR, eta=0.0625, gamma=0.75, key=7),
    ),
)
