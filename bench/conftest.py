"""pytest wiring for the benchmark suite: the case grid, and per-session measurements."""

import dataclasses

import pytest

from bench import backends, machine, report
from bench.config import Config
from bench.steps import Case

CASE_FIELDS = [field.name for field in dataclasses.fields(Case)]


def pytest_configure(config):
    replicas = Config.from_env().replicas
    if replicas:  # devices must be split before TensorFlow or JAX starts
        for note in backends.prepare_replicas(max(replicas)):
            print(note)


def pytest_generate_tests(metafunc):
    config = Config.from_env()
    if "case" in metafunc.fixturenames:
        # One parameter per field, so the JSON's "params" can be grouped on and compared.
        cases = list(config.cases())
        values = [dataclasses.astuple(case) for case in cases]
        metafunc.parametrize(CASE_FIELDS, values, ids=[case.name for case in cases])
    if "update_case" in metafunc.fixturenames:
        from bench.updates import update_cases

        cases = list(update_cases(config.update_optimizers))
        metafunc.parametrize("update_case", cases, ids=["-".join(c) for c in cases])


@pytest.fixture
def case(backend_mode, device, optimizer, batch_size, hidden, steps_per_call, replicas, model):
    return Case(
        backend_mode, device, optimizer, batch_size, hidden, steps_per_call, replicas, model
    )


@pytest.fixture(scope="session")
def bench_config():
    return Config.from_env()


@pytest.fixture(scope="session")
def peaks(bench_config):
    """Matmul peak per (framework, device), measured once per session, on demand."""
    measured = {}

    def peak(framework, device):
        if (framework, device) not in measured:
            measured[framework, device] = machine.matmul_peak_gflops(
                framework, device, bench_config.peak_size
            )
        return measured[framework, device]

    return peak


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info.update(machine.machine_info())


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """One peak per device: each step case's share is of the best matmul any backend measured
    on its device in this run, so two rows of the table compare at a glance."""
    report.apply_device_peaks(output_json["benchmarks"])
