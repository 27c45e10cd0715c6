"""Build templates/highlight_report.docx, the default Word template (python-docx).

Run from anywhere:  .venv/bin/python scripts/build_docx_template.py [OUTPUT]

The template is a normal Word document that a board secretary can restyle in Word: A4 landscape,
Arial, NHS Blue accent, named styles (Title, Subtitle, Heading 1/2, Table Text, Table Heading,
RAG Cell, Lead Text, List Bullet / List Bullet 2 with a real numbering definition), a header with
the organisation and a footer "Month · Page X of Y". It carries docxtpl tags, each in one run:

    {{ title }}  {{ month }}  {{ organisation }}  {{ description }}
    {%p for para in intro %} {{ para }} {%p endfor %}
    {{ body }}   <- the generator puts the At-a-glance, programme and history sections here
"""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from docx import Document  # noqa: E402
from docx.enum.section import WD_ORIENT  # noqa: E402
from docx.enum.style import WD_STYLE_TYPE  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.oxml import OxmlElement, parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls, qn  # noqa: E402
from docx.shared import Cm, Pt, RGBColor  # noqa: E402

from generator import palette  # noqa: E402

OUTPUT = ROOT / "templates" / "highlight_report.docx"
FONT = "Arial"
BULLET_NUM_ID = 101  # the numbering instance used by List Bullet / List Bullet 2

#: Sizes the generator's pagination reads back from the styles (points).
TABLE_TEXT_PT = 9
LEAD_TEXT_PT = 8


def _set_fonts(styles_element) -> None:
    """Arial everywhere: drop theme font references (they win over w:ascii in Word)."""
    for rfonts in styles_element.iter(qn("w:rFonts")):
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            rfonts.set(qn(attr), FONT)


def _doc_defaults(doc) -> None:
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(rpr):
        if child.tag in (qn("w:rFonts"), qn("w:lang"), qn("w:sz"), qn("w:szCs")):
            rpr.remove(child)
    rpr.insert(0, parse_xml(f'<w:rFonts {nsdecls("w")} w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}" w:cs="{FONT}"/>'))
    # schema order in rPr: rFonts ... sz, szCs ... lang
    rpr.append(parse_xml(f'<w:sz {nsdecls("w")} w:val="20"/>'))
    rpr.append(parse_xml(f'<w:szCs {nsdecls("w")} w:val="20"/>'))
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="en-GB" w:eastAsia="en-GB" w:bidi="ar-SA"/>'))
    _set_fonts(styles)


def _paragraph_style(doc, name: str, base: str | None, size: float, *, bold: bool = False,
                     colour: str | None = None, before: float = 0, after: float = 0, keep_next: bool = False):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base:
        style.base_style = styles[base]
    style.quick_style = True
    font = style.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = bold
    font.italic = False
    if colour:
        font.color.rgb = RGBColor.from_string(colour)
    fmt = style.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0
    fmt.keep_with_next = keep_next
    return style


def _numbering(doc) -> None:
    """One bullet list definition (two levels), replacing the stock template's numbering."""
    numbering = doc.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    levels = []
    for ilvl, (char, left) in enumerate((("•", 255), ("–", 510))):
        levels.append(
            f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="bullet"/>'
            f'<w:pStyle w:val="{"ListBullet" if ilvl == 0 else "ListBullet2"}"/>'
            f'<w:lvlText w:val="{char}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{left}" w:hanging="200"/></w:pPr>'
            f'<w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:cs="{FONT}" w:hint="default"/></w:rPr></w:lvl>'
        )
    numbering.append(parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{BULLET_NUM_ID}">'
        f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>'))
    numbering.append(parse_xml(
        f'<w:num {nsdecls("w")} w:numId="{BULLET_NUM_ID}"><w:abstractNumId w:val="{BULLET_NUM_ID}"/></w:num>'))


def _list_style(doc, name: str, ilvl: int) -> None:
    style = _paragraph_style(doc, name, "Table Text", TABLE_TEXT_PT, after=2)
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:numPr")):
        ppr.remove(old)
    for old in ppr.findall(qn("w:contextualSpacing")):
        ppr.remove(old)
    num_pr = parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{BULLET_NUM_ID}"/></w:numPr>')
    # numPr comes early in pPr (after pStyle, keepNext, keepLines, pageBreakBefore, framePr, widowControl)
    anchor = None
    for tag in ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl"):
        found = ppr.find(qn(tag))
        if found is not None:
            anchor = found
    if anchor is None:
        ppr.insert(0, num_pr)
    else:
        anchor.addnext(num_pr)


def _table_style(doc) -> None:
    """'PMO Table': thin grey grid, compact cell margins (restylable in Word's Table Design)."""
    border = palette.MID_GREY
    xml = (
        f'<w:style {nsdecls("w")} w:type="table" w:customStyle="1" w:styleId="PMOTable">'
        '<w:name w:val="PMO Table"/><w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/><w:qFormat/>'
        '<w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr>'
        '<w:tblPr><w:tblBorders>'
        + "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="{border}"/>'
                  for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
        + '</w:tblBorders><w:tblCellMar><w:top w:w="57" w:type="dxa"/><w:left w:w="85" w:type="dxa"/>'
        '<w:bottom w:w="57" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
    )
    doc.styles.element.append(parse_xml(xml))


def _field(paragraph, instruction: str) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def build(output: Path = OUTPUT) -> Path:
    doc = Document()
    _doc_defaults(doc)

    # ---- page: A4 landscape, margins that print
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin = Cm(1.9)
    section.bottom_margin = Cm(1.8)
    section.header_distance = Cm(0.9)
    section.footer_distance = Cm(0.8)

    # ---- styles
    normal = _paragraph_style(doc, "Normal", None, 10, after=6)
    normal.font.color.rgb = RGBColor.from_string(palette.TEXT)
    title = _paragraph_style(doc, "Title", "Normal", 26, bold=True, colour=palette.DARK_BLUE, after=4)
    t_ppr = title.element.get_or_add_pPr()
    for bdr in t_ppr.findall(qn("w:pBdr")):
        t_ppr.remove(bdr)
    _paragraph_style(doc, "Subtitle", "Normal", 13, colour=palette.NHS_BLUE, after=10)
    _paragraph_style(doc, "Description", "Normal", 10, colour=palette.MID_GREY, after=14)
    h1 = _paragraph_style(doc, "Heading 1", "Normal", 16, bold=True, colour=palette.DARK_BLUE,
                          before=0, after=8, keep_next=True)
    h2 = _paragraph_style(doc, "Heading 2", "Normal", 12, bold=True, colour=palette.DARK_BLUE,
                          before=10, after=4, keep_next=True)
    for heading in (h1, h2):
        heading.font.italic = False
    _paragraph_style(doc, "Table Text", "Normal", TABLE_TEXT_PT, after=2)
    _paragraph_style(doc, "Table Heading", "Table Text", TABLE_TEXT_PT, bold=True, colour=palette.WHITE)
    _paragraph_style(doc, "Lead Text", "Table Text", LEAD_TEXT_PT, colour=palette.MID_GREY)
    _paragraph_style(doc, "RAG Cell", "Table Text", TABLE_TEXT_PT, bold=True)
    _paragraph_style(doc, "Spacer", "Normal", 2, after=0)
    _paragraph_style(doc, "Header", "Normal", 9, bold=True, colour=palette.NHS_BLUE, after=0)
    _paragraph_style(doc, "Footer", "Normal", 8, colour=palette.MID_GREY, after=0)
    _paragraph_style(doc, "Caption", "Normal", 8, colour=palette.MID_GREY, after=8)
    _numbering(doc)
    _list_style(doc, "List Bullet", 0)
    _list_style(doc, "List Bullet 2", 1)
    _table_style(doc)
    _set_fonts(doc.styles.element)

    # ---- header and footer (each tag in one run)
    header = section.header.paragraphs[0]
    header.style = doc.styles["Header"]
    header.add_run("{{ organisation }}")
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("{{ month }}")
    footer.add_run(" · Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")

    # ---- body
    body = doc.paragraphs[0] if doc.paragraphs else None
    if body is not None:
        body._p.getparent().remove(body._p)
    doc.add_paragraph(style="Title").add_run("{{ title }}")
    month = doc.add_paragraph(style="Subtitle")
    month.add_run("Reporting month: ")
    month.add_run("{{ month }}")
    doc.add_paragraph(style="Description").add_run("{{ description }}")
    doc.add_paragraph(style="Heading 1").add_run("PMO Highlight Report Summary")
    doc.add_paragraph(style="Normal").add_run("{%p for para in intro %}")
    doc.add_paragraph(style="Normal").add_run("{{ para }}")
    doc.add_paragraph(style="Normal").add_run("{%p endfor %}")
    doc.add_paragraph(style="Normal").add_run("{{ body }}")

    # ---- document properties and language
    props = doc.core_properties
    props.title = "PMO Programme Highlight Reports"
    props.author = ""
    props.last_modified_by = ""
    props.comments = "Template for pmo-report: keep each {{ tag }} in one run when restyling."
    props.language = "en-GB"
    props.revision = 1
    import datetime as _dt

    fixed = _dt.datetime(2024, 1, 1)
    props.created = props.modified = fixed
    props.last_printed = fixed

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp.docx")
    doc.save(tmp)
    tmp.replace(output)
    return output


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    print(build(target))
