"""Raw rows -> a Portfolio and every issue found (all of them in one pass, not the first)."""

from __future__ import annotations

import calendar
import functools
import datetime as dt
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from ..errors import Issue, Location, Severity
from ..portfolio.model import (
    Month,
    MonthReport,
    Portfolio,
    Programme,
    ProgrammeRag,
    ProjectStatus,
    Rag,
    RagScale,
    Settings,
)
from . import schema
from .read import RawSheet, RawWorkbook

TEXT_COLUMNS = ("Summary", "Issues and risks", "Next steps", "Decisions required")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ILLEGAL = re.compile("[\x00-\x08\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_MONTH_NAMES = {
    **{calendar.month_name[i].lower(): i for i in range(1, 13)},
    **{calendar.month_abbr[i].lower(): i for i in range(1, 13)},
    "sept": 9,
}
_RAG_SYNONYMS = {"complete": Rag.BLUE, "completed": Rag.BLUE, "closed": Rag.BLUE}


@dataclass
class Validation:
    """The outcome: the portfolio read from the valid rows, and every issue."""

    file: str
    issues: list[Issue]
    portfolio: Portfolio | None
    months: list[tuple[Month, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_month_sheet_name(name: str) -> Month | None:
    """``2019-08``, ``Aug 2019`` or ``August 2019`` -> Month; anything else -> None."""
    text = " ".join(str(name).split())
    if re.fullmatch(r"\d{4}-\d{1,2}", text):
        try:
            return Month.parse(text)
        except ValueError:
            return None
    parts = text.split(" ")
    if len(parts) == 2 and parts[1].isdigit() and len(parts[1]) == 4:
        number = _MONTH_NAMES.get(parts[0].lower().rstrip("."))
        if number:
            return Month(int(parts[1]), number)
    return None


def clean_text(value: object) -> tuple[str, list[str]]:
    """A cell value as clean text, and notes on what was changed (for warnings)."""
    notes: list[str] = []
    if value is None:
        return "", notes
    if isinstance(value, bool):
        text = "Yes" if value else "No"
        notes.append("a true/false value was turned into text")
    elif isinstance(value, (int, float)):
        text = str(int(value)) if float(value).is_integer() else str(value)
        notes.append("a number was turned into text")
    elif isinstance(value, (dt.datetime, dt.date)):
        text = f"{value.day} {value:%B %Y}"
        notes.append("a date was turned into text")
    else:
        text = str(value)
        if "_x" not in text and text.isprintable():  # the usual case: nothing to clean
            return text, notes
    if "_x" in text:
        unescaped = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
        if unescaped != text:
            text = unescaped
            notes.append("Excel escapes like _x000B_ were decoded")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x0b" in text:
        text = text.replace("\x0b", "\n")
        notes.append("vertical tabs became line breaks")
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
        notes.append("control characters that Word cannot hold were removed")
    return text, notes


_NOT_ALNUM = re.compile(r"[^0-9a-z]")


@functools.lru_cache(maxsize=4096)
def rag_key(text: str) -> str:
    """A RAG or legend label reduced for matching: letters and digits, lower case."""
    return _NOT_ALNUM.sub("", text.lower())


class _Collector:
    """Gathers issues; repeated warnings of one kind in one column are folded into one."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []
        self._folded: dict[tuple[str, str, str], list[int]] = defaultdict(list)

    def error(self, sheet: str, row: int | None, column: str, message: str, hint: str = "") -> None:
        self.issues.append(Issue(Severity.ERROR, Location(self.file, sheet, row, column), message, hint))

    def warn(self, sheet: str, row: int | None, column: str, message: str, hint: str = "") -> None:
        self.issues.append(Issue(Severity.WARNING, Location(self.file, sheet, row, column), message, hint))

    def info(self, sheet: str, message: str) -> None:
        self.issues.append(Issue(Severity.INFO, Location(self.file, sheet), message))

    def fold(self, sheet: str, row: int, column: str, note: str) -> None:
        self._folded[(sheet, column, note)].append(row)

    def finish(self) -> list[Issue]:
        """All issues, folded warnings included, errors first."""
        for (sheet, column, note), rows in self._folded.items():
            if len(rows) == 1:
                self.warn(sheet, rows[0], column, f"{note}")
            else:
                shown = ", ".join(str(r) for r in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
                self.warn(sheet, None, column, f"{note} (rows {shown})")
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return sorted(self.issues, key=lambda i: order[i.severity])


class _SheetReader:
    """Reads one sheet's rows by canonical column, reporting header problems once."""

    def __init__(self, sheet: RawSheet, columns: tuple[schema.Column, ...], out: _Collector) -> None:
        self.sheet = sheet
        self.out = out
        headers = list(sheet.rows[0]) if sheet.rows else []
        self.index, synonyms = schema.match_columns(headers, columns)
        for _, read, canonical in synonyms:
            out.info(sheet.name, f'column "{read}" read as {canonical}')
        self.missing = [c.header for c in columns if c.required and c.header not in self.index]
        for header in self.missing:
            col = next(c for c in columns if c.header == header)
            also = f" (also accepted: {', '.join(col.synonyms)})" if col.synonyms else ""
            out.error(sheet.name, 1, header, f'required column "{header}" is missing',
                      f'add a column headed "{header}" on row 1{also}')
        self.headers = headers

    def unknown(self, keep: set[int]) -> None:
        """Warn about columns that are neither known nor kept (e.g. extra RAG columns)."""
        used = set(self.index.values()) | keep
        reference = {schema.normalise_header(h) for h in schema.REFERENCE_COLUMNS}
        names = [str(h).strip() for i, h in enumerate(self.headers)
                 if i not in used and str(h or "").strip() and schema.normalise_header(h) not in reference]
        if names:
            self.out.warn(self.sheet.name, 1, "", "unknown column(s) ignored: " + ", ".join(f'"{n}"' for n in names),
                          "they are kept out of the documents; rename them to a known header if they should appear")

    def rows(self):
        """(row number, row cells) for non-blank rows after the header; warns once about blank rows."""
        blank: list[int] = []
        for number, cells in enumerate(self.sheet.rows[1:], start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                blank.append(number)
                continue
            yield number, cells
        if blank:
            shown = ", ".join(str(r) for r in blank[:8]) + (" …" if len(blank) > 8 else "")
            self.out.warn(self.sheet.name, None, "", f"{len(blank)} blank row(s) skipped (rows {shown})")

    def text(self, number: int, cells: tuple[object, ...], header: str) -> str:
        """The clean text of ``header`` on this row ('' if the column is absent)."""
        index = self.index.get(header)
        if index is None:
            return ""
        return self.text_at(number, cells, index, header)

    def text_at(self, number: int, cells: tuple[object, ...], index: int, header: str) -> str:
        """The clean text at a column index, with folded warnings and formula errors."""
        if (number, index + 1) in self.sheet.uncached:
            self.out.error(self.sheet.name, number, header, "the formula in this cell has no saved value",
                           "open the workbook in Excel and save it, so the formula's result is stored")
        value = cells[index] if index < len(cells) else None
        text, notes = clean_text(value)
        for note in notes:
            self.out.fold(self.sheet.name, number, header, note)
        stripped = text.strip()
        if stripped != text and header not in TEXT_COLUMNS and stripped:
            self.out.fold(self.sheet.name, number, header, "spaces around the text were removed")
        return stripped


def validate(raw: RawWorkbook, month: Month | None = None) -> Validation:
    """Check the whole workbook; return the portfolio built from its valid rows and every issue."""
    out = _Collector(raw.file)
    programmes = _read_programmes(raw, out)
    month_sheets = _find_month_sheets(raw, out)
    dimensions = _extra_dimensions(raw, month_sheets)
    settings = _read_settings(raw, out, dimensions)
    names = {p.name: p for p in programmes}
    reports = [
        _read_month(raw.sheet(name), m, names, settings.scale, out)  # type: ignore[arg-type]
        for m, name in month_sheets
    ]
    rags = _read_programme_rags(raw, names, settings.scale, {m for m, _ in month_sheets}, out)
    reports = [
        MonthReport(r.month, r.sheet, r.statuses, rags.get(r.month, {})) for r in reports
    ]
    if month is not None and month not in {m for m, _ in month_sheets}:
        found = ", ".join(m.key for m, _ in month_sheets) or "none"
        out.error("", None, "", f"there is no sheet for {month.key} (months found: {found})",
                  f"add a sheet named {month.key}, or pass --month with one of the months found")
    portfolio = None
    if programmes and reports:
        portfolio = Portfolio(settings, tuple(programmes), tuple(reports), tuple(dimensions))
    return Validation(raw.file, out.finish(), portfolio, month_sheets)


def _read_programmes(raw: RawWorkbook, out: _Collector) -> list[Programme]:
    sheet = raw.sheet(schema.PROGRAMMES)
    if sheet is None:
        out.error(schema.PROGRAMMES, None, "", 'the required sheet "Programmes" is missing',
                  "add a sheet named Programmes with a Programme column and one row per programme")
        return []
    reader = _SheetReader(sheet, schema.PROGRAMME_COLUMNS, out)
    if reader.missing:
        return []
    reader.unknown(set())
    programmes: dict[str, Programme] = {}
    for number, cells in reader.rows():
        name = reader.text(number, cells, "Programme")
        if not name:
            out.error(sheet.name, number, "Programme", "the programme name is empty",
                      "fill in the name or delete the row")
            continue
        if name in programmes:
            out.error(sheet.name, number, "Programme", f'programme "{name}" is listed twice',
                      "each programme has one row; delete the duplicate")
            continue
        labels = {}
        for rag in Rag:
            label = reader.text(number, cells, f"{rag.title} label")
            if label:
                labels[rag] = label
        programmes[name] = Programme(name, reader.text(number, cells, "Chair"), labels)
    if not programmes:
        out.error(sheet.name, 2, "Programme", "no programmes are listed",
                  "add one row per programme, in the order the report should show them")
    return list(programmes.values())


def _find_month_sheets(raw: RawWorkbook, out: _Collector) -> list[tuple[Month, str]]:
    """(month, sheet name) oldest first; two sheets for one month is an error."""
    seen: dict[Month, str] = {}
    for sheet in raw.sheets:
        month = parse_month_sheet_name(sheet.name)
        if month is None:
            continue
        if month in seen:
            out.error(sheet.name, None, "",
                      f'sheets "{seen[month]}" and "{sheet.name}" are both for {month.label}',
                      "keep one sheet per month: merge the rows into one and delete the other")
            continue
        seen[month] = sheet.name
    if not seen:
        out.error("", None, "", "no month sheet found",
                  "name each month's sheet like 2019-08 (or Aug 2019, August 2019)")
    return sorted(seen.items())


def _extra_dimensions(raw: RawWorkbook, month_sheets: list[tuple[Month, str]]) -> list[str]:
    """Extra RAG column headers (e.g. ``Savings RAG``) in order of first appearance."""
    found: dict[str, str] = {}
    for _, name in month_sheets:
        sheet = raw.sheet(name)
        headers = sheet.rows[0] if sheet and sheet.rows else ()
        for header in headers:
            if header is not None and schema.is_extra_rag(header):
                found.setdefault(schema.normalise_header(header), " ".join(str(header).split()))
    return list(found.values())


def _read_settings(raw: RawWorkbook, out: _Collector, dimensions: list[str]) -> Settings:
    sheet = raw.sheet(schema.SETTINGS)
    if sheet is None:
        return Settings()
    reader = _SheetReader(sheet, schema.SETTINGS_COLUMNS, out)
    if reader.missing:
        return Settings()
    known = {schema.normalise_header(k): k for k in schema.SETTING_KEYS}
    dims = {schema.normalise_header(d): d for d in dimensions}
    values: dict[str, str] = {}
    titles: dict[str, str] = {}
    scale = RagScale.RAG
    for number, cells in reader.rows():
        key = reader.text(number, cells, "Setting")
        value = reader.text(number, cells, "Value")
        norm = schema.normalise_header(key)
        if norm in known:
            values[known[norm]] = value
            if known[norm] == "RAG scale" and value:
                try:
                    scale = RagScale[value.strip().upper()]
                except KeyError:
                    out.error(sheet.name, number, "Value", f'"{value}" is not a RAG scale',
                              "use RAG (Red/Amber/Green), BRAG (adds Blue = complete) or DCA (five-point)")
        elif norm in dims:
            titles[dims[norm]] = value
        elif key:
            out.warn(sheet.name, number, "Setting", f'unknown setting "{key}" ignored',
                     "known settings: " + ", ".join(schema.SETTING_KEYS) + ", or the header of an extra RAG column")
    defaults = Settings()
    return Settings(
        title=values.get("Title") or defaults.title,
        organisation=values.get("Organisation", ""),
        description=values.get("Description", ""),
        contact=values.get("Contact", ""),
        scale=scale,
        dimension_titles=titles,
    )


def _rag_lookup(programme: Programme | None) -> dict[str, Rag]:
    """Accepted spellings -> Rag: colour names, letters and the programme's legend labels."""
    return _lookup_for(tuple(programme.labels.items()) if programme else ())


@functools.lru_cache(maxsize=256)
def _lookup_for(labels: tuple[tuple[Rag, str], ...]) -> dict[str, Rag]:
    lookup = dict(_RAG_SYNONYMS)
    for rag in Rag:
        lookup[rag_key(rag.title)] = rag
        lookup[rag_key(rag.letter)] = rag
    for rag, label in labels:
        lookup.setdefault(rag_key(label), rag)
    return lookup


def _accepted(programme: Programme | None, scale: RagScale) -> str:
    words = [r.title for r in scale.ratings]
    letters = [r.letter for r in scale.ratings]
    labels = [programme.label(r) for r in scale.ratings if programme and r in programme.labels]
    text = f"{', '.join(words)} (or {', '.join(letters)})"
    if labels:
        text += f", or this programme's labels: {', '.join(labels)}"
    return text


def parse_rag(
    value: str, programme: Programme | None, scale: RagScale, out: _Collector,
    sheet: str, row: int, column: str, required: bool = True,
) -> Rag | None:
    """The Rag a cell means, or None after recording an error (or for an allowed blank)."""
    if not value:
        if required:
            out.error(sheet, row, column, f"{column} is empty", f"enter one of {_accepted(programme, scale)}")
        return None
    rag = _rag_lookup(programme).get(rag_key(value))
    if rag is None:
        out.error(sheet, row, column, f'"{value}" is not a RAG', f"expected {_accepted(programme, scale)}")
        return None
    if rag not in scale.ratings:
        fix = ("set Settings › RAG scale to BRAG to mark completed projects Blue" if rag is Rag.BLUE
               else "set Settings › RAG scale to DCA to use the five-point scale")
        out.error(sheet, row, column, f'"{value}" ({rag.title}) is not on the {scale.name} scale ({scale.describe()})', fix)
        return None
    return rag


def _read_month(
    sheet: RawSheet, month: Month, programmes: dict[str, Programme], scale: RagScale, out: _Collector
) -> MonthReport:
    reader = _SheetReader(sheet, schema.MONTH_COLUMNS, out)
    extra = {i: " ".join(str(h).split()) for i, h in enumerate(reader.headers)
             if h is not None and schema.is_extra_rag(h) and i not in reader.index.values()}
    reader.unknown(set(extra))
    if reader.missing:
        return MonthReport(month, sheet.name, ())
    statuses: list[ProjectStatus] = []
    first_row: dict[str, int] = {}
    for number, cells in reader.rows():
        status = _read_status(reader, number, cells, extra, programmes, scale, out)
        if status is None:
            continue
        if status.project_id in first_row:
            out.error(sheet.name, number, "Project ID",
                      f'Project ID "{status.project_id}" appears twice in {sheet.name} '
                      f"(rows {first_row[status.project_id]} and {number})",
                      "each project has one row a month; merge the two rows or correct the ID")
            continue
        first_row[status.project_id] = number
        statuses.append(status)
    return MonthReport(month, sheet.name, tuple(statuses))


def _read_status(
    reader: _SheetReader, number: int, cells: tuple[object, ...], extra: dict[int, str],
    programmes: dict[str, Programme], scale: RagScale, out: _Collector,
) -> ProjectStatus | None:
    """One month-sheet row as a ProjectStatus, or None when it has errors (all recorded)."""
    name = reader.sheet.name
    text = {c.header: reader.text(number, cells, c.header) for c in schema.MONTH_COLUMNS}
    ok = True
    programme = programmes.get(text["Programme"])
    if not text["Programme"]:
        out.error(name, number, "Programme", "the programme is empty", "enter a programme from the Programmes sheet")
        ok = False
    elif programme is None:
        ok = False
        if programmes:
            by_key = {schema.normalise_header(p): p for p in programmes}
            close = by_key.get(schema.normalise_header(text["Programme"]))
            guesses = [close] if close else difflib.get_close_matches(text["Programme"], list(programmes), n=1, cutoff=0.5)
            hint = f'did you mean "{guesses[0]}"?' if guesses else "known programmes: " + ", ".join(programmes)
        else:
            hint = "add it to the Programmes sheet"
        out.error(name, number, "Programme", f'"{text["Programme"]}" is not in the Programmes sheet', hint)
    for header, what in (("Project ID", "Project ID"), ("Project", "project name")):
        if not text[header]:
            out.error(name, number, header, f"the {what} is empty", f"fill in the {what}")
            ok = False
    rag = parse_rag(text["RAG"], programme, scale, out, name, number, "RAG")
    dims: dict[str, Rag | None] = {}
    for index, header in extra.items():
        value = reader.text_at(number, cells, index, header)
        dims[header] = parse_rag(value, programme, scale, out, name, number, header, required=False)
        if value and dims[header] is None:
            ok = False
    if not text["Summary"].strip():
        out.error(name, number, "Summary", f'the summary for "{text["Project"] or text["Project ID"]}" is empty',
                  "write the month's status summary (Alt+Enter starts a new line)")
        ok = False
    if not ok or rag is None:
        return None
    return ProjectStatus(
        programme=text["Programme"], project_id=text["Project ID"], name=text["Project"], rag=rag,
        summary=text["Summary"], lead=text["Lead"], issues=text["Issues and risks"],
        next_steps=text["Next steps"], decisions=text["Decisions required"], extra=dims, row=number,
    )


def _parse_month_cell(value: object) -> Month | None:
    if isinstance(value, (dt.datetime, dt.date)):
        return Month(value.year, value.month)
    return parse_month_sheet_name(str(value or ""))


def _read_programme_rags(
    raw: RawWorkbook, programmes: dict[str, Programme], scale: RagScale, months: set[Month], out: _Collector
) -> dict[Month, dict[str, ProgrammeRag]]:
    sheet = raw.sheet(schema.PROGRAMME_RAG)
    result: dict[Month, dict[str, ProgrammeRag]] = defaultdict(dict)
    if sheet is None:
        return result
    reader = _SheetReader(sheet, schema.PROGRAMME_RAG_COLUMNS, out)
    if reader.missing:
        return result
    reader.unknown(set())
    for number, cells in reader.rows():
        raw_month = cells[reader.index["Month"]] if reader.index["Month"] < len(cells) else None
        month = _parse_month_cell(raw_month)
        programme_name = reader.text(number, cells, "Programme")
        if month is None:
            out.error(sheet.name, number, "Month", f'"{raw_month}" is not a month', "write the month like 2019-08")
            continue
        programme = programmes.get(programme_name)
        if programme is None:
            out.error(sheet.name, number, "Programme", f'"{programme_name}" is not in the Programmes sheet',
                      "use a programme name exactly as in the Programmes sheet")
            continue
        rag = parse_rag(reader.text(number, cells, "RAG"), programme, scale, out, sheet.name, number, "RAG")
        if rag is None:
            continue
        if programme_name in result[month]:
            out.error(sheet.name, number, "Programme",
                      f"{programme_name} has two programme RAGs for {month.label}", "keep one row")
            continue
        if month not in months:
            out.warn(sheet.name, number, "Month", f"there is no month sheet for {month.key}; row ignored")
        result[month][programme_name] = ProgrammeRag(programme_name, rag, reader.text(number, cells, "Comment"))
    return result
