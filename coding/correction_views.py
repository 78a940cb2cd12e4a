"""Pages for correcting a coded transcript and for reviewing the excerpts a correction changed."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from disclosure.access import can_change_excerpt, get_editable_interview_for, get_interview_for, visible_excerpts

from . import corrections
from .models import TranscriptCorrection


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
            if request.POST.get("action") == "apply":
                if request.POST.get("fingerprint") != _fingerprint(interview.transcript):
                    raise corrections.TranscriptChanged(
                        "The transcript was changed by someone else since this preview; preview again."
                    )
                record = corrections.apply(
                    interview=interview, new_text=text, user=request.user, expected_old=interview.transcript
                )
                messages.success(
                    request,
                    f"Transcript corrected: {record.kept} excerpts kept, {record.needing_review} to review, "
                    f"{record.removed} removed.",
                )
                return redirect(reverse("coding:transcript_review", args=[interview.pk]))
            preview = corrections.preview(interview, text)
            context["preview"] = preview
            context["changed"] = [(excerpt.text, preview.passage(outcome)) for excerpt, outcome in preview.changed]
            context["fingerprint"] = _fingerprint(interview.transcript)
        except ValidationError as error:
            context["error"] = " ".join(error.messages)
        except corrections.TranscriptChanged as error:
            context["error"] = str(error)
    return render(request, "coding/transcript_correct.html", context)


def transcript_review(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_interview_for(request.user, pk, with_transcript=False)
    to_review = (
        visible_excerpts(request.user)
        .filter(interview=interview, needs_review=True)
        .select_related("coded_by")
        .prefetch_related("codes")
        .order_by("start")
    )
    records = TranscriptCorrection.objects.filter(interview=interview).select_related("made_by")[:50]
    return render(
        request,
        "coding/transcript_review.html",
        {"interview": interview, "project": interview.project, "to_review": to_review, "records": records},
    )


@require_POST
def excerpt_reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    excerpt = get_object_or_404(visible_excerpts(request.user), pk=pk)
    if not can_change_excerpt(request.user, excerpt):
        raise PermissionDenied("Only the excerpt's coder and the project's leads can confirm it.")
    if excerpt.needs_review:
        excerpt.needs_review = False
        excerpt.version += 1
        excerpt.save(update_fields=["needs_review", "version", "updated_at"])
        messages.success(request, "Excerpt confirmed.")
    return redirect(reverse("coding:transcript_review", args=[excerpt.interview_id]))
