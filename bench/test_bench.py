"""The benchmark cases: one whole training step per case, timed by pytest-benchmark.

Run through ``gdkit bench``, or directly: ``pytest bench/test_bench.py`` with any of
pytest-benchmark's own options (``--benchmark-json``, ``--benchmark-compare``, ...).
"""

import statistics
import time

from bench import backends, machine, parts, steps
from bench.steps import build

# A case whose canary (a small fixed matmul) moved by more than this is re-run.
NOISE_LIMIT = 0.15


def _timed_rounds(run, rounds):
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return samples


def _moved(before, after):
    return abs(after / before - 1) > NOISE_LIMIT


def test_train_step(benchmark, case, bench_config, peaks):
    started = time.perf_counter()
    step = build(case)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    step.run()  # the first call traces and compiles: timed here, never in the rounds
    first_call_s = time.perf_counter() - started
    for _ in range(bench_config.warmup_rounds):
        step.run()

    canary_before = machine.canary()
    benchmark.pedantic(step.run, rounds=bench_config.rounds, iterations=1, warmup_rounds=0)
    if benchmark.disabled:  # --benchmark-disable: the case ran once, as a smoke test
        return
    canary_after = machine.canary()
    info = benchmark.extra_info
    info["noisy"] = _moved(canary_before, canary_after)
    if info["noisy"]:  # re-run once on our own clock, to see whether the noise has passed
        rerun_before = machine.canary()
        rerun = _timed_rounds(step.run, bench_config.rounds)
        info["rerun_median_s"] = statistics.median(rerun)
        info["noisy"] = _moved(rerun_before, machine.canary())
    if bench_config.breakdown and case.backend_mode in parts.MODES:
        info["breakdown_s"] = parts.paired_seconds(case, step.run, bench_config.rounds)

    framework = backends.FRAMEWORK[case.backend_mode]
    flops = case.flops_per_step
    framework_peak = peaks(framework, case.device)
    per_call = info.get("rerun_median_s") or benchmark.stats.stats.median
    gflops = flops / (per_call / case.steps_per_call) / 1e9
    info.update(
        backend=framework,
        mode=case.backend_mode,
        device=case.device,
        optimizer=case.optimizer,
        batch_size=case.batch_size,
        sizes=list(case.sizes),
        model=case.model,
        blas_threads=steps.NUMPY_BLAS_THREADS if case.backend_mode == "numpy" else None,
        steps_per_call=case.steps_per_call,
        replicas=case.replicas,
        flops_per_step=flops,
        gflops=gflops,
        framework_peak_gflops=framework_peak,
        # the device's peak replaces these once every case has run (conftest.py)
        peak_gflops=framework_peak,
        peak_from=framework,
        peak_share=gflops / framework_peak,
        matmul_precision=machine.float32_matmul_precision(framework, case.device),
        trace_count=step.trace_count(),
        build_s=build_s,
        first_call_s=first_call_s,
        canary_before_s=canary_before,
        canary_after_s=canary_after,
    )
