"""Summary markup: the Markdown subset a programme lead types into a cell, and pasted HTML."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.portfolio.markup import HEADING_MAX_CHARS, Block, Paragraph, RichText, Run, parse

pytestmark = pytest.mark.filterwarnings("error")

P, B, H = Block.PARAGRAPH, Block.BULLET, Block.HEADING

_FLAGS = (
    ("b", "bold"),
    ("i", "italic"),
    ("u", "underline"),
    ("s", "superscript"),
    ("e", "emphasis"),
)


def flags(run: Run) -> str:
    """A run's format as letters: b(old) i(talic) u(nderline) s(uperscript) e(mphasis)."""
    return "".join(letter for letter, name in _FLAGS if getattr(run, name))


def shape(rich: RichText) -> list[tuple[Block, int, list[tuple[str, str]]]]:
    """Each paragraph as (kind, level, [(text, flags), ...])."""
    return [(p.kind, p.level, [(r.text, flags(r)) for r in p.runs]) for p in rich.paragraphs]


def para(*runs: tuple[str, str] | str, kind: Block = P, level: int = 0):
    """An expected paragraph; a bare string is an unformatted run."""
    return (kind, level, [(r, "") if isinstance(r, str) else r for r in runs])


def assert_well_formed(rich: RichText) -> None:
    """Invariants a renderer relies on, whatever the input."""
    for p in rich.paragraphs:
        assert isinstance(p, Paragraph) and p.runs
        assert p.text == p.text.strip() and p.text
        assert all(r.text for r in p.runs)
        assert p.level >= 0 and (p.kind is B or p.level == 0)
        for left, right in zip(p.runs, p.runs[1:]):
            assert flags(left) != flags(right), "adjacent runs with one format are merged"


# --------------------------------------------------------------------------- Markdown subset

MARKDOWN_CASES = {
    "heading_bullets_and_risk": (
        "Progress:\n- did **this**\n- and *that*\nRISK: funding may lapse",
        [
            para(("Progress:", "b"), kind=H),
            para("did ", ("this", "b"), kind=B),
            para("and ", ("that", "i"), kind=B),
            para(("RISK:", "be"), " funding may lapse"),
        ],
    ),
    "typed_bullet_character_is_a_bullet": ("• typed bullet", [para("typed bullet", kind=B)]),
    "typed_bullet_character_needs_no_space": ("•typed", [para("typed", kind=B)]),
    "star_space_is_a_bullet": ("* item", [para("item", kind=B)]),
    "indented_bullets_are_level_one": (
        "- top\n  - sub\n\t• tabbed\n      * deep",
        [
            para("top", kind=B),
            para("sub", kind=B, level=1),
            para("tabbed", kind=B, level=1),
            para("deep", kind=B, level=1),
        ],
    ),
    "one_space_indent_stays_top_level": (" - x", [para("x", kind=B)]),
    "each_line_is_a_paragraph": ("Line one\nLine two", [para("Line one"), para("Line two")]),
    "crlf_and_cr_break_lines": ("a\r\nb\rc", [para("a"), para("b"), para("c")]),
    "blank_lines_are_dropped": ("a\n\n   \nb", [para("a"), para("b")]),
    "paragraphs_are_stripped": ("   padded   \n    indented", [para("padded"), para("indented")]),
    "internal_spacing_is_kept": ("two  spaces\tand tab", [para("two  spaces\tand tab")]),
    "empty_bullet_is_dropped": ("- \n-\nx", [para("-"), para("x")]),
    "dash_without_space_is_text": ("-5% variance", [para("-5% variance")]),
    "double_underscore_bold_and_single_italic": (
        "__bold__ and _italic_",
        [para(("bold", "b"), " and ", ("italic", "i"))],
    ),
    "bold_italic": ("***both***", [para(("both", "bi"), kind=H)]),
    "unclosed_bold_is_literal": ("unclosed **bold", [para("unclosed **bold")]),
    "intraword_underscores_are_literal": (
        "snake_case_name and 2*3*4",
        [para("snake_case_name and 2*3*4")],
    ),
    # A star between digits is multiplication (a custom markdown-it rule); between letters it
    # is CommonMark intraword emphasis.
    "star_between_letters_is_emphasis": ("a*b*c", [para("a", ("b", "i"), "c")]),
    # ----- sub-headings
    "short_line_ending_in_colon_is_heading": ("Next steps:", [para(("Next steps:", "b"), kind=H)]),
    "whole_bold_short_line_is_heading": ("**Workforce**", [para(("Workforce", "b"), kind=H)]),
    "bold_sentence_is_not_heading": (
        "**All milestones met.**",
        [para(("All milestones met.", "b"))],
    ),
    "partly_bold_line_is_not_heading": ("**Key** point", [para(("Key", "b"), " point")]),
    "line_with_a_sentence_is_not_heading": (
        "Done. Next steps:",
        [para("Done. Next steps:")],
    ),
    "long_line_ending_in_colon_is_not_heading": (
        "x" * HEADING_MAX_CHARS + ":",
        [para("x" * HEADING_MAX_CHARS + ":")],
    ),
    "colon_line_at_the_limit_is_heading": (
        "x" * (HEADING_MAX_CHARS - 1) + ":",
        [para(("x" * (HEADING_MAX_CHARS - 1) + ":", "b"), kind=H)],
    ),
    "bullet_ending_in_colon_stays_bullet": ("- Next steps:", [para("Next steps:", kind=B)]),
    # ----- ISSUE: / RISK:
    "issue_marker": ("ISSUE: pensions taper", [para(("ISSUE:", "be"), " pensions taper")]),
    "bold_issue_marker": ("**ISSUE:** pensions", [para(("ISSUE:", "be"), " pensions")]),
    "bold_marker_and_text_split": (
        "**RISK: no funding** beyond March",
        [para(("RISK:", "be"), (" no funding", "b"), " beyond March")],
    ),
    "markers_are_case_insensitive_and_plural": (
        "issues: a\nRisks: b\nIssue: c",
        [para(("issues:", "be"), " a"), para(("Risks:", "be"), " b"), para(("Issue:", "be"), " c")],
    ),
    "marker_in_a_bullet": ("- RISK: slippage", [para(("RISK:", "be"), " slippage", kind=B)]),
    "marker_alone_is_a_heading": ("RISKS:", [para(("RISKS:", "be"), kind=H)]),
    "marker_needs_to_start_the_line": ("An ISSUE: x", [para("An ISSUE: x")]),
    "marker_needs_the_colon_after_the_word": ("RISKY: x", [para("RISKY: x")]),
    # ----- ordinals
    "ordinals_are_superscripted": (
        "1st 2nd 3rd 21st 7th",
        [
            para(
                "1", ("st", "s"), " 2", ("nd", "s"), " 3", ("rd", "s"), " 21", ("st", "s"),
                " 7", ("th", "s"),
            )
        ],
    ),
    "ordinal_before_a_hyphen": ("2nd-line", [para("2", ("nd", "s"), "-line")]),
    "ordinal_inside_bold_stays_bold": (
        "on **7th** July",
        [para("on ", ("7", "b"), ("th", "bs"), " July")],
    ),
    "suffix_inside_a_word_is_not_ordinal": ("14thing", [para("14thing")]),
    "number_inside_a_word_is_not_ordinal": ("A1st B2nd", [para("A1st B2nd")]),
    "fractions_are_untouched": ("19/20", [para("19/20")]),
    # ----- everything else is literal
    "template_syntax_is_literal": (
        "{{ 7*7 }} {% for x in y %}",
        [para("{{ 7*7 }} {% for x in y %}")],
    ),
    "angle_and_ampersand_are_literal": ("a < b & c", [para("a < b & c")]),
    "entities_are_literal_outside_html": ("A&amp;E", [para("A&amp;E")]),
    "unknown_tags_are_literal_outside_html": (
        "<script>alert(1)</script>",
        [para("<script>alert(1)</script>")],
    ),
    "markdown_heading_is_literal": ("# 1 priority", [para("# 1 priority")]),
    "numbered_list_is_literal": ("1. foo\n2) bar", [para("1. foo"), para("2) bar")]),
    "link_code_and_table_are_literal": (
        "[link](http://x) `code` | a | b |",
        [para("[link](http://x) `code` | a | b |")],
    ),
    "quote_and_plus_are_literal": ("> quoted\n+ plus", [para("> quoted"), para("+ plus")]),
    "backslash_is_kept": ("C:\\temp\\new", [para("C:\\temp\\new")]),
    # No backslash escapes: the backslash is kept and the stars still mark emphasis.
    "backslash_does_not_escape": ("\\*not escaped*", [para("\\", ("not escaped", "i"))]),
    "nul_becomes_replacement_character": ("a\0b", [para("a\ufffdb")]),
}


@pytest.mark.parametrize(
    ("text", "expected"), list(MARKDOWN_CASES.values()), ids=list(MARKDOWN_CASES)
)
def test_markdown_subset(text: str, expected: list) -> None:
    rich = parse(text)
    assert shape(rich) == expected
    assert_well_formed(rich)


# --------------------------------------------------------------------------- pasted HTML

SEED_CAMHS = (
    '<ul style="list-style-type: none"> <li>On 7th July led the 7 borough CAMHS learning '
    "collaborative.</li> <li>On 9th July we led a meeting between SLaM and the 4 borough "
    "commissioners.</li> </ul>"
)
SEED_ISSUE = (
    "<p>The network has collated data.</p> "
    "<p><b>ISSUE:</b> Senior Clinicians pensions tax relief taper.</p>"
)
SEED_WORKFORCE = (
    '<p><b>Workforce</b></p> <ul style="list-style-type: none"> <li>HEE bids submitted for '
    "the total allocation of £150K.</li> </ul> <p><b>Compact</b></p>"
)

HTML_CASES = {
    "seed_bullets_with_ordinals": (
        SEED_CAMHS,
        [
            para(
                "On 7", ("th", "s"), " July led the 7 borough CAMHS learning collaborative.", kind=B
            ),
            para(
                "On 9", ("th", "s"), " July we led a meeting between SLaM and the 4 borough "
                "commissioners.", kind=B,
            ),
        ],
    ),
    "seed_bold_issue_marker": (
        SEED_ISSUE,
        [
            para("The network has collated data."),
            para(("ISSUE:", "be"), " Senior Clinicians pensions tax relief taper."),
        ],
    ),
    "seed_bold_paragraphs_are_headings": (
        SEED_WORKFORCE,
        [
            para(("Workforce", "b"), kind=H),
            para("HEE bids submitted for the total allocation of £150K.", kind=B),
            para(("Compact", "b"), kind=H),
        ],
    ),
    "seed_sup_and_entities": (
        "Following their approval on 1<sup>st</sup> July, in A&amp;E",
        [para("Following their approval on 1", ("st", "s"), " July, in A&E")],
    ),
    "seed_underline": (
        "<p><u>Increase in R2A:</u> Monthly reporting</p>",
        [para(("Increase in R2A:", "u"), " Monthly reporting")],
    ),
    "seed_typed_dash_in_li_is_dropped": (
        "<ul><li>- Pan London medical agency spend</li><li>• typed</li><li>-5% kept</li></ul>",
        [
            para("Pan London medical agency spend", kind=B),
            para("typed", kind=B),
            para("-5% kept", kind=B),
        ],
    ),
    "seed_inline_underline": (
        "<p>See <u>New risks/ ongoing risks</u> below</p>",
        [para("See ", ("New risks/ ongoing risks", "u"), " below")],
    ),
    "bold_colon_paragraph_is_heading": (
        "<p><b>Progress last period:</b></p>",
        [para(("Progress last period:", "b"), kind=H)],
    ),
    "bold_lead_in_stays_paragraph": (
        "<p><b>Early Diagnosis and Screening:</b> Participation in screening rose</p>",
        [para(("Early Diagnosis and Screening:", "b"), " Participation in screening rose")],
    ),
    "nested_lists_give_levels": (
        "<ul><li>top<ul><li>sub<ul><li>subsub</li></ul></li></ul></li><li>next</li></ul>",
        [
            para("top", kind=B),
            para("sub", kind=B, level=1),
            para("subsub", kind=B, level=2),
            para("next", kind=B),
        ],
    ),
    "ordered_list_items_are_bullets": (
        "<ol><li>one</li><li>two</li></ol>",
        [para("one", kind=B), para("two", kind=B)],
    ),
    "br_breaks_paragraphs": (
        "<p>one<br>two<br/>three</p>",
        [para("one"), para("two"), para("three")],
    ),
    "whitespace_collapses_like_a_browser": (
        "<p>  a \n\t b  <b> c </b> d </p>",
        [para("a b ", ("c ", "b"), "d")],
    ),
    "newlines_are_whitespace_in_html": ("<b>x</b> one\ntwo", [para(("x", "b"), " one two")]),
    "nbsp_is_kept_inside_and_spacer_paragraphs_dropped": (
        "<p>&nbsp;</p><p>£1&nbsp;m</p>",
        [para("£1\u00a0m")],
    ),
    "italic_em_strong": (
        "<p><i>a</i> <em>b</em> <strong>c</strong></p>",
        [para(("a", "i"), " ", ("b", "i"), " ", ("c", "b"))],
    ),
    "span_styles_from_word": (
        '<p><span style="font-weight: bold">b</span> <span style="FONT-STYLE:italic">i</span> '
        '<span style="text-decoration: underline">u</span>'
        '<span style="vertical-align:super">s</span></p>',
        [para(("b", "b"), " ", ("i", "i"), " ", ("u", "u"), ("s", "s"))],
    ),
    "unknown_tags_keep_their_text": (
        '<div><font color="red">red</font> text <a href="#">link</a></div>',
        [para("red text link")],
    ),
    "script_text_is_kept_and_tags_inside_parsed": (
        "<p>x</p><script>if (a <b>b</b>) {}</script>",
        [para("x"), para("if (a ", ("b", "b"), ") {}")],
    ),
    "comments_are_dropped": ("<p>a<!-- hidden -->b</p>", [para("ab")]),
    "html_headings_are_headings": (
        "<h3>Risks and issues</h3>",
        [para(("Risks and issues", "b"), kind=H)],
    ),
    "unclosed_bold_runs_to_the_end": (
        "<p><b>all bold. Really all of it</p>",
        [para(("all bold. Really all of it", "b"))],
    ),
    "stray_end_tags_are_ignored": ("</b>x</li></p>y", [para("x"), para("y")]),
    "literal_angle_in_html_is_text": ("<p>a < b &amp; c</p>", [para("a < b & c")]),
    "unknown_entity_is_literal": ("<p>&bogus; &lt;</p>", [para("&bogus; <")]),
    "tag_names_are_case_insensitive": ("<P><B>Bold</B> x</P>", [para(("Bold", "b"), " x")]),
    # html.parser asserts on some malformed "<![" declarations: the cell is then read as the
    # Markdown subset, so the tags show but no text is lost.
    "unparseable_html_falls_back_to_literal_text": (
        "<p>Milestone <![[ text</p>",
        [para("<p>Milestone <![[ text</p>")],
    ),
}


@pytest.mark.parametrize(("text", "expected"), list(HTML_CASES.values()), ids=list(HTML_CASES))
def test_pasted_html(text: str, expected: list) -> None:
    rich = parse(text)
    assert shape(rich) == expected
    assert_well_formed(rich)


@pytest.mark.parametrize(
    "text", ["", " ", "\n\n", " \t\r\n ", "<p> </p>", "<ul><li></li></ul>", "- \n* "]
)
def test_nothing_to_say_is_empty(text: str) -> None:
    assert parse(text) == RichText(())
    assert not parse(text)


def test_plain_prefixes_bullets() -> None:
    assert parse("Intro:\n- a\nb").plain == "Intro:\n• a\nb"


# --------------------------------------------------------------------------- properties

_HTML_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<ul>", "</ul>", "<ol>", "<li>", "</li>", "<b>", "</b>", "<i>", "</em>",
        "<u>", "<sup>", "</sup>", "<br>", "<br/>", "<span style='font-weight:700'>", "</span>",
        "<div>", "<h2>", "<script>", "<!-- x -->", "<!", "<![", "<![if x]>", "<?php", "</",
        "&amp;", "&nbsp;", "&#0;", "&#xd800;", "&", "<", ">", "ISSUE:", "risk:", "7th", "1",
        "st", "- ", "• ", "*", "**", "_", " ", "\n", "text", ":", ". ", "\\",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    assert_well_formed(parse(text))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_HTML_PIECES, st.text(max_size=5))).map("".join))
def test_never_raises_on_tag_soup(text: str) -> None:
    assert_well_formed(parse(text))


_MARKUP = "*_-•"
#: Everything but emphasis delimiters, bullet markers and "<" (which may switch to HTML mode).
_LITERAL = st.text(st.characters(exclude_characters=_MARKUP + "<\0", exclude_categories=("Cs",)))


@settings(max_examples=300, deadline=None)
@given(_LITERAL)
def test_text_without_markup_survives_exactly(text: str) -> None:
    """Survival: one paragraph per non-blank line (``str.splitlines``), each ``str.strip``-ped.

    Internal whitespace is kept as typed in Markdown mode; backslashes, ``&``, ``#``, ``[``,
    ``|``, ``{{ }}`` ... are all literal.
    """
    expected = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    assert parse(text).plain == expected


def _visible(text: str) -> str:
    """Non-whitespace characters other than markup characters, in order."""
    return "".join(c for c in "".join(text.split()) if c not in _MARKUP)


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_characters="<\0", exclude_categories=("Cs",))))
def test_only_markup_characters_are_consumed(text: str) -> None:
    """With emphasis and bullets in play, only ``* _ - •`` (and whitespace) may disappear."""
    rich = parse(text)
    assert _visible("".join(p.text for p in rich.paragraphs)) == _visible(text)
