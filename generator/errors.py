"""Errors and validation issues; every message names file › sheet › row › column."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class PmoError(Exception):
    """A problem a user can cause and fix; the CLI prints it as one line, never a traceback."""

    exit_code = 2


class UnreadableWorkbook(PmoError):
    """The file cannot be read as a workbook (missing, not xlsx, corrupt, encrypted, locked)."""


class WorkbookErrors(PmoError):
    """The workbook has validation errors; ``issues`` lists them all."""

    exit_code = 1

    def __init__(self, issues: list["Issue"]) -> None:
        self.issues = issues
        errors = [i for i in issues if i.severity is Severity.ERROR]
        super().__init__(f"the workbook has {len(errors)} error(s)")


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Location:
    """Where in the workbook: any part may be missing (a whole-sheet problem has no row)."""

    file: str
    sheet: str = ""
    row: int | None = None
    column: str = ""

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(self.column)
        return " › ".join(parts)


@dataclass(frozen=True)
class Issue:
    """One problem found in the workbook, with how to fix it."""

    severity: Severity
    location: Location
    message: str
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        loc = self.location
        return {
            "severity": self.severity.value,
            "file": loc.file,
            "sheet": loc.sheet or None,
            "row": loc.row,
            "column": loc.column or None,
            "message": self.message,
            "hint": self.hint or None,
            "text": str(self),
        }
