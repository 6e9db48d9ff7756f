"""Tables from pytest-benchmark's JSON: the step table, the update table, comparisons."""

import json
import statistics
from collections import defaultdict

from rich.table import Table

from bench.backends import DATA_PARALLEL
from bench.steps import MODELS
from bench.updates import KERAS_NAMES


class ReportError(ValueError):
    """A benchmark JSON file that cannot be read as one."""


def load(path):
    try:
        with open(path) as handle:
            data = json.load(handle)
    except OSError as error:
        raise ReportError(f"cannot read {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise ReportError(f"{path} is not JSON: {error.msg} at line {error.lineno}") from error
    except UnicodeDecodeError as error:
        raise ReportError(f"{path} is not JSON: not UTF-8 text") from error
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ReportError(f"{path} is not pytest-benchmark JSON (no 'benchmarks' list)")
    for index, bench in enumerate(data["benchmarks"]):
        stats = bench.get("stats") if isinstance(bench, dict) else None
        median = stats.get("median") if isinstance(stats, dict) else None
        if not isinstance(bench, dict) or not isinstance(bench.get("name"), str):
            raise ReportError(f"{path}: benchmarks[{index}] has no 'name'")
        if not isinstance(median, (int, float)) or not median > 0:
            raise ReportError(
                f"{path}: benchmarks[{index}] ({bench['name']}) has no positive 'stats'/'median'"
            )
    return data


def seconds_per_step(bench):
    """Median seconds per training step; the re-run's when the first run was noisy."""
    info = bench["extra_info"]
    per_call = info.get("rerun_median_s") or bench["stats"]["median"]
    return per_call / info.get("steps_per_call", 1)


def device_peaks(benchmarks):
    """``{device: (GFLOP/s, framework)}``: the best float32 matmul measured on each device
    by any backend timed in the run, the one denominator of every ``%peak`` on that device.
    """
    peaks = {}
    for bench in benchmarks:
        info = bench.get("extra_info", {})
        if "flops_per_step" not in info:
            continue
        own = info.get("framework_peak_gflops", info["peak_gflops"])  # older files: own peak
        if own > peaks.get(info["device"], (0.0, None))[0]:
            peaks[info["device"]] = (own, info.get("backend", info["mode"]))
    return peaks


def apply_device_peaks(benchmarks):
    """Rewrite each step case's ``peak_gflops``, ``peak_from`` and ``peak_share`` in place
    with its device's peak (``device_peaks``); the case's own is ``framework_peak_gflops``."""
    peaks = device_peaks(benchmarks)
    for bench in benchmarks:
        info = bench.get("extra_info", {})
        if "flops_per_step" in info:
            info["peak_gflops"], info["peak_from"] = peaks[info["device"]]
            info["peak_share"] = info["gflops"] / info["peak_gflops"]


def step_rows(data):
    """One dict per training-step case, with its speed-ups worked out."""
    rows = []
    peaks = device_peaks(data["benchmarks"])
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if "flops_per_step" not in info:
            continue
        seconds = seconds_per_step(bench)
        gflops = info["flops_per_step"] / seconds / 1e9
        peak_gflops, peak_from = peaks[info["device"]]
        rows.append(
            {
                "name": bench["name"],
                "mode": info["mode"],
                "device": info["device"],
                "optimizer": info["optimizer"],
                "batch_size": info["batch_size"],
                "model": info.get("model", "mlp"),
                "hidden": info["sizes"][1] if info.get("model", "mlp") == "mlp" else 0,
                "steps_per_call": info["steps_per_call"],
                "replicas": info.get("replicas", 1),
                "us": seconds * 1e6,
                "steps_per_s": 1 / seconds,
                "gflops": gflops,
                "peak_gflops": peak_gflops,
                "peak_from": peak_from,
                "peak_share": gflops / peak_gflops,
                "precision": info.get("matmul_precision", "float32"),
                "blas_threads": info.get("blas_threads"),
                "trace_count": info["trace_count"],
                "first_call_ms": info["first_call_s"] * 1e3,
                "noisy": info.get("noisy", False),
                "breakdown": info.get("breakdown_s"),
            }
        )
    key_fields = (
        "mode",
        "device",
        "optimizer",
        "model",
        "batch_size",
        "hidden",
        "steps_per_call",
        "replicas",
    )
    by_key = {tuple(r[k] for k in key_fields): r for r in rows}
    for row in rows:
        key = (row["optimizer"], row["model"], row["batch_size"], row["hidden"])
        same_k = row["steps_per_call"]  # against the same K when it ran, else K = 1
        eager = by_key.get(("tf-eager", row["device"], *key, same_k, 1)) or by_key.get(
            ("tf-eager", row["device"], *key, 1, 1)
        )
        numpy = by_key.get(("numpy", "cpu", *key, same_k, 1)) or by_key.get(
            ("numpy", "cpu", *key, 1, 1)
        )
        cpu = by_key.get((row["mode"], "cpu", *key, row["steps_per_call"], row["replicas"]))
        single_device = row["replicas"] == 1 and row["mode"] not in DATA_PARALLEL
        compiled_tf = row["mode"].startswith(("tf", "keras")) and single_device
        row["vs_eager"] = eager["us"] / row["us"] if eager and compiled_tf else None
        row["vs_numpy"] = numpy["us"] / row["us"] if numpy and single_device else None
        row["gpu_vs_cpu"] = cpu["us"] / row["us"] if cpu and row["device"] == "gpu" else None
    return rows


def _row_order(row):
    """Tables list rows by optimizer, model, batch, K, replicas, device, then speed."""
    order = (
        "optimizer",
        "model",
        "hidden",
        "batch_size",
        "steps_per_call",
        "replicas",
        "device",
        "us",
    )
    return tuple(row[key] for key in order)


def _ratio(value):
    return "—" if value is None else f"{value:.2f}×"


def step_table(rows):
    """The step table; columns that would say the same thing on every row are left out."""

    def varies(key):
        return len({row[key] for row in rows}) > 1

    columns = [
        ("case", "left", lambda r: r["mode"] + (" [yellow]noisy[/]" if r["noisy"] else ""), True),
        ("optimizer", "left", lambda r: r["optimizer"], varies("optimizer")),
        ("device", "left", lambda r: r["device"], varies("device")),
        ("model", "left", lambda r: r["model"], varies("model")),
        ("B", "right", lambda r: str(r["batch_size"]), True),
        ("H", "right", lambda r: str(r["hidden"] or "—"), varies("hidden")),
        ("K", "right", lambda r: str(r["steps_per_call"]), varies("steps_per_call")),
        ("R", "right", lambda r: str(r["replicas"]), varies("replicas")),
        ("µs/step", "right", lambda r: f"{r['us']:.0f}", True),
        ("steps/s", "right", lambda r: f"{r['steps_per_s']:.0f}", True),
        ("GFLOP/s", "right", lambda r: f"{r['gflops']:.1f}", True),
        ("%peak", "right", lambda r: f"{100 * r['peak_share']:.0f}%", True),
        ("×eager", "right", lambda r: _ratio(r["vs_eager"]), True),
        ("×NumPy", "right", lambda r: _ratio(r["vs_numpy"]), True),
        ("×GPU", "right", lambda r: _ratio(r["gpu_vs_cpu"]), varies("device")),
        ("traces", "right", lambda r: str(r["trace_count"]), True),
        ("1st ms", "right", lambda r: f"{r['first_call_ms']:.0f}", True),
    ]
    columns = [c for c in columns if c[3]]
    models = sorted({row["model"] for row in rows} - {"mlp"})
    table = Table(
        title="Training step (forward + backward + update), float32"
        + "".join(f", model {name} ({MODELS.get(name, '?')})" for name in models),
        title_justify="left",
        caption=step_caption(rows),
        caption_justify="left",
    )
    for title, justify, _, _ in columns:
        table.add_column(title, justify=justify, no_wrap=True)
    for row in sorted(rows, key=_row_order):
        table.add_row(*(cell(row) for _, _, cell, _ in columns))
    return table


def step_caption(rows):
    """What ``%peak`` divides by, and what the float32 matmuls were computed in."""
    peaks = {}
    for row in rows:
        peaks[row["device"]] = (row["peak_gflops"], row["peak_from"])
    denominators = ", ".join(
        f"{device} {gflops:.0f} GFLOP/s ({framework})"
        for device, (gflops, framework) in sorted(peaks.items())
    )
    reduced = sorted(
        {f"{row['mode']} on {row['device']}" for row in rows if row["precision"] != "float32"}
    )
    precision = (
        f"TF32 matmuls (10-bit mantissa inputs) in {', '.join(reduced)}; full float32 elsewhere"
        if reduced
        else "Every matmul in full float32"
    )
    threads = sorted({row["blas_threads"] for row in rows if row.get("blas_threads")})
    blas = "".join(f" NumPy's BLAS on {count} thread(s)." for count in threads)
    return (
        f"%peak: share of the device's best float32 matmul measured in this run: "
        f"{denominators}. {precision}.{blas}"
    )


def gpu_table(rows):
    """Each GPU case beside the same case on the CPU: µs per step and the GPU's speed-up."""
    pairs = [row for row in rows if row["device"] == "gpu" and row["gpu_vs_cpu"] is not None]
    if not pairs:
        return None
    table = Table(title="GPU over CPU (µs per step, median)", title_justify="left")
    columns = ("case", "optimizer", "B", "H", "K", "CPU µs", "GPU µs", "×GPU", "GPU matmuls")
    for column in (*columns, "GPU 1st ms"):
        table.add_column(column, justify="left" if column in ("case", "optimizer") else "right")
    for row in sorted(pairs, key=lambda r: (r["mode"], *_row_order(r))):
        table.add_row(
            row["mode"],
            row["optimizer"],
            str(row["batch_size"]),
            str(row["hidden"] or row["model"]),
            str(row["steps_per_call"]),
            f"{row['us'] * row['gpu_vs_cpu']:.0f}",
            f"{row['us']:.0f}",
            _ratio(row["gpu_vs_cpu"]),
            row["precision"],
            f"{row['first_call_ms']:.0f}",
        )
    return table


def verdicts(rows):
    """One line per backend mode: its best case, against NumPy, and what compiling cost."""
    lines = []
    by_mode = defaultdict(list)
    for row in rows:
        by_mode[row["mode"]].append(row)
    for mode, mode_rows in by_mode.items():
        best = max(mode_rows, key=lambda r: r["peak_share"])
        compared = [r["vs_numpy"] for r in mode_rows if r["vs_numpy"] is not None]
        against = (
            f", {statistics.median(compared):.2f}× NumPy (median)"
            if compared and mode != "numpy"
            else ""
        )
        first = max(r["first_call_ms"] for r in mode_rows)
        lines.append(
            f"{mode}: best {100 * best['peak_share']:.0f}% of peak "
            f"(B={best['batch_size']}, {_model_size(best)}, K={best['steps_per_call']}, "
            f"{best['device']}){against}; first call up to {first:.0f} ms"
        )
    return lines


def breakdown_table(rows):
    """Where each step's time goes: forward, backward, update, against the arithmetic limit.

    From the ``--breakdown`` timings (``bench.parts.paired_seconds``), in µs per step;
    overhead is calling and looping with no arithmetic; matmuls is the step's matrix
    products alone; the limit is the step's FLOPs at the measured matmul peak.
    """
    rows = [row for row in rows if row["breakdown"]]
    if not rows:
        return None
    table = Table(
        title="Where a step's time goes (µs per step, calls alternating; "
        "limit = FLOPs at the measured matmul peak)",
        title_justify="left",
    )
    parts = ("overhead", "forward", "backward", "update", "step", "matmuls")
    columns = ("case", "optimizer", "device", "B", "H", "K")
    for column in (*columns, *parts, "limit", "step/limit"):
        table.add_column(column, justify="left" if column in columns[:3] else "right")
    for row in sorted(rows, key=_row_order):
        us = {name: seconds * 1e6 for name, seconds in row["breakdown"].items()}
        limit = row["us"] * row["peak_share"]  # FLOPs / peak, in µs
        table.add_row(
            row["mode"],
            row["optimizer"],
            row["device"],
            str(row["batch_size"]),
            str(row["hidden"] or row["model"]),
            str(row["steps_per_call"]),
            *(_microseconds(us[part]) for part in parts),
            f"{limit:.0f}",
            f"{us['step'] / limit:.1f}×",
        )
    return table


def layer_table(model, batch_size, rows, peak_gflops):
    """``bench.layer_times``'s rows: each layer's forward and backward alone, in ms per mode,
    with (in brackets) its matmul FLOPs' share of the measured matmul peak."""
    modes = list(rows[0]["seconds"])
    table = Table(
        title=f"--model {model}, B={batch_size}: each layer's forward and backward alone, "
        f"ms (% of the {peak_gflops:.0f} GFLOP/s matmul peak)",
        title_justify="left",
    )
    for column in ("layer", "output", "MFLOP", *modes):
        table.add_column(column, justify="left" if column in ("layer", "output") else "right")

    def cells(flops, seconds):
        for mode in modes:
            share = f" ({flops / seconds[mode] / 1e9 / peak_gflops:.0%})" if flops else ""
            yield f"{seconds[mode] * 1e3:.2f}{share}"

    for row in rows:
        megaflops = f"{row['flops'] / 1e6:.0f}" if row["flops"] else "—"
        output = "×".join(str(size) for size in row["output"])
        table.add_row(row["name"], output, megaflops, *cells(row["flops"], row["seconds"]))
    total_flops = sum(row["flops"] for row in rows)
    totals = {mode: sum(row["seconds"][mode] for row in rows) for mode in modes}
    table.add_section()
    table.add_row("all layers", "", f"{total_flops / 1e6:.0f}", *cells(total_flops, totals))
    return table


def _model_size(row):
    return f"H={row['hidden']}" if row["model"] == "mlp" else row["model"]


def _microseconds(value):
    return f"{value:.0f}" if value >= 0.5 else "≈0"  # a difference below 0.5 µs is noise


def update_table(data, paired=None):
    """tf_impl vs keras.optimizers and jax_impl vs optax, per optimizer (µs per update).

    ``paired`` adds the ratios measured with alternating calls (``updates.paired_ratios``),
    which machine drift cannot bias; the plain ratios come from back-to-back runs. optax's
    own optimizers say "no Keras twin" where Keras's would be.
    """
    times = defaultdict(dict)
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if "implementation" in info:
            times[info["optimizer"]][info["implementation"]] = bench["stats"]["median"] * 1e6
    if not times:
        return None
    table = Table(title="Optimizer update alone (µs, median)", title_justify="left")
    paired = paired or {}
    for column in (
        "optimizer",
        "tf_impl",
        "keras",
        "tf_impl/keras",
        "jax_impl",
        "optax",
        "jax_impl/optax",
        *(["paired tf_impl/keras", "paired jax_impl/optax"] if paired else []),
    ):
        table.add_column(column, justify="left" if column == "optimizer" else "right")
    for optimizer, row in sorted(times.items()):
        # "—" where a run is missing; this where Keras has no such optimizer to run.
        keras_absent = "—" if optimizer in KERAS_NAMES else "no Keras twin"

        def cell(name, row=row, absent="—"):
            return f"{row[name]:.0f}" if name in row else absent

        def ratio(a, b, row=row, absent="—"):
            return f"{row[a] / row[b]:.2f}" if a in row and b in row else absent

        table.add_row(
            optimizer,
            cell("tf_impl"),
            cell("keras", absent=keras_absent),
            ratio("tf_impl", "keras", absent=keras_absent),
            cell("jax_impl"),
            cell("optax"),
            ratio("jax_impl", "optax"),
            *(
                [
                    _paired(paired, optimizer, "tf_impl/keras", keras_absent),
                    _paired(paired, optimizer, "jax_impl/optax"),
                ]
                if paired
                else []
            ),
        )
    return table


def _paired(paired, optimizer, pair, absent="—"):
    value = paired.get(optimizer, {}).get(pair)
    return absent if value is None else f"{value:.2f}"


def compare_table(old, new):
    """Median per case now against an earlier run: ratio < 1 means faster now."""
    before = {b["name"]: b["stats"]["median"] for b in old["benchmarks"]}
    table = Table(title="Against the earlier run (median per call)", title_justify="left")
    for column in ("case", "before µs", "now µs", "now/before"):
        table.add_column(column, justify="left" if column == "case" else "right")
    matched = 0
    for bench in new["benchmarks"]:
        if bench["name"] in before:
            matched += 1
            then, now = before[bench["name"]], bench["stats"]["median"]
            table.add_row(
                bench["name"], f"{then * 1e6:.0f}", f"{now * 1e6:.0f}", f"{now / then:.2f}"
            )
    return table, matched


def scaling_table(rows):
    """Data-parallel cases: throughput and scaling efficiency against R = 1 of the same backend."""
    parallel = [r for r in rows if r["mode"] in DATA_PARALLEL]
    if not parallel:
        return None
    table = Table(
        title="Data-parallel step (batch per replica; efficiency against R = 1)",
        title_justify="left",
    )
    for column in ("backend", "device", "B/replica", "R", "µs/step", "examples/s", "efficiency"):
        table.add_column(column, justify="left" if column in ("backend", "device") else "right")
    base = {
        (r["mode"], r["optimizer"], r["batch_size"], r["hidden"]): r
        for r in parallel
        if r["replicas"] == 1
    }
    for row in sorted(
        parallel, key=lambda r: (r["mode"], r["optimizer"], r["batch_size"], r["replicas"])
    ):
        examples = row["batch_size"] * row["replicas"] * row["steps_per_s"]
        one = base.get((row["mode"], row["optimizer"], row["batch_size"], row["hidden"]))
        efficiency = (
            (examples / (one["batch_size"] * one["steps_per_s"])) / row["replicas"] if one else None
        )
        table.add_row(
            row["mode"],
            row["device"],
            str(row["batch_size"]),
            str(row["replicas"]),
            f"{row['us']:.0f}",
            f"{examples:.0f}",
            "—" if efficiency is None else f"{efficiency:.2f}",
        )
    return table
