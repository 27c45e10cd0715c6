"""Domain -> report view-model: plain data, already labelled, ordered and coloured for renderers."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..portfolio.changes import Change, MonthChanges, Movement, ProjectChange, month_changes
from ..portfolio.markup import RichText, parse
from ..portfolio.returns import outstanding
from ..portfolio.model import Month, Portfolio, Programme, Rag
from .. import palette

HISTORY_MONTHS = 6
TREND_MONTHS = 12
RED_FLAG_MONTHS = 3


@dataclass(frozen=True)
class RagCell:
    """A coloured RAG cell: the rating as colour and words, and its movement."""

    rag: Rag | None
    text: str  # the programme's wording, e.g. "On plan" (or "Green")
    letter: str  # "G"; "" when there is no rating
    movement: str  # "▲ Improved (A → G)", "● No change", "No update received", ""
    fill: str  # hex without '#'
    font: str  # hex text colour on the fill
    moved: bool = False

    @property
    def colour_name(self) -> str:
        return self.rag.title if self.rag else "No rating"


@dataclass(frozen=True)
class ProjectRow:
    """One row of a programme's project table."""

    number: int
    project_id: str
    name: str
    lead: str
    rag: RagCell
    dimensions: tuple[RagCell | None, ...]  # one per ProgrammeView.dimensions, None if blank
    summary: RichText
    issues: RichText
    next_steps: RichText
    decisions: RichText
    summary_text: str  # the raw cell text, for notes and tests
    no_update: bool
    months_at_red: int


@dataclass(frozen=True)
class LegendItem:
    rag: Rag
    label: str
    fill: str
    font: str


@dataclass(frozen=True)
class ProgrammeView:
    """One programme's section: legend, header block and project table."""

    index: int  # 1-based position among programmes
    name: str
    chair: str
    legend: tuple[LegendItem, ...]
    rag: RagCell
    rag_explicit: bool
    rag_comment: str
    dimensions: tuple[tuple[str, str], ...]  # (column header, display title) used in this programme
    projects: tuple[ProjectRow, ...]


@dataclass(frozen=True)
class ListItem:
    """A line of an At-a-glance list: programme, project and what to say about it."""

    programme: str
    project: str
    detail: str
    rag: RagCell | None = None
    text: RichText | None = None


@dataclass(frozen=True)
class CountRow:
    """RAG counts for one programme (or the total)."""

    programme: str
    counts: tuple[int, ...]  # one per ReportView.scale_rags, then "no update"
    total: int


@dataclass(frozen=True)
class HistoryRow:
    programme: str
    project_id: str
    project: str
    cells: tuple[RagCell | None, ...]  # one per history month, None where no row


@dataclass(frozen=True)
class Trend:
    """RAG counts per month, for the trend chart."""

    months: tuple[str, ...]  # short labels, oldest first
    series: tuple[tuple[Rag, tuple[int, ...]], ...]


@dataclass(frozen=True)
class ReportView:
    """Everything both documents show for one month."""

    title: str
    organisation: str
    description: str
    contact: str
    month: Month
    month_label: str
    previous_label: str
    scale_rags: tuple[Rag, ...]
    counts: tuple[CountRow, ...]  # per programme then a "Total" row
    movement_counts: dict[str, int]  # word -> count, in Movement order
    improved: tuple[ListItem, ...]
    deteriorated: tuple[ListItem, ...]
    new: tuple[ListItem, ...]
    completed: tuple[ListItem, ...]
    no_update: tuple[ListItem, ...]
    red_flags: tuple[ListItem, ...]
    decisions: tuple[ListItem, ...]
    returns: tuple[ListItem, ...]  # outstanding returns: no update, copied summary (detail = why, lead)
    programmes: tuple[ProgrammeView, ...]
    history_months: tuple[str, ...]
    history: tuple[HistoryRow, ...]
    trend: Trend
    dimension_titles: dict[str, str] = field(default_factory=dict)

    @property
    def project_count(self) -> int:
        return sum(len(p.projects) for p in self.programmes)


def rag_cell(rag: Rag | None, programme: Programme | None, change: Change | None = None) -> RagCell:
    """A RAG cell in the programme's wording, coloured from the shared palette."""
    movement = change.describe() if change else ""
    text = programme.label(rag) if (rag and programme) else (rag.title if rag else "No rating")
    return RagCell(rag, text, rag.letter if rag else "", movement, palette.fill(rag), palette.text_on(rag),
                   bool(change and change.moved))


def build_view(portfolio: Portfolio, month: Month) -> ReportView:
    """The view-model of ``month``'s pack."""
    changes = month_changes(portfolio, month)
    settings = portfolio.settings
    programmes = tuple(_programme_view(i, pc, portfolio, len(changes.programmes))
                       for i, pc in enumerate(changes.programmes, start=1))
    rows = {(p.name, r.project_id): r for p in programmes for r in p.projects}

    def items(movement: Movement) -> tuple[ListItem, ...]:
        return tuple(
            ListItem(pc.status.programme, pc.status.name, pc.change.describe(), rows[(pc.status.programme, pc.status.project_id)].rag)
            for pc in changes.projects if pc.change.movement is movement
        )

    previous = changes.previous
    return ReportView(
        title=settings.title,
        organisation=settings.organisation,
        description=settings.description,
        contact=settings.contact,
        month=month,
        month_label=month.label,
        previous_label=previous.label if previous else "",
        scale_rags=portfolio.scale.ratings,
        counts=_counts(changes, portfolio.scale.ratings),
        movement_counts={m.word: n for m, n in changes.counts().items()},
        improved=items(Movement.IMPROVED),
        deteriorated=items(Movement.DETERIORATED),
        new=items(Movement.NEW),
        completed=items(Movement.COMPLETED),
        no_update=items(Movement.NO_UPDATE),
        red_flags=tuple(
            ListItem(pc.status.programme, pc.status.name, f"Red for {pc.months_at_red} months",
                     rows[(pc.status.programme, pc.status.project_id)].rag)
            for pc in changes.projects if pc.months_at_red >= RED_FLAG_MONTHS and not pc.no_update
        ),
        decisions=tuple(
            ListItem(pc.status.programme, pc.status.name, pc.status.decisions, text=parse(pc.status.decisions))
            for pc in changes.projects if pc.status.decisions.strip() and not pc.no_update
        ),
        returns=tuple(
            ListItem(o.programme, o.project, "; ".join(r.sentence for r in o.reasons if r.chase)
                     + (f" (lead: {o.lead})" if o.lead else ""))
            for o in outstanding(portfolio, month).outstanding
        ),
        programmes=programmes,
        history_months=tuple(m.month.short_label for m in _window(portfolio, month, HISTORY_MONTHS)),
        history=_history(portfolio, month, changes),
        trend=_trend(portfolio, month),
        dimension_titles={d: settings.dimension_title(d) for d in portfolio.dimensions},
    )


def _programme_view(index: int, pc, portfolio: Portfolio, total: int) -> ProgrammeView:
    programme: Programme = pc.programme
    used = [d for d in portfolio.dimensions if any(p.status.extra.get(d) for p in pc.projects)]
    rows = tuple(_project_row(n, p, programme, used) for n, p in enumerate(pc.projects, start=1))
    legend = tuple(LegendItem(r, programme.label(r), palette.fill(r), palette.text_on(r)) for r in portfolio.scale.ratings)
    return ProgrammeView(
        index=index, name=programme.name, chair=programme.chair, legend=legend,
        rag=rag_cell(pc.rag, programme, pc.change), rag_explicit=pc.explicit, rag_comment=pc.comment,
        dimensions=tuple((d, portfolio.settings.dimension_title(d)) for d in used), projects=rows,
    )


def _project_row(number: int, pc: ProjectChange, programme: Programme, dims: list[str]) -> ProjectRow:
    s = pc.status
    cell = rag_cell(s.rag, programme, pc.change)
    if pc.no_update:
        cell = RagCell(s.rag, programme.label(s.rag), s.rag.letter, "No update received",
                       palette.fill(None), palette.text_on(None))
    dim_cells = tuple(
        rag_cell(s.extra.get(d), programme, pc.dimensions.get(d)) if s.extra.get(d) else None for d in dims
    )
    summary = s.summary
    return ProjectRow(
        number=number, project_id=s.project_id, name=s.name, lead=s.lead, rag=cell, dimensions=dim_cells,
        summary=parse(summary), issues=parse(s.issues), next_steps=parse(s.next_steps),
        decisions=parse(s.decisions), summary_text=summary, no_update=pc.no_update,
        months_at_red=pc.months_at_red,
    )


def _counts(changes: MonthChanges, ratings: tuple[Rag, ...]) -> tuple[CountRow, ...]:
    rows = []
    totals = [0] * (len(ratings) + 1)
    for pc in changes.programmes:
        counts = [0] * (len(ratings) + 1)
        for p in pc.projects:
            slot = len(ratings) if p.no_update else ratings.index(p.status.rag)
            counts[slot] += 1
        totals = [a + b for a, b in zip(totals, counts)]
        rows.append(CountRow(pc.programme.name, tuple(counts), sum(counts)))
    rows.append(CountRow("Total", tuple(totals), sum(totals)))
    return tuple(rows)


def _window(portfolio: Portfolio, month: Month, n: int):
    return [m for m in portfolio.months if m.month <= month][-n:]


def _history(portfolio: Portfolio, month: Month, changes: MonthChanges) -> tuple[HistoryRow, ...]:
    window = _window(portfolio, month, HISTORY_MONTHS)
    by_month = [m.by_id() for m in window]
    rows = []
    for pc in changes.projects:
        s = pc.status
        programme = portfolio.programme(s.programme)
        cells = tuple(rag_cell(b[s.project_id].rag, programme) if s.project_id in b else None for b in by_month)
        rows.append(HistoryRow(s.programme, s.project_id, s.name, cells))
    return tuple(rows)


def _trend(portfolio: Portfolio, month: Month) -> Trend:
    window = _window(portfolio, month, TREND_MONTHS)
    ratings = portfolio.scale.ratings
    series = tuple(
        (r, tuple(sum(1 for s in m.statuses if s.rag is r) for m in window)) for r in ratings
    )
    return Trend(tuple(m.month.short_label for m in window), series)
