"""The step table's speed-ups: each row against eager and NumPy at the same K when they ran."""

import pytest

from bench import report


def _bench(mode, median_s, steps_per_call):
    info = {
        "mode": mode,
        "device": "cpu",
        "optimizer": "adam",
        "batch_size": 32,
        "sizes": [784, 64, 10],
        "steps_per_call": steps_per_call,
        "replicas": 1,
        "flops_per_step": 6_000_000,
        "peak_gflops": 100.0,
        "trace_count": 1,
        "first_call_s": 0.1,
    }
    return {"name": f"{mode}-k{steps_per_call}", "stats": {"median": median_s}, "extra_info": info}


def _rows(*benches):
    rows = report.step_rows({"benchmarks": list(benches)})
    return {(row["mode"], row["steps_per_call"]): row for row in rows}


def test_speed_ups_use_the_same_k():
    rows = _rows(
        _bench("tf-eager", 4000e-6, 1),
        _bench("tf-eager", 16 * 5000e-6, 16),  # 5000 µs per step
        _bench("numpy", 200e-6, 1),
        _bench("numpy", 16 * 250e-6, 16),
        _bench("tf-function", 16 * 100e-6, 16),
    )
    row = rows["tf-function", 16]
    assert row["us"] == pytest.approx(100)
    assert row["vs_eager"] == pytest.approx(50)  # 5000 / 100, not 4000 / 100
    assert row["vs_numpy"] == pytest.approx(2.5)
    assert row["peak_share"] == pytest.approx(0.6)  # 6 MFLOP in 100 µs at 100 GFLOP/s


def test_speed_ups_fall_back_to_one_step_per_call():
    rows = _rows(
        _bench("tf-eager", 4000e-6, 1),
        _bench("numpy", 200e-6, 1),
        _bench("tf-xla", 16 * 80e-6, 16),
        _bench("jax-jit", 16 * 80e-6, 16),
    )
    assert rows["tf-xla", 16]["vs_eager"] == pytest.approx(50)
    assert rows["tf-xla", 16]["vs_numpy"] == pytest.approx(2.5)
    assert rows["jax-jit", 16]["vs_eager"] is None  # eager is TensorFlow's
