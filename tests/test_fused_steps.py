"""K steps fused into one call equal K single steps, in every backend and mode."""

import contextlib
import importlib

import pytest

import jax_impl
from bench import tolerances
from bench.metrics import max_relative_difference
from reference import data
from reference import mlp as reference_mlp

K = 16
STEPS = [
    ("reference", "eager"),
    ("tf_impl", "eager"),
    ("tf_impl", "function"),
    ("tf_impl", "xla"),
    ("jax_impl", "jit"),
]


def _batches():
    x, y = data.classification_problem(K * 8, 6, 3, seed=5)
    return x.reshape(K, 8, 6), y.reshape(K, 8)


@pytest.mark.parametrize("package, mode", STEPS, ids=[f"{p}-{m}" for p, m in STEPS])
def test_fused_steps_equal_single_steps(package, mode):
    training = importlib.import_module(f"{package}.training")
    optimizers = importlib.import_module(f"{package}.optimizers")
    xs, ys = _batches()
    weights = reference_mlp.init_params((6, 10, 3), seed=0)
    float64 = jax_impl.float64() if package == "jax_impl" else contextlib.nullcontext()
    with float64:
        optimizer = optimizers.get("adam", learning_rate=0.01)
        single = training.make_train_step(weights, optimizer, mode=mode)
        losses = [float(single(xs[i], ys[i])) for i in range(K)]
        fused = training.make_train_step(weights, optimizer, mode=mode, steps_per_call=K)
        fused_loss = float(fused(xs, ys))
        assert int(fused.state["step"]) == K
        assert fused.trace_count == (1 if fused.compiled is not None else 0)
    assert max_relative_difference(fused.weights(), single.weights()) <= tolerances.SAME_PROGRAM
    assert max_relative_difference(single.weights(), weights) > 0.01  # the steps moved them
    assert fused_loss == pytest.approx(losses[-1], rel=tolerances.SAME_PROGRAM)


@pytest.mark.parametrize("mode", ["function", "xla"])
def test_a_compiled_tf_step_is_a_graph(mode):
    from tf_impl import optimizers, training

    step = training.make_train_step(
        reference_mlp.init_params((6, 10, 3)), optimizers.get("sgd"), mode=mode
    )
    x, y = data.classification_problem(8, 6, 3, seed=5)
    step(x, y)
    assert step.compiled is not None and step.trace_count == 1


def test_the_fused_tf_loop_runs_its_iterations_one_after_another():
    """A step waits for the previous step's update; its loop must not overlap iterations."""
    from tf_impl import optimizers, training

    step = training.make_train_step(
        reference_mlp.init_params((6, 10, 3)), optimizers.get("sgd"), steps_per_call=K
    )
    xs, ys = step.on_device(*_batches())
    step(xs, ys)
    graph = step.compiled.get_concrete_function(xs, ys).graph
    loops = [op for op in graph.get_operations() if op.type in ("While", "StatelessWhile")]
    assert [loop.get_attr("parallel_iterations") for loop in loops] == [1]


def test_bad_step_options_fail_the_same_in_every_backend():
    messages = []
    for package, mode in (("reference", "eager"), ("tf_impl", "function"), ("jax_impl", "jit")):
        training = importlib.import_module(f"{package}.training")
        optimizer = importlib.import_module(f"{package}.optimizers").get("sgd")
        weights = reference_mlp.init_params((3, 2))
        for options in ({"steps_per_call": 0}, {"replicas": 2}, {"mode": "jitt"}):
            with pytest.raises(ValueError) as error:
                training.make_train_step(weights, optimizer, **{"mode": mode, **options})
            messages.append(str(error.value))
    assert messages[0::3] == [messages[0]] * 3
    assert messages[0].startswith("steps_per_call=0 is not allowed")
    assert all(m.startswith("replicas=2 is not allowed with mode") for m in messages[1::3])
    assert all(m.startswith("Unknown mode 'jitt'") for m in messages[2::3])
