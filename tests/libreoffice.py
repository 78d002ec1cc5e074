"""Recalculate a workbook in LibreOffice headless and read cell values back.

LibreOffice is the independent spreadsheet engine the tests check Dunning's
native formulas against. Two facts shape this module:

* LibreOffice does not recalculate the formulas of an .xlsx file on load (its
  default is "never recalculate"; files written by openpyxl carry no cached
  values at all), and the plain `--convert-to` route keeps whatever is cached.
  So the file is loaded through UNO and `calculateAll()` is called explicitly.
* The Debian `python3-uno` bindings only import in the system interpreter
  (/usr/bin/python3), not in the test interpreter. The UNO part therefore runs
  as a small script in a subprocess under that interpreter; this module starts
  and stops `soffice` itself (private profile, pipe acceptor) so that a hung or
  crashed office is always killed and its profile removed, whatever the script
  did.

Usage in a test::

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    values = recalculated_values(path, {"total": "Dashboard!C14"})
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from functools import cache
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
DEFAULT_TIMEOUT = 120.0

# Runs under /usr/bin/python3. Arguments: pipe name, file URL, JSON of {key: "Sheet!A1"},
# timeout in seconds. Prints one JSON object {key: value}; errors as {"__error__": text}.
_UNO_SCRIPT = r"""
import json
import os
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

pipe, url, wanted, timeout = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), float(sys.argv[4])


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def connect():
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            return resolver.resolve(
                "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def value_of(cell):
    kind = cell.Type.value  # EMPTY, VALUE, TEXT, FORMULA
    if kind == "EMPTY":
        return None
    if kind == "VALUE":
        return cell.Value
    if kind == "TEXT":
        return cell.String
    if cell.Error:
        return {"error": cell.Error, "text": cell.String}
    result = cell.FormulaResultType2  # com.sun.star.sheet.FormulaResult: 1 value, 2 string
    return cell.Value if result == 1 else cell.String


ctx = connect()
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
doc = None
try:
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    if doc is None:
        raise RuntimeError("LibreOffice could not open " + url)
    doc.calculateAll()
    out = {}
    sheets = doc.Sheets
    for key, ref in wanted.items():
        sheet_name, _, address = ref.rpartition("!")
        sheet_name = sheet_name.strip("'").replace("''", "'")
        if not sheets.hasByName(sheet_name):
            raise KeyError("no sheet %r (for %r)" % (sheet_name, ref))
        out[key] = value_of(sheets.getByName(sheet_name).getCellRangeByName(address))
    print(json.dumps(out))
except Exception as exc:  # reported to the caller, who raises it
    print(json.dumps({"__error__": "%s: %s" % (type(exc).__name__, exc)}))
finally:
    if doc is not None:
        try:
            doc.close(True)
        except Exception:
            pass
    try:
        desktop.terminate()
    except Exception:  # the bridge goes down with the office; that is the point
        pass
    # pyuno can crash while finalising proxies of a terminated office: skip finalisers.
    sys.stdout.flush()
    os._exit(0)
"""


class LibreOfficeError(RuntimeError):
    """LibreOffice could not open, recalculate or report on a workbook."""


def soffice_path() -> str | None:
    """The `soffice` executable, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


@cache
def uno_python() -> str | None:
    """An interpreter that can `import uno` (the system Python), or None."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return None
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, timeout=60, check=False
    )
    return SYSTEM_PYTHON if probe.returncode == 0 else None


def unavailable_reason() -> str | None:
    """Why LibreOffice recalculation cannot run here, or None when it can (for pytest.skip)."""
    if soffice_path() is None:
        return "LibreOffice (soffice) is not installed"
    if uno_python() is None:
        return f"{SYSTEM_PYTHON} cannot import uno (install python3-uno)"
    return None


def recalculated_values(
    xlsx_path: str | os.PathLike[str],
    cells: dict[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, object]:
    """Open `xlsx_path` in LibreOffice, recalculate everything and read `cells`.

    Args:
        xlsx_path: the workbook; it is not modified (LibreOffice never saves it).
        cells: {key: "Sheet!A1"}; sheet names may be quoted ('My Sheet'!B2).
        timeout: seconds for the whole run, office start-up included.

    Returns:
        {key: value}: numbers as float, text as str, empty cells as None, and
        formula errors as {"error": code, "text": shown text} so a test can say
        which cell failed and how.

    Raises:
        LibreOfficeError: LibreOffice is missing, timed out, or could not load the file.
    """
    reason = unavailable_reason()
    if reason:
        raise LibreOfficeError(reason)
    path = Path(xlsx_path).resolve()
    if not path.is_file():
        raise LibreOfficeError(f"no such workbook: {path}")
    pipe = f"dunning_test_{uuid.uuid4().hex}"
    profile = Path(tempfile.mkdtemp(prefix="dunning-lo-profile-"))
    office = _start_office(pipe, profile)
    try:
        output = _run_uno_script(pipe, path, cells, timeout)
    finally:
        _stop(office)
        shutil.rmtree(profile, ignore_errors=True)
    if "__error__" in output:
        raise LibreOfficeError(f"{path.name}: {output['__error__']}")
    return output


def _start_office(pipe: str, profile: Path) -> subprocess.Popen[bytes]:
    """Start a headless office with its own profile, so runs never share state or locks."""
    command = [
        str(soffice_path()),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--nodefault",
        "--norestore",
        "--nolockcheck",
        f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
    ]
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so _stop can end oosplash and soffice.bin
    )


def _run_uno_script(pipe: str, path: Path, cells: dict[str, str], timeout: float) -> dict:
    """Run the UNO client under the system Python and parse the JSON it prints."""
    command = [
        str(uno_python()),
        "-c",
        _UNO_SCRIPT,
        pipe,
        path.as_uri(),
        json.dumps(cells),
        str(timeout),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout + 10, check=False
        )
    except subprocess.TimeoutExpired as exc:
        message = f"LibreOffice did not finish {path.name} in {timeout:.0f} s"
        raise LibreOfficeError(message) from exc
    # The JSON line is printed last and whole; a crash while pyuno shuts down (exit -11)
    # does not make a finished answer wrong, so only a missing answer is a failure.
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise LibreOfficeError(
            f"UNO client failed on {path.name} (exit {done.returncode}): "
            f"{done.stderr.strip()[-2000:] or done.stdout.strip()[-2000:]}"
        )
    return json.loads(lines[-1])


def _stop(office: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """Let the office exit after terminate(); kill its whole process group if it lingers."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        office.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(office.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        office.wait(timeout=grace)
