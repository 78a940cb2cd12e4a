"""Turning an assembled paper into a file: HTML, PDF through WeasyPrint, or Word through python-docx."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.template.loader import render_to_string
from django.utils import timezone

from .models import PaperFormat
from .paper import AssembledPaper

# The fonts travel with matplotlib (DejaVu), so every machine renders and embeds the same faces.
FONT_DIR = Path(find_spec("matplotlib").submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf"
FONTS = [
    ("Paper Serif", "normal", "normal", "DejaVuSerif.ttf"),
    ("Paper Serif", "bold", "normal", "DejaVuSerif-Bold.ttf"),
    ("Paper Serif", "normal", "italic", "DejaVuSerif-Italic.ttf"),
    ("Paper Serif", "bold", "italic", "DejaVuSerif-BoldItalic.ttf"),
    ("Paper Sans", "normal", "normal", "DejaVuSans.ttf"),
    ("Paper Sans", "bold", "normal", "DejaVuSans-Bold.ttf"),
    ("Paper Sans", "normal", "italic", "DejaVuSans-Oblique.ttf"),
    ("Paper Sans", "bold", "italic", "DejaVuSans-BoldOblique.ttf"),
]
CONTENT_TYPES = {
    PaperFormat.PDF: "application/pdf",
    PaperFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    PaperFormat.HTML: "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class RenderedPaper:
    content: bytes
    format: str
    page_count: int | None = None


def is_allowed_url(url: str) -> bool:
    """A paper may load its charts (data: URIs) and the bundled fonts, and nothing else: no network, no other file."""
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return True
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path)).resolve()
        return path.parent == FONT_DIR.resolve() and path.suffix == ".ttf"
    return False


@cache
def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher  # WeasyPrint is loaded when a PDF is first made, not at start-up.

    class PaperURLFetcher(URLFetcher):
        def fetch(self, url: str, headers=None):
            if not is_allowed_url(url):
                raise ValueError(f"A working paper may not load {url[:80]}")
            return super().fetch(url, headers)

    return PaperURLFetcher


def render(paper: AssembledPaper, format: str) -> RenderedPaper:
    match format:
        case PaperFormat.PDF:
            return render_pdf(paper)
        case PaperFormat.DOCX:
            from .word import render_docx

            return RenderedPaper(render_docx(paper), PaperFormat.DOCX)
        case PaperFormat.HTML:
            return RenderedPaper(render_html(paper).encode("utf-8"), PaperFormat.HTML)
    raise ValueError(f"Unknown format “{format}”: choose pdf, docx or html.")


def render_html(paper: AssembledPaper, *, embed_fonts: bool = False) -> str:
    """A standalone HTML document: the styles inline, the charts as data: URIs, nothing to fetch."""
    fonts = [(family, weight, style, (FONT_DIR / name).as_uri()) for family, weight, style, name in FONTS]
    return render_to_string(
        "reports/paper/document.html",
        {"paper": paper, "generated_at": timezone.now(), "fonts": fonts if embed_fonts else []},
    )


def render_pdf(paper: AssembledPaper) -> RenderedPaper:
    from weasyprint import HTML

    document = HTML(
        string=render_html(paper, embed_fonts=True), base_url=str(FONT_DIR), url_fetcher=_fetcher_class()()
    ).render()
    buffer = io.BytesIO()
    document.write_pdf(buffer, pdf_tags=True)
    return RenderedPaper(buffer.getvalue(), PaperFormat.PDF, page_count=len(document.pages))
