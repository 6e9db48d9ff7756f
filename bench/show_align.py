"""Aligning the three backends' statements so that a row holds one step of the equations.

Each backend's code is a sequence of statements with keys (``bench.show_source``). Two
sequences are aligned by the heaviest common subsequence of equal keys (a weighted
longest common subsequence, computed exactly): ``def`` lines weigh most, then
``return``, then assignments, then blank lines and comments. Between two matched
statements the same is done with looser keys (the first name assigned), and what is
still left is paired in order; where one backend has more, the others get blank lines.
Three backends are aligned by folding: the twins (TensorFlow, JAX) first, as they are
nearly line for line alike, then the oracle against their rows.

A statement spanning several lines makes its row as tall as it is; the other columns
are padded with blank lines, never shifted.
"""

WEIGHTS = {"def": 8, "class": 8, "return": 4, "": 1, "#": 1, "docstring": 2}
ASSIGNMENT_WEIGHT = 3


def weight(key):
    return WEIGHTS.get(key.split(" ")[0], ASSIGNMENT_WEIGHT)


def exact(key):
    return key


def loose(key):
    """The key with less detail: the first name assigned, ``if`` or ``for`` alone."""
    if key.startswith("= "):
        return key.split(",")[0]
    if key.startswith(("if ", "for ")):
        return key.split(" ")[0]
    return key


LEVELS = (exact, loose)


def matches(rows, units, level=exact):
    """Index pairs ``(row, unit)`` of the heaviest in-order matching of equal keys."""
    n, m = len(rows), len(units)
    row_keys = [{level(unit.key) for unit in row.values()} for row in rows]
    unit_keys = [level(unit.key) for unit in units]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score = max(best[i + 1][j], best[i][j + 1])
            if unit_keys[j] in row_keys[i]:
                score = max(score, best[i + 1][j + 1] + weight(unit_keys[j]))
            best[i][j] = score
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        paired = unit_keys[j] in row_keys[i]
        if paired and best[i][j] == best[i + 1][j + 1] + weight(unit_keys[j]):
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def pairs(rows, units, levels=LEVELS):
    """``(row index or None, unit index or None)`` in order, every row and unit once.

    Equal keys first; between two such matches, the looser keys; what is left in a gap
    is paired in order, and the longer side gets rows of its own.
    """
    if not levels:
        count = max(len(rows), len(units))
        return [(k if k < len(rows) else None, k if k < len(units) else None) for k in range(count)]
    paired, i, j = [], 0, 0
    for row_index, unit_index in [*matches(rows, units, levels[0]), (len(rows), len(units))]:
        for a, b in pairs(rows[i:row_index], units[j:unit_index], levels[1:]):
            paired.append((None if a is None else i + a, None if b is None else j + b))
        if row_index < len(rows):
            paired.append((row_index, unit_index))
        i, j = row_index + 1, unit_index + 1
    return paired


def merge(rows, units, backend):
    """The rows with ``backend``'s units added: matched ones beside their match."""
    merged = []
    for row_index, unit_index in pairs(rows, units):
        row = {} if row_index is None else dict(rows[row_index])
        if unit_index is not None:
            row[backend] = units[unit_index]
        merged.append(row)
    return merged


def align(columns):
    """``columns``: backend -> list of units. Returns rows: dicts backend -> unit.

    A backend is absent from a row where it has no statement for that step.
    """
    order = sorted(columns, key=lambda backend: backend == "numpy")
    rows = []
    for backend in order:
        rows = merge(rows, columns[backend], backend)
    return rows


def row_lines(rows, backends):
    """``(lines per backend, row index of each line)``: each row padded to its tallest unit."""
    lines = {backend: [] for backend in backends}
    row_of_line = []
    for index, row in enumerate(rows):
        height = max((len(unit.lines) for unit in row.values()), default=1)
        for backend in backends:
            shown = row[backend].lines if backend in row else ()
            lines[backend].extend([*shown, *[""] * (height - len(shown))])
        row_of_line.extend([index] * height)
    return lines, row_of_line
