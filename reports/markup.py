"""The lead's Markdown as safe HTML, and the one rule that no real name reaches an output."""

from __future__ import annotations

import re
from collections.abc import Iterable

import markdown
import nh3

# What a narrative may contain: prose, lists, quotations, emphasis and links. No images (an output never fetches
# anything a user named), no raw HTML beyond this, no headings that would compete with the paper's own numbering.
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
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h([1-6])>")


def render_markdown(text: str, *, redactor: Redactor | None = None) -> str:
    """Markdown to sanitised HTML. Headings in a narrative sit three levels below the paper's own."""
    if not text.strip():
        return ""
    if redactor is not None:
        text = redactor.redact(text)
    html = markdown.markdown(text, extensions=["sane_lists", "smarty"], output_format="html")
    html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + 3)}>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


class Redactor:
    """Replaces any participant's real name in text bound for an output with how the output names them."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        # Longest first, so that "Ruth Ellingham-Smith" is replaced whole rather than as "Ruth Ellingham".
        self._replacements = {" ".join(real.split()).casefold(): shown for real, shown in names if real.strip()}
        keys = sorted(self._replacements, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(" + "|".join(_flexible(key) for key in keys) + r")(?!\w)", re.IGNORECASE)
            if keys
            else None
        )

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        key = " ".join(match.group(0).split()).casefold()
        return f"[{self._replacements.get(key, 'name withheld')}]"


def _flexible(name: str) -> str:
    """A real name matched across any run of white space, as it may be wrapped in a transcript."""
    return r"\s+".join(re.escape(part) for part in name.split())
