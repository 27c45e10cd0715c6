"""Build inputs/sample-portfolio.xlsx from scripts/sample_portfolio.json.

Run from anywhere:  .venv/bin/python scripts/make_sample_workbook.py [OUTPUT]
The output (default inputs/sample-portfolio.xlsx under the repository root) is replaced
atomically. Apart from the file's timestamps the result is the same on every run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from generator.portfolio.model import Month, Programme, Rag, RagScale  # noqa: E402
from generator.workbook.create import build_workbook, save_atomic  # noqa: E402

DATA = SCRIPTS / "sample_portfolio.json"
OUTPUT = ROOT / "inputs" / "sample-portfolio.xlsx"


def load(path: Path = DATA) -> dict[str, Any]:
    """The sample data as stored."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def build(data: dict[str, Any]) -> Workbook:
    """The sample workbook from the loaded JSON."""
    by_title = {rag.title: rag for rag in Rag}
    settings: dict[str, str] = dict(data["settings"])
    scale = RagScale[settings.get("RAG scale", "RAG").strip().upper()]
    programmes = [
        Programme(
            name=p["name"],
            chair=p.get("chair", ""),
            labels={by_title[colour]: text for colour, text in p.get("labels", {}).items()},
        )
        for p in data["programmes"]
    ]
    projects = {p["Project ID"]: p for p in data["projects"]}
    months = []
    for entry in data["months"]:
        rows = []
        for row in entry["rows"]:
            project = projects[row["Project ID"]]
            rows.append({**project, **row})  # the row may override name or lead
        months.append((Month.parse(entry["month"]), rows))
    return build_workbook(
        settings,
        programmes,
        months,
        list(data.get("programme_rags", [])),
        tuple(data.get("extra_rag_columns", ())),
        scale,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    save_atomic(build(load()), output)
    try:
        shown = output.resolve().relative_to(ROOT)
    except ValueError:
        shown = output
    print(f"wrote {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
