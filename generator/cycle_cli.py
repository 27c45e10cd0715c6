"""The monthly-cycle commands: new-month, returns, collect (registered on the main group in cli.py)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .errors import PmoError, WorkbookErrors

# cli.py registers these commands, so it is imported lazily here (no import cycle)


def _console():
    from .cli import _console as console

    return console()


def fail(message: str, code: int = 2) -> "click.exceptions.Exit":
    from .cli import fail as cli_fail

    return cli_fail(message, code)


def find_workbook(workbook: Path | None) -> Path:
    from .cli import find_workbook as find

    return find(workbook)


def parse_month(value: str | None):
    from .cli import parse_month as parse

    return parse(value)


def _refused(exc: PmoError) -> "click.exceptions.Exit":
    """Print a refusal or error; with a list of issues, print every one of them first."""
    if isinstance(exc, WorkbookErrors):
        for issue in exc.issues:
            click.echo(f"  {issue}", err=True)
    return fail(str(exc), exc.exit_code)


def _where(path: Path) -> str:
    return str(path)


@click.command("new-month")
@click.argument("workbook", required=False, type=click.Path(path_type=Path))
@click.option("--month", "month_text", metavar="YYYY-MM",
              help="The month to add (default: the month after the latest month sheet).")
@click.option("--force", is_flag=True,
              help="Save even if the workbook holds things openpyxl cannot keep (they are lost; a backup is kept).")
def new_month(workbook: Path | None, month_text: str | None, force: bool) -> None:
    """Add next month's sheet, prefilled with every open project and last month's RAG."""
    from .workbook.edit import new_month as run

    month = parse_month(month_text)
    try:
        path = find_workbook(workbook)
        result = run(path, month, force=force)
    except PmoError as exc:
        raise _refused(exc)
    console = _console()
    for loss in result.lost:
        console.print(f"[yellow]warning:[/] --force: lost {loss}")
    console.print(
        f"[bold green]✓[/] added sheet {result.sheet} to {path.name}: {len(result.added)} open project(s) "
        f"from {result.source}, with last month's RAG; summaries left blank for the leads"
    )
    for note in result.notes:
        console.print(f"  {note}")
    if result.protected:
        console.print(f"  protected earlier month sheet(s) (no password): {', '.join(result.protected)}")
    console.print(f"  backup of the workbook as it was: {_where(result.backup)}")


@click.command("returns")
@click.argument("workbook", required=False, type=click.Path(path_type=Path))
@click.option("--month", "month_text", metavar="YYYY-MM", help="The month to check (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def returns(workbook: Path | None, month_text: str | None, as_json: bool) -> None:
    """List projects with no update, an empty or copied summary, or no RAG (and long Reds)."""
    from .portfolio.returns import outstanding
    from .workbook.edit import sheet_rows
    from .workbook.read import read_workbook
    from .workbook.validate import validate

    month = parse_month(month_text)
    try:
        path = find_workbook(workbook)
        raw = read_workbook(path)
    except PmoError as exc:
        raise _refused(exc)
    validation = validate(raw)
    portfolio = validation.portfolio
    if portfolio is None:
        raise _refused(WorkbookErrors(validation.errors))
    sheets = dict(validation.months)
    month = month or validation.months[-1][0]
    if month not in sheets:
        found = ", ".join(m.key for m in sheets)
        raise fail(f"{path.name}: has no sheet for {month.key} (months found: {found})", 1)
    programmes = {p.name: p for p in portfolio.programmes}
    previous = portfolio.previous(month)
    rows = sheet_rows(raw.sheet(sheets[month]), programmes)
    before = sheet_rows(raw.sheet(previous.sheet), programmes) if previous else None
    result = outstanding(portfolio, month, rows, before)
    errors = len(validation.errors)
    if as_json:
        click.echo(json.dumps(_returns_json(result, path, errors), indent=2, ensure_ascii=False))
    else:
        _print_returns(result, path, errors)


def _summary_line(result) -> str:
    from .portfolio.returns import Reason

    counts = result.counts()
    n = len(result.outstanding)
    parts = [f"{counts[r]} {r.word}" for r in Reason if r.chase and counts[r]]
    text = f"{result.month.label}: {n} of {result.expected} return(s) outstanding"
    if parts:
        text += " (" + ", ".join(parts) + ")"
    if counts[Reason.RED_STREAK]:
        text += f"; {counts[Reason.RED_STREAK]} project(s) Red for three months or more"
    return text


def _returns_json(result, path: Path, errors: int) -> dict[str, object]:
    from .portfolio.returns import Reason

    counts = result.counts()
    return {
        "file": path.name,
        "month": result.month.key,
        "previous": result.previous.key if result.previous else None,
        "expected": result.expected,
        "outstanding": len(result.outstanding),
        "counts": {r.name.lower(): counts[r] for r in Reason},
        "workbook_errors": errors,
        "summary": _summary_line(result),
        "programmes": [
            {
                "programme": group.programme,
                "leads": list(group.leads),
                "projects": [
                    {
                        "project_id": item.project_id,
                        "project": item.project,
                        "lead": item.lead,
                        "row": item.row,
                        "reasons": [r.name.lower() for r in item.reasons],
                        "outstanding": item.chase,
                        "months_red": item.months_red or None,
                        "text": item.describe(),
                    }
                    for item in group.items
                ],
            }
            for group in result.programmes
        ],
    }


def _print_returns(result, path: Path, errors: int) -> None:
    from rich.table import Table

    console = _console()
    if result.items:
        table = Table(title=f"{path.name}: returns for {result.month.label}", show_lines=False, expand=True)
        table.add_column("Project", ratio=3)
        table.add_column("Lead", ratio=2)
        table.add_column("Row", no_wrap=True, justify="right")
        table.add_column("What is outstanding", ratio=4)
        for group in result.programmes:
            n = sum(1 for item in group.items if item.chase)
            table.add_section()
            table.add_row(f"[bold]{group.programme}[/]", "", "", f"[bold]{n} return(s) to chase[/]" if n else "")
            for item in group.items:
                style = "" if item.chase else "dim"
                table.add_row(f"{item.project_id} {item.project}", item.lead,
                              str(item.row) if item.row else "–", item.describe(), style=style)
        console.print(table)
    line = _summary_line(result)
    if result.outstanding:
        console.print(f"[bold yellow]![/] {line}")
    else:
        console.print(f"[bold green]✓[/] {line}")
    if errors:
        console.print(f"[dim]the workbook also has {errors} validation error(s); run validate to list them[/]")


@click.command("collect")
@click.argument("return_files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="RETURN.xlsx...")
@click.option("--into", "workbook", type=click.Path(path_type=Path), metavar="WORKBOOK",
              help="The portfolio workbook to merge into (default: the one .xlsx in inputs/).")
@click.option("--month", "month_text", metavar="YYYY-MM", help="The month to merge into (default: the latest).")
@click.option("--force", is_flag=True,
              help="Save even if the workbook holds things openpyxl cannot keep (they are lost; a backup is kept).")
def collect(return_files: tuple[Path, ...], workbook: Path | None, month_text: str | None, force: bool) -> None:
    """Merge programme leads' return files into the month's sheet, by Project ID."""
    from .workbook.edit import collect as run

    month = parse_month(month_text)
    try:
        path = find_workbook(workbook)
        result = run(list(return_files), path, month, force=force)
    except PmoError as exc:
        raise _refused(exc)
    console = _console()
    for loss in result.lost:
        console.print(f"[yellow]warning:[/] --force: lost {loss}")
    for note in result.notes:
        console.print(f"  note: {note}")
    console.print(
        f"[bold green]✓[/] merged {len(return_files)} return(s) into {path.name} › {result.sheet}: "
        f"{len(result.added)} added, {len(result.updated)} updated, {len(result.unchanged)} already up to date"
    )
    if result.added:
        console.print(f"  added: {', '.join(result.added)}")
    if result.updated:
        console.print(f"  updated: {', '.join(result.updated)}")
    console.print(f"  backup of the workbook as it was: {_where(result.backup)}")
