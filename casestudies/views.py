from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from disclosure import access, passages
from disclosure.redaction import pseudonym_discloses

from . import jobs, services
from .forms import (
    AUTOMATIC,
    CaseStudyForm,
    InterviewForm,
    NewInterviewForm,
    ParticipantForm,
    SpeakerForm,
    TranscriptImportForm,
)
from .importers import SUPPORTED_EXTENSIONS, describe_transcript, read_transcript
from .models import CaseStudy, CaseStudyMembership, Interview, Participant, ResearchProject, Speaker
from .transcripts import split_turns


def _case_studies_with_counts(user, project: ResearchProject):
    return (
        CaseStudy.objects.visible_to(user)
        .filter(project=project)
        .annotate(interview_count=Count("interviews", distinct=True))
        .select_related("project", "core_organisation")
        .prefetch_related(
            Prefetch("memberships", queryset=CaseStudyMembership.objects.select_related("user")),
            "forms_of_partnership",
        )
        .order_by("order", "title")
    )


def home(request: HttpRequest) -> HttpResponse:
    projects = list(ResearchProject.objects.visible_to(request.user))
    if len(projects) == 1:
        return redirect(projects[0])
    return render(request, "casestudies/home.html", {"projects": projects})


def project_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, slug)
    context = {
        "project": project,
        "themes": project.themes.all(),
        "question_groups": project.question_groups.prefetch_related("questions"),
        "phases": project.phases.all(),
        "case_studies": _case_studies_with_counts(request.user, project),
        "scoping_interviews": Interview.objects.visible_to(request.user)
        .filter(project=project, case_study__isnull=True)
        .order_by("date", "title"),
        "can_manage": access.can_manage_project(request.user, project),
    }
    return render(request, "casestudies/project.html", context)


def case_study_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    context = {
        "project": project,
        "case_studies": _case_studies_with_counts(request.user, project),
        "can_manage": access.can_manage_project(request.user, project),
    }
    return render(request, "casestudies/case_study_list.html", context)


def case_study_detail(request: HttpRequest, project_slug: str, slug: str) -> HttpResponse:
    case_study = access.get_case_study_for(request.user, project_slug, slug)
    context = {
        "project": case_study.project,
        "case_study": case_study,
        "memberships": case_study.memberships.select_related("user"),
        "focal_questions": case_study.focal_questions.in_order(),
        "interviews": case_study.interviews.select_related("interviewer")
        .prefetch_related("participants__organisation")
        .order_by("date", "title"),
        "can_edit": access.can_edit_case_study(request.user, case_study),
    }
    return render(request, "casestudies/case_study_detail.html", context)


@require_http_methods(["GET", "POST"])
def case_study_create(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    return _case_study_form(request, project=project, case_study=CaseStudy(project=project))


@require_http_methods(["GET", "POST"])
def case_study_edit(request: HttpRequest, project_slug: str, slug: str) -> HttpResponse:
    case_study = access.get_editable_case_study_for(request.user, project_slug, slug)
    return _case_study_form(request, project=case_study.project, case_study=case_study)


def _case_study_form(request: HttpRequest, *, project: ResearchProject, case_study: CaseStudy) -> HttpResponse:
    form = CaseStudyForm(request.POST or None, instance=case_study, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            case_study = services.save_case_study(
                case_study=form.save(commit=False),
                forms_of_partnership=form.partnership_forms(),
                focal_questions=form.cleaned_data["focal_questions"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the case study “{case_study.title}”.")
            return redirect(case_study)
    return render(
        request, "casestudies/case_study_form.html", {"project": project, "form": form, "case_study": case_study}
    )


def interview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interview = access.get_interview_for(request.user, pk)
    context = {
        "project": interview.project,
        "interview": interview,
        "participants": interview.participants.select_related("organisation"),
        "turns": split_turns(interview.transcript),
        "can_edit": access.can_edit_interview(request.user, interview),
    }
    return render(request, "casestudies/interview_detail.html", context)


@require_http_methods(["GET", "POST"])
def interview_speakers(request: HttpRequest, pk: int) -> HttpResponse:
    """Each label of the interview's transcript, how many turns carry it and who it is; the case study's lead and
    the project's leads can say who it is where the label does not tell, with a reason kept in the history."""
    interview = access.get_interview_for(request.user, pk, with_transcript=False)
    can_edit = access.can_edit_interview(request.user, interview)
    people = list(interview.participants.all())
    failed: tuple[int, SpeakerForm] | None = None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the case study's lead, the project's leads and admins can say who speaks.")
        speaker_id = request.POST.get("speaker", "").strip()
        if not re.fullmatch(r"[0-9]{1,12}", speaker_id):
            raise Http404("No such speaker in this interview.")
        speaker = get_object_or_404(Speaker, pk=int(speaker_id), interview=interview)
        form = SpeakerForm(request.POST, people=people)
        if form.is_valid():
            kind, participant = form.assignment()
            try:
                services.assign_speaker(
                    speaker=speaker,
                    kind=kind,
                    participant=participant,
                    assigned_by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Saved who speaks as “{speaker}”.")
                return redirect("casestudies:interview_speakers", pk=interview.pk)
        failed = (speaker.pk, form)
    rows = []
    for row in passages.interview_speakers(interview):
        if failed is not None and failed[0] == row.speaker.pk:
            form = failed[1]
        else:
            current = f"participant:{row.speaker.participant_id}" if row.speaker.participant_id else row.speaker.kind
            form = SpeakerForm(initial={"who": current or AUTOMATIC}, people=people, auto_id=f"id_{row.speaker.pk}_%s")
        rows.append((row, form if can_edit else None))
    context = {
        "project": interview.project,
        "interview": interview,
        "rows": rows,
        "unknown": [row for row, _ in rows if row.is_unknown],
        "can_edit": can_edit,
    }
    return render(request, "casestudies/interview_speakers.html", context, status=400 if failed else 200)


@require_http_methods(["GET", "POST"])
def interview_create(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    if (
        not access.can_manage_project(request.user, project)
        and not access.editable_case_studies(request.user, project).exists()
    ):
        raise PermissionDenied("Only the project's leads and case-study leads can add interviews.")
    form = NewInterviewForm(
        request.POST or None,
        request.FILES or None,
        instance=Interview(project=project),
        project=project,
        user=request.user,
        initial={"case_study": request.GET.get("case_study")},
    )
    return _save_interview_form(request, form=form, project=project)


@require_http_methods(["GET", "POST"])
def interview_edit(request: HttpRequest, pk: int) -> HttpResponse:
    interview = access.get_editable_interview_for(request.user, pk)
    form = InterviewForm(request.POST or None, instance=interview, project=interview.project, user=request.user)
    return _save_interview_form(request, form=form, project=interview.project)


def _save_interview_form(request: HttpRequest, *, form: InterviewForm, project: ResearchProject) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        case_study = form.cleaned_data.get("case_study")
        if case_study and not access.can_edit_case_study(request.user, case_study):
            form.add_error("case_study", "You cannot add interviews to this case study.")
        else:
            upload = form.cleaned_data.get("transcript_file")
            try:
                # The file is read before the transaction opens (`services.save_interview`).
                imported = read_transcript(name=upload.name, data=upload.read()) if upload else None
                with transaction.atomic():
                    interview = services.save_interview(
                        interview=form.save(commit=False),
                        participants=form.cleaned_data["participants"],
                        transcript=imported,
                        imported_by=request.user,
                    )
                    if (blind := form.wanted_blind_coding()) is not None:
                        services.set_blind_coding(interview=interview, blind=blind)
            except ValidationError as error:
                form.add_error("transcript_file" if upload else None, error)
            else:
                imported = f" Imported “{upload.name}”: {describe_transcript(interview.transcript)}." if upload else ""
                messages.success(request, f"Saved the interview “{interview.title}”.{imported}")
                return _redirect_after_upload(request, interview.get_absolute_url())
    return render(
        request,
        "casestudies/interview_form.html",
        {"project": project, "form": form, "max_upload_bytes": settings.UPLOAD_MAX_BYTES},
    )


@require_http_methods(["GET", "POST"])
def interview_import(request: HttpRequest, pk: int) -> HttpResponse:
    interview = access.get_editable_interview_for(request.user, pk)
    form = TranscriptImportForm(
        *([request.POST, request.FILES] if request.method == "POST" else []), interview=interview
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.TRANSCRIPT_BACKGROUND_BYTES:
            job = jobs.request_transcript_import(
                interview=interview,
                upload=upload,
                file_name=upload.name,
                requested_by=request.user,
                replace=form.cleaned_data.get("replace", False),
            )
            return _redirect_after_upload(request, job.get_absolute_url())
        try:
            services.import_transcript(
                interview=interview,
                name=upload.name,
                data=upload.read(),
                imported_by=request.user,
                replace=form.cleaned_data.get("replace", False),
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, f"Imported “{upload.name}”: {describe_transcript(interview.transcript)}.")
            return _redirect_after_upload(request, interview.get_absolute_url())
    context = {
        "project": interview.project,
        "interview": interview,
        "form": form,
        "excerpt_count": interview.excerpts.count(),
        "formats": SUPPORTED_EXTENSIONS,
        "max_upload_bytes": settings.UPLOAD_MAX_BYTES,
    }
    return render(request, "casestudies/interview_import.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def transcript_import(request: HttpRequest, pk: int, job: int) -> HttpResponse:
    """A large transcript's import while the worker reads it (htmx polls the partial), then what it found. A POST
    retries a failed import whose file is still kept."""
    interview = access.get_editable_interview_for(request.user, pk)
    record = get_object_or_404(interview.transcript_imports.select_related("created_by"), pk=job)
    if request.method == "POST":
        try:
            jobs.retry_transcript_import(job=record, requested_by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(record.get_absolute_url())
    context = {"project": interview.project, "interview": interview, "job": record}
    template = "casestudies/transcript_import.html"
    return render(request, f"{template}#job" if request.headers.get("HX-Request") else template, context)


def _redirect_after_upload(request: HttpRequest, url: str) -> HttpResponse:
    """After an upload sent by static/js/upload-progress.js, say where to go rather than redirect the request."""
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return JsonResponse({"location": url})
    return redirect(url)


def participant_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    participants = (
        Participant.objects.visible_to(request.user)
        .filter(project=project)
        .select_related("organisation")
        .annotate(interview_count=Count("interviews", distinct=True))
    )
    context = {
        "project": project,
        "participants": participants,
        "can_manage": access.can_manage_project(request.user, project),
        "show_real_names": access.can_see_real_names(request.user),
    }
    return render(request, "casestudies/participant_list.html", context)


def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    participant = access.get_participant_for(request.user, pk)
    context = {
        "project": participant.project,
        "participant": participant,
        "interviews": Interview.objects.visible_to(request.user)
        .filter(participants=participant)
        .select_related("case_study"),
        "can_manage": access.can_manage_project(request.user, participant.project),
        "show_real_names": access.can_see_real_names(request.user),
    }
    return render(request, "casestudies/participant_detail.html", context)


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("real_name")
def participant_create(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    return _participant_form(request, project=project, participant=Participant(project=project))


@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("real_name")
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    participant = access.get_editable_participant_for(request.user, pk)
    return _participant_form(request, project=participant.project, participant=participant)


def warn_if_pseudonym_discloses(request: HttpRequest, participant: Participant) -> None:
    """A pseudonym that is the participant's first, last or full real name tells a reader who they are."""
    if pseudonym_discloses(pseudonym=participant.pseudonym, real_name=participant.real_name):
        messages.warning(
            request,
            f"The pseudonym “{participant.pseudonym}” is the participant’s real name or part of it, so it "
            "discloses who they are: choose another pseudonym.",
        )


def _participant_form(request: HttpRequest, *, project: ResearchProject, participant: Participant) -> HttpResponse:
    form = ParticipantForm(
        request.POST or None,
        instance=participant,
        project=project,
        show_real_name=access.can_see_real_names(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.save_participant(participant=form.save(commit=False))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the participant “{participant.pseudonym}”.")
            warn_if_pseudonym_discloses(request, participant)
            return redirect(participant)
    return render(request, "casestudies/participant_form.html", {"project": project, "form": form})
