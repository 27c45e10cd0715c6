"""The view-model and the shared pieces both documents use: palette, font metrics."""

from __future__ import annotations

import pytest

from generator import palette
from generator.pack import textfit
from generator.pack.view import build_view
from generator.portfolio.model import Rag


@pytest.mark.parametrize("rag", [*Rag, None])
def test_text_on_every_fill_has_contrast_at_least_4_5(rag):
    assert palette.contrast(palette.fill(rag), palette.text_on(rag)) >= 4.5


def test_palette_matches_the_product_table():
    assert palette.fill(Rag.RED) == "D5281B" and palette.text_on(Rag.RED) == "FFFFFF"
    assert round(palette.contrast("D5281B", "FFFFFF"), 2) == 5.06
    assert round(palette.contrast("FFB81C", "000000"), 2) == 12.12


def test_sample_view_counts_and_movements(sample_view):
    assert [r.programme for r in sample_view.counts] == ["Clinical", "Productivity", "Enabling Strategies", "Total"]
    assert sample_view.counts[-1].total == sample_view.project_count == 15
    assert [(i.project, i.detail) for i in sample_view.improved] == [
        ("Pharmacy Aseptic Services", "▲ Improved (A → G)"), ("HR / Workforce", "▲ Improved (A → G)")]
    assert sample_view.deteriorated == ()
    assert [i.project for i in sample_view.red_flags] == ["Cancer"]
    assert sample_view.movement_counts["No change"] == 13


def test_rag_cells_use_the_programmes_labels(sample_view):
    clinical = sample_view.programmes[0]
    assert [item.label for item in clinical.legend] == ["Delayed", "At risk of not being delivered", "On plan"]
    cancer = next(r for r in clinical.projects if r.name == "Cancer")
    assert (cancer.rag.text, cancer.rag.fill, cancer.rag.movement) == ("Delayed", "D5281B", "● No change")
    productivity = sample_view.programmes[1]
    assert productivity.dimensions == (("Savings RAG", "Do plans meet STP savings target by 2020/21?"),)
    hr = next(r for r in productivity.projects if r.name == "HR / Workforce")
    assert hr.dimensions[0].movement == "▲ Improved (A → G)"


def test_no_update_project_is_shown_with_last_months_rag(sample_portfolio):
    from dataclasses import replace

    august = sample_portfolio.months[-1]
    dropped = replace(august, statuses=tuple(s for s in august.statuses if s.project_id != "CLIN-03"))
    portfolio = replace(sample_portfolio, months=(*sample_portfolio.months[:-1], dropped))
    view = build_view(portfolio, august.month)
    row = next(r for r in view.programmes[0].projects if r.project_id == "CLIN-03")
    assert row.no_update and row.rag.movement == "No update received" and row.rag.fill == palette.PALE_GREY
    assert [i.project for i in view.no_update] == ["Maternity"]
    assert view.counts[0].counts[-1] == 1


def test_history_covers_up_to_six_months(sample_view):
    assert sample_view.history_months == ("Jun 2019", "Jul 2019", "Aug 2019")
    cancer = next(h for h in sample_view.history if h.project == "Cancer")
    assert [c.letter for c in cancer.cells] == ["R", "R", "R"]


def test_text_width_scales_with_size_and_bold():
    assert textfit.width("Programme", 20) == pytest.approx(2 * textfit.width("Programme", 10))
    assert textfit.width("Programme", 10, bold=True) > textfit.width("Programme", 10)


def test_wrap_never_exceeds_the_width_even_for_long_words():
    text = "A" * 300 + " short words here " + "x" * 50
    for line in textfit.wrap(text, 120, 10):
        assert textfit.width(line, 10) <= 120


def test_truncate_to_lines_fits_and_marks_the_cut():
    text = "word " * 500
    cut = textfit.truncate_to_lines(text, 200, 10, 4)
    assert textfit.line_count(cut, 200, 10) <= 4 and cut.endswith("…")


def test_outstanding_returns_are_listed(sample_portfolio):
    from dataclasses import replace

    july, august = sample_portfolio.months[-2:]
    copied = {s.project_id: s.summary for s in july.statuses}
    statuses = tuple(replace(s, summary=copied[s.project_id]) if s.project_id == "CLIN-05" else s
                     for s in august.statuses if s.project_id != "CLIN-03")
    portfolio = replace(sample_portfolio, months=(*sample_portfolio.months[:-1], replace(august, statuses=statuses)))
    view = build_view(portfolio, august.month)
    assert [(i.project, i.detail.split(" (lead")[0]) for i in view.returns] == [
        ("Urgent and Emergency Care", "the summary is unchanged from last month"),
        ("Maternity", "no row this month"),
    ]


def test_sample_has_no_outstanding_returns(sample_view):
    assert sample_view.returns == ()
