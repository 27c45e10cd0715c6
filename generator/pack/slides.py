"""The PowerPoint board slides (python-pptx), laid out by measuring every piece of text.

``render_pptx(view, templates)`` returns the deck as bytes: a title slide; a dashboard with native,
editable charts (RAG counts by programme, RAG trend) and figure tiles; the changes this month; per
programme, table slides that continue onto "Clinical (2 of 3)" rather than overflow; the decisions
required of the board; and looking forward (next steps).

Nothing is left to auto-fit (PowerPoint only applies it when someone edits a box, and grows table
rows to fit their text when it renders). Every cell and box is measured with :mod:`textfit` at the
size it is set in, with exact line spacing (1.2 x the size), the real column widths minus the cell
margins, so every row height written is the height the text needs. A summary too long for one slide
is abridged there with "… continued in notes"; every slide's notes carry its projects' text in full.

The template (``board_slides.pptx``) is found by layout name; see :data:`LAYOUTS`.
"""

from __future__ import annotations

import copy
import io
import math
import re
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Sequence

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE, PP_PLACEHOLDER
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.oxml import parse_xml
from pptx.oxml.ns import qn
from pptx.util import Emu, Pt

from ..errors import PmoError
from ..portfolio.markup import Block, RichText
from .. import palette
from . import textfit
from .templates import PPTX, Templates
from .view import ProgrammeView, ProjectRow, RagCell, ReportView

#: layout name -> the placeholder kinds the generator fills on it
LAYOUTS: dict[str, tuple[str, ...]] = {
    "Title": ("title", "subtitle"),
    "Dashboard": ("title",),
    "Table": ("title",),
    "Section": ("title",),
    "List": ("title",),
}

EMU_PER_PT = 12700
_A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
FONT = "Arial"
LINE = 1.2  # line height as a multiple of the font size (set exactly on every paragraph)
GAP = 0.35  # space before a paragraph after the first, as a multiple of the size
SAFETY = 0.95  # measure against 95% of the real width: renderers kern and hint differently
TABLE_SIZES = (12, 11)  # table text sizes tried, largest first (never below 10)
MIN_SIZE = 10
CELL_MARGIN_X = 5.0  # pt, left and right inside every cell
CELL_MARGIN_Y = 3.0  # pt, top and bottom
BOX_MARGIN_X = 7.2  # pt, text boxes and placeholders (PowerPoint's default 0.1 in)
BOX_MARGIN_Y = 3.6
BULLET_INDENT = 12.0  # pt per bullet level
CONTINUED = "… continued in notes"
TITLE_SIZES = (28, 24, 20)
NOTES_LIMIT = 1_000_000  # characters of notes per slide (far beyond any real summary)

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` without characters Office XML cannot hold; tabs become spaces."""
    return _ILLEGAL.sub("", text).replace("\t", " ")


# --------------------------------------------------------------------------- text model


@dataclass(frozen=True)
class Seg:
    """A run of text with one formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False
    superscript: bool = False
    colour: str | None = None


@dataclass(frozen=True)
class Para:
    """A paragraph of a cell or box; ``level`` is the bullet depth, None for no bullet."""

    segs: tuple[Seg, ...]
    level: int | None = None
    align: str = "l"

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segs)

    @property
    def bold(self) -> bool:
        return any(s.bold for s in self.segs if s.text.strip())

    @property
    def indent(self) -> float:
        return 0.0 if self.level is None else BULLET_INDENT * (self.level + 1)


def para(text: str, **fmt) -> Para:
    align = fmt.pop("align", "l")
    return Para((Seg(clean(text).replace("\n", " "), **fmt),), align=align)


def rich_paras(text: RichText) -> list[Para]:
    """The markup's paragraphs as slide paragraphs (bullets, bold sub-headings, emphasis)."""
    out = []
    for p in text.paragraphs:
        segs = tuple(_seg(r, p.kind) for r in p.runs if r.text)
        if not any(s.text.strip() for s in segs):
            continue
        out.append(Para(segs, level=min(p.level, 4) if p.kind is Block.BULLET else None))
    return out


def _seg(run, kind: Block) -> Seg:
    return Seg(clean(run.text).replace("\n", " "), bold=run.bold or run.emphasis or kind is Block.HEADING,
               italic=run.italic, underline=run.underline, superscript=run.superscript,
               colour=palette.NHS_BLUE if run.emphasis else None)


# --------------------------------------------------------------------------- measuring


def para_lines(p: Para, width: float, size: float) -> int:
    """Lines ``p`` takes in a box ``width`` points wide at ``size`` pt."""
    avail = max((width - p.indent) * SAFETY, size)
    return max(1, textfit.line_count(p.text, avail, size, bold=p.bold))


def text_height(paras: Sequence[Para], width: float, size: float) -> float:
    """The height in points of ``paras`` set at ``size`` with exact line spacing."""
    if not paras:
        return LINE * size
    height = 0.0
    for i, p in enumerate(paras):
        height += para_lines(p, width, size) * LINE * size + (GAP * size if i else 0.0)
    return height


def abridge(paras: Sequence[Para], width: float, size: float, max_height: float,
            marker: str = CONTINUED) -> tuple[list[Para], bool]:
    """``paras`` cut to fit ``max_height`` points, ending with ``marker``; (paras, was_cut)."""
    if text_height(paras, width, size) <= max_height:
        return list(paras), False
    head, _ = _take(paras, width, size, max_height, marker, "…")
    return head, True


def _take(paras: Sequence[Para], width: float, size: float, max_height: float, marker: str,
          suffix: str) -> tuple[list[Para], list[Para]]:
    """The paragraphs that fit ``max_height`` with a closing ``marker`` line, and the rest.

    The paragraph at the cut is split after a word (its head ending with ``suffix``) when at
    least one of its lines fits; ``head`` always ends with the marker.
    """
    lh = LINE * size
    note = para(marker, italic=True, colour=palette.MID_GREY)
    budget = max_height - (para_lines(note, width, size) * lh + GAP * size)
    head: list[Para] = []
    used = 0.0
    for i, p in enumerate(paras):
        gap = GAP * size if head else 0.0
        need = para_lines(p, width, size) * lh + gap
        if used + need <= budget:
            head.append(p)
            used += need
            continue
        room = int((budget - used - gap) // lh)
        rest = list(paras[i + 1:])
        parts = _split_para(p, width, size, room, suffix) if room >= 1 else None
        if parts:
            head.append(parts[0])
            rest.insert(0, parts[1])
        else:
            rest.insert(0, p)
        return head + [note], rest
    return head + [note], []


def _cut_para(p: Para, width: float, size: float, room: int) -> Para | None:
    """The longest whole-word start of ``p`` that fits in ``room`` lines with "…"."""
    parts = _split_para(p, width, size, room, "…")
    return parts[0] if parts else None


def _split_para(p: Para, width: float, size: float, room: int, suffix: str = "") -> tuple[Para, Para] | None:
    """``p`` split after the most whole words that fit in ``room`` lines (with ``suffix``): (head, tail)."""
    text = p.text
    ends = [m.end() for m in re.finditer(r"\S+", text)]
    avail = max((width - p.indent) * SAFETY, size)

    def fits(k: int) -> bool:
        return textfit.line_count(text[:ends[k - 1]] + suffix, avail, size, bold=p.bold) <= room

    lo, hi = 0, len(ends)
    while lo < hi:  # the largest k with fits(k)
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:
        return None
    limit = ends[lo - 1]
    head, tail, pos = [], [], 0
    for s in p.segs:
        start, end = pos, pos + len(s.text)
        if start < limit:
            head.append(replace(s, text=s.text[:limit - start]))
        if end > limit:
            tail.append(replace(s, text=s.text[max(0, limit - start):]))
        pos = end
    if suffix:
        head.append(replace(head[-1], text=suffix))
    if tail:
        tail[0] = replace(tail[0], text=tail[0].text.lstrip())
    return replace(p, segs=tuple(head)), replace(p, segs=tuple(t for t in tail if t.text))


def split_paras(paras: Sequence[Para], width: float, size: float, max_height: float,
                marker: str) -> tuple[list[Para], list[Para]] | None:
    """``paras`` split into a head that fits ``max_height`` (ending with ``marker``) and the rest."""
    head, rest = _take(paras, width, size, max_height, marker, "")
    if len(head) == 1 or not rest:  # nothing but the marker fits, or nothing needs to move
        return None
    return head, rest


def fit_lines(text: str, width: float, sizes: Sequence[float], max_height: float,
              bold: bool = False) -> tuple[str, float]:
    """One box's plain text: the largest size in ``sizes`` at which it fits, else cut at the last."""
    for size in sizes:
        if textfit.line_count(text, width * SAFETY, size, bold) * LINE * size <= max_height:
            return text, size
    size = sizes[-1]
    lines = max(1, int(max_height // (LINE * size)))
    cut = _cut_para(Para((Seg(" ".join(text.split()), bold=bold),)), width, size, lines)
    return (cut.text if cut is not None else "…"), size


# --------------------------------------------------------------------------- writing text


_ALIGN = {"l": "l", "c": "ctr", "r": "r"}


def paras_xml(paras: Sequence[Para], size: float, colour: str = palette.TEXT) -> str:
    """DrawingML ``a:p`` elements for ``paras`` at ``size`` pt with exact line spacing.

    Written as text and parsed once: python-pptx's property setters cost ~30x more per run,
    which dominates decks of hundreds of slides.
    """
    out = []
    line = int(round(LINE * size * 100))
    sz = int(round(size * 100))
    for i, spec in enumerate(paras or [para("")]):
        if spec.level is not None:
            bullet = (f'<a:buFont typeface="{FONT}"/><a:buChar char="{"•" if spec.level % 2 == 0 else "–"}"/>')
            margins = f'marL="{int(spec.indent * EMU_PER_PT)}" indent="{int(-BULLET_INDENT * EMU_PER_PT)}"'
        else:
            bullet, margins = "<a:buNone/>", 'marL="0" indent="0"'
        before = int(round(GAP * size * 100)) if i else 0
        ppr = (f'<a:pPr {margins} algn="{_ALIGN[spec.align]}"><a:lnSpc><a:spcPts val="{line}"/></a:lnSpc>'
               f'<a:spcBef><a:spcPts val="{before}"/></a:spcBef><a:spcAft><a:spcPts val="0"/></a:spcAft>'
               f"{bullet}</a:pPr>")
        runs = []
        for seg in spec.segs or (Seg(""),):
            attrs = (f'lang="en-GB" sz="{sz}" b="{int(bool(seg.bold))}" i="{int(bool(seg.italic))}" '
                     f'u="{"sng" if seg.underline else "none"}"' + (' baseline="30000"' if seg.superscript else ""))
            runs.append(f'<a:r><a:rPr {attrs}><a:solidFill><a:srgbClr val="{seg.colour or colour}"/></a:solidFill>'
                        f'<a:latin typeface="{FONT}"/></a:rPr><a:t>{_xml_text(seg.text)}</a:t></a:r>')
        out.append(f"<a:p>{ppr}{''.join(runs)}</a:p>")
    return "".join(out)


def _xml_text(text: str) -> str:
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _parse_children(xml: str, wrapper: str = "a:txBody") -> list:
    return list(parse_xml(f'<{wrapper} xmlns:a="{_A_NS}">{xml}</{wrapper}>'))


def write_paras(text_frame, paras: Sequence[Para], size: float, colour: str = palette.TEXT) -> None:
    """Replace ``text_frame``'s text with ``paras`` at ``size`` pt, exact line spacing."""
    txBody = text_frame._txBody
    for p in txBody.findall(qn("a:p")):
        txBody.remove(p)
    for p in _parse_children(paras_xml(paras, size, colour)):
        txBody.append(p)


def _frame(text_frame, anchor=MSO_ANCHOR.TOP, mx: float = BOX_MARGIN_X, my: float = BOX_MARGIN_Y) -> None:
    text_frame.word_wrap = True
    text_frame.auto_size = MSO_AUTO_SIZE.NONE
    text_frame.vertical_anchor = anchor
    text_frame.margin_left = text_frame.margin_right = Pt(mx)
    text_frame.margin_top = text_frame.margin_bottom = Pt(my)


def add_box(slide, left: float, top: float, width: float, paras: Sequence[Para], size: float,
            colour: str = palette.TEXT, height: float | None = None, name: str = "Text"):
    """A text box at (left, top) pt sized to its measured text (or ``height``)."""
    needed = text_height(paras, width - 2 * BOX_MARGIN_X, size) + 2 * BOX_MARGIN_Y
    box = slide.shapes.add_textbox(Pt(left), Pt(top), Pt(width), Pt(height if height is not None else needed))
    box.name = name
    _frame(box.text_frame)
    write_paras(box.text_frame, paras, size, colour)
    return box


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    header: str
    width: float  # pt
    abridge: bool = False  # the column whose text is cut (into the notes) when a row is too tall


@dataclass(frozen=True)
class Cell:
    paras: tuple[Para, ...]
    fill: str | None = None
    colour: str = palette.TEXT


@dataclass
class Row:
    cells: list[Cell]
    notes: str = ""  # this row's text in full, for the speaker notes
    key: str = ""  # what the row is (for tests: programme/project id)


@dataclass
class Fitted:
    cells: list[Cell]
    height: float
    abridged: bool
    source: Row


def fit_row(row: Row, columns: Sequence[Column], size: float, max_height: float) -> Fitted:
    """The row's cells at ``size``, abridged to ``max_height`` points if need be; its height."""
    cells = list(row.cells)
    abridged = False
    pad = 2 * CELL_MARGIN_Y
    for i, (cell, col) in enumerate(zip(cells, columns)):
        inner = col.width - 2 * CELL_MARGIN_X
        if text_height(cell.paras, inner, size) + pad > max_height:
            paras, cut = abridge(cell.paras, inner, size, max_height - pad,
                                 marker=CONTINUED if col.abridge else "…")
            cells[i] = replace(cell, paras=tuple(paras))
            abridged = abridged or cut
    height = max(text_height(c.paras, col.width - 2 * CELL_MARGIN_X, size) + pad for c, col in zip(cells, columns))
    return Fitted(cells, height, abridged, row)


PROJECT_ROW_CAP = 0.5  # a project takes at most half a slide; the rest of its summary is in the notes
SPLIT_MIN = 0.2  # split a row across slides only into a gap at least this part of the table's room


def paginate(rows: Sequence[Row], columns: Sequence[Column], size: float, body: float,
             cap: float | None = None) -> tuple[float, list[list[Fitted]]]:
    """Rows grouped into pages whose header plus rows fit ``body`` points; (header height, pages).

    A row taller than the room left on a page, but no taller than a page, is split at a line of its
    abridgeable column and continues at the top of the next page; a row taller than a page (or
    ``cap``, a fraction of the room under the header) starts a page and is abridged there.
    """
    header = fit_row(Row([Cell((para(c.header, bold=True),)) for c in columns]), columns, size, body / 3).height
    room = body - header
    limit = room * cap if cap else room
    pages: list[list[Fitted]] = [[]]
    used = 0.0
    for row in rows:
        pending = row
        while True:
            fitted = fit_row(pending, columns, size, limit)
            if not pages[-1] or used + fitted.height <= room:
                pages[-1].append(fitted)
                used += fitted.height
                break
            left = room - used
            parts = None
            if cap is None and not fitted.abridged and left >= SPLIT_MIN * room:
                parts = split_row(pending, columns, size, left)
            pages.append([])
            used = 0.0
            if parts:
                pages[-2].append(parts[0])
                pending = parts[1]
    return header, pages


def split_row(row: Row, columns: Sequence[Column], size: float, height: float) -> tuple[Fitted, Row] | None:
    """``row`` as a head that fits ``height`` points and the row that continues it, if it can be split."""
    col = next((i for i, c in enumerate(columns) if c.abridge), None)
    if col is None:
        return None
    pad = 2 * CELL_MARGIN_Y
    inner = [c.width - 2 * CELL_MARGIN_X for c in columns]
    others = [text_height(c.paras, inner[i], size) + pad for i, c in enumerate(row.cells) if i != col]
    if max(others, default=0) > height:
        return None
    parts = split_paras(row.cells[col].paras, inner[col], size, height - pad, "continued on the next slide")
    if parts is None or not parts[1]:
        return None
    head_cells = list(row.cells)
    head_cells[col] = replace(row.cells[col], paras=tuple(parts[0]))
    tail_cells = list(row.cells)
    tail_cells[col] = replace(row.cells[col], paras=tuple(parts[1]))
    if col != 1 and len(tail_cells) > 1:
        tail_cells[1] = replace(tail_cells[1], paras=tail_cells[1].paras
                                + (para("(continued)", italic=True, colour=palette.MID_GREY),))
    head = Fitted(head_cells, max(text_height(c.paras, inner[i], size) + pad for i, c in enumerate(head_cells)),
                  False, row)
    return head, Row(tail_cells, row.notes, row.key)


def best_pagination(rows: Sequence[Row], columns: Sequence[Column], body: float, cap: float | None = None):
    """The largest table size that does not need more slides (or more cuts) than a smaller one."""
    best = None
    for size in TABLE_SIZES:
        header, pages = paginate(rows, columns, size, body, cap)
        score = (len(pages), sum(f.abridged for p in pages for f in p))
        if best is None or score < best[0]:
            best = (score, size, header, pages)
    _, size, header, pages = best
    return size, header, pages


def draw_table(slide, left: float, top: float, columns: Sequence[Column], header_height: float,
               rows: Sequence[Fitted], size: float, name: str = "Table"):
    """A table with a header row and ``rows``, every row height set to its measured height."""
    height = header_height + sum(r.height for r in rows)
    width = sum(c.width for c in columns)
    frame = slide.shapes.add_table(len(rows) + 1, len(columns), Pt(left), Pt(top), Pt(width), Pt(height))
    frame.name = name
    table = frame.table
    tbl = table._tbl
    style = tbl.tblPr.find(qn("a:tableStyleId"))
    if style is None:
        style = etree.SubElement(tbl.tblPr, qn("a:tableStyleId"))
    style.text = "{2D5ABB26-0587-4C30-8999-92F81FD0307C}"  # No Style, No Grid: we colour every cell
    table.first_row = True
    table.horz_banding = False
    emu = [int(round(c.width * EMU_PER_PT)) for c in columns]
    emu[-1] = int(round(width * EMU_PER_PT)) - sum(emu[:-1])
    for col, w in zip(tbl.tblGrid.gridCol_lst, emu):  # on the XML, as the row heights below
        col.set("w", str(w))
    trs = tbl.tr_lst  # heights set on the XML: python-pptx re-adds all rows' heights on each change
    heights = [int(math.ceil(h * EMU_PER_PT)) for h in (header_height, *(r.height for r in rows))]
    for tr, h in zip(trs, heights):
        tr.set("h", str(h))
    for j, col in enumerate(columns):
        _fill_cell(table.cell(0, j), Cell((para(col.header, bold=True),), palette.DARK_BLUE, palette.WHITE), size)
    for i, fitted in enumerate(rows, start=1):
        for j, cell in enumerate(fitted.cells):
            _fill_cell(table.cell(i, j), cell, size)
    # the frame's stored size is the sum of the columns and rows as written
    frame.width = Emu(sum(emu))
    frame.height = Emu(sum(heights))
    return frame


_BORDER = ('<a:{side} w="9525" cap="flat" cmpd="sng" algn="ctr"><a:solidFill><a:srgbClr val="B8C2C8"/></a:solidFill>'
           '<a:prstDash val="solid"/></a:{side}>')
_CELL_PR = (f'<a:tcPr marL="{int(CELL_MARGIN_X * EMU_PER_PT)}" marR="{int(CELL_MARGIN_X * EMU_PER_PT)}" '
            f'marT="{int(CELL_MARGIN_Y * EMU_PER_PT)}" marB="{int(CELL_MARGIN_Y * EMU_PER_PT)}" anchor="t">'
            + "".join(_BORDER.format(side=side) for side in ("lnL", "lnR", "lnT", "lnB"))
            + '<a:solidFill><a:srgbClr val="{fill}"/></a:solidFill></a:tcPr>')


def _fill_cell(cell, spec: Cell, size: float) -> None:
    """A table cell's text, margins, thin grey borders and fill, written as one piece of XML."""
    tc = cell._tc
    for child in list(tc):
        tc.remove(child)
    xml = (f'<a:txBody><a:bodyPr wrap="square"/><a:lstStyle/>{paras_xml(spec.paras, size, spec.colour)}</a:txBody>'
           + _CELL_PR.format(fill=spec.fill or palette.WHITE))
    for element in _parse_children(xml, "a:tc"):
        tc.append(element)


# --------------------------------------------------------------------------- the deck


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def bottom(self) -> float:
        return self.top + self.height


class Deck:
    """The presentation being built, its layouts and the geometry they give."""

    def __init__(self, view: ReportView, templates: Templates) -> None:
        self.view = view
        self.prs = _open_template(templates)
        self.layouts = {l.name.strip().lower(): l for l in self.prs.slide_layouts}
        self.width = self.prs.slide_width / EMU_PER_PT
        self.height = self.prs.slide_height / EMU_PER_PT
        self.template_dashboard = self._keep_template_dashboard()
        # after the first use of prs.slides, which renames the template's slide parts
        _remember_partnames(self.prs.part.package)
        self.footer = clean(" · ".join(x for x in (view.organisation, view.title, view.month_label) if x))
        self.slides = 0
        self._content: dict[int, Box] = {}
        self._footer_phs: dict[int, list[tuple[object, object]]] = {}
        self._placeholders: dict[int, list[object]] = {}  # per layout: its placeholders as cloned once
        self._title_boxes: dict[int, tuple[float, float] | None] = {}  # per layout: the title's size in pt
        self._notes_proto = None  # a notes page as cloned from the notes master, before any text
        self._sld_ids = self.prs.slides._sldIdLst
        self._open_parts: list[object] = []  # slide and notes parts made since the last freeze()
        self._next_slide_id = max([255, *(int(e.get("id")) for e in self._sld_ids)]) + 1

    # ---- template slides: a Dashboard slide with charts is kept (its charts get new data)
    def _keep_template_dashboard(self):
        keep = None
        sld_ids = self.prs.slides._sldIdLst
        for slide, sld_id in zip(list(self.prs.slides), list(sld_ids)):
            charts = [s for s in slide.shapes if s.has_chart]
            if keep is None and charts and slide.slide_layout.name.strip().lower() == "dashboard":
                keep = slide
                continue
            self.prs.part.drop_rel(sld_id.rId)
            sld_ids.remove(sld_id)
        return keep

    def layout(self, name: str):
        return self.layouts[name.lower()]

    def content(self, layout) -> Box:
        """The area for content on ``layout``: below the title and its rule, above the footer."""
        key = id(layout)
        if key not in self._content:
            self._content[key] = self._measure_content(layout)
        return self._content[key]

    def _measure_content(self, layout) -> Box:
        title = _layout_placeholder(layout, ("title", "ctrTitle"))
        left = title.left / EMU_PER_PT if title is not None else 43.2
        right = (title.left + title.width) / EMU_PER_PT if title is not None else self.width - 43.2
        top = (title.top + title.height) / EMU_PER_PT if title is not None else 86.4
        for shape in layout.shapes:  # decoration under the title (the accent rule)
            if not shape.is_placeholder and shape.top / EMU_PER_PT < self.height / 3:
                top = max(top, (shape.top + shape.height) / EMU_PER_PT)
        bottom = self.height - 36
        for ph in layout.placeholders:
            kind = ph.element.ph_type
            if kind in (PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER, PP_PLACEHOLDER.DATE):
                bottom = min(bottom, ph.top / EMU_PER_PT)
        top += 12
        bottom -= 8
        return Box(left, top, right - left, bottom - top)

    def add(self, layout_name: str, title: str):
        layout = self.layout(layout_name)
        slide = self._new_slide(layout)
        self.slides += 1
        self.set_title(slide, title, layout)
        return slide

    def set_title(self, slide, text: str, layout=None) -> None:
        layout = layout if layout is not None else slide.slide_layout
        box = self._title_boxes.get(id(layout))
        if box is None:
            shape = slide.shapes.title
            box = None if shape is None else (shape.width / EMU_PER_PT, shape.height / EMU_PER_PT)
            self._title_boxes[id(layout)] = box
        sp = _placeholder_sp(slide.shapes._spTree, ("title", "ctrTitle"))
        if box is None or sp is None:
            return
        from pptx.text.text import TextFrame

        tf = TextFrame(sp.get_or_add_txBody(), None)
        _frame(tf, anchor=MSO_ANCHOR.BOTTOM)
        width = box[0] - 2 * BOX_MARGIN_X
        height = box[1] - 2 * BOX_MARGIN_Y
        base = _title_size(self.prs)
        sizes = [s for s in (base,) + TITLE_SIZES if s <= base] or [base]
        fitted, size = fit_lines(clean(text), width, sizes, height, bold=True)
        paras = [Para((Seg(line, bold=True, colour=palette.DARK_BLUE),)) for line in fitted.split("\n")]
        write_paras(tf, paras, size, palette.DARK_BLUE)

    def _footers(self, layout) -> list[tuple[object, object]]:
        """(kind, placeholder) of the layout's footer and slide-number placeholders, found once."""
        key = id(layout)
        if key not in self._footer_phs:
            self._footer_phs[key] = [(ph.element.ph_type, ph) for ph in layout.placeholders
                                     if ph.element.ph_type in (PP_PLACEHOLDER.FOOTER, PP_PLACEHOLDER.SLIDE_NUMBER)]
        return self._footer_phs[key]

    def add_footer(self, slide, layout) -> None:
        """Fill the layout's footer and slide-number placeholders (position and style are theirs)."""
        for kind, ph in self._footers(layout):
            if kind == PP_PLACEHOLDER.FOOTER:
                width = ph.width / EMU_PER_PT - 2 * BOX_MARGIN_X
                text = textfit.truncate_to_lines(self.footer, width * SAFETY, 10, 1)
                _clone_placeholder(slide, ph)
                shape = slide.shapes[-1]
                _frame(shape.text_frame, anchor=MSO_ANCHOR.MIDDLE)
                write_paras(shape.text_frame, [para(text)], 10, palette.MID_GREY)
            elif kind == PP_PLACEHOLDER.SLIDE_NUMBER:
                _clone_placeholder(slide, ph)
                shape = slide.shapes[-1]
                _frame(shape.text_frame, anchor=MSO_ANCHOR.MIDDLE)
                write_paras(shape.text_frame, [para(str(len(self.prs.slides._sldIdLst)), align="r")], 10,
                            palette.MID_GREY)
                r = shape.text_frame.paragraphs[0].runs[0]._r
                fld = etree.Element(qn("a:fld"), id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}", type="slidenum")
                for child in list(r):
                    fld.append(child)
                r.addprevious(fld)
                r.getparent().remove(r)

    def _new_slide(self, layout):
        """``prs.slides.add_slide(layout)`` without its walks over every slide made so far.

        python-pptx finds the next slide id and checks the new relationship against all the
        presentation's relationships on each call (quadratic over hundreds of slides), and clones
        the layout's placeholders one by one; here ids are counted, a new part's relationship is
        simply added, and each layout's placeholders, footer and slide number, made the first
        time, are copied (with the slide's number) after that.
        """
        from pptx.opc.constants import RELATIONSHIP_TYPE as RT
        from pptx.parts.slide import SlidePart

        part = self.prs.part
        slide_part = SlidePart.new(part.package.next_partname("/ppt/slides/slide%d.xml"), part.package, layout.part)
        rid = part.rels._add_relationship(RT.SLIDE, slide_part)
        self._sld_ids._add_sldId(id=self._next_slide_id, rId=rid)
        self._next_slide_id += 1
        self._open_parts.append(slide_part)
        slide = slide_part.slide
        tree = slide.shapes._spTree
        proto = self._placeholders.get(id(layout))
        if proto is None:
            slide.shapes.clone_layout_placeholders(layout)
            self.add_footer(slide, layout)
            self._placeholders[id(layout)] = [copy.deepcopy(e) for e in tree.iter_shape_elms()]
            return slide
        number = str(len(self._sld_ids))
        for element in proto:
            element = copy.deepcopy(element)
            for field in element.iter(qn("a:fld")):
                if field.get("type") == "slidenum":
                    field.find(qn("a:t")).text = number
            tree.append(element)
        return slide

    def notes(self, slide, text: str) -> None:
        """The slide's speaker notes. The first notes page is made by python-pptx from the notes
        master; later ones are copies of it, related to their slide directly."""
        if not text.strip():
            return
        if self._notes_proto is None or slide.part.has_notes_slide:  # (a template slide may have notes)
            fresh = not slide.part.has_notes_slide
            notes = slide.notes_slide
            element = notes._element
            if fresh:
                self._open_parts.append(notes.part)
                self._notes_proto = self._notes_proto if self._notes_proto is not None else copy.deepcopy(element)
        else:
            from pptx.opc.constants import CONTENT_TYPE as CT
            from pptx.opc.constants import RELATIONSHIP_TYPE as RT
            from pptx.parts.slide import NotesSlidePart

            element = copy.deepcopy(self._notes_proto)
            package = slide.part.package
            part = NotesSlidePart(package.next_partname("/ppt/notesSlides/notesSlide%d.xml"), CT.PML_NOTES_SLIDE,
                                  package, element)
            part.rels._add_relationship(RT.NOTES_MASTER, package.presentation_part.notes_master_part)
            part.rels._add_relationship(RT.SLIDE, slide.part)
            slide.part.rels._add_relationship(RT.NOTES_SLIDE, part)
            self._open_parts.append(part)
        body = _placeholder_sp(element, ("body",))
        tx_body = body.find(qn("p:txBody")) if body is not None else None
        if tx_body is None:  # a notes master without a notes placeholder
            return
        for p in tx_body.findall(qn("a:p")):
            tx_body.remove(p)
        lines = clean(text)[:NOTES_LIMIT].split("\n")
        for p in _parse_children("".join(f"<a:p><a:r><a:t>{_xml_text(line)}</a:t></a:r></a:p>" if line else "<a:p/>"
                                         for line in lines)):
            tx_body.append(p)

    def freeze(self) -> None:
        """Serialise the slides and notes made so far and let go of their XML trees.

        Called when they are finished (after each programme): hundreds of slides held as lxml
        trees take about 400 bytes a node, 270 MB for a thousand projects, against 20 MB as text.
        """
        for part in self._open_parts:
            _freeze(part)
        self._open_parts.clear()

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _layout_placeholder(layout, kinds: Iterable[str]):
    for ph in layout.placeholders:
        tag = ph.element.find(".//" + qn("p:ph"))
        if tag is not None and (tag.get("type") or "body") in kinds:
            return ph
    return None


_FROZEN: dict[type, type] = {}


def _freeze(part) -> None:
    """Turn a finished slide or notes part into one that saves the XML it had now, tree released."""
    from pptx.opc.oxml import serialize_part_xml

    cls = type(part)
    if cls not in _FROZEN:
        _FROZEN[cls] = type(f"Frozen{cls.__name__}", (cls,), {
            "blob": property(lambda self: self._frozen_blob),
            "__doc__": f"A {cls.__name__} whose XML was serialised when it was finished."})
    part._frozen_blob = serialize_part_xml(part._element)
    part.__class__ = _FROZEN[cls]
    part._element = None
    for cached in ("slide", "notes_slide"):  # python-pptx's lazy proxies of the released tree
        part.__dict__.pop(cached, None)


def _placeholder_sp(element, kinds: Iterable[str]):
    """The first ``p:sp`` in ``element`` (a slide or notes page) whose placeholder type is one of
    ``kinds``, if any."""
    for sp in element.iter(qn("p:sp")):
        ph = sp.find(f"{qn('p:nvSpPr')}/{qn('p:nvPr')}/{qn('p:ph')}")
        if ph is not None and ph.get("type") in kinds:
            return sp
    return None


def _clone_placeholder(slide, layout_ph):
    tag = layout_ph.element.find(".//" + qn("p:ph"))
    attrs = " ".join(f'{k}="{v}"' for k, v in tag.attrib.items() if k in ("type", "idx", "sz"))
    xml = (
        '<p:sp xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f'<p:nvSpPr><p:cNvPr id="{slide.shapes._next_shape_id}" name="{layout_ph.name}"/>'
        f'<p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr><p:nvPr><p:ph {attrs}/></p:nvPr></p:nvSpPr>'
        '<p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p/></p:txBody></p:sp>'
    )
    sp = parse_xml(xml)
    slide.shapes._spTree.append(sp)
    return sp


def _title_size(prs) -> int:
    rpr = prs.slide_master._element.find(f"{qn('p:txStyles')}/{qn('p:titleStyle')}/{qn('a:lvl1pPr')}/{qn('a:defRPr')}")
    try:
        return max(MIN_SIZE, int(rpr.get("sz")) // 100)
    except (AttributeError, TypeError, ValueError):
        return 28


# --------------------------------------------------------------------------- checking the template


def check_template(templates: Templates) -> None:
    """Refuse a slide template that lacks a layout or placeholder the generator needs (PmoError)."""
    _open_template(templates)


def _open_template(templates: Templates):
    """The slide template, opened once and checked (PmoError names what it lacks)."""
    path = templates.path(PPTX)
    try:
        prs = Presentation(str(path))
    except Exception as exc:  # noqa: BLE001 - any failure to open is the user's file
        raise PmoError(f"{path}: not a PowerPoint template that can be opened ({exc.__class__.__name__})") from exc
    _check_layouts(prs, path)
    return prs


def _check_layouts(prs, path) -> None:
    layouts = {l.name.strip().lower(): l for l in prs.slide_layouts}
    for name, needs in LAYOUTS.items():
        layout = layouts.get(name.lower())
        if layout is None:
            have = ", ".join(f'"{l.name}"' for l in prs.slide_layouts) or "none"
            raise PmoError(f'{path.name}: the slide layout "{name}" is missing (layouts found: {have}); '
                           "add it in PowerPoint under View > Slide Master, or rename a layout")
        for need in needs:
            kinds = ("title", "ctrTitle") if need == "title" else ("subTitle", "body")
            ph = _layout_placeholder(layout, kinds)
            if ph is None or (need == "subtitle" and ph.element.find(".//" + qn("p:ph")).get("idx", "0") == "0"):
                raise PmoError(f'{path.name}: the slide layout "{name}" has no {need} placeholder; '
                               "insert one in PowerPoint under View > Slide Master")


# --------------------------------------------------------------------------- slides


def _remember_partnames(package) -> None:
    """Name new parts from a set kept up to date, not by walking every part each time.

    python-pptx's ``next_partname`` visits every part of the package for each new notes slide or
    chart, which grows quadratically over hundreds of slides.
    """
    from pptx.opc.packuri import PackURI

    used = {str(p.partname) for p in package.iter_parts()}
    counters: dict[str, int] = {}

    def next_partname(tmpl: str) -> PackURI:
        n = counters.get(tmpl, 1)
        while tmpl % n in used:
            n += 1
        counters[tmpl] = n + 1
        used.add(tmpl % n)
        return PackURI(tmpl % n)

    package.next_partname = next_partname


def render_pptx(view: ReportView, templates: Templates,
                progress: Callable[[int, int, str], None] | None = None) -> bytes:
    """The board slides for ``view`` as .pptx bytes; ``progress(i, n, programme)`` per programme."""
    deck = Deck(view, templates)
    _title_slide(deck)
    _dashboard(deck)
    _changes(deck)
    for i, programme in enumerate(view.programmes, 1):
        if progress is not None:
            progress(i, len(view.programmes), programme.name)
        _programme(deck, programme)
        deck.freeze()
    _decisions(deck)
    _looking_forward(deck)
    if deck.template_dashboard is not None:  # the kept template slide goes second
        ids = deck.prs.slides._sldIdLst
        keep = next(e for e in ids if deck.prs.part.related_part(e.rId) is deck.template_dashboard.part)
        ids.remove(keep)
        ids.insert(1, keep)
    props = deck.prs.core_properties
    props.title = clean(f"{view.title} – board slides – {view.month_label}")[:255]
    props.language = "en-GB"
    props.subject = clean(view.organisation)[:255]
    return deck.bytes()


def _title_slide(deck: Deck) -> None:
    view = deck.view
    slide = deck.add("Title", view.title or "PMO Programme Highlight Reports")
    sub = _layout_placeholder(slide.slide_layout, ("subTitle", "body"))
    idx = int(sub.element.find(".//" + qn("p:ph")).get("idx", "1"))
    shape = next((s for s in slide.placeholders if s.placeholder_format.idx == idx), None)
    if shape is None:
        return
    tf = shape.text_frame
    _frame(tf)
    width = shape.width / EMU_PER_PT - 2 * BOX_MARGIN_X
    height = shape.height / EMU_PER_PT - 2 * BOX_MARGIN_Y
    paras = [para(f"Board slides · {view.month_label}", bold=True, colour=palette.NHS_BLUE)]
    if view.organisation:
        paras.append(para(view.organisation))
    size = next((s for s in (24, 20, 16, 14) if text_height(paras, width, s) <= height), None)
    if size is None:
        size = 14
        paras, _ = abridge(paras, width, size, height, marker="…")
    write_paras(tf, paras, size)
    deck.notes(slide, "\n".join(x for x in (view.title, view.month_label, view.organisation, view.description) if x))


# ---- dashboard


def counts_chart_data(view: ReportView) -> CategoryChartData:
    """RAG counts by programme: one category per programme, one series per RAG (and no update)."""
    data = CategoryChartData(number_format="0")
    rows = [r for r in view.counts if r.programme != "Total"]
    data.categories = [_label(r.programme) for r in rows]
    for i, rag in enumerate(view.scale_rags):
        data.add_series(rag.title, [r.counts[i] for r in rows])
    if any(r.counts[-1] for r in rows):
        data.add_series("No update", [r.counts[-1] for r in rows])
    return data


def trend_chart_data(view: ReportView) -> CategoryChartData:
    """Projects by RAG per month, oldest first (up to the last twelve months)."""
    data = CategoryChartData(number_format="0")
    data.categories = list(view.trend.months)
    for rag, values in view.trend.series:
        data.add_series(rag.title, list(values))
    return data


def _label(text: str, limit: int = 28) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _series_colours(view: ReportView) -> list[tuple[str, str]]:
    """(fill, label colour) for each series in the order the chart data adds them."""
    out = [(palette.fill(r), palette.text_on(r)) for r in view.scale_rags]
    return out + [(palette.fill(None), palette.text_on(None))]


def _dashboard(deck: Deck) -> None:
    view = deck.view
    title = f"Portfolio dashboard – {view.month_label}"
    if deck.template_dashboard is not None:
        slide = deck.template_dashboard
        deck.set_title(slide, title)
        charts = [s for s in slide.shapes if s.has_chart]
        trend = next((c for c in charts if "trend" in c.name.lower()), None)
        trend = trend or next((c for c in charts if c.chart.chart_type in (
            XL_CHART_TYPE.COLUMN_STACKED, XL_CHART_TYPE.COLUMN_CLUSTERED, XL_CHART_TYPE.LINE,
            XL_CHART_TYPE.LINE_MARKERS, XL_CHART_TYPE.AREA_STACKED)), None)
        for c in charts:
            c.chart.replace_data(trend_chart_data(view) if c is trend else counts_chart_data(view))
        deck.notes(slide, _dashboard_notes(view))
        return
    slide = deck.add("Dashboard", title)
    area = deck.content(slide.slide_layout)
    # figure tiles
    m = view.movement_counts
    tiles = [
        (view.project_count, "Projects"),
        (m.get("Improved", 0), "▲ Improved"),
        (m.get("Deteriorated", 0), "▼ Deteriorated"),
        (m.get("No update", 0), "No update received"),
        (len(view.decisions), "Decisions required"),
    ]
    gap = 12.0
    tile_w = (area.width - gap * (len(tiles) - 1)) / len(tiles)
    tile_h = 64.0
    for i, (number, label) in enumerate(tiles):
        left = area.left + i * (tile_w + gap)
        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Pt(left), Pt(area.top), Pt(tile_w), Pt(tile_h))
        shape.name = f"Figure: {label}"
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor.from_string("F0F4F5")
        shape.line.fill.background()
        shape.shadow.inherit = False
        _frame(shape.text_frame, anchor=MSO_ANCHOR.MIDDLE)
        label_text, size = fit_lines(label, tile_w - 2 * BOX_MARGIN_X, (12, 11, 10), LINE * 12)
        paras = [Para((Seg(str(number), bold=True, colour=palette.DARK_BLUE),), align="c"),
                 Para((Seg(label_text),), align="c")]
        write_paras(shape.text_frame, paras[:1], 24)
        p = shape.text_frame.add_paragraph()
        p.line_spacing = Pt(LINE * size)
        p.space_before = Pt(0)
        p.alignment = PP_ALIGN.CENTER
        r = p.add_run()
        r.text = label_text
        r.font.name, r.font.size, r.font.color.rgb = FONT, Pt(size), RGBColor.from_string(palette.TEXT)
        r._r.get_or_add_rPr().set("lang", "en-GB")
        # the tile's accent: a thin NHS Blue line along its top
        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Pt(left), Pt(area.top), Pt(tile_w), Pt(3))
        bar.name = "Tile accent"
        bar.fill.solid()
        bar.fill.fore_color.rgb = RGBColor.from_string(palette.NHS_BLUE)
        bar.line.fill.background()
        bar.shadow.inherit = False
    top = area.top + tile_h + 16
    height = area.bottom - top
    chart_gap = 24.0
    chart_w = (area.width - chart_gap) / 2
    _draw_chart(slide, view, "RAG by programme", XL_CHART_TYPE.BAR_STACKED, counts_chart_data(view),
                Box(area.left, top, chart_w, height))
    _draw_chart(slide, view, f"RAG trend – last {len(view.trend.months)} month(s)", XL_CHART_TYPE.COLUMN_STACKED,
                trend_chart_data(view), Box(area.left + chart_w + chart_gap, top, chart_w, height), trend=True)
    deck.notes(slide, _dashboard_notes(view))


def _draw_chart(slide, view: ReportView, title: str, kind, data: CategoryChartData, box: Box,
                trend: bool = False) -> None:
    frame = slide.shapes.add_chart(kind, Pt(box.left), Pt(box.top), Pt(box.width), Pt(box.height), data)
    frame.name = "RAG trend" if trend else "RAG by programme"
    chart = frame.chart
    chart.font.name = FONT
    chart.font.size = Pt(12)
    chart.font.color.rgb = RGBColor.from_string(palette.TEXT)
    chart.has_title = True
    chart.chart_title.text_frame.text = title
    tp = chart.chart_title.text_frame.paragraphs[0]
    for r in tp.runs:
        r.font.size, r.font.bold, r.font.name = Pt(14), True, FONT
        r.font.color.rgb = RGBColor.from_string(palette.DARK_BLUE)
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(12)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.overlap = 100
    colours = _series_colours(view)
    totals = [sum(values) for values in zip(*(series.values for series in data))]
    label_format = f'[<{max(1, math.ceil(max(totals, default=0) * 0.07))}]"";0'
    for i, series in enumerate(plot.series):
        fill, text = colours[i] if i < len(colours) else (palette.MID_GREY, palette.WHITE)
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = RGBColor.from_string(fill)
        series.format.line.color.rgb = RGBColor.from_string(palette.WHITE)
        series.format.line.width = Pt(0.75)
        labels = series.data_labels
        labels.show_value = True
        labels.number_format = label_format  # no label on a segment too thin to hold one
        labels.number_format_is_linked = False
        labels.position = XL_LABEL_POSITION.CENTER
        labels.font.size = Pt(12)
        labels.font.bold = True
        labels.font.color.rgb = RGBColor.from_string(text)
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = RGBColor.from_string("D8DDE0")
    value_axis.format.line.fill.background()
    value_axis.tick_labels.font.size = Pt(11)
    value_axis.tick_labels.font.color.rgb = RGBColor.from_string(palette.MID_GREY)
    category_axis = chart.category_axis
    category_axis.tick_labels.font.size = Pt(12)
    category_axis.format.line.color.rgb = RGBColor.from_string("B8C2C8")
    if not trend:
        category_axis.reverse_order = True  # programmes top to bottom in report order


def _dashboard_notes(view: ReportView) -> str:
    lines = [f"Projects by RAG, {view.month_label}:"]
    heads = [r.title for r in view.scale_rags] + ["No update"]
    for row in view.counts:
        parts = ", ".join(f"{h} {n}" for h, n in zip(heads, row.counts) if n)
        lines.append(f"{row.programme}: {row.total} project(s){': ' + parts if parts else ''}")
    lines.append("Changes since last month: " + ", ".join(f"{k} {v}" for k, v in view.movement_counts.items()))
    lines.append("Trend: " + "; ".join(
        f"{month}: " + ", ".join(f"{rag.title} {values[i]}" for rag, values in view.trend.series)
        for i, month in enumerate(view.trend.months)))
    return "\n".join(lines)


# ---- generic paginated table slides


def _table_slides(deck: Deck, title: str, columns_for: Callable[[Box], list[Column]], rows: list[Row],
                  layout: str = "Table", subtitle: str = "", cap_fraction: float | None = None,
                  empty: str = "", notes_head: str = "") -> list:
    """Slides titled "title (i of n)" holding ``rows`` in a measured, paginated table."""
    layout_obj = deck.layout(layout)
    area = deck.content(layout_obj)
    columns = columns_for(area)
    top = area.top
    sub_paras: list[Para] = []
    sub_h = 0.0
    if subtitle:
        text = textfit.truncate_to_lines(clean(subtitle), (area.width - 2 * BOX_MARGIN_X) * SAFETY, 12, 2)
        sub_paras = [para(text, colour=palette.MID_GREY)]
        sub_h = text_height(sub_paras, area.width - 2 * BOX_MARGIN_X, 12) + 2 * BOX_MARGIN_Y
    body = area.height - (sub_h + 6 if subtitle else 0)
    if not rows:
        slide = deck.add(layout, title)
        if subtitle:
            add_box(slide, area.left, top, area.width, sub_paras, 12, palette.MID_GREY, name="Subtitle")
        add_box(slide, area.left, top + (sub_h + 6 if subtitle else 0), area.width, [para(empty)], 14)
        return [slide]
    size, header, pages = best_pagination(rows, columns, body, cap_fraction)
    slides = []
    for i, page in enumerate(pages, start=1):
        name = f"{title} ({i} of {len(pages)})" if len(pages) > 1 else title
        slide = deck.add(layout, name)
        y = top
        if subtitle:
            add_box(slide, area.left, y, area.width, sub_paras, 12, palette.MID_GREY, name="Subtitle")
            y += sub_h + 6
        draw_table(slide, area.left, y, columns, header, page, size)
        notes = [notes_head] if notes_head else []
        notes += [f.source.notes for f in page]
        if any(f.abridged for f in page):
            notes.insert(0, "Text abridged on this slide is given in full below.")
        deck.notes(slide, "\n\n".join(n for n in notes if n))
        slides.append(slide)
    return slides


def _widths(area: Box, fixed: Sequence[float]) -> list[float]:
    """Column widths: the ``fixed`` ones (pt; 0 = share the rest equally) filling ``area.width``."""
    free = [i for i, w in enumerate(fixed) if not w]
    rest = area.width - sum(fixed)
    return [w if w else rest / len(free) for w in fixed]


def _rag_paras(cell: RagCell | None) -> tuple[Para, ...]:
    if cell is None:
        return (para("Not rated", colour=palette.MID_GREY),)
    paras = [para(cell.text or cell.colour_name, bold=True, colour=cell.font)]
    if cell.text and cell.rag and cell.text.lower() != cell.rag.title.lower():
        paras[0] = Para((Seg(clean(cell.text), bold=True, colour=cell.font),
                         Seg(f" ({cell.rag.title})", colour=cell.font)))
    if cell.movement:
        paras.append(para(cell.movement, colour=cell.font))
    return tuple(paras)


def _rag_cell(cell: RagCell | None) -> Cell:
    if cell is None:
        return Cell(_rag_paras(None))
    return Cell(_rag_paras(cell), cell.fill, cell.font)


def _project_notes(programme: str, row: ProjectRow) -> str:
    head = f"{row.number}. {row.name}" + (f" (lead: {row.lead})" if row.lead else "")
    rag = f"RAG: {row.rag.text} ({row.rag.colour_name})" + (f", {row.rag.movement}" if row.rag.movement else "")
    summary = row.summary.plain if row.summary else "No summary given."
    return "\n".join([head, rag, "Summary:", summary])


# ---- changes


def _changes(deck: Deck) -> None:
    view = deck.view
    groups = [("Improved", view.improved), ("Deteriorated", view.deteriorated), ("New", view.new),
              ("Completed", view.completed), ("No update", view.no_update)]
    rows = []
    for word, items in groups:
        for item in items:
            cell = item.rag
            rag = Cell(_rag_paras(cell), cell.fill, cell.font) if cell else Cell((para(item.detail),))
            if cell and not cell.movement and item.detail:
                rag = replace(rag, paras=rag.paras + (para(item.detail, colour=cell.font),))
            rows.append(Row([Cell((para(word, bold=True),)), Cell((para(item.programme),)),
                             Cell((para(item.project),)), rag],
                            notes=f"{word}: {item.programme} – {item.project}: {item.detail}",
                            key=f"{item.programme}\n{item.project}"))
    _table_slides(
        deck, "Changes this month",
        lambda a: [Column(*c) for c in zip(("Change", "Programme", "Project", "RAG this month"),
                                           _widths(a, (130, 200, 0, 270)))],
        rows, subtitle=f"RAG movements since {view.previous_label}" if view.previous_label else "",
        empty="No project's RAG changed this month, and no project is new, completed or without an update.",
    )


# ---- programme tables


def _programme(deck: Deck, programme: ProgrammeView) -> None:
    dims = programme.dimensions

    def columns(area: Box) -> list[Column]:
        fixed = [34.0, 160.0, 130.0] + [110.0] * len(dims) + [0.0]
        widths = _widths(area, fixed)
        heads = ["No.", "Project", "RAG"] + [h for h, _ in dims] + ["Summary"]
        return [Column(h, w, abridge=(h == "Summary" and i == len(heads) - 1))
                for i, (h, w) in enumerate(zip(heads, widths))]

    rows = []
    for r in programme.projects:
        project = [para(r.name, bold=True)]
        if r.lead:
            project.append(para(r.lead, colour=palette.MID_GREY))
        summary = tuple(rich_paras(r.summary)) or (para("No summary given.", italic=True, colour=palette.MID_GREY),)
        cells = [Cell((para(str(r.number)),)), Cell(tuple(project)), _rag_cell(r.rag)]
        cells += [_rag_cell(d) for d in r.dimensions]
        cells.append(Cell(summary))
        rows.append(Row(cells, notes=_project_notes(programme.name, r), key=f"{programme.name}\n{r.project_id}"))
    sub = [f"Programme RAG: {programme.rag.text}"
           + (f" ({programme.rag.colour_name})" if programme.rag.rag and programme.rag.text != programme.rag.colour_name else "")
           + (f", {programme.rag.movement}" if programme.rag.movement else "")]
    if programme.chair:
        sub.append(f"Chair: {programme.chair}")
    for header, title in dims:
        if title and title != header:
            sub.append(f"{header}: {title}")
    _table_slides(deck, f"{programme.name} programme", columns, rows, subtitle="  ·  ".join(sub),
                  empty="No projects reported this month.", cap_fraction=PROJECT_ROW_CAP,
                  notes_head=f"{programme.name} programme – full summaries, {deck.view.month_label}")


# ---- decisions and looking forward


def _item_columns(last: str) -> Callable[[Box], list[Column]]:
    """Programme, Project and an abridgeable ``last`` column filling the rest of the box."""
    def columns(box: Box) -> list[Column]:
        programme, project, rest = _widths(box, (170, 230, 0))
        return [Column("Programme", programme), Column("Project", project), Column(last, rest, abridge=True)]

    return columns


def _decisions(deck: Deck) -> None:
    rows = []
    for item in deck.view.decisions:
        text = tuple(rich_paras(item.text)) if item.text else (para(item.detail),)
        rows.append(Row([Cell((para(item.programme),)), Cell((para(item.project, bold=True),)), Cell(text)],
                        notes=f"{item.programme} – {item.project}:\n{item.text.plain if item.text else item.detail}",
                        key=f"{item.programme}\n{item.project}"))
    _table_slides(deck, "Decisions required of the board",
                  _item_columns("Decision required"),
                  rows, empty="No decisions are required of the board this month.")


def _looking_forward(deck: Deck) -> None:
    rows = []
    for programme in deck.view.programmes:
        for r in programme.projects:
            if not r.next_steps:
                continue
            rows.append(Row([Cell((para(programme.name),)), Cell((para(r.name, bold=True),)),
                             Cell(tuple(rich_paras(r.next_steps)))],
                            notes=f"{programme.name} – {r.name}: next steps\n{r.next_steps.plain}",
                            key=f"{programme.name}\n{r.project_id}"))
    _table_slides(deck, "Looking forward",
                  _item_columns("Next steps"),
                  rows, layout="List", cap_fraction=0.34,
                  subtitle="Each project's next steps, abridged to fit; the speaker notes give them in full.",
                  empty="No next steps were reported this month.")
