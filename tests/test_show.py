"""``gdkit show``: the three backends aligned row by row, in the terminal and as pages."""

import html
import html.parser
import io
import re

import pytest
from click.testing import CliRunner
from rich.console import Console

from bench import show, show_align, show_html, show_pieces
from bench.cli import main
from bench.show_source import Unit, units
from reference import optimizers

BACKENDS = show_pieces.BACKENDS
SEPARATOR = show.SEPARATOR.strip()


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def return_rows(shown, backend, part_suffix):
    """Line numbers (from 0) of the ``return`` lines in the parts named ``*part_suffix``."""
    rows = set()
    for title, start, end in shown.parts:
        if title.endswith(part_suffix):
            lines = shown.lines[backend][start:end]
            rows |= {start + i for i, line in enumerate(lines) if line.strip().startswith("return")}
    return rows


# --- alignment ----------------------------------------------------------------------


@pytest.mark.parametrize("name", optimizers.NAMES)
def test_return_of_update_variable_is_on_the_same_row_in_the_three_columns(name):
    shown = show_pieces.load(name)
    rows = {backend: return_rows(shown, backend, ".update_variable") for backend in BACKENDS}
    assert rows["numpy"], f"{name}: no return found in update_variable"
    assert rows["numpy"] == rows["tf"] == rows["jax"], rows


def test_muon_adam_branch_returns_on_the_same_row():
    shown = show_pieces.load("muon")
    rows = {backend: return_rows(shown, backend, ".adam_update") for backend in BACKENDS}
    assert rows["numpy"] and rows["numpy"] == rows["tf"] == rows["jax"]


def code_units(*statements):
    return units([line for statement in statements for line in statement.splitlines()])


def test_a_backend_with_more_lines_gives_the_others_blank_rows_not_a_shift():
    columns = {
        "numpy": code_units(
            "def rule(g, m):",
            "    m = 0.9 * m + g",
            "    scale = (\n        1.0\n    )",
            "    extra = m * m",
            "    return m * scale",
        ),
        "tf": code_units("def rule(g, m):", "    m = 0.9 * m + g", "    return m"),
    }
    lines, _ = show_align.row_lines(show_align.align(columns), ["numpy", "tf"])
    assert len(lines["numpy"]) == len(lines["tf"])
    assert lines["tf"].index("    return m") == lines["numpy"].index("    return m * scale")
    assert lines["tf"][2:6] == ["", "", "", ""]


def test_statements_in_another_order_still_align_their_returns():
    """The oracle's branch order changes (Keras's rule first); the returns still line up."""
    keras_first = code_units("if keras:", "    v = m - g", "    return v", "b = m + g", "return b")
    optax_first = code_units("if optax:", "    b = m + g", "    return b", "v = m - g", "return v")
    rows = show_align.align({"numpy": keras_first, "tf": optax_first, "jax": optax_first})
    lines, _ = show_align.row_lines(rows, BACKENDS)
    for index in range(len(lines["numpy"])):
        returns = {lines[b][index].strip().startswith("return") for b in BACKENDS}
        assert len(returns) == 1, (index, [lines[b][index] for b in BACKENDS])


def test_between_anchors_the_first_name_assigned_pairs_statements():
    numpy = code_units("k = w", "shape = w.shape", "s, d, pad = geometry(w)", "y = conv(x)")
    tf = code_units("k = w", "s, d, *_ = geometry(w)", "y = conv(x)")
    lines, _ = show_align.row_lines(show_align.align({"numpy": numpy, "tf": tf}), ["numpy", "tf"])
    row = lines["numpy"].index("s, d, pad = geometry(w)")
    assert lines["tf"][row] == "s, d, *_ = geometry(w)"
    assert lines["tf"][row - 1] == ""


def test_statement_keys_ignore_the_framework_namespace():
    numpy_keys = [u.key for u in units(["x = np.sqrt(v)", "if np.any(x):", "    y = 1"])]
    jax_keys = [u.key for u in units(["x = jnp.sqrt(v)", "if jnp.any(x):", "    y = 1"])]
    assert numpy_keys == jax_keys == ["= x", "if any(x)", "= y"]


def test_multi_line_statement_is_one_unit():
    assert [len(u.lines) for u in units(["total = (", "    a + b", ")", "return total"])] == [3, 1]


def test_weights_prefer_definitions_and_returns():
    assert show_align.weight("def f") > show_align.weight("return") > show_align.weight("= x")
    assert show_align.weight("= x") > show_align.weight("") == show_align.weight("#")


# --- the pieces ---------------------------------------------------------------------


def test_every_piece_has_equations_and_code_in_the_three_backends():
    pieces = show_pieces.all_pieces()
    assert len({piece.name for piece in pieces}) == len(pieces)
    for piece in pieces:
        shown = show_pieces.load(piece.name)
        assert shown.equations.strip(), piece.name
        for backend in BACKENDS:
            assert any(line.strip() for line in shown.lines[backend]), (piece.name, backend)
            assert len(shown.lines[backend]) == len(shown.row_of_line)


def test_the_kinds_the_issue_names_are_all_there():
    names = set(show_pieces.names())
    assert set(optimizers.NAMES) <= names
    assert {"cosine_decay", "softmax_cross_entropy", "backprop", "train_step", "loss"} <= names


def test_equations_once_and_the_columns_start_at_the_same_step():
    shown = show_pieces.load("adam")
    assert [shown.lines[b][0].split("(")[0] for b in BACKENDS] == ["class Adam"] * 3
    everything = "\n".join(line for b in BACKENDS for line in shown.lines[b])
    assert "α_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)" in shown.equations
    assert "α_t" not in everything and "def __init__" not in everything


def test_train_step_shows_the_same_named_function_in_the_three():
    shown = show_pieces.load("train_step")
    assert {shown.lines[b][0].split("(")[0] for b in BACKENDS} == {"def train_step"}


def test_backprop_puts_the_forward_loops_and_the_gradients_side_by_side():
    shown = show_pieces.load("backprop")
    numpy, tf, jax = (shown.lines[b] for b in BACKENDS)
    loop = numpy.index("    for layer in range(last + 1):")
    assert tf[loop] == jax[loop] == numpy[loop]
    ((start, end),) = [(s, e) for title, s, e in shown.parts if title == "loss_and_grads"]
    assert "dense_backward(" in "".join(numpy[start:end])
    assert "tape.gradient" in "".join(tf[start:end])
    assert "value_and_grad" in "".join(jax[start:end])
    row = tf.index("    return loss_value, grads")
    assert numpy[row].startswith("    return loss_value") and jax[row].startswith("    return jax")


def test_an_optimizer_without_its_own_rule_shows_its_bases():
    shown = show_pieces.load("adamw")
    titles = [title for title, _, _ in shown.parts]
    assert titles[:2] == ["AdamW", "Adam"] and "Adam.update_variable" in titles


def test_methods_a_twin_inherits_from_the_oracle_say_so():
    shown = show_pieces.load("muon")
    row = next(i for i, line in enumerate(shown.lines["numpy"]) if "def decay_weights" in line)
    assert "inherited from reference.Muon" in shown.lines["tf"][row]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_layers_are_found_as_they_arrive(tmp_path):
    """A layer appears once both twins write its forward, in a package or in one module."""
    write(
        tmp_path / "reference/layers/scale.py",
        'def scale_forward(x, s):\n    """y = s x"""\n    return s * x, (s,)\n\n\n'
        'def scale_backward(dy, cache):\n    """dx = s dy"""\n'
        "    (s,) = cache\n    return s * dy, {}\n\n\n"
        "def shift_forward(x):\n    return x + 1, ()\n",
    )
    write(tmp_path / "tf_impl/layers/scale.py", "def scale_forward(x, s):\n    return s * x\n")
    write(tmp_path / "jax_impl/layers.py", "def scale_forward(x, s):\n    return s * x\n")
    pieces = list(show_pieces.layer_pieces(tmp_path))
    assert [piece.name for piece in pieces] == ["scale"]  # shift: no twin yet
    assert pieces[0].files == {
        "numpy": "layers/scale.py", "tf": "layers/scale.py", "jax": "layers.py"
    }  # fmt: skip
    shown = show_pieces.build(pieces[0], root=tmp_path)
    assert shown.equations == "scale_forward:\ny = s x\n\nscale_backward:\ndx = s dy"
    row = shown.lines["numpy"].index("def scale_backward(dy, cache):")
    for backend, autodiff in (("tf", "tf.GradientTape"), ("jax", "jax.grad")):
        expected = f"# scale_backward: {autodiff} differentiates scale_forward"
        assert shown.lines[backend][row] == expected


def test_a_missing_file_gives_an_empty_column_not_a_crash(tmp_path):
    write(tmp_path / "reference/mlp.py", 'def forward(x):\n    """y = x"""\n    return x\n')
    piece = show_pieces.Piece(
        "f", "model", {b: "mlp.py" for b in BACKENDS}, (show_pieces.same("forward"),), ("forward",)
    )
    shown = show_pieces.build(piece, root=tmp_path)
    assert shown.lines["numpy"] == ["def forward(x):", "    return x"]
    assert shown.lines["tf"] == shown.lines["jax"] == ["", ""]


# --- the terminal -------------------------------------------------------------------


def column_rows(output):
    """The code cells of each printed row: ``[[numpy, tf, jax], ...]``."""
    rows = []
    for line in output.splitlines():
        match = re.match(r"\s*(\d+) " + SEPARATOR + " ", line)
        if match:
            rows.append([cell.rstrip() for cell in line.split(f" {SEPARATOR} ")[1:]])
    return rows


@pytest.mark.parametrize("name", optimizers.NAMES)
def test_columns_layout_prints_the_returns_of_update_variable_on_one_row(name):
    result = invoke("show", name, "--layout", "columns")
    assert result.exit_code == 0, result.output
    rows = column_rows(result.output)
    assert rows and all(len(row) == 3 for row in rows)
    start = next(i for i, row in enumerate(rows) if "def update_variable(" in row[0])
    definitions = (
        i
        for i, row in enumerate(rows)
        if i > start and any(re.match(r"\s*(def|class) ", cell) for cell in row)
    )
    body = rows[start : next(definitions, len(rows))]
    returns = [[cell.strip().startswith("return") for cell in row] for row in body]
    assert any(row[0] for row in returns)
    assert all(len(set(row)) == 1 for row in returns), body


def stacked_blocks(output):
    """Each backend's block of the stacked layout: ``{line number: code}``."""
    blocks, current = {}, None
    for line in output.splitlines():
        title = next((t for b, t in show.TITLES.items() if line.startswith(t)), None)
        if title:
            current = blocks.setdefault(title, {})
            continue
        match = re.match(r"\s*(\d+) " + SEPARATOR + " ?(.*)$", line)
        if match and current is not None:
            current[int(match.group(1))] = match.group(2)
    return blocks


def test_stacked_layout_numbers_the_same_step_alike_in_every_block():
    result = invoke("show", "adam", "--layout", "stacked")
    assert result.exit_code == 0, result.output
    blocks = stacked_blocks(result.output)
    assert list(blocks) == list(show.TITLES.values())
    numbers = [sorted(block) for block in blocks.values()]
    assert numbers[0] == numbers[1] == numbers[2] == list(range(1, len(numbers[0]) + 1))
    returns = [
        {n for n, code in block.items() if code.strip().startswith("return")}
        for block in blocks.values()
    ]
    assert returns[0] and returns[0] == returns[1] == returns[2]


def test_a_narrow_terminal_gets_stacked_blocks_and_the_width_columns_need():
    result = invoke("show", "adam")  # CliRunner output is not a terminal: 160 wide
    assert result.exit_code == 0, result.output
    needed = show.columns_width(show_pieces.load("adam"))
    assert needed > 160
    assert f"Side by side needs a terminal {needed} characters wide (this one is 160)" in (
        " ".join(result.output.split())
    )
    assert len(stacked_blocks(result.output)) == 3


def render(name, width, layout="auto"):
    console = Console(file=io.StringIO(), width=width, color_system=None)
    shown = show_pieces.load(name)
    show.render(shown, console, layout)
    return shown, console.file.getvalue()


def test_a_wide_terminal_gets_columns_without_a_note():
    shown, output = render("adam", 1000)
    assert "Side by side needs" not in output
    assert len(column_rows(output)) == len(shown.row_of_line)


def test_code_is_never_wrapped_even_in_a_very_narrow_terminal():
    shown, output = render("adam", 50)
    printed = output.splitlines()
    for line in shown.lines["numpy"]:
        if line.strip():
            assert any(row.endswith(line) for row in printed), line


def test_forced_columns_keep_whole_lines_in_a_narrow_terminal():
    shown, output = render("sgd", 80, layout="columns")
    rows = column_rows(output)
    assert [row[0] for row in rows] == [line.rstrip() for line in shown.lines["numpy"]]


def test_in_a_terminal_only_numbers_and_separators_are_dim():
    console = Console(file=io.StringIO(), width=400, force_terminal=True, color_system="standard")
    show.render(show_pieces.load("sgd"), console, "columns")
    output = console.file.getvalue()
    assert "\x1b[94mdef" in output  # a highlighted keyword, at full strength
    assert "\x1b[2;" not in output  # no colour combined with dim


def test_the_equations_are_printed_once():
    result = invoke("show", "adam")
    assert result.output.count("α_t = η √(1 − β₂ᵗ) / (1 − β₁ᵗ)") == 1
    for header in show.TITLES.values():
        assert header in result.output
    assert "tf.sqrt" in result.output and "jnp.sqrt" in result.output and "np.sqrt" in result.output


@pytest.mark.parametrize(
    "name", ["backprop", "train_step", "cosine_decay", "clipping", "loss", "muon"]
)
def test_two_backends_only(name):
    result = invoke("show", name, "--backend", "numpy", "--backend", "jax", "--layout", "columns")
    assert result.exit_code == 0, result.output
    assert "TensorFlow (tf_impl/)" not in result.output
    assert all(len(row) == 2 for row in column_rows(result.output))


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["show"], "Name a piece"),
        (["show", "adam", "--all", "--html", "x"], "not both"),
        (["show", "--all"], "give --html DIR"),
        (["show", "adam", "--layout", "wide"], "'wide' is not one of"),
        (["show", "adam", "--html", "/nonexistent/dir/adam.html"], "cannot write"),
        (["show", "adma"], "Did you mean"),
    ],
)
def test_show_mistakes_exit_2_with_one_line(args, fragment):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert fragment in result.output and "Traceback" not in result.output


# --- the page -----------------------------------------------------------------------


class PageStructure(html.parser.HTMLParser):
    """Counts the columns of a page and the lines in each."""

    def __init__(self):
        super().__init__()
        self.columns, self.lines, self.tags, self.equations = [], {}, [], 0
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        self.tags.append((tag, attrs))
        if tag == "section" and ({"column", "gutter"} & set(classes)):
            self.current = classes[-1]
            self.columns.append(self.current)
            self.lines[self.current] = 0
        if tag == "div" and "line" in classes:
            self.lines[self.current] += 1
        if tag == "pre" and "equations" in classes:
            self.equations += 1


def structure(text):
    parser = PageStructure()
    parser.feed(text)
    return parser


def assert_self_contained(text):
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert "url(" not in text and "src=" not in text


@pytest.mark.parametrize("name", ["adam", "backprop", "cosine_decay", "conv2d", "train_step"])
def test_page_has_the_equations_and_three_aligned_columns(name):
    shown = show_pieces.load(name)
    page = structure(show_html.page(shown))
    assert page.columns == ["gutter", "numpy", "tf", "jax"]
    assert set(page.lines.values()) == {len(shown.row_of_line)}
    assert page.equations == 1


def test_page_is_self_contained():
    assert_self_contained(show_html.page(show_pieces.load("muon")))


def test_highlighting_never_changes_the_code():
    for piece in show_pieces.all_pieces():
        shown = show_pieces.load(piece.name)
        for backend in BACKENDS:
            highlighted = show_html.highlight(shown.lines[backend])
            plain = [html.unescape(re.sub(r"<[^>]+>", "", line)) for line in highlighted]
            assert plain == shown.lines[backend], (piece.name, backend)


def test_highlighting_marks_keywords_names_strings_numbers_comments():
    (line,) = show_html.highlight(['def rule(g):  return "x" + 1  # why'])
    for css, text in [("k", "def"), ("f", "rule"), ("s", '"x"'), ("n", "1"), ("c", "# why")]:
        assert f'<span class="{css}">{html.escape(text)}</span>' in line


def test_show_html_writes_one_page(tmp_path):
    path = tmp_path / "adam.html"
    result = invoke("show", "adam", "--html", str(path))
    assert result.exit_code == 0, result.output
    page = structure(path.read_text())
    assert page.columns == ["gutter", "numpy", "tf", "jax"]
    assert [p.name for p in tmp_path.iterdir()] == ["adam.html"]  # no temporary file left


def test_show_all_html_writes_an_index_and_a_page_per_piece(tmp_path):
    result = invoke("show", "--all", "--html", str(tmp_path / "pages"))
    assert result.exit_code == 0, result.output
    names = [piece.name for piece in show_pieces.all_pieces()]
    written = sorted(p.name for p in (tmp_path / "pages").iterdir())
    assert written == sorted([*(f"{n}.html" for n in names), "index.html"])
    index = (tmp_path / "pages/index.html").read_text()
    assert_self_contained(index)
    assert "Adam (Kingma &amp; Ba 2015)" in index
    assert not re.search(r"<td>\w+:</td>", index)  # a summary is a line of maths, not a name
    for name in names:
        assert f'href="{name}.html"' in index
        text = (tmp_path / f"pages/{name}.html").read_text()
        assert_self_contained(text)
        page = structure(text)
        assert len(page.columns) == 4 and len(set(page.lines.values())) == 1, name


def test_a_failed_write_leaves_the_old_page_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "adam.html"
    path.write_text("old")

    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(show_html.os, "replace", fail)
    with pytest.raises(OSError):
        show_html.write_atomically(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["adam.html"]


def test_unit_dataclass_is_what_align_pads():
    rows = [{"numpy": Unit(("a", "b"), "= a"), "tf": Unit(("a",), "= a")}]
    lines, row_of_line = show_align.row_lines(rows, ["numpy", "tf"])
    assert lines == {"numpy": ["a", "b"], "tf": ["a", ""]} and row_of_line == [0, 0]
