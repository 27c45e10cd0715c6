"""Which returns are outstanding for a month: who to chase, grouped by programme (pure).

``outstanding`` works on the rows actually typed into the month sheet (``SheetRow``), not only on
the rows that passed validation: a row with an empty summary is an error for ``validate`` (so it
is not in the validated portfolio) but it is exactly what the PMO officer needs to chase. The
workbook layer reads those rows leniently (``generator.workbook.edit.sheet_rows``); without them,
the validated statuses are used.
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field
from typing import Sequence

from .changes import red_streaks
from .model import Month, Portfolio, ProjectStatus, Rag

SIMILAR = 0.95  # difflib ratio at or above which a summary counts as copied from last month
WORDS_FLOOR = 0.8  # below this share of words in common, summaries are not compared character by character
RED_MONTHS = 3  # consecutive months at Red that are flagged


class Reason(enum.Enum):
    """Why a project is listed: (short word for tables and JSON, sentence for people)."""

    NO_RETURN = ("no update", "no row this month")
    EMPTY_SUMMARY = ("empty summary", "the summary is empty")
    UNCHANGED_SUMMARY = ("summary unchanged", "the summary is unchanged from last month")
    NO_RAG = ("no RAG", "no RAG given")
    RED_STREAK = ("red 3+ months", "Red for three months or more")

    def __init__(self, word: str, sentence: str) -> None:
        self.word = word
        self.sentence = sentence

    @property
    def chase(self) -> bool:
        """True for a missing or incomplete return (a lead to chase), False for a flag."""
        return self is not Reason.RED_STREAK


@dataclass(frozen=True)
class SheetRow:
    """One row as typed in a month sheet, whether or not it passes validation."""

    programme: str
    project_id: str
    name: str
    lead: str = ""
    rag: Rag | None = None
    summary: str = ""
    row: int = 0
    rag_text: str = ""  # the RAG cell as typed ('' when empty)

    @classmethod
    def from_status(cls, status: ProjectStatus) -> "SheetRow":
        return cls(status.programme, status.project_id, status.name, status.lead, status.rag,
                   status.summary, status.row, status.rag.title)


@dataclass(frozen=True)
class Outstanding:
    """One listed project and every reason it is listed."""

    programme: str
    project_id: str
    project: str
    lead: str
    reasons: tuple[Reason, ...]
    row: int | None = None  # the row in this month's sheet (None when there is no row)
    months_red: int = 0
    similarity: float | None = None  # for an unchanged summary: difflib ratio with last month's

    @property
    def chase(self) -> bool:
        return any(r.chase for r in self.reasons)

    def describe(self) -> str:
        """``no row this month; Red for three months or more (4 months)``."""
        parts = []
        for reason in self.reasons:
            text = reason.sentence
            if reason is Reason.RED_STREAK:
                text += f" ({self.months_red} months)"
            elif reason is Reason.UNCHANGED_SUMMARY and self.similarity is not None and self.similarity < 1:
                text += f" ({self.similarity:.0%} the same)"
            parts.append(text)
        return "; ".join(parts)


@dataclass(frozen=True)
class ProgrammeReturns:
    """One programme's listed projects, in sheet order."""

    programme: str
    items: tuple[Outstanding, ...]

    @property
    def leads(self) -> tuple[str, ...]:
        """The leads with a return to chase, in order of first appearance."""
        seen: dict[str, None] = {}
        for item in self.items:
            if item.chase and item.lead:
                seen.setdefault(item.lead, None)
        return tuple(seen)


@dataclass(frozen=True)
class Returns:
    """The month's returns: what is outstanding, by programme (programmes in report order)."""

    month: Month
    previous: Month | None
    expected: int  # projects expected to report: rows this month plus open projects with no row
    programmes: tuple[ProgrammeReturns, ...] = field(default_factory=tuple)

    @property
    def items(self) -> tuple[Outstanding, ...]:
        return tuple(i for p in self.programmes for i in p.items)

    @property
    def outstanding(self) -> tuple[Outstanding, ...]:
        """Projects whose return is missing or incomplete (red flags alone excluded)."""
        return tuple(i for i in self.items if i.chase)

    def counts(self) -> dict[Reason, int]:
        counts = {r: 0 for r in Reason}
        for item in self.items:
            for reason in item.reasons:
                counts[reason] += 1
        return counts


def normalise_summary(text: str) -> str:
    """A summary with whitespace collapsed, for comparing with last month's."""
    return " ".join(text.split())


def similarity(now: str, before: str) -> float:
    """1.0 for the same text after normalising whitespace, else difflib's ratio (0..1).

    Below ``SIMILAR`` the value may be an upper bound of the ratio (enough to classify).
    """
    a, b = normalise_summary(now), normalise_summary(before)
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    # word by word first (cheap on long text): prose that shares under 80% of its words is not a
    # copy; the counting bounds answer most pairs before the matching ratio() is needed
    words = difflib.SequenceMatcher(None, a.split(" "), b.split(" "), autojunk=False)
    for bound in (words.real_quick_ratio, words.quick_ratio, words.ratio):
        value = bound()
        if value < WORDS_FLOOR:
            return value
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    # the quick ratios are upper bounds: below the threshold they answer without the slow ratio()
    for bound in (matcher.real_quick_ratio, matcher.quick_ratio):
        value = bound()
        if value < SIMILAR:
            return value
    return matcher.ratio()


def outstanding(
    portfolio: Portfolio,
    month: Month,
    rows: Sequence[SheetRow] | None = None,
    previous_rows: Sequence[SheetRow] | None = None,
) -> Returns:
    """The returns outstanding for ``month`` (which must be one of the portfolio's months).

    ``rows`` are this month's rows as typed (default: the validated statuses) and
    ``previous_rows`` last month's (default: the previous month's validated statuses). Lists:
    projects with no row this month that were open (not Blue) last month, rows with an empty
    summary, summaries unchanged from last month (the same after collapsing whitespace, or a
    difflib ratio of at least 0.95), rows without a RAG, and projects Red for three or more
    consecutive months (a flag, not a return to chase).
    """
    report = portfolio.month(month)
    previous = portfolio.previous(month)
    now = list(rows) if rows is not None else [SheetRow.from_status(s) for s in report.statuses]
    if previous_rows is not None:
        before = list(previous_rows)
    else:
        before = [SheetRow.from_status(s) for s in previous.statuses] if previous else []
    before_by_id = {r.project_id: r for r in before if r.project_id}
    now_ids = {r.project_id for r in now if r.project_id}
    streaks = red_streaks(portfolio, month, {r.project_id for r in now if r.rag is Rag.RED and r.project_id})

    found: list[Outstanding] = []
    for row in now:
        reasons: list[Reason] = []
        ratio = None
        if not row.summary.strip():
            reasons.append(Reason.EMPTY_SUMMARY)
        else:
            last = before_by_id.get(row.project_id)
            if last is not None and last.summary.strip():
                ratio = similarity(row.summary, last.summary)
                if ratio >= SIMILAR:
                    reasons.append(Reason.UNCHANGED_SUMMARY)
        if not row.rag_text.strip() and row.rag is None:
            reasons.append(Reason.NO_RAG)
        red = streaks.get(row.project_id, 0)
        if red >= RED_MONTHS:
            reasons.append(Reason.RED_STREAK)
        if reasons:
            found.append(Outstanding(row.programme, row.project_id, row.name, row.lead, tuple(reasons),
                                     row.row or None, red,
                                     ratio if Reason.UNCHANGED_SUMMARY in reasons else None))
    missing = [r for r in before if r.project_id and r.project_id not in now_ids and r.rag is not Rag.BLUE]
    for row in missing:
        found.append(Outstanding(row.programme, row.project_id, row.name, row.lead, (Reason.NO_RETURN,)))

    order = {p.name: i for i, p in enumerate(portfolio.programmes)}
    groups: dict[str, list[Outstanding]] = {}
    for item in found:
        groups.setdefault(item.programme, []).append(item)
    programmes = tuple(
        ProgrammeReturns(name, tuple(items))
        for name, items in sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    )
    return Returns(month, previous.month if previous else None, len(now_ids | {r.project_id for r in missing})
                   + sum(1 for r in now if not r.project_id), programmes)
