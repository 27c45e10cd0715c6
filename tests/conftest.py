"""Shared fixtures: small workbooks written with openpyxl, as a lead might leave them."""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pytest

HEADERS = ["Programme", "Project ID", "Project", "Lead", "RAG", "Summary", "Issues and risks",
           "Next steps", "Decisions required"]


def basic_sheets() -> dict[str, list[list[object]]]:
    """A small valid portfolio: two programmes, two months."""
    return {
        "Settings": [["Setting", "Value"], ["Title", "Test Reports"], ["Organisation", "Test Org"],
                     ["RAG scale", "RAG"]],
        "Programmes": [["Programme", "Chair", "Red label", "Amber label", "Green label"],
                       ["Clinical", "A Chair", "Delayed", "At risk of not being delivered", "On plan"],
                       ["Productivity", "", "Major delays", "Minor delays", "On track"]],
        "2019-07": [list(HEADERS),
                    ["Clinical", "CLIN-01", "Children", "Lead A", "Amber", "July summary", "", "", ""],
                    ["Clinical", "CLIN-02", "Cancer", "Lead B", "Red", "July cancer", "", "", ""],
                    ["Productivity", "PROD-01", "Pharmacy", "Lead C", "Green", "July pharmacy", "", "", ""]],
        "2019-08": [list(HEADERS),
                    ["Clinical", "CLIN-01", "Children", "Lead A", "Green", "August summary", "", "", ""],
                    ["Clinical", "CLIN-02", "Cancer", "Lead B", "Red", "August cancer", "", "", "Approve funding"],
                    ["Productivity", "PROD-01", "Pharmacy", "Lead C", "Amber", "August pharmacy", "", "", ""]],
    }


def write_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """Write ``sheets`` (name -> rows) to ``path`` and return it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def sheets() -> dict[str, list[list[object]]]:
    return copy.deepcopy(basic_sheets())


@pytest.fixture
def make_workbook(tmp_path: Path):
    """Write a workbook from a dict of sheets into tmp_path."""

    def make(sheets: dict[str, list[list[object]]], name: str = "portfolio.xlsx") -> Path:
        return write_workbook(tmp_path / name, sheets)

    return make


ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "inputs" / "sample-portfolio.xlsx"


@pytest.fixture(scope="session")
def sample_portfolio():
    """The committed sample workbook, validated."""
    from generator.workbook.read import read_workbook
    from generator.workbook.validate import validate

    result = validate(read_workbook(SAMPLE))
    assert result.ok, result.errors
    return result.portfolio


@pytest.fixture(scope="session")
def sample_view(sample_portfolio):
    """The view-model of the sample's latest month (August 2019)."""
    from generator.pack.view import build_view

    return build_view(sample_portfolio, sample_portfolio.latest.month)
