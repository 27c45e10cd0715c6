"""The command line: the only place that prints or exits; thin commands over the library."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Callable, Iterator

import click
from rich.console import Console

from . import __version__
from .errors import PmoError, Severity
from .portfolio.model import Month

INPUTS = Path("inputs")


def _console(err: bool = False) -> Console:
    return Console(stderr=err, highlight=False, soft_wrap=False)


def fail(message: str, code: int = 2) -> "click.exceptions.Exit":
    """Print one plain line and exit with ``code`` (2: the command could not run)."""
    click.secho("error: ", fg="red", bold=True, err=True, nl=False)
    click.echo(message, err=True)
    return click.exceptions.Exit(code)


def find_workbook(workbook: Path | None) -> Path:
    """The workbook to use: the argument, or the one .xlsx in inputs/."""
    if workbook is not None:
        return workbook
    if not INPUTS.is_dir():
        raise PmoError("no workbook given and there is no inputs/ folder here; pass the workbook's path")
    found = sorted(p for p in INPUTS.glob("*.xlsx") if not p.name.startswith("~$"))
    if not found:
        raise PmoError("no workbook given and inputs/ holds no .xlsx file; pass the workbook's path")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise PmoError(f"no workbook given and inputs/ holds several .xlsx files ({names}); pass one of them")
    return found[0]


def parse_month(value: str | None) -> Month | None:
    """--month YYYY-MM, or None."""
    if value is None:
        return None
    try:
        return Month.parse(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month; write it like 2019-08", param_hint="--month")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pmo-report")
def main() -> None:
    """Turn the PMO's portfolio workbook into the board's monthly pack."""


@main.command()
@click.argument("workbook", required=False, type=click.Path(path_type=Path))
@click.option("--month", "month_text", metavar="YYYY-MM", help="The reporting month to check exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def validate(workbook: Path | None, month_text: str | None, as_json: bool) -> None:
    """Check the workbook and list every problem, cell by cell."""
    from .workbook.read import read_workbook
    from .workbook.validate import validate as run_validation

    month = parse_month(month_text)
    try:
        path = find_workbook(workbook)
        result = run_validation(read_workbook(path), month)
    except PmoError as exc:
        raise fail(str(exc), exc.exit_code)
    if as_json:
        click.echo(json.dumps(_validation_json(result), indent=2, ensure_ascii=False))
    else:
        _print_validation(result)
    raise click.exceptions.Exit(0 if result.ok else 1)


def _validation_json(result) -> dict[str, object]:
    return {
        "file": result.file,
        "ok": result.ok,
        "months": [m.key for m, _ in result.months],
        "errors": [i.as_dict() for i in result.issues if i.severity is Severity.ERROR],
        "warnings": [i.as_dict() for i in result.issues if i.severity is Severity.WARNING],
        "notes": [i.as_dict() for i in result.issues if i.severity is Severity.INFO],
    }


def _print_validation(result, show_months: bool = True) -> None:
    from rich.table import Table

    console = _console()
    problems = [i for i in result.issues if i.severity is not Severity.INFO]
    if problems:
        table = Table(title=f"{result.file}: problems found", show_lines=True, expand=True)
        table.add_column("", no_wrap=True)
        table.add_column("Where", ratio=2)
        table.add_column("Problem", ratio=3)
        table.add_column("How to fix it", ratio=3)
        for issue in problems:
            style = "bold red" if issue.is_error else "yellow"
            where = " › ".join(str(issue.location).split(" › ")[1:]) or issue.location.file
            table.add_row(f"[{style}]{issue.severity.value}[/]", where, issue.message, issue.hint)
        console.print(table)
    for note in (i for i in result.issues if i.severity is Severity.INFO):
        console.print(f"[dim]note: {note.location.sheet}: {note.message}[/]")
    if show_months:
        months = ", ".join(f"{m.label} ({name})" for m, name in result.months) or "none"
        console.print(f"Months found: {months}")
    errors, warnings = len(result.errors), len(result.warnings)
    if errors:
        console.print(f"[bold red]✗ {errors} error(s)[/], {warnings} warning(s): fix the errors and run again")
    else:
        console.print(f"[bold green]✓ {result.file} is valid[/] ({warnings} warning(s))")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--month", "month_text", metavar="YYYY-MM", help="The first month sheet (default: this month).")
def init(path: Path, month_text: str | None) -> None:
    """Write a blank portfolio workbook for programme leads to fill in."""
    import datetime as dt

    from .workbook.create import blank_workbook, save_new

    month = parse_month(month_text)
    if month is None:
        today = dt.date.today()
        month = Month(today.year, today.month)
    if path.suffix.lower() != ".xlsx":
        raise fail(f"{path.name}: the workbook's name must end in .xlsx")
    try:
        save_new(blank_workbook(month), path)
    except FileExistsError:
        raise fail(f"{path}: already exists; choose another name (nothing was changed)", 1)
    except OSError as exc:
        raise fail(f"{path}: cannot be written ({exc.strerror or exc})")
    _console().print(f"✓ wrote {path} with a first month sheet {month.key}; add your programmes and projects")


@main.command()
@click.argument("workbook", required=False, type=click.Path(path_type=Path))
@click.option("--month", "month_text", metavar="YYYY-MM", help="The reporting month (default: the latest month sheet).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("outputs"), show_default=True,
              help="Where the month's folder is written.")
@click.option("--templates", "templates_dir", type=click.Path(path_type=Path),
              help="A customised templates folder (see: pmo-report templates export).")
@click.option("--only", type=click.Choice(["docx", "pptx"]), help="Write only the Word report or only the slides.")
@click.option("--pdf", is_flag=True, help="Also convert the documents to PDF (needs LibreOffice).")
def generate(workbook: Path | None, month_text: str | None, out: Path, templates_dir: Path | None,
             only: str | None, pdf: bool) -> None:
    """Write the month's pack (Word report, slides, charts, manifest) to OUT/YYYY-MM/."""
    from .errors import WorkbookErrors
    from .pipeline import KINDS
    from .pipeline import generate as run_generate

    month = parse_month(month_text)
    console = _console()
    try:
        path = find_workbook(workbook)
        with _steps(console) as progress:
            pack = run_generate(path, out, month, templates_dir, (only,) if only else KINDS, pdf, progress=progress)
    except WorkbookErrors as exc:
        from .workbook.validate import Validation

        _print_validation(Validation(path.name, exc.issues, None, []), show_months=False)
        console.print("[bold red]Nothing was written.[/] Fix the errors above and run generate again.")
        raise click.exceptions.Exit(1)
    except PmoError as exc:
        raise fail(str(exc), exc.exit_code)
    console.print(f"[bold green]✓[/] {pack.month.label} pack written to {pack.folder}")
    for f in pack.files:
        console.print(f"  {f}")
    if pack.warnings:
        console.print(f"[yellow]{len(pack.warnings)} warning(s)[/]; run pmo-report validate to see them")
    if pack.pdf_note:
        console.print(f"[yellow]PDF not made:[/] {pack.pdf_note}")


@contextlib.contextmanager
def _steps(console: Console) -> Iterator[Callable[[str], None]]:
    """A live line naming the current step and the time taken, on a terminal; silence otherwise."""
    if not console.is_terminal:
        yield lambda step: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, refresh_per_second=20) as bar:
        task = bar.add_task("Starting", total=None)
        yield lambda step: bar.update(task, description=step)


@main.group()
def templates() -> None:
    """Work with the Word and slide templates."""


@templates.command("export")
@click.argument("folder", type=click.Path(path_type=Path))
def templates_export(folder: Path) -> None:
    """Copy the default templates into FOLDER for editing in Word and PowerPoint."""
    from .pack.templates import export

    try:
        written = export(folder)
    except PmoError as exc:
        raise fail(str(exc), 1)
    except OSError as exc:
        raise fail(f"{folder}: cannot be written ({exc.strerror or exc})")
    for p in written:
        _console().print(f"  {p}")
    _console().print(f"✓ {len(written)} template(s) copied; edit them, then: pmo-report generate --templates {folder}")


def _register_cycle_commands() -> None:
    from .cycle_cli import collect, new_month, returns

    for command in (new_month, returns, collect):
        main.add_command(command)


_register_cycle_commands()


def run() -> None:
    """Console-script entry point."""
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    run()
