"""The board slides: read back with python-pptx, checked by geometry, by LibreOffice and by the SDK."""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE

from generator.errors import PmoError
from generator import palette
from generator.pack import slides
from generator.pack.templates import PPTX, Templates
from generator.pack.view import build_view
from generator.portfolio.model import Month, Programme, Rag, RagScale
from generator.workbook.create import build_workbook

EMU_PER_PT = 12700
WORDS = ("clinical pathway review board capacity demand referral workforce procurement savings estates "
         "digital primary community theatre commissioning consultation governance trajectory").split()


# --------------------------------------------------------------------------- helpers


def _text(n: int, rng: random.Random) -> str:
    """About ``n`` characters of summary markup: paragraphs, bullets and a bold sub-heading."""
    out, size = [], 0
    while size < n:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 22))).capitalize() + "."
        kind = rng.random()
        line = f"- {sentence}" if kind < 0.35 else (f"**Progress:** {sentence}" if kind < 0.45 else sentence)
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def stress_view():
    """40 projects in one programme, 200-character names, 3,000-character summaries, one of 30,000."""
    rng = random.Random(7)
    programmes = [
        Programme("Clinical", "A Chair", {Rag.RED: "Delayed", Rag.AMBER: "At risk of not being delivered",
                                          Rag.GREEN: "On plan"}),
        Programme("Productivity and a programme name long enough to need care in every title " * 2, ""),
    ]
    rags = ["Red", "Amber", "Green"]
    months = []
    for m, month in enumerate((Month(2019, 7), Month(2019, 8))):
        rows = []
        for i in range(40):
            name = (f"Project {i + 1} " + "with a long descriptive name " * 8)[:200]
            summary = _text(30_000 if i == 5 else 3_000, rng)
            rows.append({"Programme": "Clinical", "Project ID": f"CLIN-{i + 1:02d}", "Project": name,
                         "Lead": "Programme Lead " + "x" * (i % 30), "RAG": rags[(i + m) % 3],
                         "Summary": summary, "Next steps": _text(600, rng),
                         "Decisions required": _text(400, rng) if i % 7 == 0 else ""})
        for i in range(4):
            rows.append({"Programme": programmes[1].name, "Project ID": f"PROD-{i + 1:02d}",
                         "Project": f"Productivity project {i + 1}", "Lead": "", "RAG": rags[(i + 2 * m) % 3],
                         "Savings RAG": rags[(i + m) % 3], "Summary": _text(900, rng), "Next steps": ""})
        months.append((month, rows))
    wb = build_workbook({"Title": "PMO Programme Highlight Reports", "Organisation": "Stress Test Partnership"},
                        programmes, months, [], ("Savings RAG",), RagScale.RAG)
    buffer = io.BytesIO()
    wb.save(buffer)
    return _view_from(buffer.getvalue())


def _view_from(data: bytes):
    import tempfile

    from generator.workbook.read import read_workbook
    from generator.workbook.validate import validate

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stress.xlsx"
        path.write_bytes(data)
        result = validate(read_workbook(path))
    assert result.ok, result.errors
    return build_view(result.portfolio, result.portfolio.latest.month)


def titles(prs) -> list[str]:
    return [s.shapes.title.text_frame.text if s.shapes.title is not None else "" for s in prs.slides]


def table_slides(prs, programme: str):
    prefix = f"{programme} programme"
    return [s for s in prs.slides if s.shapes.title is not None
            and re.fullmatch(re.escape(prefix) + r"( \(\d+ of \d+\))?", s.shapes.title.text_frame.text)]


def table_of(slide):
    return next(s.table for s in slide.shapes if s.has_table)


def project_names(slide) -> list[str]:
    table = table_of(slide)
    return [table.cell(r, 1).text_frame.paragraphs[0].text for r in range(1, len(table.rows))]


def _content_bottom(prs, slide) -> float:
    """Where the content area ends: the top of the layout's footer placeholders."""
    tops = [ph.top for ph in slide.slide_layout.placeholders if ph.placeholder_format.type is not None
            and "FOOTER" in str(ph.placeholder_format.type) or "SLIDE_NUMBER" in str(ph.placeholder_format.type)]
    return min(tops) if tops else prs.slide_height


def assert_geometry(prs) -> None:
    """Every shape inside the slide; every table's rows sum to its frame and end above the footer."""
    for number, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (number, shape.name)
            assert shape.left + shape.width <= prs.slide_width, (number, shape.name)
            assert shape.top + shape.height <= prs.slide_height, (number, shape.name)
            if shape.has_table:
                rows = sum(r.height for r in shape.table.rows)
                assert rows == shape.height, (number, shape.name)
                assert shape.top + rows <= _content_bottom(prs, slide), (number, "table runs into the footer")
                for r, row in enumerate(shape.table.rows):
                    for c, column in enumerate(shape.table.columns):
                        cell = shape.table.cell(r, c)
                        size = max((run.font.size.pt for p in cell.text_frame.paragraphs for run in p.runs
                                    if run.font.size), default=12)
                        assert size >= slides.MIN_SIZE
                        paras = [slides.Para((slides.Seg(p.text, bold=any(run.font.bold for run in p.runs)),),
                                             level=0 if p._p.pPr is not None and p._p.pPr.find(
                                                 "{http://schemas.openxmlformats.org/drawingml/2006/main}buChar")
                                             is not None else None)
                                 for p in cell.text_frame.paragraphs]
                        inner = column.width / EMU_PER_PT - 2 * slides.CELL_MARGIN_X
                        need = slides.text_height(paras, inner, size) + 2 * slides.CELL_MARGIN_Y
                        assert need <= row.height / EMU_PER_PT + 0.5, (number, r, c, need, row.height / EMU_PER_PT)


def render(view, templates=None) -> Presentation:
    return Presentation(io.BytesIO(slides.render_pptx(view, templates or Templates.load())))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def sample_deck(sample_view, tmp_path_factory):
    data = slides.render_pptx(sample_view, Templates.load())
    path = tmp_path_factory.mktemp("deck") / "slides.pptx"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def stress(tmp_path_factory):
    view = stress_view()
    path = tmp_path_factory.mktemp("stress") / "stress.pptx"
    path.write_bytes(slides.render_pptx(view, Templates.load()))
    return view, path


# --------------------------------------------------------------------------- template


def test_template_has_named_layouts_at_16_9():
    prs = Presentation(str(Templates.load().path(PPTX)))
    names = [l.name for l in prs.slide_layouts]
    assert set(slides.LAYOUTS) <= set(names)
    assert len(names) == len(slides.LAYOUTS)  # the default template's unused layouts are gone
    assert (prs.slide_width, prs.slide_height) == (12192000, 6858000)
    slides.check_template(Templates.load())


@pytest.mark.parametrize("layout", ["Dashboard", "List"])
def test_template_without_a_layout_is_refused(tmp_path, layout):
    prs = Presentation(str(Templates.load().path(PPTX)))
    next(l for l in prs.slide_layouts if l.name == layout).name = "Something else"
    prs.save(tmp_path / PPTX)
    with pytest.raises(PmoError, match=f'"{layout}" is missing'):
        slides.check_template(Templates.load(tmp_path))


def test_template_without_a_title_placeholder_is_refused(tmp_path):
    prs = Presentation(str(Templates.load().path(PPTX)))
    layout = next(l for l in prs.slide_layouts if l.name == "Table")
    title = next(ph for ph in layout.placeholders if ph.placeholder_format.idx == 0)
    title.element.getparent().remove(title.element)
    prs.save(tmp_path / PPTX)
    with pytest.raises(PmoError, match='"Table" has no title placeholder'):
        slides.render_pptx(None, Templates.load(tmp_path))  # refused before anything is rendered


# --------------------------------------------------------------------------- sample deck


def test_slide_order_and_titles(sample_deck, sample_view):
    prs = Presentation(str(sample_deck))
    t = titles(prs)
    assert t[0] == sample_view.title
    assert t[1].startswith("Portfolio dashboard")
    assert t[2].startswith("Changes this month")
    assert any(x.startswith("Decisions required") for x in t)
    assert t[-1].startswith("Looking forward")
    assert prs.core_properties.language == "en-GB"


def test_titles_number_their_continuations(sample_deck):
    prs = Presentation(str(sample_deck))
    groups: dict[str, list[tuple[int, int, int]]] = {}
    for position, title in enumerate(titles(prs)):
        m = re.fullmatch(r"(.*) \((\d+) of (\d+)\)", title)
        if m:
            groups.setdefault(m.group(1), []).append((position, int(m.group(2)), int(m.group(3))))
    assert groups, "the sample's long programmes continue onto numbered slides"
    for base, items in groups.items():
        n = items[0][2]
        assert [i for _, i, _ in items] == list(range(1, n + 1)), base
        assert all(total == n for _, _, total in items), base
        positions = [p for p, _, _ in items]
        assert positions == list(range(positions[0], positions[0] + n)), f"{base}: slides not consecutive"
        assert base not in titles(prs), f"{base} appears both numbered and unnumbered"


def test_dashboard_has_native_charts_with_the_counts(sample_deck, sample_view):
    prs = Presentation(str(sample_deck))
    dashboard = prs.slides[1]
    charts = {s.name: s.chart for s in dashboard.shapes if s.has_chart}
    assert set(charts) == {"RAG by programme", "RAG trend"}
    bar = charts["RAG by programme"]
    assert bar.chart_type is XL_CHART_TYPE.BAR_STACKED
    programmes = [r for r in sample_view.counts if r.programme != "Total"]
    assert list(bar.plots[0].categories) == [r.programme for r in programmes]
    series = list(bar.series)
    assert [s.name for s in series][:len(sample_view.scale_rags)] == [r.title for r in sample_view.scale_rags]
    for i, rag in enumerate(sample_view.scale_rags):
        assert list(series[i].values) == [r.counts[i] for r in programmes]
        assert str(series[i].format.fill.fore_color.rgb) == palette.fill(rag)
    trend = charts["RAG trend"]
    assert trend.chart_type is XL_CHART_TYPE.COLUMN_STACKED
    assert list(trend.plots[0].categories) == list(sample_view.trend.months)
    for s, (rag, values) in zip(trend.series, sample_view.trend.series):
        assert s.name == rag.title and list(s.values) == list(values)
        assert str(s.format.fill.fore_color.rgb) == palette.fill(rag)
    texts = " ".join(s.text_frame.text for s in dashboard.shapes if s.has_text_frame)
    assert f"{sample_view.project_count}\nProjects" in texts
    assert "Decisions required" in texts


def test_each_project_is_in_its_programme_tables_only(sample_deck, sample_view):
    prs = Presentation(str(sample_deck))
    for programme in sample_view.programmes:
        mine = [n for s in table_slides(prs, programme.name) for n in project_names(s)]
        assert sorted(set(mine)) == sorted(r.name for r in programme.projects)
        for other in sample_view.programmes:
            if other is not programme:
                theirs = {n for s in table_slides(prs, other.name) for n in project_names(s)}
                own_only = {r.name for r in programme.projects} - {r.name for r in other.projects}
                assert not (own_only & theirs)


def test_rag_cells_are_coloured_and_say_the_movement(sample_deck, sample_view):
    prs = Presentation(str(sample_deck))
    productivity = next(p for p in sample_view.programmes if p.name == "Productivity")
    slide = table_slides(prs, "Productivity")[0]
    table = table_of(slide)
    headers = [table.cell(0, c).text_frame.text for c in range(len(table.columns))]
    assert headers == ["No.", "Project", "RAG", "Savings RAG", "Summary"]
    row = productivity.projects[0]
    cell = table.cell(1, 2)
    assert str(cell.fill.fore_color.rgb) == row.rag.fill
    assert row.rag.text in cell.text_frame.text and row.rag.movement in cell.text_frame.text
    assert "▲ Improved (A → G)" in cell.text_frame.text


def test_every_summary_is_in_full_in_its_slides_notes(sample_deck, sample_view):
    prs = Presentation(str(sample_deck))
    for programme in sample_view.programmes:
        by_name = {r.name: r for r in programme.projects}
        for slide in table_slides(prs, programme.name):
            notes = slide.notes_slide.notes_text_frame.text
            for name in project_names(slide):
                assert by_name[name].summary.plain in notes


def test_bullets_are_real_bullets(sample_deck):
    prs = Presentation(str(sample_deck))
    xml = b"".join(s.part.blob for s in prs.slides)
    assert b"<a:buChar" in xml


def test_sample_geometry(sample_deck):
    assert_geometry(Presentation(str(sample_deck)))


def test_changes_slide_lists_every_movement(sample_deck, sample_view):
    prs = Presentation(str(sample_deck))
    slide = prs.slides[2]
    text = "\n".join(table_of(slide).cell(r, c).text_frame.text for r in range(len(table_of(slide).rows))
                     for c in range(len(table_of(slide).columns)))
    for item in sample_view.improved + sample_view.deteriorated + sample_view.new + sample_view.no_update:
        assert item.project in text and item.rag.movement in text


def test_template_chart_gets_new_data_and_keeps_its_styling(sample_deck, sample_view, tmp_path):
    prs = Presentation(str(sample_deck))
    ids = prs.slides._sldIdLst
    for sld_id in list(ids)[::-1]:
        if prs.part.related_part(sld_id.rId) is not prs.slides[1].part:
            prs.part.drop_rel(sld_id.rId)
            ids.remove(sld_id)
    dashboard = prs.slides[0]
    bar = next(s for s in dashboard.shapes if s.name == "RAG by programme")
    bar.chart.series[0].format.fill.fore_color.rgb = RGBColor.from_string("123456")
    bar.chart.replace_data(slides.trend_chart_data(sample_view))  # stale data the generator must replace
    prs.save(tmp_path / PPTX)

    out = render(sample_view, Templates.load(tmp_path))
    assert len(out.slides) == len(Presentation(str(sample_deck)).slides)
    second = out.slides[1]
    assert second.shapes.title.text_frame.text.startswith("Portfolio dashboard")
    chart = next(s for s in second.shapes if s.name == "RAG by programme").chart
    programmes = [r for r in sample_view.counts if r.programme != "Total"]
    assert list(chart.plots[0].categories) == [r.programme for r in programmes]
    assert list(chart.series[0].values) == [r.counts[0] for r in programmes]
    assert str(chart.series[0].format.fill.fore_color.rgb) == "123456"  # the secretary's styling survives


def test_open_xml_sdk_finds_no_errors(sample_deck):
    import ooxml_sdk

    why = ooxml_sdk.available()
    if why:
        pytest.skip(why)
    assert ooxml_sdk.validate(sample_deck) == []


# --------------------------------------------------------------------------- stress


def test_stress_deck_fits_by_geometry(stress):
    view, path = stress
    prs = Presentation(str(path))
    assert_geometry(prs)
    clinical = table_slides(prs, "Clinical")
    assert len(clinical) > 1
    n = len(clinical)
    assert [s.shapes.title.text_frame.text for s in clinical] == [f"Clinical programme ({i} of {n})"
                                                                   for i in range(1, n + 1)]
    shown = [name for s in clinical for name in project_names(s)]
    assert sorted(set(shown)) == sorted({r.name for r in view.programmes[0].projects})


def test_stress_long_summary_is_abridged_with_full_text_in_notes(stress):
    view, path = stress
    prs = Presentation(str(path))
    long_row = view.programmes[0].projects[5]
    assert len(long_row.summary_text) >= 30_000
    holding = [s for s in table_slides(prs, "Clinical") if long_row.name in project_names(s)]
    assert holding
    for slide in holding:
        assert long_row.summary.plain in slide.notes_slide.notes_text_frame.text
    table_text = " ".join(table_of(s).cell(r, len(table_of(s).columns) - 1).text_frame.text for s in holding
                          for r in range(1, len(table_of(s).rows)))
    assert slides.CONTINUED in table_text
    for programme in view.programmes:
        by_name = {r.name: r for r in programme.projects}
        for slide in table_slides(prs, programme.name):
            for name in project_names(slide):
                assert by_name[name].summary.plain in slide.notes_slide.notes_text_frame.text


def test_stress_titles_fit(stress):
    _, path = stress
    prs = Presentation(str(path))
    for slide in prs.slides:
        title = slide.shapes.title
        size = title.text_frame.paragraphs[0].runs[0].font.size.pt
        width = title.width / EMU_PER_PT - 2 * slides.BOX_MARGIN_X
        lines = sum(len(slides.textfit.wrap(p.text, width * slides.SAFETY, size, True))
                    for p in title.text_frame.paragraphs)
        assert lines * size * slides.LINE <= title.height / EMU_PER_PT - 2 * slides.BOX_MARGIN_Y


def _soffice_pdf(path: Path, tmp: Path) -> Path:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([exe, f"-env:UserInstallation=file://{tmp / 'lo-profile'}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(path)], check=True, capture_output=True, timeout=240)
    return tmp / (path.stem + ".pdf")


def _overlaps(words) -> list[tuple[str, str]]:
    """Pairs of words whose boxes overlap (text from different boxes or lines drawn over each other)."""
    found = []
    words = sorted(words, key=lambda w: w["x0"])
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if b["x0"] >= a["x1"]:
                break
            dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
            dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
            if dx > 1 and dy > 0.25 * min(a["bottom"] - a["top"], b["bottom"] - b["top"]):
                found.append((a["text"], b["text"]))
    return found


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not on PATH")
@pytest.mark.parametrize("which", ["sample", "stress"])
def test_rendered_text_stays_on_the_slide_and_does_not_overlap(which, sample_deck, stress, tmp_path):
    import pdfplumber

    path = sample_deck if which == "sample" else stress[1]
    pdf_path = _soffice_pdf(path, tmp_path)
    n_slides = len(Presentation(str(path)).slides)
    with pdfplumber.open(pdf_path) as pdf:
        assert len(pdf.pages) == n_slides
        for number, page in enumerate(pdf.pages, start=1):
            for ch in page.chars:
                if not ch["text"].strip():
                    continue
                assert 0 <= ch["x0"] and ch["x1"] <= page.width + 0.5, (number, ch["text"])
                assert 0 <= ch["top"] and ch["bottom"] <= page.height + 0.5, (number, ch["text"])
            words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
            assert _overlaps(words) == [], f"slide {number}: overlapping text"


def test_stress_open_xml_sdk(stress):
    import ooxml_sdk

    why = ooxml_sdk.available()
    if why:
        pytest.skip(why)
    assert ooxml_sdk.validate(stress[1]) == []
