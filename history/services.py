"""Restore from history: a deleted excerpt (with its codes and memo), a deleted memo, an archived or deleted
code, and undoing a code merge. Each re-checks that the user may restore (`disclosure.access.can_restore`)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from casestudies.models import Interview, ResearchProject
from coding.models import Code, Excerpt, ExcerptCode, Memo
from coding.services import check_unique_name, move_code
from disclosure.access import can_restore

from .models import CodeMerge

RESTORED = "Restored from history"


def _require_lead(user: AbstractBaseUser, project: ResearchProject) -> None:
    if not can_restore(user, project):
        raise PermissionDenied("Only the project's leads and admins can restore from history.")


def last_deletion(model: type, pk: int):
    """The historical row that recorded the deletion of `model` row `pk`, or None if it was never deleted."""
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def as_it_was(model: type, gone, **changed):
    """A new `model` row holding every stored field of the historical row `gone` (its id included), with
    `changed` put in their place. Copying every field, rather than naming them, means a field added later is
    restored too; the timestamps are the database's, and `version` counts on from the deleted row's."""
    fields = {
        field.attname: getattr(gone, field.attname)
        for field in model._meta.concrete_fields
        if field.attname not in {"created_at", "updated_at"}
    }
    if "version" in fields:
        fields["version"] = gone.version + 1
    return model(**{**fields, **changed})


def anchor_in_transcript(*, transcript: str, start: int, end: int, text: str) -> tuple[int, int]:
    """Where `text` is in the current transcript: at its old offsets if they still hold, else at its one exact
    occurrence. Refuses when it is not there, or there more than once (which one would be a guess)."""
    if transcript[start:end] == text:
        return start, end
    found = transcript.find(text)
    if found == -1:
        raise ValidationError(
            "The transcript has changed and no longer contains this excerpt's text, so it cannot be restored."
        )
    if transcript.find(text, found + 1) != -1:
        raise ValidationError(
            "The transcript has changed and this excerpt's text now occurs more than once, so where to restore it "
            "would be a guess; it was not restored."
        )
    return found, found + len(text)


@transaction.atomic
def restore_excerpt(*, excerpt_id: int, restored_by: AbstractBaseUser) -> tuple[Excerpt, list[str]]:
    """Bring a deleted excerpt back with the codes it had when deleted and its memo.

    Returns the excerpt and the names of codes that could not be put back (since deleted or archived).
    """
    if Excerpt.objects.filter(pk=excerpt_id).exists():
        raise ValidationError("This excerpt has not been deleted.")
    gone = last_deletion(Excerpt, excerpt_id)
    if gone is None or gone.history_type != "-":
        raise ValidationError("There is no deleted excerpt with this number in the history.")
    interview = Interview.objects.filter(pk=gone.interview_id).select_related("project").first()
    if interview is None:
        raise ValidationError("The excerpt's interview has been deleted; restore the interview first.")
    _require_lead(restored_by, interview.project)
    start, end = anchor_in_transcript(transcript=interview.transcript, start=gone.start, end=gone.end, text=gone.text)
    before = (
        Excerpt.history.filter(id=excerpt_id, history_date__lt=gone.history_date)
        .exclude(history_type="-")
        .order_by("-history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    excerpt = as_it_was(Excerpt, gone, interview=interview, start=start, end=end)
    excerpt._history_user = restored_by
    excerpt._change_reason = RESTORED if (start, end) == (gone.start, gone.end) else f"{RESTORED}, re-anchored"
    excerpt.save(force_insert=True)
    Excerpt.objects.filter(pk=excerpt.pk).update(created_at=gone.created_at)
    # The links it had when deleted: those whose last record is their deletion, made after the excerpt's last
    # save before it was deleted (links removed by an earlier edit were removed before that save).
    latest: dict[int, object] = {}
    links = ExcerptCode.history.filter(excerpt_id=excerpt_id).order_by("history_date", "history_id")
    if before is not None:
        links = links.filter(history_date__gte=before)
    for row in links:
        latest[row.code_id] = row
    wanted = [row for row in latest.values() if row.history_type == "-"]
    codes = Code.objects.in_bulk([row.code_id for row in wanted])
    missing = [str(row.code_id) for row in wanted if row.code_id not in codes]
    usable = [row for row in wanted if row.code_id in codes and not codes[row.code_id].is_archived]
    missing_names = [
        codes[row.code_id].name for row in wanted if row.code_id in codes and codes[row.code_id].is_archived
    ]
    restored = [
        ExcerptCode(excerpt=excerpt, code=codes[row.code_id], applied_by_id=row.applied_by_id) for row in usable
    ]
    if restored:
        bulk_create_with_history(restored, ExcerptCode, default_user=restored_by, default_change_reason=RESTORED)
    if missing:
        names = dict(
            Code.history.filter(id__in=[int(pk) for pk in missing]).order_by("history_date").values_list("id", "name")
        )
        missing_names += [names.get(int(pk), f"code {pk}") for pk in missing]
    return excerpt, missing_names


@transaction.atomic
def restore_memo(*, memo_id: int, restored_by: AbstractBaseUser) -> Memo:
    if Memo.objects.filter(pk=memo_id).exists():
        raise ValidationError("This memo has not been deleted.")
    gone = last_deletion(Memo, memo_id)
    if gone is None or gone.history_type != "-":
        raise ValidationError("There is no deleted memo with this number in the history.")
    project = ResearchProject.objects.get(pk=gone.project_id)
    _require_lead(restored_by, project)
    for name, model in (("code", Code), ("interview", Interview)):
        target = getattr(gone, f"{name}_id")
        if target is not None and not model.objects.filter(pk=target).exists():
            raise ValidationError(f"The memo's {name} has been deleted; restore it first.")
    if gone.case_study_id is not None and not project.case_studies.filter(pk=gone.case_study_id).exists():
        raise ValidationError("The memo's case study has been deleted; restore it first.")
    memo = as_it_was(Memo, gone, project=project)
    memo._history_user = restored_by
    memo._change_reason = RESTORED
    memo.save(force_insert=True)
    return memo


@transaction.atomic
def restore_code(*, code_id: int, restored_by: AbstractBaseUser) -> Code:
    """Un-archive an archived code, or bring a deleted one back (under its old parent if that still exists),
    with the memos that were deleted with it."""
    code = Code.objects.filter(pk=code_id).select_related("project").first()
    if code is not None:
        _require_lead(restored_by, code.project)
        if not code.is_archived:
            raise ValidationError("This code is neither archived nor deleted.")
        code.is_archived = False
        code._history_user = restored_by
        code._change_reason = RESTORED
        code.save(update_fields=["is_archived"])
        return code
    gone = last_deletion(Code, code_id)
    if gone is None or gone.history_type != "-":
        raise ValidationError("There is no deleted code with this number in the history.")
    project = ResearchProject.objects.get(pk=gone.project_id)
    _require_lead(restored_by, project)
    parent = Code.objects.filter(pk=gone.parent_id).first() if gone.parent_id else None
    code = as_it_was(Code, gone, project=project, parent=parent)
    check_unique_name(code=code)
    code._history_user = restored_by
    code._change_reason = RESTORED
    code.save(force_insert=True)
    memos = [
        row
        for row in Memo.history.filter(code_id=code_id, history_type="-", history_date__gte=gone.history_date)
        if not Memo.objects.filter(pk=row.id).exists()
    ]
    for row in memos:
        restore_memo(memo_id=row.id, restored_by=restored_by)
    return code


@transaction.atomic
def undo_merge(*, merge: CodeMerge, undone_by: AbstractBaseUser) -> Code:
    """Bring the merged code back and put every excerpt, sub-code, memo and question link where it was."""
    _require_lead(undone_by, merge.project)
    merge = CodeMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError("This merge has already been undone.")
    if merge.target_id is None:
        raise ValidationError(f"The code “{merge.target_name}” has since been deleted; the merge cannot be undone.")
    target = Code.objects.get(pk=merge.target_id)
    source = restore_code(code_id=merge.source_id, restored_by=undone_by)
    moved = list(ExcerptCode.objects.filter(code=target, excerpt_id__in=merge.moved_excerpt_ids))
    for link in moved:
        link.code = source
    bulk_update_with_history(moved, ExcerptCode, ["code"], default_user=undone_by, default_change_reason="Merge undone")
    shared = Excerpt.objects.filter(pk__in=merge.shared_excerpt_ids, code_links__code=target)
    again = [ExcerptCode(excerpt=excerpt, code=source, applied_by=undone_by) for excerpt in shared]
    if again:
        bulk_create_with_history(again, ExcerptCode, default_user=undone_by, default_change_reason="Merge undone")
    for child in Code.objects.filter(pk__in=merge.moved_child_ids, parent=target):
        move_code(code=child, parent=source)
    memos = list(Memo.objects.filter(pk__in=merge.moved_memo_ids, code=target))
    for memo in memos:
        memo.code = source
    bulk_update_with_history(memos, Memo, ["code"], default_user=undone_by, default_change_reason="Merge undone")
    target.research_questions.remove(*merge.added_question_ids)
    source.research_questions.add(*merge.source_question_ids)
    if target.definition != merge.target_definition_before:
        target.definition = merge.target_definition_before
        target._history_user = undone_by
        target._change_reason = "Merge undone"
        target.save(update_fields=["definition"])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    return source
