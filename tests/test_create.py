"""Tests for generator.workbook.create and the sample workbook it builds."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import openpyxl
import pytest

from generator.portfolio.model import Month, Programme, Rag, RagScale
from generator.workbook import create, schema

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_sample_workbook.py"
SAMPLE_JSON = ROOT / "scripts" / "sample_portfolio.json"

MONTH_HEADERS = [
    "Programme",
    "Project ID",
    "Project",
    "Lead",
    "RAG",
    "Savings RAG",
    "Summary",
    "Issues and risks",
    "Next steps",
    "Decisions required",
]


def _load_script():
    spec = importlib.util.spec_from_file_location("make_sample_workbook", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory) -> Path:
    script = _load_script()
    path = tmp_path_factory.mktemp("sample") / "sample-portfolio.xlsx"
    create.save_new(script.build(script.load()), path)
    return path


@pytest.fixture(scope="module")
def sample(sample_path):
    return openpyxl.load_workbook(sample_path)


def _headers(ws) -> list[str]:
    return [c.value for c in ws[1] if c.value is not None]


def _rows(ws) -> list[dict[str, object]]:
    headers = [c.value for c in ws[1]]
    return [
        dict(zip(headers, row))
        for row in ws.iter_rows(min_row=2, values_only=True)
        if any(v not in (None, "") for v in row)
    ]


def _validations(ws) -> dict[str, str]:
    """Column letter -> list formula, for each list validation starting on row 2."""
    found = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        for rng in dv.sqref.ranges:
            letter = rng.coord.split(":")[0].rstrip("0123456789")
            found[letter] = dv.formula1
    return found


# --- the sample workbook ----------------------------------------------------------------------


def test_sheet_names_and_order(sample):
    assert sample.sheetnames == [
        "Instructions",
        "Settings",
        "Programmes",
        "2019-06",
        "2019-07",
        "2019-08",
        "Programme RAG",
    ]


def test_headers(sample):
    assert _headers(sample["Settings"]) == ["Setting", "Value"]
    assert _headers(sample["Programmes"]) == [
        "Programme",
        "Chair",
        "Red label",
        "Amber label",
        "Green label",
    ]
    for month in ("2019-06", "2019-07", "2019-08"):
        assert _headers(sample[month]) == MONTH_HEADERS
    assert _headers(sample["Programme RAG"]) == ["Month", "Programme", "RAG", "Comment"]


def test_settings(sample):
    settings = {r["Setting"]: r["Value"] for r in _rows(sample["Settings"])}
    assert settings["Title"] == "PMO Programme Highlight Reports"
    assert settings["Organisation"] == "Our Healthier South East London"
    assert settings["Contact"] == "ourhealthiersel@nhs.net"
    assert settings["RAG scale"] == "RAG"
    assert settings["Savings RAG"] == "Do plans meet STP savings target by 2020/21?"
    assert settings["Description"].startswith("A partnership of NHS providers")


def test_programmes(sample):
    rows = _rows(sample["Programmes"])
    assert [r["Programme"] for r in rows] == ["Clinical", "Productivity", "Enabling Strategies"]
    clinical = rows[0]
    assert clinical["Chair"] == "Andrew Parson / Michael Holland"
    assert clinical["Amber label"] == "At risk of not being delivered"
    assert rows[1]["Red label"] == "Major delays"
    assert rows[1]["Chair"] is None


def test_august_projects(sample):
    rows = _rows(sample["2019-08"])
    assert len(rows) == 15
    by_id = {r["Project ID"]: r for r in rows}
    assert len(by_id) == 15
    assert by_id["CLIN-04"]["Project"] == "Primary Care – CBC"
    assert "<li>" in by_id["CLIN-01"]["Summary"]
    assert by_id["CLIN-06"]["RAG"] == "Red"
    assert {r["RAG"] for r in rows} <= {"Red", "Amber", "Green"}
    # Savings RAG only for Productivity
    for row in rows:
        if row["Programme"] == "Productivity":
            assert row["Savings RAG"] in {"Red", "Amber", "Green"}
        else:
            assert row["Savings RAG"] is None


def test_august_summaries_keep_source_markup(sample):
    by_id = {r["Project ID"]: r for r in _rows(sample["2019-08"])}
    assert by_id["CLIN-01"]["Summary"].startswith('<ul style="list-style-type: none"> <li>')
    assert "A&amp;E" in by_id["CLIN-05"]["Summary"]
    assert "1<sup>st</sup>" in by_id["CLIN-04"]["Summary"]
    assert "<u>Increase in R2A:</u>" in by_id["PROD-01"]["Summary"]


def test_movements_against_july(sample):
    july = {r["Project ID"]: r for r in _rows(sample["2019-07"])}
    august = {r["Project ID"]: r for r in _rows(sample["2019-08"])}
    assert july.keys() == august.keys()
    moved = {
        pid: (july[pid]["RAG"], august[pid]["RAG"])
        for pid in august
        if july[pid]["RAG"] != august[pid]["RAG"]
    }
    assert moved == {"PROD-01": ("Amber", "Green"), "PROD-05": ("Amber", "Green")}
    moved_savings = {
        pid
        for pid in august
        if july[pid]["Savings RAG"] != august[pid]["Savings RAG"]
    }
    assert moved_savings == {"PROD-05"}
    assert all(july[pid]["Summary"] != august[pid]["Summary"] for pid in august)


def test_cancer_red_three_months(sample):
    for month in ("2019-06", "2019-07", "2019-08"):
        by_id = {r["Project ID"]: r for r in _rows(sample[month])}
        assert by_id["CLIN-06"]["RAG"] == "Red"


def test_programme_rag_sheet(sample):
    rows = _rows(sample["Programme RAG"])
    assert [(r["Month"], r["Programme"], r["RAG"]) for r in rows] == [
        ("2019-06", "Clinical", "Amber"),
        ("2019-07", "Clinical", "Amber"),
        ("2019-08", "Clinical", "Amber"),
    ]
    assert all(isinstance(r["Month"], str) for r in rows)


def test_month_sheet_styling(sample):
    ws = sample["2019-08"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J16"
    header = ws["A1"]
    assert header.font.bold
    assert header.fill.fgColor.rgb.endswith("005EB8")
    assert header.font.color.rgb.endswith("FFFFFF")
    assert ws.column_dimensions["G"].width == 70  # Summary
    assert ws.column_dimensions["F"].width == 14  # Savings RAG
    assert ws["G2"].alignment.wrap_text
    assert ws["G2"].alignment.vertical == "top"


def test_rag_dropdowns(sample):
    for month in ("2019-06", "2019-07", "2019-08"):
        ws = sample[month]
        validations = _validations(ws)
        assert validations == {"E": '"Red,Amber,Green"', "F": '"Red,Amber,Green"'}
        for dv in ws.data_validations.dataValidation:
            assert dv.showErrorMessage
            assert "Red, Amber, Green" in dv.error
            assert str(dv.sqref) in {"E2:E200", "F2:F200"}


def test_every_sheet_has_frozen_styled_header(sample):
    for ws in sample:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.bold, ws.title


def test_sample_json_is_consistent():
    data = json.loads(SAMPLE_JSON.read_text(encoding="utf-8"))
    ids = [p["Project ID"] for p in data["projects"]]
    assert len(ids) == len(set(ids)) == 15
    for month in data["months"]:
        assert [r["Project ID"] for r in month["rows"]] == ids
    decisions = [r for r in data["months"][-1]["rows"] if r.get("Decisions required")]
    assert 2 <= len(decisions) <= 3


# --- building blocks --------------------------------------------------------------------------


def test_month_headers():
    assert create.month_headers(("Savings RAG",)) == MONTH_HEADERS
    assert create.month_headers() == [h for h in MONTH_HEADERS if h != "Savings RAG"]


def test_style_month_sheet_is_standalone():
    wb = openpyxl.Workbook()
    ws = wb.active
    headers = create.month_headers(("Quality RAG",))
    for column, header in enumerate(headers, start=1):
        ws.cell(row=1, column=column, value=header)
    ws.append(["Clinical", "X-1", "Thing", "", "Amber", "Green", "Text"])
    create.style_month_sheet(ws, headers, ["Red", "Amber/Red", "Amber", "Amber/Green", "Green"], 1)
    validations = _validations(ws)
    assert validations == {
        "E": '"Red,Amber/Red,Amber,Amber/Green,Green"',
        "F": '"Red,Amber/Red,Amber,Amber/Green,Green"',
    }
    assert all(str(dv.sqref).endswith("200") for dv in ws.data_validations.dataValidation)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J2"


def test_validation_reaches_past_long_sheets():
    wb = openpyxl.Workbook()
    ws = wb.active
    headers = create.month_headers()
    create.style_month_sheet(ws, headers, ["Red", "Amber", "Green"], 250)
    assert [str(dv.sqref) for dv in ws.data_validations.dataValidation] == ["E2:E251"]


def test_add_month_sheet_keeps_months_in_order():
    wb = create.blank_workbook(Month(2019, 8))
    create.add_month_sheet(wb, Month(2019, 9), [], (), RagScale.RAG)
    create.add_month_sheet(wb, Month(2019, 7), [], (), RagScale.RAG)
    assert wb.sheetnames[3:] == ["2019-07", "2019-08", "2019-09", "Programme RAG"]
    with pytest.raises(ValueError):
        create.add_month_sheet(wb, Month(2019, 9), [], (), RagScale.RAG)


def test_add_month_sheet_rejects_unknown_columns():
    wb = create.blank_workbook(Month(2019, 8))
    with pytest.raises(ValueError, match="Colour"):
        create.add_month_sheet(wb, Month(2019, 9), [{"Colour": "Red"}], (), RagScale.RAG)


def test_build_workbook_scale_labels_and_mismatch():
    programme = Programme("P", "", {Rag.BLUE: "Complete", Rag.GREEN: "On track"})
    wb = create.build_workbook({"Title": "T"}, [programme], [], [], (), RagScale.BRAG)
    ws = wb["Programmes"]
    assert _headers(ws) == ["Programme", "Chair", "Red label", "Amber label", "Green label", "Blue label"]
    assert [c.value for c in ws[2]] == ["P", None, None, None, "On track", "Complete"]
    settings = {r["Setting"]: r["Value"] for r in _rows(wb["Settings"])}
    assert settings["RAG scale"] == "BRAG"
    with pytest.raises(ValueError):
        create.build_workbook({"RAG scale": "DCA"}, [], [], [], (), RagScale.RAG)


def test_text_starting_with_equals_is_not_a_formula(tmp_path):
    wb = create.build_workbook(
        {},
        [],
        [(Month(2019, 8), [{"Programme": "P", "Project ID": "1", "Project": "X", "RAG": "Red",
                            "Summary": "=not a formula"}])],
        [],
        (),
        RagScale.RAG,
    )
    path = create.save_new(wb, tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(path)["2019-08"]
    assert ws["F2"].value == "=not a formula"
    assert ws["F2"].data_type == "s"


# --- blank workbook ---------------------------------------------------------------------------


def test_blank_workbook_structure(tmp_path):
    path = create.save_new(create.blank_workbook(Month(2019, 9)), tmp_path / "new.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Instructions", "Settings", "Programmes", "2019-09", "Programme RAG"]
    settings = {r["Setting"]: r["Value"] for r in _rows(wb["Settings"])}
    assert list(settings) == list(schema.SETTING_KEYS)
    assert settings["Title"] == "PMO Programme Highlight Reports"
    assert settings["RAG scale"] == "RAG"
    assert settings["Organisation"] is None
    assert _headers(wb["Programmes"]) == [
        "Programme",
        "Chair",
        "Red label",
        "Amber label",
        "Green label",
    ]
    assert _rows(wb["Programmes"]) == []
    month = wb["2019-09"]
    assert _headers(month) == create.month_headers()
    assert month.max_row == 1
    assert _validations(month) == {"E": '"Red,Amber,Green"'}
    assert month.freeze_panes == "A2"
    assert _headers(wb["Programme RAG"]) == ["Month", "Programme", "RAG", "Comment"]
    assert _rows(wb["Programme RAG"]) == []
    guidance = " ".join(str(v) for row in wb["Instructions"].iter_rows(values_only=True) for v in row)
    for phrase in ("Alt+Enter", "**", "ISSUE:", "RISK:", "one row", "earlier months"):
        assert phrase in guidance


def test_blank_workbook_dca_scale():
    wb = create.blank_workbook(Month(2020, 1), RagScale.DCA)
    assert "Amber/Red label" in _headers(wb["Programmes"])
    assert _validations(wb["2020-01"]) == {"E": '"Red,Amber/Red,Amber,Amber/Green,Green"'}


# --- saving -----------------------------------------------------------------------------------


def test_save_new_refuses_to_overwrite(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        create.save_new(create.blank_workbook(Month(2019, 8)), path)
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # no temp file left


def test_save_new_writes_a_new_file(tmp_path):
    path = create.save_new(create.blank_workbook(Month(2019, 8)), tmp_path / "book.xlsx")
    assert path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]
    assert openpyxl.load_workbook(path).sheetnames[0] == "Instructions"


def test_save_atomic_replaces(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"old")
    create.save_atomic(create.blank_workbook(Month(2019, 8)), path)
    assert openpyxl.load_workbook(path).sheetnames[0] == "Instructions"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_script_writes_where_asked(tmp_path):
    script = _load_script()
    out = tmp_path / "out.xlsx"
    assert script.main([str(out)]) == 0
    assert "2019-08" in openpyxl.load_workbook(out).sheetnames
