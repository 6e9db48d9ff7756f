"""``gdkit show``: one piece of the kit in NumPy, TensorFlow and JAX, aligned row by row.

The equations (the oracle's docstring) come once, on top; then the code, in three
columns when the terminal is wide enough for the longest line of each, else one
backend after another with the same line numbers. Code is never wrapped: a wrapped
line would break the rows that the alignment lines up. ``bench.show_pieces`` says
what each piece shows; ``bench.show_html`` writes the same as a page.
"""

from rich.cells import cell_len
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

LAYOUTS = ("auto", "columns", "stacked")
TITLES = {"numpy": "NumPy (reference/)", "tf": "TensorFlow (tf_impl/)", "jax": "JAX (jax_impl/)"}
SEPARATOR = " │ "
THEME = "ansi_dark"


def _gutter(shown):
    return len(str(len(shown.row_of_line)))


def column_widths(shown):
    """Each backend's column width: its longest line, title or file name."""
    return {
        backend: max(
            cell_len(TITLES[backend]),
            cell_len(shown.files[backend]),
            *(cell_len(line) for line in shown.lines[backend]),
        )
        for backend in shown.backends
    }


def columns_width(shown):
    """Terminal width the columns need: line numbers, then each column after a separator."""
    separators = len(SEPARATOR) * len(shown.backends)
    return _gutter(shown) + sum(column_widths(shown).values()) + separators


def layout_for(shown, layout, width):
    """``(layout, note)``: ``auto`` is columns when they fit in ``width``, else stacked."""
    if layout != "auto" or len(shown.backends) == 1:
        return ("stacked" if layout == "auto" else layout), None
    needed = columns_width(shown)
    if needed <= width:
        return "columns", None
    note = (
        f"Side by side needs a terminal {needed} characters wide (this one is {width}): "
        "the backends follow one another, with the same line numbers. "
        "Widen the terminal, or pass --layout columns."
    )
    return "stacked", note


def _highlighted(lines):
    """The lines as rich Text, highlighted as Python (plain where rich splits differently)."""
    code = "\n".join(lines)
    text = Syntax(code, "python", theme=THEME).highlight(code)
    split = list(text.split("\n", allow_blank=True))
    if len(split) < len(lines):
        return [Text(line) for line in lines]
    return split[: len(lines)]


def _padded(text, width):
    text = text.copy()
    text.pad_right(width - text.cell_len)
    return text


def _print_columns(shown, console):
    widths = column_widths(shown)
    gutter = _gutter(shown)
    for header in (TITLES, shown.files):
        cells = [(f"{SEPARATOR}{header[b]:<{widths[b]}}", "bold") for b in shown.backends]
        console.print(Text.assemble(" " * gutter, *cells), soft_wrap=True, crop=False)
    columns = {b: _highlighted(shown.lines[b]) for b in shown.backends}
    for index in range(len(shown.row_of_line)):
        cells = []
        for backend in shown.backends:
            cells += [(SEPARATOR, "dim"), _padded(columns[backend][index], widths[backend])]
        row = Text.assemble((str(index + 1).rjust(gutter), "dim"), *cells)
        console.print(row, soft_wrap=True, crop=False)


def _print_stacked(shown, console):
    gutter = _gutter(shown)
    for backend in shown.backends:
        console.print()
        console.print(Text(f"{TITLES[backend]}  {shown.files[backend]}", style="bold"))
        for index, line in enumerate(_highlighted(shown.lines[backend])):
            number = (f"{index + 1:>{gutter}}{SEPARATOR}", "dim")
            console.print(Text.assemble(number, line), soft_wrap=True, crop=False)


def render(shown, console, layout="auto"):
    """Print the equations, then the code in ``layout`` (auto, columns or stacked)."""
    title = f"{shown.piece.name} ({shown.piece.kind})"
    console.print(Panel(Text(shown.equations), title=title, title_align="left", expand=False))
    layout, note = layout_for(shown, layout, console.width)
    if note:
        console.print(Text(note, style="yellow"))
    if layout == "columns":
        _print_columns(shown, console)
    else:
        _print_stacked(shown, console)
