"""SimpleRNN, LSTM and GRU with Keras's defaults, and backpropagation through time by hand.

The contract is the other layers':

    y, cache = lstm_forward(params, x, initial_state=None, return_sequences=False)
    dx, grads = lstm_backward(dy, cache)

``x`` is (batch B, time T, features D); ``y`` is the last hidden state h_T (B, U) or,
with ``return_sequences``, every h_t (B, T, U). ``initial_state`` is h₀ (B, U) (for
the LSTM the pair (h₀, c₀)); without it the state starts at zero. When it is given,
``dx`` is the pair ``(dx, d_initial_state)``, the latter shaped like the initial state.

Weights are Keras's: ``kernel`` (D, kU), ``recurrent_kernel`` (U, kU) and ``bias``,
with the k gate blocks side by side in the columns (LSTM [i, f, c, o], GRU [z, r, h]).

Backpropagation through time (the same skeleton in the three backwards): the forward
runs h_t = step(x_t, h_{t−1}) for t = 1…T, so h_{t−1} reaches the loss twice — through
its own output y_{t−1} (with ``return_sequences``) and through h_t. Walking t = T…1,

    dh_t   = dy_t + (dh_t arriving from step t+1)            (dh_{T+1} = 0)
    dW    += x_tᵀ da_t,  dU += h_{t−1}ᵀ da_t,  db += Σ_batch da_t
    dx_t   = da_t Wᵀ,    dh_{t−1} (to step t−1) = da_t Uᵀ [+ the direct path, LSTM / GRU]

where da_t is the gradient of the step's pre-activations. The weights are shared by
every step, so their gradients are sums over time. dh_{t−1} = da_t Uᵀ multiplies the
gradient by Uᵀ and by the activation's derivative once per step: over many steps it
grows or dies geometrically — exploding and vanishing gradients through time.
"""

import numpy as np

from reference.layers.sequence_checks import given_initial_states


def orthogonal(rng, shape):
    """Keras's recurrent_kernel initialiser: a matrix with orthonormal rows (U ≤ kU), the Q of
    the QR factorisation of a standard normal draw, signs fixed by diag(R). A product of
    such matrices neither grows nor shrinks a vector, so at initialisation the gradient
    through U alone neither explodes nor vanishes."""
    rows, columns = shape
    draw = rng.standard_normal((max(rows, columns), min(rows, columns)))
    q, r = np.linalg.qr(draw)
    q = q * np.sign(np.diag(r))
    return q.T if rows < columns else q


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _start(layer, params, x, initial_state, units, count):
    """The ``count`` initial states, checked; zeros when none is given."""
    features = params["kernel"].shape[0]
    states = given_initial_states(layer, x, features, initial_state, units, count)
    return states or [np.zeros((x.shape[0], units), x.dtype) for _ in range(count)]


def _output(hidden, return_sequences):
    """hidden holds h_0 … h_T along axis 1; the layer returns h_1 … h_T or h_T."""
    return hidden[:, 1:] if return_sequences else hidden[:, -1]


def _upstream(dy, shape, return_sequences):
    """dy spread over the steps: every dy_t, or dy_T alone at the last step."""
    if return_sequences:
        return dy
    per_step = np.zeros(shape, dy.dtype)
    per_step[:, -1] = dy
    return per_step


def _finish(dx, d_initial, given_initial_state):
    return (dx, d_initial) if given_initial_state else dx


def simple_rnn_forward(params, x, initial_state=None, return_sequences=False):
    """h_t = tanh(a_t),  a_t = x_t W + h_{t−1} U + b,  for t = 1…T."""
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    units = recurrent_kernel.shape[0]
    (h0,) = _start("SimpleRNN", params, x, initial_state, units, 1)
    batch, steps, _ = x.shape
    hidden = np.zeros((batch, steps + 1, units), np.result_type(x, kernel))
    hidden[:, 0] = h0
    for t in range(steps):
        hidden[:, t + 1] = np.tanh(x[:, t] @ kernel + hidden[:, t] @ recurrent_kernel + bias)
    cache = (x, hidden, kernel, recurrent_kernel, return_sequences, initial_state is not None)
    return _output(hidden, return_sequences), cache


def simple_rnn_backward(dy, cache):
    """da_t = dh_t ⊙ (1 − h_t²) (tanh' = 1 − tanh²), then the skeleton of the module:
    dh_{t−1} = da_t Uᵀ."""
    x, hidden, kernel, recurrent_kernel, return_sequences, given_initial_state = cache
    steps = x.shape[1]
    dy = _upstream(dy, hidden[:, 1:].shape, return_sequences)
    dx = np.zeros_like(x)
    d_kernel, d_recurrent = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    d_bias = np.zeros(kernel.shape[1], dy.dtype)
    dh_next = np.zeros_like(hidden[:, 0])
    for t in reversed(range(steps)):
        dh = dy[:, t] + dh_next
        da = dh * (1 - hidden[:, t + 1] ** 2)
        d_kernel += x[:, t].T @ da
        d_recurrent += hidden[:, t].T @ da
        d_bias += da.sum(axis=0)
        dx[:, t] = da @ kernel.T
        dh_next = da @ recurrent_kernel.T
    grads = {"kernel": d_kernel, "recurrent_kernel": d_recurrent, "bias": d_bias}
    return _finish(dx, dh_next, given_initial_state), grads


def lstm_forward(params, x, initial_state=None, return_sequences=False):
    """Keras's LSTM (gate blocks [i, f, c, o], sigmoid gates, tanh):

    z_t = x_t W + h_{t−1} U + b
    i = σ(z_i),  f = σ(z_f),  g = tanh(z_c),  o = σ(z_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g
    h_t = o ⊙ tanh(c_t)

    ``initial_state`` is the pair (h₀, c₀). Keras starts the f block of the bias at 1
    (``unit_forget_bias``); that is an initial value, not part of the forward.
    """
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    units = recurrent_kernel.shape[0]
    h0, c0 = _start("LSTM", params, x, initial_state, units, 2)
    batch, steps, _ = x.shape
    dtype = np.result_type(x, kernel)
    hidden = np.zeros((batch, steps + 1, units), dtype)
    cell = np.zeros((batch, steps + 1, units), dtype)
    gates = np.zeros((batch, steps, 4 * units), dtype)  # i, f, g, o after their activations
    hidden[:, 0], cell[:, 0] = h0, c0
    for t in range(steps):
        z = x[:, t] @ kernel + hidden[:, t] @ recurrent_kernel + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        cell[:, t + 1] = f * cell[:, t] + i * g
        hidden[:, t + 1] = o * np.tanh(cell[:, t + 1])
        gates[:, t] = np.concatenate([i, f, g, o], axis=-1)
    cache = (
        x,
        hidden,
        cell,
        gates,
        kernel,
        recurrent_kernel,
        return_sequences,
        initial_state is not None,
    )
    return _output(hidden, return_sequences), cache


def lstm_backward(dy, cache):
    """Two states carry gradient back: h through U, and c directly (the "constant error
    carousel": ∂c_t/∂c_{t−1} = f, no matrix, no squashing). Per step, with
    dh = dy_t + dh_next and τ = tanh(c_t):

        dc   = dc_next + dh ⊙ o ⊙ (1 − τ²)
        do   = dh ⊙ τ,       di = dc ⊙ g,   dg = dc ⊙ i,   df = dc ⊙ c_{t−1}
        dz   = [di ⊙ i(1−i), df ⊙ f(1−f), dg ⊙ (1−g²), do ⊙ o(1−o)]   (σ' = σ(1−σ))
        dc_next = dc ⊙ f,    dh_next = dz Uᵀ
    """
    x, hidden, cell, gates, kernel, recurrent_kernel, return_sequences, given_initial = cache
    steps = x.shape[1]
    dy = _upstream(dy, hidden[:, 1:].shape, return_sequences)
    dx = np.zeros_like(x)
    d_kernel, d_recurrent = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    d_bias = np.zeros(kernel.shape[1], dy.dtype)
    dh_next, dc_next = np.zeros_like(hidden[:, 0]), np.zeros_like(cell[:, 0])
    for t in reversed(range(steps)):
        i, f, g, o = np.split(gates[:, t], 4, axis=-1)
        tanh_c = np.tanh(cell[:, t + 1])
        dh = dy[:, t] + dh_next
        dc = dc_next + dh * o * (1 - tanh_c**2)
        di, df, dg, do = dc * g, dc * cell[:, t], dc * i, dh * tanh_c
        dz = np.concatenate(
            [di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)], axis=-1
        )
        d_kernel += x[:, t].T @ dz
        d_recurrent += hidden[:, t].T @ dz
        d_bias += dz.sum(axis=0)
        dx[:, t] = dz @ kernel.T
        dh_next, dc_next = dz @ recurrent_kernel.T, dc * f
    grads = {"kernel": d_kernel, "recurrent_kernel": d_recurrent, "bias": d_bias}
    return _finish(dx, (dh_next, dc_next), given_initial), grads


def gru_forward(params, x, initial_state=None, return_sequences=False):
    """Keras's GRU with ``reset_after=True`` (its default; gate blocks [z, r, h]). The bias
    is (2, 3U): row 0 b_x is added to the input part, row 1 b_h to the recurrent part,
    and the candidate's recurrent part, bias included, sits inside the reset product:

    x̂ = x_t W + b_x,   ĥ = h_{t−1} U + b_h                 (each split into z, r, h blocks)
    z = σ(x̂_z + ĥ_z),  r = σ(x̂_r + ĥ_r)
    n = tanh(x̂_h + r ⊙ ĥ_h)
    h_t = z ⊙ h_{t−1} + (1 − z) ⊙ n          (z keeps the old state; torch's formula too)
    """
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    units = recurrent_kernel.shape[0]
    (h0,) = _start("GRU", params, x, initial_state, units, 1)
    batch, steps, _ = x.shape
    dtype = np.result_type(x, kernel)
    hidden = np.zeros((batch, steps + 1, units), dtype)
    gates = np.zeros((batch, steps, 3 * units), dtype)  # z, r, n
    recurrent_candidate = np.zeros((batch, steps, units), dtype)  # ĥ_h, needed for dr
    hidden[:, 0] = h0
    for t in range(steps):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + bias[0], 3, axis=-1)
        h_z, h_r, h_h = np.split(hidden[:, t] @ recurrent_kernel + bias[1], 3, axis=-1)
        z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
        n = np.tanh(x_h + r * h_h)
        hidden[:, t + 1] = z * hidden[:, t] + (1 - z) * n
        gates[:, t] = np.concatenate([z, r, n], axis=-1)
        recurrent_candidate[:, t] = h_h
    cache = (
        x,
        hidden,
        gates,
        recurrent_candidate,
        kernel,
        recurrent_kernel,
        return_sequences,
        initial_state is not None,
    )
    return _output(hidden, return_sequences), cache


def gru_backward(dy, cache):
    """With dh = dy_t + dh_next and a = x̂_h + r ⊙ ĥ_h the candidate's pre-activation:

    dz = dh ⊙ (h_{t−1} − n),   dn = dh ⊙ (1 − z),   da = dn ⊙ (1 − n²)
    dr = da ⊙ ĥ_h
    dx̂ = [dz ⊙ z(1−z), dr ⊙ r(1−r), da]          (the input part's gradient)
    dĥ = [dz ⊙ z(1−z), dr ⊙ r(1−r), da ⊙ r]      (r scales only ĥ_h)
    dW += x_tᵀ dx̂,  db_x += Σ dx̂,  dU += h_{t−1}ᵀ dĥ,  db_h += Σ dĥ
    dh_next = dh ⊙ z + dĥ Uᵀ                      (the direct path, then through U)
    """
    x, hidden, gates, recurrent_candidate, kernel, recurrent_kernel, return_sequences, given = cache
    steps = x.shape[1]
    dy = _upstream(dy, hidden[:, 1:].shape, return_sequences)
    dx = np.zeros_like(x)
    d_kernel, d_recurrent = np.zeros_like(kernel), np.zeros_like(recurrent_kernel)
    d_bias = np.zeros((2, kernel.shape[1]), dy.dtype)
    dh_next = np.zeros_like(hidden[:, 0])
    for t in reversed(range(steps)):
        z, r, n = np.split(gates[:, t], 3, axis=-1)
        dh = dy[:, t] + dh_next
        dz = dh * (hidden[:, t] - n) * z * (1 - z)
        da = dh * (1 - z) * (1 - n**2)
        dr = da * recurrent_candidate[:, t] * r * (1 - r)
        d_input = np.concatenate([dz, dr, da], axis=-1)
        d_recurrent_part = np.concatenate([dz, dr, da * r], axis=-1)
        d_kernel += x[:, t].T @ d_input
        d_recurrent += hidden[:, t].T @ d_recurrent_part
        d_bias[0] += d_input.sum(axis=0)
        d_bias[1] += d_recurrent_part.sum(axis=0)
        dx[:, t] = d_input @ kernel.T
        dh_next = dh * z + d_recurrent_part @ recurrent_kernel.T
    grads = {"kernel": d_kernel, "recurrent_kernel": d_recurrent, "bias": d_bias}
    return _finish(dx, dh_next, given), grads
