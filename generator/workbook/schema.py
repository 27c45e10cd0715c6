"""The workbook contract: sheet names, canonical columns and the header synonyms leads use."""

from __future__ import annotations

import re
from dataclasses import dataclass

PROGRAMMES = "Programmes"
SETTINGS = "Settings"
PROGRAMME_RAG = "Programme RAG"
INSTRUCTIONS = "Instructions"


@dataclass(frozen=True)
class Column:
    """A column of a sheet: canonical header, whether required, and accepted synonyms."""

    header: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    width: float = 14  # Excel column width used when we write the sheet


def normalise_header(text: object) -> str:
    """A header reduced for matching: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(text or "").lower())


MONTH_COLUMNS: tuple[Column, ...] = (
    Column("Programme", True, ("Programme name", "Program", "Workstream"), 18),
    Column("Project ID", True, ("ID", "Ref", "Reference", "Project ref"), 12),
    Column("Project", True, ("Project name", "Name"), 30),
    Column("Lead", False, ("Project lead", "Owner", "SRO"), 18),
    Column("RAG", True, ("RAG status", "Overall RAG", "Status"), 12),
    Column("Summary", True, ("Commentary", "Update", "Progress", "Status summary"), 70),
    Column("Issues and risks", False, ("Risks", "Issues", "Key issues", "Issues & risks"), 45),
    Column("Next steps", False, ("Next actions", "Looking forward"), 45),
    Column("Decisions required", False, ("Escalations", "Decisions", "Decisions needed"), 40),
)

PROGRAMME_COLUMNS: tuple[Column, ...] = (
    Column("Programme", True, ("Programme name", "Name"), 24),
    Column("Chair", False, ("Chairs", "SRO"), 32),
    Column("Red label", False, (), 28),
    Column("Amber/Red label", False, (), 28),
    Column("Amber label", False, (), 28),
    Column("Amber/Green label", False, (), 28),
    Column("Green label", False, (), 28),
    Column("Blue label", False, (), 28),
)

SETTINGS_COLUMNS: tuple[Column, ...] = (
    Column("Setting", True, ("Name", "Key"), 24),
    Column("Value", True, (), 90),
)

PROGRAMME_RAG_COLUMNS: tuple[Column, ...] = (
    Column("Month", True, ("Reporting month", "Period"), 12),
    Column("Programme", True, (), 24),
    Column("RAG", True, ("Programme RAG", "Overall RAG", "RAG status"), 12),
    Column("Comment", False, ("Commentary", "Note", "Notes"), 60),
)

# Columns we write for leads' reference and never read (new-month's copy of last month's summary)
REFERENCE_COLUMNS = ("Last month's summary (reference)",)

# Settings keys we understand (normalised key -> canonical name)
SETTING_KEYS = ("Title", "Organisation", "Description", "Contact", "RAG scale")


def is_extra_rag(header: object) -> bool:
    """True for an extra RAG dimension column such as ``Savings RAG`` (not the overall RAG)."""
    norm = normalise_header(header)
    return norm.endswith("rag") and norm not in {"rag", "overallrag", "ragstatus"}


def match_columns(
    headers: list[object], columns: tuple[Column, ...]
) -> tuple[dict[str, int], list[tuple[int, str, str]]]:
    """Map canonical header -> 0-based index; also list (index, header read, read as) synonyms used."""
    lookup: dict[str, Column] = {}
    for col in columns:
        lookup.setdefault(normalise_header(col.header), col)
    for col in columns:
        for syn in col.synonyms:
            lookup.setdefault(normalise_header(syn), col)
    found: dict[str, int] = {}
    synonyms_used: list[tuple[int, str, str]] = []
    for index, header in enumerate(headers):
        col = lookup.get(normalise_header(header))
        if col is None or col.header in found:
            continue
        found[col.header] = index
        if normalise_header(header) != normalise_header(col.header):
            synonyms_used.append((index, str(header).strip(), col.header))
    return found, synonyms_used
