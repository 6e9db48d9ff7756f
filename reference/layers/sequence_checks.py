"""Input checks of the sequence layers, shared by the three backends so they fail alike.

Each raises ``ValueError`` naming the layer, what it expected and what it was given.
Shapes are read with ``tuple(x.shape)``, so NumPy arrays, tf tensors and jax arrays
all pass through the same code (``None``, TensorFlow's unknown size, fits anything).
"""

from reference.layers.checks import describe


def _fits(given, expected):
    return len(given) == len(expected) and all(
        want is None or have is None or want == have
        for want, have in zip(expected, given, strict=True)
    )


def _sizes(shape):
    return tuple(None if n is None else int(n) for n in shape)


def check_sequence(layer, shape, features, batch=None, steps=None):
    """A sequence is (batch, time, features), with at least one time step; ``batch`` and
    ``steps``, when given, must match too (attention's value beside its query and key)."""
    given = _sizes(shape)
    if not _fits(given, (batch, steps, features)) or (len(given) == 3 and given[1] == 0):
        expected = (
            "any" if batch is None else batch,
            "time >= 1" if steps is None else steps,
            "any" if features is None else features,
        )
        raise ValueError(
            f"{layer}: expected a sequence of shape ({', '.join(map(str, expected))}), "
            f"got {describe(given)}."
        )


def check_initial_state(layer, states, batch, units):
    """Each initial state (h₀; LSTM: h₀ and c₀) is (batch, units)."""
    for state in states:
        given = _sizes(state.shape)
        if not _fits(given, (batch, units)):
            raise ValueError(
                f"{layer}: expected an initial state of shape {describe((batch, units))}, "
                f"got {describe(given)}."
            )


def given_initial_states(layer, x, features, initial_state, units, count):
    """Checks the sequence and the initial state; returns the ``count`` states as a list
    (SimpleRNN and GRU take h₀, the LSTM the pair (h₀, c₀)), or ``None`` when none is
    given and the backend starts from zeros."""
    check_sequence(layer, x.shape, features)
    if initial_state is None:
        return None
    states = [initial_state] if hasattr(initial_state, "shape") else list(initial_state)
    if len(states) != count:
        names = "h₀" if count == 1 else "h₀ and c₀"
        raise ValueError(
            f"{layer}: expected {count} initial state{'s' * (count > 1)} ({names}), "
            f"got {len(states)}."
        )
    check_initial_state(layer, states, x.shape[0], units)
    return states


def check_attention_mask(layer, shape, batch, queries, keys):
    """attention_mask is (batch, query time, key time): True where a query may look."""
    given = _sizes(shape)
    if not _fits(given, (batch, queries, keys)):
        raise ValueError(
            f"{layer}: expected an attention_mask of shape "
            f"{describe((batch, queries, keys))}, got {describe(given)}."
        )
