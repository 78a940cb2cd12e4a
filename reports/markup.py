"""The lead's Markdown as safe HTML, redacted (`disclosure.redaction`) before it is rendered."""

from __future__ import annotations

import re

import markdown
import nh3

from disclosure.redaction import Redactor

# What a narrative may contain: prose, lists, quotations, emphasis, links, tables and footnotes. No images (an
# output never fetches anything a user named), no raw HTML beyond this, no headings that would compete with the
# paper's own numbering.
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h4",
    "h5",
    "h6",
    "hr",
    "sup",
    "sub",
    # Markdown tables and footnotes.
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "div",
}
# Footnotes link a reference to its note by id; nh3 keeps only these attributes, and only links within the page
# or to the web.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "class"},
    "ol": {"start"},
    "sup": {"id"},
    "li": {"id"},
    "div": {"class"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h([1-6])>")


def render_markdown(text: str, *, redactor: Redactor | None = None) -> str:
    """Markdown to sanitised HTML. Headings in a narrative sit three levels below the paper's own."""
    if not text.strip():
        return ""
    if redactor is not None:
        text = redactor.redact(text)
    html = markdown.markdown(text, extensions=["sane_lists", "smarty", "tables", "footnotes"], output_format="html")
    html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 3)}>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
