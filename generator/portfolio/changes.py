"""RAG movement between a month and the latest earlier month: projects, programmes, extra RAGs."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterable

from .model import Month, MonthReport, Portfolio, Programme, ProjectStatus, Rag


class Movement(enum.Enum):
    """How a RAG moved since the previous month: (word, symbol)."""

    IMPROVED = ("Improved", "▲")
    DETERIORATED = ("Deteriorated", "▼")
    NO_CHANGE = ("No change", "●")
    NEW = ("New", "★")
    COMPLETED = ("Completed", "✓")
    NO_UPDATE = ("No update", "–")

    def __init__(self, word: str, symbol: str) -> None:
        self.word = word
        self.symbol = symbol


@dataclass(frozen=True)
class Change:
    """A RAG's movement with the ratings before and after (None where there is none)."""

    movement: Movement
    before: Rag | None
    after: Rag | None

    @property
    def moved(self) -> bool:
        return self.movement in (Movement.IMPROVED, Movement.DETERIORATED, Movement.COMPLETED)

    def describe(self) -> str:
        """``▼ Deteriorated (A → R)``, ``● No change``, ``New``, ``No update received``."""
        m = self.movement
        if m is Movement.NO_UPDATE:
            return "No update received"
        if m is Movement.NEW:
            return "New"
        text = f"{m.symbol} {m.word}"
        if self.moved and self.before and self.after:
            text += f" ({self.before.letter} → {self.after.letter})"
        return text


def compare(before: Rag | None, after: Rag | None, *, present_before: bool = True,
            present_now: bool = True) -> Change:
    """The movement from ``before`` to ``after``.

    ``present_before``/``present_now`` say whether the item had a row in each month; a RAG may be
    None in a month where the item is present (an extra RAG left blank).
    """
    if not present_now:
        return Change(Movement.NO_UPDATE, before, before)
    if not present_before or before is None:
        if after is Rag.BLUE:
            return Change(Movement.COMPLETED, before, after)
        return Change(Movement.NEW if not present_before else Movement.NO_CHANGE, before, after)
    if after is None:
        return Change(Movement.NO_CHANGE, before, after)
    if after is Rag.BLUE and before is not Rag.BLUE:
        return Change(Movement.COMPLETED, before, after)
    if after.rank > before.rank:
        return Change(Movement.IMPROVED, before, after)
    if after.rank < before.rank:
        return Change(Movement.DETERIORATED, before, after)
    return Change(Movement.NO_CHANGE, before, after)


@dataclass(frozen=True)
class ProjectChange:
    """A project's status this month (or last month's, when no update) and its movements."""

    status: ProjectStatus
    change: Change
    dimensions: dict[str, Change] = field(default_factory=dict)
    months_at_red: int = 0
    previous_summary: str | None = None

    @property
    def no_update(self) -> bool:
        return self.change.movement is Movement.NO_UPDATE


@dataclass(frozen=True)
class ProgrammeChange:
    """A programme's RAG (explicit or the worst of its projects) and its movement."""

    programme: Programme
    rag: Rag | None
    change: Change
    explicit: bool
    comment: str
    projects: tuple[ProjectChange, ...]


@dataclass(frozen=True)
class MonthChanges:
    """Everything that moved in ``month`` against ``previous``."""

    month: Month
    previous: Month | None
    programmes: tuple[ProgrammeChange, ...]

    @property
    def projects(self) -> tuple[ProjectChange, ...]:
        return tuple(p for prog in self.programmes for p in prog.projects)

    def counts(self) -> dict[Movement, int]:
        """How many projects moved each way."""
        counts = {m: 0 for m in Movement}
        for p in self.projects:
            counts[p.change.movement] += 1
        return counts


def worst(rags: list[Rag]) -> Rag | None:
    """The worst RAG of a list, Blue (complete) counting only when all are Blue."""
    open_rags = [r for r in rags if r is not Rag.BLUE]
    if open_rags:
        return min(open_rags, key=lambda r: r.rank)
    return Rag.BLUE if rags else None


def programme_rag(report: MonthReport | None, programme: str) -> tuple[Rag | None, bool, str]:
    """(RAG, explicit?, comment) of a programme in a month: the PMO's own, else the worst project."""
    if report is None:
        return None, False, ""
    explicit = report.programme_rags.get(programme)
    if explicit is not None:
        return explicit.rag, True, explicit.comment
    return worst([s.rag for s in report.statuses if s.programme == programme]), False, ""


def red_streaks(portfolio: Portfolio, month: Month, reds_now: Iterable[str] | None = None) -> dict[str, int]:
    """Project ID -> consecutive month sheets at Red ending with ``month`` (absent if not Red now).

    ``reds_now`` are the projects Red in ``month`` (default: from the month's validated statuses).
    """
    streaks: dict[str, int] = {}
    for report in portfolio.months:  # oldest first: one pass, linear in months × projects
        if report.month >= month:
            break
        reds = {s.project_id for s in report.statuses if s.rag is Rag.RED}
        streaks = {pid: streaks.get(pid, 0) + 1 for pid in reds}
    if reds_now is None:
        reds_now = {s.project_id for s in portfolio.month(month).statuses if s.rag is Rag.RED}
    return {pid: streaks.get(pid, 0) + 1 for pid in reds_now}


def month_changes(portfolio: Portfolio, month: Month) -> MonthChanges:
    """Movements of every project, programme and extra RAG in ``month`` against the month before."""
    current = portfolio.month(month)
    previous = portfolio.previous(month)
    now = current.by_id()
    before = previous.by_id() if previous else {}
    streaks = red_streaks(portfolio, month)
    programmes = []
    for programme in portfolio.programmes:
        projects = [
            _project_change(s, before.get(s.project_id), previous is not None, streaks)
            for s in current.statuses if s.programme == programme.name
        ]
        projects += [
            ProjectChange(s, compare(s.rag, None, present_now=False),
                          {d: compare(r, None, present_now=False) for d, r in s.extra.items()},
                          previous_summary=s.summary)
            for s in (previous.statuses if previous else ())
            if s.programme == programme.name and s.project_id not in now and s.rag is not Rag.BLUE
        ]
        rag, explicit, comment = programme_rag(current, programme.name)
        before_rag, _, _ = programme_rag(previous, programme.name)
        change = compare(before_rag, rag, present_before=before_rag is not None)
        programmes.append(ProgrammeChange(programme, rag, change, explicit, comment, tuple(projects)))
    return MonthChanges(month, previous.month if previous else None, tuple(programmes))


def _project_change(
    status: ProjectStatus, before: ProjectStatus | None, has_previous: bool, streaks: dict[str, int]
) -> ProjectChange:
    """One project's movement; with no previous month at all, every project is unchanged."""
    present_before = before is not None or not has_previous
    base = before.rag if before else (status.rag if not has_previous else None)
    change = compare(base, status.rag, present_before=present_before)
    dims = {}
    for dim, rag in status.extra.items():
        old = before.extra.get(dim) if before else (rag if not has_previous else None)
        dims[dim] = compare(old, rag, present_before=present_before)
    return ProjectChange(status, change, dims, streaks.get(status.project_id, 0),
                         before.summary if before else None)
