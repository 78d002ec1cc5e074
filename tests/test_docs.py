"""The README documents every command and every Excel function, so neither can ship unexplained."""

import inspect
from pathlib import Path

import pytest

from dunning.cli import _parser
from dunning.excel import functions as udfs

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    parser = _parser()
    [group] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(group.choices)


def excel_functions() -> list[str]:
    return sorted(name for name, value in vars(udfs).items()
                  if inspect.isfunction(value) and name.isupper())


@pytest.mark.parametrize("command", commands())
def test_every_command_is_in_the_readme_with_help(command):
    assert f"dunning {command}" in README
    parser = _parser()
    [group] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    assert group.choices[command].format_help().strip()


@pytest.mark.parametrize("function", excel_functions())
def test_every_excel_function_is_in_the_readme_table(function):
    assert f"| `{function}` |" in README


PACKAGE = Path(__file__).resolve().parents[1] / "addin" / "dunning"
ROOMS = ("excel", "app", "mail", "io", "sheets", "render", "core")


def design_drawing() -> dict[str, str]:
    """The Design section's drawing of the rooms: each room's text, by room."""
    section = README.split("\n## Design\n", 1)[1].split("\n## ", 1)[0]
    drawing = section.split("```", 2)[1]
    found: dict[str, str] = {}
    room = ""
    for line in drawing.splitlines():
        head = line.strip().split("/", 1)[0]
        if line.startswith("  ") and head in ROOMS and line.strip().startswith(f"{head}/"):
            room = head
        if room:
            found[room] = found.get(room, "") + " " + line
    return found


@pytest.mark.parametrize("room", ROOMS)
def test_the_design_drawing_names_every_module_in_its_room(room):
    """The README draws the rooms; a module added to a room is added to the drawing too."""
    import re

    text = design_drawing().get(room, "")
    modules = sorted(path.stem for path in (PACKAGE / room).glob("*.py")
                     if path.name != "__init__.py")
    missing = [name for name in modules if not re.search(rf"\b{name}\b", text)]
    assert text and missing == [], f"README's design section lacks, in {room}/: {missing}"
