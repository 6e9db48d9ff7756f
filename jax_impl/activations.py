"""Hidden-layer activations; ``jax.grad`` differentiates them, so no backward here."""

import jax
import jax.numpy as jnp

from reference.errors import check_choice

ACTIVATIONS = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "linear": lambda z: z,
}
NAMES = tuple(ACTIVATIONS)


def get(name):
    check_choice("activation", name, NAMES)
    return ACTIVATIONS[name]
