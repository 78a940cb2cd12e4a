"""Reading history: each record's changes field by field, names instead of ids, compact transcript diffs, and
the project's Activity across kinds. Every query goes through `disclosure.access.visible_history`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet

from analysis.models import FrameworkSummary
from casestudies.models import CaseStudy, Interview, Participant, ResearchProject
from coding.models import Code, Excerpt, ExcerptCode, Memo
from disclosure.access import hidden_history_fields, visible_history
from reports.models import WorkingPaper

# How many rows a History page shows, newest first, and how long a text diff may get before it is cut.
MAX_ROWS = 200
MAX_DIFF_LINES = 60
MAX_DIFF_LINE_LENGTH = 300
LONG_TEXT = 200
ACTIVITY_PER_PAGE = 50

# Fields every historical row carries that are bookkeeping rather than the record's content.
NOT_SHOWN = {
    "id",
    "version",
    "revision",
    "updated_at",
    "created_at",
    "guid",
    "applied_at",
    "transcript_imported_at",
    "turns_digest",  # bookkeeping of the recorded speaker turns, kept out of history
}

KINDS: dict[str, tuple[type[models.Model], str]] = {
    "excerpt": (Excerpt, "Excerpt"),
    "excerpt_code": (ExcerptCode, "Code on an excerpt"),
    "code": (Code, "Code"),
    "memo": (Memo, "Memo"),
    "interview": (Interview, "Interview"),
    "participant": (Participant, "Participant"),
    "case_study": (CaseStudy, "Case study"),
    "summary": (FrameworkSummary, "Framework summary"),
    "paper": (WorkingPaper, "Working paper"),
}
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class Change:
    field: str
    before: str = ""
    after: str = ""
    diff: list[tuple[str, str]] = field(default_factory=list)  # (kind, line) for long texts


@dataclass
class Entry:
    kind: str
    row: object
    action: str
    when: datetime
    who: object
    reason: str
    changes: list[Change] = field(default_factory=list)
    label: str = ""


def _history_model(kind: str):
    return KINDS[kind][0].history.model


def _fk_fields(model) -> dict[str, type[models.Model]]:
    return {f.attname: f.related_model for f in model._meta.fields if isinstance(f, models.ForeignKey)}


def _names(model: type[models.Model], ids: set) -> dict:
    """Readable names for ids of `model`, deleted ones included (from their history) where it has one."""
    ids = {pk for pk in ids if pk is not None}
    if not ids:
        return {}
    if model is get_user_model():
        return {u.pk: (u.get_full_name() or u.get_username()) for u in model.objects.filter(pk__in=ids)}
    if model is Participant:
        return dict(model.objects.filter(pk__in=ids).values_list("pk", "pseudonym"))
    found = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=ids)}
    missing = ids - found.keys()
    if missing and hasattr(model, "history"):
        for row in model.history.filter(id__in=missing).order_by("history_date"):
            found[row.id] = f"{row.instance} (deleted)"
    return found


def text_diff(before: str, after: str) -> list[tuple[str, str]]:
    """A compact line diff of two long texts (a transcript): only changed lines and one line of context."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=1)
    out: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "added", "-": "removed"}.get(line[:1], "same")
        text = line[1:] if kind != "hunk" else "…"
        if len(text) > MAX_DIFF_LINE_LENGTH:
            text = text[:MAX_DIFF_LINE_LENGTH] + "…"
        out.append((kind, text))
        if len(out) >= MAX_DIFF_LINES:
            out.append(("hunk", "… the diff goes on; it is cut here."))
            break
    return out


def _display(value, fk_names: dict | None) -> str:
    if value is None or value == "":
        return "—"
    if fk_names is not None:
        return fk_names.get(value, f"#{value} (gone)")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _changes(kind: str, rows: list, user, names: dict[str, dict]) -> dict[int, list[Change]]:
    """Field-level changes of each row against the row before it of the same record (rows oldest first)."""
    model = KINDS[kind][0]
    fk = _fk_fields(model)
    hidden = hidden_history_fields(user, kind) | NOT_SHOWN
    fields = [f for f in model._meta.fields if f.attname not in hidden and f.name not in hidden]
    previous: dict[int, object] = {}
    result: dict[int, list[Change]] = {}
    for row in rows:
        before = previous.get(row.id)
        changes = []
        for f in fields:
            new = getattr(row, f.attname)
            old = getattr(before, f.attname) if before is not None else None
            if before is not None and old == new:
                continue
            if before is None and row.history_type != "+":
                continue
            if row.history_type == "-":
                continue
            change = Change(field=str(f.verbose_name))
            if isinstance(new, str) and (len(new) > LONG_TEXT or len(old or "") > LONG_TEXT):
                change.diff = text_diff(old or "", new)
            else:
                fk_names = names.get(f.attname) if f.attname in fk else None
                change.before = "" if before is None else _display(old, fk_names)
                change.after = _display(new, fk_names)
            changes.append(change)
        result[row.history_id] = changes
        previous[row.id] = row
    return result


def _fk_names_for(kind: str, rows: list) -> dict[str, dict]:
    model = KINDS[kind][0]
    out = {}
    for attname, related in _fk_fields(model).items():
        if related in (ResearchProject,):
            continue
        out[attname] = _names(related, {getattr(row, attname) for row in rows})
    return out


def record_history(user, kind: str, pk: int) -> list[Entry]:
    """Every visible change of one record, newest first; for an excerpt its code links too (by code name)."""
    rows = list(
        visible_history(user, kind, _history_model(kind).objects.filter(id=pk))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:MAX_ROWS]
    )
    rows.reverse()
    names = _fk_names_for(kind, rows)
    changes = _changes(kind, rows, user, names)
    entries = [
        Entry(
            kind,
            row,
            ACTIONS[row.history_type],
            row.history_date,
            row.history_user,
            row.history_change_reason or "",
            changes[row.history_id],
        )
        for row in rows
    ]
    if kind == "excerpt" and rows:
        links = list(
            visible_history(user, "excerpt_code", ExcerptCode.history.filter(excerpt_id=pk))
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[:MAX_ROWS]
        )
        previous_code = _previous_codes(links)
        codes = _names(Code, {link.code_id for link in links} | set(previous_code.values()))
        for link in links:
            if link.history_type == "~" and previous_code.get(link.history_id) not in (None, link.code_id):
                change = Change("code", codes.get(previous_code[link.history_id], ""), codes.get(link.code_id, ""))
                action = "changed"
            else:
                change = Change(
                    "code",
                    "" if link.history_type == "+" else codes.get(link.code_id, ""),
                    codes.get(link.code_id, "") if link.history_type == "+" else "",
                )
                action = {"+": "code added", "-": "code removed", "~": "changed"}[link.history_type]
            entries.append(
                Entry(
                    "excerpt_code",
                    link,
                    action,
                    link.history_date,
                    link.history_user,
                    link.history_change_reason or "",
                    [change],
                )
            )
    entries.sort(key=lambda entry: (entry.when, entry.row.history_id), reverse=True)
    return entries


def _previous_codes(links: list) -> dict[int, int]:
    """For each changed link row, the code it had in its row before (a merge moves a link to another code)."""
    by_link: dict[int, list] = {}
    for link in sorted(links, key=lambda row: (row.history_date, row.history_id)):
        by_link.setdefault(link.id, []).append(link)
    out = {}
    for history in by_link.values():
        for before, after in zip(history, history[1:], strict=False):
            out[after.history_id] = before.code_id
    return out


def current_record(kind: str, pk: int):
    records = KINDS[kind][0]._default_manager.filter(pk=pk)
    if kind in ("excerpt", "memo"):
        records = records.select_related("interview")
    return records.first()


def project_of_rows(kind: str, rows: QuerySet, project: ResearchProject) -> QuerySet:
    if kind == "excerpt":
        return rows.filter(interview__project=project)
    if kind == "excerpt_code":
        return rows.filter(excerpt_id__in=Excerpt.history.filter(interview__project=project).values("id"))
    if kind == "summary":
        return rows.filter(case_study__project=project)
    return rows.filter(project=project)


def in_case_study(kind: str, rows: QuerySet, case_study: CaseStudy) -> QuerySet:
    if kind == "excerpt":
        return rows.filter(interview__case_study=case_study)
    if kind == "memo":
        return rows.filter(Q(case_study=case_study) | Q(interview__case_study=case_study))
    if kind == "excerpt_code":
        return rows.filter(excerpt_id__in=Excerpt.history.filter(interview__case_study=case_study).values("id"))
    if kind in ("interview", "summary"):
        return rows.filter(case_study=case_study)
    if kind == "case_study":
        return rows.filter(id=case_study.pk)
    if kind == "participant":
        return rows.filter(id__in=case_study.interviews.values("participants"))
    return rows.none()


def activity(
    user,
    *,
    project: ResearchProject,
    since: datetime | None = None,
    person=None,
    kind: str = "",
    case_study: CaseStudy | None = None,
    page: int = 1,
) -> tuple[list[Entry], bool]:
    """One page of the project's changes, newest first, across kinds, and whether there are older ones.

    One query per kind whatever the page holds: each kind gives at most the rows that could reach this page.
    """
    wanted = page * ACTIVITY_PER_PAGE + 1
    entries: list[Entry] = []
    for name in [kind] if kind else list(KINDS):
        rows = project_of_rows(name, _history_model(name).objects.all(), project)
        if since is not None:
            rows = rows.filter(history_date__gt=since)
        if person is not None:
            rows = rows.filter(history_user=person)
        if case_study is not None:
            rows = in_case_study(name, rows, case_study)
        rows = visible_history(user, name, rows).select_related("history_user")
        if name == "participant":
            rows = rows.defer("real_name")
        if name == "interview":
            rows = rows.defer("transcript")
        hidden = hidden_history_fields(user, name)
        for row in rows.order_by("-history_date", "-history_id")[:wanted]:
            entries.append(
                Entry(
                    name,
                    row,
                    ACTIONS[row.history_type],
                    row.history_date,
                    row.history_user,
                    row.history_change_reason or "",
                    label="" if name == "excerpt" and "text" in hidden else _label(name, row),
                )
            )
    entries.sort(key=lambda entry: (entry.when, entry.row.history_id), reverse=True)
    start = (page - 1) * ACTIVITY_PER_PAGE
    shown = entries[start : start + ACTIVITY_PER_PAGE]
    _label_by_current_text(shown)
    return shown, len(entries) > start + ACTIVITY_PER_PAGE


def _label_by_current_text(entries: list[Entry]) -> None:
    """An excerpt's earlier text is for admins only (a redaction's words stay in it): other readers' entries are
    labelled with the excerpt's text as it is now, in one query."""
    unlabelled = [entry for entry in entries if entry.kind == "excerpt" and not entry.label]
    if not unlabelled:
        return
    texts = dict(Excerpt.objects.filter(pk__in={e.row.id for e in unlabelled}).values_list("pk", "text"))
    for entry in unlabelled:
        text = texts.get(entry.row.id)
        entry.label = f"“{text[:80]}”" if text is not None else f"excerpt {entry.row.id} (deleted)"


def _label(kind: str, row) -> str:
    if kind == "excerpt":
        return f"“{row.text[:80]}”"
    if kind == "excerpt_code":
        return f"excerpt {row.excerpt_id}"
    if kind == "code":
        return row.name
    if kind == "memo":
        return row.title or row.text[:60]
    if kind in ("interview", "case_study", "paper"):
        return row.title
    if kind == "participant":
        return row.pseudonym
    return f"case study {row.case_study_id}, question {row.research_question_id}"


# The kinds whose records have a History page, and which record a row of another kind belongs to.
PAGE_KINDS = ("excerpt", "code", "memo", "interview", "participant")


def history_target(entry: Entry) -> tuple[str, int] | None:
    if entry.kind in PAGE_KINDS:
        return entry.kind, entry.row.id
    if entry.kind == "excerpt_code":
        return "excerpt", entry.row.excerpt_id
    return None
