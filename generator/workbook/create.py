"""Create portfolio workbooks (openpyxl): the styled month sheets, a whole portfolio, a blank one.

Everything here builds and returns an :class:`openpyxl.Workbook` (or styles a sheet in place);
nothing is written to disk except by :func:`save_new` / :func:`save_atomic`.
"""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from generator import palette
from generator.portfolio.model import Month, Programme, Rag, RagScale
from generator.workbook import schema

# --- look -------------------------------------------------------------------------------------

NHS_BLUE = palette.NHS_BLUE
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill(fill_type="solid", start_color=NHS_BLUE, end_color=NHS_BLUE)
HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)
WRAP_TOP = Alignment(vertical="top", wrap_text=True)
TOP = Alignment(vertical="top")
TEXT_FORMAT = "@"  # Excel "Text": a typed "- bullet" or "2019-09" stays text, not a formula/date

EXTRA_RAG_WIDTH = 14
DEFAULT_WIDTH = 14
VALIDATION_MIN_LAST_ROW = 200  # dropdowns reach at least this row so leads can add projects


# Month-sheet columns that are short codes rather than running text (no wrapping)
_UNWRAPPED = {"Project ID", "RAG"}

DEFAULT_TITLE = "PMO Programme Highlight Reports"


# --- headers ----------------------------------------------------------------------------------


def month_headers(extra_rag_columns: Iterable[str] = ()) -> list[str]:
    """The month-sheet headers in contract order, extra RAG columns straight after ``RAG``."""
    headers: list[str] = []
    for col in schema.MONTH_COLUMNS:
        headers.append(col.header)
        if col.header == "RAG":
            headers.extend(extra_rag_columns)
    return headers


def programme_headers(scale: RagScale) -> list[str]:
    """The Programmes-sheet headers: a label column only for the ratings ``scale`` uses."""
    wanted = {f"{rag.title} label" for rag in scale.ratings}
    return [
        col.header
        for col in schema.PROGRAMME_COLUMNS
        if not col.header.endswith(" label") or col.header in wanted
    ]


def is_rag_header(header: str) -> bool:
    """True for the overall ``RAG`` column and any extra ``… RAG`` column."""
    return schema.normalise_header(header) == "rag" or schema.is_extra_rag(header)


def scale_values(scale: RagScale) -> list[str]:
    """The values a RAG cell may hold on ``scale``, worst first (``["Red", "Amber", "Green"]``)."""
    return [rag.title for rag in scale.ratings]


# --- low-level styling ------------------------------------------------------------------------


def _write(ws: Worksheet, row: int, column: int, value: object) -> None:
    """Write a value; empty strings stay empty cells and text is never taken for a formula."""
    if value is None or (isinstance(value, str) and value == ""):
        return
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _style_header_row(ws: Worksheet, n_columns: int) -> None:
    for column in range(1, n_columns + 1):
        cell = ws.cell(row=1, column=column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _style_column(
    ws: Worksheet, column: int, width: float, alignment: Alignment, n_rows: int, text: bool = True
) -> None:
    """Width, and alignment (and the Text number format) on the column and its data cells."""
    letter = get_column_letter(column)
    dim = ws.column_dimensions[letter]
    dim.width = width
    dim.alignment = alignment
    if text:
        dim.number_format = TEXT_FORMAT
    for row in range(2, n_rows + 2):
        cell = ws.cell(row=row, column=column)
        cell.alignment = alignment
        if text:
            cell.number_format = TEXT_FORMAT


def _add_rag_validation(
    ws: Worksheet, header: str, column: int, values: Sequence[str], last_row: int
) -> DataValidation:
    """A dropdown of ``values`` on ``column`` rows 2..last_row, rejecting anything else."""
    allowed = ", ".join(values)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(values) + '"',
        allow_blank=True,
        showDropDown=False,  # (sic) False means the in-cell dropdown arrow IS shown
        showErrorMessage=True,
        errorStyle="stop",
        errorTitle=f"{header}: choose from the list"[:32],
        error=f"{header} must be one of: {allowed}. Pick a value from the dropdown.",
        showInputMessage=True,
        promptTitle=header[:32],
        prompt=f"Choose {allowed}.",
    )
    letter = get_column_letter(column)
    dv.add(f"{letter}2:{letter}{last_row}")
    ws.add_data_validation(dv)
    return dv


def _add_rag_colours(ws: Worksheet, column: int, values: Sequence[str], last_row: int) -> None:
    """Colour RAG cells by their value (conditional formatting; the cell keeps the plain name)."""
    letter = get_column_letter(column)
    by_title = {rag.title: rag for rag in Rag}
    for value in values:
        rag = by_title.get(value)
        if rag is None:
            continue
        fill, font = palette.fill(rag), palette.text_on(rag)
        ws.conditional_formatting.add(
            f"{letter}2:{letter}{last_row}",
            CellIsRule(
                operator="equal",
                formula=[f'"{value}"'],
                fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill),
                font=Font(color=font, bold=True),
            ),
        )


def _simple_sheet(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    columns: Sequence[schema.Column],
    wrap: Iterable[str] = (),
) -> int:
    """Write headers and rows, style the header, set widths; returns the number of data rows."""
    widths = {c.header: c.width for c in columns}
    wrap = set(wrap)
    for column, header in enumerate(headers, start=1):
        ws.cell(row=1, column=column, value=header)
    n_rows = 0
    for n_rows, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            _write(ws, n_rows + 1, column, value)
    _style_header_row(ws, len(headers))
    for column, header in enumerate(headers, start=1):
        alignment = WRAP_TOP if header in wrap else TOP
        _style_column(ws, column, widths.get(header, DEFAULT_WIDTH), alignment, n_rows)
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A1:{last}{n_rows + 1}"
    return n_rows


# --- month sheets -----------------------------------------------------------------------------


def style_month_sheet(
    ws: Worksheet, headers: Sequence[str], scale_values: list[str], n_rows: int
) -> None:
    """Style a month sheet whose row 1 holds ``headers`` and rows 2..n_rows+1 the projects.

    Header: bold white on NHS Blue, frozen, autofilter. Widths from ``schema.MONTH_COLUMNS``
    (extra ``… RAG`` columns 14). Text columns wrap and align top (and are formatted as Text, so
    a line typed as ``- bullet`` is not taken for a formula). Every RAG / ``… RAG`` column gets a
    dropdown of ``scale_values`` (rows 2..max(n_rows+1, 200)) with an explanatory error message,
    and conditional colouring. Writes no values except the header cells if they are empty.
    """
    widths = {c.header: c.width for c in schema.MONTH_COLUMNS}
    for column, header in enumerate(headers, start=1):
        if ws.cell(row=1, column=column).value in (None, ""):
            ws.cell(row=1, column=column, value=header)
    _style_header_row(ws, len(headers))
    last_row = max(n_rows + 1, VALIDATION_MIN_LAST_ROW)
    for column, header in enumerate(headers, start=1):
        if is_rag_header(header):
            width = widths["RAG"] if schema.normalise_header(header) == "rag" else EXTRA_RAG_WIDTH
            _style_column(ws, column, width, Alignment(vertical="top", horizontal="center"), n_rows)
            _add_rag_validation(ws, header, column, scale_values, last_row)
            _add_rag_colours(ws, column, scale_values, last_row)
        else:
            alignment = TOP if header in _UNWRAPPED else WRAP_TOP
            _style_column(ws, column, widths.get(header, DEFAULT_WIDTH), alignment, n_rows)
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A1:{last}{n_rows + 1}"


def _month_sheet_index(wb: Workbook, month: Month) -> int:
    """Where a new month sheet goes: after the last earlier month sheet, else before later ones."""
    earlier: list[int] = []
    later: list[int] = []
    for index, name in enumerate(wb.sheetnames):
        try:
            other = Month.parse(name)
        except ValueError:
            continue
        (earlier if other < month else later).append(index)
    if earlier:
        return earlier[-1] + 1
    if later:
        return later[0]
    return len(wb.sheetnames)


def add_month_sheet(
    wb: Workbook,
    month: Month,
    rows: list[dict[str, str]],
    extra_rag_columns: Sequence[str],
    scale: RagScale,
) -> Worksheet:
    """Add the sheet ``month.key`` holding ``rows`` (dicts keyed by canonical header), styled.

    The sheet is appended, or, if the workbook already has month sheets, placed after the last
    earlier one (so months stay oldest first and ``Programme RAG`` stays after them).
    Raises ValueError if the sheet exists or a row has a key that is not one of the headers.
    """
    if month.key in wb.sheetnames:
        raise ValueError(f"the workbook already has a sheet {month.key!r}")
    headers = month_headers(extra_rag_columns)
    known = set(headers)
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - known)
        if unknown:
            raise ValueError(f"{month.key} row {number}: unknown column(s) {', '.join(unknown)}")
    ws = wb.create_sheet(month.key, _month_sheet_index(wb, month))
    for column, header in enumerate(headers, start=1):
        ws.cell(row=1, column=column, value=header)
    for r, row in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            _write(ws, r, column, row.get(header, ""))
    style_month_sheet(ws, headers, scale_values(scale), len(rows))
    return ws


# --- the other sheets -------------------------------------------------------------------------


def _settings_sheet(wb: Workbook, settings: Mapping[str, str]) -> Worksheet:
    ws = wb.create_sheet(schema.SETTINGS)
    headers = [c.header for c in schema.SETTINGS_COLUMNS]
    _simple_sheet(ws, headers, settings.items(), schema.SETTINGS_COLUMNS, wrap=headers)
    # a dropdown on the RAG scale value
    for row, key in enumerate(settings, start=2):
        if schema.normalise_header(key) == "ragscale":
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(s.name for s in RagScale) + '"',
                allow_blank=False,
                showErrorMessage=True,
                errorTitle="RAG scale",
                error="RAG scale must be one of: "
                + ", ".join(f"{s.name} ({s.describe()})" for s in RagScale)
                + ".",
            )
            dv.add(f"B{row}")
            ws.add_data_validation(dv)
    return ws


def _programmes_sheet(wb: Workbook, programmes: Sequence[Programme], scale: RagScale) -> Worksheet:
    ws = wb.create_sheet(schema.PROGRAMMES)
    headers = programme_headers(scale)
    by_header = {f"{rag.title} label": rag for rag in Rag}
    rows = []
    for programme in programmes:
        row: list[object] = []
        for header in headers:
            if header == "Programme":
                row.append(programme.name)
            elif header == "Chair":
                row.append(programme.chair)
            else:
                row.append(programme.labels.get(by_header[header], ""))
        rows.append(row)
    _simple_sheet(ws, headers, rows, schema.PROGRAMME_COLUMNS, wrap=headers)
    return ws


def _programme_rag_sheet(
    wb: Workbook, programme_rags: Sequence[Mapping[str, str]], scale: RagScale
) -> Worksheet:
    ws = wb.create_sheet(schema.PROGRAMME_RAG)
    headers = [c.header for c in schema.PROGRAMME_RAG_COLUMNS]
    known = set(headers)
    for number, entry in enumerate(programme_rags, start=1):
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ValueError(f"Programme RAG row {number}: unknown column(s) {', '.join(unknown)}")
    rows = [[entry.get(h, "") for h in headers] for entry in programme_rags]
    n_rows = _simple_sheet(
        ws, headers, rows, schema.PROGRAMME_RAG_COLUMNS, wrap=("Programme", "Comment")
    )
    rag_column = headers.index("RAG") + 1
    last_row = max(n_rows + 1, VALIDATION_MIN_LAST_ROW)
    values = scale_values(scale)
    _add_rag_validation(ws, "RAG", rag_column, values, last_row)
    _add_rag_colours(ws, rag_column, values, last_row)
    # programme names from the Programmes sheet
    dv = DataValidation(
        type="list",
        formula1=f"{quote_sheetname(schema.PROGRAMMES)}!$A$2:$A$100",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Programme",
        error="This programme is not on the Programmes sheet.",
    )
    letter = get_column_letter(headers.index("Programme") + 1)
    dv.add(f"{letter}2:{letter}{last_row}")
    ws.add_data_validation(dv)
    return ws


def instructions_rows(
    settings: Mapping[str, str],
    programmes: Sequence[Programme],
    scale: RagScale,
    extra_rag_columns: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """The (topic, guidance) rows of the Instructions sheet, in plain English for leads."""
    title = settings.get("Title") or DEFAULT_TITLE
    contact = settings.get("Contact", "")
    values = scale_values(scale)
    choose = ", ".join(values[:-1]) + " or " + values[-1]
    extras = ", ".join(extra_rag_columns)
    rows: list[tuple[str, str]] = [
        (
            "What this workbook is",
            f"This workbook holds every month's returns for {title}. Each month has its own sheet, "
            "named by year and month (for example 2019-08 is August 2019). The board reports are "
            "produced straight from it, so what you type here is what the board reads.",
        ),
        (
            "Which sheet to fill in",
            "Fill in the sheet for the current reporting month only. Do not edit earlier months: "
            "they are the record of what was reported and are used to show movement since last "
            "month. If there is no sheet for this month yet, ask the PMO.",
        ),
        (
            "One row per project",
            "Each project has exactly one row. Keep the Programme name, Project ID and Project "
            "name the same every month: the Project ID is how a project is matched with last "
            "month. To add a project, add a row underneath with a new Project ID; to close one, "
            "tell the PMO rather than deleting the row.",
        ),
        (
            "The columns",
            "Programme, Project ID, Project and Lead: who and what. RAG: the overall rating. "
            + (
                f"{extras}: {'an extra rating' if len(extra_rag_columns) == 1 else 'extra ratings'}"
                ", described below. "
                if extra_rag_columns
                else ""
            )
            + "Summary: the progress update (the main text in the report). Issues and risks, "
            "Next steps, Decisions required: optional, a few lines each; leave a cell empty if "
            "there is nothing to say. Decisions required are raised with the board.",
        ),
        (
            "Choosing a RAG",
            f"Pick {choose} from the dropdown in the RAG column; the cell colours itself. Rate "
            "honestly against your project plan: the board would rather hear of problems early. "
            "Each programme describes what the colours mean for it (Programmes sheet).",
        ),
    ]
    for programme in programmes:
        meanings = "; ".join(
            f"{rag.title} = {programme.label(rag)}" for rag in scale.ratings
        )
        rows.append((f"RAG meaning: {programme.name}", meanings + "."))
    settings_norm = {schema.normalise_header(k): v for k, v in settings.items()}
    for column in extra_rag_columns:
        question = settings_norm.get(schema.normalise_header(column)) or column
        rows.append(
            (
                f"{column}",
                f"{question} Choose {choose} from the dropdown; leave it empty if it does not "
                "apply to your project.",
            )
        )
    rows += [
        (
            "New lines",
            "To start a new line inside a cell, press Alt+Enter (on a Mac, Control+Option+Return). "
            "Each line becomes its own paragraph in the report.",
        ),
        (
            "Bullet points",
            "Start a line with a dash and a space, like  - Training booked for September. "
            "If Excel says there is a problem with a formula, type an apostrophe ' first.",
        ),
        ("Bold", "Put two asterisks either side of words to make them bold: **On track**."),
        (
            "Sub-headings",
            "A short line ending with a colon, like  Next steps:  is shown as a bold "
            "sub-heading.",
        ),
        (
            "Flagging issues and risks",
            "Start a line with ISSUE: or RISK: to have it highlighted, for example "
            "ISSUE: Theatre lists dropped at weekends.",
        ),
        (
            "Example summary",
            "Progress this month:\n"
            "- Training booked for all workstreams, starting 6th September.\n"
            "- Trajectories **submitted** to NHSE.\n"
            "RISK: Recruitment to two posts is delayed.",
        ),
        (
            "Please do not",
            "Rename, reorder or delete sheets; rename or move the column headings in row 1; "
            "merge cells; or change earlier months.",
        ),
        (
            "Settings and Programmes sheets",
            "Maintained by the PMO: the report title and contact, the RAG scale "
            f"({scale.name}: {scale.describe()}), and each programme's chair and RAG wording. "
            "An extra rating column such as Savings RAG can be added to month sheets (header "
            "ending in RAG, straight after RAG); its question goes on the Settings sheet with "
            "the column header as the Setting.",
        ),
        (
            "Programme RAG sheet",
            "Optional. The PMO's own rating for a whole programme in a month (Month written as "
            "2019-08). Where there is none, the programme's rating is worked out from its "
            "projects.",
        ),
    ]
    if contact:
        rows.append(("Questions", f"Contact the PMO: {contact}"))
    return rows


def _instructions_sheet(
    wb: Workbook,
    settings: Mapping[str, str],
    programmes: Sequence[Programme],
    scale: RagScale,
    extra_rag_columns: Sequence[str],
) -> Worksheet:
    ws = wb.create_sheet(schema.INSTRUCTIONS)
    columns = (schema.Column("Topic", width=30), schema.Column("Guidance", width=100))
    rows = instructions_rows(settings, programmes, scale, extra_rag_columns)
    _simple_sheet(ws, ["Topic", "Guidance"], rows, columns, wrap=("Topic", "Guidance"))
    ws.auto_filter.ref = None
    for row in range(2, len(rows) + 2):
        ws.cell(row=row, column=1).font = Font(bold=True)
    return ws


# --- whole workbooks --------------------------------------------------------------------------


def _new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "pmo-report"
    return wb


def _checked_settings(settings: Mapping[str, str], scale: RagScale) -> dict[str, str]:
    """The settings with ``RAG scale`` filled in; ValueError if it contradicts ``scale``."""
    result = dict(settings)
    for key, value in settings.items():
        if schema.normalise_header(key) == "ragscale":
            if str(value).strip().upper() != scale.name:
                raise ValueError(f"Settings RAG scale {value!r} does not match scale {scale.name}")
            return result
    result["RAG scale"] = scale.name
    return result


def build_workbook(
    settings: dict[str, str],
    programmes: list[Programme],
    months: list[tuple[Month, list[dict]]],
    programme_rags: list[dict],
    extra_rag_columns: tuple[str, ...],
    scale: RagScale,
) -> Workbook:
    """A whole portfolio workbook.

    Sheets: Instructions, Settings, Programmes, one sheet per month (oldest first, whatever the
    order of ``months``), Programme RAG. ``settings`` are written in the order given (``RAG
    scale`` is added if missing); month rows and ``programme_rags`` are dicts keyed by the
    canonical headers (``Month``, ``Programme``, ``RAG``, ``Comment`` for the latter).
    """
    settings = _checked_settings(settings, scale)
    keys = [m.key for m, _ in months]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"month(s) given twice: {', '.join(duplicates)}")
    extra = tuple(extra_rag_columns)
    wb = _new_workbook()
    _instructions_sheet(wb, settings, programmes, scale, extra)
    _settings_sheet(wb, settings)
    _programmes_sheet(wb, programmes, scale)
    for month, rows in sorted(months, key=lambda pair: pair[0]):
        add_month_sheet(wb, month, rows, extra, scale)
    _programme_rag_sheet(wb, programme_rags, scale)
    return wb


def blank_workbook(month: Month, scale: RagScale = RagScale.RAG) -> Workbook:
    """An empty portfolio workbook for ``pmo-report init``: every sheet with its headers.

    Settings lists the known keys (Title filled in, ``RAG scale`` = ``scale``), Programmes and
    Programme RAG are empty, and there is one empty month sheet for ``month`` with dropdowns.
    """
    settings = {key: "" for key in schema.SETTING_KEYS}
    settings["Title"] = DEFAULT_TITLE
    settings["RAG scale"] = scale.name
    return build_workbook(settings, [], [(month, [])], [], (), scale)


# --- saving -----------------------------------------------------------------------------------


def write_atomic(path: Path, data: bytes, overwrite: bool = True) -> Path:
    """Write ``data`` to a new temporary file beside ``path``, then ``os.replace`` it into place.

    The temporary file is created exclusively with the umask's mode (an existing file's mode is
    kept); with ``overwrite`` False, a file that appeared meanwhile is not replaced
    (FileExistsError). OSErrors reach the caller; the temporary file never stays behind.
    """
    while True:
        tmp = path.parent / f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}"
        try:
            with open(tmp, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            break
        except FileExistsError:
            continue
    try:
        if path.exists():
            if not overwrite:
                raise FileExistsError(f"{path} already exists; not overwriting it")
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _save_via_temp(wb: Workbook, target: Path, overwrite: bool) -> Path:
    buffer = io.BytesIO()
    wb.save(buffer)
    return write_atomic(target, buffer.getvalue(), overwrite)


def save_atomic(wb: Workbook, path: str | os.PathLike[str]) -> Path:
    """Save ``wb`` to ``path`` via a temporary file in the same folder, replacing any old file."""
    return _save_via_temp(wb, Path(path), overwrite=True)


def save_new(wb: Workbook, path: str | os.PathLike[str]) -> Path:
    """Save ``wb`` as a new file; FileExistsError if ``path`` exists (it is never overwritten)."""
    target = Path(path)
    if target.exists():
        raise FileExistsError(f"{target} already exists; not overwriting it")
    return _save_via_temp(wb, target, overwrite=False)
