"""Redaction: the one pass that every text leaving the app goes through.

- A participant's real name is replaced by how outputs name them: the full name in any case and across line
  breaks, and the first name or surname alone where it stands as a capitalised word ("Fiona", "Marchbank").
- Where a case study is marked "anonymise organisations", the names of its organisations (its core
  organisation and those of the participants interviewed for it), and the other names recorded for them
  ("Calderbrook", "CHG"), are replaced by what they are ("a housing association").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from casestudies.models import CaseStudy, Organisation, Participant, ResearchProject

from .speakers import shown_name

# A single name shorter than this is too likely to be an ordinary word or an initial to replace on its own.
MIN_SINGLE_NAME = 3


@dataclass(frozen=True)
class Replacement:
    name: str
    shown: str
    case_sensitive: bool


class Redactor:
    """Replaces real names and anonymised organisations in text bound for an output."""

    def __init__(
        self,
        names: Iterable[tuple[str, str]] = (),
        organisations: Iterable[tuple[str, str]] = (),
        *,
        pseudonyms: Iterable[str] = (),
    ) -> None:
        """`names`: (real name, how outputs name them); `organisations`: (name, descriptor). A first name or surname
        that is also someone's pseudonym is left alone on its own (it cannot be told from the pseudonym, which
        outputs use; the admin is warned when a pseudonym gives a real name away)."""
        kept = {" ".join(p.casefold().split()) for p in pseudonyms}
        replacements: list[Replacement] = []
        for real, shown in names:
            parts = real.split()
            if not parts:
                continue
            replacements.append(Replacement(" ".join(parts), f"[{shown}]", case_sensitive=False))
            if len(parts) > 1:
                replacements.extend(
                    Replacement(part, f"[{shown}]", case_sensitive=True)
                    for part in (parts[0], parts[-1])
                    if len(part) >= MIN_SINGLE_NAME and part.casefold() not in kept
                )
        for name, descriptor in organisations:
            if name.strip():
                replacements.append(Replacement(" ".join(name.split()), f"[{descriptor}]", case_sensitive=False))
        self._insensitive = {r.name.casefold(): r.shown for r in replacements if not r.case_sensitive}
        self._sensitive: dict[str, str] = {}
        for r in replacements:
            if r.case_sensitive and r.name.casefold() not in self._insensitive:
                self._sensitive.setdefault(r.name, r.shown)
        alternatives = [
            (name, f"(?i:{_flexible(name)})") for name in {r.name for r in replacements if not r.case_sensitive}
        ]
        alternatives += [(name, re.escape(name)) for name in self._sensitive]
        # Longest first, so that "Ruth Ellingham-Smith" is replaced whole rather than as "Ruth" then the rest.
        alternatives.sort(key=lambda pair: len(pair[0]), reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(" + "|".join(pattern for _, pattern in alternatives) + r")(?!\w)")
            if alternatives
            else None
        )

    def redact(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(self._replace, text)

    def redact_value(self, value):
        return self.redact(value) if isinstance(value, str) else value

    def _replace(self, match: re.Match) -> str:
        found = match.group(0)
        if found in self._sensitive:
            return self._sensitive[found]
        return self._insensitive.get(" ".join(found.split()).casefold(), "[name withheld]")


def _flexible(name: str) -> str:
    """A name matched across any run of white space, as it may be wrapped in a transcript."""
    return r"\s+".join(re.escape(part) for part in name.split())


def descriptor(organisation: Organisation) -> str:
    """'a housing association', 'an umbrella body', 'an organisation'."""
    kind = (organisation.kind or "organisation").strip().lower()
    article = "an" if kind[:1] in "aeiou" else "a"
    return f"{article} {kind}"


def redactor_for(project: ResearchProject) -> Redactor:
    """The project's redaction, in two or three queries."""
    people = list(
        Participant.objects.filter(project=project).values_list("real_name", "pseudonym", "role_title", "anonymity")
    )
    names = [
        (real, shown_name(pseudonym=pseudonym, role_title=role, anonymity=anonymity))
        for real, pseudonym, role, anonymity in people
        if real.strip()
    ]
    organisations = [
        (name, descriptor(o))
        for o in anonymised_organisations(project)
        for name in o.names
        # An other name too short to tell from an initial or a word ("A") is not replaced on its own.
        if name == o.name or len(name) >= MIN_SINGLE_NAME
    ]
    return Redactor(names, organisations, pseudonyms=[pseudonym for _, pseudonym, _, _ in people])


def anonymised_organisations(project: ResearchProject) -> list[Organisation]:
    """Organisations of the case studies marked "anonymise organisations": their core organisation and the
    organisations of the participants interviewed for them."""
    marked = CaseStudy.objects.filter(project=project, anonymise_organisations=True)
    return list(
        Organisation.objects.filter(
            pk__in=list(marked.exclude(core_organisation=None).values_list("core_organisation_id", flat=True))
            + list(
                Participant.objects.filter(interviews__case_study__in=marked)
                .exclude(organisation=None)
                .values_list("organisation_id", flat=True)
            )
        )
    )


def pseudonym_discloses(*, pseudonym: str, real_name: str) -> bool:
    """Whether a pseudonym gives the real name away: it is the full name, the first name or the surname."""
    pseudonym = " ".join(pseudonym.casefold().split())
    parts = real_name.casefold().split()
    if not pseudonym or not parts:
        return False
    return pseudonym in {" ".join(parts), parts[0], parts[-1]}
