"""Pages for correcting a coded transcript and for reviewing the excerpts a correction changed."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from casestudies.importers import check_size, read_transcript
from casestudies.models import Interview
from disclosure.access import (
    can_change_excerpt,
    can_edit_interview,
    can_manage_project,
    get_editable_interview_for,
    get_interview_for,
    get_project_for,
)

from . import corrections, services
from .models import Excerpt, TranscriptCorrection


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@require_http_methods(["GET", "POST"])
def transcript_correct(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_editable_interview_for(request.user, pk)
    context = {"interview": interview, "project": interview.project, "text": interview.transcript, "error": ""}
    if request.method == "POST":
        text = request.POST.get("transcript", "")
        context["text"] = text
        try:
            upload = request.FILES.get("file")
            if upload is not None:
                # A corrected file is read as an import is (size checked first, parsed in a bounded child) and
                # always previewed: its text replaces the box's and nothing is applied until it is seen.
                check_size(name=upload.name, size=upload.size)
                text = read_transcript(name=upload.name, data=upload.read(settings.UPLOAD_MAX_BYTES + 1)).text
                context["text"] = text
            elif request.POST.get("action") == "apply":
                if request.POST.get("fingerprint") != _fingerprint(interview.transcript):
                    raise corrections.TranscriptChanged(
                        "The transcript was changed by someone else since this preview; preview again."
                    )
                record = corrections.apply(
                    interview=interview,
                    new_text=text,
                    user=request.user,
                    expected_old=interview.transcript,
                    speakers_confirmed=request.POST.get("confirm_speakers") == "yes",
                )
                messages.success(
                    request,
                    f"Transcript corrected: {record.kept} excerpts kept, {record.needing_review} to review, "
                    f"{record.removed} removed.",
                )
                return redirect(reverse("coding:transcript_review", args=[interview.pk]))
            preview = corrections.preview(interview, text)
            context["preview"] = preview
            context["speaker_changes"] = preview.speaker_change_lines()
            context["changed"] = [(excerpt.text, preview.passage(outcome)) for excerpt, outcome in preview.changed]
            context["fingerprint"] = _fingerprint(interview.transcript)
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
        except corrections.TranscriptChanged as error:
            context["error"] = str(error)
    return render(request, "coding/transcript_correct.html", context)


def _offset(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 10_000_000 else None


@require_http_methods(["GET", "POST"])
def transcript_redact(request: HttpRequest, pk: int) -> HttpResponse:
    """Redact a selected name or phrase: here, everywhere in this interview, or (for the project's leads) in every
    interview of the project. A preview of each interview's excerpts comes first; applying is all or none."""
    interview = get_editable_interview_for(request.user, pk)
    project = interview.project
    data = request.POST if request.method == "POST" else request.GET
    start, end = _offset(data.get("start")), _offset(data.get("end"))
    phrase = data.get("phrase", "")
    if request.method == "GET" and start is not None and end is not None and start < end:
        phrase = interview.transcript[start:end]
    phrase = phrase.strip() if request.method == "GET" else phrase
    if request.method == "GET" and phrase and start is not None:
        # The selection's edges may carry spaces; the phrase is what lies between them.
        start = interview.transcript.find(phrase, start)
    context = {
        "interview": interview,
        "project": project,
        "phrase": phrase,
        "start": start if start is not None and start >= 0 else "",
        "replacement": data.get("replacement", ""),
        "scope": data.get("scope", "here" if start is not None else "interview"),
        "project_scope": can_manage_project(request.user, project),
        "error": "",
    }
    if request.method == "POST":
        scope = context["scope"]
        try:
            if scope == "project" and not context["project_scope"]:
                raise PermissionDenied("Only the project's leads can redact across the project.")
            interviews = ()
            if scope == "project":
                interviews = [
                    other
                    for other in Interview.objects.filter(project=project).select_related("case_study", "project")
                    if can_edit_interview(request.user, other)
                ]
            redaction = corrections.plan_redaction(
                interview,
                phrase=phrase,
                replacement=context["replacement"],
                scope=scope,
                start=start,
                interviews=interviews,
            )
            fingerprint = _fingerprint("\x00".join(target.transcript for target, _new, _p in redaction.changes))
            if request.POST.get("action") == "apply":
                if request.POST.get("fingerprint") != fingerprint:
                    raise corrections.TranscriptChanged(
                        "A transcript was changed by someone else since this preview; preview again."
                    )
                records = corrections.apply_redaction(redaction, user=request.user)
                review = sum(record.needing_review for record in records)
                messages.success(
                    request,
                    f"Redacted as {redaction.bracketed} in {len(records)} interview{'s' if len(records) != 1 else ''}"
                    + (f"; {review} excerpt{'s' if review != 1 else ''} to review." if review else "."),
                )
                return redirect(reverse("coding:interview", args=[interview.pk]))
            context["redaction"] = redaction
            context["fingerprint"] = fingerprint
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
        except corrections.TranscriptChanged as error:
            context["error"] = str(error)
    return render(request, "coding/transcript_redact.html", context)


def transcript_review(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_interview_for(request.user, pk, with_transcript=False)
    to_review = (
        Excerpt.objects.visible_to(request.user)
        .filter(interview=interview, needs_review=True)
        .select_related("coded_by")
        .prefetch_related("codes")
        .order_by("start")
    )
    records = TranscriptCorrection.objects.filter(interview=interview).select_related("made_by")[:50]
    return render(
        request,
        "coding/transcript_review.html",
        {
            "interview": interview,
            "project": interview.project,
            "to_review": _with_confirm(request.user, interview.project, to_review),
            "records": records,
        },
    )


def _with_confirm(user, project, excerpts) -> list[Excerpt]:
    """The excerpts, each marked with whether the reader may confirm it (its coder, or a lead), so that the page
    offers *Confirm* only where it would work."""
    manages = can_manage_project(user, project)
    excerpts = list(excerpts)
    for excerpt in excerpts:
        excerpt.may_confirm = can_change_excerpt(user, excerpt, manages=manages)
    return excerpts


PROJECT_REVIEW_LIMIT = 500


def project_review(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Every excerpt the reader may see that a correction left to review, across the project's interviews, and the
    corrections of the interviews they may see."""
    project = get_project_for(request.user, project_slug)
    to_review = (
        Excerpt.objects.visible_to(request.user)
        .filter(interview__project=project, needs_review=True)
        .select_related("coded_by", "interview")
        .prefetch_related("codes")
        .order_by("interview__title", "start")[:PROJECT_REVIEW_LIMIT]
    )
    records = (
        TranscriptCorrection.objects.filter(
            interview__in=Interview.objects.visible_to(request.user).filter(project=project).values("pk")
        )
        .select_related("made_by", "interview")
        .defer("interview__transcript")[:50]
    )
    return render(
        request,
        "coding/transcript_review.html",
        {
            "interview": None,
            "project": project,
            "to_review": _with_confirm(request.user, project, to_review),
            "records": records,
        },
    )


@require_POST
def excerpt_reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    excerpt = get_object_or_404(Excerpt.objects.visible_to(request.user), pk=pk)
    if not can_change_excerpt(request.user, excerpt):
        raise PermissionDenied("Only the excerpt's coder and the project's leads can confirm it.")
    if excerpt.needs_review:
        try:
            services.update_excerpt(excerpt=excerpt, changed_by=request.user, needs_review=False)
        except Excerpt.DoesNotExist:
            raise Http404("This excerpt has since been deleted.") from None
        messages.success(request, "Excerpt confirmed.")
    return redirect(reverse("coding:transcript_review", args=[excerpt.interview_id]))
