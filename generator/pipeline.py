"""generate = read → validate → compare → view → render → write, as one function of its inputs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__
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
    from .pack import write
    from .pack.templates import Templates
    from .pack.view import build_view
    from .workbook.read import read_workbook
    from .workbook.validate import validate

    templates = Templates.load(templates_dir)
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
    files = _render(view, templates, only, progress)
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


def _render(view, templates, only: tuple[str, ...], progress: Progress) -> dict[str, bytes]:
    """Every document of the pack as bytes (nothing is written until all succeeded).

    With both documents asked for, the slides are drawn in a forked process on Linux while this
    one writes the charts and the Word report: the two share nothing and the machine has cores.
    """
    key = view.month.key
    files: dict[str, bytes] = {}
    slides = None
    if "pptx" in only:
        from .pack.slides import render_pptx

        if "docx" in only and _can_fork():
            slides = _in_child(render_pptx, view, templates)
        else:
            progress("Writing the board slides")
            files[f"board-slides-{key}.pptx"] = render_pptx(view, templates)
    if "docx" in only:
        from .pack.charts import render_charts
        from .pack.word import render_docx

        progress("Drawing the charts")
        charts = render_charts(view)
        for chart in charts:
            files[f"charts/{chart.filename}"] = chart.png
        step = "Writing the Word highlight report" + (" and the board slides" if slides else "")
        files[f"highlight-report-{key}.docx"] = render_docx(
            view, templates, charts, lambda i, n, name: progress(f"{step}: {name} ({i} of {n} programmes)"))
    if slides is not None:
        progress("Finishing the board slides")
        files[f"board-slides-{key}.pptx"] = slides()
    return files


def _can_fork() -> bool:
    import os
    import sys

    return sys.platform == "linux" and hasattr(os, "fork") and os.environ.get("PMO_REPORT_NO_FORK") != "1"


def _in_child(render: Callable[..., bytes], *args: object) -> Callable[[], bytes]:
    """Start ``render(*args)`` in a forked child; the returned function waits for its bytes.

    The child writes only to its pipe and leaves with ``os._exit``, so it never touches the
    parent's streams or locks (the progress display runs a thread in the parent).
    """
    import os
    import pickle
    import traceback
    import warnings

    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "process is multi-threaded" (Python >= 3.12)
        pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            outcome: tuple[str, object] = ("ok", render(*args))
        except PmoError as exc:
            outcome = ("user", str(exc))
        except BaseException:  # noqa: BLE001 - reported by the parent, with the child's traceback
            outcome = ("bug", traceback.format_exc())
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)
    os.close(write_end)

    def result() -> bytes:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        if not data:
            raise RuntimeError("the process drawing the board slides ended without a result")
        kind, value = pickle.loads(data)
        if kind == "user":
            raise PmoError(str(value))
        if kind == "bug":
            raise RuntimeError(f"drawing the board slides failed:\n{value}")
        return value  # type: ignore[return-value]

    return result


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
