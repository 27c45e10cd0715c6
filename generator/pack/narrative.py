"""Narrative sentences of the pack (intro, at-a-glance), from Jinja text templates in a sandbox.

Workbook text (organisation, contact, month labels) is passed to the templates as data only; it
is never itself rendered as a template.
"""

from __future__ import annotations

import re

from .templates import Templates
from .view import ReportView

INTRO = "intro.j2"
AT_A_GLANCE = "at_a_glance.j2"

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def _paragraphs(text: str) -> list[str]:
    """Rendered text -> paragraphs: split on blank lines, whitespace within each collapsed."""
    paras = (" ".join(chunk.split()) for chunk in _BLANK_LINE.split(text))
    return [p for p in paras if p]


def _render(templates: Templates, name: str, **context: object) -> list[str]:
    from jinja2 import TemplateError

    from ..errors import PmoError

    try:
        text = templates.text_environment().get_template(name).render(**context)
    except TemplateError as exc:
        raise PmoError(f"{templates.folder / 'text' / name}: cannot render the narrative template ({exc})") from exc
    return _paragraphs(text)


def intro(view: ReportView, templates: Templates) -> list[str]:
    """The intro paragraphs under the report's summary heading."""
    return _render(
        templates, INTRO, title=view.title, organisation=view.organisation, month=view.month_label,
        previous=view.previous_label, contact=view.contact, project_count=view.project_count,
        programme_count=len(view.programmes),
    )


def at_a_glance(view: ReportView, templates: Templates) -> list[str]:
    """"Of 15 projects, 2 improved, none deteriorated and 13 are unchanged since July 2019." (and extras)."""
    counts = view.movement_counts
    return _render(
        templates, AT_A_GLANCE, total=view.project_count, improved=counts.get("Improved", 0),
        deteriorated=counts.get("Deteriorated", 0), unchanged=counts.get("No change", 0),
        new=counts.get("New", 0), completed=counts.get("Completed", 0), no_update=counts.get("No update", 0),
        month=view.month_label, previous=view.previous_label,
    )
