"""The optimizer update on its own: tf_impl vs keras.optimizers, jax_impl vs optax."""

from bench.updates import SIZES, build_update


def test_optimizer_update(benchmark, update_case, bench_config):
    implementation, optimizer = update_case
    update = build_update(implementation, optimizer)
    update()  # compile
    for _ in range(bench_config.warmup_rounds):
        update()
    benchmark.pedantic(update, rounds=bench_config.rounds, iterations=1)
    benchmark.extra_info.update(
        implementation=implementation,
        optimizer=optimizer,
        sizes=list(SIZES),
        parameters=sum(a * b + b for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)),
    )
