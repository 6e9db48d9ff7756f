"""Every "why" in the project leads somewhere that exists, inside the repository.

- A citation "docs/<name>.md §N.M", anywhere in a .py or .md file, names a section that
  the document has (a heading "## N" or "### N.M"). Inside docs/*.md a bare "§N.M" is a
  section of the same document; elsewhere a bare "§" must follow a document citation on
  the same line ("docs/conventions.md §2.2 and §2.5") or be a paper's section
  ("Kingma & Ba 2015, §7.1": a year on the line).
- A path to the project's own files in a comment, a docstring or a document exists
  ("bench/cases.py"), and so does a test it names ("tests/<file>.py::test_<name>").
- Nothing points outside the repository: no background documents of the maintainers'
  machine, no paths into a shared folder.
- The README links to the conventions document.
"""

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRECTORIES = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "build"}
PROJECT_DIRECTORIES = ("reference", "tf_impl", "jax_impl", "bench", "tests", "docs")

SECTION_HEADING = re.compile(r"^#{2,6} (\d+(?:\.\d+)*) ", re.MULTILINE)
DOCUMENT_CITATION = re.compile(r"(docs/[\w-]+\.md) §(\d+(?:\.\d+)*)")
BARE_SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
YEAR = re.compile(r"\b(19|20)\d\d\b")
PROJECT_PATH = re.compile(
    r"(?<![\w./-])((?:" + "|".join(PROJECT_DIRECTORIES) + r")/[\w/-]*[\w-]\.(?:py|md))"
    r"(?:::(\w+))?"
)
# A capitalised document name at the top of the repository, such as README.md.
TOP_LEVEL_DOCUMENT = re.compile(r"(?<![\w./-])([A-Z][A-Z_]+\.md)\b")
# Spelled in pieces so that this file does not contain what it forbids.
OUTSIDE = [
    (re.compile(r"\.\./" + "shared"), "a path outside the repository"),
    (re.compile(r"(?<![\w.-])" + "shared" + "/"), "a path into a shared folder"),
]


def project_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.suffix not in (".py", ".md") or not path.is_file():
            continue
        skipped = [p for p in relative.parts if p in SKIPPED_DIRECTORIES or p.endswith(".egg-info")]
        if skipped:
            continue
        yield relative


def python_prose(source):
    """(line number, text) of every comment and docstring of a Python source."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            lines.append((token.start[0], token.string))
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    first = body[0].value.lineno
                    for offset, text in enumerate(body[0].value.value.splitlines()):
                        lines.append((first + offset, text))
    return sorted(lines)


def sections_of(document):
    path = ROOT / document
    return set(SECTION_HEADING.findall(path.read_text())) if path.is_file() else None


def citation_problems(where, text, own_document=None):
    """Citations of sections in ``text`` that do not resolve, as messages."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        cited = [(m.start(), m.group(1), m.group(2)) for m in DOCUMENT_CITATION.finditer(line)]
        for start, section in ((m.start(), m.group(1)) for m in BARE_SECTION.finditer(line)):
            earlier = [c for c in cited if c[0] < start and c[2] != section]
            if any(c[0] + len(c[1]) + 1 == start for c in cited):
                continue  # the "§" of a document citation itself
            if earlier:
                cited.append((start, earlier[-1][1], section))
            elif own_document:
                cited.append((start, own_document, section))
            elif not YEAR.search(line):
                problems.append(
                    f"{where}:{number}: '§{section}' names no document: write "
                    "'docs/<document>.md §N.M', or the paper and its year"
                )
        for _, document, section in cited:
            sections = sections_of(document)
            if sections is None:
                problems.append(f"{where}:{number}: cites {document}, which does not exist")
            elif section not in sections:
                problems.append(f"{where}:{number}: cites {document} §{section}: no such section")
    return problems


def path_problems(where, prose_lines):
    """Paths to project files (and tests named by ``::``) in prose that do not exist."""
    problems = []
    for number, line in prose_lines:
        for match in PROJECT_PATH.finditer(line):
            mentioned, test = match.group(1), match.group(2)
            if not (ROOT / mentioned).is_file():
                problems.append(f"{where}:{number}: mentions {mentioned}, which does not exist")
            elif test and not re.search(rf"^\s*def {test}\(", (ROOT / mentioned).read_text(), re.M):
                problems.append(f"{where}:{number}: {mentioned} has no test {test}")
        for name in TOP_LEVEL_DOCUMENT.findall(line):
            if not (ROOT / name).is_file() and not (ROOT / "docs" / name).is_file():
                problems.append(f"{where}:{number}: mentions {name}, not in the repository")
    return problems


def outside_problems(where, text):
    return [
        f"{where}:{number}: {why}: {line.strip()[:80]}"
        for number, line in enumerate(text.splitlines(), 1)
        for pattern, why in OUTSIDE
        if pattern.search(line)
    ]


def problems_of(relative, text):
    own = relative.as_posix() if relative.parts[0] == "docs" else None
    if relative.suffix == ".py":
        prose = python_prose(text)
    else:
        prose = list(enumerate(text.splitlines(), 1))
    return (
        citation_problems(relative.as_posix(), text, own)
        + path_problems(relative.as_posix(), prose)
        + outside_problems(relative.as_posix(), text)
    )


FILES = list(project_files())


def test_the_project_has_documents_and_sources_to_check():
    assert Path("docs/conventions.md") in FILES
    assert Path("reference/optimizers.py") in FILES
    assert not any(".venv" in f.parts for f in FILES)


@pytest.mark.parametrize("relative", FILES, ids=[f.as_posix() for f in FILES])
def test_every_citation_and_path_resolves(relative):
    problems = problems_of(relative, (ROOT / relative).read_text())
    assert not problems, "\n".join(problems)


def test_the_readme_links_to_the_conventions():
    assert "](docs/conventions.md" in (ROOT / "README.md").read_text()


def test_the_conventions_number_their_sections_once_and_in_order():
    headings = SECTION_HEADING.findall((ROOT / "docs/conventions.md").read_text())
    assert len(headings) == len(set(headings))
    chapters = [h for h in headings if "." not in h]
    assert chapters == [str(n) for n in range(1, len(chapters) + 1)]
    for heading in headings:
        if "." in heading:
            assert heading.rsplit(".", 1)[0] in headings, heading


# The checker itself: each kind of broken reference is caught, and good ones pass.
CONVENTIONS = "docs/conventions" + ".md"
S = "\N{SECTION SIGN}"  # written by name, so that this file cites nothing itself


@pytest.mark.parametrize(
    "text, fragment",
    [
        (f"# see {CONVENTIONS} " + S + "99.9", "no such section"),
        (f"# see {CONVENTIONS} " + S + "2.2 and " + S + "42", S + "42: no such section"),
        ("# see docs/" + "missing_document" + ".md " + S + "1", "does not exist"),
        ("# Keras rounds it (" + S + "1.2)", "names no document"),
        ("# see CONVENTIONS" + ".md", "not in the repository"),
        ("# see LAYERS" + ".md " + S + "3", "names no document"),
        ("# see tests/no_such_" + "file.py", "does not exist"),
        ("# see bench/no_such_" + "file.py", "does not exist"),
        ("# shown by tests/test_docs.py::" + "test_that_does_not_exist", "has no test"),
        ("# read ../sha" + "red/notes.txt", "outside the repository"),
        ("# read /work/sha" + "red/notes.txt", "shared folder"),
    ],
)
def test_a_broken_reference_is_caught(text, fragment):
    problems = problems_of(Path("bench/example.py"), text + "\n")
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    "text",
    [
        f"# see {CONVENTIONS} " + S + "2.2 and " + S + "2.5",
        "# Adamax (Kingma & Ba 2015, " + S + "7.1)",
        "# shown by tests/test_docs.py::test_a_broken_reference_is_caught",
        "x = 'jax_impl/layers" + ".py'  # a string in code is not a reference",
    ],
)
def test_a_good_reference_passes(text):
    assert problems_of(Path("bench/example.py"), text + "\n") == []


def test_a_bare_section_in_a_document_is_its_own():
    assert problems_of(Path("docs/conventions.md"), "as " + S + "2.2 shows\n") == []
    assert "no such section" in problems_of(Path("docs/conventions.md"), "see " + S + "77\n")[0]
