"""Tests for the monthly cycle: new-month, returns and collect (generator.workbook.edit, cycle_cli)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.comments import Comment
from openpyxl.worksheet.datavalidation import DataValidation

from generator.cycle_cli import collect as collect_cmd
from generator.cycle_cli import new_month as new_month_cmd
from generator.cycle_cli import returns as returns_cmd
from generator.errors import PmoError
from generator.portfolio.model import Month, Rag
from generator.portfolio.returns import Reason, SheetRow, outstanding, similarity
from generator.workbook import edit
from generator.workbook.read import read_workbook
from generator.workbook.validate import validate

from conftest import HEADERS, SAMPLE, basic_sheets, write_workbook

NOW = dt.datetime(2019, 9, 2, 9, 30, 0)
THREADED_CT = "application/vnd.ms-excel.threadedcomments+xml"
THREADED_REL = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
X14_URI = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the sample workbook in tmp_path/inputs/."""
    folder = tmp_path / "inputs"
    folder.mkdir()
    return Path(shutil.copy(SAMPLE, folder / SAMPLE.name))


def snapshot(path: Path) -> dict[str, dict[str, object]]:
    """Every sheet's cell values and number formats, data validations, notes and widths."""
    wb = openpyxl.load_workbook(path)
    shot: dict[str, dict[str, object]] = {}
    for ws in wb.worksheets:
        cells = {c.coordinate: (c.value, c.number_format) for row in ws.iter_rows() for c in row
                 if c.value is not None or c.number_format != "General"}
        shot[ws.title] = {
            "cells": cells,
            "validations": sorted((str(d.sqref), d.type, d.formula1) for d in ws.data_validations.dataValidation),
            "comments": {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment},
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.customWidth},
            "freeze": ws.freeze_panes,
        }
    return shot


def sheet_part(path: Path, title: str) -> str:
    """The zip part name of sheet ``title``."""
    with zipfile.ZipFile(path) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', workbook).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    name = target.group(1).lstrip("/")
    return name if name.startswith("xl/") else f"xl/{name}"


def rewrite_zip(path: Path, change) -> None:
    """Rewrite the package at ``path``: ``change(parts)`` edits a dict of part name -> bytes."""
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def inject_threaded_comments(path: Path, title: str, count: int = 2) -> None:
    """Add a threaded-comments part (Excel's @-mention comments) to sheet ``title``."""
    part = sheet_part(path, title)
    folder, base = part.rsplit("/", 1)
    rels_name = f"{folder}/_rels/{base}.rels"
    comments = "".join(
        f'<threadedComment ref="G{n + 2}" dT="2019-08-20T10:00:00.00" personId="{{00000000-0000-0000-0000-000000000001}}" '
        f'id="{{00000000-0000-0000-0000-00000000000{n}}}"><text>Please check this @Sam</text></threadedComment>'
        for n in range(count)
    )
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
           f'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{comments}</ThreadedComments>')

    def change(parts: dict[str, bytes]) -> None:
        parts["xl/threadedComments/threadedComment1.xml"] = xml.encode()
        types = parts["[Content_Types].xml"].decode()
        parts["[Content_Types].xml"] = types.replace(
            "</Types>",
            f'<Override PartName="/xl/threadedComments/threadedComment1.xml" ContentType="{THREADED_CT}"/></Types>',
        ).encode()
        rel = f'<Relationship Id="rIdTC1" Type="{THREADED_REL}" Target="../threadedComments/threadedComment1.xml"/>'
        if rels_name in parts:
            parts[rels_name] = parts[rels_name].decode().replace("</Relationships>", rel + "</Relationships>").encode()
        else:
            parts[rels_name] = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f"{rel}</Relationships>"
            ).encode()

    rewrite_zip(path, change)


def inject_x14_validation(path: Path, title: str) -> None:
    """Add an x14 data validation (a dropdown whose list is on another sheet) to sheet ``title``."""
    part = sheet_part(path, title)
    ext = (
        f'<extLst><ext uri="{X14_URI}" xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        '<x14:dataValidation type="list" allowBlank="1" showErrorMessage="1"><x14:formula1>'
        "<xm:f>Programmes!$A$2:$A$20</xm:f></x14:formula1><xm:sqref>A2:A200</xm:sqref>"
        "</x14:dataValidation></x14:dataValidations></ext></extLst>"
    )

    def change(parts: dict[str, bytes]) -> None:
        parts[part] = parts[part].decode().replace("</worksheet>", ext + "</worksheet>").encode()

    rewrite_zip(path, change)


# --- new-month ----------------------------------------------------------------------------------


def test_new_month_adds_next_month_with_open_projects(sample: Path) -> None:
    before = snapshot(sample)
    original = sample.read_bytes()
    result = edit.new_month(sample, now=NOW)

    assert result.sheet == "2019-09" and result.source == "2019-08"
    wb = openpyxl.load_workbook(sample)
    assert wb.sheetnames.index("2019-09") == wb.sheetnames.index("2019-08") + 1
    assert wb.sheetnames[-1] == "Programme RAG"
    ws, aug = wb["2019-09"], wb["2019-08"]
    headers = [c.value for c in ws[1]]
    assert headers == [c.value for c in aug[1]] + [edit.REFERENCE_HEADER]
    aug_rows = list(aug.iter_rows(min_row=2, values_only=True))
    new_rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(new_rows) == len(aug_rows) == 15
    for old, new in zip(aug_rows, new_rows):
        assert new[:6] == old[:6]  # Programme, Project ID, Project, Lead, RAG, Savings RAG
        assert new[6:10] == (None, None, None, None)  # Summary, Issues, Next steps, Decisions
        assert new[10] == old[6]  # last month's summary, for reference
    # dropdowns with the scale on RAG and Savings RAG, frozen styled header, widths as August
    dropdowns = {str(d.sqref): d.formula1 for d in ws.data_validations.dataValidation}
    assert dropdowns == {"E2:E200": '"Red,Amber,Green"', "F2:F200": '"Red,Amber,Green"'}
    assert ws.freeze_panes == "A2" and ws["A1"].font.bold
    for letter in "ABCDEFGHIJ":
        assert ws.column_dimensions[letter].width == aug.column_dimensions[letter].width
    assert ws["G2"].alignment.wrap_text
    # the reference column is locked, everything else open; earlier months protected
    assert ws.protection.sheet
    assert ws["K2"].protection.locked and not ws["G2"].protection.locked and not ws["E2"].protection.locked
    assert all(wb[m].protection.sheet for m in ("2019-06", "2019-07", "2019-08"))
    assert result.protected == ["2019-06", "2019-07", "2019-08"]
    # June-August and every other sheet unchanged
    after = snapshot(sample)
    for title, shot in before.items():
        assert after[title] == shot, title
    # backup of the original
    assert result.backup == sample.parent / ".backup" / "sample-portfolio-20190902-093000.xlsx"
    assert result.backup.read_bytes() == original
    # the new sheet is read as 2019-09 with every project (summaries still to be written)
    validation = validate(read_workbook(sample))
    assert Month(2019, 9) in dict(validation.months)
    empty = [i for i in validation.errors if i.location.sheet == "2019-09"]
    assert len(empty) == 15 and all(i.location.column == "Summary" for i in empty)


def test_second_run_refuses_and_changes_nothing(sample: Path) -> None:
    edit.new_month(sample, now=NOW)
    data = sample.read_bytes()
    backups = sorted((sample.parent / ".backup").iterdir())
    with pytest.raises(edit.RefusedEdit) as refused:
        edit.new_month(sample, now=NOW)
    assert "not been filled in" in str(refused.value) and refused.value.exit_code == 1
    with pytest.raises(edit.RefusedEdit, match="already has a sheet for September 2019"):
        edit.new_month(sample, Month(2019, 9), now=NOW)
    assert sample.read_bytes() == data
    assert sorted((sample.parent / ".backup").iterdir()) == backups

    result = CliRunner().invoke(new_month_cmd, [str(sample), "--month", "2019-09"])
    assert result.exit_code == 1
    assert "already has a sheet for September 2019" in result.output
    assert sample.read_bytes() == data


def test_month_given_that_exists_refuses(sample: Path) -> None:
    data = sample.read_bytes()
    with pytest.raises(edit.RefusedEdit, match="already has a sheet for August 2019"):
        edit.new_month(sample, Month(2019, 8))
    assert sample.read_bytes() == data
    assert not (sample.parent / ".backup").exists()


def test_lock_file_refuses(sample: Path) -> None:
    (sample.parent / f"~${sample.name}").write_bytes(b"owner")
    data = sample.read_bytes()
    with pytest.raises(edit.RefusedEdit, match="open in Excel") as refused:
        edit.new_month(sample)
    assert refused.value.exit_code == 1
    assert sample.read_bytes() == data
    result = CliRunner().invoke(new_month_cmd, [str(sample)])
    assert result.exit_code == 1 and "open in Excel" in result.output


def test_threaded_comments_refused_then_forced(sample: Path) -> None:
    inject_threaded_comments(sample, "2019-08", count=2)
    data = sample.read_bytes()
    with pytest.raises(edit.WouldLoseData) as refused:
        edit.new_month(sample, now=NOW)
    message = str(refused.value)
    assert "2 threaded comments on sheet 2019-08" in message
    assert refused.value.exit_code == 1
    assert sample.read_bytes() == data and not (sample.parent / ".backup").exists()

    cli = CliRunner().invoke(new_month_cmd, [str(sample)])
    assert cli.exit_code == 1 and "threaded comments" in cli.output

    result = edit.new_month(sample, force=True, now=NOW)
    assert result.lost and "threaded comments on sheet 2019-08" in result.lost[0]
    assert result.backup.read_bytes() == data
    assert "2019-09" in openpyxl.load_workbook(sample).sheetnames


def test_x14_data_validation_refused(sample: Path) -> None:
    inject_x14_validation(sample, "2019-07")
    data = sample.read_bytes()
    with pytest.raises(edit.WouldLoseData) as refused:
        edit.new_month(sample)
    assert "a dropdown whose list is on another sheet (x14 data validation) on sheet 2019-07" in str(refused.value)
    assert sample.read_bytes() == data
    cli = CliRunner().invoke(new_month_cmd, [str(sample), "--force"])
    assert cli.exit_code == 0, cli.output
    assert "lost a dropdown whose list is on another sheet" in cli.output


def test_sample_round_trip_loses_nothing() -> None:
    wb = edit._load(SAMPLE.read_bytes(), SAMPLE)
    assert edit.compare_packages(SAMPLE.read_bytes(), edit._save_to_bytes(wb)) == []


def test_everything_already_in_the_workbook_survives(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "portfolio.xlsx", basic_sheets())
    wb = openpyxl.load_workbook(path)
    ws = wb["2019-08"]
    dv = DataValidation(type="list", formula1='"Red,Amber,Green"', allow_blank=True)
    dv.add("E2:E50")
    ws.add_data_validation(dv)
    ws["F3"].comment = Comment("Check the funding line", "PMO")
    ws.column_dimensions["F"].width = 55
    ws["H2"] = 0.25
    ws["H2"].number_format = "0%"
    wb["Programmes"]["D2"].comment = Comment("Agreed at June board", "PMO")
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Free notes the PMO keeps"
    notes["B2"] = dt.datetime(2019, 8, 1)
    notes["B2"].number_format = "dd/mm/yyyy"
    wb.save(path)
    before = snapshot(path)

    result = edit.new_month(path, now=NOW)
    after = snapshot(path)
    for title, shot in before.items():
        assert after[title] == shot, title
    new = openpyxl.load_workbook(path)["2019-09"]
    assert new.column_dimensions["F"].width == 55  # widths copied from the previous month
    assert [r[1] for r in new.iter_rows(min_row=2, values_only=True)] == ["CLIN-01", "CLIN-02", "PROD-01"]
    assert result.backup.exists()


def test_completed_projects_are_not_carried_and_missing_ones_are(tmp_path: Path) -> None:
    sheets = basic_sheets()
    sheets["Settings"][3] = ["RAG scale", "BRAG"]
    sheets["2019-08"][1][4] = "Blue"  # CLIN-01 completed
    del sheets["2019-08"][3]  # PROD-01 sent no update in August
    path = write_workbook(tmp_path / "portfolio.xlsx", sheets)
    result = edit.new_month(path, now=NOW)
    assert result.added == ["CLIN-02", "PROD-01"]
    assert result.carried == ["PROD-01"]
    ws = openpyxl.load_workbook(path)["2019-09"]
    assert [d.formula1 for d in ws.data_validations.dataValidation] == ['"Red,Amber,Green,Blue"']
    assert ws["E3"].value == "Green" and ws["J3"].value == "July pharmacy"


# --- returns ------------------------------------------------------------------------------------


def _drop_and_copy(sample: Path) -> None:
    """August: delete CLIN-03's row; give CLIN-05 July's summary again."""
    wb = openpyxl.load_workbook(sample)
    july, aug = wb["2019-07"], wb["2019-08"]
    july_summary = next(r[6].value for r in july.iter_rows(min_row=2) if r[1].value == "CLIN-05")
    for row in aug.iter_rows(min_row=2):
        if row[1].value == "CLIN-05":
            row[6].value = "  " + july_summary.replace(" ", "  ", 3) + "\n"  # whitespace differs only
    number = next(r[1].row for r in aug.iter_rows(min_row=2) if r[1].value == "CLIN-03")
    aug.delete_rows(number)
    wb.save(sample)


def test_returns_lists_exactly_the_missing_and_the_copied(sample: Path) -> None:
    _drop_and_copy(sample)
    result = CliRunner().invoke(returns_cmd, [str(sample), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    listed = {p["project_id"]: p["reasons"] for g in data["programmes"] for p in g["projects"] if p["outstanding"]}
    assert listed == {"CLIN-03": ["no_return"], "CLIN-05": ["unchanged_summary"]}
    assert data["outstanding"] == 2 and data["month"] == "2019-08"
    clinical = next(g for g in data["programmes"] if g["programme"] == "Clinical")
    assert "Local Maternity System Programme Lead" in clinical["leads"]
    # the flag for a long Red is listed apart from the returns to chase
    flags = [p for g in data["programmes"] for p in g["projects"] if not p["outstanding"]]
    assert [(p["project_id"], p["months_red"]) for p in flags] == [("CLIN-06", 3)]

    plain = CliRunner().invoke(returns_cmd, [str(sample)])
    assert plain.exit_code == 0
    assert "2 of 15 return(s) outstanding (1 no update, 1 summary unchanged)" in " ".join(plain.output.split())


def test_returns_on_a_month_with_errors_lists_empty_summaries(sample: Path) -> None:
    edit.new_month(sample, now=NOW)
    wb = openpyxl.load_workbook(sample)
    ws = wb["2019-09"]
    ws["G2"] = "New September update for CYP"
    ws["E3"] = None  # CLIN-02: RAG cleared
    wb.save(sample)
    result = CliRunner().invoke(returns_cmd, [str(sample), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    listed = {p["project_id"]: p["reasons"] for g in data["programmes"] for p in g["projects"]}
    assert "CLIN-01" not in listed
    assert listed["CLIN-02"] == ["empty_summary", "no_rag"]
    assert data["counts"]["empty_summary"] == 14 and data["counts"]["red_streak"] == 1


def test_similarity_threshold(sample_portfolio) -> None:
    text = "Trajectories being explored and set for midwifery led unit births and caesarean section rates."
    assert similarity(text, " ".join(text.split()) + "  ") == 1.0
    assert similarity(text.replace("being", "now"), text) >= 0.95
    assert similarity("Completely different words here.", text) < 0.95
    month = sample_portfolio.latest.month
    rows = [SheetRow.from_status(s) for s in sample_portfolio.latest.statuses]
    assert {i.project_id for i in outstanding(sample_portfolio, month, rows).outstanding} == set()
    assert outstanding(sample_portfolio, month).items[0].reasons == (Reason.RED_STREAK,)
    assert outstanding(sample_portfolio, month).items[0].months_red == 3
    assert Rag.RED is sample_portfolio.latest.by_id()["CLIN-06"].rag


# --- collect ------------------------------------------------------------------------------------


def _return(tmp_path: Path, name: str, rows: list[list[object]], sheet: str = "2019-08") -> Path:
    return write_workbook(tmp_path / name, {sheet: [list(HEADERS), *rows]})


def test_collect_merges_two_returns(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "portfolio.xlsx", basic_sheets())
    clinical = _return(tmp_path, "clinical.xlsx", [
        ["Clinical", "CLIN-01", "Children", "Lead A", "Amber", "Revised August summary", "", "Next", ""],
        ["Clinical", "CLIN-03", "Maternity", "Lead D", "G", "New project this month", "", "", ""],
    ])
    productivity = _return(tmp_path, "productivity.xlsx", [
        ["Productivity", "PROD-01", "Pharmacy", "Lead C", "Amber", "August pharmacy", "", "", ""],
    ])
    result = edit.collect([clinical, productivity], path, now=NOW)
    assert result.added == ["CLIN-03"] and result.updated == ["CLIN-01"] and result.unchanged == ["PROD-01"]
    assert result.backup.exists()
    rows = {r[1]: r for r in openpyxl.load_workbook(path)["2019-08"].iter_rows(min_row=2, values_only=True)}
    assert rows["CLIN-01"][4:8] == ("Amber", "Revised August summary", None, "Next")
    assert rows["CLIN-03"][:6] == ("Clinical", "CLIN-03", "Maternity", "Lead D", "Green", "New project this month")
    assert rows["CLIN-02"][5] == "August cancer"  # untouched
    assert validate(read_workbook(path)).ok


def test_collect_conflict_writes_nothing(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "portfolio.xlsx", basic_sheets())
    one = _return(tmp_path, "one.xlsx", [["Clinical", "CLIN-01", "Children", "Lead A", "Green", "Version one", "", "", ""]])
    two = _return(tmp_path, "two.xlsx", [["Clinical", "CLIN-01", "Children", "Lead A", "Green", "Version two", "", "", ""]])
    data = path.read_bytes()
    with pytest.raises(edit.ReturnErrors) as refused:
        edit.collect([one, two], path)
    text = "\n".join(str(i) for i in refused.value.issues)
    assert "two.xlsx › 2019-08 › row 2 › Project ID" in text and "one.xlsx › 2019-08 › row 2" in text
    assert "Summary" in text
    assert path.read_bytes() == data and not (tmp_path / ".backup").exists()

    cli = CliRunner().invoke(collect_cmd, [str(one), str(two), "--into", str(path)])
    assert cli.exit_code == 1 and "different content" in cli.output
    assert path.read_bytes() == data


def test_collect_invalid_row_names_file_sheet_row_column(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "portfolio.xlsx", basic_sheets())
    bad = _return(tmp_path, "bad.xlsx", [
        ["Clinical", "CLIN-01", "Children", "Lead A", "Green", "Fine", "", "", ""],
        ["Clinicle", "CLIN-09", "Typo programme", "Lead X", "Redd", "Something", "", "", ""],
    ])
    data = path.read_bytes()
    with pytest.raises(edit.ReturnErrors) as refused:
        edit.collect([bad], path)
    texts = [str(i) for i in refused.value.issues]
    assert any(t.startswith("bad.xlsx › 2019-08 › row 3 › Programme") for t in texts)
    assert any(t.startswith('bad.xlsx › 2019-08 › row 3 › RAG: "Redd" is not a RAG') for t in texts)
    assert path.read_bytes() == data
    cli = CliRunner().invoke(collect_cmd, [str(bad), "--into", str(path)])
    assert cli.exit_code == 1 and "bad.xlsx › 2019-08 › row 3 › RAG" in cli.output


def test_collect_return_without_the_month_sheet(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "portfolio.xlsx", basic_sheets())
    july = _return(tmp_path, "july.xlsx", [["Clinical", "CLIN-01", "Children", "", "Green", "x", "", "", ""]],
                   sheet="2019-07")
    with pytest.raises(edit.ReturnErrors) as refused:
        edit.collect([july], path)
    assert "july.xlsx: has no sheet for August 2019" in str(refused.value.issues[0])


def test_unreadable_workbook_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xlsx"
    assert CliRunner().invoke(new_month_cmd, [str(missing)]).exit_code == 2
    assert CliRunner().invoke(returns_cmd, [str(missing)]).exit_code == 2
    with pytest.raises(PmoError):
        edit.new_month(missing)
