"""Bar charts of code frequencies, drawn with matplotlib without any GUI: SVG for HTML and PDF, PNG for Word."""

from __future__ import annotations

import base64
import io
import textwrap
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display here, ever; must precede anything that picks a backend

from matplotlib.figure import Figure  # noqa: E402

if TYPE_CHECKING:
    from .paper import FrequencyTable

WIDTH_INCHES = 6.3
ROW_INCHES = 0.24


def frequency_chart_svg(table: FrequencyTable, *, title: str = "") -> str:
    """The chart as a data: URI, so that it travels inside the HTML (and CSP allows data: images)."""
    svg = _draw(table, title=title, format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def frequency_chart_png(table: FrequencyTable, *, title: str = "") -> bytes:
    return _draw(table, title=title, format="png")


def _draw(table: FrequencyTable, *, title: str, format: str) -> bytes:
    labels = [textwrap.shorten(row[0], width=48, placeholder="…") for row in table.rows]
    figure = Figure(figsize=(WIDTH_INCHES, 1.2 + ROW_INCHES * len(labels) + 0.25 * _legend_rows(table)))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    left = [0] * len(labels)
    for column, (name, colour) in enumerate(zip(table.columns, table.colours, strict=True)):
        values = [row[1][column] for row in table.rows]
        axes.barh(positions, values, left=left, color=colour, label=textwrap.shorten(name, 40, placeholder="…"))
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("Coded passages", fontsize=8)
    axes.tick_params(axis="x", labelsize=8)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    if title:
        axes.set_title(f"{title}: coded passages by case study", fontsize=9, loc="left")
    axes.legend(
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.4 / max(1, len(labels))),
        ncols=min(3, len(table.columns)),
    )
    figure.set_layout_engine("constrained")
    buffer = io.BytesIO()
    metadata = {"Date": None} if format == "svg" else {}
    figure.savefig(buffer, format=format, dpi=150 if format == "png" else 72, metadata=metadata)
    return buffer.getvalue()


def _legend_rows(table: FrequencyTable) -> int:
    return (len(table.columns) + 2) // 3
