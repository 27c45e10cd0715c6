"""Font metrics: how wide text is and how many lines it takes in a box (Pillow, real fonts)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import ImageFont

UNITS = 1000  # fonts are loaded at 1000 px per em: width / 1000 * size = points

_CANDIDATES = {
    False: ["LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf"],
    True: ["LiberationSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf"],
}
_FOLDERS = [
    "/usr/share/fonts/truetype/liberation", "/usr/share/fonts/liberation-sans", "/usr/share/fonts/truetype/msttcorefonts",
    "/Library/Fonts", "/System/Library/Fonts/Supplemental", str(Path.home() / "Library/Fonts"),
    os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts"),
]


@functools.lru_cache(maxsize=None)
def font_path(bold: bool = False) -> str:
    """A font file with Arial's metrics (Liberation Sans or Arial), else a wider safe fallback."""
    for folder in _FOLDERS:
        for name in _CANDIDATES[bold]:
            candidate = Path(folder) / name
            if candidate.is_file():
                return str(candidate)
    found = _fontconfig("Liberation Sans:bold" if bold else "Liberation Sans")
    if found:
        return found
    import matplotlib  # ships DejaVu Sans, wider than Arial: measurements err on the safe side

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)


def _fontconfig(pattern: str) -> str | None:
    if sys.platform == "win32" or not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    return path if path.lower().endswith((".ttf", ".otf")) and "liberation" in path.lower() else None


@functools.lru_cache(maxsize=None)
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(bold), UNITS)


@functools.lru_cache(maxsize=200_000)
def _units(text: str, bold: bool) -> float:
    return _font(bold).getlength(text)


def width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` in points at ``size`` pt."""
    return _units(text, bold) * size / UNITS


def wrap(text: str, max_width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap of one paragraph into lines no wider than ``max_width`` points."""
    return list(_wrap(text, max_width * UNITS / size, bold))


@functools.lru_cache(maxsize=100_000)
def _wrap(text: str, limit: float, bold: bool) -> tuple[str, ...]:
    """``wrap`` in font units (cached: layouts measure the same text at the same width repeatedly)."""
    words = text.split()
    if not words:
        return ("",)
    space = _units(" ", bold)
    lines: list[str] = []
    line: list[str] = []
    line_width = 0.0
    for word in words:
        w = _units(word, bold)
        for piece, pw in ([(word, w)] if w <= limit else _split_long(word, limit, bold)):
            if line and line_width + space + pw > limit:
                lines.append(" ".join(line))
                line, line_width = [], 0.0
            line_width += (space if line else 0) + pw
            line.append(piece)
    lines.append(" ".join(line))
    return tuple(lines)


def _split_long(word: str, limit: float, bold: bool) -> list[tuple[str, float]]:
    """A word wider than the box, cut into pieces (with their widths) that fit, as Word and PowerPoint do."""
    pieces, piece = [], ""
    for ch in word:
        if piece and _units(piece + ch, bold) > limit:
            pieces.append((piece, _units(piece, bold)))
            piece = ""
        piece += ch
    if piece:
        pieces.append((piece, _units(piece, bold)))
    return pieces


def line_count(text: str, max_width: float, size: float, bold: bool = False) -> int:
    """How many lines ``text`` (with newlines) takes in a box ``max_width`` points wide."""
    return sum(len(wrap(p, max_width, size, bold)) for p in text.split("\n"))


def truncate_to_lines(text: str, max_width: float, size: float, max_lines: int, suffix: str = "…") -> str:
    """The longest prefix of ``text`` (whole words) that fits in ``max_lines`` lines with ``suffix``."""
    if line_count(text, max_width, size) <= max_lines:
        return text
    kept: list[str] = []
    used = 0
    for para in text.split("\n"):
        lines = wrap(para, max_width, size)
        if used + len(lines) <= max_lines:
            kept.append(para)
            used += len(lines)
            continue
        room = max_lines - used
        if room > 0:
            words = " ".join(lines[:room]).split()
            while words and line_count(" ".join(words) + suffix, max_width, size) > room:
                words.pop()
            kept.append(" ".join(words) + suffix)
        else:
            kept[-1] = kept[-1] + suffix if kept else suffix
        break
    return "\n".join(kept)
