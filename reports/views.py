from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from disclosure import access
from disclosure.access import get_managed_project_for, get_project_for

from . import services
from .assembly import assemble_paper
from .forms import BuildForm, NarrativesForm, WorkingPaperForm
from .models import PaperBuild, WorkingPaper
from .rendering import CONTENT_TYPES


def paper_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_project_for(request.user, project_slug)
    papers = (
        WorkingPaper.objects.visible_to(request.user)
        .filter(project=project)
        .annotate(build_count=Count("builds"), last_built_at=Max("builds__created_at"))
        .order_by("-date", "-id")
    )
    context = {"project": project, "papers": papers, "can_write": access.can_write_papers(request.user, project)}
    return render(request, "reports/paper_list.html", context)


@require_http_methods(["GET", "POST"])
def paper_create(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_managed_project_for(request.user, project_slug)
    return _paper_form(request, paper=WorkingPaper(project=project))


@require_http_methods(["GET", "POST"])
def paper_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _paper_form(request, paper=access.get_editable_paper_for(request.user, pk))


def _paper_form(request: HttpRequest, *, paper: WorkingPaper) -> HttpResponse:
    form = WorkingPaperForm(request.POST or None, instance=paper, project=paper.project)
    if request.method == "POST" and form.is_valid():
        try:
            paper = services.save_paper(
                paper=form.save(commit=False),
                case_studies=form.cleaned_data["case_studies"],
                question_groups=form.cleaned_data["question_groups"],
                questions=form.cleaned_data["questions"],
                phases=form.cleaned_data["phases"],
                created_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the working paper “{paper.title}”.")
            return redirect(paper)
    return render(request, "reports/paper_form.html", {"project": paper.project, "form": form, "paper": paper})


@require_http_methods(["GET", "POST"])
def paper_narratives(request: HttpRequest, pk: int) -> HttpResponse:
    paper = access.get_editable_paper_for(request.user, pk)
    form = NarrativesForm(request.POST or None, paper=paper)
    if request.method == "POST" and form.is_valid():
        services.save_narratives(paper=paper, group_texts=form.group_texts(), question_texts=form.question_texts())
        messages.success(request, "Saved the narratives.")
        return redirect(paper)
    return render(request, "reports/paper_narratives.html", {"project": paper.project, "paper": paper, "form": form})


def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = access.get_paper_for(request.user, pk)
    context = {
        "project": paper.project,
        "paper": paper,
        "selection": {
            "case_studies": paper.case_studies.order_by("order", "title"),
            "question_groups": paper.question_groups.all(),
            "questions": paper.questions.in_order(),
            "phases": paper.phases.all(),
        },
        "formats": BuildForm.base_fields["format"].choices,
        **_builds_context(request, paper),
    }
    return render(request, "reports/paper_detail.html", context)


@require_http_methods(["GET", "POST"])
def paper_builds(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the builds list (polled by htmx while one runs). POST: ask for a build."""
    if request.method == "GET":
        paper = access.get_paper_for(request.user, pk)
        return render(request, "reports/paper_detail.html#builds", _builds_context(request, paper))
    paper = access.get_editable_paper_for(request.user, pk)
    form = BuildForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose PDF, Word or HTML for the build.")
        return redirect(paper)
    build = services.request_build(paper=paper, format=form.cleaned_data["format"], requested_by=request.user)
    messages.success(request, f"{build.get_format_display()} build of “{paper.title}” requested.")
    return redirect(f"{paper.get_absolute_url()}#builds")


def _builds_context(request: HttpRequest, paper: WorkingPaper) -> dict:
    builds = list(paper.builds.select_related("created_by").order_by("-created_at", "-id"))
    withdrawn = access.withdrawn_builds(builds, request.user)
    for build in builds:
        build.withdrawn_reason = withdrawn.get(build.pk, "")
    return {
        "paper": paper,
        "builds": builds,
        "any_active": any(build.is_active for build in builds),
        "can_write": access.can_write_papers(request.user, paper.project),
    }


@require_POST
def build_retry(request: HttpRequest, pk: int) -> HttpResponse:
    build = access.get_editable_build_for(request.user, pk)
    try:
        services.retry_build(build=build, requested_by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{build.get_format_display()} build requested again.")
    return redirect(f"{build.paper.get_absolute_url()}#builds")


@require_GET
def build_download(request: HttpRequest, pk: int) -> FileResponse:
    build = access.get_servable_build_for(request.user, pk)
    if build.status != PaperBuild.Status.SUCCEEDED or not build.file:
        raise Http404("This build has no file.")
    try:
        handle = build.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The file of this build is no longer in the media storage.") from error
    return FileResponse(
        handle, as_attachment=True, filename=build.download_name, content_type=CONTENT_TYPES[build.format]
    )


def paper_preview(request: HttpRequest, pk: int) -> HttpResponse:
    paper = access.get_paper_for(request.user, pk)
    context = {
        "project": paper.project,
        "working_paper": paper,
        "paper": assemble_paper(paper, reader=request.user),
        "generated_at": timezone.now(),
        "preview": True,
    }
    return render(request, "reports/paper_preview.html", context)
