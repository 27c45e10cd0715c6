"""Chart images for the Word report (matplotlib, Agg): deterministic PNGs with alt text that states the data."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from .. import palette
from . import textfit
from .view import ReportView

DPI = 200
CM_PER_INCH = 2.54


@dataclass(frozen=True)
class ChartImage:
    """A rendered chart: file name (for charts/), PNG bytes, alt text and its size on the page."""

    filename: str
    png: bytes
    alt: str
    width_cm: float
    height_cm: float


def render_charts(view: ReportView) -> list[ChartImage]:
    """The charts the Word report shows (currently: RAG counts by programme)."""
    return [rag_by_programme(view)]


@functools.cache
def _pyplot():
    """pyplot on the Agg backend, with the report's fonts registered (done once per process)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    names = []
    for bold in (False, True):
        path = textfit.font_path(bold)
        font_manager.fontManager.addfont(path)
        names.append(font_manager.FontProperties(fname=path).get_name())
    return plt, names[0]


def _rag_names(view: ReportView) -> list[str]:
    return [r.title for r in view.scale_rags]


def rag_alt_text(view: ReportView) -> str:
    """"RAG ratings by programme, August 2019: Clinical 1 Red, 3 Amber, 4 Green; ..."."""
    names = _rag_names(view) + ["No update"]
    parts = []
    for row in view.counts:
        if row.programme == "Total":
            continue
        counts = [f"{n} {name}" for n, name in zip(row.counts, names) if n or name != "No update"]
        parts.append(f"{row.programme} " + ", ".join(counts))
    total = next((r for r in view.counts if r.programme == "Total"), None)
    text = f"RAG ratings by programme, {view.month_label}: " + "; ".join(parts)
    if total is not None:
        text += f". Total {total.total} projects."
    return text


def rag_by_programme(view: ReportView) -> ChartImage:
    """Horizontal stacked bars: one per programme, one segment per RAG (plus 'No update')."""
    plt, family = _pyplot()
    rows = [r for r in view.counts if r.programme != "Total"]
    series = [(name, palette.fill(rag), palette.text_on(rag)) for name, rag in zip(_rag_names(view), view.scale_rags)]
    series.append(("No update", palette.fill(None), palette.text_on(None)))
    used = [i for i in range(len(series)) if any(r.counts[i] for r in rows)] or list(range(len(series) - 1))

    width_cm = 16.0
    height_cm = max(4.0, 2.2 + 1.0 * len(rows))
    fig = plt.figure(figsize=(width_cm / CM_PER_INCH, height_cm / CM_PER_INCH), dpi=DPI)
    try:
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))  # repositioned below once labels are measured
        labels = [r.programme for r in rows]
        positions = list(range(len(rows)))[::-1]  # first programme at the top
        left = [0] * len(rows)
        text_kw = {"family": family, "fontsize": 8}
        for i in used:
            name, fill, font = series[i]
            values = [r.counts[i] for r in rows]
            ax.barh(positions, values, left=left, color=f"#{fill}", edgecolor="white", linewidth=0.8,
                    height=0.62, label=name)
            for y, x0, v in zip(positions, left, values):
                if v:
                    ax.text(x0 + v / 2, y, str(v), ha="center", va="center", color=f"#{font}",
                            fontweight="bold", **text_kw)
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(positions, labels, **text_kw)
        ax.set_xlim(0, max(left + [1]))
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="y", length=0, colors=f"#{palette.TEXT}")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=len(used), frameon=False,
                  prop={"family": family, "size": 8}, handlelength=1.2, handleheight=1.0,
                  columnspacing=1.4, borderaxespad=0.3)
        # room for the longest programme name on the left and the legend on top
        label_pt = max(textfit.width(label, 8) for label in labels) + 8 if labels else 20
        left_frac = min(0.45, label_pt / 72 * CM_PER_INCH / width_cm)
        top_frac = 0.9 / height_cm
        ax.set_position((left_frac, 0.04, 0.98 - left_frac, 1 - top_frac - 0.06))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    finally:
        plt.close(fig)
    return ChartImage("rag-by-programme.png", buf.getvalue(), rag_alt_text(view), width_cm, height_cm)
