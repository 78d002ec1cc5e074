"""Why a workbook could not be written: open elsewhere, or of a kind the writer does not edit.

Both are `DunningInputError`s, so a caller that reports input problems reports these
the same way; the subclasses let a ribbon button say "close the workbook and retry"
instead of "fix your data".
"""

from __future__ import annotations

from dunning.core.errors import DunningInputError, Issue

TEXT_NOT_WORKBOOK = "is a text file, not an Excel workbook: if it is a CSV export, name it .csv"
"""What is said of a text file (a CSV export, most often) given a workbook's .xlsx or .xlsm
name, after its name: by the readers (`io.reading.check_workbook_file`) and the writer."""


class WorkbookLockedError(DunningInputError):
    """The workbook is open in Excel or LibreOffice (or cannot be opened for writing).

    Attributes:
        owner: who has it open, when the owner file says so; otherwise None.
    """

    def __init__(self, issues: list[Issue], *, owner: str | None = None) -> None:
        super().__init__(issues)
        self.owner = owner


class UnsupportedWorkbookError(DunningInputError):
    """A file the part-level writer does not edit (.xls, .xlsb, strict OOXML, encrypted...)."""


def locked(path: str, message: str, *, owner: str | None = None) -> WorkbookLockedError:
    """A `WorkbookLockedError` whose single issue names the workbook file."""
    return WorkbookLockedError([Issue(message, sheet=path)], owner=owner)


def unsupported(path: str, message: str) -> UnsupportedWorkbookError:
    """An `UnsupportedWorkbookError` whose single issue names the workbook file."""
    return UnsupportedWorkbookError([Issue(message, sheet=path)])
