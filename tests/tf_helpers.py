"""Running ``tf_impl`` on the shared cases, and putting it in the oracle's state."""

import numpy as np

from bench.equivalence import case, tf_start


def tf_setup(case_id, dtype, mode):
    """``(params, state, step, x, y)`` for a case: tf_impl at the oracle's starting point."""
    _, name, hyper, _ = case(case_id)
    return tf_start(name, hyper, np.dtype(dtype).name, mode)


def set_state(params, state, oracle_params, oracle_state):
    """Assign the oracle's weights, slots and step count to tf_impl's variables."""
    for name, variable in params.items():
        variable.assign(oracle_params[name])
        for slot, value in oracle_state["slots"][name].items():
            state["slots"][name][slot].assign(value)
    state["step"].assign(oracle_state["step"])


def numpy_params(params):
    return {name: np.array(v.numpy()) for name, v in params.items()}
