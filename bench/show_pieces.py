"""The pieces ``gdkit show`` knows, and each one's code in the three backends, aligned.

A piece is one thing the kit writes three times: an optimizer, a schedule, a loss,
the MLP's backprop, the train step, clipping, a layer. It is shown as parts (for an
optimizer: its class line, ``init_slots``, ``update_variable``), each part aligned
across the backends on its own; the module's helpers that the parts call come after.
``KINDS`` lists a function per kind of piece: a new kind is one more function there.
"""

import ast
import dataclasses
import pathlib

from bench import show_align, show_source

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = {"numpy": "reference", "tf": "tf_impl", "jax": "jax_impl"}
BACKENDS = tuple(PACKAGES)
TWINS = ("tf", "jax")
AUTODIFF = {"tf": "tf.GradientTape", "jax": "jax.grad"}
ALIASES = {"loss": "softmax_cross_entropy"}
SKIPPED_METHODS = ("__init__", "__init_subclass__")  # hyperparameters; not the equations


@dataclasses.dataclass(frozen=True)
class Part:
    """Objects shown side by side: backend -> names (``"Adam.update_variable"``).

    A backend without an entry shows ``missing[backend]`` (a comment) or blank lines.
    """

    objects: dict
    missing: dict = dataclasses.field(default_factory=dict)


def same(*names, backends=BACKENDS):
    return Part({backend: names for backend in backends})


@dataclasses.dataclass(frozen=True)
class Piece:
    """What ``gdkit show NAME`` shows: parts, each aligned across the backends."""

    name: str
    kind: str
    files: dict  # backend -> file inside its package, e.g. "optimizers.py"
    parts: tuple
    equations: tuple  # the oracle's objects whose docstrings hold the equations


def _files(module):
    return {backend: module for backend in BACKENDS}


def _path(root, backend, module):
    return root / PACKAGES[backend] / module


@dataclasses.dataclass(frozen=True)
class Shown:
    """A piece ready to print: the same number of lines in every backend's column."""

    piece: Piece
    equations: str
    summary: str  # the first line of the equations' docstring
    backends: tuple
    files: dict  # backend -> path shown in the column's title
    lines: dict  # backend -> list of lines
    row_of_line: list  # aligned row of each line (rows alternate shading in the page)
    parts: list  # (title, first line, end line) of each part, in line numbers from 0


# --- the kinds of pieces --------------------------------------------------------------


def optimizer_pieces(root):
    from reference import optax_optimizers, optimizers

    for module, registry in (
        ("optimizers.py", optimizers.OPTIMIZERS),
        ("optax_optimizers.py", optax_optimizers.OPTIMIZERS),  # optax's, Keras lacks
    ):
        for name, cls in registry.items():
            parts = _class_parts(root, module, cls.__name__)
            yield Piece(name, "optimizer", _files(module), parts, (cls.__name__,))


def _methods(node):
    return [
        child.name
        for child in node.body
        if isinstance(child, ast.FunctionDef) and child.name not in SKIPPED_METHODS
    ]


def _class_parts(root, module, class_name):
    """The class line, then each method the backends write; a class with none, its base's.

    ``AdamW`` writes no rule of its own: its class line is followed by ``Adam``'s parts.
    """
    trees = {b: show_source.parse(_path(root, b, module))[1] for b in BACKENDS}
    parts = []
    while class_name:
        nodes = {b: show_source.find(trees[b], class_name) for b in BACKENDS}
        parts.append(Part({b: (class_name,) for b in BACKENDS if nodes[b]}))
        methods = []
        for backend in BACKENDS:
            if nodes[backend]:
                methods += [m for m in _methods(nodes[backend]) if m not in methods]
        for method in methods:
            have = {b for b in BACKENDS if nodes[b] and method in _methods(nodes[b])}
            inherited = f"    # {method}: inherited from reference.{class_name}"
            missing = {b: inherited for b in TWINS if b not in have and "numpy" in have}
            parts.append(Part({b: (f"{class_name}.{method}",) for b in have}, missing))
        reference_bases = nodes["numpy"].bases if nodes["numpy"] else []
        bases = [b.id for b in reference_bases if isinstance(b, ast.Name)]
        local = [b for b in bases if show_source.find(trees["numpy"], b)]
        class_name = local[0] if not methods and local else None
    return tuple(parts)


def schedule_pieces(root):
    from reference import schedules

    for name, function in schedules.SCHEDULES.items():
        function_name = function.__name__
        parts = (same(function_name),)
        yield Piece(name, "schedule", _files("schedules.py"), parts, (function_name,))


def loss_pieces(root):
    from reference import losses

    for name, function in losses.LOSSES.items():
        function_name = function.__name__
        yield Piece(name, "loss", _files("losses.py"), (same(function_name),), (function_name,))


def model_pieces(root):
    forward = Part(
        {"numpy": ("forward", "_forward_with_cache", "dense_forward"), "tf": ("forward",),
         "jax": ("forward",)}
    )  # fmt: skip
    backward = Part(
        {"numpy": ("loss_and_grads", "dense_backward"), "tf": ("loss_and_grads",),
         "jax": ("objective", "loss_and_grads")}
    )  # fmt: skip
    yield Piece("backprop", "model", _files("mlp.py"), (forward, backward), ("loss_and_grads",))
    step = same("train_step")
    yield Piece("train_step", "model", _files("training.py"), (step,), ("train_step",))


def clipping_pieces(root):
    names = ("clip_by_value", "clip_by_norm", "clip_by_global_norm")
    parts = tuple(same(name) for name in names)
    yield Piece("clipping", "clipping", _files("clipping.py"), parts, names)


def _layer_files(root, backend):
    """The files of a backend's layers: ``layers.py``, or each module of a ``layers/`` package."""
    package = root / PACKAGES[backend]
    if (package / "layers.py").exists():
        return ["layers.py"]
    return [f"layers/{path.name}" for path in sorted((package / "layers").glob("*.py"))]


def _defining_file(root, backend, function, preferred):
    files = _layer_files(root, backend)
    for module in sorted(files, key=lambda module: module != preferred):
        if show_source.find(show_source.parse(_path(root, backend, module))[1], function):
            return module
    return None


def layer_pieces(root):
    """Each ``<layer>_forward`` of the oracle's layers, once both twins write it too."""
    for module in _layer_files(root, "numpy"):
        tree = show_source.parse(_path(root, "numpy", module))[1]
        for function in show_source.top_level_functions(tree):
            if not function.endswith("_forward"):
                continue
            layer = function.removesuffix("_forward")
            files = {b: _defining_file(root, b, function, module) for b in TWINS}
            if not all(files.values()):
                continue
            backward = f"{layer}_backward"
            missing = {b: f"# {backward}: {AUTODIFF[b]} differentiates {function}" for b in TWINS}
            parts = (same(function), Part({"numpy": (backward,)}, missing))
            equations = tuple(n for n in (function, backward) if show_source.find(tree, n))
            yield Piece(layer, "layer", {"numpy": module, **files}, parts, equations)


KINDS = {
    "optimizer": optimizer_pieces,
    "schedule": schedule_pieces,
    "loss": loss_pieces,
    "model": model_pieces,
    "clipping": clipping_pieces,
    "layer": layer_pieces,
}


def all_pieces(root=ROOT):
    """Every piece, kind by kind, in the order the kinds and their registries list them."""
    return [piece for kind in KINDS.values() for piece in kind(root)]


def names(root=ROOT):
    return (*(piece.name for piece in all_pieces(root)), *ALIASES)


def find(name, root=ROOT):
    """The piece called ``name`` (or an alias); ValueError with "did you mean" otherwise."""
    pieces = {piece.name: piece for piece in all_pieces(root)}
    name = ALIASES.get(name, name)
    if name not in pieces:
        from reference.errors import check_choice

        check_choice("piece", name, (*pieces, *ALIASES))
    return pieces[name]


# --- one piece's columns --------------------------------------------------------------


def _equations(root, piece):
    """``(equations, summary)``: the oracle's docstrings, each named when there are several."""
    tree = show_source.parse(_path(root, "numpy", piece.files["numpy"]))[1]
    texts = [(n, show_source.docstring(show_source.find(tree, n))) for n in piece.equations]
    texts = [(name, text) for name, text in texts if text]
    summary = texts[0][1].splitlines()[0] if texts else ""
    if len(texts) == 1:
        return texts[0][1], summary
    return "\n\n".join(f"{name}:\n{text}" for name, text in texts), summary


def _part_units(root, piece, part, backend):
    """The statements of one part in one backend."""
    path = _path(root, backend, piece.files[backend])
    lines, tree = show_source.parse(path)
    units = []
    for name in part.objects.get(backend, ()):
        node = show_source.find(tree, name)
        if node is None:
            continue
        drop = name in piece.equations
        code = show_source.source(lines, node, drop_docstring=drop)[1]
        if units:
            units.append(show_source.Unit(("",), ""))
        if isinstance(node, ast.ClassDef):
            units.append(show_source.Unit(tuple(code), f"class {node.name}"))
        else:
            units.extend(show_source.units(code))
    if not units and backend in part.missing:
        named = [names for names in part.objects.values() if names]
        key = "def " + named[0][0].split(".")[-1] if named else "#"
        units.append(show_source.Unit((part.missing[backend],), key))
    return units


def _helpers(root, piece, backends, columns, seen):
    """Parts for the module's functions that the shown code calls, not seen yet."""
    helpers = []
    for backend in backends:
        functions = show_source.top_level_functions(
            show_source.parse(_path(root, backend, piece.files[backend]))[1]
        )
        code = [line for unit in columns[backend] for line in unit.lines]
        for name in sorted(show_source.referenced_names(code) & set(functions)):
            if name not in seen and name not in helpers:
                helpers.append(name)
    seen.update(helpers)
    return [
        Part({b: (name,) for b in backends if _has_function(root, piece, b, name)})
        for name in helpers
    ]


def _has_function(root, piece, backend, name):
    tree = show_source.parse(_path(root, backend, piece.files[backend]))[1]
    return name in show_source.top_level_functions(tree)


def load(name, backends=BACKENDS, root=ROOT):
    """The piece ``name`` with its code in ``backends``, aligned row by row."""
    return build(find(name, root), backends, root)


def build(piece, backends=BACKENDS, root=ROOT):
    """``piece`` with its code in ``backends``, aligned row by row."""
    backends = tuple(backends)
    seen = {name for part in piece.parts for names in part.objects.values() for name in names}
    rows, part_rows = [], []
    queue = list(piece.parts)
    while queue:
        part = queue.pop(0)
        columns = {b: _part_units(root, piece, part, b) for b in backends}
        if not any(columns.values()):
            continue
        if rows:
            rows.append({b: show_source.Unit(("",), "") for b in backends})
        title = next(names for names in part.objects.values() if names)[0]
        part_rows.append((title, len(rows)))
        rows.extend(show_align.align(columns))
        queue.extend(_helpers(root, piece, backends, columns, seen))
    lines, row_of_line = show_align.row_lines(rows, backends)
    line_of_row = {}
    for line, row in enumerate(row_of_line):
        line_of_row.setdefault(row, line)
    starts = [line_of_row[row] for _, row in part_rows]
    ends = [*(start - 1 for start in starts[1:]), len(row_of_line)]
    parts = [(t, s, e) for (t, _), s, e in zip(part_rows, starts, ends, strict=True)]
    files = {b: f"{PACKAGES[b]}/{piece.files[b]}" for b in backends}
    equations, summary = _equations(root, piece)
    return Shown(piece, equations, summary, backends, files, lines, row_of_line, parts)
