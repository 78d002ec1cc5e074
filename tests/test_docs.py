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
