"""Running ``tf_impl`` on the shared cases, and putting it in the oracle's state."""

import numpy as np

from bench.cases import CASES
from bench.trajectories import tf_start


def tf_setup(case_id, dtype, mode):
    """``(step, x, y)`` for a case: a tf_impl step at the oracle's starting point."""
    return tf_start(CASES[case_id], np.dtype(dtype).name, mode)


def set_state(step, oracle_params, oracle_state):
    """Assign the oracle's weights, slots and step count to the step's variables."""
    for name, variable in step.params.items():
        variable.assign(oracle_params[name])
        for slot, value in oracle_state["slots"][name].items():
            step.state["slots"][name][slot].assign(value)
    step.state["step"].assign(oracle_state["step"])
