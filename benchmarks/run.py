"""Time `pmo-report generate` as a whole process against the import floor; write the results table.

    python benchmarks/run.py [--runs 5] [--quick]

For each case: one warm-up run, then the median wall time of --runs runs, and the peak memory of
the process. The floor is a process that only imports the libraries the pack needs and exits.
The results table replaces the one in benchmarks/README.md (and is printed).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "inputs" / "sample-portfolio.xlsx"
FLOOR = "import docx, docxtpl, pptx, openpyxl, jinja2, matplotlib, matplotlib.pyplot"
MARK_START, MARK_END = "<!-- results: written by benchmarks/run.py -->", "<!-- end of results -->"
CASES = [("sample (15 × 3)", None), ("100 × 24", (100, 24)), ("300 × 36", (300, 36)), ("1,000 × 36", (1000, 36))]


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, peak memory in MB) of one run of ``cmd``.

    Memory is the largest sum of the resident sizes of the process and its children, sampled
    every 10 ms on Linux (``generate`` makes the Word report in a helper process; pages the two
    share are counted twice, so this errs high); elsewhere the peak RSS of the largest process.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    tree_kb = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree_kb = max(tree_kb, _tree_rss_kb(proc.pid))
        time.sleep(0.01)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:]}")
    rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    return wall, max(rss_kb, tree_kb) / 1024


def _tree_rss_kb(pid: int) -> int:
    """Resident kB of ``pid`` and its children now (0 where /proc is not there)."""
    total = 0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for p in [str(pid), *children]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


def measure(cmd: list[str], floor_cmd: list[str], runs: int, floors: list[float]) -> tuple[float, float]:
    """Median wall time after a warm-up, and the highest peak memory seen.

    Each run is paired with a run of the floor, so that load on the machine weighs on both alike;
    the floor's times are added to ``floors``.
    """
    timed(cmd)
    results = []
    for _ in range(runs):
        floors.append(timed(floor_cmd)[0])
        results.append(timed(cmd))
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="only the sample and 100 × 24")
    args = parser.parse_args()
    python = sys.executable
    script = Path(python).parent / ("pmo-report.exe" if os.name == "nt" else "pmo-report")
    tool = [str(script)] if script.exists() else [python, "-m", "generator.cli"]
    rows = []
    # as an installed package would be: compiled once (an editable install is not)
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "generator")], check=True)
    with tempfile.TemporaryDirectory(prefix="pmo-bench-") as tmp:
        floor_cmd = [python, "-c", FLOOR]
        floors: list[float] = []
        floor_rss = timed(floor_cmd)[1]
        cases = CASES[:2] if args.quick else CASES
        for name, size in cases:
            book = SAMPLE
            if size:
                book = Path(tmp) / f"p{size[0]}x{size[1]}.xlsx"
                subprocess.run([python, str(ROOT / "benchmarks" / "make_portfolio.py"), "--projects", str(size[0]),
                                "--months", str(size[1]), "--seed", "1", "--out", str(book)], check=True,
                               stdout=subprocess.DEVNULL)
            wall, rss = measure([*tool, "generate", str(book), "--out", str(Path(tmp) / "out")], floor_cmd,
                                args.runs, floors)
            rows.append((name, wall, rss))
            print(f"{name:>16}: {wall:6.2f} s  peak memory {rss:5.0f} MB", flush=True)
    floor = statistics.median(floors)
    rows.insert(0, ("import floor", floor, floor_rss))
    lines = [
        "| case (projects × months) | median wall (s) | × import floor | peak memory, all processes (MB) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, wall, rss in rows:
        lines.append(f"| {name} | {wall:.2f} | {wall / floor:.1f} | {rss:.0f} |")
    by = {name: wall for name, wall, _ in rows}
    ratio = ""
    if "1,000 × 36" in by:
        ratio = f"\ntime(1,000 × 36) / time(100 × 24) = {by['1,000 × 36'] / by['100 × 24']:.1f}\n"
    text = (f"Machine: {machine()}\n\nMedian of {args.runs} runs after one warm-up; whole process "
            f"(interpreter start and imports included); the floor is the median of {len(floors)} runs, "
            f"each run beside a run of a case.\n\n" + "\n".join(lines) + "\n" + ratio)
    readme = ROOT / "benchmarks" / "README.md"
    page = readme.read_text(encoding="utf-8")
    start, end = page.index(MARK_START) + len(MARK_START), page.index(MARK_END)
    readme.write_text(page[:start] + "\n" + text + page[end:], encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
