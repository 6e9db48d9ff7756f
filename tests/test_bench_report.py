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


def _step(mode, backend, device, us_per_step, framework_peak, precision="float32"):
    info = {
        "mode": mode,
        "backend": backend,
        "device": device,
        "optimizer": "adam",
        "batch_size": 1024,
        "sizes": [784, 4096, 10],
        "steps_per_call": 1,
        "replicas": 1,
        "flops_per_step": 1e9,
        "gflops": 1e9 / (us_per_step * 1e-6) / 1e9,
        "framework_peak_gflops": framework_peak,
        "peak_gflops": framework_peak,  # what a case writes before the session's peaks are known
        "peak_share": 1e9 / (us_per_step * 1e-6) / 1e9 / framework_peak,
        "matmul_precision": precision,
        "trace_count": 1,
        "first_call_s": 0.1,
    }
    name = f"{mode}-{device}"
    return {"name": name, "stats": {"median": us_per_step * 1e-6}, "extra_info": info}


def test_percent_peak_divides_every_row_by_the_same_device_peak():
    # The numbers: NumPy 143 GFLOP/s against its own 172, tf.function 181 against 210.
    benches = [
        _step("numpy", "numpy", "cpu", 1e6 / 143, 172.0),
        _step("tf-function", "tensorflow", "cpu", 1e6 / 181, 210.0),
    ]
    rows = {row["mode"]: row for row in report.step_rows({"benchmarks": benches})}
    assert rows["numpy"]["peak_share"] == pytest.approx(143 / 210)
    assert rows["tf-function"]["peak_share"] == pytest.approx(181 / 210)
    assert rows["numpy"]["peak_from"] == "tensorflow"
    caption = report.step_caption(list(rows.values()))
    assert "cpu 210 GFLOP/s (tensorflow)" in caption
    assert "Every matmul in full float32" in caption


def test_the_json_names_the_peak_each_share_divides_by():
    benches = [
        _step("numpy", "numpy", "cpu", 1e6 / 143, 172.0),
        _step("tf-function", "tensorflow", "cpu", 1e6 / 181, 210.0),
        _step("jax-jit", "jax", "gpu", 1e6 / 9000, 40000.0, precision="tf32"),
    ]
    report.apply_device_peaks(benches)
    numpy_info, tf_info, gpu_info = (bench["extra_info"] for bench in benches)
    assert (numpy_info["peak_gflops"], numpy_info["peak_from"]) == (210.0, "tensorflow")
    assert numpy_info["framework_peak_gflops"] == 172.0  # its own stays, under its own name
    assert numpy_info["peak_share"] == pytest.approx(143 / 210)
    assert tf_info["peak_share"] == pytest.approx(181 / 210)
    assert (gpu_info["peak_gflops"], gpu_info["peak_from"]) == (40000.0, "jax")
    report.apply_device_peaks(benches)  # idempotent: the own peak is kept apart
    assert numpy_info["peak_gflops"] == 210.0
