"""``gdkit bench --breakdown``: the parts compute what they say, and the table subtracts right."""

import numpy as np
import pytest

from bench import parts, report
from bench.steps import Case, Step, data, weights
from reference import losses, mlp


@pytest.mark.parametrize("mode", parts.MODES)
@pytest.mark.parametrize("part", parts.PARTS)
def test_a_part_computes_on_its_last_batch(mode, part):
    """No update in a part: its loss is the oracle's loss on the last batch at the start weights;
    the empty part returns the last batch's first input, the matmuls part its first logit
    without the activation."""
    case = Case(mode, "cpu", "sgd", batch_size=4, hidden=8, steps_per_call=3)
    x, y = data(case)
    params = weights(case)
    expected = {
        "empty": x[-1][0, 0],
        "forward": losses.softmax_cross_entropy(mlp.forward(params, x[-1]), y[-1])[0],
        "gradients": losses.softmax_cross_entropy(mlp.forward(params, x[-1]), y[-1])[0],
        "matmuls": (x[-1] @ params["dense_0/kernel"] @ params["dense_1/kernel"])[0, 0],
    }[part]
    run = parts.build(case, part)
    for _ in range(2):  # a second call starts from the same weights: nothing was updated
        np.testing.assert_allclose(float(run.run()), expected, rtol=1e-5)  # float32 sums
    assert run.trace_count() == (0 if mode in ("numpy", "tf-eager") else 1)


@pytest.mark.parametrize("part", parts.PARTS)
def test_tf_parts_run_their_iterations_one_after_another(part):
    """A step's loop cannot overlap iterations (each waits for the last update); a part's
    loop must not either, or its time per step comes out too small."""
    import tensorflow as tf

    case = Case("tf-function", "cpu", "sgd", batch_size=4, hidden=8, steps_per_call=3)
    step = parts.build(case, part)
    x, y = (tf.constant(array) for array in data(case))
    graph = step.compiled.get_concrete_function(x, y).graph
    loops = [op for op in graph.get_operations() if op.type in ("While", "StatelessWhile")]
    assert [loop.get_attr("parallel_iterations") for loop in loops] == [1]


def test_paired_seconds_takes_differences_within_each_round(monkeypatch):
    """empty 5, forward 30, gradients 70, matmuls 25, step 100 µs per step; round 2 runs at
    half speed."""
    warm_up = [0] * 10  # two calls of each of the five
    rounds = [5, 30, 70, 25, 100, 10, 60, 140, 50, 200, 5, 30, 70, 25, 100]
    per_step = iter([*warm_up, *rounds])
    clock = {"now": 0.0}
    monkeypatch.setattr(parts.time, "perf_counter", lambda: clock["now"])

    def call():
        clock["now"] += 2 * next(per_step) * 1e-6  # K = 2 steps per call

    monkeypatch.setattr(parts, "build", lambda case, part: Step(call))
    case = Case("numpy", "cpu", "sgd", batch_size=4, hidden=8, steps_per_call=2)
    seconds = parts.paired_seconds(case, call, rounds=3)
    microseconds = {name: round(value * 1e6, 6) for name, value in seconds.items()}
    # Medians of per-round differences: update is 30 (rounds 1, 3) and 60 (round 2) -> 30.
    assert microseconds == {
        "overhead": 5,
        "forward": 25,
        "backward": 40,
        "update": 30,
        "step": 100,
        "matmuls": 20,
    }


def _row(step_us, forward_us, backward_us, update_us, peak_share=0.6):
    us = {"forward": forward_us, "backward": backward_us, "update": update_us, "step": step_us}
    us["overhead"], us["matmuls"] = 4, 50
    return {
        "mode": "jax-jit",
        "optimizer": "adam",
        "model": "mlp",
        "device": "cpu",
        "batch_size": 32,
        "hidden": 64,
        "steps_per_call": 16,
        "replicas": 1,
        "us": 100.0,
        "peak_share": peak_share,
        "breakdown": {name: value * 1e-6 for name, value in us.items()},
    }


def test_breakdown_table_shows_the_parts_and_the_limit():
    table = report.breakdown_table([_row(110, 30, 40, 40), _row(90, 30, 62, -2)])
    first, second = ([column._cells[i] for column in table.columns] for i in (0, 1))
    # limit = 100 µs at 60% of peak = 60 µs
    assert first[6:] == ["4", "30", "40", "40", "110", "50", "60", "1.8×"]
    assert second[6:] == ["4", "30", "62", "≈0", "90", "50", "60", "1.5×"]  # negative: noise


def test_no_breakdown_table_without_breakdown_timings():
    row = _row(110, 30, 40, 40)
    row["breakdown"] = None
    assert report.breakdown_table([row]) is None
