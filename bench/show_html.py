"""``gdkit show --html``: the aligned columns as one self-contained page, and an index.

A page needs nothing but itself: the style is inline, there is no script, and the
code is highlighted here, with the standard library's ``tokenize``. Each column has
the same number of lines, all of one fixed height, so the rows line up in any browser;
each column scrolls sideways on its own rather than wrapping a line of code. In a window
too narrow for three columns they follow one another, numbered alike. Files are
written to a temporary name and renamed, so a reader never sees half a page.
"""

import html
import io
import keyword
import os
import pathlib
import tempfile
import tokenize

from bench import show_pieces
from bench.show import TITLES

KIND_TITLES = {
    "optimizer": "Optimizers",
    "schedule": "Learning-rate schedules",
    "loss": "Losses",
    "model": "The model: backprop and the train step",
    "clipping": "Gradient clipping",
    "layer": "Layers",
}
STRING_TOKENS = {tokenize.STRING} | {
    getattr(tokenize, name)
    for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(tokenize, name)
}

STYLE = """
:root { --line: 1.45em; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1f2328; background: #fff; }
nav a, footer { color: #57606a; }
h1 { font-size: 1.5rem; margin: .4rem 0 .8rem; }
h1 .kind { font-size: 1rem; font-weight: normal; color: #57606a; }
pre, code, .lines { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.equations { font-size: 14px; background: #f6f8fa; border: 1px solid #d0d7de;
  border-radius: 6px; padding: .8rem 1rem; white-space: pre-wrap; width: max-content;
  max-width: 100%; box-sizing: border-box; }
.code { display: grid; grid-template-columns: auto repeat(var(--columns), minmax(0, 1fr));
  border: 1px solid #d0d7de; border-radius: 6px; font-size: 12.5px; }
.column { overflow-x: auto; border-left: 1px solid #d0d7de; min-width: 0; }
.head { height: 3.4em; box-sizing: border-box; padding: .35em .7em; background: #f6f8fa;
  border-bottom: 1px solid #d0d7de; white-space: nowrap; overflow: hidden; }
.head h2 { font-size: 1em; margin: 0; }
.head code { color: #57606a; }
.lines { width: max-content; min-width: 100%; }
.line { height: var(--line); line-height: var(--line); white-space: pre; padding: 0 .7em; }
.band1 { background: #f6f8fa; }
.gutter .line { color: #8c959f; text-align: right; }
.k { color: #cf222e; } .s { color: #0a3069; } .n { color: #0550ae; }
.c { color: #6e7781; font-style: italic; } .f { color: #8250df; font-weight: 600; }
.column .lines { counter-reset: line; }
.column .line::before { counter-increment: line; content: counter(line); display: none; }
@media (max-width: 1100px) {  /* too narrow for three columns: one after another */
  .code { grid-template-columns: minmax(0, 1fr); }
  .gutter { display: none; }
  .column { border-left: 0; border-top: 1px solid #d0d7de; }
  .column .line::before { display: inline-block; width: 3ch; margin-right: 1.5ch;
    text-align: right; color: #8c959f; }
}
.index td { padding: .2em 1em .2em 0; vertical-align: top; }
.index td:last-child { color: #57606a; }
"""


def _classes(lines):
    """Per line, the highlight class of each character (``None``: plain)."""
    marks = [[None] * len(line) for line in lines]
    # Indentation is irrelevant to the colours; without it tokenize never
    # rejects a column that starts inside a class or jumps between parts.
    indent = [len(line) - len(line.lstrip()) for line in lines]
    text = "".join(line.lstrip() + "\n" for line in lines)
    previous = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            css = _token_class(token, previous)
            if css:
                _mark(marks, indent, token, css)
            if token.type in (tokenize.NAME, tokenize.OP):
                previous = token
    except (tokenize.TokenError, SyntaxError):
        pass  # the rest stays plain
    return marks


def _token_class(token, previous):
    if token.type == tokenize.COMMENT:
        return "c"
    if token.type in STRING_TOKENS:
        return "s"
    if token.type == tokenize.NUMBER:
        return "n"
    if token.type == tokenize.NAME:
        if previous is not None and previous.string in ("def", "class"):
            return "f"
        if keyword.iskeyword(token.string):
            return "k"
    return None


def _mark(marks, indent, token, css):
    (first_row, first_col), (last_row, last_col) = token.start, token.end
    for row in range(first_row, last_row + 1):
        line = marks[row - 1]
        start = first_col + indent[row - 1] if row == first_row else 0
        end = last_col + indent[row - 1] if row == last_row else len(line)
        for column in range(start, min(end, len(line))):
            line[column] = css


def highlight(lines):
    """Each line as HTML, Python tokens wrapped in ``<span class=...>``."""
    out = []
    for line, marks in zip(lines, _classes(lines), strict=True):
        pieces, start = [], 0
        for end in range(1, len(line) + 1):
            if end == len(line) or marks[end] != marks[start]:
                text = html.escape(line[start:end])
                css = marks[start]
                pieces.append(f'<span class="{css}">{text}</span>' if css else text)
                start = end
        out.append("".join(pieces))
    return out


def _column(title, path, lines, row_of_line, css):
    rows = "".join(
        f'<div class="line band{row % 2}">{code}</div>'
        for code, row in zip(lines, row_of_line, strict=True)
    )
    head = f"<h2>{html.escape(title)}</h2><code>{html.escape(path)}</code>" if title else ""
    return (
        f'<section class="{css}"><div class="head">{head}</div>'
        f'<div class="lines">{rows}</div></section>'
    )


def _document(title, body):
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def page(shown, index_link=False):
    """One piece as a complete HTML document: the equations, then the aligned columns."""
    piece = shown.piece
    numbers = [str(n + 1) for n in range(len(shown.row_of_line))]
    columns = [_column("", "", numbers, shown.row_of_line, "gutter")]
    for backend in shown.backends:
        code = highlight(shown.lines[backend])
        columns.append(
            _column(
                TITLES[backend], shown.files[backend], code, shown.row_of_line, f"column {backend}"
            )
        )
    nav = '<nav><a href="index.html">All pieces</a></nav>\n' if index_link else ""
    body = (
        f"{nav}<h1>{html.escape(piece.name)} "
        f'<span class="kind">{html.escape(piece.kind)}</span></h1>\n'
        f'<pre class="equations">{html.escape(shown.equations)}</pre>\n'
        f'<main class="code" style="--columns: {len(shown.backends)}">\n'
        + "\n".join(columns)
        + "\n</main>\n<footer><p>Each row holds the same step in every backend; blank lines "
        "stand where a backend needs fewer lines. Made by <code>gdkit show "
        f"{html.escape(piece.name)} --html</code>.</p></footer>"
    )
    return _document(f"gdkit show {piece.name}", body)


def index(shown_pieces):
    """The index page: every piece, kind by kind, with the first line of its equations."""
    sections = []
    for kind, title in KIND_TITLES.items():
        rows = [
            f'<tr><td><a href="{html.escape(s.piece.name)}.html">{html.escape(s.piece.name)}</a>'
            f"</td><td>{html.escape(s.summary)}</td></tr>"
            for s in shown_pieces
            if s.piece.kind == kind
        ]
        if rows:
            sections.append(f'<h2>{title}</h2>\n<table class="index">{"".join(rows)}</table>')
    body = (
        "<h1>gdkit: every piece in NumPy, TensorFlow and JAX</h1>\n"
        "<p>Each page gives the equations, then the three implementations aligned row by row."
        "</p>\n" + "\n".join(sections)
    )
    return _document("gdkit: the pieces side by side", body)


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = pathlib.Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    )
    try:
        with handle:
            handle.write(text)
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except BaseException:
        pathlib.Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def write_page(path, shown):
    return write_atomically(path, page(shown))


def write_all(directory, backends=show_pieces.BACKENDS, root=show_pieces.ROOT):
    """One page per piece and ``index.html`` in ``directory``; returns the paths written."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    shown_pieces = [
        show_pieces.build(piece, backends, root) for piece in show_pieces.all_pieces(root)
    ]
    written = [
        write_atomically(directory / f"{shown.piece.name}.html", page(shown, index_link=True))
        for shown in shown_pieces
    ]
    written.append(write_atomically(directory / "index.html", index(shown_pieces)))
    return written
