"""Every command in LESSONS.md runs and, for demos, every claim it prints holds."""

import pathlib
import re
import shlex

import pytest
from click.testing import CliRunner

from bench.cli import main

LESSONS = pathlib.Path(__file__).resolve().parent.parent / "LESSONS.md"
COMMANDS = re.findall(r"```sh\n(.*?)\n```", LESSONS.read_text(), flags=re.S)


def test_lessons_have_commands():
    assert len(COMMANDS) >= 10 and FAST_DEMO in COMMANDS


# The bench lesson times real steps for a minute and more, and each demo's claims are
# checked in tests/test_demos.py already: `make test` runs the `show` lessons and one demo
# through the command line, `make test-slow` (and CI) the rest.
FAST_DEMO = "gdkit demo update-rule"


def _marks(command):
    slow = command.startswith("gdkit bench") or (
        command.startswith("gdkit demo") and command != FAST_DEMO
    )
    return pytest.mark.slow if slow else ()


@pytest.mark.parametrize("command", [pytest.param(c, marks=_marks(c)) for c in COMMANDS])
def test_lesson_command_runs(command, tmp_path, monkeypatch):
    monkeypatch.setenv("GDKIT_DEMO_FAST", "1")
    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)
    assert args[0] == "gdkit"
    result = CliRunner().invoke(main, args[1:])
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    if args[1] == "demo":
        assert "✓" in result.output
        assert (tmp_path / "gdkit-out" / f"{args[2]}.png").exists()
