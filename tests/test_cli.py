"""The CLI in-process: init, validate on the sample, text surviving a round trip through Excel."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLE, basic_sheets, write_workbook
from generator.cli import main
from generator.portfolio.markup import parse
from generator.workbook.read import read_workbook
from generator.workbook.validate import validate


def test_sample_validates_and_lists_june_to_august():
    result = CliRunner().invoke(main, ["validate", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    for label in ("June 2019", "July 2019", "August 2019"):
        assert label in result.output


def test_init_writes_a_workbook_that_reads_back(tmp_path):
    path = tmp_path / "new.xlsx"
    result = CliRunner().invoke(main, ["init", str(path), "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(path)
    assert {"Instructions", "Settings", "Programmes", "2026-11"} <= set(wb.sheetnames)
    ws = wb["2026-11"]
    assert ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:5] == ["Programme", "Project ID", "Project", "Lead", "RAG"]
    assert any("Red" in (dv.formula1 or "") for dv in ws.data_validations.dataValidation)
    raw = read_workbook(path)
    assert [s.name for s in raw.sheets][:1] == ["Instructions"]


def test_init_refuses_to_overwrite(tmp_path):
    path = tmp_path / "new.xlsx"
    path.write_bytes(b"precious")
    result = CliRunner().invoke(main, ["init", str(path)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert path.read_bytes() == b"precious"


def test_unknown_command_option_is_a_usage_error():
    result = CliRunner().invoke(main, ["validate", "--nope"])
    assert result.exit_code == 2


# Text typed in Excel survives reading apart from the documented cleaning (no control characters,
# which Excel cannot store; CR LF becomes LF; surrounding spaces are trimmed).
typed = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff") | st.sampled_from("\n\t"),
    min_size=1, max_size=200,
).filter(lambda s: s.strip() and not re.search(r"_x[0-9A-Fa-f]{4}_", s) and not s.strip().startswith("="))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=typed)
def test_any_text_survives_reading(tmp_path_factory, text):
    sheets = basic_sheets()
    sheets["2019-08"][1][5] = text
    path = write_workbook(tmp_path_factory.mktemp("wb") / "p.xlsx", sheets)
    result = validate(read_workbook(path))
    assert result.ok, result.errors
    assert result.portfolio.months[-1].statuses[0].summary == text.strip()


@settings(max_examples=200, deadline=None)
@given(text=typed)
def test_parsing_keeps_every_word(text):
    words = re.findall(r"[0-9A-Za-z]+", text)
    parsed_words = re.findall(r"[0-9A-Za-z]+", parse(text).plain)
    assert "".join(words) == "".join(parsed_words)
