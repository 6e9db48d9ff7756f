"""``gdkit show``: one piece of the kit in NumPy, TensorFlow and JAX, side by side.

The sources are read from the files with ``ast``, not imported, so ``show`` is quick
and works on a machine without TensorFlow or JAX.
"""

import ast
import inspect
import pathlib

from rich.columns import Columns
from rich.panel import Panel
from rich.syntax import Syntax

from reference import optimizers, schedules

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = {"numpy": "reference", "tf": "tf_impl", "jax": "jax_impl"}
TITLES = {"numpy": "NumPy (reference/)", "tf": "TensorFlow (tf_impl/)", "jax": "JAX (jax_impl/)"}

# name -> (module, object name in reference, object name in tf_impl and jax_impl)
FIXED_PIECES = {
    "backprop": ("mlp", "loss_and_grads", "loss_and_grads"),
    "train_step": ("training", "train_step", "TrainStep"),
    "clipping": ("clipping", "clip_by_global_norm", "clip_by_global_norm"),
    "loss": ("losses", "softmax_cross_entropy", "softmax_cross_entropy"),
}


def _locate(name):
    if name in FIXED_PIECES:
        return FIXED_PIECES[name]
    if name in optimizers.OPTIMIZERS:
        class_name = optimizers.OPTIMIZERS[name].__name__
        return "optimizers", class_name, class_name
    if name in schedules.SCHEDULES:
        return "schedules", name, name
    allowed = (*optimizers.NAMES, *schedules.NAMES, *FIXED_PIECES)
    from reference.errors import check_choice

    check_choice("piece", name, allowed)


def source_of(path, object_name):
    """The source text of a top-level function or class in a file, found with ``ast``."""
    text = path.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == object_name:
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            return "\n".join(text.splitlines()[start - 1 : node.end_lineno])
    raise ValueError(f"{object_name} not found in {path}")


def equation(module, object_name):
    """The reference docstring: the equations the three bodies compute."""
    tree = ast.parse((ROOT / "reference" / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == object_name:
            return inspect.cleandoc(ast.get_docstring(node) or "")
    return ""


def pieces(name, backends):
    """``(equation, [(backend, file, source), ...])`` for piece ``name``."""
    module, reference_name, twin_name = _locate(name)
    shown = []
    for backend in backends:
        path = ROOT / PACKAGES[backend] / f"{module}.py"
        object_name = reference_name if backend == "numpy" else twin_name
        shown.append((backend, path.relative_to(ROOT), source_of(path, object_name)))
    return equation(module, reference_name), shown


def render(name, shown_pieces, console, terminal):
    equations, shown = shown_pieces
    if not terminal:
        console.print(f"# {name}\n\n{equations}\n", markup=False, soft_wrap=True)
        for backend, path, code in shown:
            console.print(f"## {TITLES[backend]}: {path}\n\n{code}\n", markup=False, soft_wrap=True)
        return
    console.print(Panel(equations, title=name, title_align="left"))
    width = max(40, console.width // len(shown) - 2)
    panels = [
        Panel(
            Syntax(code, "python", word_wrap=True, theme="ansi_dark"),
            title=f"{TITLES[backend]} {path}",
            width=width,
            title_align="left",
        )
        for backend, path, code in shown
    ]
    console.print(Columns(panels))
