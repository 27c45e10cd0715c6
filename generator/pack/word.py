"""The Word highlight report: docxtpl renders the template's tags, python-docx builds the body.

The template (``templates/highlight_report.docx``) carries the document-level text as docxtpl tags
and a paragraph ``{{ body }}``. After docxtpl has rendered the tags (sandboxed, autoescaped), the
generator builds the At-a-glance, programme and history sections *in the same document*, referring
to the template's own named styles (Heading 1, Table Text, RAG Cell, List Bullet and its numbering,
the "PMO Table" table style), so a secretary's restyling applies to them; the marker paragraph is
then replaced by that content. No sub-documents (they lose formatting). The body is written as
WordprocessingML text and parsed once (python-docx's object API is ~10x slower on 1,000 projects);
every element is written in schema order and all workbook text is XML-escaped, never templated.

Programme sections are paginated like the seed report ("Clinical Programme 1 of 3"): row heights
are estimated from font metrics (``textfit``) and the column widths set here, each page starts with
a page break, the heading, the legend and the header block.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Callable
from xml.sax.saxutils import escape as xml_escape

from docx.enum.style import WD_STYLE_TYPE
from lxml import etree

from ..errors import PmoError
from ..portfolio.markup import Block, RichText
from .. import palette
from . import textfit
from .charts import ChartImage
from .narrative import intro as intro_paragraphs
from .templates import DOCX, Templates, default_dir
from .view import ProgrammeView, ProjectRow, RagCell, ReportView

#: Tags the generator fills; a customised template must keep them.
REQUIRED_TAGS = ("title", "month", "body")
#: Tags the generator offers (a template may leave these out).
OFFERED_TAGS = ("title", "month", "organisation", "description", "intro", "contact", "previous", "body")
BODY_MARKER = "PMO-REPORT-BODY-7f3a9c"
BODY_TOKEN = "PMO-REPORT-BODY-GOES-HERE-5d41c0"  # the paragraph replaced by the body after saving

EMPHASIS = "8A1538"  # NHS dark red: ISSUE: / RISK: markers (contrast 9.6:1 on white)
LINE = 1.15  # single line height as a multiple of the font size (Arial / Liberation Sans)
CELL_MARGIN_X = 85 / 20  # points, as the template's PMO Table style (twips / 20)
CELL_MARGIN_Y = 57 / 20
SECTION_GAP = 4  # points above the "Issues and risks" / "Next steps" labels inside a summary cell
SAFETY = 0.98  # use at most this share of a page for estimated content (estimates run a few % over LibreOffice)

_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# --------------------------------------------------------------------------- public API


def check_template(templates: Templates) -> None:
    """Refuse a Word template that lacks a tag the generator needs (naming it) or does not parse."""
    _open_template(templates, always_check=True)


def _open_template(templates: Templates, always_check: bool = False):
    """The Word template, opened once and checked (PmoError names a missing tag).

    Unless ``always_check``, the shipped template is not re-checked on every run (the tests check
    it): finding its tags means compiling the whole document as a Jinja template once more.
    """
    from docxtpl import DocxTemplate

    path = templates.path(DOCX)
    try:
        tpl = DocxTemplate(str(path))
        if not always_check and path.resolve() == (default_dir() / DOCX).resolve():
            return tpl
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
    return tpl


def render_docx(view: ReportView, templates: Templates, charts: list[ChartImage],
                progress: Callable[[int, int, str], None] | None = None) -> bytes:
    """The month's Word highlight report as .docx bytes; ``progress(i, n, programme)`` per programme."""
    tpl = _open_template(templates)
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
    body = builder.build(charts, progress)
    _properties(doc, view)
    buf = io.BytesIO()
    doc.save(buf)
    return _splice_body(buf.getvalue(), body)


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


def shade(cell, fill: str) -> None:
    """Shade a table cell: ``w:shd`` inside ``w:tcPr`` at its schema position."""
    tc_pr = cell._tc.get_or_add_tcPr()
    _insert_ordered(tc_pr, _el("w:shd", val="clear", color="auto", fill=fill.upper()), TCPR_ORDER)


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
        self._ids = {s.name: s.style_id for s in doc.styles}
        self._names = set(self._ids)
        default = doc.styles.default(WD_STYLE_TYPE.PARAGRAPH)
        self._default = default.style_id if default is not None else None
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

    def apply(self, para, name: str, fallback: str = "Normal") -> None:
        """Set a paragraph's style by id (python-docx's by-name setter is slow on long documents)."""
        style_id = self._ids.get(name, self._ids.get(fallback))
        p_pr = para._p.get_or_add_pPr()
        p_pr.style = None if style_id == self._default else style_id

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
    def build(self, charts: list[ChartImage], progress: Callable[[int, int, str], None] | None = None) -> list[str]:
        """Every section as WordprocessingML where {{ body }} was: the charts as pictures, the rest
        as token paragraphs whose XML is returned, in order.

        The text is not parsed into the document: ``_splice_body`` puts it in place of the tokens
        in the saved ``word/document.xml``, which spares building (and serialising) a tree of a
        million nodes for a large portfolio.
        """
        body = self.doc.element.body
        marker = next((p for p in body.iter(_q("w:p"))
                       if BODY_MARKER in "".join(t.text or "" for t in p.iter(_q("w:t")))), None)
        if marker is None:
            raise PmoError("the Word template's {{ body }} tag did not render as its own paragraph")
        self.out: list[object] = []
        self.at_a_glance(charts)
        for i, programme in enumerate(self.view.programmes, start=1):
            if progress is not None:
                progress(i, len(self.view.programmes), programme.name)
            self.programme(programme)
        self.history()
        # the pictures go in as elements (python-docx relates their image parts); each run of text
        # between them goes in as a token paragraph to be replaced
        chunks: list[str] = []
        pending: list[str] = []
        for item in [*self.out, None]:
            if isinstance(item, str):
                pending.append(item)
                continue
            if pending:
                token = marker.makeelement(_q("w:p"), {})
                etree.SubElement(etree.SubElement(token, _q("w:r")), _q("w:t")).text = _body_token(len(chunks))
                marker.addprevious(token)
                chunks.append("".join(pending))
                pending.clear()
            if item is not None:
                marker.addprevious(self._picture(item))
        marker.getparent().remove(marker)
        return chunks

    # ---- XML primitives ----------------------------------------------------------------------
    def sid(self, name: str, fallback: str = "Normal") -> str | None:
        style_id = self._ids.get(name, self._ids.get(fallback))
        return None if style_id == self._default else style_id

    def p(self, runs: str, style: str = "Normal", *, fallback: str = "Table Text", jc: str | None = None,
          page_break: bool = False, keep_next: bool = False, before: float | None = None,
          num: tuple[int, str] | None = None) -> str:
        """A paragraph: pPr children in schema order."""
        ppr = []
        style_id = self.sid(style, fallback)
        if style_id:
            ppr.append(f'<w:pStyle w:val="{_attr(style_id)}"/>')
        if keep_next:
            ppr.append("<w:keepNext/>")
        if page_break:
            ppr.append("<w:pageBreakBefore/>")
        if num is not None:
            ppr.append(f'<w:numPr><w:ilvl w:val="{num[0]}"/><w:numId w:val="{num[1]}"/></w:numPr>')
        if before is not None:
            ppr.append(f'<w:spacing w:before="{int(before * 20)}"/>')
        if jc:
            ppr.append(f'<w:jc w:val="{jc}"/>')
        ppr_xml = f"<w:pPr>{''.join(ppr)}</w:pPr>" if ppr else ""
        return f"<w:p>{ppr_xml}{runs}</w:p>"

    def heading(self, text: str, level: int = 1, page_break: bool = False, before: float | None = None) -> None:
        self.out.append(self.p(_run(text), f"Heading {level}", fallback="Normal", page_break=page_break, before=before))

    def paragraph(self, text: str = "", style: str = "Normal") -> None:
        self.out.append(self.p(_run(text) if text else "", style, fallback="Normal"))

    def spacer(self) -> None:
        self.out.append(self.p("", "Spacer", fallback="Normal"))

    def text_p(self, text: str, style: str = "Table Text", *, bold: bool = False, colour: str | None = None,
               size: float | None = None, jc: str | None = None) -> str:
        return self.p(_run(text, bold=bold, colour=colour, size=size), style, jc=jc)

    def rag_paras(self, rag: RagCell, detail: str | None = None, jc: str | None = None) -> str:
        """A RAG cell's content: the programme's label and the movement in words, in the text colour for the fill."""
        out = self.text_p(rag.text, "RAG Cell", bold=True, colour=rag.font, jc=jc)
        words = rag.movement if detail is None else detail
        if words:
            out += self.text_p(words, colour=rag.font, size=self.size - 1, jc=jc)
        return out

    def rich(self, text: RichText) -> str:
        """Summary markup as real Word formatting: List Bullet paragraphs with numbering, bold headings."""
        out = []
        for para in text.paragraphs:
            runs = "".join(
                _run(r.text, bold=r.bold or r.emphasis or para.kind is Block.HEADING, italic=r.italic,
                     underline=r.underline, superscript=r.superscript, colour=EMPHASIS if r.emphasis else None)
                for r in para.runs)
            if para.kind is Block.BULLET:
                level = min(para.level, 1)
                out.append(self.p(runs, "List Bullet" if level == 0 else "List Bullet 2", num=(level, self.bullet_num)))
            else:
                out.append(self.p(runs, "Table Text", keep_next=para.kind is Block.HEADING))
        return "".join(out)

    def table(self, cols: list[_Col], rows: list[str], *, header: bool = True, borders: bool = True,
              header_fills: dict[int, tuple[str, str]] | None = None, header_jc: dict[int, str] | None = None,
              caption: str = "") -> None:
        """A fixed-layout table: the header row (marked and repeated), then ``rows`` (from :meth:`row`)."""
        widths = [_twips(c.width_cm) for c in cols]
        tbl_pr = []
        if "PMO Table" in self._ids:
            tbl_pr.append(f'<w:tblStyle w:val="{_attr(self._ids["PMO Table"])}"/>')
        tbl_pr.append(f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/>')
        if not borders:
            tbl_pr.append("<w:tblBorders>" + "".join(f'<w:{s} w:val="nil"/>' for s in
                                                      ("top", "left", "bottom", "right", "insideH", "insideV"))
                          + "</w:tblBorders>")
        tbl_pr.append('<w:tblLayout w:type="fixed"/>')
        tbl_pr.append('<w:tblLook w:val="0420" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
                      'w:noHBand="1" w:noVBand="1"/>')
        if caption:  # the table's alt text (Word: Table Properties > Alt Text)
            tbl_pr.append(f'<w:tblCaption w:val="{_attr(_clean(caption)[:250])}"/>')
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        head = ""
        if header:
            fills = header_fills or {}
            cells = []
            for i, col in enumerate(cols):
                fill, font = fills.get(i, (palette.NHS_BLUE, palette.WHITE))
                jc = (header_jc or {}).get(i)
                cells.append(self.cell(col, self.text_p(col.title, "Table Heading", bold=True, colour=font, jc=jc),
                                       fill=fill))
            head = self.row(cells, header=True)
        self.out.append(f"<w:tbl><w:tblPr>{''.join(tbl_pr)}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>"
                        f"{head}{''.join(rows)}</w:tbl>")

    def cell(self, col: _Col, content: str, *, fill: str | None = None, v_merge: str | None = None,
             v_align: str | None = None) -> str:
        """A cell: tcPr in schema order (tcW, vMerge, shd, vAlign); content must hold a paragraph."""
        pr = [f'<w:tcW w:w="{_twips(col.width_cm)}" w:type="dxa"/>']
        if v_merge:
            pr.append(f'<w:vMerge w:val="{v_merge}"/>' if v_merge == "restart" else "<w:vMerge/>")
        if fill:
            pr.append(f'<w:shd w:val="clear" w:color="auto" w:fill="{fill.upper()}"/>')
        if v_align:
            pr.append(f'<w:vAlign w:val="{v_align}"/>')
        return f"<w:tc><w:tcPr>{''.join(pr)}</w:tcPr>{content or self.p('', 'Table Text')}</w:tc>"

    def row(self, cells: list[str], *, header: bool = False, cant_split: bool = True) -> str:
        flags = ("<w:cantSplit/>" if cant_split else "") + ("<w:tblHeader/>" if header else "")
        tr_pr = f"<w:trPr>{flags}</w:trPr>" if flags else ""
        return f"<w:tr>{tr_pr}{''.join(cells)}</w:tr>"

    def _picture(self, chart: ChartImage):
        """The chart as an inline picture (python-docx adds the image part), with alt text in
        ``wp:docPr/@descr`` and a title."""
        from docx.shared import Cm

        para = self.doc.add_paragraph()
        self.apply(para, "Normal")
        shape = para.add_run().add_picture(io.BytesIO(chart.png), width=Cm(chart.width_cm), height=Cm(chart.height_cm))
        doc_pr = shape._inline.docPr
        doc_pr.set("descr", _clean(chart.alt))
        doc_pr.set("title", _clean(chart.alt.split(":")[0]))
        p = para._p
        p.getparent().remove(p)
        return p

    # ---- At a glance ---------------------------------------------------------------------------
    def at_a_glance(self, charts: list[ChartImage]) -> None:
        """Headline sentence and decisions (after the intro), then RAG counts, chart and changes on a new page."""
        from .narrative import at_a_glance

        view = self.view
        self.heading("At a glance", 1, before=14)
        for text in at_a_glance(view, self.templates):
            self.paragraph(text)
        self.decisions()
        self.returns()
        self.heading(f"RAG ratings by programme, {view.month_label}", 2, page_break=True)
        self.counts()
        for chart in charts:
            self.spacer()
            self.out.append(chart)
        self.changes()

    def decisions(self) -> None:
        items = [(d.programme, d.project, self.rich(d.text) if d.text else self.text_p(d.detail))
                 for d in self.view.decisions]
        self._project_table("Decisions required of the board", "Decision required", items,
                            "No decisions are required of the board this month.")

    def returns(self) -> None:
        """Outstanding returns: projects with no update or a summary copied from last month."""
        items = [(r.programme, r.project, self.text_p(r.detail)) for r in self.view.returns]
        self._project_table("Outstanding returns", "What is outstanding", items,
                            "Every project sent its return this month.")

    def _project_table(self, title: str, header: str, items: list[tuple[str, str, str]], empty: str) -> None:
        """A heading and a Programme / Project / ``header`` table of ``items`` (the last as XML), or ``empty``."""
        self.heading(title, 2)
        if not items:
            self.paragraph(empty)
            return
        cols = [_Col("Programme", 4.6), _Col("Project", 6.0), _Col(header, self.text_width_cm - 10.6)]
        rows = [self.row([self.cell(cols[0], self.text_p(programme)),
                          self.cell(cols[1], self.text_p(project, bold=True)),
                          self.cell(cols[2], content)]) for programme, project, content in items]
        self.table(cols, rows, caption=title)

    def counts(self) -> None:
        view = self.view
        names = [r.title for r in view.scale_rags]
        fills = [(palette.fill(r), palette.text_on(r)) for r in view.scale_rags]
        if any(row.counts[-1] for row in view.counts):
            names.append("No update")
            fills.append((palette.fill(None), palette.text_on(None)))
        cols = [_Col("Programme", 6.5)] + [_Col(n, 2.4) for n in names] + [_Col("Total", 2.2)]
        rows = []
        for row in view.counts:
            total = row.programme == "Total"
            values = list(row.counts[:len(names)]) + [row.total]
            cells = [self.cell(cols[0], self.text_p(row.programme, bold=total))]
            cells += [self.cell(col, self.text_p(str(v), bold=total, jc="center")) for col, v in zip(cols[1:], values)]
            rows.append(self.row(cells))
        self.table(cols, rows, header_fills={i + 1: f for i, f in enumerate(fills)},
                   header_jc={i: "center" for i in range(1, len(cols))},
                   caption=f"RAG ratings by programme, {view.month_label}")

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
        rows = []
        for word, items in groups:
            for item in items:
                if item.rag is not None:
                    detail = item.detail if item.detail != item.rag.movement else None
                    rag = self.cell(cols[3], self.rag_paras(item.rag, detail), fill=item.rag.fill)
                else:
                    rag = self.cell(cols[3], self.text_p(item.detail))
                rows.append(self.row([self.cell(cols[0], self.text_p(word, bold=True)),
                                      self.cell(cols[1], self.text_p(item.programme)),
                                      self.cell(cols[2], self.text_p(item.project)), rag]))
        self.table(cols, rows, caption="Changes in RAG rating this month")

    # ---- programmes ------------------------------------------------------------------------------
    def columns(self, programme: ProgrammeView) -> list[_Col]:
        cols = [_Col("No.", 0.9), _Col("Project", 3.8), _Col("RAG", 3.2)]
        cols += [_Col(title, 2.8) for _, title in programme.dimensions]
        fixed = sum(c.width_cm for c in cols)
        summary = round(max(6.0, self.text_width_cm - fixed - 0.05), 2)
        cols.insert(3 + len(programme.dimensions), _Col("Status summary", summary))
        return cols

    def programme(self, programme: ProgrammeView) -> None:
        cols = self.columns(programme)
        pages = self.paginate(programme, cols)
        room = self._room(programme, cols)
        start = len(self.out)
        self.legend(programme)
        self.spacer()
        self.header_block(programme)
        self.spacer()
        furniture = self.out[start:]  # legend and header block: the same XML on every page
        del self.out[start:]
        for i, rows in enumerate(pages, start=1):
            self.heading(f"{programme.name} Programme {i} of {len(pages)}", 1, page_break=True)
            self.out.extend(furniture)
            self.table(cols, [self.project_row(cols, programme, row, cant_split=self._row_height(row, cols) <= room)
                              for row in rows], caption=f"{programme.name} programme projects, page {i} of {len(pages)}")

    def legend(self, programme: ProgrammeView) -> None:
        cols = [_Col("Key", 1.4)] + [
            _Col(item.label, round(textfit.width(item.label, self.size, True) / 72 * 2.54 + 0.5, 2))
            for item in programme.legend]
        cells = [self.cell(cols[0], self.text_p("Key:", bold=True, colour=palette.DARK_BLUE))]
        cells += [self.cell(col, self.text_p(item.label, "RAG Cell", bold=True, colour=item.font, jc="center"),
                            fill=item.fill) for col, item in zip(cols[1:], programme.legend)]
        self.table(cols, [self.row(cells)], header=False, borders=False, caption=f"{programme.name} RAG key")

    HEADER_COLS = (_Col("", 3.3), _Col("", 5.5), _Col("", 1.9), _Col("", 7.3), _Col("", 3.2), _Col("", 4.6))

    def _header_rows(self, programme: ProgrammeView) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        """Two rows of (label, value) pairs: programme and chair, reporting period and comment."""
        return [(("Programme:", programme.name), ("Chair:", programme.chair or "—")),
                (("Reporting period:", self.view.month_label),
                 ("Comment:", programme.rag_comment) if programme.rag_comment else ("", ""))]

    def header_block(self, programme: ProgrammeView) -> None:
        """Programme, chair, reporting period (and comment) beside the programme RAG cell, in two rows."""
        cols = self.HEADER_COLS
        rows = []
        for k, pairs in enumerate(self._header_rows(programme)):
            merge = "restart" if k == 0 else "continue"
            cells = []
            for n, (label, value) in enumerate(pairs):
                cells.append(self.cell(cols[2 * n], self.text_p(label, bold=True, colour=palette.DARK_BLUE)
                                       if label else ""))
                cells.append(self.cell(cols[2 * n + 1], self.text_p(value) if value else ""))
            rag_label = self.text_p("Programme RAG:", bold=True, colour=palette.DARK_BLUE, jc="right") if k == 0 else ""
            cells.append(self.cell(cols[4], rag_label, v_merge=merge))
            cells.append(self.cell(cols[5], self.rag_paras(programme.rag) if k == 0 else "", v_merge=merge,
                                   fill=programme.rag.fill, v_align="center"))
            rows.append(self.row(cells))
        self.table(list(cols), rows, header=False, borders=False, caption=f"{programme.name} programme details")

    def _header_block_h(self, programme: ProgrammeView) -> float:
        cols = self.HEADER_COLS
        rows = sum(self._cells_h([self._para_h(self._lines(value, self._inner(cols[2 * n + 1]), self.size), self.size)
                                  for n, (_, value) in enumerate(pairs)])
                   for pairs in self._header_rows(programme))
        return max(rows, self._cells_h([self._rag_h(programme.rag, cols[5])]))

    def project_row(self, cols: list[_Col], programme: ProgrammeView, row: ProjectRow, cant_split: bool) -> str:
        by = {c.title: c for c in cols}
        project = self.text_p(row.name, bold=True)
        if row.lead:
            project += self.text_p(row.lead, "Lead Text", colour=palette.MID_GREY)
        cells = [self.cell(cols[0], self.text_p(str(row.number), bold=True)),
                 self.cell(cols[1], project),
                 self.cell(cols[2], self.rag_paras(row.rag), fill=row.rag.fill)]
        for dim, col in zip(row.dimensions, cols[3:]):
            cells.append(self.cell(col, self.text_p("—")) if dim is None
                         else self.cell(col, self.rag_paras(dim), fill=dim.fill))
        if row.summary:
            summary = self.rich(row.summary)
        elif row.no_update:
            summary = self.text_p("No update received this month.", colour=palette.MID_GREY)
        else:
            summary = ""
        for title, text in self._sections(row):
            summary += self.p(_run(title, bold=True, colour=palette.DARK_BLUE), "Table Text", keep_next=True,
                              before=SECTION_GAP)
            summary += self.rich(text)
        cells.append(self.cell(by["Status summary"], summary))
        return self.row(cells, cant_split=cant_split)

    @staticmethod
    def _sections(row: ProjectRow) -> list[tuple[str, RichText]]:
        """The labelled parts under a summary: issues and risks, next steps (when given)."""
        return [(title, text) for title, text in (("Issues and risks", row.issues), ("Next steps", row.next_steps))
                if text]

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
                   self._summary_h(row, self._inner(by["Status summary"]))]
        dim_cols = cols[3:3 + len(row.dimensions)]
        heights += [self._rag_h(d, c) for d, c in zip(row.dimensions, dim_cols)]
        return self._cells_h(heights)

    def _summary_h(self, row: ProjectRow, width_pt: float) -> float:
        """The summary cell: the summary, then each labelled section (heading line, gap, text)."""
        height = self._rich_h(row.summary, width_pt)
        for _, text in self._sections(row):
            height += SECTION_GAP + self._para_h(1, self.size) + self._rich_h(text, width_pt)
        return height

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
        block = self._header_block_h(programme)
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
        months = len(view.history_months)
        self.paragraph(f"Each project's RAG rating over the last {months} {'month' if months == 1 else 'months'} "
                       f"({legend}; — = no report that month).")
        cols = [_Col("Programme", 4.6), _Col("Project", 8.0)] + [_Col(m, 2.3) for m in view.history_months]
        rows = []
        for hist in view.history:
            cells = [self.cell(cols[0], self.text_p(hist.programme)), self.cell(cols[1], self.text_p(hist.project))]
            for col, rag in zip(cols[2:], hist.cells):
                if rag is None or not rag.letter:
                    cells.append(self.cell(col, self.text_p("—", colour=palette.MID_GREY, jc="center")))
                else:
                    cells.append(self.cell(col, self.text_p(rag.letter, "RAG Cell", bold=True, colour=rag.font,
                                                            jc="center"), fill=rag.fill))
            rows.append(self.row(cells))
        self.table(cols, rows, header_jc={i: "center" for i in range(2, len(cols))}, caption="RAG history by project")


def _attr(value: str) -> str:
    return xml_escape(value, {'"': "&quot;"})


def _twips(cm: float) -> int:
    return int(round(cm / 2.54 * 1440))


def _run(text: str, *, bold: bool = False, italic: bool = False, underline: bool = False, superscript: bool = False,
         colour: str | None = None, size: float | None = None) -> str:
    """A run (rPr children in schema order); newlines become breaks and tabs tabs."""
    pr = []
    if bold:
        pr.append("<w:b/>")
    if italic:
        pr.append("<w:i/>")
    if colour:
        pr.append(f'<w:color w:val="{colour.upper()}"/>')
    if size:
        half = int(round(size * 2))
        pr.append(f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>')
    if underline:
        pr.append('<w:u w:val="single"/>')
    if superscript:
        pr.append('<w:vertAlign w:val="superscript"/>')
    rpr = f"<w:rPr>{''.join(pr)}</w:rPr>" if pr else ""
    parts = []
    for k, line in enumerate(_clean(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if k:
            parts.append("<w:br/>")
        for j, piece in enumerate(line.split("\t")):
            if j:
                parts.append("<w:tab/>")
            if piece:
                parts.append(f'<w:t xml:space="preserve">{xml_escape(piece)}</w:t>')
    return f"<w:r>{rpr}{''.join(parts)}</w:r>"


def programme_pages(view: ReportView, templates: Templates) -> dict[str, int]:
    """How many "i of n" pages each programme gets (for tests and the manifest)."""
    from docxtpl import DocxTemplate

    doc = DocxTemplate(str(templates.path(DOCX)))
    doc.init_docx()
    builder = _Builder(doc.docx, view, templates)
    return {p.name: len(builder.paginate(p, builder.columns(p))) for p in view.programmes}


def _body_token(i: int) -> str:
    return f"{BODY_TOKEN}-{i}"


def _splice_body(docx: bytes, chunks: list[str]) -> bytes:
    """``docx`` with each chunk of body XML in place of its token paragraph in ``word/document.xml``."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                pieces = []
                for i, chunk in enumerate(chunks):
                    token = f"<w:p><w:r><w:t>{_body_token(i)}</w:t></w:r></w:p>".encode()
                    before, found, data = data.partition(token)
                    if not found:
                        raise RuntimeError("the Word body's place was lost while saving the document")
                    pieces += [before, chunk.encode("utf-8")]
                data = b"".join([*pieces, data])
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
