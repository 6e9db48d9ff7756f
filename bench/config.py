"""What a benchmark run covers: the grid of cases and how long each is timed.

``gdkit bench`` writes this as JSON into ``GDKIT_BENCH_CONFIG`` for the pytest run;
``pytest bench/`` without it runs the quick grid, and Adam's update alone.
"""

import dataclasses
import itertools
import json
import os

from bench import backends
from bench.steps import Case

ENV = "GDKIT_BENCH_CONFIG"


@dataclasses.dataclass
class Config:
    backend_modes: tuple = backends.BACKEND_MODES
    device: str = "all"
    optimizers: tuple = ("adam",)
    batch_sizes: tuple = (32, 256)
    hidden: tuple = (64,)
    steps_per_call: tuple = (1,)
    rounds: int = 30
    warmup_rounds: int = 3
    peak_size: int = 2048
    update_optimizers: tuple = ()
    replicas: tuple = ()  # data-parallel cases (backends.DATA_PARALLEL) for each R
    breakdown: bool = False  # also time each step's parts, alternating (bench/parts.py)
    model: str = "mlp"  # a key of bench.steps.MODELS

    @classmethod
    def quick(cls, **overrides):
        return cls(**{"rounds": 10, "warmup_rounds": 2, "peak_size": 1024, **overrides})

    def to_env(self):
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls):
        raw = os.environ.get(ENV)
        return cls(**json.loads(raw)) if raw else cls.quick(update_optimizers=("adam",))

    def cases(self):
        """Every case of the grid whose framework is installed, on the devices it has.

        A layer model has no hidden width: its cases take the first and ignore it."""
        hidden = self.hidden if self.model == "mlp" else self.hidden[:1]
        for backend_mode, optimizer, batch, width, k in itertools.product(
            self.backend_modes, self.optimizers, self.batch_sizes, hidden, self.steps_per_call
        ):
            if not backends.installed(backends.FRAMEWORK[backend_mode]):
                continue
            for device in backends.devices_for(backend_mode, self.device):
                yield Case(backend_mode, device, optimizer, batch, width, k, model=self.model)
        if self.model != "mlp":  # the data-parallel modes train the MLP
            return
        for backend_mode, optimizer, batch, hidden, replicas in itertools.product(
            backends.DATA_PARALLEL,
            self.optimizers,
            self.batch_sizes,
            self.hidden,
            self.replicas,
        ):
            framework = backends.FRAMEWORK[backend_mode]
            if backends.installed(framework) and replicas <= backends.device_count(framework):
                device = "gpu" if backends.gpus(framework) else "cpu"
                yield Case(backend_mode, device, optimizer, batch, hidden, 1, replicas)
