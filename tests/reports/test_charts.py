"""The frequency charts: every name shown whole, the legend inside the figure, no title repeating the caption."""

from matplotlib.backends.backend_agg import FigureCanvasAgg

from reports.charts import chart_figure, frequency_chart_png
from reports.paper import FrequencyTable

LONG_SOURCES = [
    "Partnership working: emerging lessons from ‘Real Times’",
    "Housing partnerships and consortia in Northern Ireland",
    "Scoping interviews",
]
LONG_CODES = ["Prime contractor and supply chain", "Informal alliance and networks", "Merger", "Other linked codes"]


def table() -> FrequencyTable:
    return FrequencyTable(
        columns=LONG_CODES,
        colours=["#332288", "#ddcc77", "#117733", "#9aa5b1"],
        rows=[(name, [3, 1, 4, 1], 9) for name in LONG_SOURCES],
        totals=[9, 3, 12, 3],
        grand_total=27,
        has_overlaps=False,
    )


def test_every_source_and_code_is_named_whole_and_the_legend_sits_inside_the_figure():
    figure = chart_figure(table())
    FigureCanvasAgg(figure).draw()
    renderer = figure.canvas.get_renderer()
    axes = figure.axes[0]
    assert [" ".join(label.get_text().split()) for label in axes.get_yticklabels()] == LONG_SOURCES
    (legend,) = figure.legends
    assert [" ".join(text.get_text().split()) for text in legend.get_texts()] == LONG_CODES
    inside = figure.bbox
    for artist in [legend, *axes.get_yticklabels()]:
        box = artist.get_window_extent(renderer)
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
    # The caption beneath the figure says what it shows; the chart does not say it again.
    assert axes.get_title() == "" and figure.get_suptitle() == ""


def test_the_chart_draws_as_an_image():
    assert frequency_chart_png(table()).startswith(b"\x89PNG")
