"""References: a paper's BibTeX entries, cited as [@key] in its Markdown texts and formatted author–date by
citeproc-py with the Harvard (Cite Them Right) style it ships. Bounded: the BibTeX is at most
`MAX_BIBTEX_CHARS` long and holds at most `MAX_ENTRIES` entries, whatever it claims."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html import unescape

import nh3
from django.core.exceptions import ValidationError

MAX_BIBTEX_CHARS = 200_000
MAX_ENTRIES = 500
STYLE = "harvard-cite-them-right"
# "[@macmillan2010]", "[@rees2012; @macmillan2010]": the keys BibTeX allows, separated by semicolons.
CITATION = re.compile(r"\[@([\w:.+/-]+)((?:\s*;\s*@[\w:.+/-]+)*)\]")
_ENTRY = re.compile(r"^\s*@\s*(?!comment|preamble|string)\w+\s*[{(]", re.IGNORECASE | re.MULTILINE)


def cited_keys(text: str) -> list[str]:
    """Every key the text cites, in order, each once."""
    return list(dict.fromkeys(key for match in CITATION.finditer(text) for key in _keys_of(match)))


def _keys_of(citation: re.Match) -> list[str]:
    """The keys of one citation, in order: "[@rees2012; @macmillan2010]" → rees2012, macmillan2010."""
    return [citation.group(1), *re.findall(r"@([\w:.+/-]+)", citation.group(2))]


@dataclass
class References:
    """The entries of one paper's BibTeX, and the citations its texts make, in the order they make them."""

    source: object | None = None
    keys: set[str] = field(default_factory=set)
    cited: list[str] = field(default_factory=list)
    _bibliography: object | None = None

    @classmethod
    def parse(cls, bibtex: str) -> References:
        """The entries, or a `ValidationError` saying what is wrong with the BibTeX."""
        if not bibtex.strip():
            return cls()
        if len(bibtex) > MAX_BIBTEX_CHARS:
            raise ValidationError(f"The references are too long: at most {MAX_BIBTEX_CHARS:,} characters.")
        if len(_ENTRY.findall(bibtex)) > MAX_ENTRIES:
            raise ValidationError(f"Too many references: at most {MAX_ENTRIES} entries.")
        from citeproc.source.bibtex import BibTeX

        try:
            source = BibTeX(io.StringIO(bibtex))
        except Exception as error:  # the parser raises bare ValueErrors, KeyErrors and the like on bad input
            raise ValidationError(f"The references are not valid BibTeX: {error}.") from error
        if not len(source) and _ENTRY.search(bibtex) is None:
            raise ValidationError("The references hold no BibTeX entry (“@book{key, …}”).")
        return cls(source=source, keys=set(source))

    @classmethod
    def saved(cls, bibtex: str) -> References:
        """A paper's references as saved. Saved through the paper's form they parse; saved otherwise and not
        parsing, they hold nothing, and the texts' citations stay as typed."""
        try:
            return cls.parse(bibtex)
        except ValidationError:
            return cls()

    def missing(self, *texts: str) -> list[str]:
        """The keys the texts cite that the references do not hold."""
        return [key for text in texts for key in cited_keys(text) if key not in self.keys]

    def cite(self, text: str) -> str:
        """The text with each citation of a known key written author–date: "(Macmillan, 2010; Rees, 2012)". A key
        the references do not hold stays as it was typed."""
        if self.source is None:
            return text

        def replace(match: re.Match) -> str:
            keys = _keys_of(match)
            if any(key not in self.keys for key in keys):
                return match.group(0)
            from citeproc import Citation, CitationItem

            citation = Citation([CitationItem(key) for key in keys])
            bibliography = self._bibliography_for_citing()
            bibliography.register(citation)
            for key in keys:
                if key not in self.cited:
                    self.cited.append(key)
            return _plain(str(bibliography.cite(citation, lambda item: None)))

        return CITATION.sub(replace, text)

    def entries(self) -> list[str]:
        """The cited entries, formatted and in the style's order, as HTML with only emphasis in it."""
        if self.source is None or not self.cited:
            return []
        bibliography = self._bibliography_for_citing()
        bibliography.sort()
        return [
            nh3.clean(str(entry).replace("<i>", "<em>").replace("</i>", "</em>"), tags={"em"}, attributes={})
            for entry in bibliography.bibliography()
        ]

    def _bibliography_for_citing(self):
        from citeproc import CitationStylesBibliography, CitationStylesStyle, formatter

        if self._bibliography is None:
            style = CitationStylesStyle(STYLE, validate=False)
            self._bibliography = CitationStylesBibliography(style, self.source, formatter.html)
        return self._bibliography


def _plain(html: str) -> str:
    """A formatted citation as text (its author and year carry no markup): tags dropped, entities read back."""
    return unescape(nh3.clean(html, tags=set()))
