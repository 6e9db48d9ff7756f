"""``gdkit bench --breakdown``: the parts compute what they say, and the table subtracts right."""

import numpy as np
import pytest

from bench import parts, report
from bench.steps import Case, data, weights
from reference import losses, mlp


@pytest.mark.parametrize("mode", parts.MODES)
@pytest.mark.parametrize("part", parts.PARTS)
def test_a_part_returns_the_loss_of_its_last_batch(mode, part):
    """No update in a part: its loss is the oracle's loss on the last batch at the start weights."""
    case = Case(mode, "cpu", "sgd", batch_size=4, hidden=8, steps_per_call=3)
    x, y = data(case)
    expected, _ = losses.softmax_cross_entropy(mlp.forward(weights(case), x[-1]), y[-1])
    run = parts.build(case, part)
    for _ in range(2):  # a second call starts from the same weights: nothing was updated
        np.testing.assert_allclose(float(run.run()), expected, rtol=1e-5)  # float32 sums
    assert run.trace_count() == (0 if mode in ("numpy", "tf-eager") else 1)


def test_paired_seconds_times_every_part_and_the_step():
    case = Case("numpy", "cpu", "sgd", batch_size=4, hidden=8, steps_per_call=2)
    calls = []
    seconds = parts.paired_seconds(case, lambda: calls.append(1), rounds=3)
    assert set(seconds) == {"forward", "gradients", "step"}
    assert len(calls) == 2 + 3  # two warm-up calls, then one per round
    assert all(value > 0 for value in seconds.values())


def _row(step_us, forward_us, gradients_us, peak_share=0.6):
    seconds = {"forward": forward_us, "gradients": gradients_us, "step": step_us}
    return {
        "mode": "jax-jit",
        "optimizer": "adam",
        "device": "cpu",
        "batch_size": 32,
        "hidden": 64,
        "steps_per_call": 16,
        "us": 100.0,
        "peak_share": peak_share,
        "breakdown": {name: value * 1e-6 for name, value in seconds.items()},
    }


def test_breakdown_subtracts_the_parts_from_the_step():
    table = report.breakdown_table([_row(step_us=110, forward_us=30, gradients_us=70)])
    cells = [column._cells[0] for column in table.columns]
    # forward 30, backward 70 − 30, update 110 − 70; limit = 100 µs at 60% of peak
    assert cells[6:] == ["30", "40", "40", "110", "60", "1.8×"]


def test_no_breakdown_table_without_breakdown_timings():
    row = _row(110, 30, 70)
    row["breakdown"] = None
    assert report.breakdown_table([row]) is None
