"""Write a synthetic portfolio workbook: N projects x M months with realistic text and movements.

    python benchmarks/make_portfolio.py --projects 1000 --months 36 --seed 1 --out big.xlsx

By default the file is laid out as Excel saves it (a shared-strings table, each sheet's
dimension), which is what the PMO hands over after leads have filled it in; ``--saved-by
openpyxl`` lays it out as ``pmo-report new-month`` saves it (every string inline), which is
slower for any reader to parse.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.portfolio.model import Month  # noqa: E402
from generator.workbook.create import month_headers  # noqa: E402

PROGRAMME_NAMES = [
    "Clinical", "Productivity", "Enabling Strategies", "Digital", "Estates", "Workforce", "Mental Health",
    "Primary Care", "Urgent Care", "Cancer", "Maternity", "Children", "Community", "Prevention", "Finance",
]
SUBJECTS = ["The project board", "The clinical reference group", "Trust partners", "The programme team",
            "Commissioners", "The steering group", "Provider leads", "The finance working group"]
VERBS = ["agreed", "reviewed", "submitted", "completed", "launched", "approved", "scoped", "mobilised"]
OBJECTS = ["the outline business case", "the revised trajectory", "the workforce plan", "the demand and "
           "capacity model", "the engagement approach", "the benefits realisation plan", "the procurement "
           "specification", "the digital roadmap", "the estates strategy refresh", "the pathway redesign"]
TAILS = ["ahead of the board meeting on the {d}{o} of the month", "with partners across the six boroughs",
         "following feedback from the patient advisory group", "and the next milestone is on track",
         "although capacity remains a risk for Q3", "with savings of £{m}k identified to date",
         "and a deep dive is planned for next month"]


def ordinal(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def sentence(rng: random.Random) -> str:
    d = rng.randint(1, 28)
    tail = rng.choice(TAILS).format(d=d, o=ordinal(d), m=rng.randint(50, 900))
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {tail}."


def summary(rng: random.Random) -> str:
    """3-6 bullets, 400-1,500 characters, sometimes a sub-heading and a RISK: line."""
    target = rng.randint(400, 1500)
    lines = ["Progress this month:"] if rng.random() < 0.4 else []
    bullets = rng.randint(3, 6)
    while len("\n".join(lines)) < target and bullets:
        text = " ".join(sentence(rng) for _ in range(max(1, target // (bullets * 110))))
        lines.append(f"- {text}")
        bullets -= 1
    if rng.random() < 0.3:
        lines.append(f"RISK: {sentence(rng)}")
    return "\n".join(lines)[:1500]


def step(rng: random.Random, rag: str) -> str:
    """Next month's RAG: mostly unchanged, sometimes one step up or down."""
    order = ["Red", "Amber", "Green"]
    i = order.index(rag)
    roll = rng.random()
    if roll < 0.08 and i < 2:
        return order[i + 1]
    if roll < 0.14 and i > 0:
        return order[i - 1]
    return rag


Sheet = tuple[str, list[list[object]]]


def build(projects: int, months: int, seed: int) -> list[Sheet]:
    """The workbook's sheets as (name, rows), header row first."""
    rng = random.Random(seed)
    sizes: list[int] = []
    while sum(sizes) < projects:
        sizes.append(min(rng.randint(5, 15), projects - sum(sizes)))
    programmes = [f"{PROGRAMME_NAMES[i % len(PROGRAMME_NAMES)]}{'' if i < len(PROGRAMME_NAMES) else f' {i // len(PROGRAMME_NAMES) + 1}'}"
                  for i in range(len(sizes))]
    savings = {p for p in programmes if rng.random() < 0.3}
    settings = [["Setting", "Value"], ["Title", "PMO Programme Highlight Reports"],
                ["Organisation", "Synthetic Health Partnership"], ["Description", "A synthetic portfolio for benchmarks."],
                ["RAG scale", "RAG"], ["Savings RAG", "Do plans meet the savings target?"]]
    sheets: list[Sheet] = [("Settings", settings), ("Programmes", [
        ["Programme", "Chair", "Red label", "Amber label", "Green label"],
        *([p, "Chair of " + p, "Delayed", "At risk", "On plan"] for p in programmes)])]
    roster = []
    for p, size in zip(programmes, sizes):
        for k in range(size):
            roster.append((p, f"{p[:4].upper()}-{len(roster) + 1:04d}", f"{p} project {k + 1}"))
    rags = {pid: rng.choice(["Red", "Amber", "Amber", "Green", "Green", "Green"]) for _, pid, _ in roster}
    saving_rags = {pid: rng.choice(["Amber", "Green"]) for p, pid, _ in roster if p in savings}
    headers = month_headers(["Savings RAG"])
    first = Month(2026 - (months + 11) // 12, 1)
    month = first
    for _ in range(months):
        rows: list[list[object]] = [list(headers)]
        for p, pid, name in roster:
            rags[pid] = step(rng, rags[pid])
            if pid in saving_rags:
                saving_rags[pid] = step(rng, saving_rags[pid])
            row = {"Programme": p, "Project ID": pid, "Project": name, "Lead": f"Lead {pid[-4:]}",
                   "RAG": rags[pid], "Savings RAG": saving_rags.get(pid), "Summary": summary(rng),
                   "Issues and risks": sentence(rng) if rng.random() < 0.5 else None,
                   "Next steps": sentence(rng), "Decisions required": sentence(rng) if rng.random() < 0.05 else None}
            rows.append([row[h] for h in headers])
        sheets.append((month.key, rows))
        month = month.next()
    return sheets


def save_like_excel(sheets: list[Sheet], out: Path) -> None:
    """Shared strings and sheet dimensions, as Excel writes them (xlsxwriter comes with python-pptx)."""
    import xlsxwriter

    with xlsxwriter.Workbook(str(out)) as wb:
        for name, rows in sheets:
            ws = wb.add_worksheet(name)
            for r, row in enumerate(rows):
                ws.write_row(r, 0, row)


def save_like_openpyxl(sheets: list[Sheet], out: Path) -> None:
    """Inline strings, as openpyxl (and so ``pmo-report new-month``) writes them."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets:
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--saved-by", choices=["excel", "openpyxl"], default="excel",
                        help="lay the file out as Excel saves it (default) or as openpyxl does")
    args = parser.parse_args()
    out = args.out or Path(f"portfolio-{args.projects}x{args.months}.xlsx")
    save = save_like_excel if args.saved_by == "excel" else save_like_openpyxl
    save(build(args.projects, args.months, args.seed), out)
    print(out)


if __name__ == "__main__":
    main()
