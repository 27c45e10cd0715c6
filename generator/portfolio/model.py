"""The portfolio domain: RAG scales, programmes, project statuses by month (frozen, pure)."""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass, field
from typing import Mapping


class Rag(enum.Enum):
    """One RAG rating. ``rank`` orders health: higher is better; Blue means complete."""

    RED = ("Red", "R", 0)
    AMBER_RED = ("Amber/Red", "AR", 1)
    AMBER = ("Amber", "A", 2)
    AMBER_GREEN = ("Amber/Green", "AG", 3)
    GREEN = ("Green", "G", 4)
    BLUE = ("Blue", "B", 5)

    def __init__(self, title: str, letter: str, rank: int) -> None:
        self.title = title
        self.letter = letter
        self.rank = rank

    def __str__(self) -> str:
        return self.title


class RagScale(enum.Enum):
    """The RAG scales a portfolio may use (Settings › RAG scale)."""

    RAG = (Rag.RED, Rag.AMBER, Rag.GREEN)
    BRAG = (Rag.RED, Rag.AMBER, Rag.GREEN, Rag.BLUE)
    DCA = (Rag.RED, Rag.AMBER_RED, Rag.AMBER, Rag.AMBER_GREEN, Rag.GREEN)

    @property
    def ratings(self) -> tuple[Rag, ...]:
        """The ratings of this scale, worst first."""
        return self.value

    def describe(self) -> str:
        """A human list of the ratings, e.g. ``Red, Amber, Green``."""
        return ", ".join(r.title for r in self.ratings)


@dataclass(frozen=True, order=True)
class Month:
    """A reporting month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1-12, not {self.month}")

    @classmethod
    def parse(cls, text: str) -> "Month":
        """Parse ``YYYY-MM``; raises ValueError otherwise."""
        year, _, month = text.strip().partition("-")
        if not (year.isdigit() and month.isdigit() and len(year) == 4):
            raise ValueError(f"{text!r} is not a month like 2019-08")
        return cls(int(year), int(month))

    @property
    def key(self) -> str:
        """``2019-08``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """``August 2019``."""
        return f"{calendar.month_name[self.month]} {self.year}"

    @property
    def short_label(self) -> str:
        """``Aug 2019``."""
        return f"{calendar.month_abbr[self.month]} {self.year}"

    def next(self) -> "Month":
        """The month after this one."""
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Programme:
    """A programme of projects, with the legend wording it uses for RAG ratings."""

    name: str
    chair: str = ""
    labels: Mapping[Rag, str] = field(default_factory=dict)

    def label(self, rag: Rag) -> str:
        """This programme's wording for ``rag`` (the colour name by default)."""
        return self.labels.get(rag) or rag.title


@dataclass(frozen=True)
class ProjectStatus:
    """One project's return for one month (one row of a month sheet)."""

    programme: str
    project_id: str
    name: str
    rag: Rag
    summary: str
    lead: str = ""
    issues: str = ""
    next_steps: str = ""
    decisions: str = ""
    extra: Mapping[str, Rag | None] = field(default_factory=dict)
    row: int = 0


@dataclass(frozen=True)
class ProgrammeRag:
    """The PMO's own RAG for a programme in a month (sheet ``Programme RAG``)."""

    programme: str
    rag: Rag
    comment: str = ""


@dataclass(frozen=True)
class MonthReport:
    """All returns for one reporting month (one month sheet)."""

    month: Month
    sheet: str
    statuses: tuple[ProjectStatus, ...]
    programme_rags: Mapping[str, ProgrammeRag] = field(default_factory=dict)

    def by_id(self) -> dict[str, ProjectStatus]:
        """The statuses keyed by Project ID."""
        return {s.project_id: s for s in self.statuses}


@dataclass(frozen=True)
class Settings:
    """Portfolio-wide settings (sheet ``Settings``)."""

    title: str = "PMO Programme Highlight Reports"
    organisation: str = ""
    description: str = ""
    contact: str = ""
    scale: RagScale = RagScale.RAG
    dimension_titles: Mapping[str, str] = field(default_factory=dict)

    def dimension_title(self, dimension: str) -> str:
        """The display title of an extra RAG column (its header by default)."""
        return self.dimension_titles.get(dimension) or dimension


@dataclass(frozen=True)
class Portfolio:
    """The whole workbook, validated: settings, programmes in report order, months oldest first."""

    settings: Settings
    programmes: tuple[Programme, ...]
    months: tuple[MonthReport, ...]
    dimensions: tuple[str, ...] = ()

    @property
    def scale(self) -> RagScale:
        return self.settings.scale

    def programme(self, name: str) -> Programme:
        """The programme called ``name``."""
        for p in self.programmes:
            if p.name == name:
                return p
        raise KeyError(name)

    def month(self, month: Month) -> MonthReport:
        """The report for ``month``; KeyError if there is none."""
        for m in self.months:
            if m.month == month:
                return m
        raise KeyError(month.key)

    def previous(self, month: Month) -> MonthReport | None:
        """The latest month sheet before ``month``, if any."""
        earlier = [m for m in self.months if m.month < month]
        return earlier[-1] if earlier else None

    @property
    def latest(self) -> MonthReport:
        return self.months[-1]
