"""Write workbook_templates/Dunning-Client.xlsx, the empty client workbook, from code.

The template is committed, and a test checks that it equals a fresh build part
for part, so after changing `dunning.io.client_workbook` run this script and commit the
result:

    python scripts/build_template.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from dunning.io.client_workbook import build_workbook

TEMPLATE = Path(__file__).resolve().parents[1] / "workbook_templates" / "Dunning-Client.xlsx"


def main(argv: list[str] | None = None) -> int:
    """Build the template (or to the path given as the only argument) and report where."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else TEMPLATE
    target.parent.mkdir(parents=True, exist_ok=True)
    build_workbook(target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
