"""Optimizers on 2-D landscapes: a curved valley, a saddle and an ill-conditioned bowl.

Rosenbrock's valley f = (1 − x)² + 100(y − x²)² is steep across and flat along its
curved floor: plain gradient descent must use a rate small enough for the steep
direction and then crawls along the floor. Momentum builds speed along the floor,
and Adam's per-coordinate scaling evens the two directions out.

Every optimizer gdkit has, Keras's and optax's, runs on each landscape: the table has
one row per optimizer. The figure's first row draws the six classic paths, its second
six others: the four the claims are about, AdaBelief and Yogi. The fast run (the tests')
runs only those twelve.
Where a method keeps bouncing near a minimum (AdaBelief, LARS, Fromage on Rosenbrock), its
final f follows the rounding: the backends' tables differ there, not in the claims.
"""

import numpy as np

from bench.demos.common import Result, new_figure, optimizer_path


def rosenbrock(p):
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


def rosenbrock_gradient(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def saddle(p):
    return p[..., 0] ** 2 + p[..., 1] ** 4 / 4 - p[..., 1] ** 2 / 2


def saddle_gradient(p):
    return np.array([2 * p[0], p[1] ** 3 - p[1]])


def bowl(p):
    return 0.5 * (p[..., 0] ** 2 + 25 * p[..., 1] ** 2)


def bowl_gradient(p):
    return np.array([p[0], 25 * p[1]])


LANDSCAPES = {
    "Rosenbrock": (rosenbrock, rosenbrock_gradient, [-1.2, 1.0], [(1.0, 1.0)], (-2, 2, -1, 3)),
    "saddle": (saddle, saddle_gradient, [1.5, 1e-3], [(0.0, 1.0), (0.0, -1.0)], (-2, 2, -1.5, 1.5)),
    "ill-conditioned": (bowl, bowl_gradient, [2.0, 1.0], [(0.0, 0.0)], (-2.5, 2.5, -1.5, 1.5)),
}
CLASSIC = {
    "SGD": ("sgd", {"learning_rate": 1.5e-3}),
    "momentum": ("sgd", {"learning_rate": 1.5e-3, "momentum": 0.9}),
    "Nesterov": ("sgd", {"learning_rate": 1.5e-3, "momentum": 0.9, "nesterov": True}),
    "RMSprop": ("rmsprop", {"learning_rate": 1e-2}),
    "Adagrad": ("adagrad", {"learning_rate": 0.5}),
    "Adam": ("adam", {"learning_rate": 5e-2}),
}
# Every other optimizer gdkit has, Keras's then optax's, each at a rate that suits its kind
# of step; Adam's kin take Adam's 0.05. The reason is on the line where it is not obvious.
OTHERS = {
    "Adadelta": ("adadelta", {"learning_rate": 1.0}),  # the paper's (none, i.e. 1); 1e-3 stalls
    "AdamW": ("adamw", {"learning_rate": 5e-2}),  # with Keras's weight decay 0.004
    "Adamax": ("adamax", {"learning_rate": 5e-2}),
    "Nadam": ("nadam", {"learning_rate": 5e-2}),
    "FTRL": ("ftrl", {"learning_rate": 0.5}),  # divides by √(Σ g²) as Adagrad does
    "Lion": ("lion", {"learning_rate": 3e-3}),  # a sign: every coordinate moves lr each step
    "LAMB": ("lamb", {"learning_rate": 1e-2}),  # trust ratio: steps of lr·‖θ‖
    "Adafactor": ("adafactor", {"learning_rate": 1e-2}),  # steps of min(lr, 1/√t)·RMS(θ)
    "Muon": ("muon", {"learning_rate": 5e-2}),  # a vector takes Muon's AdamW part: AdamW's row
    "schedule-free AdamW": ("schedule_free_adamw", {"learning_rate": 5e-2}),
    "AdaBelief": ("adabelief", {"learning_rate": 5e-2}),
    "Adan": ("adan", {"learning_rate": 5e-2}),
    "Fromage": ("fromage", {"learning_rate": 1e-2}),  # steps of lr·‖θ‖, as LAMB's
    "LARS": ("lars", {"learning_rate": 10.0}),  # trust coefficient 1e-3: steps of lr·1e-3·‖θ‖
    "noisy SGD": ("noisy_sgd", {"learning_rate": 1.5e-3}),  # SGD's rate, noise √(0.01/t^0.55)
    "NovoGrad": ("novograd", {"learning_rate": 1e-2}),  # g over its norm: steps about lr long
    "optimistic GD": ("optimistic_gradient_descent", {"learning_rate": 1e-3}),  # η(2g − g_prev)
    "optimistic Adam": ("optimistic_adam", {"learning_rate": 1e-2}),  # 0.05 overshoots likewise
    "Polyak SGD": ("polyak_sgd", {"f_min": 0.0}),  # no rate: γ = (f − f_min)/‖g‖², at most 1
    "RAdam": ("radam", {"learning_rate": 5e-2}),  # Adam's, on purpose: see the claims
    "Rprop": ("rprop", {"learning_rate": 1e-2}),  # its first step; ×1.2 or ×0.5 from then on
    "sign SGD": ("sign_sgd", {"learning_rate": 3e-3}),  # every coordinate moves lr each step
    "Signum": ("signum", {"learning_rate": 3e-3}),  # sign SGD of a momentum
    "SM3": ("sm3", {"learning_rate": 0.5}),  # sums of g² as Adagrad: Adagrad's rate
    "Yogi": ("yogi", {"learning_rate": 5e-2}),
    "AMSGrad": ("amsgrad", {"learning_rate": 5e-2}),
    "AdamaxW": ("adamaxw", {"learning_rate": 5e-2}),
    "NAdamW": ("nadamw", {"learning_rate": 5e-2}),
}
OPTIMIZERS = {**CLASSIC, **OTHERS}
DRAWN_OTHERS = ("sign SGD", "Rprop", "Polyak SGD", "RAdam", "AdaBelief", "Yogi")
NEAR = 0.05


def steps_to_minimum(path, minima):
    distance = np.min([np.linalg.norm(path - np.array(m), axis=1) for m in minima], axis=0)
    reached = np.nonzero(distance < NEAR)[0]
    return int(reached[0]) if len(reached) else None


def distance_to_minimum(point, minima):
    return float(np.min([np.linalg.norm(point - np.array(m)) for m in minima]))


def landscape_path(backend, name, hyper, landscape, steps, seed):
    """The optimizer's path; Polyak SGD is given f(θ), noisy SGD standard normal draws."""
    f, gradient, start, _, _ = LANDSCAPES[landscape]
    loss = f if name == "polyak_sgd" else None
    noise = None
    if name == "noisy_sgd":
        noise = np.random.default_rng(seed).standard_normal((steps, len(start)))
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging path is the table's news
        path = optimizer_path(backend, name, hyper, gradient, start, steps, loss, noise)
    return np.where(np.isfinite(path), path, np.nan)


def draw_landscape(ax, landscape, paths, title):
    f, _, _, minima, box = LANDSCAPES[landscape]
    gx, gy = np.meshgrid(np.linspace(box[0], box[1], 200), np.linspace(box[2], box[3], 200))
    surface = f(np.stack([gx, gy], -1))
    ax.contour(gx, gy, np.log1p(surface - surface.min()), levels=25, linewidths=0.4, colors="grey")
    for label, path in paths.items():
        ax.plot(*path.T, "-", linewidth=1, label=label)  # every step: RAdam leaves at once
    ax.plot(*np.array(minima).T, "k*", markersize=10)
    ax.set(title=title, xlim=box[:2], ylim=box[2:])
    ax.legend(fontsize=7)


def rate(hyper):
    """The table's learning rate; Polyak SGD computes its own."""
    return f"{hyper['learning_rate']:g}" if "learning_rate" in hyper else "(f − f_min)/‖g‖²"


def run(backend="tf", seed=0, fast=False, data=None):
    steps = 1500 if fast else 5000
    run_here = (
        {**CLASSIC, **{label: OTHERS[label] for label in DRAWN_OTHERS}} if fast else OPTIMIZERS
    )
    reached, final_f, final_distance, paths = {}, {}, {}, {}
    for landscape, (f, _, _, minima, _) in LANDSCAPES.items():
        for label, (name, hyper) in run_here.items():
            path = landscape_path(backend, name, hyper, landscape, steps, seed)
            paths[landscape, label] = path
            reached[landscape, label] = steps_to_minimum(np.nan_to_num(path, nan=1e9), minima)
            with np.errstate(over="ignore"):  # inf or NaN: diverged
                final_f[landscape, label] = float(f(path[-1]))
            final_distance[landscape, label] = distance_to_minimum(path[-1], minima)

    figure, axes = new_figure(3, rows=2, width=5.0)
    for row, (drawn, suffix) in enumerate(((tuple(CLASSIC), ""), (DRAWN_OTHERS, ", more"))):
        for ax, landscape in zip(axes[3 * row : 3 * row + 3], LANDSCAPES, strict=True):
            chosen = {label: paths[landscape, label] for label in drawn}
            draw_landscape(ax, landscape, chosen, landscape + suffix)

    rows = []
    for label, (_, hyper) in run_here.items():
        row = [label, rate(hyper)]
        for landscape in LANDSCAPES:
            found, value = reached[landscape, label], final_f[landscape, label]
            row.append(str(found) if found is not None else f"> {steps}")
            row.append(f"{value:.2e}" if np.isfinite(value) else "diverged")
        rows.append(row)

    def steps_on(landscape, label):
        found = reached[landscape, label]
        return found if found is not None else np.inf

    sign_rate = OTHERS["sign SGD"][1]["learning_rate"]
    claims = {
        "momentum reaches Rosenbrock's minimum in fewer steps than SGD": steps_on(
            "Rosenbrock", "momentum"
        )
        < steps_on("Rosenbrock", "SGD"),
        "Adam reaches Rosenbrock's minimum in fewer steps than SGD": steps_on("Rosenbrock", "Adam")
        < steps_on("Rosenbrock", "SGD"),
        "momentum reaches Rosenbrock's minimum": np.isfinite(steps_on("Rosenbrock", "momentum")),
        f"sign SGD moves each coordinate lr = {sign_rate:g} every step, so it ends more than "
        "lr/4 from the "
        "ill-conditioned bowl's minimum; Rprop, which halves a step whose sign flips, ends "
        "within lr/100": final_distance["ill-conditioned", "sign SGD"] > sign_rate / 4
        and final_distance["ill-conditioned", "Rprop"] < sign_rate / 100,
        "Polyak SGD (step (f − 0)/‖g‖²) reaches the minimum of Rosenbrock and of the bowl in "
        "fewer steps than SGD": all(
            steps_on(landscape, "Polyak SGD") < steps_on(landscape, "SGD")
            for landscape in ("Rosenbrock", "ill-conditioned")
        ),
        "Polyak SGD aims at f = f_min: on the saddle, whose minima have f = −0.25, f_min = 0 "
        "stops it at the saddle point, where f = 0": abs(final_f["saddle", "Polyak SGD"]) < 1e-3
        and np.linalg.norm(paths["saddle", "Polyak SGD"][-1]) < NEAR,
        "RAdam at Adam's rate diverges on Rosenbrock, where Adam reaches the minimum: its first "
        "steps (ρ_t ≤ 5) are momentum steps η·m̂ of Rosenbrock's large gradient, unscaled": (
            not np.isfinite(final_f["Rosenbrock", "RAdam"])
            and np.isfinite(steps_on("Rosenbrock", "Adam"))
        ),
    }
    return Result(
        "Optimizers on 2-D landscapes",
        ["optimizer", "lr"]
        + [column for name in LANDSCAPES for column in (f"{name}: steps to {NEAR}", "final f")],
        rows,
        claims,
        figure,
        {
            "steps": {f"{k[0]}/{k[1]}": v for k, v in reached.items()},
            "final f": {f"{k[0]}/{k[1]}": v for k, v in final_f.items()},
            "final distance": {f"{k[0]}/{k[1]}": v for k, v in final_distance.items()},
        },
    )
