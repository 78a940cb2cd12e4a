"""History pages of records, the project's Activity page, and restore (leads only)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from casestudies.models import CaseStudy, ResearchProject
from disclosure.access import can_restore, get_project_for

from . import selectors, services
from .models import ActivityVisit, CodeMerge

RESTORABLE = {"excerpt", "code", "memo"}


def _project_of(kind: str, entries: list[selectors.Entry]) -> ResearchProject | None:
    row = next(entry.row for entry in entries if entry.kind == kind)
    if kind == "excerpt":
        return ResearchProject.objects.filter(interviews__pk=row.interview_id).first()
    return ResearchProject.objects.filter(pk=row.project_id).first()


@require_GET
def record_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in selectors.PAGE_KINDS:
        raise Http404("No such kind of record.")
    entries = selectors.record_history(request.user, kind, pk)
    if not any(entry.kind == kind for entry in entries):
        raise Http404("No history of this record within your reach.")
    current = selectors.current_record(kind, pk)
    project = _project_of(kind, entries)
    restorable = (
        kind in RESTORABLE
        and project is not None
        and can_restore(request.user, project)
        and (current is None or (kind == "code" and current.is_archived))
    )
    merges = (
        CodeMerge.objects.filter(source_id=pk, undone_at__isnull=True) if kind == "code" and current is None else []
    )
    context = {
        "kind": kind,
        "kind_label": selectors.KINDS[kind][1],
        "pk": pk,
        "entries": entries,
        "current": current,
        "title": str(current) if current else str(next(entry.row for entry in entries if entry.kind == kind).instance),
        "project": project,
        "restorable": restorable,
        "merges": list(merges) if restorable else [],
    }
    return render(request, "history/record_history.html", context)


@require_POST
def restore(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in RESTORABLE or not selectors.record_history(request.user, kind, pk):
        raise Http404("No history of this record within your reach.")
    back = reverse("history:record", args=[kind, pk])
    try:
        if kind == "excerpt":
            excerpt, missing = services.restore_excerpt(excerpt_id=pk, restored_by=request.user)
            note = f" These codes could not be put back: {', '.join(missing)}." if missing else ""
            messages.success(request, f"Restored the excerpt “{excerpt.text[:80]}”.{note}")
            return redirect(back)
        if kind == "memo":
            services.restore_memo(memo_id=pk, restored_by=request.user)
            messages.success(request, "Restored the memo.")
            return redirect(back)
        code = services.restore_code(code_id=pk, restored_by=request.user)
        messages.success(request, f"Restored the code “{code.name}”.")
        return redirect(code)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect(back)


@require_POST
def undo_merge(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(CodeMerge.objects.select_related("project"), pk=pk)
    get_project_for(request.user, merge.project.slug)
    try:
        source = services.undo_merge(merge=merge, undone_by=request.user)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return redirect("history:record", kind="code", pk=merge.source_id)
    messages.success(request, f"Undid the merge: “{source.name}” is back with the excerpts it had.")
    return redirect(source)


@require_GET
def activity(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_project_for(request.user, project_slug)
    case_studies = list(CaseStudy.objects.visible_to(request.user).filter(project=project).order_by("title"))
    people = list(
        get_user_model().objects.filter(project_memberships__project=project).order_by("first_name", "username")
    )
    visit = ActivityVisit.objects.filter(project=project, user=request.user).first()
    only_new = request.GET.get("since") == "last" and visit is not None
    person = next((p for p in people if str(p.pk) == request.GET.get("person")), None)
    case_study = next((c for c in case_studies if str(c.pk) == request.GET.get("case_study")), None)
    kind = request.GET.get("kind", "")
    kind = kind if kind in selectors.KINDS else ""
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 1000))
    except ValueError:
        page = 1
    entries, has_more = selectors.activity(
        request.user,
        project=project,
        since=visit.seen_at if only_new else None,
        person=person,
        kind=kind,
        case_study=case_study,
        page=page,
    )
    for entry in entries:
        target = selectors.history_target(entry)
        entry.link = reverse("history:record", args=target) if target else ""
        entry.kind_label = selectors.KINDS[entry.kind][1]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "project": project,
        "entries": entries,
        "page": page,
        "has_more": has_more,
        "last_visit": visit.seen_at if visit else None,
        "only_new": only_new,
        "people": people,
        "case_studies": case_studies,
        "kinds": [(name, label) for name, (_, label) in selectors.KINDS.items()],
        "person": person,
        "case_study": case_study,
        "kind": kind,
        "query": query.urlencode(),
        "shown_at": timezone.now().isoformat(),
    }
    return render(request, "history/activity.html", context)


@require_POST
def activity_seen(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Mark the project's activity as seen up to when the reader's page was shown (a change made since then stays
    new), or up to now when the page did not say."""
    project = get_project_for(request.user, project_slug)
    now = timezone.now()
    try:
        shown_at = parse_datetime(request.POST.get("shown_at", "")[:64]) or now
    except ValueError:
        shown_at = now
    if timezone.is_naive(shown_at):
        shown_at = timezone.make_aware(shown_at, datetime.UTC)
    ActivityVisit.objects.update_or_create(project=project, user=request.user, defaults={"seen_at": min(shown_at, now)})
    messages.success(request, "Marked everything shown as seen.")
    return redirect("history:activity", project_slug=project.slug)
