"""Bar charts of code frequencies, drawn with matplotlib without any GUI: SVG for HTML and PDF, PNG for Word."""

from __future__ import annotations

import base64
import io
import textwrap
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # no display here, ever; must precede anything that picks a backend

from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

if TYPE_CHECKING:
    from .paper import FrequencyTable

WIDTH_INCHES = 6.3
LINE_INCHES = 0.15
# Where a source's name and a code's name wrap (characters), so that every name is shown whole.
LABEL_CHARACTERS = 34
LEGEND_CHARACTERS = 30
LEGEND_COLUMNS = 3
BAR_HEIGHT = 0.8


def frequency_chart_svg(table: FrequencyTable) -> str:
    """The chart as a data: URI, so that it travels inside the HTML (and CSP allows data: images).

    Its text is drawn as paths (matplotlib's default): the chart looks the same in any browser whatever fonts the
    reader has, and in the tagged PDF a screen reader reads the figure's description rather than every tick.
    """
    svg = _draw(table, format="svg")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def frequency_chart_png(table: FrequencyTable) -> bytes:
    return _draw(table, format="png")


def _draw(table: FrequencyTable, *, format: str) -> bytes:
    figure = chart_figure(table)
    buffer = io.BytesIO()
    metadata = {"Date": None} if format == "svg" else {}
    figure.savefig(buffer, format=format, dpi=150 if format == "png" else 72, metadata=metadata)
    return buffer.getvalue()


def chart_figure(table: FrequencyTable) -> Figure:
    """The bar chart: a bar per source, stacked by code; the sources' names wrapped, never cut; the legend beneath
    the bars, inside the figure, each code's name whole. No title: the figure's caption says what it shows, and
    the image's description (in the template) names the question."""
    labels = [textwrap.fill(row[0], width=LABEL_CHARACTERS) for row in table.rows]
    names = [textwrap.fill(name, width=LEGEND_CHARACTERS) for name in table.columns]
    label_lines = sum(label.count("\n") + 1 for label in labels)
    legend_lines = sum(
        max(name.count("\n") + 1 for name in names[start : start + LEGEND_COLUMNS])
        for start in range(0, len(names), LEGEND_COLUMNS)
    )
    figure = Figure(
        figsize=(WIDTH_INCHES, 0.9 + LINE_INCHES * max(label_lines, 2 * len(labels)) + LINE_INCHES * legend_lines),
        layout="constrained",
    )
    axes = figure.add_subplot()
    # The stacked bars: one collection of rectangles per code rather than a patch per bar (a quarter of the
    # time to build and to draw), the legend's keys made to match.
    left = [0] * len(labels)
    keys = []
    half = BAR_HEIGHT / 2
    for column, (name, colour) in enumerate(zip(names, table.colours, strict=True)):
        values = [row[1][column] for row in table.rows]
        bars = [
            [(start, y - half), (start + value, y - half), (start + value, y + half), (start, y + half)]
            for y, (start, value) in enumerate(zip(left, values, strict=True))
            if value
        ]
        axes.add_collection(PolyCollection(bars, facecolors=colour, edgecolors="none"), autolim=False)
        keys.append(Patch(facecolor=colour, label=name))
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_xlim(0, max(left, default=0) * 1.05 or 1)
    axes.set_ylim(len(labels) - 0.5, -0.5)  # the first source at the top
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("Coded passages", fontsize=8)
    axes.tick_params(axis="x", labelsize=8)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    # "outside": the layout makes room for the legend within the figure rather than drawing it over the edge.
    figure.legend(
        handles=keys, fontsize=7, frameon=False, loc="outside lower center", ncols=min(LEGEND_COLUMNS, len(names))
    )
    return figure
