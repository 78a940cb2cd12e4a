"""Every write to the codebook and the coding goes through one of these functions."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models.functions import Length, Substr
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from casestudies.models import Interview, ResearchProject, ResearchQuestion
from casestudies.validators import MAX_OFFSET, check_tags

from .colours import HEX_COLOUR, PALETTE_COLOURS, colour_distance
from .models import Code, Excerpt, ExcerptCode, Memo


def check_range(*, interview: Interview, start: int, end: int) -> str:
    """The rule for every excerpt: 0 <= start < end <= len(text), in code points of the canonical text.

    Returns the text [start, end). With the transcript deferred, the database measures and slices it (both
    PostgreSQL and SQLite count characters as code points), so coding a few words never loads a long transcript.
    """
    errors = {}
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        errors["start"] = "Start must be a whole number of characters, 0 or more."
    elif start > MAX_OFFSET:
        errors["start"] = f"Start must be at most {MAX_OFFSET}."
    if not isinstance(end, int) or isinstance(end, bool) or end < 1:
        errors["end"] = "End must be a whole number of characters, 1 or more."
    elif end > MAX_OFFSET:
        errors["end"] = f"End must be at most {MAX_OFFSET}."
    if errors:
        raise ValidationError(errors)
    if "transcript" not in interview.get_deferred_fields():
        length, text = len(interview.transcript), interview.transcript[start:end]
    else:
        transcript = Interview.objects.filter(pk=interview.pk)
        text = ""
        if start < end:
            text = transcript.values_list(Substr("transcript", start + 1, end - start), flat=True).get()
        # A full slice proves the range fits; only a short one needs the length, for the message.
        length = end if len(text) == end - start else transcript.values_list(Length("transcript"), flat=True).get()
    if end > length:
        raise ValidationError({"end": f"End {end} is past the end of the transcript ({length} characters)."})
    if start >= end:
        raise ValidationError({"end": f"End ({end}) must come after start ({start})."})
    return text


def _check_codes(*, interview: Interview, codes: Sequence[Code]) -> None:
    for code in codes:
        if code.project_id != interview.project_id:
            raise ValidationError({"code_ids": f"The code “{code.name}” belongs to another project."})
        if code.is_archived:
            raise ValidationError({"code_ids": f"The code “{code.name}” is archived; restore it to apply it."})
        if not code.is_codable:
            raise ValidationError({"code_ids": f"The code “{code.name}” is a heading and cannot be applied."})


# Coding is the hot path (the coding page saves on every click). The interview and coder are instances in hand
# and check_range has enforced start < end, so full_clean skips the queries that would check them again
# (both foreign keys, the random GUID's uniqueness and the start-before-end constraint); the database still
# enforces all of them.
CLEAN_KNOWN_EXCERPT = {"exclude": ["interview", "coded_by"], "validate_unique": False, "validate_constraints": False}


@transaction.atomic
def create_excerpt(
    *,
    interview: Interview,
    start: int,
    end: int,
    coded_by: AbstractBaseUser,
    codes: Sequence[Code] = (),
    memo: str = "",
    is_key_quote: bool = False,
) -> Excerpt:
    text = check_range(interview=interview, start=start, end=end)
    _check_codes(interview=interview, codes=codes)
    excerpt = Excerpt(
        interview=interview,
        start=start,
        end=end,
        text=text,
        coded_by=coded_by,
        memo=memo,
        is_key_quote=is_key_quote,
    )
    excerpt.full_clean(**CLEAN_KNOWN_EXCERPT)
    excerpt._history_user = coded_by
    excerpt.save()
    links = [ExcerptCode(excerpt=excerpt, code=code, applied_by=coded_by) for code in dict.fromkeys(codes)]
    if links:
        bulk_create_with_history(links, ExcerptCode, default_user=coded_by)
    return excerpt


@dataclass(frozen=True)
class NewExcerpt:
    """One excerpt for `create_excerpts`.

    An import keeps what the file recorded: the excerpt's own coder (instead of the batch's), its GUID, when it
    was made and changed, and when each code was applied (`applied_at`, by code id).
    """

    start: int
    end: int
    codes: Sequence[Code] = ()
    memo: str = ""
    is_key_quote: bool = False
    coded_by: AbstractBaseUser | None = None
    guid: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    applied_at: Mapping[int, datetime] = dataclass_field(default_factory=dict)


def check_excerpt(*, interview: Interview, start: int, end: int, codes: Sequence[Code] = ()) -> str:
    """The rules `create_excerpt` applies, without writing: for callers that skip a bad excerpt and go on.

    Returns the covered text; raises ValidationError with the same messages as `create_excerpt`.
    """
    text = check_range(interview=interview, start=start, end=end)
    _check_codes(interview=interview, codes=codes)
    return text


@transaction.atomic
def create_excerpts(
    *,
    interview: Interview,
    excerpts: Sequence[NewExcerpt],
    coded_by: AbstractBaseUser | None = None,
    recorded_by: AbstractBaseUser | None = None,
) -> list[Excerpt]:
    """Many excerpts of one interview at once (demo material, imports), with the same checks as `create_excerpt`.

    All or nothing: the first bad excerpt raises, naming its position, and none is written. Everything is
    checked before anything is written; the rows then go in with a few bulk inserts, and so does their history,
    made by `recorded_by` (whoever runs an import) or else by each excerpt's coder.
    """
    made: list[Excerpt] = []
    given_guids = [item.guid for item in excerpts if item.guid is not None]
    taken = set(Excerpt.objects.filter(guid__in=given_guids).values_list("guid", flat=True)) if given_guids else set()
    for position, item in enumerate(excerpts, start=1):
        try:
            text = check_excerpt(interview=interview, start=item.start, end=item.end, codes=item.codes)
            coder = item.coded_by or coded_by
            if coder is None:
                raise ValidationError({"coded_by": "An excerpt needs a coder."})
            excerpt = Excerpt(
                interview=interview,
                start=item.start,
                end=item.end,
                text=text,
                coded_by=coder,
                memo=item.memo,
                is_key_quote=item.is_key_quote,
            )
            if item.guid is not None:
                if item.guid in taken:
                    raise ValidationError({"guid": f"An excerpt with the GUID {item.guid} already exists."})
                taken.add(item.guid)
                excerpt.guid = item.guid
            excerpt.full_clean(**CLEAN_KNOWN_EXCERPT)
        except ValidationError as error:
            raise ValidationError(
                f"Excerpt {position} [{item.start}, {item.end}): {' '.join(error.messages)}"
            ) from error
        excerpt._history_user = recorded_by or coder
        made.append(excerpt)
    # Batch writes record their history too (one bulk insert of historical rows per batch).
    made = bulk_create_with_history(made, Excerpt, batch_size=500, default_user=coded_by)
    links = [
        ExcerptCode(excerpt=excerpt, code=code, applied_by=excerpt.coded_by)
        for excerpt, item in zip(made, excerpts, strict=True)
        for code in dict.fromkeys(item.codes)
    ]
    for link in links:
        link._history_user = recorded_by or link.applied_by
    bulk_create_with_history(links, ExcerptCode, batch_size=500, default_user=coded_by)
    # created_at, updated_at and applied_at are set by the database's clock on insert (auto_now_add and
    # auto_now overwrite any value given); the recorded moments replace them in one batched statement each.
    dated = [
        (excerpt, item.created_at or excerpt.created_at, item.updated_at or excerpt.updated_at)
        for excerpt, item in zip(made, excerpts, strict=True)
        if item.created_at or item.updated_at
    ]
    for excerpt, created_at, updated_at in dated:
        excerpt.created_at, excerpt.updated_at = created_at, updated_at
    _set_moments(Excerpt, ["created_at", "updated_at"], [(e.pk, [c, u]) for e, c, u in dated])
    moments = {excerpt.pk: item.applied_at for excerpt, item in zip(made, excerpts, strict=True) if item.applied_at}
    applied = [link for link in links if moments.get(link.excerpt_id, {}).get(link.code_id)]
    for link in applied:
        link.applied_at = moments[link.excerpt_id][link.code_id]
    _set_moments(ExcerptCode, ["applied_at"], [(link.pk, [link.applied_at]) for link in applied])
    return made


def _set_moments(model: type[models.Model], fields: list[str], rows: list[tuple[int, list[datetime]]]) -> None:
    """Set date-time fields row by row with one prepared statement (bulk_update's CASE is slow for thousands)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    columns = [model._meta.get_field(name).column for name in fields]
    assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
    # Only the model's own table and column names, quoted, go into the text; the values are parameters.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[*(adapt(value) for value in values), pk] for pk, values in rows])


class StaleVersion(Exception):
    """The record changed since the caller read it: `current` is how it is now (locked, in this transaction)."""

    def __init__(self, current: models.Model) -> None:
        super().__init__(f"{type(current).__name__} {current.pk} is now at version {current.version}.")
        self.current = current


EXCERPT_STATE = ("start", "end", "text", "memo", "is_key_quote", "needs_review", "version", "updated_at")


def _lock_excerpt(*, excerpt: Excerpt, expected_version: int | None) -> None:
    """Lock the excerpt's row for the rest of the transaction and bring `excerpt` up to date with it.

    Concurrent writes to one excerpt then run one after the other, each on what the one before left: no lost
    code, no duplicate link, no write to a row that a concurrent delete removed. Only the excerpt's own row is
    locked, so coding elsewhere in the interview goes on. Raises Excerpt.DoesNotExist if it has gone, and
    StaleVersion if it is no longer at `expected_version` (None: any version, for clients that do not send one).
    """
    row = Excerpt.objects.select_for_update().filter(pk=excerpt.pk).values(*EXCERPT_STATE).first()
    if row is None:
        raise Excerpt.DoesNotExist(f"Excerpt {excerpt.pk} has been deleted.")
    for name, value in row.items():
        setattr(excerpt, name, value)
    if expected_version is not None and excerpt.version != expected_version:
        raise StaleVersion(excerpt)


@transaction.atomic
def update_excerpt(
    *,
    excerpt: Excerpt,
    changed_by: AbstractBaseUser,
    start: int | None = None,
    end: int | None = None,
    codes: Sequence[Code] | None = None,
    memo: str | None = None,
    is_key_quote: bool | None = None,
    needs_review: bool | None = None,
    expected_version: int | None = None,
) -> Excerpt:
    """Change what was given; leave the rest. New boundaries re-read the covered text; `codes` replaces the
    codes exactly; `needs_review=False` confirms an excerpt a correction changed (a no-op when it needs none).
    Every write bumps the version."""
    _lock_excerpt(excerpt=excerpt, expected_version=expected_version)
    fields: list[str] = []
    if start is not None or end is not None:
        new_start = excerpt.start if start is None else start
        new_end = excerpt.end if end is None else end
        excerpt.text = check_range(interview=excerpt.interview, start=new_start, end=new_end)
        excerpt.start, excerpt.end = new_start, new_end
        fields += ["start", "end", "text"]
    if memo is not None:
        excerpt.memo = memo
        fields.append("memo")
    if is_key_quote is not None:
        excerpt.is_key_quote = is_key_quote
        fields.append("is_key_quote")
    if needs_review is not None and needs_review != excerpt.needs_review:
        excerpt.needs_review = needs_review
        fields.append("needs_review")
    if fields:
        excerpt.full_clean(**CLEAN_KNOWN_EXCERPT)
    if codes is not None:
        _replace_codes(excerpt=excerpt, codes=codes, applied_by=changed_by)
    if fields or codes is not None:
        excerpt.version += 1
        excerpt._history_user = changed_by
        excerpt.save(update_fields=[*fields, "version", "updated_at"])
    return excerpt


def _replace_codes(*, excerpt: Excerpt, codes: Sequence[Code], applied_by: AbstractBaseUser) -> None:
    """Exactly `codes` afterwards (never a union with what another writer added); the caller holds the lock."""
    wanted = {code.pk: code for code in codes}
    current = set(excerpt.code_links.values_list("code_id", flat=True))
    _check_codes(interview=excerpt.interview, codes=[code for pk, code in wanted.items() if pk not in current])
    for link in excerpt.code_links.exclude(code_id__in=wanted):
        link._history_user = applied_by
        link.delete()
    added = [
        ExcerptCode(excerpt=excerpt, code=code, applied_by=applied_by)
        for pk, code in wanted.items()
        if pk not in current
    ]
    if added:
        bulk_create_with_history(added, ExcerptCode, default_user=applied_by)


@transaction.atomic
def set_excerpt_codes(
    *,
    excerpt: Excerpt,
    codes: Sequence[Code],
    applied_by: AbstractBaseUser,
    expected_version: int | None = None,
) -> Excerpt:
    return update_excerpt(excerpt=excerpt, changed_by=applied_by, codes=codes, expected_version=expected_version)


@transaction.atomic
def delete_excerpt(
    *, excerpt: Excerpt, expected_version: int | None = None, deleted_by: AbstractBaseUser | None = None
) -> None:
    """Delete the excerpt and its code links; both stay in history, from where a lead can restore them."""
    _lock_excerpt(excerpt=excerpt, expected_version=expected_version)
    if deleted_by is not None:
        for link in excerpt.code_links.all():
            link._history_user = deleted_by
            link.delete()
        excerpt._history_user = deleted_by
    excerpt.delete()


def _check_parent(*, code: Code, parent: Code | None) -> None:
    if parent is None:
        return
    if parent.project_id != code.project_id:
        raise ValidationError({"parent": "The parent code belongs to another project."})
    ancestor: Code | None = parent
    while ancestor is not None:
        if code.pk is not None and ancestor.pk == code.pk:
            raise ValidationError({"parent": "A code cannot be moved under itself or one of its own sub-codes."})
        ancestor = ancestor.parent


@transaction.atomic
def create_code(
    *,
    project: ResearchProject,
    name: str,
    created_by: AbstractBaseUser | None,
    parent: Code | None = None,
    definition: str = "",
    colour: str | None = None,
    research_questions: Iterable[ResearchQuestion] = (),
    tags: Iterable[str] = (),
    is_codable: bool = True,
    order: int = 0,
    guid: uuid.UUID | None = None,
    allow_separator: bool = False,
) -> Code:
    """`guid` keeps an imported code's identity; full_clean checks that no other code has it.

    `allow_separator` is for imports only: a codebook made elsewhere may name a code "Time/cost", but
    typed here a slash means "Parent / name", so a name with one is refused rather than made by accident.
    """
    tags = _checked_tags(tags)
    code = Code(
        project=project,
        parent=parent,
        name=name.strip(),
        definition=definition,
        created_by=created_by,
        is_codable=is_codable,
        order=order,
    )
    if guid is not None:
        code.guid = guid
    code.colour = colour or _default_colour(project=project, parent=parent)
    if not code.name:
        raise ValidationError({"name": "A code needs a name."})
    if not allow_separator:
        _check_no_separator(code.name)
    _check_parent(code=code, parent=parent)
    check_unique_name(code=code)
    # The project, parent and coder are rows in hand, the name was checked against its siblings just above
    # (both unique constraints, case-insensitively), a new code cannot be its own parent, and a GUID made here
    # is new: what full_clean would look up again is only a GUID given by an import.
    code.full_clean(
        exclude=["project", "parent", "created_by", *(() if guid is not None else ("guid",))],
        validate_constraints=False,
    )
    if created_by is not None:
        code._history_user = created_by
    code.save()
    questions = list(research_questions)
    if any(q.group.project_id != project.pk for q in questions):
        raise ValidationError({"research_questions": "A linked research question belongs to another project."})
    if questions:
        code.research_questions.add(*questions)
    if tags:
        code.tags.set(tags)
    return code


PATH_SEPARATORS = ("/", "›")


def _check_no_separator(name: str) -> None:
    if any(separator in name for separator in PATH_SEPARATORS):
        raise ValidationError(
            {
                "name": f"A code name cannot contain “/” or “›”: they separate a parent from its sub-code. "
                f"To make “{name.rsplit('/', 1)[-1].rsplit('›', 1)[-1].strip()}” a sub-code, choose its parent."
            }
        )


def _name_changed(code: Code) -> bool:
    """A code imported with a slash in its name keeps it through edits of its other fields."""
    stored = Code.objects.filter(pk=code.pk).values_list("name", flat=True).first()
    return stored != code.name


def _checked_tags(tags: Iterable[str]) -> list[str]:
    try:
        return check_tags(tags)
    except ValidationError as error:
        raise ValidationError({"tags": error.messages}) from error


def _default_colour(*, project: ResearchProject, parent: Code | None) -> str:
    """The palette colour farthest from every colour the new code's siblings already use.

    Siblings are what a coder sees side by side (the top-level codes, or the other sub-codes of one
    parent); a colour no sibling uses comes first, and among those the palette's own order breaks ties.
    """
    used = {
        colour.lower()
        for colour in Code.objects.filter(project=project, parent=parent).values_list("colour", flat=True)
        if HEX_COLOUR.match(colour)
    }
    if parent is not None and parent.colour:
        used.add(parent.colour.lower())
    if not used:
        return PALETTE_COLOURS[0]

    def nearest(candidate: str) -> float:
        return min(colour_distance(candidate, colour) for colour in used)

    return max(PALETTE_COLOURS, key=lambda candidate: (nearest(candidate), -PALETTE_COLOURS.index(candidate)))


def check_unique_name(*, code: Code) -> None:
    """Refuse a code whose name (in any case) a sibling already has; creating, renaming, moving and restoring a
    code all ask this."""
    siblings = Code.objects.filter(project=code.project_id, parent=code.parent_id, name__iexact=code.name)
    if code.pk:
        siblings = siblings.exclude(pk=code.pk)
    if siblings.exists():
        where = f"under “{code.parent.name}”" if code.parent_id else "at the top of the codebook"
        raise ValidationError({"name": f"A code named “{code.name}” already exists {where}."})


@transaction.atomic
def update_code(
    *,
    code: Code,
    name: str | None = None,
    definition: str | None = None,
    colour: str | None = None,
    research_questions: Iterable[ResearchQuestion] | None = None,
    tags: Iterable[str] | None = None,
    is_codable: bool | None = None,
) -> Code:
    if tags is not None:
        tags = _checked_tags(tags)
    fields = []
    for field, value in (("name", name), ("definition", definition), ("colour", colour), ("is_codable", is_codable)):
        if value is not None:
            setattr(code, field, value.strip() if field == "name" else value)
            fields.append(field)
    if "name" in fields:
        if not code.name:
            raise ValidationError({"name": "A code needs a name."})
        if _name_changed(code):
            _check_no_separator(code.name)
        check_unique_name(code=code)
    if fields:
        code.full_clean()
        code.save(update_fields=fields)
    if research_questions is not None:
        questions = list(research_questions)
        if any(q.group.project_id != code.project_id for q in questions):
            raise ValidationError({"research_questions": "A linked research question belongs to another project."})
        code.research_questions.set(questions)
    if tags is not None:
        code.tags.set(tags)
    return code


@transaction.atomic
def move_code(*, code: Code, parent: Code | None, order: int | None = None) -> Code:
    _check_parent(code=code, parent=parent)
    code.parent = parent
    check_unique_name(code=code)
    fields = ["parent"]
    if order is not None:
        code.order = order
        fields.append("order")
    code.full_clean()
    code.save(update_fields=fields)
    return code


@transaction.atomic
def set_code_archived(*, code: Code, is_archived: bool) -> Code:
    code.is_archived = is_archived
    code.save(update_fields=["is_archived"])
    return code


@transaction.atomic
def merge_codes(*, source: Code, target: Code, merged_by: AbstractBaseUser | None = None) -> Code:
    """Fold `source` into `target`: its excerpts, sub-codes, memos and question links follow; `source` goes.

    What moved is recorded (history.CodeMerge) and every moved row keeps its history, so that
    `history.services.undo_merge` can put each excerpt back on the code it came from.
    """
    from history.models import CodeMerge

    if source.pk == target.pk:
        raise ValidationError({"target": "A code cannot be merged into itself."})
    if source.project_id != target.project_id:
        raise ValidationError({"target": "Codes can only be merged within one project."})
    ancestor = target.parent
    while ancestor is not None:
        if ancestor.pk == source.pk:
            raise ValidationError({"target": "A code cannot be merged into one of its own sub-codes."})
        ancestor = ancestor.parent
    record = CodeMerge(
        project_id=source.project_id,
        source_id=source.pk,
        source_name=source.name,
        target=target,
        target_name=target.name,
        target_definition_before=target.definition,
        merged_by=merged_by,
    )
    already = set(ExcerptCode.objects.filter(code=target).values_list("excerpt_id", flat=True))
    shared = list(ExcerptCode.objects.filter(code=source, excerpt_id__in=already))
    for link in shared:
        link._history_user = merged_by
        link.delete()
    moved = list(ExcerptCode.objects.filter(code=source))
    for link in moved:
        link.code = target
    bulk_update_with_history(moved, ExcerptCode, ["code"], batch_size=500, default_user=merged_by)
    children = list(source.children.all())
    for child in children:
        move_code(code=child, parent=target)
    memos = list(Memo.objects.filter(code=source))
    for memo in memos:
        memo.code = target
    bulk_update_with_history(memos, Memo, ["code"], batch_size=500, default_user=merged_by)
    had = set(target.research_questions.values_list("pk", flat=True))
    own = list(source.research_questions.all())
    gained = [question for question in own if question.pk not in had]
    target.research_questions.add(*gained)
    if source.definition and source.definition not in target.definition:
        target.definition = f"{target.definition}\n\n{source.definition}".strip()
        target._history_user = merged_by
        target.save(update_fields=["definition"])
    record.moved_excerpt_ids = sorted(link.excerpt_id for link in moved)
    record.shared_excerpt_ids = sorted(link.excerpt_id for link in shared)
    record.moved_child_ids = sorted(child.pk for child in children)
    record.moved_memo_ids = sorted(memo.pk for memo in memos)
    record.added_question_ids = sorted(question.pk for question in gained)
    record.source_question_ids = sorted(question.pk for question in own)
    record.save()
    source._history_user = merged_by
    source._change_reason = f"Merged into “{target.name}”"
    source.delete()
    return target


@transaction.atomic
def delete_code(*, code: Code) -> None:
    if code.children.exists():
        raise ValidationError("This code has sub-codes: move or merge them first.")
    if code.excerpt_links.exists():
        raise ValidationError("This code has been applied to excerpts: merge it into another code, or archive it.")
    code.delete()


@transaction.atomic
def save_memo(
    *,
    project: ResearchProject,
    author: AbstractBaseUser | None,
    text: str,
    memo: Memo | None = None,
    title: str = "",
    expected_version: int | None = None,
    **target,
) -> Memo:
    """Create or update a memo on a code, interview or case study (`code=`, `interview=`, `case_study=`).

    An update locks the memo's row and bumps its version; with `expected_version`, an edit made on an older
    version raises StaleVersion instead of silently replacing the newer text.
    """
    if memo is not None and memo.pk is not None:
        current = Memo.objects.select_for_update().filter(pk=memo.pk).values_list("version", flat=True).first()
        if current is None:
            raise Memo.DoesNotExist(f"Memo {memo.pk} has been deleted.")
        if expected_version is not None and current != expected_version:
            memo.refresh_from_db()
            raise StaleVersion(memo)
        memo.version = current
        memo.version += 1
    memo = memo or Memo(project=project, author=author, **target)
    memo.title, memo.text = title, text
    memo.full_clean()
    memo.save()
    return memo
