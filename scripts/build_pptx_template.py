"""Build templates/board_slides.pptx: the default board-slide template (16:9, NHS look).

Run from anywhere:  .venv/bin/python scripts/build_pptx_template.py [OUTPUT]

It starts from python-pptx's default template and rebuilds it: the slide size becomes 16:9
(13.333 x 7.5 in); the theme's fonts become Arial and its colours the NHS identity palette; the
master's title style is Arial bold in dark blue (#003087); and the eleven default layouts are
replaced by the five the generator looks up by name:

    Title      title and subtitle placeholders on white, NHS Blue band at the top
    Dashboard  title, NHS Blue accent rule, footer
    Table      title, NHS Blue accent rule, footer
    Section    large title on a dark-blue panel
    List       title, NHS Blue accent rule, footer

A board secretary can restyle all of it in PowerPoint (View > Slide Master): fonts, colours, the
accent rule and the title placeholders are ordinary master/layout objects. The generator draws
its tables, charts and text boxes in the area between the accent rule and the footer, and places
its footer text where the layout's footer placeholder sits.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "templates" / "board_slides.pptx"

NHS_BLUE = "005EB8"
DARK_BLUE = "003087"
TEXT = "212B32"
MID_GREY = "425563"
PALE_GREY = "E8EDEE"

WIDTH, HEIGHT = Emu(12192000), Emu(6858000)  # 13.333 x 7.5 in (16:9)
MARGIN = Inches(0.6)
TITLE_TOP, TITLE_HEIGHT = Inches(0.35), Inches(0.8)
RULE_TOP, RULE_HEIGHT = Inches(1.2), Inches(0.05)
FOOTER_TOP, FOOTER_HEIGHT = Inches(7.0), Inches(0.3)

# layout name -> index of the default template's layout that is rebuilt into it
REBUILD = {"Title": 0, "Table": 1, "Section": 2, "List": 3, "Dashboard": 5}

THEME_COLOURS = {
    "dk1": "000000", "lt1": "FFFFFF", "dk2": DARK_BLUE, "lt2": PALE_GREY,
    "accent1": NHS_BLUE, "accent2": DARK_BLUE, "accent3": "007F3B", "accent4": "FFB81C",
    "accent5": "D5281B", "accent6": MID_GREY, "hlink": NHS_BLUE, "folHlink": "330072",
}


def _theme(blob: bytes) -> bytes:
    """The default theme with Arial fonts and NHS colours."""
    root = etree.fromstring(blob)
    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    root.set("name", "NHS board slides")
    scheme = root.find(f".//{a}clrScheme")
    scheme.set("name", "NHS")
    for name, hex_colour in THEME_COLOURS.items():
        slot = scheme.find(f"{a}{name}")
        for child in list(slot):
            slot.remove(child)
        etree.SubElement(slot, f"{a}srgbClr").set("val", hex_colour)
    fonts = root.find(f".//{a}fontScheme")
    fonts.set("name", "Arial")
    for kind in ("majorFont", "minorFont"):
        fonts.find(f"{a}{kind}/{a}latin").set("typeface", "Arial")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _style_level(lvl, size: int, colour: str, bold: bool = False) -> None:
    """Set a list-style level (a:lvlNpPr) to Arial ``size`` pt in ``colour``."""
    rpr = lvl.find(qn("a:defRPr"))
    rpr.set("sz", str(size * 100))
    rpr.set("b", "1" if bold else "0")
    for child in list(rpr):
        if child.tag in (qn("a:solidFill"), qn("a:latin"), qn("a:ea"), qn("a:cs")):
            rpr.remove(child)
    fill = etree.SubElement(rpr, qn("a:solidFill"))
    etree.SubElement(fill, qn("a:srgbClr")).set("val", colour)
    latin = etree.SubElement(rpr, qn("a:latin"))
    latin.set("typeface", "Arial")
    # schema order inside defRPr: ln, fill, effect, highlight, uLnTx.., latin, ea, cs, ...
    rpr.remove(fill)
    rpr.insert(0, fill)
    for extra in rpr.findall(qn("a:ea")) + rpr.findall(qn("a:cs")):
        rpr.remove(extra)


def _style_master(master) -> None:
    tx = master._element.find(qn("p:txStyles"))
    title = tx.find(qn("p:titleStyle")).find(qn("a:lvl1pPr"))
    title.set("algn", "l")
    _style_level(title, 28, DARK_BLUE, bold=True)
    body = tx.find(qn("p:bodyStyle"))
    for n, size in zip(range(1, 10), (20, 18, 16, 14, 14, 14, 14, 14, 14)):
        lvl = body.find(qn(f"a:lvl{n}pPr"))
        if lvl is not None:
            _style_level(lvl, size, TEXT)
    other = tx.find(qn("p:otherStyle"))
    for lvl in other:
        if lvl.tag.endswith("pPr") and lvl.find(qn("a:defRPr")) is not None:
            _style_level(lvl, 18, TEXT)
    # the master's own placeholders: title where every layout puts it, body below the rule
    for shape in master.placeholders:
        kind = shape.placeholder_format.type
        name = str(kind)
        if "TITLE" in name:
            _place(shape, MARGIN, TITLE_TOP, WIDTH - 2 * MARGIN, TITLE_HEIGHT)
            shape.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
        elif "BODY" in name:
            _place(shape, MARGIN, Inches(1.45), WIDTH - 2 * MARGIN, Inches(5.4))
        elif "FOOTER" in name:
            _place(shape, MARGIN, FOOTER_TOP, Inches(8.5), FOOTER_HEIGHT)
        elif "DATE" in name:
            _place(shape, WIDTH - MARGIN - Inches(3.4), FOOTER_TOP, Inches(2.4), FOOTER_HEIGHT)
        elif "NUMBER" in name:
            _place(shape, WIDTH - MARGIN - Inches(1.0), FOOTER_TOP, Inches(1.0), FOOTER_HEIGHT)


def _place(shape, left, top, width, height) -> None:
    shape.left, shape.top, shape.width, shape.height = int(left), int(top), int(width), int(height)


def _clear_layout(layout) -> None:
    """Remove every shape of a layout (placeholders are re-added deliberately)."""
    tree = layout.shapes._spTree
    for sp in list(tree):
        if sp.tag in (qn("p:sp"), qn("p:pic"), qn("p:graphicFrame"), qn("p:grpSp"), qn("p:cxnSp")):
            tree.remove(sp)


def _placeholder(layout, master, kind: str, idx: int, name: str, left, top, width, height,
                 size: int | None = None, colour: str | None = None, bold: bool | None = None,
                 anchor: str | None = None, align: str | None = None):
    """Add a placeholder ``<p:ph type=kind idx=idx>`` to ``layout``."""
    nvid = max([int(e.get("id")) for e in layout._element.iter(qn("p:cNvPr"))] + [1]) + 1
    ph_attrs = f'type="{kind}"' + (f' idx="{idx}"' if idx else "")
    size_attr = f' sz="{size * 100}"' if size else ""
    bold_attr = f' b="{1 if bold else 0}"' if bold is not None else ""
    fill = f'<a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>' if colour else ""
    anchor_attr = f' anchor="{anchor}"' if anchor else ""
    algn = f' algn="{align}"' if align else ""
    xml = (
        '<p:sp xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f'<p:nvSpPr><p:cNvPr id="{nvid}" name="{name}"/><p:cNvSpPr><a:spLocks noGrp="1"/></p:cNvSpPr>'
        f'<p:nvPr><p:ph {ph_attrs}/></p:nvPr></p:nvSpPr>'
        f'<p:spPr><a:xfrm><a:off x="{int(left)}" y="{int(top)}"/><a:ext cx="{int(width)}" cy="{int(height)}"/></a:xfrm></p:spPr>'
        f'<p:txBody><a:bodyPr wrap="square" lIns="91440" tIns="45720" rIns="91440" bIns="45720"{anchor_attr}><a:noAutofit/></a:bodyPr>'
        f'<a:lstStyle><a:lvl1pPr marL="0" indent="0"{algn}><a:buNone/><a:defRPr{size_attr}{bold_attr}>{fill}'
        '<a:latin typeface="Arial"/></a:defRPr></a:lvl1pPr></a:lstStyle>'
        f'<a:p><a:r><a:rPr lang="en-GB"/><a:t>{name}</a:t></a:r></a:p></p:txBody></p:sp>'
    )
    layout.shapes._spTree.append(etree.fromstring(xml))


def _bar(layout, name: str, left, top, width, height, colour: str) -> None:
    """A plain filled rectangle (no outline) on ``layout``: decoration a secretary can restyle."""
    nvid = max([int(e.get("id")) for e in layout._element.iter(qn("p:cNvPr"))] + [1]) + 1
    xml = (
        '<p:sp xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f'<p:nvSpPr><p:cNvPr id="{nvid}" name="{name}"/><p:cNvSpPr/><p:nvPr userDrawn="1"/></p:nvSpPr>'
        f'<p:spPr><a:xfrm><a:off x="{int(left)}" y="{int(top)}"/><a:ext cx="{int(width)}" cy="{int(height)}"/></a:xfrm>'
        f'<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="{colour}"/></a:solidFill>'
        '<a:ln><a:noFill/></a:ln></p:spPr>'
        '<p:txBody><a:bodyPr rtlCol="0" anchor="ctr"/><a:lstStyle/><a:p><a:endParaRPr lang="en-GB"/></a:p></p:txBody>'
        '</p:sp>'
    )
    layout.shapes._spTree.append(etree.fromstring(xml))


def _content_layout(layout, master, name: str) -> None:
    _clear_layout(layout)
    layout.name = name
    _placeholder(layout, master, "title", 0, "Title", MARGIN, TITLE_TOP, WIDTH - 2 * MARGIN, TITLE_HEIGHT,
                 anchor="b")
    _bar(layout, "Accent rule", MARGIN, RULE_TOP, WIDTH - 2 * MARGIN, RULE_HEIGHT, NHS_BLUE)
    _placeholder(layout, master, "ftr", 11, "Footer", MARGIN, FOOTER_TOP, WIDTH - 2 * MARGIN - Inches(1.2),
                 FOOTER_HEIGHT, size=10, colour=MID_GREY, anchor="ctr")
    _placeholder(layout, master, "sldNum", 12, "Slide Number", WIDTH - MARGIN - Inches(1.2), FOOTER_TOP,
                 Inches(1.2), FOOTER_HEIGHT, size=10, colour=MID_GREY, anchor="ctr", align="r")


def _title_layout(layout, master) -> None:
    _clear_layout(layout)
    layout.name = "Title"
    _bar(layout, "Top band", 0, 0, WIDTH, Inches(0.35), NHS_BLUE)
    _placeholder(layout, master, "ctrTitle", 0, "Title", MARGIN, Inches(2.0), WIDTH - 2 * MARGIN, Inches(1.9),
                 size=40, colour=DARK_BLUE, bold=True, anchor="b")
    _bar(layout, "Accent rule", MARGIN, Inches(4.1), Inches(2.5), Inches(0.08), NHS_BLUE)
    _placeholder(layout, master, "subTitle", 1, "Subtitle", MARGIN, Inches(4.35), WIDTH - 2 * MARGIN, Inches(1.9),
                 size=24, colour=TEXT, bold=False, anchor="t")
    _placeholder(layout, master, "ftr", 11, "Footer", MARGIN, FOOTER_TOP, WIDTH - 2 * MARGIN, FOOTER_HEIGHT,
                 size=10, colour=MID_GREY, anchor="ctr")


def _section_layout(layout, master) -> None:
    _clear_layout(layout)
    layout.name = "Section"
    _bar(layout, "Panel", 0, 0, Inches(4.2), HEIGHT, DARK_BLUE)
    _placeholder(layout, master, "title", 0, "Title", Inches(4.8), Inches(2.4), WIDTH - Inches(4.8) - MARGIN,
                 Inches(1.6), size=36, colour=DARK_BLUE, bold=True, anchor="b")
    _bar(layout, "Accent rule", Inches(4.8), Inches(4.15), Inches(2.5), Inches(0.08), NHS_BLUE)
    _placeholder(layout, master, "body", 1, "Text", Inches(4.8), Inches(4.4), WIDTH - Inches(4.8) - MARGIN,
                 Inches(1.5), size=20, colour=TEXT, anchor="t")


def build(output: Path = OUTPUT) -> Path:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    prs.core_properties.title = "Board slides"
    prs.core_properties.author = "PMO"
    prs.core_properties.language = "en-GB"
    master = prs.slide_master
    theme = master.part.part_related_by(RT.THEME)
    theme._blob = _theme(theme.blob)
    _style_master(master)

    layouts = list(prs.slide_layouts)
    keep = {}
    for name, index in REBUILD.items():
        keep[name] = layouts[index]
    _title_layout(keep["Title"], master)
    _section_layout(keep["Section"], master)
    for name in ("Dashboard", "Table", "List"):
        _content_layout(keep[name], master, name)

    # drop the unused default layouts (their parts are not saved once nothing refers to them)
    wanted = {id(keep[n]) for n in REBUILD}
    for layout in layouts:
        if id(layout) not in wanted:
            prs.slide_layouts.remove(layout)
    # list the layouts in a sensible order in PowerPoint's Layout menu
    id_list = master._element.get_or_add_sldLayoutIdLst()
    order = {keep[n].part.partname: i for i, n in enumerate(["Title", "Dashboard", "Table", "List", "Section"])}
    entries = list(id_list)
    entries.sort(key=lambda e: order[master.part.related_part(e.get(qn("r:id"))).partname])
    for e in entries:
        id_list.remove(e)
        id_list.append(e)

    # a notes master of the template's own: speaker notes are styled by the template, and the
    # generator does not build one from python-pptx's default on every run
    prs.notes_master  # noqa: B018 - the property creates the part

    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp.pptx")
    prs.save(tmp)
    tmp.replace(output)
    return output


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    print(build(target))
