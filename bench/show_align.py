"""Aligning the three backends' statements so that a row holds one step of the equations.

Each backend's code is a sequence of statements with keys (``bench.show_source``). Two
sequences are aligned by the heaviest common subsequence of equal keys (a weighted
longest common subsequence, computed exactly): ``def`` lines weigh most, then
``return``, then assignments, then blank lines and comments. Statements between two
matched ones are paired in order; where one backend has more, the others get blank
lines. Three backends are aligned by folding: the twins (TensorFlow, JAX) first, as
they are nearly line for line alike, then the oracle against their rows.

A statement spanning several lines makes its row as tall as it is; the other columns
are padded with blank lines, never shifted.
"""

WEIGHTS = {"def": 8, "class": 8, "return": 4, "": 1, "#": 1, "docstring": 2}
ASSIGNMENT_WEIGHT = 3


def weight(key):
    return WEIGHTS.get(key.split(" ")[0], ASSIGNMENT_WEIGHT)


def _keys(row):
    return {unit.key for unit in row.values()}


def matches(rows, units):
    """Index pairs ``(row, unit)`` of the heaviest in-order matching of equal keys."""
    n, m = len(rows), len(units)
    row_keys = [_keys(row) for row in rows]
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score = max(best[i + 1][j], best[i][j + 1])
            if units[j].key in row_keys[i]:
                score = max(score, best[i + 1][j + 1] + weight(units[j].key))
            best[i][j] = score
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        paired = units[j].key in row_keys[i]
        if paired and best[i][j] == best[i + 1][j + 1] + weight(units[j].key):
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def merge(rows, units, backend):
    """The rows with ``backend``'s units added: matched ones beside their match."""
    merged, i, j = [], 0, 0
    for row_index, unit_index in [*matches(rows, units), (len(rows), len(units))]:
        gap_rows, gap_units = rows[i:row_index], units[j:unit_index]
        for k in range(max(len(gap_rows), len(gap_units))):
            row = dict(gap_rows[k]) if k < len(gap_rows) else {}
            if k < len(gap_units):
                row[backend] = gap_units[k]
            merged.append(row)
        if row_index < len(rows):
            merged.append({**rows[row_index], backend: units[unit_index]})
        i, j = row_index + 1, unit_index + 1
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
