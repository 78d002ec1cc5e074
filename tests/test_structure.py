"""The package tree is the architecture: each module sits in a room, and imports only down.

    top      cli, demo, udfs and ribbon (the names Excel calls), __init__
    excel    worksheet functions, the open workbook, the ribbon's handlers
    app      what a command or a button does
    mail     MIME, drafts, SMTP, the send journal
    io       the Workbook interface, files, the lossless xlsx writer, the client template
    sheets   workbook tables to typed values      render   reports, money, messages
    core     ledger, aging, KPIs, policy, worklist, promises, disputes, plans, charges, risk

A module may import its own room and the rooms below it, never one above; `sheets` and
`render` stand side by side and do not import each other. The core imports no I/O and
nothing outside itself. Only `io` reaches into `io.xlsx`, and `io.xlsx` uses nothing of
Dunning but itself, `io.durability` and the shared `core.errors`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "addin" / "dunning"
LEVELS = {"core": 0, "sheets": 1, "render": 1, "io": 2, "mail": 3, "app": 4, "excel": 5,
          "top": 6}
TOP = {"__init__", "cli", "demo", "udfs", "ribbon"}
IO_LIBRARIES = {"os", "pathlib", "io", "zipfile", "shutil", "tempfile", "subprocess",
                "socket", "ssl", "http", "urllib", "smtplib", "email", "importlib",
                "sqlite3", "openpyxl", "python_calamine", "fastexcel", "xlwings", "yagmail",
                "keyring", "jinja2"}
XLSX_MAY_USE = {"dunning.core.errors", "dunning.io.durability"}
SHIMS = {"dunning.udfs", "dunning.ribbon"}
"""Names Excel calls (xlwings' UDF Modules, the add-in's RunPython): re-exports, tested
through the modules they name."""


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def room(module: str) -> str | None:
    """The room a dotted module name sits in, or None when it sits in none."""
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] in TOP):
        return "top"
    return parts[1] if parts[1] in LEVELS and parts[1] != "top" else None


def imports(path: Path, module: str) -> set[str]:
    """Every module the file imports, at any depth (imports inside functions included)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from x import mod`
    return found


ALL = modules()


def dunning_imports(module: str) -> set[str]:
    """The package's own modules that `module` imports (submodule names resolved)."""
    return {name for name in imports(ALL[module], module) if name in ALL and name != module}


@pytest.mark.parametrize("module", sorted(ALL))
def test_every_module_sits_in_a_room(module):
    assert room(module) is not None, f"{module} is in no room: move it into one of {LEVELS}"


@pytest.mark.parametrize("module", sorted(ALL))
def test_a_module_imports_only_its_room_and_the_rooms_below(module):
    own = room(module)
    wrong = sorted(
        f"{name} ({room(name)})" for name in dunning_imports(module)
        if name != "dunning" and (LEVELS[room(name)] > LEVELS[own]
                                  or (LEVELS[room(name)] == LEVELS[own] and room(name) != own)))
    assert wrong == [], f"{module} ({own}) imports a room above or beside its own"


@pytest.mark.parametrize("module", sorted(m for m in ALL if room(m) == "core"))
def test_the_core_imports_no_io_and_nothing_outside_itself(module):
    outside = sorted(name for name in dunning_imports(module) if room(name) != "core")
    io = sorted(name for name in imports(ALL[module], module)
                if name.split(".")[0] in IO_LIBRARIES)
    assert (outside, io) == ([], [])


@pytest.mark.parametrize("module", sorted(ALL))
def test_only_io_reaches_into_the_xlsx_writer(module):
    reached = sorted(n for n in dunning_imports(module) if n.startswith("dunning.io.xlsx"))
    if module.startswith("dunning.io.xlsx"):
        others = sorted(n for n in dunning_imports(module)
                        if not n.startswith("dunning.io.xlsx") and n not in XLSX_MAY_USE
                        and n not in ("dunning.io", "dunning.core"))
        assert others == [], f"{module} is part of the writer and must stand alone"
    elif room(module) != "io":
        assert reached == [], f"{module} reaches into the writer: go through dunning.io"


def test_the_rules_catch_what_they_are_for(tmp_path):
    """The checks can fail: a core module that opens a file and imports the app."""
    bad = tmp_path / "bad.py"
    bad.write_text("import zipfile\nfrom dunning.app import actions\n"
                   "def f():\n    from ..io import book\n", encoding="utf-8")
    found = imports(bad, "dunning.core.bad")
    assert {"zipfile", "dunning.app", "dunning.app.actions", "dunning.io",
            "dunning.io.book"} <= found
    assert room("dunning.core.bad") == "core" and room("dunning.stray") is None
    assert room("dunning.cli") == "top" and room("dunning") == "top"


def test_every_module_has_its_test_file():
    """tests/test_<module>.py or tests/test_<room>_<module>.py, and that file imports the
    module: where two rooms hold a module of one name (core/portfolio, app/portfolio), a
    file of that name that tests only one of them is no test file of the other."""
    tests = Path(__file__).resolve().parent
    missing = []
    for module in sorted(ALL):
        if ALL[module].name == "__init__.py" or module in SHIMS:
            continue
        parts = module.split(".")
        names = {f"test_{parts[-1]}.py", f"test_{parts[-2]}_{parts[-1]}.py"}
        files = [tests / name for name in sorted(names) if (tests / name).exists()]
        if not any(module in imports(path, "tests." + path.stem) for path in files):
            missing.append(f"{module} ({', '.join(p.name for p in files) or 'no file'})")
    assert missing == [], "modules without a tests/test_<module>.py that imports them"

if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
