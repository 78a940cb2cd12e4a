"""Coding together: what changed on an interview's coding since a coding page last looked, and who has it open.

A coding page asks every second or so (`coding.api.interview_excerpt_list` with `since`). Each answer carries a
version of what the user sees there: the newest entry and the number of entries of the change history of the
interview's excerpts, of their codes and of the project's codebook, the transcript's digest, and who else has
the page open. Asked again with that version as its ETag, the API answers 304 with no body until one of them
moves. The change history is the record every write already leaves (`partnership.history`), bulk writes
included, so nothing else has to remember to announce a change.

A change is found by its history entry being newer than the version the page holds, or made in the last
`OVERLAP` (a write whose transaction commits after a later one's would otherwise be missed; its entry still
counts in the version, so the page asks). Under blind coding a coder's version and changes are made of their own
excerpts only, and they see no one else at work: they receive nothing of others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.services import initials_of
from casestudies.models import Interview
from disclosure.access import blind_coding_hides_others

from .colours import person_colour, text_colour_on
from .models import Code, Excerpt, ExcerptCode, InterviewPresence
from .selectors import interview_excerpts, person_name

# Someone is at work on an interview while their page has asked within this time.
PRESENT_FOR = timedelta(seconds=30)
# How often a page that keeps asking writes that it is still there.
PRESENCE_REFRESH = timedelta(seconds=10)
# Changes of this recent past are sent again with every answer that sends changes.
OVERLAP = timedelta(seconds=60)
# More changes than this at once (a correction that moved every excerpt, say) are sent as the whole list.
MAX_CHANGED = 500


@dataclass(frozen=True)
class Version:
    """What a coding page has seen: read from and written as the ETag's text."""

    hides_others: bool
    excerpts: tuple[int, int]
    links: tuple[int, int]
    codes: tuple[int, int]
    transcript: str
    present: str

    def __str__(self) -> str:
        numbers = (*self.excerpts, *self.links, *self.codes)
        return ".".join([str(int(self.hides_others)), *map(str, numbers), self.transcript, self.present])

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """The version a page sent, or None if it is not one (anything a client sends is read with care)."""
        parts = text.strip().removeprefix("W/").strip('"').split(".")
        if len(parts) != 9 or len(text) > 200:
            return None
        hides, *numbers, transcript, present = parts
        if hides not in ("0", "1") or not all(number.isascii() and number.isdigit() for number in numbers):
            return None
        values = [int(number) for number in numbers]
        return cls(hides == "1", tuple(values[0:2]), tuple(values[2:4]), tuple(values[4:6]), transcript, present)

    @property
    def etag(self) -> str:
        return f'"{self}"'


@dataclass(frozen=True)
class Colleague:
    id: int
    name: str
    initials: str
    colour: str

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "initials": self.initials,
            "colour": self.colour,
            "text_colour": text_colour_on(self.colour),
        }


def _excerpt_history(user, interview: Interview, hides_others: bool) -> QuerySet:
    history = Excerpt.history.filter(interview_id=interview.pk)
    return history.filter(coded_by_id=user.pk) if hides_others else history


def _link_history(user, interview: Interview, hides_others: bool) -> QuerySet:
    history = ExcerptCode.history.filter(excerpt__interview_id=interview.pk)
    return history.filter(excerpt__coded_by_id=user.pk) if hides_others else history


def _versions(user, interview: Interview, hides_others: bool) -> dict[str, tuple[int, int]]:
    """The newest entry and the count of each history a page's version is made of, in one query.

    The same rows as `_excerpt_history`, `_link_history` and the codebook's history, written as SQL: a page asks
    every second, and the ORM took longer to build this query than the database to answer it. Each count is
    read from the index on the history's interview, excerpt or project.
    """
    excerpts = Excerpt.history.model._meta.db_table
    links = ExcerptCode.history.model._meta.db_table
    codes = Code.history.model._meta.db_table
    excerpt_table = Excerpt._meta.db_table
    own = " AND coded_by_id = %s" if hides_others else ""
    own_excerpt = " AND e.coded_by_id = %s" if hides_others else ""
    excerpt_rows = f"FROM {excerpts} WHERE interview_id = %s{own}"
    link_rows = f"FROM {links} h JOIN {excerpt_table} e ON e.id = h.excerpt_id WHERE e.interview_id = %s{own_excerpt}"
    code_rows = f"FROM {codes} WHERE project_id = %s"
    parts, params = [], []
    for rows, values in (
        (excerpt_rows, [interview.pk, user.pk] if hides_others else [interview.pk]),
        (link_rows, [interview.pk, user.pk] if hides_others else [interview.pk]),
        (code_rows, [interview.project_id]),
    ):
        parts += [f"(SELECT MAX(history_id) {rows})", f"(SELECT COUNT(*) {rows})"]
        params += values * 2
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)  # noqa: S608 (table names from the models)
        row = cursor.fetchone()
    return {
        name: (row[2 * index] or 0, row[2 * index + 1] or 0)
        for index, name in enumerate(("excerpts", "links", "codes"))
    }


def colleagues_at_work(user, interview: Interview, *, hides_others: bool) -> list[Colleague]:
    """Everyone else whose coding page of the interview has asked lately (no one where blind coding hides others
    from the user), and the user's own presence kept fresh: one query, and a write at most every
    `PRESENCE_REFRESH`."""
    now = timezone.now()
    rows = InterviewPresence.objects.filter(interview=interview, seen_at__gte=now - PRESENT_FOR)
    if hides_others:
        rows = rows.filter(user=user)
    rows = list(rows.select_related("user__profile").order_by("user_id"))
    mine = next((row for row in rows if row.user_id == user.pk), None)
    if mine is None or mine.seen_at < now - PRESENCE_REFRESH:
        InterviewPresence.objects.bulk_create(
            [InterviewPresence(interview=interview, user=user, seen_at=now)],
            update_conflicts=True,
            unique_fields=["interview", "user"],
            update_fields=["seen_at"],
        )
    colleagues = []
    for row in rows:
        if row.user_id == user.pk or not row.user.is_active:
            continue
        person = row.user
        profile = getattr(person, "profile", None)
        name = person_name(person.first_name, person.last_name, person.get_username())
        colleagues.append(
            Colleague(
                id=person.pk,
                name=name,
                initials=(profile.initials if profile else "") or initials_of(name)[:2] or "?",
                colour=person_colour(person.pk, profile.colour if profile else ""),
            )
        )
    return colleagues


def leave(user, interview: Interview) -> None:
    InterviewPresence.objects.filter(interview=interview, user=user).delete()


@dataclass(frozen=True)
class CodingState:
    version: Version
    colleagues: list[Colleague]


def coding_state(user, interview: Interview) -> CodingState:
    """The version of what the user sees of the interview's coding now, and who else is at work on it."""
    hides_others = blind_coding_hides_others(user, interview)
    colleagues = colleagues_at_work(user, interview, hides_others=hides_others)
    present = hashlib.blake2b(
        repr(
            [(colleague.id, colleague.initials, colleague.colour, colleague.name) for colleague in colleagues]
        ).encode(),
        digest_size=4,
    ).hexdigest()
    version = Version(
        hides_others=hides_others,
        **_versions(user, interview, hides_others),
        transcript=(interview.turns_digest or "none")[:12],
        present=present,
    )
    return CodingState(version=version, colleagues=colleagues)


def changes_since(user, interview: Interview, since: Version, now: Version) -> dict | None:
    """The excerpts changed since `since` (as they are now) and those gone, or None where the page should read
    the whole list again: blind coding ended (or began) for the user, or too much changed."""
    if since.hides_others != now.hides_others:
        return None
    recently = timezone.now() - OVERLAP
    changed: set[int] = set()
    for history, seen, current, excerpt_id in (
        (_excerpt_history, since.excerpts, now.excerpts, "id"),
        (_link_history, since.links, now.links, "excerpt_id"),
    ):
        if seen != current:
            changed.update(
                history(user, interview, now.hides_others)
                .filter(Q(history_id__gt=seen[0]) | Q(history_date__gte=recently))
                .order_by()
                .values_list(excerpt_id, flat=True)
                .distinct()[: MAX_CHANGED + 1]
            )
    if len(changed) > MAX_CHANGED:
        return None
    excerpts = interview_excerpts(user=user, interview=interview, ids=changed) if changed else []
    found = {excerpt["id"] for excerpt in excerpts}
    return {"excerpts": excerpts, "deleted": sorted(changed - found)}
