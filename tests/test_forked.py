"""The forked helper that makes the Word report beside the slides: results, errors, clean exits."""

from __future__ import annotations

import os
import time
import zipfile

import pytest
from click.testing import CliRunner
from docx import Document

from conftest import SAMPLE, basic_sheets, write_workbook
from generator import forked
from generator.cli import main
from generator.errors import PmoError, UnreadableWorkbook, WorkbookErrors

pytestmark = pytest.mark.skipif(not forked.available(), reason="the helper process is used on Linux only")

WARMED: list[str] = []


def _warm() -> None:
    WARMED.append(f"warmed in {os.getpid()}")


def _report_warm_up(extra: str) -> tuple[list[str], int, str]:
    return WARMED, os.getpid(), extra


def _raise(exc: BaseException) -> None:
    raise exc


def _raise_workbook_errors() -> None:
    raise WorkbookErrors([])  # its __init__ takes issues, not the message pickle would pass


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_the_job_runs_in_the_helper_after_its_warm_up():
    WARMED.clear()
    with forked.Helper(_warm) as helper:
        pid = helper._pid
        helper.send(_report_warm_up, "x" * 200_000)
        warmed, job_pid, extra = helper.result()
    assert job_pid == pid != os.getpid()
    assert warmed == [f"warmed in {pid}"] and WARMED == []  # the warm-up ran there, not here
    assert extra == "x" * 200_000
    assert _gone(pid)


def test_a_user_error_comes_back_with_its_class_and_exit_code():
    with forked.Helper(lambda: None) as helper:
        helper.send(_raise, UnreadableWorkbook("book.xlsx: not a workbook"))
        with pytest.raises(UnreadableWorkbook, match="not a workbook") as caught:
            helper.result()
    assert caught.value.exit_code == 2


def test_a_user_error_that_cannot_be_pickled_keeps_its_message_and_exit_code():
    with forked.Helper(lambda: None) as helper:
        helper.send(_raise_workbook_errors)
        with pytest.raises(PmoError, match="the workbook has 0 error") as caught:
            helper.result()
    assert caught.value.exit_code == 1


def test_a_bug_in_the_helper_comes_back_with_its_traceback():
    with forked.Helper(lambda: None) as helper:
        helper.send(_raise, KeyError("lost key"))
        with pytest.raises(RuntimeError) as caught:
            helper.result()
    assert "Traceback" in str(caught.value) and "lost key" in str(caught.value)


def test_a_failing_warm_up_leaves_the_job_to_report():
    with forked.Helper(lambda: 1 / 0) as helper:
        helper.send(_report_warm_up, "still runs")
        assert helper.result()[2] == "still runs"


def test_an_idle_helper_is_told_to_leave():
    helper = forked.Helper(lambda: None)
    pid = helper._pid
    helper.cancel()
    assert _gone(pid)


def test_a_busy_helper_is_stopped_rather_than_waited_for():
    start = time.monotonic()
    with forked.Helper(lambda: None) as helper:
        pid = helper._pid
        helper.send(_sleep, 60)
    assert time.monotonic() - start < 10 and _gone(pid)


def _document_parts(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.endswith(".xml") and "docProps" not in n}


def test_helper_and_single_process_packs_are_the_same(tmp_path, monkeypatch):
    packs = {}
    for mode in ("helper", "single"):
        if mode == "single":
            monkeypatch.setenv("PMO_REPORT_NO_FORK", "1")
        result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(tmp_path / mode)])
        assert result.exit_code == 0, result.output
        packs[mode] = tmp_path / mode / "2019-08"
    for name in ("highlight-report-2019-08.docx", "board-slides-2019-08.pptx"):
        assert _document_parts(packs["helper"] / name) == _document_parts(packs["single"] / name), name
    png = "charts/rag-by-programme.png"
    assert (packs["helper"] / png).read_bytes() == (packs["single"] / png).read_bytes()


@pytest.fixture
def helpers(monkeypatch):
    """Every helper generate starts."""
    started: list[int] = []
    real = forked.Helper.__init__

    def init(self, warm_up):
        real(self, warm_up)
        started.append(self._pid)

    monkeypatch.setattr(forked.Helper, "__init__", init)
    return started


def test_a_broken_word_template_is_reported_from_the_helper_and_nothing_written(tmp_path, helpers):
    folder = tmp_path / "templates"
    assert CliRunner().invoke(main, ["templates", "export", str(folder)]).exit_code == 0
    from docx import Document

    doc = Document(str(folder / "highlight_report.docx"))
    for p in doc.paragraphs:
        if "{{ body }}" in p.text:
            for run in p.runs:
                run.text = run.text.replace("{{ body }}", "")
    doc.save(str(folder / "highlight_report.docx"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(out), "--templates", str(folder)])
    assert result.exit_code == 2 and "{{ body }}" in result.output, result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())
    assert len(helpers) == 1 and _gone_all(helpers)


def test_workbook_errors_leave_no_helper_behind(tmp_path, helpers):
    sheets = basic_sheets()
    sheets["2019-08"][1][4] = "Redd"
    path = write_workbook(tmp_path / "bad.xlsx", sheets)
    result = CliRunner().invoke(main, ["generate", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert len(helpers) == 1 and _gone_all(helpers)


def test_slides_only_starts_no_helper(tmp_path, helpers):
    result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(tmp_path), "--only", "pptx"])
    assert result.exit_code == 0, result.output
    assert helpers == []


def _gone_all(pids: list[int]) -> bool:
    return all(_gone(pid) for pid in pids)


def test_a_helper_killed_from_outside_is_reported_as_lost():
    import signal

    with forked.Helper(lambda: None) as helper:
        helper.send(_sleep, 60)
        os.kill(helper._pid, signal.SIGKILL)
        with pytest.raises(forked.HelperLost):
            helper.result()


def _kill_the_helper_instead(view, templates, progress=None):
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_generate_makes_the_word_report_itself_when_the_helper_is_lost(tmp_path, monkeypatch, helpers):
    original_send = forked.Helper.send
    monkeypatch.setattr(forked.Helper, "send",
                        lambda self, job, *args: original_send(self, _kill_the_helper_instead, *args))
    result = CliRunner().invoke(main, ["generate", str(SAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = Document(str(tmp_path / "2019-08" / "highlight-report-2019-08.docx"))
    assert any("Clinical" in p.text for p in doc.paragraphs)
    assert len(helpers) == 1 and _gone_all(helpers)
