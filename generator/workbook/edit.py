"""Safe editing of the leads' workbook: start next month's sheet, merge leads' returns.

openpyxl rewrites a workbook from its own model, and silently drops what it does not model
(threaded comments, ``x14`` data validations, shapes, slicers, sparklines, macros…). So every
edit here is made on a copy in memory, saved to memory, and the saved package is compared with
the original (parts by content type, worksheet extensions, drawing objects, comments, rich text)
before anything touches the disk. If anything would be lost the edit is refused, naming it,
unless forced. Before saving, the original is copied to ``.backup/`` beside the workbook; the
new workbook is written to a temporary file in the same folder and moved into place.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import posixpath
import re
import warnings
import zipfile
from collections import Counter
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence
from xml.etree import ElementTree

from ..errors import Issue, Location, PmoError, Severity, UnreadableWorkbook, WorkbookErrors
from ..portfolio.model import Month, Programme, Rag, RagScale
from ..portfolio.returns import SheetRow
from . import schema
from .create import write_atomic
from .read import RawSheet, RawWorkbook, check_readable, read_workbook
from .validate import clean_text, parse_month_sheet_name, rag_key, validate

# The column new-month adds with last month's summary: grey, locked, ignored by the reader.
REFERENCE_HEADER = "Last month's summary (reference)"
REFERENCE_NOTE = (
    "For reference only: last month's summary, copied here by pmo-report new-month. "
    "It is not read into the report. Write this month's update in the Summary column."
)
REFERENCE_FILL = "E7E6E6"  # light grey
REFERENCE_TEXT = "404040"  # contrast 9.3:1 on the grey
BACKUP_DIR = ".backup"


# --- results and refusals -----------------------------------------------------------------------


class RefusedEdit(PmoError):
    """The edit was refused and nothing was changed (month exists, file open in Excel…)."""

    exit_code = 1


class WouldLoseData(RefusedEdit):
    """Saving through openpyxl would lose something the workbook holds; ``losses`` says what."""

    def __init__(self, path: Path, losses: list[str]) -> None:
        self.losses = losses
        super().__init__(
            f"{path.name}: not changed: saving it would lose {'; '.join(losses)}. "
            "openpyxl cannot keep these. Make the change in Excel instead, or pass --force to "
            "go ahead and lose them (a backup is kept in .backup/)"
        )


class ReturnErrors(WorkbookErrors):
    """The returns have problems (invalid rows, conflicts); ``issues`` lists them all."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(issues)
        errors = sum(1 for i in issues if i.is_error)
        self.args = (f"the returns have {errors} problem(s); nothing was written",)


@dataclass
class EditResult:
    """What an edit did."""

    path: Path
    month: Month
    sheet: str
    backup: Path | None = None
    added: list[str] = field(default_factory=list)  # Project IDs given a new row
    updated: list[str] = field(default_factory=list)  # Project IDs whose row changed
    unchanged: list[str] = field(default_factory=list)  # Project IDs whose return matched the sheet
    carried: list[str] = field(default_factory=list)  # new-month: open projects with no row last month
    protected: list[str] = field(default_factory=list)  # sheets given sheet protection
    lost: list[str] = field(default_factory=list)  # what --force let go
    source: str = ""  # new-month: the sheet the rows were copied from
    notes: list[str] = field(default_factory=list)


# --- reading rows leniently (no openpyxl) ------------------------------------------------------


def _rag_lookup(programme: Programme | None) -> dict[str, Rag]:
    lookup = {"complete": Rag.BLUE, "completed": Rag.BLUE, "closed": Rag.BLUE}
    for rag in Rag:
        lookup[rag_key(rag.title)] = rag
        lookup[rag_key(rag.letter)] = rag
    if programme is not None:
        for rag, label in programme.labels.items():
            lookup.setdefault(rag_key(label), rag)
    return lookup


def _is_reference(header: object) -> bool:
    return schema.normalise_header(header) == schema.normalise_header(REFERENCE_HEADER)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def sheet_rows(sheet: RawSheet, programmes: Mapping[str, Programme]) -> list[SheetRow]:
    """Every non-blank row of a month sheet as typed, valid or not (for returns and new-month)."""
    headers = list(sheet.rows[0]) if sheet.rows else []
    index, _ = schema.match_columns(headers, schema.MONTH_COLUMNS)
    rows = []
    for number, cells in enumerate(sheet.rows[1:], start=2):
        if all(_blank(v) for v in cells):
            continue

        def text(header: str) -> str:
            i = index.get(header)
            return clean_text(cells[i] if i is not None and i < len(cells) else None)[0].strip()

        programme = text("Programme")
        rag_text = text("RAG")
        rag = _rag_lookup(programmes.get(programme)).get(rag_key(rag_text)) if rag_text else None
        rows.append(SheetRow(programme, text("Project ID"), text("Project"), text("Lead"), rag,
                             text("Summary"), number, rag_text))
    return rows


# --- the package inventory: what a save might lose ---------------------------------------------

_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

# Parts a save may drop without losing anything a person made: Excel rebuilds the calculation
# chain, and printer settings are driver blobs (the page setup itself is kept in the sheet).
_HARMLESS = ("calcchain", "printersettings")

# Content types of the parts every workbook has, rewritten by openpyxl from its model
_CORE = ("spreadsheetml.sheet.main", "sheet.macroenabled.main", "spreadsheetml.template.main",
         "template.macroenabled.main", "worksheet+xml", "styles+xml", "sharedstrings+xml", "theme+xml",
         "core-properties", "extended-properties", "relationships+xml")

# Content type fragment -> what a person would call it (checked in order)
_PART_KINDS: tuple[tuple[str, str], ...] = (
    ("threadedcomments", "threaded comment part"),
    ("person", "list of people in threaded comments"),
    ("vbaproject", "macro (VBA project)"),
    ("ctrlprops", "form control"),
    ("activex", "ActiveX control"),
    ("oleobject", "embedded object"),
    ("pivottable", "pivot table"),
    ("pivotcachedefinition", "pivot cache"),
    ("pivotcacherecords", "pivot cache records"),
    ("slicercache", "slicer cache"),
    ("slicer", "slicer"),
    ("timelinecache", "timeline cache"),
    ("timeline", "timeline"),
    ("externallink", "external link"),
    ("connections", "data connection"),
    ("querytable", "query table"),
    ("customxml", "custom XML part"),
    ("customui", "custom ribbon"),
    ("webextension", "web add-in"),
    ("drawingml.chart", "chart"),
    ("chartsheet", "chart sheet"),
    ("spreadsheetml.table+", "Excel table"),
    ("comments", "notes part"),
    ("drawing+xml", "drawing"),
    ("image/", "image"),
    ("vmldrawing", None),  # regenerated by openpyxl for notes; what it holds is counted elsewhere
)

# Worksheet extension URIs -> what they hold
_EXT_URIS = {
    "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}": "dropdown whose list is on another sheet (x14 data validation)",
    "{78C0D931-6437-407d-A8EE-F0AAD7539E65}": "newer conditional formatting rule (x14: data bars, icon sets)",
    "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}": "sparkline group",
    "{A8765BA9-456A-4dab-B4F3-ACF838C121DE}": "slicer list",
    "{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}": "table slicer list",
    "{7E03D99C-DC04-49d9-9315-930204A7B6E9}": "timeline list",
    "{F7C9EE02-42E1-4005-9D12-6889AFFD525C}": "web add-in",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": "x14 protected range",
    "{3A4CF648-6AED-40f4-86FF-DC5316D8AED2}": "table slicer list",
}

# Direct children of <worksheet> counted as features (tag -> name); losing one is a loss
_SHEET_ELEMENTS = {
    "dataValidation": "dropdown or data validation",
    "cfRule": "conditional formatting rule",
    "hyperlink": "hyperlink",
    "mergeCell": "merged cell range",
    "tablePart": "Excel table",
    "protectedRange": "protected range",
    "controls": "form or ActiveX controls",
    "oleObjects": "embedded objects",
    "picture": "background picture",
    "legacyDrawingHF": "header or footer picture",
    "customProperties": "custom sheet properties",
    "cellWatches": "watch window entries",
    "smartTags": "smart tags",
    "webPublishItems": "web publishing settings",
    "scenarios": "what-if scenarios",
    "sheetProtection": "sheet protection",
}

_DRAWING_OBJECTS = {
    "sp": "shape or text box",
    "cxnSp": "connector line",
    "grpSp": "group of shapes",
    "pic": "picture",
    "graphicFrame": "chart or SmartArt",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Package:
    """An .xlsx package opened for inspection: content types, relationships, sheets."""

    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.names = set(self.zip.namelist())
        types = ElementTree.fromstring(self.zip.read("[Content_Types].xml"))
        self.defaults = {e.get("Extension", "").lower(): e.get("ContentType", "")
                         for e in types.iter(f"{_CT_NS}Default")}
        self.overrides = {e.get("PartName", "").lstrip("/"): e.get("ContentType", "")
                          for e in types.iter(f"{_CT_NS}Override")}

    def content_type(self, name: str) -> str:
        return self.overrides.get(name) or self.defaults.get(name.rsplit(".", 1)[-1].lower(), "")

    def xml(self, name: str) -> ElementTree.Element | None:
        if name not in self.names:
            return None
        try:
            return ElementTree.fromstring(self.zip.read(name))
        except ElementTree.ParseError:
            return None

    def rels(self, part: str) -> list[tuple[str, str]]:
        """(relationship type, target part) of ``part``'s internal relationships."""
        folder, base = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        if root is None:
            return []
        found = []
        for rel in root.iter(f"{_PKG_REL}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found.append((rel.get("Type", ""), name))
        return found

    def sheets(self) -> dict[str, str]:
        """Sheet title -> part name."""
        wb = self.xml("xl/workbook.xml")
        if wb is None:
            return {}
        targets = {}
        rels_root = self.xml("xl/_rels/workbook.xml.rels")
        by_id = {}
        if rels_root is not None:
            for rel in rels_root.iter(f"{_PKG_REL}Relationship"):
                target = rel.get("Target", "")
                by_id[rel.get("Id")] = (target.lstrip("/") if target.startswith("/")
                                        else posixpath.normpath(posixpath.join("xl", target)))
        for sheet in wb.iter(f"{_MAIN}sheet"):
            part = by_id.get(sheet.get(_REL_ID))
            if part:
                targets[sheet.get("name", "")] = part
        return targets


def _part_kind(content_type: str) -> str | None:
    ct = content_type.lower()
    for fragment, kind in _PART_KINDS:
        if fragment in ct:
            return kind
    return content_type or "unknown part"


def inventory(data: bytes) -> Counter[tuple[str, str]]:
    """What a package holds, as counts of (where, what): where is a sheet title or ''."""
    pkg = _Package(data)
    found: Counter[tuple[str, str]] = Counter()
    # parts by kind, workbook-wide (the parts every workbook has are not counted)
    for name in pkg.names:
        if name.endswith("/") or name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        ct = pkg.content_type(name).lower()
        if any(h in ct or h in name.lower() for h in _HARMLESS) or any(c in ct for c in _CORE):
            continue
        kind = _part_kind(ct)
        if kind is not None:
            found[("", kind)] += 1
    # the workbook's own extensions (slicer caches, timelines, pivot caches of newer Excel)
    wb = pkg.xml("xl/workbook.xml")
    if wb is not None:
        for ext in wb.iter(f"{_MAIN}ext"):
            found[("", f"workbook extension {ext.get('uri', '')}")] += 1
    # rich text (formatting on part of a cell's text), by distinct text
    for text in _rich_texts(pkg):
        found[("", f"rich text::{text}")] += 1
    for title, part in pkg.sheets().items():
        _sheet_inventory(pkg, title, part, found)
    return found


def _rich_texts(pkg: _Package) -> set[str]:
    texts: set[str] = set()
    shared = pkg.xml("xl/sharedStrings.xml")
    holders = list(shared.iter(f"{_MAIN}si")) if shared is not None else []
    for part in pkg.sheets().values():
        root = pkg.xml(part)
        if root is not None:
            holders += list(root.iter(f"{_MAIN}is"))
    for si in holders:
        runs = si.findall(f"{_MAIN}r")
        if len(runs) > 0 and any(r.find(f"{_MAIN}rPr") is not None for r in runs):
            texts.add("".join((t.text or "") for r in runs for t in r.iter(f"{_MAIN}t")))
    return texts


def _sheet_inventory(pkg: _Package, title: str, part: str, found: Counter[tuple[str, str]]) -> None:
    root = pkg.xml(part)
    if root is None:
        return
    for elem in root.iter():
        name = _local(elem.tag)
        if name in _SHEET_ELEMENTS and elem.tag.startswith(_MAIN):
            found[(title, _SHEET_ELEMENTS[name])] += 1
    ext_list = root.find(f"{_MAIN}extLst")
    if ext_list is not None:
        for ext in ext_list:
            uri = ext.get("uri", "")
            what = _EXT_URIS.get(uri, f"worksheet extension {uri}")
            inner = [e for e in ext.iter() if _local(e.tag) in {"dataValidation", "cfRule", "sparklineGroup",
                                                                "slicer", "timelineRef"}]
            found[(title, what)] += max(1, len(inner))
    for rel_type, target in pkg.rels(part):
        ct = pkg.content_type(target).lower()
        if "threadedcomments" in ct:
            tree = pkg.xml(target)
            n = sum(1 for e in tree.iter() if _local(e.tag) == "threadedComment") if tree is not None else 1
            found[(title, "threaded comment")] += n
        elif "spreadsheetml.comments" in ct:
            tree = pkg.xml(target)
            n = sum(1 for e in tree.iter(f"{_MAIN}comment")) if tree is not None else 1
            found[(title, "note (comment)")] += n
        elif "drawing+xml" in ct:
            tree = pkg.xml(target)
            if tree is not None:
                for e in tree.iter():
                    what = _DRAWING_OBJECTS.get(_local(e.tag))
                    if what and "drawingml" in e.tag:
                        found[(title, what)] += 1
        elif "vmldrawing" in ct or "printersettings" in ct:
            continue
        else:
            kind = _part_kind(ct)
            if kind:
                found[(title, kind)] += 1


def _plural(n: int, what: str) -> str:
    if n == 1:
        article = "an" if what[:1].lower() in "aeiou" else "a"
        return f"{article} {what}"
    head, sep, tail = what.partition(" (")
    if head.endswith("y") and not head.endswith(("ey", "ay", "oy")):
        head = head[:-1] + "ie"
    if head.endswith(("s", "x")):
        return f"{n} {what}"
    if head.endswith(" or SmartArt"):
        return f"{n} charts or SmartArt"
    words = head.split(" ")
    # pluralise the noun before "whose"/"on"/"of" where there is one
    for i, word in enumerate(words):
        if word in {"whose", "on", "of", "or", "in"} and i > 0:
            words[i - 1] += "s"
            break
    else:
        words[-1] += "s"
    return f"{n} {' '.join(words)}{sep}{tail}"


def compare_packages(before: bytes, after: bytes) -> list[str]:
    """What ``after`` lacks that ``before`` had, in plain words (empty when nothing is lost)."""
    old, new = inventory(before), inventory(after)
    lost = {key: count - new.get(key, 0) for key, count in old.items() if count > new.get(key, 0)}
    on_sheets = {what for (where, what) in lost if where}
    losses: list[str] = []
    for (where, what), missing in sorted(lost.items(), key=lambda kv: (kv[0][0] == "", kv[0])):
        if what.startswith("rich text::"):
            continue
        if not where and _explained(what, on_sheets):
            continue  # already named sheet by sheet
        place = f" on sheet {where}" if where else ""
        losses.append(_plural(missing, what) + place)
    rich = sum(1 for (_, what) in lost if what.startswith("rich text::"))
    if rich:
        losses.append(f"formatting on part of the text (rich text) of {rich} cell text(s)")
    return losses


def _explained(kind: str, on_sheets: set[str]) -> bool:
    """True when a workbook-wide part loss is already reported as a loss on a sheet."""
    if kind == "drawing":
        return bool(on_sheets & set(_DRAWING_OBJECTS.values()))
    return _SHEET_EQUIVALENT.get(kind, kind) in on_sheets


_SHEET_EQUIVALENT = {
    "threaded comment part": "threaded comment",
    "list of people in threaded comments": "threaded comment",
    "notes part": "note (comment)",
    "image": "picture",
    "chart": "chart or SmartArt",
}


# --- opening, saving, backing up ----------------------------------------------------------------


def lock_file(path: Path) -> Path | None:
    """Excel's owner file (``~$NAME.xlsx``) beside ``path`` while it is open, if there is one."""
    candidates = [path.parent / f"~${path.name}"]
    if len(path.name) > 2:
        candidates.append(path.parent / f"~${path.name[2:]}")  # Office's shortened form
    try:
        present = {p.name.lower() for p in path.parent.iterdir() if p.name.startswith("~$")}
    except OSError:
        return None
    for candidate in candidates:
        if candidate.name.lower() in present:
            return candidate
    return None


def _read_original(path: Path) -> bytes:
    """The workbook's bytes, after refusing a file that cannot be read or is open in Excel."""
    check_readable(path)
    lock = lock_file(path)
    if lock is not None:
        raise RefusedEdit(
            f"{path.name}: is open in Excel (its lock file {lock.name} is beside it); close it in "
            "Excel (on every computer that has it open) and run the command again. Nothing was changed"
        )
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise UnreadableWorkbook(f"{path.name}: cannot be opened (permission denied); close it in Excel") from exc


def _load(data: bytes, path: Path):
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported and will be removed": checked below
            return openpyxl.load_workbook(io.BytesIO(data), rich_text=True, keep_links=True,
                                          keep_vba=path.suffix.lower() in {".xlsm", ".xltm"})
    except Exception as exc:
        raise UnreadableWorkbook(f"{path.name}: the workbook cannot be opened for editing ({exc})") from exc


def _save_to_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb.save(buffer)
    return buffer.getvalue()


def backup_path(path: Path, now: dt.datetime | None = None) -> Path:
    """``.backup/NAME-YYYYMMDD-HHMMSS.xlsx`` beside ``path`` (a free name)."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = path.parent / BACKUP_DIR
    candidate = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
        n += 1
    return candidate


def _commit(path: Path, original: bytes, new: bytes, force: bool, now: dt.datetime | None,
            result: EditResult) -> EditResult:
    """Check for losses, back up, and replace the workbook atomically."""
    losses = compare_packages(original, new)
    if losses and not force:
        raise WouldLoseData(path, losses)
    result.lost = losses
    try:
        current = path.read_bytes()
    except OSError as exc:
        raise UnreadableWorkbook(f"{path.name}: cannot be read again ({exc}); nothing was changed") from exc
    if current != original:
        raise RefusedEdit(f"{path.name}: changed on disk while the command ran; run it again. Nothing was changed")
    if lock_file(path) is not None:
        raise RefusedEdit(f"{path.name}: was opened in Excel while the command ran; close it and run it again. "
                          "Nothing was changed")
    backup = backup_path(path, now)
    try:
        backup.parent.mkdir(exist_ok=True)
        _write_exclusive(backup, original)
    except OSError as exc:
        raise PmoError(f"{path.name}: cannot write the backup {backup} ({exc.strerror or exc}); nothing was changed") from exc
    result.backup = backup
    _replace(path, new)
    return result


def _write_exclusive(target: Path, data: bytes) -> None:
    with open(target, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _replace(path: Path, data: bytes) -> None:
    """Move ``data`` into place at ``path`` atomically; a clear PmoError when it cannot."""
    try:
        write_atomic(path, data)
    except PermissionError as exc:
        if exc.filename2 is None:  # the temporary file could not be created: the folder is not writable
            raise PmoError(f"{path.name}: cannot write in {path.parent} ({exc.strerror}); nothing was changed") from exc
        raise PmoError(f"{path.name}: cannot be replaced (permission denied); close it in Excel and run the "
                       "command again. Nothing was changed") from exc
    except OSError as exc:
        raise PmoError(f"{path.name}: cannot write in {path.parent} ({exc.strerror or exc}); nothing was changed") from exc


# --- new month ----------------------------------------------------------------------------------


def _fail_on_structure(validation, file: str) -> None:
    if validation.portfolio is None:
        raise WorkbookErrors(validation.errors or [Issue(Severity.ERROR, Location(file), "no month sheet found")])


def _widths(ws) -> dict[int, float]:
    """1-based column -> width set on the sheet (column groups expanded)."""
    from openpyxl.utils import column_index_from_string

    widths: dict[int, float] = {}
    for key, dim in ws.column_dimensions.items():
        if not dim.customWidth:
            continue
        low = dim.min or column_index_from_string(key)
        high = dim.max or low
        for col in range(low, high + 1):
            widths[col] = dim.width
    return widths


def new_month(path: Path, month: Month | None = None, force: bool = False,
              now: dt.datetime | None = None) -> EditResult:
    """Add next month's sheet (after the latest, or ``month``), prefilled from the month before.

    One row per project not Completed (Blue) in the month before, with Programme, Project ID,
    Project, Lead, the RAG and extra RAGs filled in, the text columns empty and last month's
    summary in a grey, locked reference column. Earlier month sheets are protected (no password).
    Refuses (RefusedEdit, nothing changed) when the month exists, the workbook is open in Excel or
    saving would lose anything (unless ``force``).
    """
    path = Path(path)
    original = _read_original(path)
    raw = read_workbook(path)
    validation = validate(raw)
    _fail_on_structure(validation, raw.file)
    portfolio = validation.portfolio
    months = validation.months  # (Month, sheet name), oldest first
    existing = dict(months)
    latest_month, latest_name = months[-1]
    if month is None:
        latest = raw.sheet(latest_name)
        if latest is not None and not any(r.summary for r in sheet_rows(latest, {})):
            raise RefusedEdit(
                f"{path.name}: the latest month sheet {latest_name} has not been filled in yet (no summaries), "
                f"so {latest_month.next().label} was not started. Pass --month {latest_month.next().key} to "
                "start it anyway. Nothing was changed")
    target = month or latest_month.next()
    if target in existing:
        raise RefusedEdit(f"{path.name}: already has a sheet for {target.label} ({existing[target]}); "
                          "nothing was changed")
    earlier = [(m, name) for m, name in months if m < target]
    if not earlier:
        raise RefusedEdit(f"{path.name}: has no month before {target.label} to start it from; "
                          f"add a sheet named {target.key} by hand. Nothing was changed")
    source_month, source_name = earlier[-1]
    programmes = {p.name: p for p in portfolio.programmes}
    source_sheet = raw.sheet(source_name)
    source_rows = sheet_rows(source_sheet, programmes)
    headers = list(source_sheet.rows[0]) if source_sheet.rows else []
    index, _ = schema.match_columns(headers, schema.MONTH_COLUMNS)
    missing = [c.header for c in schema.MONTH_COLUMNS if c.required and c.header not in index]
    if missing:
        raise RefusedEdit(f"{path.name} › {source_name}: required column(s) {', '.join(missing)} missing, so "
                          "next month cannot be started from it; run validate. Nothing was changed")

    # rows to carry: open projects of the source month, then open projects with no row in it
    carry = [(r, source_sheet, r.row) for r in source_rows if r.rag is not Rag.BLUE]
    result = EditResult(path, target, target.key, source=source_name)
    before = [(m, name) for m, name in earlier if m < source_month]
    if before:
        seen = {r.project_id for r in source_rows if r.project_id}
        older_sheet = raw.sheet(before[-1][1])
        for r in sheet_rows(older_sheet, programmes):
            if r.project_id and r.project_id not in seen and r.rag is not Rag.BLUE:
                carry.append((r, older_sheet, r.row))
                result.carried.append(r.project_id)
                seen.add(r.project_id)

    wb = _load(original, path)
    src_ws = wb[source_name]
    ws = _build_month_sheet(wb, src_ws, target, source_sheet, carry, portfolio.scale, existing)
    result.added = [r.project_id for r, _, _ in carry]
    for m, name in earlier:
        sheet = wb[name]
        if not sheet.protection.sheet:
            sheet.protection.sheet = True
            sheet.protection.autoFilter = False  # filtering and widening columns stay allowed
            sheet.protection.formatColumns = False
            result.protected.append(name)
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    wb.active = wb.worksheets.index(ws)
    new = _save_to_bytes(wb)
    if result.carried:
        result.notes.append(
            f"carried forward with no update in {source_month.label}: {', '.join(result.carried)}")
    return _commit(path, original, new, force, now, result)


def _build_month_sheet(wb, src_ws, target: Month, source: RawSheet,
                       carry: list[tuple[SheetRow, RawSheet, int]], scale: RagScale,
                       existing: Mapping[Month, str]):
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter

    from .create import scale_values, style_month_sheet

    src_headers = list(source.rows[0]) if source.rows else []
    # the new sheet's columns: the source's (same header text, same order), then the reference
    columns = [(i, " ".join(str(h).split())) for i, h in enumerate(src_headers)
               if not _blank(h) and not _is_reference(h)]
    src_index, _ = schema.match_columns([h for _, h in columns], schema.MONTH_COLUMNS)
    canonical = {pos: name for name, pos in src_index.items()}
    style_headers = [canonical.get(pos, header) for pos, (_, header) in enumerate(columns)]
    style_headers.append(REFERENCE_HEADER)
    ref_col = len(style_headers)

    position = len(wb.sheetnames)
    later = [wb.sheetnames.index(name) for m, name in existing.items() if m > target]
    earlier = [wb.sheetnames.index(name) for m, name in existing.items() if m < target]
    if earlier:
        position = max(earlier) + 1
    elif later:
        position = min(later)
    ws = wb.create_sheet(target.key, position)
    for col, (_, header) in enumerate(columns, start=1):
        ws.cell(row=1, column=col, value=header)
    ws.cell(row=1, column=ref_col, value=REFERENCE_HEADER)

    prefill = {"Programme", "Project ID", "Project", "Lead"}
    for r, (row, sheet, number) in enumerate(carry, start=2):
        cells = sheet.rows[number - 1] if number - 1 < len(sheet.rows) else ()
        sheet_headers = list(sheet.rows[0])
        sheet_index, _ = schema.match_columns(sheet_headers, schema.MONTH_COLUMNS)
        by_norm = {schema.normalise_header(h): i for i, h in enumerate(sheet_headers) if h is not None}
        for col, header in enumerate(style_headers[:-1], start=1):
            if header in prefill:
                i = sheet_index.get(header)
            elif header == "RAG":
                _write_text(ws, r, col, row.rag.title if row.rag else row.rag_text)
                continue
            elif schema.is_extra_rag(header):
                i = by_norm.get(schema.normalise_header(header))
            else:
                continue
            if i is None or i >= len(cells):
                continue
            text = clean_text(cells[i])[0].strip()
            if schema.is_extra_rag(header):
                rag = _rag_lookup(None).get(rag_key(text)) if text else None
                text = rag.title if rag else text
            _write_text(ws, r, col, text)
        _write_text(ws, r, ref_col, row.summary)

    n_rows = len(carry)
    style_month_sheet(ws, style_headers, scale_values(scale), n_rows)

    # widths and wrapping as the previous month's sheet
    src_widths = _widths(src_ws)
    summary_width = None
    for col, (src_i, _) in enumerate(columns, start=1):
        width = src_widths.get(src_i + 1)
        if width:
            ws.column_dimensions[get_column_letter(col)].width = width
        if style_headers[col - 1] == "Summary":
            summary_width = width
        sample = src_ws.cell(row=2, column=src_i + 1)
        if src_ws.max_row >= 2 and sample.has_style:
            wrap = bool(sample.alignment.wrap_text)
            for row in range(2, n_rows + 2):
                cell = ws.cell(row=row, column=col)
                cell.alignment = Alignment(horizontal=cell.alignment.horizontal,
                                           vertical=cell.alignment.vertical or "top", wrap_text=wrap)
    ref_letter = get_column_letter(ref_col)
    ref_width = next((src_widths.get(i + 1) for i, h in enumerate(src_headers) if _is_reference(h)), None)
    ws.column_dimensions[ref_letter].width = ref_width or summary_width or 60

    # the reference column: grey, italic, locked; everything else open for the leads
    grey = PatternFill(fill_type="solid", start_color=REFERENCE_FILL, end_color=REFERENCE_FILL)
    header = ws.cell(row=1, column=ref_col)
    header.fill = grey
    header.font = Font(bold=True, italic=True, color=REFERENCE_TEXT)
    header.comment = Comment(REFERENCE_NOTE, "pmo-report")
    for row in range(2, n_rows + 2):
        cell = ws.cell(row=row, column=ref_col)
        cell.fill = grey
        cell.font = Font(italic=True, color=REFERENCE_TEXT)
        cell.protection = Protection(locked=True)
    ref_dim = ws.column_dimensions[ref_letter]
    ref_dim.fill = grey
    ref_dim.font = Font(italic=True, color=REFERENCE_TEXT)
    unlocked = Protection(locked=False)
    for col in range(1, ref_col):
        ws.column_dimensions[get_column_letter(col)].protection = unlocked
        for row in range(2, n_rows + 2):
            ws.cell(row=row, column=col).protection = unlocked
    protection = ws.protection
    protection.sheet = True
    for allowed in ("formatCells", "formatColumns", "formatRows", "insertRows", "deleteRows",
                    "insertHyperlinks", "sort", "autoFilter"):
        setattr(protection, allowed, False)
    ws.auto_filter.ref = f"A1:{ref_letter}{n_rows + 1}"
    return ws


def _write_text(ws, row: int, column: int, text: str) -> None:
    if not text:
        return
    cell = ws.cell(row=row, column=column, value=text)
    cell.data_type = "s"  # text, never a formula


# --- collecting returns -------------------------------------------------------------------------


@dataclass
class _ReturnRow:
    file: str
    sheet: str
    row: int
    project_id: str
    values: dict[str, str]  # normalised header of the target column -> text ('' for empty)


def collect(returns: Sequence[Path], into: Path, month: Month | None = None, force: bool = False,
            now: dt.datetime | None = None) -> EditResult:
    """Merge leads' return files into ``into``'s month sheet (default: its latest), by Project ID.

    Every return's rows are checked with validate's rules against the workbook's Programmes and
    RAG scale; a Project ID in two returns with different content is a conflict. Any problem:
    ReturnErrors listing them all, and nothing is written.
    """
    into = Path(into)
    original = _read_original(into)
    raw = read_workbook(into)
    validation = validate(raw)
    _fail_on_structure(validation, raw.file)
    months = dict(validation.months)
    target = month or validation.months[-1][0]
    if target not in months:
        raise RefusedEdit(f"{into.name}: has no sheet for {target.label}; run new-month first. Nothing was changed")
    sheet_name = months[target]
    target_sheet = raw.sheet(sheet_name)
    target_headers = list(target_sheet.rows[0]) if target_sheet.rows else []
    target_cols = _column_keys(target_headers)

    issues: list[Issue] = []
    notes: list[str] = []
    rows: list[_ReturnRow] = []
    for path in returns:
        path = Path(path)
        check_readable(path)
        ret = read_workbook(path)
        rows += _return_rows(ret, raw, target, target_cols, issues, notes)
    by_id: dict[str, _ReturnRow] = {}
    for row in rows:
        first = by_id.get(row.project_id)
        if first is None:
            by_id[row.project_id] = row
            continue
        differ = [h for h in sorted(set(first.values) | set(row.values))
                  if first.values.get(h, "") != row.values.get(h, "")]
        if differ:
            names = ", ".join(_header_name(target_headers, target_cols, h) for h in differ)
            issues.append(Issue(
                Severity.ERROR, Location(row.file, row.sheet, row.row, "Project ID"),
                f'Project ID "{row.project_id}" is also in {first.file} › {first.sheet} › row {first.row} '
                f"with different content ({names})",
                "keep the project in one return only, or make the two rows the same"))
    if any(i.is_error for i in issues):
        raise ReturnErrors([i for i in issues if i.is_error])

    wb = _load(original, into)
    ws = wb[sheet_name]
    result = EditResult(into, target, sheet_name, notes=notes)
    id_col = target_cols.get("projectid")
    existing: dict[str, int] = {}
    for number, cells in enumerate(target_sheet.rows[1:], start=2):
        if id_col is not None and id_col < len(cells):
            key = clean_text(cells[id_col])[0].strip()
            if key and key not in existing:
                existing[key] = number
    last = len(target_sheet.rows)
    for project_id, row in by_id.items():
        number = existing.get(project_id)
        if number is None:
            last += 1
            number = last
            _style_like_above(ws, number, len(target_headers))
            result.added.append(project_id)
            changed = True
        else:
            changed = False
        cells = target_sheet.rows[number - 1] if number - 1 < len(target_sheet.rows) else ()
        for key, text in row.values.items():
            col = target_cols[key]
            old = clean_text(cells[col] if col < len(cells) else None)[0]
            if old.strip() == text.strip():
                continue
            cell = ws.cell(row=number, column=col + 1)
            cell.value = text or None
            if text:
                cell.data_type = "s"
            changed = True
        if project_id not in result.added:
            (result.updated if changed else result.unchanged).append(project_id)
    new = _save_to_bytes(wb)
    return _commit(into, original, new, force, now, result)


def _column_keys(headers: Sequence[object]) -> dict[str, int]:
    """Normalised canonical header (or extra RAG header) -> 0-based column index."""
    index, _ = schema.match_columns(list(headers), schema.MONTH_COLUMNS)
    keys = {schema.normalise_header(name): i for name, i in index.items()}
    for i, h in enumerate(headers):
        if h is not None and schema.is_extra_rag(h) and i not in index.values():
            keys.setdefault(schema.normalise_header(h), i)
    return keys


def _header_name(headers: Sequence[object], keys: Mapping[str, int], key: str) -> str:
    i = keys.get(key)
    return str(headers[i]) if i is not None and i < len(headers) else key


def _return_rows(ret: RawWorkbook, portfolio_raw: RawWorkbook, month: Month, target_cols: Mapping[str, int],
                 issues: list[Issue], notes: list[str]) -> list[_ReturnRow]:
    """The rows of one return, checked with validate's rules; problems go to ``issues``."""
    sheets = [s for s in ret.sheets if parse_month_sheet_name(s.name) == month]
    if not sheets:
        found = [s.name for s in ret.sheets if parse_month_sheet_name(s.name)]
        issues.append(Issue(Severity.ERROR, Location(ret.file), f"has no sheet for {month.label} ({month.key})",
                            f"month sheets found: {', '.join(found)}" if found else
                            f"put the rows on a sheet named {month.key}"))
        return []
    sheet = sheets[0]
    context = [s for s in (portfolio_raw.sheet(schema.PROGRAMMES), portfolio_raw.sheet(schema.SETTINGS)) if s]
    context = [RawSheet(s.name, s.rows) for s in context if s.name != sheet.name]
    check = validate(RawWorkbook(ret.file, tuple(context) + (sheet,)))
    for issue in check.issues:
        if issue.location.sheet == sheet.name and issue.is_error:
            issues.append(issue)
    headers = list(sheet.rows[0]) if sheet.rows else []
    keys = _column_keys(headers)
    extra_cols = [k for k in keys if k not in target_cols]
    rows: list[_ReturnRow] = []
    programmes = {}
    if check.portfolio is not None:
        programmes = {p.name: p for p in check.portfolio.programmes}
    for number, cells in enumerate(sheet.rows[1:], start=2):
        if all(_blank(v) for v in cells):
            continue
        values: dict[str, str] = {}
        for key, i in keys.items():
            text = clean_text(cells[i] if i < len(cells) else None)[0]
            text = text.strip() if key not in {"summary", "issuesandrisks", "nextsteps", "decisionsrequired"} else text
            if key == "rag" or (key.endswith("rag") and key != "rag"):
                programme = programmes.get(values.get("programme", ""))
                rag = _rag_lookup(programme).get(rag_key(text)) if text else None
                text = rag.title if rag else text
            if key in extra_cols:
                if text.strip():
                    issues.append(Issue(Severity.ERROR, Location(ret.file, sheet.name, number, str(headers[i])),
                                        f'the workbook\'s {month.key} sheet has no column "{headers[i]}"',
                                        "add the column to the workbook's month sheet, or remove it from the return"))
                continue
            values[key] = text
        project_id = values.get("projectid", "")
        if project_id:
            rows.append(_ReturnRow(ret.file, sheet.name, number, project_id, values))
    return rows


def _style_like_above(ws, row: int, n_columns: int) -> None:
    """Give a new row the cell styles of the row above it (and its data validations)."""
    if row <= 2:
        return
    for col in range(1, n_columns + 1):
        above = ws.cell(row=row - 1, column=col)
        cell = ws.cell(row=row, column=col)
        if above.has_style:
            cell._style = copy(above._style)
        for dv in ws.data_validations.dataValidation:
            if above.coordinate in dv.sqref and cell.coordinate not in dv.sqref:
                dv.add(cell.coordinate)
