"""RAG movement: every scale and transition, programmes, extra RAGs, Red streaks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.portfolio.changes import Movement, compare, month_changes, red_streaks, worst
from generator.portfolio.model import (
    Month, MonthReport, Portfolio, Programme, ProgrammeRag, ProjectStatus, Rag, RagScale, Settings,
)

R, AR, A, AG, G, B = Rag.RED, Rag.AMBER_RED, Rag.AMBER, Rag.AMBER_GREEN, Rag.GREEN, Rag.BLUE


@pytest.mark.parametrize("before,after,movement", [
    (A, G, Movement.IMPROVED), (R, A, Movement.IMPROVED), (R, G, Movement.IMPROVED),
    (A, R, Movement.DETERIORATED), (G, A, Movement.DETERIORATED), (G, R, Movement.DETERIORATED),
    (R, R, Movement.NO_CHANGE), (A, A, Movement.NO_CHANGE), (G, G, Movement.NO_CHANGE),
    (AR, A, Movement.IMPROVED), (A, AR, Movement.DETERIORATED), (AG, G, Movement.IMPROVED),
    (R, AR, Movement.IMPROVED), (AG, A, Movement.DETERIORATED), (AG, AG, Movement.NO_CHANGE),
    (G, B, Movement.COMPLETED), (R, B, Movement.COMPLETED), (B, B, Movement.NO_CHANGE),
    (B, A, Movement.DETERIORATED),
])
def test_movement_between_ratings(before, after, movement):
    assert compare(before, after).movement is movement


def test_describe_shows_symbol_word_and_from_to():
    assert compare(A, R).describe() == "▼ Deteriorated (A → R)"
    assert compare(A, G).describe() == "▲ Improved (A → G)"
    assert compare(G, G).describe() == "● No change"
    assert compare(G, B).describe() == "✓ Completed (G → B)"
    assert compare(None, A, present_before=False).describe() == "New"
    assert compare(A, None, present_now=False).describe() == "No update received"


def test_new_and_no_update():
    assert compare(None, A, present_before=False).movement is Movement.NEW
    assert compare(None, B, present_before=False).movement is Movement.COMPLETED
    change = compare(A, None, present_now=False)
    assert change.movement is Movement.NO_UPDATE and change.after is A


non_blue = st.sampled_from([R, AR, A, AG, G])


@given(non_blue, non_blue)
def test_improved_iff_reverse_deteriorated(a, b):
    assert (compare(a, b).movement is Movement.IMPROVED) == (compare(b, a).movement is Movement.DETERIORATED)


@given(st.sampled_from(list(Rag)))
def test_a_rating_compared_with_itself_has_no_movement(r):
    assert compare(r, r).movement is Movement.NO_CHANGE


def _status(pid: str, rag: Rag, programme: str = "Clinical", **extra: Rag | None) -> ProjectStatus:
    return ProjectStatus(programme, pid, f"Project {pid}", rag, f"Summary of {pid}", extra=dict(extra))


def _portfolio(*months: tuple[Month, list[ProjectStatus]], rags=None, scale=RagScale.RAG) -> Portfolio:
    rags = rags or {}
    return Portfolio(
        Settings(scale=scale),
        (Programme("Clinical"), Programme("Productivity")),
        tuple(MonthReport(m, m.key, tuple(s), rags.get(m, {})) for m, s in months),
        ("Savings RAG",),
    )


JUN, JUL, AUG = Month(2019, 6), Month(2019, 7), Month(2019, 8)


def test_month_changes_for_projects_new_and_no_update():
    p = _portfolio(
        (JUL, [_status("C1", A), _status("C2", G), _status("C3", R)]),
        (AUG, [_status("C1", G), _status("C2", G), _status("C4", A)]),
    )
    changes = month_changes(p, AUG)
    by_id = {pc.status.project_id: pc for pc in changes.projects}
    assert by_id["C1"].change.movement is Movement.IMPROVED
    assert by_id["C2"].change.movement is Movement.NO_CHANGE
    assert by_id["C4"].change.movement is Movement.NEW
    assert by_id["C3"].change.movement is Movement.NO_UPDATE
    assert by_id["C3"].status.rag is R and by_id["C3"].no_update
    assert changes.previous == JUL
    counts = changes.counts()
    assert (counts[Movement.IMPROVED], counts[Movement.NO_UPDATE], counts[Movement.NEW]) == (1, 1, 1)


def test_a_month_compared_with_itself_has_no_movement():
    statuses = [_status("C1", A), _status("P1", G, "Productivity", **{"Savings RAG": A})]
    p = _portfolio((JUL, statuses), (AUG, statuses))
    changes = month_changes(p, AUG)
    assert all(pc.change.movement is Movement.NO_CHANGE for pc in changes.projects)
    assert all(c.movement is Movement.NO_CHANGE for pc in changes.projects for c in pc.dimensions.values())
    assert all(pr.change.movement is Movement.NO_CHANGE for pr in changes.programmes)


def test_first_month_has_no_movement():
    p = _portfolio((AUG, [_status("C1", A)]))
    assert month_changes(p, AUG).projects[0].change.movement is Movement.NO_CHANGE


def test_programme_rag_is_worst_project_unless_given():
    p = _portfolio(
        (JUL, [_status("C1", G), _status("C2", G)]),
        (AUG, [_status("C1", G), _status("C2", A)]),
    )
    clinical = month_changes(p, AUG).programmes[0]
    assert clinical.rag is A and not clinical.explicit
    assert clinical.change.describe() == "▼ Deteriorated (G → A)"
    explicit = {AUG: {"Clinical": ProgrammeRag("Clinical", G, "PMO view")},
                JUL: {"Clinical": ProgrammeRag("Clinical", G, "")}}
    p2 = _portfolio((JUL, [_status("C1", G)]), (AUG, [_status("C1", A)]), rags=explicit)
    clinical = month_changes(p2, AUG).programmes[0]
    assert clinical.rag is G and clinical.explicit and clinical.comment == "PMO view"
    assert clinical.change.movement is Movement.NO_CHANGE


def test_extra_rag_dimension_movement():
    p = _portfolio(
        (JUL, [_status("P1", A, "Productivity", **{"Savings RAG": A})]),
        (AUG, [_status("P1", A, "Productivity", **{"Savings RAG": G})]),
    )
    pc = month_changes(p, AUG).projects[0]
    assert pc.change.movement is Movement.NO_CHANGE
    assert pc.dimensions["Savings RAG"].describe() == "▲ Improved (A → G)"


def test_red_streak_counts_consecutive_months():
    p = _portfolio(
        (JUN, [_status("C1", R), _status("C2", R)]),
        (JUL, [_status("C1", R), _status("C2", A)]),
        (AUG, [_status("C1", R), _status("C2", R)]),
    )
    assert red_streaks(p, AUG) == {"C1": 3, "C2": 1}
    by_id = {pc.status.project_id: pc for pc in month_changes(p, AUG).projects}
    assert by_id["C1"].months_at_red == 3


def test_worst_ignores_completed_projects():
    assert worst([G, B, A]) is A
    assert worst([B, B]) is B
    assert worst([]) is None
