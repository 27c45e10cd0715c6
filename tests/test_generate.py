"""generate end to end, in-process: the pack, its manifest, atomic replacement, refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, SAMPLE, basic_sheets, write_workbook
from generator.cli import main


@pytest.fixture(scope="module")
def sample_pack(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "2019-08"


def test_pack_holds_report_slides_charts_and_manifest(sample_pack):
    names = {p.relative_to(sample_pack).as_posix() for p in sample_pack.rglob("*") if p.is_file()}
    assert {"highlight-report-2019-08.docx", "board-slides-2019-08.pptx", "manifest.json"} <= names
    assert any(n.startswith("charts/") and n.endswith(".png") for n in names)


def test_manifest_lists_every_output_with_its_hash(sample_pack):
    manifest = json.loads((sample_pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["month"] == "2019-08" and manifest["previous_month"] == "2019-07"
    assert manifest["input"]["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert manifest["counts"]["projects"] == 15
    assert manifest["counts"]["by_change"]["Improved"] == 2
    assert manifest["counts"]["by_rag"] == {"Red": 1, "Amber": 5, "Green": 9, "No update": 0}
    files = {o["file"]: o["sha256"] for o in manifest["outputs"]}
    on_disk = {p.relative_to(sample_pack).as_posix() for p in sample_pack.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(files) == on_disk
    for name, digest in files.items():
        assert hashlib.sha256((sample_pack / name).read_bytes()).hexdigest() == digest


def test_generate_never_modifies_the_workbook(tmp_path):
    before = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(tmp_path), "--only", "docx"])
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == before


def test_rerun_replaces_the_month_and_leaves_no_temporary_folders(tmp_path):
    for _ in range(2):
        result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(tmp_path), "--only", "pptx"])
        assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["2019-08"]
    assert {p.name for p in (tmp_path / "2019-08").iterdir()} == {"board-slides-2019-08.pptx", "manifest.json"}


def test_errors_stop_generate_with_exit_1_and_nothing_written(tmp_path):
    sheets = basic_sheets()
    sheets["2019-08"][1][4] = "Redd"
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", str(path), "--out", str(out)])
    assert result.exit_code == 1
    assert "Redd" in result.output and "Nothing was written" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_month_option_picks_an_earlier_month(tmp_path):
    result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(tmp_path), "--month", "2019-07",
                                       "--only", "pptx"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "2019-07" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["previous_month"] == "2019-06"


def test_unreadable_workbook_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "missing.xlsx"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "no such file" in result.output


def test_templates_export_copies_the_defaults_and_generate_uses_them(tmp_path):
    folder = tmp_path / "my-templates"
    result = CliRunner().invoke(main, ["templates", "export", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "highlight_report.docx").is_file() and (folder / "board_slides.pptx").is_file()
    again = CliRunner().invoke(main, ["templates", "export", str(folder)])
    assert again.exit_code == 1 and "already exists" in again.output
    result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(tmp_path / "out"),
                                       "--templates", str(folder)])
    assert result.exit_code == 0, result.output


def test_every_command_appears_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f"pmo-report {name}" in readme, name
        for sub in getattr(command, "commands", {}):
            assert f"pmo-report {name} {sub}" in readme
