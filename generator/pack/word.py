"""The Word highlight report: docxtpl renders the template's tags, python-docx builds the body.

The template (``templates/highlight_report.docx``) carries the document-level text as docxtpl tags
and a paragraph ``{{ body }}``. After docxtpl has rendered the tags (sandboxed, autoescaped), the
generator builds the At-a-glance, programme and history sections with python-docx *in the same
document*, so they use the template's own styles (Heading 1, Table Text, List Bullet, ...) and a
secretary's restyling applies to them; the marker paragraph is then replaced by that content.

Programme sections are paginated like the seed report ("Clinical Programme 1 of 3"): row heights
are estimated from font metrics (``textfit``) and the column widths set here, each page starts with
a page break, the heading, the legend and the header block.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from docx.enum.text import WD_ALIGN_PARAGRAPH

from ..errors import PmoError
from ..portfolio.markup import Block, RichText
from . import palette, textfit
from .charts import ChartImage
from .narrative import intro as intro_paragraphs
from .templates import DOCX, Templates
from .view import ProgrammeView, ProjectRow, RagCell, ReportView

#: Tags the generator fills; a customised template must keep them.
REQUIRED_TAGS = ("title", "month", "body")
#: Tags the generator offers (a template may leave these out).
OFFERED_TAGS = ("title", "month", "organisation", "description", "intro", "contact", "previous", "body")
BODY_MARKER = "PMO-REPORT-BODY-7f3a9c"

EMPHASIS = "8A1538"  # NHS dark red: ISSUE: / RISK: markers (contrast 9.6:1 on white)
LINE = 1.15  # single line height as a multiple of the font size (Arial / Liberation Sans)
CELL_MARGIN_X = 85 / 20  # points, as the template's PMO Table style (twips / 20)
CELL_MARGIN_Y = 57 / 20
SAFETY = 0.965  # use at most this share of a page for estimated content (LibreOffice measured: rows ~8% under estimate)

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_CENTRE = WD_ALIGN_PARAGRAPH.CENTER
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# --------------------------------------------------------------------------- public API


def check_template(templates: Templates) -> None:
    """Refuse a Word template that lacks a tag the generator needs (naming it) or does not parse."""
    from docxtpl import DocxTemplate

    path = templates.path(DOCX)
    try:
        tpl = DocxTemplate(str(path))
        found = tpl.get_undeclared_template_variables(_jinja_env())
    except PmoError:
        raise
    except Exception as exc:  # docxtpl raises jinja2 errors, zip errors, lxml errors...
        raise PmoError(f"{path}: the Word template cannot be read ({exc})") from exc
    missing = [t for t in REQUIRED_TAGS if t not in found]
    if missing:
        names = ", ".join("{{ " + t + " }}" for t in missing)
        raise PmoError(f"{path}: the Word template lacks the tag {names}; "
                       "add it (each tag in one run) or export the default templates again")


def render_docx(view: ReportView, templates: Templates, charts: list[ChartImage]) -> bytes:
    """The month's Word highlight report as .docx bytes."""
    from docxtpl import DocxTemplate

    check_template(templates)
    tpl = DocxTemplate(str(templates.path(DOCX)))
    context = {
        "title": _clean(view.title), "month": view.month_label, "organisation": _clean(view.organisation),
        "description": _clean(view.description), "contact": _clean(view.contact),
        "previous": view.previous_label, "intro": [_clean(p) for p in intro_paragraphs(view, templates)],
        "body": BODY_MARKER,
    }
    try:
        tpl.render(context, jinja_env=_jinja_env(), autoescape=True)
    except Exception as exc:
        raise PmoError(f"{templates.path(DOCX)}: the Word template cannot be rendered ({exc})") from exc
    doc = tpl.docx
    builder = _Builder(doc, view, templates)
    builder.build(charts)
    _properties(doc, view)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- helpers


def _jinja_env():
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(autoescape=True)


def _clean(text: str) -> str:
    """Text Word can hold: no XML-illegal control characters."""
    return _ILLEGAL_XML.sub("", text or "")


def _properties(doc, view: ReportView) -> None:
    props = doc.core_properties
    props.title = _clean(f"{view.title} – {view.month_label}")[:250]
    props.subject = view.month_label
    props.author = _clean(view.organisation)[:250]
    props.last_modified_by = _clean(view.organisation)[:250]
    props.language = "en-GB"
    props.keywords = "PMO; highlight report; RAG"
    props.comments = ""


def _q(tag: str) -> str:
    prefix, local = tag.split(":")
    assert prefix == "w"
    return f"{{{W}}}{local}"


def _el(tag: str, **attrs: str):
    from docx.oxml import OxmlElement

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(_q(f"w:{k}"), v)
    return el


def _insert_ordered(parent, child, order: tuple[str, ...]) -> None:
    """Insert ``child`` into ``parent`` at its schema position (replacing one of the same tag)."""
    tag = child.tag
    for old in parent.findall(tag):
        parent.remove(old)
    later = {_q(t) for t in order[order.index(_local(tag)) + 1:]}
    for i, existing in enumerate(parent):
        if existing.tag in later:
            parent.insert(i, child)
            return
    parent.append(child)


def _local(tag: str) -> str:
    return "w:" + tag.split("}")[1]


TCPR_ORDER = ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd", "w:noWrap",
              "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
TRPR_ORDER = ("w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit",
              "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden")


def shade(cell, fill: str) -> None:
    """Shade a table cell: ``w:shd`` inside ``w:tcPr`` at its schema position."""
    tc_pr = cell._tc.get_or_add_tcPr()
    _insert_ordered(tc_pr, _el("w:shd", val="clear", color="auto", fill=fill.upper()), TCPR_ORDER)


def _v_align(cell, where: str = "center") -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    _insert_ordered(tc_pr, _el("w:vAlign", val=where), TCPR_ORDER)


def _row_flags(row, *, header: bool = False, cant_split: bool = True) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    if cant_split:
        _insert_ordered(tr_pr, _el("w:cantSplit"), TRPR_ORDER)
    if header:
        _insert_ordered(tr_pr, _el("w:tblHeader"), TRPR_ORDER)


def _font_size(style, default: float) -> float:
    while style is not None:
        if style.font.size is not None:
            return style.font.size.pt
        style = style.base_style
    return default


@dataclass(frozen=True)
class _Col:
    title: str
    width_cm: float


# --------------------------------------------------------------------------- the body


class _Builder:
    def __init__(self, doc, view: ReportView, templates: Templates) -> None:
        from docx.shared import Emu

        self.doc = doc
        self.view = view
        self.templates = templates
        names = {s.name for s in doc.styles}
        self._names = names
        section = doc.sections[-1]
        self.text_width_cm = Emu(section.page_width - section.left_margin - section.right_margin).cm
        self.page_height_pt = Emu(section.page_height - section.top_margin - section.bottom_margin).pt
        self.size = _font_size(self.style("Table Text"), 9)
        self.lead_size = _font_size(self.style("Lead Text"), 8)
        self.bullet_num = self._bullet_num_id()

    # ---- styles -------------------------------------------------------------------------------
    def style(self, name: str, fallback: str = "Normal"):
        styles = self.doc.styles
        if name in self._names:
            return styles[name]
        return styles[fallback] if fallback in self._names else None

    def _bullet_num_id(self) -> str:
        """The numbering used by the template's List Bullet style (one is added if it has none)."""
        style = self.style("List Bullet", "Normal")
        num = style.element.find(f"{{{W}}}pPr/{{{W}}}numPr/{{{W}}}numId") if style is not None else None
        if num is not None:
            return num.get(_q("w:val"))
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        numbering = self.doc.part.numbering_part.element
        ids = [int(n.get(_q("w:abstractNumId"))) for n in numbering.findall(_q("w:abstractNum"))]
        nums = [int(n.get(_q("w:numId"))) for n in numbering.findall(_q("w:num"))]
        a_id, n_id = max(ids + [0]) + 1, max(nums + [0]) + 1
        levels = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="{c}"/>'
            f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{255 * (i + 1)}" w:hanging="200"/></w:pPr></w:lvl>'
            for i, c in enumerate("•–"))
        abstract = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{a_id}">'
                             f'<w:multiLevelType w:val="multilevel"/>{levels}</w:abstractNum>')
        first_num = numbering.find(_q("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            numbering.append(abstract)
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{n_id}"><w:abstractNumId w:val="{a_id}"/></w:num>'))
        return str(n_id)

    # ---- the whole body -----------------------------------------------------------------------
    def build(self, charts: list[ChartImage]) -> None:
        body = self.doc.element.body
        marker = next((p for p in body.iter(_q("w:p"))
                       if BODY_MARKER in "".join(t.text or "" for t in p.iter(_q("w:t")))), None)
        if marker is None:
            raise PmoError("the Word template's {{ body }} tag did not render as its own paragraph")
        before = set(id(e) for e in body)
        self.at_a_glance(charts)
        for programme in self.view.programmes:
            self.programme(programme)
        self.history()
        new = [e for e in body if id(e) not in before and e.tag != _q("w:sectPr")]
        for element in new:
            marker.addprevious(element)
        marker.getparent().remove(marker)

    # ---- primitives ---------------------------------------------------------------------------
    def heading(self, text: str, level: int = 1, page_break: bool = False):
        para = self.doc.add_paragraph(style=self.style(f"Heading {level}"))
        para.add_run(_clean(text))
        if page_break:
            para.paragraph_format.page_break_before = True
        return para

    def paragraph(self, text: str = "", style: str = "Normal"):
        para = self.doc.add_paragraph(style=self.style(style))
        if text:
            para.add_run(_clean(text))
        return para

    def spacer(self):
        return self.paragraph("", "Spacer")

    def table(self, columns: list[_Col], header: bool = True, borders: bool = True):
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.shared import Cm

        table = self.doc.add_table(rows=1 if header else 0, cols=len(columns))
        if "PMO Table" in self._names:
            table.style = self.doc.styles["PMO Table"]
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        layout = tbl_pr.find(_q("w:tblLayout"))
        if layout is None:
            layout = _el("w:tblLayout")
            tbl_pr.append(layout)
        layout.set(_q("w:type"), "fixed")
        tbl_w = tbl_pr.find(_q("w:tblW"))
        if tbl_w is not None:
            tbl_w.set(_q("w:type"), "dxa")
            tbl_w.set(_q("w:w"), str(int(sum(c.width_cm for c in columns) / 2.54 * 1440)))
        if not borders:
            from docx.oxml import parse_xml
            from docx.oxml.ns import nsdecls

            none = "".join(f'<w:{s} w:val="nil"/>' for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
            el = parse_xml(f'<w:tblBorders {nsdecls("w")}>{none}</w:tblBorders>')
            _insert_ordered(tbl_pr, el, ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
                                         "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
                                         "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                         "w:tblCaption", "w:tblDescription"))
        for col, spec in zip(table.columns, columns):
            col.width = Cm(spec.width_cm)
        if header:
            row = table.rows[0]
            _row_flags(row, header=True)
            for cell, spec in zip(row.cells, columns):
                cell.width = Cm(spec.width_cm)
                shade(cell, palette.NHS_BLUE)
                para = cell.paragraphs[0]
                para.style = self.style("Table Heading", "Table Text")
                run = para.add_run(_clean(spec.title))
                run.font.color.rgb = _rgb(palette.WHITE)
                run.bold = True
        return table

    def add_row(self, table, columns: list[_Col], cant_split: bool = True):
        from docx.shared import Cm

        row = table.add_row()
        _row_flags(row, cant_split=cant_split)
        for cell, spec in zip(row.cells, columns):
            cell.width = Cm(spec.width_cm)
        return row

    def cell_text(self, cell, text: str, style: str = "Table Text", bold: bool = False, colour: str | None = None,
                  size: float | None = None, new: bool = False):
        from docx.shared import Pt

        para = cell.add_paragraph() if new or cell.paragraphs[0].runs else cell.paragraphs[0]
        para.style = self.style(style, "Table Text")
        run = para.add_run(_clean(text))
        if bold:
            run.bold = True
        if colour:
            run.font.color.rgb = _rgb(colour)
        if size:
            run.font.size = Pt(size)
        return para

    def rag_cell(self, cell, rag: RagCell, detail: str | None = None) -> None:
        """A RAG cell: shaded with the fill, the programme's label and the movement in words."""
        shade(cell, rag.fill)
        self.cell_text(cell, rag.text, "RAG Cell", bold=True, colour=rag.font)
        words = rag.movement if detail is None else detail
        if words:
            self.cell_text(cell, words, "Table Text", colour=rag.font, size=self.size - 1, new=True)

    def rich(self, cell, text: RichText) -> None:
        """Summary markup as real Word formatting: List Bullet paragraphs with numbering, bold headings."""
        first = not cell.paragraphs[0].runs
        for p in text.paragraphs:
            para = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            if p.kind is Block.BULLET:
                level = min(p.level, 1)
                para.style = self.style("List Bullet" if level == 0 else "List Bullet 2", "Table Text")
                p_pr = para._p.get_or_add_pPr()
                num_pr = _el("w:numPr")
                num_pr.append(_el("w:ilvl", val=str(level)))
                num_pr.append(_el("w:numId", val=self.bullet_num))
                p_style = p_pr.find(_q("w:pStyle"))
                if p_style is not None:
                    p_style.addnext(num_pr)
                else:
                    p_pr.insert(0, num_pr)
            else:
                para.style = self.style("Table Text")
            if p.kind is Block.HEADING:
                para.paragraph_format.keep_with_next = True
            for r in p.runs:
                run = para.add_run(_clean(r.text))
                if r.bold or r.emphasis or p.kind is Block.HEADING:
                    run.bold = True
                if r.italic:
                    run.italic = True
                if r.underline:
                    run.underline = True
                if r.superscript:
                    run.font.superscript = True
                if r.emphasis:
                    run.font.color.rgb = _rgb(EMPHASIS)

    def picture(self, chart: ChartImage) -> None:
        from docx.shared import Cm

        para = self.paragraph("", "Normal")
        shape = para.add_run().add_picture(io.BytesIO(chart.png), width=Cm(chart.width_cm), height=Cm(chart.height_cm))
        doc_pr = shape._inline.docPr
        doc_pr.set("descr", _clean(chart.alt))
        doc_pr.set("title", _clean(chart.alt.split(":")[0]))

    # ---- At a glance ---------------------------------------------------------------------------
    def at_a_glance(self, charts: list[ChartImage]) -> None:
        """Headline sentence and decisions (after the intro), then RAG counts, chart and changes on a new page."""
        from .narrative import at_a_glance

        view = self.view
        from docx.shared import Pt

        self.heading("At a glance", 1).paragraph_format.space_before = Pt(14)
        for text in at_a_glance(view, self.templates):
            self.paragraph(text)
        self.decisions()
        self.heading(f"RAG ratings by programme, {view.month_label}", 2, page_break=True)
        self.counts()
        for chart in charts:
            self.spacer()
            self.picture(chart)
        self.changes()

    def decisions(self) -> None:
        view = self.view
        self.heading("Decisions required of the board", 2)
        if not view.decisions:
            self.paragraph("No decisions are required of the board this month.")
            return
        cols = [_Col("Programme", 4.6), _Col("Project", 6.0), _Col("Decision required", self.text_width_cm - 10.6)]
        table = self.table(cols)
        for item in view.decisions:
            r = self.add_row(table, cols)
            self.cell_text(r.cells[0], item.programme)
            self.cell_text(r.cells[1], item.project, bold=True)
            if item.text:
                self.rich(r.cells[2], item.text)
            else:
                self.cell_text(r.cells[2], item.detail)

    def counts(self) -> None:
        view = self.view
        names = [r.title for r in view.scale_rags]
        fills = [(palette.fill(r), palette.text_on(r)) for r in view.scale_rags]
        show_no_update = any(row.counts[-1] for row in view.counts)
        if show_no_update:
            names.append("No update")
            fills.append((palette.fill(None), palette.text_on(None)))
        cols = [_Col("Programme", 6.5)] + [_Col(n, 2.4) for n in names] + [_Col("Total", 2.2)]
        table = self.table(cols)
        for cell, (fill, font) in zip(table.rows[0].cells[1:], fills):
            shade(cell, fill)
            for para in cell.paragraphs:
                para.alignment = _CENTRE
                for run in para.runs:
                    run.font.color.rgb = _rgb(font)
        table.rows[0].cells[-1].paragraphs[0].alignment = _CENTRE
        for row in view.counts:
            r = self.add_row(table, cols)
            total = row.programme == "Total"
            values = list(row.counts[:len(names)]) + [row.total]
            self.cell_text(r.cells[0], row.programme, bold=total)
            for cell, value in zip(r.cells[1:], values):
                self.cell_text(cell, str(value), bold=total).alignment = _CENTRE

    def changes(self) -> None:
        view = self.view
        groups = [("Improved", view.improved), ("Deteriorated", view.deteriorated), ("New", view.new),
                  ("Completed", view.completed), ("No update received", view.no_update),
                  ("Red for 3 months or more", view.red_flags)]
        self.heading(f"Changes since {view.previous_label}" if view.previous_label else "Changes", 2)
        if not any(items for _, items in groups):
            self.paragraph("No project's RAG rating changed this month and none is flagged.")
            return
        cols = [_Col("Change", 4.2), _Col("Programme", 4.6), _Col("Project", 8.0), _Col("RAG now and movement", 6.5)]
        table = self.table(cols)
        for word, items in groups:
            for item in items:
                r = self.add_row(table, cols)
                self.cell_text(r.cells[0], word, bold=True)
                self.cell_text(r.cells[1], item.programme)
                self.cell_text(r.cells[2], item.project)
                if item.rag is not None:
                    detail = item.detail if item.detail != item.rag.movement else None
                    self.rag_cell(r.cells[3], item.rag, detail)
                else:
                    self.cell_text(r.cells[3], item.detail)

    # ---- programmes ------------------------------------------------------------------------------
    def columns(self, programme: ProgrammeView) -> list[_Col]:
        cols = [_Col("No.", 0.9), _Col("Project", 3.8), _Col("RAG", 3.2)]
        cols += [_Col(title, 2.8) for _, title in programme.dimensions]
        if any(p.issues for p in programme.projects):
            cols.append(_Col("Issues and risks", 4.2))
        if any(p.next_steps for p in programme.projects):
            cols.append(_Col("Next steps", 4.2))
        fixed = sum(c.width_cm for c in cols)
        summary = round(max(6.0, self.text_width_cm - fixed - 0.05), 2)
        cols.insert(3 + len(programme.dimensions), _Col("Status summary", summary))
        return cols

    def programme(self, programme: ProgrammeView) -> None:
        cols = self.columns(programme)
        pages = self.paginate(programme, cols)
        total = len(pages)
        for i, rows in enumerate(pages, start=1):
            self.heading(f"{programme.name} Programme {i} of {total}", 1, page_break=True)
            self.legend(programme)
            self.spacer()
            self.header_block(programme)
            self.spacer()
            table = self.table(cols)
            for row in rows:
                self.project_row(table, cols, programme, row, cant_split=self._row_height(row, cols) <= self._room(programme, cols))

    def legend(self, programme: ProgrammeView) -> None:
        cols = [_Col("Key", 1.4)] + [
            _Col(item.label, round(textfit.width(item.label, self.size, True) / 72 * 2.54 + 0.5, 2)) for item in programme.legend
        ]
        table = self.table(cols, header=False, borders=False)
        row = self.add_row(table, cols)
        self.cell_text(row.cells[0], "Key:", bold=True, colour=palette.DARK_BLUE)
        for cell, item in zip(row.cells[1:], programme.legend):
            shade(cell, item.fill)
            self.cell_text(cell, item.label, "RAG Cell", bold=True, colour=item.font).alignment = _CENTRE

    def _header_lines(self, programme: ProgrammeView) -> list[tuple[str, str]]:
        lines = [("Programme:", programme.name), ("Chair:", programme.chair or "—"),
                 ("Reporting period:", self.view.month_label)]
        if programme.rag_comment:
            lines.append(("Comment:", programme.rag_comment))
        return lines

    def header_block(self, programme: ProgrammeView) -> None:
        cols = [_Col("", 3.4), _Col("", 11.0), _Col("", 3.4), _Col("", 5.6)]
        table = self.table(cols, header=False, borders=False)
        lines = self._header_lines(programme)
        for label, value in lines:
            row = self.add_row(table, cols)
            self.cell_text(row.cells[0], label, bold=True, colour=palette.DARK_BLUE)
            self.cell_text(row.cells[1], value)
        first, last = table.rows[0], table.rows[len(lines) - 1]
        label = first.cells[2].merge(last.cells[2])
        self.cell_text(label, "Programme RAG:", bold=True, colour=palette.DARK_BLUE)
        rag = first.cells[3].merge(last.cells[3])
        self.rag_cell(rag, programme.rag)
        _v_align(rag)

    def project_row(self, table, cols: list[_Col], programme: ProgrammeView, row: ProjectRow, cant_split: bool) -> None:
        r = self.add_row(table, cols, cant_split=cant_split)
        cells = iter(r.cells)
        self.cell_text(next(cells), str(row.number), bold=True)
        project = next(cells)
        self.cell_text(project, row.name, bold=True)
        if row.lead:
            self.cell_text(project, row.lead, "Lead Text", new=True, colour=palette.MID_GREY)
        self.rag_cell(next(cells), row.rag)
        for dim in row.dimensions:
            cell = next(cells)
            if dim is None:
                self.cell_text(cell, "—")
            else:
                self.rag_cell(cell, dim)
        summary = next(cells)
        if row.summary:
            self.rich(summary, row.summary)
        elif row.no_update:
            self.cell_text(summary, "No update received this month.", colour=palette.MID_GREY)
        for title, text in (("Issues and risks", row.issues), ("Next steps", row.next_steps)):
            if any(c.title == title for c in cols):
                cell = next(cells)
                if text:
                    self.rich(cell, text)

    # ---- pagination -------------------------------------------------------------------------------
    def _lines(self, text: str, width_pt: float, size: float, bold: bool = False) -> int:
        return textfit.line_count(text, max(width_pt, 10), size, bold) if text else 1

    def _para_h(self, lines: int, size: float, after: float = 2) -> float:
        return lines * size * LINE + after

    def _inner(self, col: _Col) -> float:
        return col.width_cm / 2.54 * 72 - 2 * CELL_MARGIN_X - 3  # 3pt slack for rounding in the renderers

    def _rich_h(self, text: RichText, width_pt: float) -> float:
        total = 0.0
        for p in text.paragraphs:
            indent = 0.0
            if p.kind is Block.BULLET:
                indent = 255 / 20 * (min(p.level, 1) + 1)
            bold = p.kind is Block.HEADING or any(r.bold or r.emphasis for r in p.runs)
            total += self._para_h(self._lines(p.text, width_pt - indent, self.size, bold), self.size)
        return total or self._para_h(1, self.size)

    def _cells_h(self, heights: list[float]) -> float:
        return max(heights) + 2 * CELL_MARGIN_Y + 1

    def _rag_h(self, rag: RagCell | None, col: _Col) -> float:
        if rag is None:
            return self._para_h(1, self.size)
        h = self._para_h(self._lines(rag.text, self._inner(col), self.size, True), self.size)
        if rag.movement:
            h += self._para_h(self._lines(rag.movement, self._inner(col), self.size - 1), self.size - 1)
        return h

    def _row_height(self, row: ProjectRow, cols: list[_Col]) -> float:
        by = {c.title: c for c in cols}
        heights = [self._para_h(self._lines(row.name, self._inner(by["Project"]), self.size, True), self.size)
                   + (self._para_h(self._lines(row.lead, self._inner(by["Project"]), self.lead_size), self.lead_size)
                      if row.lead else 0),
                   self._rag_h(row.rag, by["RAG"]),
                   self._rich_h(row.summary, self._inner(by["Status summary"]))]
        dim_cols = cols[3:3 + len(row.dimensions)]
        heights += [self._rag_h(d, c) for d, c in zip(row.dimensions, dim_cols)]
        for title, text in (("Issues and risks", row.issues), ("Next steps", row.next_steps)):
            if title in by and text:
                heights.append(self._rich_h(text, self._inner(by[title])))
        return self._cells_h(heights)

    def _header_row_h(self, cols: list[_Col]) -> float:
        return self._cells_h([self._para_h(self._lines(c.title, self._inner(c), self.size, True), self.size)
                              for c in cols])

    def _room(self, programme: ProgrammeView, cols: list[_Col]) -> float:
        """Points left for project rows on a programme page (after heading, legend, header block)."""
        h1 = self.style("Heading 1")
        h1_size = _font_size(h1, 16)
        after = h1.paragraph_format.space_after.pt if h1 is not None and h1.paragraph_format.space_after else 8
        spacer = _font_size(self.style("Spacer"), 2) * LINE + 1
        legend = self._cells_h([self._para_h(1, self.size)])  # labels sit in cells fitted to their width
        block_cols = [11.0 / 2.54 * 72 - 2 * CELL_MARGIN_X - 3]
        block = sum(self._cells_h([self._para_h(self._lines(v, block_cols[0], self.size), self.size)])
                    for _, v in self._header_lines(programme))
        block = max(block, self._cells_h([self._rag_h(programme.rag, _Col("", 5.6))]))
        used = h1_size * LINE + after + legend + spacer + block + spacer + self._header_row_h(cols)
        return self.page_height_pt * SAFETY - used

    def paginate(self, programme: ProgrammeView, cols: list[_Col]) -> list[list[ProjectRow]]:
        """Split the programme's rows into pages; a row taller than a page gets a page (or more) of its own."""
        room = self._room(programme, cols)
        pages: list[list[ProjectRow]] = []
        current: list[ProjectRow] = []
        used = 0.0
        for row in programme.projects:
            h = self._row_height(row, cols)
            if current and (used + h > room or h > room):
                pages.append(current)
                current, used = [], 0.0
            current.append(row)
            used += h
            if h > room:  # it splits across pages; what follows starts on a fresh page
                pages.append(current)
                current, used = [], 0.0
        if current or not pages:
            pages.append(current)
        return pages

    def continuation_pages(self, programme: ProgrammeView) -> int:
        """Extra pages that rows taller than a page spill onto (estimate; 0 for normal portfolios)."""
        cols = self.columns(programme)
        room = self._room(programme, cols)
        page = self.page_height_pt * SAFETY - self._header_row_h(cols)
        return sum(math.ceil((h - room) / page) for h in (self._row_height(r, cols) for r in programme.projects)
                   if h > room)

    # ---- history --------------------------------------------------------------------------------
    def history(self) -> None:
        view = self.view
        if not view.history or not view.history_months:
            return
        self.heading("RAG history", 1, page_break=True)
        legend = ", ".join(f"{r.letter} = {r.title}" for r in view.scale_rags)
        self.paragraph(f"Each project's RAG rating over the last {len(view.history_months)} "
                       f"{'month' if len(view.history_months) == 1 else 'months'} ({legend}; "
                       "— = no report that month).")
        month_w = 2.3
        cols = [_Col("Programme", 4.6), _Col("Project", 8.0)] + [_Col(m, month_w) for m in view.history_months]
        table = self.table(cols)
        for cell in table.rows[0].cells[2:]:
            cell.paragraphs[0].alignment = _CENTRE
        for hist in view.history:
            r = self.add_row(table, cols)
            self.cell_text(r.cells[0], hist.programme)
            self.cell_text(r.cells[1], hist.project)
            for cell, rag in zip(r.cells[2:], hist.cells):
                if rag is None or not rag.letter:
                    self.cell_text(cell, "—", colour=palette.MID_GREY).alignment = _CENTRE
                else:
                    shade(cell, rag.fill)
                    self.cell_text(cell, rag.letter, "RAG Cell", bold=True, colour=rag.font).alignment = _CENTRE


def _rgb(hex_colour: str):
    from docx.shared import RGBColor

    return RGBColor.from_string(hex_colour.upper())


def programme_pages(view: ReportView, templates: Templates) -> dict[str, int]:
    """How many "i of n" pages each programme gets (for tests and the manifest)."""
    from docxtpl import DocxTemplate

    doc = DocxTemplate(str(templates.path(DOCX)))
    doc.init_docx()
    builder = _Builder(doc.docx, view, templates)
    return {p.name: len(builder.paginate(p, builder.columns(p))) for p in view.programmes}
