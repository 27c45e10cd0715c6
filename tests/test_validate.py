"""Validation: each rule exits 1 (or 2) through the CLI, naming sheet, row and value."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.portfolio.model import Rag
from generator.workbook.read import read_workbook
from generator.workbook.validate import clean_text, parse_month_sheet_name, validate


def run_validate(path: Path, *args: str):
    result = CliRunner().invoke(main, ["validate", str(path), "--json", *args])
    data = json.loads(result.output) if result.output.strip().startswith("{") else None
    return result, data


def errors_of(data) -> list[dict]:
    return data["errors"]


def test_valid_workbook_exits_0_and_lists_months(make_workbook, sheets):
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 0, result.output
    assert data["months"] == ["2019-07", "2019-08"]
    assert data["errors"] == []


def test_plain_output_lists_months_and_says_valid(make_workbook, sheets):
    result = CliRunner().invoke(main, ["validate", str(make_workbook(sheets))])
    assert result.exit_code == 0
    assert "July 2019" in result.output and "August 2019" in result.output
    assert "valid" in result.output


def _only_error(data) -> dict:
    assert len(data["errors"]) == 1, data["errors"]
    return data["errors"][0]


def test_missing_programmes_sheet(make_workbook, sheets):
    del sheets["Programmes"]
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    assert any(e["sheet"] == "Programmes" and "missing" in e["message"] for e in errors_of(data))


def test_no_month_sheet(make_workbook, sheets):
    del sheets["2019-07"], sheets["2019-08"]
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    assert "no month sheet" in _only_error(data)["message"]


def test_missing_required_column_names_the_column(make_workbook, sheets):
    for row in sheets["2019-08"]:
        del row[5]  # Summary
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert (error["sheet"], error["row"], error["column"]) == ("2019-08", 1, "Summary")
    assert "Commentary" in error["hint"]


def test_unknown_programme_suggests_closest(make_workbook, sheets):
    sheets["2019-08"][2][0] = "Clinicl"
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert (error["sheet"], error["row"], error["column"]) == ("2019-08", 3, "Programme")
    assert '"Clinicl"' in error["message"] and 'did you mean "Clinical"' in error["hint"]


def test_duplicate_project_id_names_both_rows(make_workbook, sheets):
    sheets["2019-08"][3][1] = "CLIN-01"
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert error["row"] == 4 and "rows 2 and 4" in error["message"] and "CLIN-01" in error["message"]


@pytest.mark.parametrize("value", ["Redd", "Purple", "5"])
def test_invalid_rag_lists_accepted_values_and_labels(make_workbook, sheets, value):
    sheets["2019-08"][1][4] = value
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert (error["sheet"], error["row"], error["column"]) == ("2019-08", 2, "RAG")
    assert f'"{value}"' in error["message"]
    assert "Red, Amber, Green" in error["hint"] and "On plan" in error["hint"]
    assert "2019-08 › row 2 › RAG" in error["text"]


def test_missing_rag(make_workbook, sheets):
    sheets["2019-08"][1][4] = None
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert error["column"] == "RAG" and "empty" in error["message"]


def test_blue_without_brag_scale(make_workbook, sheets):
    sheets["2019-08"][1][4] = "Blue"
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert "not on the RAG scale" in error["message"] and "BRAG" in error["hint"]


def test_blue_accepted_with_brag_scale(make_workbook, sheets):
    sheets["Settings"][3][1] = "BRAG"
    sheets["2019-08"][1][4] = "Complete"
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 0, data


@pytest.mark.parametrize("value,expected", [
    ("amber", Rag.AMBER), ("A", Rag.AMBER), (" g ", Rag.GREEN),
    ("At risk of not being delivered", Rag.AMBER), ("ON PLAN", Rag.GREEN), ("delayed", Rag.RED),
])
def test_rag_accepts_colour_letter_and_programme_label(make_workbook, sheets, value, expected):
    sheets["2019-08"][1][4] = value
    result = validate(read_workbook(make_workbook(sheets)))
    assert result.ok, result.errors
    status = result.portfolio.months[-1].statuses[0]
    assert status.rag is expected


def test_other_programmes_label_is_not_accepted(make_workbook, sheets):
    sheets["2019-08"][3][4] = "On plan"  # a Clinical label on a Productivity row
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    assert "On track" in _only_error(data)["hint"]


def test_dca_scale_accepts_amber_red(make_workbook, sheets):
    sheets["Settings"][3][1] = "DCA"
    sheets["2019-08"][1][4] = "Amber/Red"
    sheets["2019-08"][2][4] = "A/G"
    result = validate(read_workbook(make_workbook(sheets)))
    assert result.ok, result.errors
    assert [s.rag for s in result.portfolio.months[-1].statuses][:2] == [Rag.AMBER_RED, Rag.AMBER_GREEN]


def test_empty_summary(make_workbook, sheets):
    sheets["2019-08"][2][5] = "   "
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert (error["row"], error["column"]) == (3, "Summary") and "Cancer" in error["message"]


def test_two_sheets_for_one_month(make_workbook, sheets):
    sheets["Aug 2019"] = sheets["2019-08"]
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = _only_error(data)
    assert "2019-08" in error["message"] and "Aug 2019" in error["message"]


def test_formula_without_cached_value(make_workbook, sheets):
    sheets["2019-08"][1][5] = '=CONCATENATE("a","b")'  # openpyxl stores no cached value
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    error = next(e for e in data["errors"] if "formula" in e["message"])
    assert (error["sheet"], error["row"], error["column"]) == ("2019-08", 2, "Summary")


def test_every_problem_reported_in_one_pass(make_workbook, sheets):
    sheets["2019-08"][1][4] = "Redd"
    sheets["2019-08"][2][0] = "Nope"
    sheets["2019-07"][3][5] = ""
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    assert len(data["errors"]) == 3


def test_validate_never_modifies_the_workbook(make_workbook, sheets):
    sheets["2019-08"][1][4] = "Redd"
    path = make_workbook(sheets)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    run_validate(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


# --- tolerated with a warning ---------------------------------------------------------------

def test_header_synonyms_case_and_punctuation(make_workbook, sheets):
    for name in ("2019-07", "2019-08"):
        sheets[name][0] = ["PROGRAMME", "ref", "Project name", "lead", "RAG status", "Commentary",
                           "Key issues", "Next  steps", "Escalations"]
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 0, data
    notes = " ".join(n["message"] for n in data["notes"])
    assert '"Commentary" read as Summary' in notes and '"RAG status" read as RAG' in notes


def test_unknown_columns_blank_rows_and_padding_are_warnings(make_workbook, sheets):
    sheets["2019-08"][0].append("Budget")
    sheets["2019-08"][1].append("£5m")
    sheets["2019-08"].insert(2, [None] * 9)
    sheets["2019-08"][1][1] = "  CLIN-01  "
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 0, data
    text = " ".join(w["text"] for w in data["warnings"])
    assert '"Budget"' in text and "blank row" in text and "spaces" in text
    portfolio = validate(read_workbook(make_workbook(sheets))).portfolio
    assert portfolio.months[-1].statuses[0].project_id == "CLIN-01"


def test_numbers_and_dates_in_text_columns_become_text(make_workbook, sheets):
    sheets["2019-08"][1][1] = 101
    sheets["2019-08"][1][5] = dt.datetime(2019, 8, 7)
    result = validate(read_workbook(make_workbook(sheets)))
    assert result.ok
    status = result.portfolio.months[-1].statuses[0]
    assert status.project_id == "101" and status.summary == "7 August 2019"
    assert any("number" in w.message for w in result.warnings)
    assert any("date" in w.message for w in result.warnings)


def test_excel_escapes_and_control_characters_are_cleaned(make_workbook, sheets):
    sheets["2019-08"][1][5] = "Line one_x000B_Line two_x0001_ end"
    result = validate(read_workbook(make_workbook(sheets)))
    assert result.ok
    assert result.portfolio.months[-1].statuses[0].summary == "Line one\nLine two end"
    assert result.warnings


@pytest.mark.parametrize("text,expected", [
    ("a_x000B_b", "a\nb"), ("a\x0bb", "a\nb"), ("a\x00\x1fb", "ab"), ("tab\tok", "tab\tok"),
    ("_x005F_x000B_", "_x000B_"), ("win\r\nline", "win\nline"),
])
def test_clean_text(text, expected):
    assert clean_text(text)[0] == expected


@pytest.mark.parametrize("name,key", [
    ("2019-08", "2019-08"), ("Aug 2019", "2019-08"), ("August 2019", "2019-08"), (" sept  2019 ", "2019-09"),
    ("Instructions", None), ("2019-13", None), ("Programme RAG", None),
])
def test_month_sheet_names(name, key):
    month = parse_month_sheet_name(name)
    assert (month.key if month else None) == key


def test_extra_rag_column_is_a_dimension(make_workbook, sheets):
    for name in ("2019-07", "2019-08"):
        sheets[name][0].insert(5, "Savings RAG")
        for row in sheets[name][1:]:
            row.insert(5, "Green" if row[0] == "Productivity" else None)
    sheets["Settings"].append(["Savings RAG", "Do plans meet the savings target?"])
    result = validate(read_workbook(make_workbook(sheets)))
    assert result.ok, result.errors
    p = result.portfolio
    assert p.dimensions == ("Savings RAG",)
    assert p.settings.dimension_title("Savings RAG") == "Do plans meet the savings target?"
    assert p.months[-1].statuses[2].extra["Savings RAG"] is Rag.GREEN


def test_invalid_extra_rag_is_an_error(make_workbook, sheets):
    sheets["2019-08"][0].append("Savings RAG")
    sheets["2019-08"][1].append("Maybe")
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    assert _only_error(data)["column"] == "Savings RAG"


def test_programme_rag_sheet(make_workbook, sheets):
    sheets["Programme RAG"] = [["Month", "Programme", "RAG", "Comment"],
                               ["2019-08", "Clinical", "Amber", "Steady"],
                               ["2019-08", "Nowhere", "Amber", ""]]
    result, data = run_validate(make_workbook(sheets))
    assert result.exit_code == 1
    assert _only_error(data)["row"] == 3
    sheets["Programme RAG"].pop()
    portfolio = validate(read_workbook(make_workbook(sheets))).portfolio
    assert portfolio.months[-1].programme_rags["Clinical"].rag is Rag.AMBER


def test_month_option_must_exist(make_workbook, sheets):
    result, data = run_validate(make_workbook(sheets), "--month", "2019-09")
    assert result.exit_code == 1
    assert "2019-09" in _only_error(data)["message"]


def test_bad_month_option_is_a_usage_error(make_workbook, sheets):
    result = CliRunner().invoke(main, ["validate", str(make_workbook(sheets)), "--month", "August"])
    assert result.exit_code == 2 and "2019-08" in result.output


# --- unreadable files: exit 2 with one plain line ----------------------------------------------

def _corrupt(tmp: Path, make_workbook, sheets) -> Path:
    good = make_workbook(sheets).read_bytes()
    path = tmp / "truncated.xlsx"
    path.write_bytes(good[: len(good) // 2])
    return path


def _not_a_workbook_zip(tmp: Path) -> Path:
    path = tmp / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    return path


def _encrypted(tmp: Path) -> Path:
    # an OLE compound file whose directory names the EncryptionInfo stream, as Excel writes it
    path = tmp / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le"))
    return path


def _legacy_xls(tmp: Path) -> Path:
    path = tmp / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "Workbook".encode("utf-16-le"))
    return path


@pytest.mark.parametrize("case,words", [
    ("missing", "no such file"), ("empty", "empty"), ("csv", "CSV"), ("xls", "legacy"),
    ("truncated", "corrupt"), ("zip", "not an Excel workbook"), ("encrypted", "encrypted"),
    ("docx", "Word document"),
])
def test_unreadable_files_exit_2_with_one_line(tmp_path, make_workbook, sheets, case, words):
    paths = {
        "missing": lambda: tmp_path / "nope.xlsx",
        "empty": lambda: (tmp_path / "empty.xlsx").write_bytes(b"") or tmp_path / "empty.xlsx",
        "csv": lambda: _csv(tmp_path),
        "xls": lambda: _legacy_xls(tmp_path),
        "truncated": lambda: _corrupt(tmp_path, make_workbook, sheets),
        "zip": lambda: _not_a_workbook_zip(tmp_path),
        "encrypted": lambda: _encrypted(tmp_path),
        "docx": lambda: _docx(tmp_path),
    }
    path = paths[case]()
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert words in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) <= 2


def _csv(tmp: Path) -> Path:
    path = tmp / "p.csv"
    path.write_text("Programme,RAG\nClinical,Red\n")
    return path


def _docx(tmp: Path) -> Path:
    import docx

    path = tmp / "report.xlsx"
    docx.Document().save(path)
    return path


def test_default_workbook_is_the_one_in_inputs(tmp_path, make_workbook, sheets, monkeypatch):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    from conftest import write_workbook

    write_workbook(inputs / "portfolio.xlsx", sheets)
    (inputs / "~$portfolio.xlsx").write_bytes(b"lock")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    write_workbook(inputs / "second.xlsx", sheets)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2 and "several" in result.output


def test_no_workbook_in_inputs(tmp_path, monkeypatch):
    (tmp_path / "inputs").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 2 and "no .xlsx" in result.output


def test_read_only_reader_sees_rows_beyond_a_wrong_dimension(tmp_path, sheets, make_workbook):
    path = make_workbook(sheets)
    # rewrite the <dimension> of the month sheet to claim one cell only, as some tools do
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    wb = openpyxl.load_workbook(path)
    index = wb.sheetnames.index("2019-08") + 1
    part = f"xl/worksheets/sheet{index}.xml"
    import re

    parts[part] = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1"/>', parts[part])
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    result = validate(read_workbook(path))
    assert result.ok and len(result.portfolio.months[-1].statuses) == 3
