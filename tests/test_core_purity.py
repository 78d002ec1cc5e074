"""The core never imports an adapter: no xlwings, workbook library, mail or socket."""

import subprocess
import sys

import pytest

CORE = ["dunning.errors", "dunning.parse", "dunning.columns", "dunning.ledger",
        "dunning.contactlog", "dunning.customers", "dunning.policy", "dunning.plans",
        "dunning.charges", "dunning.promises", "dunning.disputes", "dunning.worklist",
        "dunning.aging", "dunning.kpis", "dunning.ledger_kpis", "dunning.settings"]
ADAPTERS = ["xlwings", "openpyxl", "python_calamine", "yagmail", "smtplib", "socket", "jinja2"]


@pytest.mark.parametrize("module", CORE)
def test_core_module_imports_no_adapter(module):
    code = (f"import sys, {module}; "
            f"print(sorted(m for m in {ADAPTERS!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
