"""generate = read → validate → compare → view → render → write, as one function of its inputs."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__, forked
from .errors import Issue, PmoError, WorkbookErrors
from .portfolio.model import Month

Progress = Callable[[str], None]
KINDS = ("docx", "pptx")


@dataclass
class Pack:
    """What generate wrote."""

    folder: Path
    month: Month
    files: list[Path]
    warnings: list[Issue] = field(default_factory=list)
    pdf_note: str = ""


def _quiet(_: str) -> None:
    return None


def generate(
    workbook: Path,
    out: Path,
    month: Month | None = None,
    templates_dir: Path | None = None,
    only: tuple[str, ...] = KINDS,
    pdf: bool = False,
    progress: Progress = _quiet,
) -> Pack:
    """Write ``out/YYYY-MM/`` for ``month`` (default: the latest month sheet); nothing on errors."""
    from .pack.templates import Templates

    templates = Templates.load(templates_dir)
    # On Linux the Word report is made by a helper process, started now so that its libraries
    # load while this process reads and checks the workbook; this one then draws the slides.
    helper = forked.start(_load_word_libraries) if "docx" in only else None
    with helper or contextlib.nullcontext():
        return _generate(workbook, out, month, templates, only, pdf, progress, helper)


def _generate(workbook: Path, out: Path, month: Month | None, templates, only: tuple[str, ...], pdf: bool,
              progress: Progress, helper: forked.Helper | None) -> Pack:
    from .pack import write
    from .pack.view import build_view
    from .workbook.read import read_workbook
    from .workbook.validate import validate

    progress(f"Opening {workbook.name}")
    raw = read_workbook(workbook, lambda i, n: progress(f"Reading {workbook.name}: sheet {i} of {n}"))
    progress("Checking every sheet")
    result = validate(raw, month)
    if not result.ok or result.portfolio is None:
        raise WorkbookErrors(result.issues)
    portfolio = result.portfolio
    month = month or portfolio.latest.month
    progress(f"Comparing {month.label} with the month before")
    view = build_view(portfolio, month)
    files = _render(view, templates, only, progress, helper)
    staged = write.stage(out, month.key)
    try:
        progress("Writing the files")
        write.write_files(staged, files)
        pdf_note = ""
        if pdf:
            progress("Converting to PDF with LibreOffice")
            try:
                docs = [staged / n for n in files if n.endswith((".docx", ".pptx"))]
                for p in write.convert_to_pdf(docs):
                    files[p.name] = p.read_bytes()
            except PmoError as exc:
                pdf_note = str(exc)
        manifest = _manifest(view, portfolio, raw, files, result.warnings)
        (staged / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        final = out / month.key
        write.publish(staged, final)
    except BaseException:
        import shutil

        shutil.rmtree(staged, ignore_errors=True)
        raise
    written = [final / n for n in [*files, "manifest.json"]]
    return Pack(final, month, written, result.warnings, pdf_note)


def _render(view, templates, only: tuple[str, ...], progress: Progress,
            helper: forked.Helper | None) -> dict[str, bytes]:
    """Every document of the pack as bytes (nothing is written until all succeeded)."""
    files: dict[str, bytes] = {}
    if "docx" in only:
        if helper is not None:
            helper.send(word_files, view, templates)
        else:
            files.update(word_files(view, templates, progress))
    if "pptx" in only:
        from .pack.slides import render_pptx

        step = "Writing the board slides" + (" (and the Word report alongside)" if helper else "")
        files[f"board-slides-{view.month.key}.pptx"] = render_pptx(
            view, templates, lambda i, n, name: progress(f"{step}: {name} ({i} of {n} programmes)"))
    if helper is not None:
        progress("Finishing the Word highlight report")
        try:
            files.update(helper.result())
        except forked.HelperLost:  # killed from outside, or out of memory: make it here instead
            files.update(word_files(view, templates, progress))
    return files


def word_files(view, templates, progress: Progress = _quiet) -> dict[str, bytes]:
    """The charts (PNG) and the Word highlight report, by file name in the pack."""
    from .pack.charts import render_charts
    from .pack.word import render_docx

    progress("Drawing the charts")
    charts = render_charts(view)
    files = {f"charts/{chart.filename}": chart.png for chart in charts}
    files[f"highlight-report-{view.month.key}.docx"] = render_docx(
        view, templates, charts,
        lambda i, n, name: progress(f"Writing the Word highlight report: {name} ({i} of {n} programmes)"))
    return files


def _load_word_libraries() -> None:
    """What ``word_files`` needs, loaded ahead (in the helper, while the workbook is read)."""
    from .pack import charts, word  # noqa: F401 - python-docx, docxtpl, jinja2

    charts._pyplot()


def _manifest(view, portfolio, raw, files: dict[str, bytes], warnings: list[Issue]) -> dict[str, object]:
    from .pack.write import sha256

    total = view.counts[-1]
    previous = portfolio.previous(view.month)
    labels = [r.title for r in view.scale_rags] + ["No update"]
    return {
        "generator": f"pmo-report {__version__}",
        "month": view.month.key,
        "previous_month": previous.month.key if previous else None,
        "input": {"file": raw.file, "sha256": raw.sha256},
        "counts": {
            "projects": total.total,
            "by_rag": dict(zip(labels, total.counts)),
            "by_change": view.movement_counts,
            "by_programme": {row.programme: dict(zip(labels, row.counts)) for row in view.counts[:-1]},
        },
        "warnings": [w.as_dict()["text"] for w in warnings],
        "outputs": [{"file": name, "sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())],
    }
