"""The data-parallel step across processes: ``MultiWorkerMirroredStrategy`` on this machine.

``run_workers(...)`` starts N worker processes on loopback addresses, each with its own
``TF_CONFIG`` naming the whole cluster and its own index; every worker runs
``DataParallelTrainStep`` (from ``tf_impl.distributed``) on its shard of each batch,
and the all-reduce crosses process boundaries over gRPC. Worker 0 writes the final
weights. The launcher owns the processes: if one fails, the others are stopped and
the error says which one and why; if the run outlives its timeout, all are stopped.
Nothing is left running either way.

Run as a worker (what the launcher starts): ``python -m tf_impl.multi_worker TASK.json``.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np


class WorkerError(RuntimeError):
    """A worker process failed, or the cluster did not finish in time."""


def free_loopback_ports(count):
    """Ports the OS says are free on 127.0.0.1 right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _stop(processes):
    for process in processes:
        if process.poll() is None:
            process.kill()
    for process in processes:
        process.wait()


def run_workers(task, workers=2, timeout=180, poll=0.2, on_start=None, ports=None):
    """Run one multi-worker job; returns worker 0's final weights (dict of arrays).

    ``task`` is a JSON-able dict: ``optimizer``, ``hyper``, ``steps``, ``batch``, ``sizes``,
    ``seed``. ``on_start(processes)`` is called once they run (the tests use it to kill one);
    ``ports`` picks the loopback ports (default: free ones).
    """
    ports = ports or free_loopback_ports(workers)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    with tempfile.TemporaryDirectory() as scratch:
        processes, logs = [], []
        try:
            for index in range(workers):
                spec = dict(task, output=os.path.join(scratch, "weights.npz"))
                path = os.path.join(scratch, f"task{index}.json")
                with open(path, "w") as handle:
                    json.dump(spec, handle)
                env = dict(
                    os.environ,
                    TF_CONFIG=json.dumps(
                        {"cluster": cluster, "task": {"type": "worker", "index": index}}
                    ),
                )
                log = open(os.path.join(scratch, f"worker{index}.log"), "w+")  # noqa: SIM115
                logs.append(log)
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "tf_impl.multi_worker", path],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            if on_start:
                on_start(processes)
            deadline = time.monotonic() + timeout
            while None in (codes := [p.poll() for p in processes]):  # poll every one, every time
                failed = [(i, code) for i, code in enumerate(codes) if code not in (None, 0)]
                if failed:
                    index, code = failed[0]
                    _stop(processes)
                    raise WorkerError(
                        f"worker {index} {_describe(code)} ({_last_line(logs[index])}); "
                        "the other workers were stopped."
                    )
                if time.monotonic() > deadline:
                    _stop(processes)
                    raise WorkerError(
                        f"the {workers} workers did not finish in {timeout} s; all were stopped."
                    )
                time.sleep(poll)
            failed = [(i, p.returncode) for i, p in enumerate(processes) if p.returncode != 0]
            if failed:
                index, code = failed[0]
                raise WorkerError(f"worker {index} {_describe(code)} ({_last_line(logs[index])})")
            with np.load(os.path.join(scratch, "weights.npz")) as weights:
                return {name.replace("__", "/"): weights[name] for name in weights.files}
        finally:
            _stop(processes)
            for log in logs:
                log.close()


def _describe(code):
    return f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"


def _last_line(log):
    """The worker's last line of its own output (TensorFlow's C++ log lines skipped)."""
    log.flush()
    log.seek(0)
    lines = [line.strip() for line in log.read().splitlines() if line.strip()]
    lines = [line for line in lines if line[:1] not in "IWE" or not line[1:5].isdigit()]
    return lines[-1] if lines else "no output of its own"


def _work(task):
    """One worker: the same data and weights everywhere, its own shard of every batch."""
    import tensorflow as tf

    from reference import data, mlp
    from tf_impl import distributed, optimizers

    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=60)
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    x, y = data.classification_problem(
        task["batch"], task["sizes"][0], task["sizes"][-1], seed=task["seed"]
    )
    weights = mlp.init_params(task["sizes"], seed=0)
    step = distributed.DataParallelTrainStep(
        strategy, weights, optimizers.get(task["optimizer"], **task["hyper"])
    )
    for _ in range(task["steps"]):
        step(x, y)
    if json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0:
        np.savez(task["output"], **{k.replace("/", "__"): v for k, v in step.weights().items()})


if __name__ == "__main__":
    import tf_impl  # noqa: F401  (quiet TensorFlow)

    with open(sys.argv[1]) as handle:
        _work(json.load(handle))
