"""The Word highlight report, read back as a reader (python-docx, LibreOffice's PDF, the Open XML SDK) sees it."""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from generator.errors import PmoError
from generator import palette
from generator.pack import narrative
from generator.pack.charts import render_charts
from generator.pack.templates import DOCX, Templates
from generator.pack.view import build_view
from generator.pack.word import TCPR_ORDER, check_template, programme_pages, render_docx

from conftest import basic_sheets, write_workbook

HEADING = re.compile(r"^(?P<name>.+) Programme (?P<i>\d+) of (?P<n>\d+)$")
HOSTILE = ["{{ 7*7 }}", "{% for x in y %}", "a < b & c", "Zoë – “quotes” 日本語 ✓"]


# --------------------------------------------------------------------------- helpers


def _body_blocks(doc):
    """(kind, object) for each paragraph and table of the body, in order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield "p", Paragraph(child, doc)
        elif child.tag == qn("w:tbl"):
            yield "t", Table(child, doc)


def _sections(doc) -> list[tuple[str, list]]:
    """(Heading 1 text, tables under it) in order."""
    out: list[tuple[str, list]] = []
    for kind, block in _body_blocks(doc):
        if kind == "p" and block.style.name == "Heading 1":
            out.append((block.text, []))
        elif kind == "t" and out:
            out[-1][1].append(block)
    return out


def _fill(cell) -> str | None:
    shd = cell._tc.tcPr.find(qn("w:shd")) if cell._tc.tcPr is not None else None
    return shd.get(qn("w:fill")) if shd is not None else None


def _project_tables(section_tables):
    """The project table of a programme page (the one whose header starts with 'No.')."""
    return [t for t in section_tables if t.rows and t.rows[0].cells[0].text == "No."]


def _render(view, templates=None) -> bytes:
    templates = templates or Templates.load()
    return render_docx(view, templates, render_charts(view))


@pytest.fixture(scope="module")
def sample(sample_view):
    data = _render(sample_view)
    return sample_view, data, Document(io.BytesIO(data))


def _portfolio_from_sheets(tmp_path: Path, sheets) -> object:
    from generator.workbook.read import read_workbook
    from generator.workbook.validate import validate

    result = validate(read_workbook(write_workbook(tmp_path / "p.xlsx", sheets)))
    assert result.ok, result.errors
    return result.portfolio


# --------------------------------------------------------------------------- content


def test_every_project_appears_in_its_programme_section_with_every_summary_line(sample):
    view, _, doc = sample
    sections = _sections(doc)
    for programme in view.programmes:
        rows = {}
        for title, tables in sections:
            m = HEADING.match(title)
            if not m or m["name"] != programme.name:
                continue
            for table in _project_tables(tables):
                for row in table.rows[1:]:
                    rows[row.cells[1].paragraphs[0].text] = row
        assert set(rows) == {p.name for p in programme.projects}
        for project in programme.projects:
            cells = rows[project.name].cells
            summary = cells[3 + len(programme.dimensions)]
            texts = [p.text for p in summary.paragraphs]
            for para in project.summary.paragraphs:
                assert para.text in texts, (project.name, para.text)
            assert cells[0].text == str(project.number)
            if project.lead:
                assert cells[1].paragraphs[1].text == project.lead


def test_rag_cells_are_shaded_and_worded_as_the_view(sample):
    view, _, doc = sample
    sections = _sections(doc)
    seen = 0
    for programme in view.programmes:
        by_name = {p.name: p for p in programme.projects}
        for title, tables in sections:
            if not title.startswith(f"{programme.name} Programme "):
                continue
            for table in _project_tables(tables):
                for row in table.rows[1:]:
                    project = by_name[row.cells[1].paragraphs[0].text]
                    rag = row.cells[2]
                    assert _fill(rag) == project.rag.fill
                    assert [p.text for p in rag.paragraphs] == [project.rag.text, project.rag.movement]
                    assert palette.contrast(project.rag.fill, project.rag.font) >= 4.5
                    for dim, cell in zip(project.dimensions, row.cells[3:]):
                        if dim is not None:
                            assert _fill(cell) == dim.fill and cell.paragraphs[0].text == dim.text
                    seen += 1
    assert seen == view.project_count


def test_programme_headings_run_i_of_n(sample, sample_view):
    _, _, doc = sample
    found: dict[str, list[tuple[int, int]]] = {}
    for title, _ in _sections(doc):
        m = HEADING.match(title)
        if m:
            found.setdefault(m["name"], []).append((int(m["i"]), int(m["n"])))
    assert list(found) == [p.name for p in sample_view.programmes]
    pages = programme_pages(sample_view, Templates.load())
    for name, seq in found.items():
        n = seq[0][1]
        assert [i for i, _ in seq] == list(range(1, n + 1))
        assert all(m == n for _, m in seq)
        assert n == pages[name]


def test_programme_pages_start_with_a_page_break_legend_and_header_block(sample):
    view, _, doc = sample
    blocks = list(_body_blocks(doc))
    for k, (kind, block) in enumerate(blocks):
        if kind == "p" and HEADING.match(block.text):
            assert block.paragraph_format.page_break_before
            name = HEADING.match(block.text)["name"]
            programme = next(p for p in view.programmes if p.name == name)
            tables = [b for kd, b in blocks[k + 1:k + 6] if kd == "t"]
            legend, header = tables[0], tables[1]
            assert [c.text for c in legend.rows[0].cells[1:]] == [i.label for i in programme.legend]
            assert [_fill(c) for c in legend.rows[0].cells[1:]] == [i.fill for i in programme.legend]
            assert header.rows[0].cells[1].text == programme.name
            assert programme.rag.text in header.rows[0].cells[5].text


def test_at_a_glance_and_history(sample):
    view, _, doc = sample
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "The following extract summaries have been developed based on August 2019 reports compiled by the PMO" in text
    assert "Of 15 projects, 2 improved, none deteriorated and 13 are unchanged since July 2019." in text
    all_cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    for item in view.decisions:
        assert item.detail in all_cells
    for item in view.improved + view.red_flags:
        assert item.project in all_cells
    history = _sections(doc)[-1]
    assert history[0] == "RAG history"
    table = history[1][0]
    assert [c.text for c in table.rows[0].cells[2:]] == list(view.history_months)
    for row, hist in zip(table.rows[1:], view.history):
        assert row.cells[1].text == hist.project
        for cell, rag in zip(row.cells[2:], hist.cells):
            if rag is not None:
                assert cell.text == rag.letter and _fill(cell) == rag.fill


def test_tables_mark_header_rows_and_keep_rows_whole(sample):
    _, _, doc = sample
    for table in doc.tables:
        first = table.rows[0]._tr
        if table.rows[0].cells[0].text in ("No.", "Programme", "Change"):
            assert first.trPr.find(qn("w:tblHeader")) is not None
        for row in table.rows:
            tr_pr = row._tr.trPr
            assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None or table.rows[0].cells[0].text == "No."


def test_shading_is_in_schema_order(sample):
    _, _, doc = sample
    order = [qn(t) for t in TCPR_ORDER]
    for tc_pr in doc.element.body.iter(qn("w:tcPr")):
        positions = [order.index(child.tag) for child in tc_pr]
        assert positions == sorted(positions)


def test_bullets_are_a_real_list(sample):
    _, _, doc = sample
    bullets = [p for p in doc.element.body.iter(qn("w:p")) if p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None]
    assert len(bullets) > 10
    for p in doc.element.body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in p.iter(qn("w:t")))
        assert not text.lstrip().startswith("•")
    styles = {Document(io.BytesIO(sample[1])).styles[n].name for n in ("List Bullet", "Table Text", "RAG Cell")}
    assert styles == {"List Bullet", "Table Text", "RAG Cell"}


def test_images_have_alt_text_stating_the_data(sample):
    view, data, doc = sample
    pics = list(doc.element.body.iter("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"))
    assert pics
    for pr in pics:
        assert pr.get("descr", "").strip()
    assert "Clinical 1 Red, 3 Amber, 4 Green" in pics[0].get("descr")


def test_document_properties_header_and_footer(sample):
    view, data, doc = sample
    props = doc.core_properties
    assert view.title in props.title and props.subject == "August 2019"
    assert props.author == view.organisation and props.language == "en-GB"
    section = doc.sections[0]
    assert section.page_width > section.page_height  # landscape
    assert abs(section.page_width.cm - 29.7) < 0.01
    assert view.organisation in section.header.paragraphs[0].text
    footer = section.footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer and "August 2019" in footer
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles = z.read("word/styles.xml").decode()
    assert 'w:lang w:val="en-GB"' in styles and "Arial" in styles


# --------------------------------------------------------------------------- hostile input


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    sheets = copy.deepcopy(basic_sheets())
    huge = " ".join(f"word{i % 97}" for i in range(6000))[:30000].strip()
    rows = sheets["2019-08"]
    rows[1][5] = "\n".join(HOSTILE)
    rows[1][6] = "a < b & c"
    rows[2][5] = huge
    rows[2][2] = "Cancer {{ 7*7 }} & <Co>"
    rows[3][5] = "- first point\n- second point with 1^st^"
    sheets["Settings"].append(["Description", "{{ 7*7 }} {% for x in y %} a < b & c Zoë"])
    sheets["Settings"][2][1] = "Org & <Trust> {{ 7*7 }}"
    portfolio = _portfolio_from_sheets(tmp_path_factory.mktemp("hostile"), sheets)
    view = build_view(portfolio, portfolio.latest.month)
    data = _render(view)
    return view, data, Document(io.BytesIO(data)), huge


def test_hostile_and_unicode_text_survives_literally(hostile):
    view, _, doc, huge = hostile
    paragraphs = [p.text for t in doc.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    for text in HOSTILE:
        assert text in paragraphs, text
    assert "a < b & c" in paragraphs
    assert "49" not in " ".join(p.text for p in doc.paragraphs if "7*7" in p.text)
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "{{ 7*7 }} {% for x in y %} a < b & c Zoë" in body
    assert "Org & <Trust> {{ 7*7 }}" in doc.sections[0].header.paragraphs[0].text
    assert any("Cancer {{ 7*7 }} & <Co>" == p for p in paragraphs)
    assert huge in paragraphs  # 30,000 characters, one paragraph


def test_huge_row_may_split_and_gets_its_own_page(hostile):
    view, _, doc, huge = hostile
    for title, tables in _sections(doc):
        for table in _project_tables(tables):
            for row in table.rows[1:]:
                if any(p.text == huge for c in row.cells for p in c.paragraphs):
                    assert row._tr.trPr is None or row._tr.trPr.find(qn("w:cantSplit")) is None
                    assert len(table.rows) == 2


def test_check_template_names_a_missing_tag(tmp_path):
    templates = Templates.load()
    doc = Document(str(templates.path(DOCX)))
    for p in doc.paragraphs:
        if "{{ body }}" in p.text:
            p._p.getparent().remove(p._p)
    (tmp_path / "text").mkdir()
    doc.save(tmp_path / DOCX)
    with pytest.raises(PmoError, match=r"\{\{ body \}\}"):
        check_template(Templates.load(tmp_path))
    check_template(templates)  # the default passes


# --------------------------------------------------------------------------- narrative and charts


def test_at_a_glance_sentence_is_singular_where_it_should_be(sample_view):
    import dataclasses

    templates = Templates.load()
    one = dataclasses.replace(sample_view, movement_counts={"Improved": 1, "Deteriorated": 0, "No change": 1,
                                                            "New": 1, "Completed": 0, "No update": 0})
    text = " ".join(narrative.at_a_glance(one, templates))
    assert "1 improved, none deteriorated and 1 is unchanged since July 2019." in text
    assert "1 is new" in text


def test_charts_are_deterministic_pngs_with_data_in_alt(sample_view):
    first, second = render_charts(sample_view), render_charts(sample_view)
    assert [c.png for c in first] == [c.png for c in second]
    chart = first[0]
    assert chart.png.startswith(b"\x89PNG") and b"Software" not in chart.png[:200]
    assert chart.alt.startswith("RAG ratings by programme, August 2019: Clinical 1 Red, 3 Amber, 4 Green;")


# --------------------------------------------------------------------------- rendered (LibreOffice) and validated


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _pdf(tmp_path: Path, data: bytes) -> Path:
    src = tmp_path / "report.docx"
    src.write_bytes(data)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([_soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], check=True, capture_output=True, timeout=240)
    return tmp_path / "report.pdf"


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not on PATH")
def test_pdf_pages_match_the_planned_pagination(sample, tmp_path):
    import pdfplumber

    view, data, _ = sample
    with pdfplumber.open(_pdf(tmp_path, data)) as pdf:
        texts = [" ".join((page.extract_text() or "").split()) for page in pdf.pages]
    flat = " ".join(texts)
    for programme in view.programmes:
        for project in programme.projects:
            assert " ".join(project.name.split()) in flat, project.name
    patterns = [re.compile(re.escape(p.name) + r" Programme (\d+) of (\d+)") for p in view.programmes]
    starts = []  # (page index, heading) in page order
    for k, text in enumerate(texts):
        headings = [f"{p.name} Programme {m[0]} of {m[1]}" for p, rx in zip(view.programmes, patterns)
                    for m in rx.findall(text)]
        assert len(headings) <= 1, (k, headings)  # each heading on its own page
        if headings:
            starts.append((k, headings[0]))
    pages = programme_pages(view, Templates.load())
    expected = [f"{p.name} Programme {i} of {pages[p.name]}" for p in view.programmes
                for i in range(1, pages[p.name] + 1)]
    assert [h for _, h in starts] == expected
    history = next(k for k, t in enumerate(texts) if "RAG history Each project" in t)
    # every programme page holds what was planned for it, or spills only where a row is taller than a page
    bounds = [k for k, _ in starts] + [history]
    from docxtpl import DocxTemplate

    from generator.pack.word import _Builder

    tpl = DocxTemplate(str(Templates.load().path(DOCX)))
    tpl.init_docx()
    builder = _Builder(tpl.docx, view, Templates.load())
    index = 0
    for programme in view.programmes:
        n = pages[programme.name]
        spread = bounds[index + n] - bounds[index]
        assert n <= spread <= n + builder.continuation_pages(programme), programme.name
        index += n


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not on PATH")
def test_hostile_report_renders(hostile, tmp_path):
    import pdfplumber

    view, data, _, _ = hostile
    with pdfplumber.open(_pdf(tmp_path, data)) as pdf:
        text = " ".join(page.extract_text() or "" for page in pdf.pages)
    assert "Zoë – “quotes”" in text and "{{ 7*7 }}" in text and "a < b & c" in text
    if _has_cjk_font():  # without one LibreOffice draws no glyphs for 日本語 (the .docx still holds them)
        assert "日本語" in text


def _has_cjk_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True, timeout=30)
    return bool(out.stdout.strip())


def test_open_xml_sdk_finds_no_errors(sample, hostile, tmp_path):
    import ooxml_sdk

    reason = ooxml_sdk.available()
    if reason:
        pytest.skip(reason)
    for name, data in (("sample.docx", sample[1]), ("hostile.docx", hostile[1])):
        path = tmp_path / name
        path.write_bytes(data)
        assert ooxml_sdk.validate(path) == [], name


def test_at_a_glance_sentence_for_the_first_month(sample_view):
    import dataclasses

    first = dataclasses.replace(sample_view, previous_label="", movement_counts={"New": 15})
    text = " ".join(narrative.at_a_glance(first, Templates.load()))
    assert text == "15 projects reported in August 2019, the first month on record, so there are no changes to report."


def test_template_tags_each_sit_in_one_run():
    doc = Document(str(Templates.load().path(DOCX)))
    parts = [doc.element.body] + [s.header._element for s in doc.sections] + [s.footer._element for s in doc.sections]
    for part in parts:
        for p in part.iter(qn("w:p")):
            text = "".join(t.text or "" for t in p.iter(qn("w:t")))
            runs = [t.text or "" for t in p.iter(qn("w:t"))]
            for tag in re.findall(r"\{[{%].*?[}%]\}", text):
                assert any(tag in r for r in runs), tag
    names = {s.name for s in doc.styles}
    assert {"Title", "Heading 1", "Heading 2", "Table Text", "RAG Cell", "List Bullet", "PMO Table"} <= names
    section = doc.sections[0]
    assert 1.5 <= section.left_margin.cm <= 2.0 and 1.5 <= section.bottom_margin.cm <= 2.0


def test_restyled_template_styles_reach_the_body(sample_view, tmp_path):
    from docx.shared import RGBColor

    doc = Document(str(Templates.load().path(DOCX)))
    doc.styles["Heading 1"].font.color.rgb = RGBColor(0x33, 0x66, 0x00)
    (tmp_path / "text").mkdir()
    doc.save(tmp_path / DOCX)
    out = Document(io.BytesIO(_render(sample_view, Templates.load(tmp_path))))
    assert out.styles["Heading 1"].font.color.rgb == RGBColor(0x33, 0x66, 0x00)
    headings = [p for p in out.paragraphs if p.style.name == "Heading 1"]
    assert any(HEADING.match(p.text) for p in headings)
    assert all(p.runs[0].font.color.rgb is None for p in headings)  # no direct colour overrides the style


def test_outstanding_returns_are_listed_at_a_glance(sample_portfolio, tmp_path):
    from dataclasses import replace

    from generator.pack.charts import render_charts
    from generator.pack.view import build_view

    august = sample_portfolio.months[-1]
    dropped = replace(august, statuses=tuple(s for s in august.statuses if s.project_id != "CLIN-03"))
    portfolio = replace(sample_portfolio, months=(*sample_portfolio.months[:-1], dropped))
    view = build_view(portfolio, august.month)
    path = tmp_path / "r.docx"
    path.write_bytes(render_docx(view, Templates.load(), render_charts(view)))
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "Maternity" in cells and any(c.startswith("no row this month") for c in cells)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Outstanding returns" in text

