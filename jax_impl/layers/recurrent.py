"""SimpleRNN, LSTM and GRU in JAX with ``lax.scan``; the equations are the oracle's.

``lax.scan(step, carry, xs)`` runs ``carry, y_t = step(carry, x_t)`` over the leading
axis of ``xs``, so the sequence goes in time-major, (T, B, D). Under ``jax.jit`` the
step is compiled once, whatever T, and ``jax.grad`` of a scan is a scan backwards in
time: backpropagation through time, written by JAX.
"""

import jax.numpy as jnp
from jax import lax, nn

from reference.layers.sequence_checks import given_initial_states


def _start(layer, params, x, initial_state, units, count):
    """The ``count`` initial states, checked; zeros when none is given."""
    features = params["kernel"].shape[0]
    states = given_initial_states(layer, x, features, initial_state, units, count)
    return states or [jnp.zeros((x.shape[0], units), x.dtype)] * count


def _scan(step, carry, x, return_sequences):
    """Runs ``step`` over the time axis of x (B, T, D); returns h_T or every h_t."""
    (h, *_), hidden = lax.scan(step, carry, jnp.swapaxes(x, 0, 1))
    return jnp.swapaxes(hidden, 0, 1) if return_sequences else h


def simple_rnn_forward(params, x, initial_state=None, return_sequences=False):
    """h_t = tanh(x_t W + h_{t−1} U + b)."""
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    (h0,) = _start("SimpleRNN", params, x, initial_state, recurrent_kernel.shape[0], 1)

    def step(carry, x_t):
        (h,) = carry
        h = jnp.tanh(x_t @ kernel + h @ recurrent_kernel + bias)
        return (h,), h

    return _scan(step, (h0,), x, return_sequences)


def lstm_forward(params, x, initial_state=None, return_sequences=False):
    """z = x_t W + h U + b; [i, f, g, o] = [σ, σ, tanh, σ](z); c ← f c + i g; h = o tanh(c)."""
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    h0, c0 = _start("LSTM", params, x, initial_state, recurrent_kernel.shape[0], 2)

    def step(carry, x_t):
        h, c = carry
        z = x_t @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = jnp.split(z, 4, axis=-1)
        i, f, g, o = nn.sigmoid(i), nn.sigmoid(f), jnp.tanh(g), nn.sigmoid(o)
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), h

    return _scan(step, (h0, c0), x, return_sequences)


def gru_forward(params, x, initial_state=None, return_sequences=False):
    """reset_after=True: z, r from x̂ + ĥ; n = tanh(x̂_h + r ⊙ ĥ_h); h ← z h + (1 − z) n."""
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    (h0,) = _start("GRU", params, x, initial_state, recurrent_kernel.shape[0], 1)

    def step(carry, x_t):
        (h,) = carry
        x_z, x_r, x_h = jnp.split(x_t @ kernel + bias[0], 3, axis=-1)
        h_z, h_r, h_h = jnp.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
        z, r = nn.sigmoid(x_z + h_z), nn.sigmoid(x_r + h_r)
        n = jnp.tanh(x_h + r * h_h)
        h = z * h + (1 - z) * n
        return (h,), h

    return _scan(step, (h0,), x, return_sequences)
