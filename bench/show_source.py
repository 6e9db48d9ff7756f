"""Reading the kit's code for ``gdkit show``: objects found with ``ast``, cut into statements.

Nothing is imported, so ``show`` is quick and works on a machine without TensorFlow
or JAX. A statement is the unit ``show`` aligns across the three backends; its key
says which step of the equations it is (the names it assigns, ``return``, the
function it defines), written the same in the three backends.
"""

import ast
import dataclasses
import functools
import re
import textwrap

# np.sqrt, tf.sqrt, jnp.sqrt, tf.math.sqrt, jnp.linalg.norm: the same step.
NAMESPACE = re.compile(r"\b(?:np|jnp|tf|jax|lax|math)\.(?:math\.|linalg\.|numpy\.|nn\.)?")
CLAUSES = re.compile(r"(else|except|finally|try)\b")


@dataclasses.dataclass(frozen=True)
class Unit:
    """One statement, comment or blank line as shown: its source lines and its key."""

    lines: tuple[str, ...]
    key: str


@functools.lru_cache(maxsize=64)
def _parse(path, modified):
    text = path.read_text()
    return text.splitlines(), ast.parse(text)


def parse(path):
    """``(lines, tree)`` of a source file, cached while the file is unchanged.

    A file that does not exist has nothing in it: ``show`` then prints an empty column
    for that backend rather than failing (the tests insist every column has code).
    """
    if not path.exists():
        return [], ast.Module(body=[], type_ignores=[])
    return _parse(path, path.stat().st_mtime_ns)


def find(tree, dotted):
    """The node of a top-level function or class, or a method as ``"Class.method"``."""
    node = tree
    for name in dotted.split("."):
        found = [
            child
            for child in node.body
            if isinstance(child, ast.FunctionDef | ast.ClassDef) and child.name == name
        ]
        if not found:
            return None
        node = found[0]
    return node


def top_level_functions(tree):
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def docstring(node):
    """The cleaned docstring of a function or class node, or ``""``."""
    return ast.get_docstring(node) or ""


def _docstring_node(node):
    first = node.body[0] if node.body else None
    is_string = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return first if is_string and isinstance(first.value.value, str) else None


def source(lines, node, drop_docstring=False):
    """``(first line number, lines)`` of a node; a class gives only its ``class`` line(s).

    A class's methods are shown as parts of their own, so its header stands alone.
    """
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    doc = _docstring_node(node)
    if isinstance(node, ast.ClassDef):
        body = [child for child in node.body if child is not doc]
        only_pass = len(body) == 1 and isinstance(body[0], ast.Pass)
        end = node.end_lineno if only_pass else (doc or node.body[0]).lineno - 1
        shown = [line for line in lines[start - 1 : end]]
        if only_pass and doc is not None:
            shown = [*lines[start - 1 : doc.lineno - 1], *lines[doc.end_lineno : end]]
        return start, _strip_blank_tail(shown)
    shown = list(lines[start - 1 : node.end_lineno])
    if drop_docstring and doc is not None:
        first, last = doc.lineno - start, doc.end_lineno - start
        after = last + 1
        if after < len(shown) and not shown[after].strip():
            after += 1  # and the blank line that separated it from the code
        shown = shown[:first] + shown[after:]
    return start, _strip_blank_tail(shown)


def _strip_blank_tail(lines):
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def referenced_names(lines):
    """The names a piece of code reads (to find the module's helpers it calls)."""
    try:
        tree = ast.parse(textwrap.dedent("\n".join(lines)))
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _normalise(text):
    return " ".join(NAMESPACE.sub("", text).split())


def _targets(targets):
    names = []
    for target in targets:
        elements = target.elts if isinstance(target, ast.Tuple) else [target]
        names.extend(ast.unparse(e) for e in elements if ast.unparse(e) != "_")
    return _normalise(", ".join(names))


def statement_key(node):
    """What step of the equations a statement is, the same words in every backend."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return f"def {node.name}"
    if isinstance(node, ast.ClassDef):
        return f"class {node.name}"
    if isinstance(node, ast.Return):
        return "return"
    if isinstance(node, ast.Assign):
        return "= " + _targets(node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return "= " + _targets([node.target])
    if isinstance(node, ast.If):
        return "if " + _normalise(ast.unparse(node.test))
    if isinstance(node, ast.For):
        return "for " + _normalise(ast.unparse(node.target))
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return "docstring"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return "call " + _normalise(ast.unparse(node.value.func)).split(".")[-1]
    return type(node).__name__.lower()


def _header_end(node, lines, first):
    """The last line (0-based) of a compound statement's header, before its body."""
    last = node.body[0].lineno - 2
    while last > first and (not lines[last].strip() or lines[last].strip().startswith("#")):
        last -= 1
    return last


def units(lines):
    """Cut code into statements, each with its key; comments and blank lines stand alone.

    A compound statement (``def``, ``if``, ``for``...) is its header line(s); its body
    statements are units of their own, so a row can hold one line of the body.
    """
    lines = list(lines)
    try:
        tree = ast.parse(textwrap.dedent("\n".join(lines)))
    except SyntaxError:
        return [Unit((line,), _normalise(line.strip())) for line in lines]
    starts, inside = {}, set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt):
            continue
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno] + [d.lineno for d in decorators]) - 1
        starts[first] = statement_key(node)
        compound = isinstance(getattr(node, "body", None), list) and node.body
        last = _header_end(node, lines, first) if compound else node.end_lineno - 1
        inside.update(range(first + 1, last + 1))
    for index, line in enumerate(lines):
        if index in inside or index in starts:
            continue
        stripped = line.strip()
        if not stripped:
            starts[index] = ""
        elif stripped.startswith("#"):
            starts[index] = "#"
        elif CLAUSES.match(stripped):
            starts[index] = CLAUSES.match(stripped).group(1)
    bounds = sorted(starts | {0: starts.get(0, "")})
    ends = [*bounds[1:], len(lines)]
    return [Unit(tuple(lines[a:b]), starts[a]) for a, b in zip(bounds, ends, strict=True) if a < b]
