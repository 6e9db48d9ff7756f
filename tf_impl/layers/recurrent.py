"""SimpleRNN, LSTM and GRU in TensorFlow; the equations are the oracle's, gradients from the tape.

The loop over time is a plain Python ``for``: eagerly it runs step by step, as the
oracle's loop does, and under ``tf.function`` it is unrolled into T copies of the step.
Why not ``tf.while_loop``: the sequence lengths here are static and short, the
unrolled loop reads line for line like the oracle and runs the same eagerly and in a
graph. The price is a graph that grows with T, and a retrace for every new length:
for an LSTM(128) over 50 steps, tracing took 18.7 s and XLA compiling 105 s, and a step
ran 1.6× slower than Keras's ``tf.while_loop`` LSTM and ``lax.scan``
(``jax_impl.layers.recurrent``), which compile one step (measured on a loaded machine,
docs/sequences.md §2). Where speed or long sequences matter, ``tf.while_loop`` (or
``tf.scan``) is the choice.
"""

import tensorflow as tf

from reference.layers.sequence_checks import given_initial_states


def _start(layer, params, x, initial_state, units, count):
    """The ``count`` initial states, checked; zeros when none is given."""
    features = params["kernel"].shape[0]
    states = given_initial_states(layer, x, features, initial_state, units, count)
    zeros = tf.zeros(tf.stack([tf.shape(x)[0], units]), x.dtype)
    return states or [zeros] * count


def _output(outputs, h, return_sequences):
    return tf.stack(outputs, axis=1) if return_sequences else h


def simple_rnn_forward(params, x, initial_state=None, return_sequences=False):
    """h_t = tanh(x_t W + h_{t−1} U + b)."""
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    (h,) = _start("SimpleRNN", params, x, initial_state, recurrent_kernel.shape[0], 1)
    outputs = []
    for t in range(x.shape[1]):
        h = tf.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        outputs.append(h)
    return _output(outputs, h, return_sequences)


def lstm_forward(params, x, initial_state=None, return_sequences=False):
    """z = x_t W + h U + b; [i, f, g, o] = [σ, σ, tanh, σ](z); c ← f c + i g; h = o tanh(c)."""
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    h, c = _start("LSTM", params, x, initial_state, recurrent_kernel.shape[0], 2)
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + bias
        i, f, g, o = tf.split(z, 4, axis=-1)
        i, f, g, o = tf.sigmoid(i), tf.sigmoid(f), tf.tanh(g), tf.sigmoid(o)
        c = f * c + i * g
        h = o * tf.tanh(c)
        outputs.append(h)
    return _output(outputs, h, return_sequences)


def gru_forward(params, x, initial_state=None, return_sequences=False):
    """reset_after=True: z, r from x̂ + ĥ; n = tanh(x̂_h + r ⊙ ĥ_h); h ← z h + (1 − z) n."""
    kernel, recurrent_kernel, bias = params["kernel"], params["recurrent_kernel"], params["bias"]
    (h,) = _start("GRU", params, x, initial_state, recurrent_kernel.shape[0], 1)
    outputs = []
    for t in range(x.shape[1]):
        x_z, x_r, x_h = tf.split(x[:, t] @ kernel + bias[0], 3, axis=-1)
        h_z, h_r, h_h = tf.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
        z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
        n = tf.tanh(x_h + r * h_h)
        h = z * h + (1 - z) * n
        outputs.append(h)
    return _output(outputs, h, return_sequences)
