"""The core never imports an adapter: no xlwings, workbook library, mail or socket."""

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "addin" / "dunning"
CORE = sorted("dunning." + ".".join(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
              for room in ("core", "sheets") for path in (PACKAGE_ROOT / room).glob("*.py")
              if path.name != "__init__.py" and path.stem != "risk")
"""Every module of the core and of sheets (risk has its own test: scikit-learn's imports
reach socket without opening one)."""
ADAPTERS = ["xlwings", "openpyxl", "python_calamine", "yagmail", "smtplib", "socket", "jinja2"]


def _adapters_loaded_by(code: str) -> set[str]:
    probe = f"import sys; {code}; print(' '.join(m for m in {ADAPTERS!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return set(done.stdout.split())


@pytest.fixture(scope="module")
def pandas_own() -> set[str]:
    """What `import pandas` alone loads of the list: with pyarrow installed (a dependency
    since issue 17, and pandas 3's own string storage), pyarrow.util imports socket to offer
    a free-port helper; no socket is opened. The core is answerable for anything beyond."""
    return _adapters_loaded_by("import pandas")


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_adapter(module, pandas_own):
    assert _adapters_loaded_by(f"import {module}") <= pandas_own
    assert pandas_own <= {"socket"}


# ------------------------------------------------------------------ the clock

ENTRY_POINTS = {"cli.py", "excel/functions.py", "excel/ribbon.py"}
"""Where the clock may be read: the command line, and what Excel calls directly."""
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("date", "today"), ("time", "time"), ("time", "localtime"),
               ("time", "gmtime"), ("Timestamp", "now"), ("Timestamp", "today")}


def clock_reads(source: str) -> list[int]:
    """Lines that read the clock: datetime.now(), date.today(), time.time() and the like."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(node.lineno)
    return found


def test_nothing_below_the_command_line_reads_the_clock():
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "addin" / "dunning"
    readers = {str(path.relative_to(package)): lines
               for path in sorted(package.rglob("*.py"))
               if path.relative_to(package).as_posix() not in ENTRY_POINTS
               and (lines := clock_reads(path.read_text(encoding="utf-8")))}
    assert readers == {}


def test_the_clock_check_finds_each_way_of_reading_it():
    source = ("import datetime as dt, time\nimport pandas as pd\n"
              "a = dt.datetime.now()\nb = dt.date.today()\nc = time.time()\n"
              "d = pd.Timestamp.now()\ne = dt.datetime(2026, 1, 1)\n")
    assert clock_reads(source) == [3, 4, 5, 6]
