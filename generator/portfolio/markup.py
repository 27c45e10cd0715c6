"""Summary markup (a Markdown subset, or pasted HTML) -> a small rich-text model."""

from __future__ import annotations

import enum
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from html.parser import HTMLParser

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # markdown-it is loaded on the first parse, not by importing the text model
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline


class Block(enum.Enum):
    """What kind of paragraph a block is."""

    PARAGRAPH = "paragraph"
    BULLET = "bullet"
    HEADING = "heading"  # a short bold sub-heading, e.g. "Next steps:"


@dataclass(frozen=True)
class Run:
    """A stretch of text with one formatting."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False
    superscript: bool = False
    emphasis: bool = False  # ISSUE: / RISK: markers, rendered in the accent colour and bold


@dataclass(frozen=True)
class Paragraph:
    """One paragraph, bullet item or sub-heading. ``level`` is the bullet depth (0 = top)."""

    runs: tuple[Run, ...]
    kind: Block = Block.PARAGRAPH
    level: int = 0

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class RichText:
    """A parsed summary."""

    paragraphs: tuple[Paragraph, ...]

    @property
    def plain(self) -> str:
        """The text with one paragraph per line (bullets prefixed with ``• ``)."""
        return "\n".join(
            ("• " if p.kind is Block.BULLET else "") + p.text for p in self.paragraphs
        )

    def __bool__(self) -> bool:
        return any(p.text.strip() for p in self.paragraphs)



# --------------------------------------------------------------------------- the rules

#: A paragraph this short (or shorter) may be a sub-heading.
HEADING_MAX_CHARS = 60

#: A cell is HTML (pasted from an older report) if it carries one of these tags.
_HTML_TAG = re.compile(
    r"</?(?:p|ul|ol|li|b|strong|i|em|u|sup|sub|br|span|div|h[1-6])\b", re.IGNORECASE
)
#: ``7th``, ``21st``: the number starts a word and the suffix ends one (not ``14thing``, ``A1st``).
_ORDINAL = re.compile(r"(?<!\w)\d+(st|nd|rd|th)\b")
#: ``ISSUE:``, ``Risks:`` ... at the start of a paragraph.
_MARKER = re.compile(r"(?:issues?|risks?):", re.IGNORECASE)
#: The whitespace a browser collapses (not U+00A0, so ``&nbsp;`` survives inside a paragraph).
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


def parse(text: str) -> RichText:
    """Parse a summary cell into rich text (HTML if it carries tags, else the Markdown subset).

    Never raises. Empty or whitespace-only text gives ``RichText(())``.
    """
    text = text.replace("\0", "\ufffd")  # as markdown-it does; Word cannot hold NUL anyway
    if not text.strip():
        return RichText(())
    drafts = _html_drafts(text) if _HTML_TAG.search(text) else None
    if drafts is None:
        drafts = _markdown_drafts(text)
    return RichText(tuple(p for p in map(_finish, drafts) if p is not None))


@dataclass
class _Draft:
    """A paragraph as parsed, before the shared clean-up and detection rules of ``_finish``."""

    runs: list[Run]
    kind: Block = Block.PARAGRAPH
    level: int = 0
    strip_mark: bool = False  # drop a typed "- ", "* " or "•" at the start (pasted HTML bullets)


# --------------------------------------------------------------------------- Markdown subset


def _digit_star(state: StateInline, silent: bool) -> bool:
    """markdown-it inline rule: ``*`` between two digits is multiplication, not emphasis."""
    src, start = state.src, state.pos
    if src[start] != "*":
        return False
    end = start
    while end < state.posMax and src[end] == "*":
        end += 1
    between_digits = start > 0 and src[start - 1].isdigit()
    if not (between_digits and end < state.posMax and src[end].isdigit()):
        return False
    if not silent:
        state.pending += src[start:end]
    state.pos = end
    return True


@cache
def _markdown() -> MarkdownIt:
    """Inline-only markdown-it: emphasis/strong and literal text; nothing else is markup.

    The "zero" preset has no escapes (``C:\\temp`` keeps its backslash), no entities, no
    HTML, links, code spans or headings, so everything but emphasis delimiters is literal.
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("zero", {"html": False}).enable("emphasis")
    md.inline.ruler.before("emphasis", "digit_star", _digit_star)
    return md


def _markdown_drafts(text: str) -> list[_Draft]:
    """One draft per line: Excel users break paragraphs with a single Alt+Enter."""
    return [_markdown_line(line) for line in text.splitlines()]


def _markdown_line(line: str) -> _Draft:
    """A bullet (``-``/``*`` + space, or ``•``; indented 2+ → level 1), else a paragraph."""
    body = line.lstrip()
    indent = len(line[: len(line) - len(body)].expandtabs(4))
    if body.startswith("•") or (body[:1] in ("-", "*") and body[1:2].isspace()):
        return _Draft(_inline_runs(body[1:]), Block.BULLET, 1 if indent >= 2 else 0)
    return _Draft(_inline_runs(line))


def _inline_runs(content: str) -> list[Run]:
    """Runs of one line, with ``**strong**``/``__strong__`` bold and ``*em*``/``_em_`` italic."""
    runs: list[Run] = []
    bold = italic = 0
    for block in _markdown().parseInline(content):
        for token in block.children or []:
            if token.type in ("strong_open", "strong_close"):
                bold += 1 if token.nesting > 0 else -1
            elif token.type in ("em_open", "em_close"):
                italic += 1 if token.nesting > 0 else -1
            elif token.content:  # "text", and anything unexpected: never drop what was typed
                runs.append(Run(token.content, bold=bold > 0, italic=italic > 0))
    return runs


# --------------------------------------------------------------------------- HTML

_VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "meta", "link", "input", "col", "area", "base"})
_BREAK_TAGS = frozenset({"br", "hr"})
_LIST_TAGS = frozenset({"ul", "ol"})
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_TAGS = _LIST_TAGS | _HEADING_TAGS | frozenset(
    {"p", "div", "li", "blockquote", "table", "tr", "td", "th", "dl", "dt", "dd", "pre"}
    | {"section", "article", "header", "footer"}
)
_TAG_STYLES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "sup": "superscript",
}
_FORMATS = ("bold", "italic", "underline", "superscript")


def _css_styles(style: str) -> set[str]:
    """The formats an inline ``style=""`` asks for (pasted Word HTML uses spans with styles)."""
    found: set[str] = set()
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "font-weight" and value in ("bold", "bolder", "600", "700", "800", "900"):
            found.add("bold")
        elif name == "font-style" and value in ("italic", "oblique"):
            found.add("italic")
        elif name.startswith("text-decoration") and "underline" in value:
            found.add("underline")
        elif name == "vertical-align" and value == "super":
            found.add("superscript")
    return found


class _HtmlBuilder(HTMLParser):
    """Collects drafts from pasted HTML: a stack of open elements gives format and list depth."""

    # <script>/<style> are ordinary unknown tags here: their text is kept, tags inside parsed.
    CDATA_CONTENT_ELEMENTS: tuple[str, ...] = ()
    RCDATA_CONTENT_ELEMENTS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.drafts: list[_Draft] = []
        self._runs: list[Run] = []
        self._open: list[tuple[str, frozenset[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an element; block elements end the paragraph so far."""
        if tag in _BLOCK_TAGS or tag in _BREAK_TAGS:
            self.flush()
        if tag in _VOID_TAGS:
            return
        styles = _css_styles(dict(attrs).get("style") or "")
        if tag in _TAG_STYLES:
            styles.add(_TAG_STYLES[tag])
        self._open.append((tag, frozenset(styles)))

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost open ``tag`` (and anything left open inside it)."""
        names = [name for name, _ in self._open]
        if tag not in names:
            if tag in _BLOCK_TAGS or tag in _BREAK_TAGS:  # a stray </p> or </br>
                self.flush()
            return
        index = len(names) - 1 - names[::-1].index(tag)
        if any(name in _BLOCK_TAGS for name in names[index:]):
            self.flush()
        del self._open[index:]

    def handle_data(self, data: str) -> None:
        """Text, in the format of the open elements (entities already decoded)."""
        styles = set().union(*(styles for _, styles in self._open))
        self._runs.append(Run(data, **{name: name in styles for name in _FORMATS}))

    def flush(self) -> None:
        """End the current paragraph, in the block context it was written in."""
        if not self._runs:
            return
        names = [name for name, _ in self._open]
        depth = sum(1 for name in names if name in _LIST_TAGS)
        if "li" in names:
            draft = _Draft(_collapse(self._runs), Block.BULLET, max(depth - 1, 0), strip_mark=True)
        elif any(name in _HEADING_TAGS for name in names):
            draft = _Draft(_collapse(self._runs), Block.HEADING)
        else:
            draft = _Draft(_collapse(self._runs))
        self.drafts.append(draft)
        self._runs = []


def _html_drafts(text: str) -> list[_Draft] | None:
    """Drafts from HTML, or None if the standard-library parser chokes (then it is not HTML)."""
    builder = _HtmlBuilder()
    try:
        builder.feed(text)
        builder.close()
    except Exception:  # noqa: BLE001 - _markupbase may assert on malformed <! declarations
        return None
    builder.flush()
    return builder.drafts


def _collapse(runs: list[Run]) -> list[Run]:
    """Collapse whitespace as a browser does: any run of it, across runs, is one space."""
    out: list[Run] = []
    after_space = False
    for run in runs:
        text = _HTML_SPACE.sub(" ", run.text)
        if after_space and text.startswith(" "):
            text = text[1:]
        if text:
            out.append(replace(run, text=text))
            after_space = text.endswith(" ")
    return out


# --------------------------------------------------------------------------- shared rules


def _finish(draft: _Draft) -> Paragraph | None:
    """Clean a draft up and apply the detection rules; None if nothing is left of it."""
    runs = _strip(_merge(draft.runs))
    if draft.strip_mark:
        runs = _strip(_drop_typed_bullet(runs))
    if not runs:
        return None
    runs = _superscript_ordinals(runs)
    runs = _emphasise_marker(runs)
    kind = draft.kind
    if kind is Block.PARAGRAPH and _looks_like_heading(runs):
        kind = Block.HEADING
    if kind is Block.HEADING:
        runs = [replace(run, bold=True) for run in runs]
    return Paragraph(tuple(_merge(runs)), kind, draft.level if kind is Block.BULLET else 0)


def _merge(runs: list[Run]) -> list[Run]:
    """Join adjacent runs with the same format; drop empty runs."""
    out: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if out and replace(out[-1], text="") == replace(run, text=""):
            out[-1] = replace(out[-1], text=out[-1].text + run.text)
        else:
            out.append(run)
    return out


def _strip(runs: list[Run]) -> list[Run]:
    """Strip whitespace from both ends of a paragraph (dropping runs that were only that)."""
    runs = [run for run in runs if run.text]
    while runs and not runs[0].text.strip():
        runs.pop(0)
    while runs and not runs[-1].text.strip():
        runs.pop()
    if runs:
        runs[0] = replace(runs[0], text=runs[0].text.lstrip())
        runs[-1] = replace(runs[-1], text=runs[-1].text.rstrip())
    return runs


def _drop_typed_bullet(runs: list[Run]) -> list[Run]:
    """Drop a typed bullet (``- ``, ``* `` or ``•``) that starts a bullet item already."""
    first = runs[0].text if runs else ""
    if first.startswith("•") or (first[:1] in ("-", "*") and first[1:2].isspace()):
        return [replace(runs[0], text=first[1:]), *runs[1:]]
    return runs


def _restyle(runs: list[Run], spans: list[tuple[int, int]], **changes: bool) -> list[Run]:
    """Apply ``changes`` to the characters in ``spans`` (sorted, disjoint), splitting runs."""
    bounds = sorted({offset for span in spans for offset in span})
    starts = [start for start, _ in spans]
    out: list[Run] = []
    low = 0
    for run in runs:
        high = low + len(run.text)
        cuts = [low, *bounds[bisect_right(bounds, low) : bisect_left(bounds, high)], high]
        for a, b in zip(cuts, cuts[1:]):
            piece = replace(run, text=run.text[a - low : b - low])
            span = bisect_right(starts, a) - 1
            inside = span >= 0 and b <= spans[span][1]
            out.append(replace(piece, **changes) if inside else piece)
        low = high
    return out


def _superscript_ordinals(runs: list[Run]) -> list[Run]:
    """``7th`` → ``7`` + superscript ``th`` (the number keeps its format)."""
    text = "".join(run.text for run in runs)
    return _restyle(runs, [m.span(1) for m in _ORDINAL.finditer(text)], superscript=True)


def _emphasise_marker(runs: list[Run]) -> list[Run]:
    """A leading ``ISSUE:``/``RISK:`` (any case, plural too) becomes a bold emphasis run."""
    match = _MARKER.match("".join(run.text for run in runs))
    if match is None:
        return runs
    return _restyle(runs, [(0, match.end())], bold=True, emphasis=True, superscript=False)


def _looks_like_heading(runs: list[Run]) -> bool:
    """Short, no sentence inside, and ending in ``:`` or entirely bold (not ending in ``.``)."""
    text = "".join(run.text for run in runs)
    if len(text) > HEADING_MAX_CHARS or ". " in text:
        return False
    all_bold = all(run.bold or not run.text.strip() for run in runs)
    return text.endswith(":") or (all_bold and not text.endswith("."))
