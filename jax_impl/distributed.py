"""The data-parallel training step with JAX sharding: the batch split over a device mesh.

``shard_map`` runs the per-shard function on each device with its slice of the batch:

    g_r = ∇ mean loss over shard r           (jax.value_and_grad on each device)
    g   = psum(n_r · g_r) / psum(n_r)        (the all-reduce: a size-weighted mean)
    θ  ← optimizer.update(g, state, θ)       (replicated: identical on every device)

``reference.distributed`` shows why this equals the single-device step. JAX shards
an axis in equal pieces, so the batch size must be a multiple of the device count.

On a CPU-only machine JAX can pretend to have R devices:
``XLA_FLAGS=--xla_force_host_platform_device_count=R``, set before JAX starts (so in
a fresh process); on a GPU machine the GPUs are the devices.
"""

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from jax_impl import mlp


def data_mesh(replicas):
    devices = jax.devices()
    if replicas > len(devices):
        raise ValueError(f"replicas={replicas} is not allowed: JAX sees {len(devices)} devices.")
    return Mesh(np.array(devices[:replicas]), ("data",))


class DataParallelTrainStep:
    """``step(params, state, x, y) -> (params, state, loss)`` with x and y sharded over ``mesh``."""

    def __init__(self, mesh, optimizer, activation="relu", loss="softmax_cross_entropy"):
        self.mesh, self.trace_count = mesh, 0

        def per_shard(params, x, y):
            loss_value, grads = mlp.loss_and_grads(params, x, y, activation, loss)
            size = x.shape[0]
            total = jax.lax.psum(size, "data")
            grads = jax.tree.map(lambda g: jax.lax.psum(g * size, "data") / total, grads)
            return jax.lax.psum(loss_value * size, "data") / total, grads

        # check_vma=False: with JAX's replication checking on, the gradient of replicated
        # params would already arrive summed over devices (the transpose of the implicit
        # broadcast is a psum); turning it off keeps g_r per shard and the all-reduce explicit.
        all_reduced = jax.shard_map(
            per_shard,
            mesh=mesh,
            in_specs=(P(), P("data"), P("data")),
            out_specs=(P(), P()),
            check_vma=False,
        )

        def step(params, state, x, y):
            self.trace_count += 1
            loss_value, grads = all_reduced(params, x, y)
            params, state = optimizer.update(grads, state, params)
            return params, state, loss_value

        self._step = jax.jit(step)
        self.batch_sharding = NamedSharding(mesh, P("data"))
        self.replicated = NamedSharding(mesh, P())

    def __call__(self, params, state, x, y):
        if len(x) % self.mesh.size:
            raise ValueError(
                f"batch of {len(x)} is not allowed: need a multiple of {self.mesh.size} replicas."
            )
        x, y = (jax.device_put(a, self.batch_sharding) for a in (x, y))
        # Weights and state live replicated on the mesh from the first call on, so the
        # compiled step sees the same shardings every time and compiles once.
        params, state = jax.device_put((params, state), self.replicated)
        return self._step(params, state, x, y)
