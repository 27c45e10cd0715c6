"""One RAG palette for documents, charts and workbooks (text on every fill has WCAG contrast >= 4.5:1)."""

from __future__ import annotations

from .portfolio.model import Rag

NHS_BLUE = "005EB8"
DARK_BLUE = "003087"
TEXT = "212B32"
MID_GREY = "425563"
PALE_GREY = "E8EDEE"
WHITE = "FFFFFF"
BLACK = "000000"

RAG_FILL: dict[Rag | None, str] = {
    Rag.RED: "D5281B",
    Rag.AMBER_RED: "E86A1C",
    Rag.AMBER: "FFB81C",
    Rag.AMBER_GREEN: "78BE20",
    Rag.GREEN: "007F3B",
    Rag.BLUE: "005EB8",
    None: PALE_GREY,  # no update / no rating
}
RAG_TEXT: dict[Rag | None, str] = {
    Rag.RED: WHITE,
    Rag.AMBER_RED: BLACK,
    Rag.AMBER: BLACK,
    Rag.AMBER_GREEN: BLACK,
    Rag.GREEN: WHITE,
    Rag.BLUE: WHITE,
    None: BLACK,
}


def fill(rag: Rag | None) -> str:
    """The fill colour (hex, no #) for a RAG; pale grey for none."""
    return RAG_FILL[rag]


def text_on(rag: Rag | None) -> str:
    """The text colour (hex, no #) to use on a RAG's fill."""
    return RAG_TEXT[rag]


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    """The WCAG 2.x contrast ratio of two hex colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """``'D5281B'`` -> ``(213, 40, 27)``."""
    return tuple(int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
