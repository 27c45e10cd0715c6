"""Read a workbook into raw rows (openpyxl, read-only, cached formula values): the only reader."""

from __future__ import annotations

import hashlib
import io
import posixpath
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.etree import ElementTree

from ..errors import UnreadableWorkbook

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class RawSheet:
    """One worksheet's cell values by row (row 1 first), and formula cells with no cached value."""

    name: str
    rows: tuple[tuple[object, ...], ...]
    uncached: frozenset[tuple[int, int]] = frozenset()  # (row, column), both 1-based

    def value(self, row: int, column: int) -> object:
        """The value at 1-based ``row`` and ``column`` (None beyond the data)."""
        if row > len(self.rows):
            return None
        cells = self.rows[row - 1]
        return cells[column - 1] if column <= len(cells) else None


@dataclass(frozen=True)
class RawWorkbook:
    """Every sheet of a workbook, in workbook order."""

    file: str  # the name shown in messages
    sheets: tuple[RawSheet, ...]
    sha256: str = ""  # of the file's bytes as read

    def sheet(self, name: str) -> RawSheet | None:
        """The sheet called ``name``, ignoring case and surrounding spaces."""
        wanted = name.strip().lower()
        for s in self.sheets:
            if s.name.strip().lower() == wanted:
                return s
        return None


def read_workbook(path: Path, progress: Callable[[int, int], None] | None = None) -> RawWorkbook:
    """Read every sheet of the workbook at ``path``; UnreadableWorkbook says why it cannot be read.

    ``progress(i, n)`` is called before reading the i-th of n sheets.
    """
    check_readable(path)
    import openpyxl  # imported here: the only module that reads workbooks

    try:
        data = path.read_bytes()  # read once: parsed from memory, hashed for the manifest
    except PermissionError as exc:
        raise UnreadableWorkbook(_locked(path)) from exc
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it cannot read, also while reading rows
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except PermissionError as exc:
            raise UnreadableWorkbook(_locked(path)) from exc
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            raise UnreadableWorkbook(f"{path.name}: cannot be read as an Excel workbook ({exc})") from exc
        except Exception as exc:  # openpyxl raises assorted errors on damaged XML
            raise UnreadableWorkbook(f"{path.name}: the workbook is damaged and cannot be read ({exc})") from exc
        try:
            uncached = _uncached_formulas(data)
            sheets = []
            for i, ws in enumerate(wb.worksheets, start=1):
                if progress is not None:
                    progress(i, len(wb.worksheets))
                if not hasattr(ws, "iter_rows"):  # chart sheets
                    continue
                ws.reset_dimensions()
                rows = tuple(tuple(r) for r in ws.iter_rows(values_only=True))
                sheets.append(RawSheet(ws.title, _trim(rows), uncached.get(ws.title, frozenset())))
        except Exception as exc:
            raise UnreadableWorkbook(f"{path.name}: the workbook is damaged and cannot be read ({exc})") from exc
        finally:
            wb.close()
    return RawWorkbook(path.name, tuple(sheets), hashlib.sha256(data).hexdigest())


def check_readable(path: Path) -> None:
    """Raise UnreadableWorkbook with a plain reason unless ``path`` looks like an .xlsx package."""
    name = path.name
    if not path.exists():
        raise UnreadableWorkbook(f"{name}: no such file ({path})")
    if path.is_dir():
        raise UnreadableWorkbook(f"{name}: is a folder, not a workbook")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except PermissionError as exc:
        raise UnreadableWorkbook(_locked(path)) from exc
    if not head:
        raise UnreadableWorkbook(f"{name}: the file is empty (0 bytes); save the workbook again from Excel")
    if head.startswith(OLE_MAGIC):
        raise UnreadableWorkbook(_ole_reason(path))
    suffix = path.suffix.lower()
    if not head.startswith(b"PK"):
        if suffix in {".csv", ".txt"} or b"," in head or b";" in head:
            raise UnreadableWorkbook(
                f"{name}: is a CSV/text file, not an Excel workbook; open it in Excel and "
                "save it as 'Excel Workbook (.xlsx)'"
            )
        raise UnreadableWorkbook(f"{name}: is not an Excel workbook (.xlsx)")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            bad = zf.testzip()
    except zipfile.BadZipFile as exc:
        raise UnreadableWorkbook(
            f"{name}: the file is corrupt or incomplete (truncated zip: {exc}); copy it again or "
            "restore it from a backup"
        ) from exc
    except (OSError, EOFError) as exc:
        raise UnreadableWorkbook(f"{name}: the file is corrupt and cannot be read ({exc})") from exc
    if bad is not None:
        raise UnreadableWorkbook(f"{name}: the file is corrupt (damaged part {bad}); restore it from a backup")
    if "xl/workbook.xml" not in names:
        kind = "a Word document" if "word/document.xml" in names else (
            "a PowerPoint deck" if "ppt/presentation.xml" in names else "a zip archive"
        )
        raise UnreadableWorkbook(f"{name}: is {kind}, not an Excel workbook (.xlsx)")
    if suffix in {".xlsm", ".xltm"}:
        return  # macro-enabled workbooks read the same way


def _ole_reason(path: Path) -> str:
    """Why an OLE compound file cannot be read: encrypted .xlsx or legacy .xls."""
    data = path.read_bytes()[:1_000_000]
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        return (
            f"{path.name}: the workbook is encrypted (password-protected); open it in Excel, remove "
            "the password (File › Info › Protect Workbook › Encrypt with Password) and save it"
        )
    return (
        f"{path.name}: is a legacy Excel 97-2003 (.xls) file; open it in Excel and save it as "
        "'Excel Workbook (.xlsx)'"
    )


def _locked(path: Path) -> str:
    return f"{path.name}: cannot be opened (permission denied); close it in Excel or check its permissions"


def _trim(rows: tuple[tuple[object, ...], ...]) -> tuple[tuple[object, ...], ...]:
    """Drop trailing empty rows (formatted but blank rows Excel keeps)."""
    end = len(rows)
    while end and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[end - 1]):
        end -= 1
    return rows[:end]


def _uncached_formulas(data: bytes) -> dict[str, frozenset[tuple[int, int]]]:
    """Formula cells with no cached value, by sheet title (formulas written by tools, not Excel)."""
    found: dict[str, frozenset[tuple[int, int]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for title, part in _sheet_parts(zf).items():
            try:
                data = zf.read(part)
            except KeyError:
                continue
            if b"<f>" not in data and b"<f " not in data and b":f>" not in data:
                continue
            cells = _scan_formulas(data)
            if cells:
                found[title] = frozenset(cells)
    return found


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> part name inside the package."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{PKG_REL_NS}Relationship")}
    parts = {}
    for sheet in wb.iter(f"{SHEET_NS}sheet"):
        target = targets.get(sheet.get(f"{REL_NS}id"), "")
        if target:
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            parts[sheet.get("name", "")] = part
    return parts


def _scan_formulas(data: bytes) -> list[tuple[int, int]]:
    """(row, column) of ``<c>`` elements that hold a formula but no cached value."""
    from openpyxl.utils.cell import coordinate_to_tuple

    cells = []
    for _, elem in ElementTree.iterparse(io.BytesIO(data), events=("end",)):
        if elem.tag != f"{SHEET_NS}c":
            continue
        formula = elem.find(f"{SHEET_NS}f")
        if formula is not None:
            value = elem.find(f"{SHEET_NS}v")
            cached = value is not None and (bool(value.text) or elem.get("t") == "str")
            if not cached:
                ref = elem.get("r")
                if ref:
                    cells.append(coordinate_to_tuple(ref))
        elem.clear()
    return cells

