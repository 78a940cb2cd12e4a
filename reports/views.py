from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from disclosure import access
from disclosure.access import get_managed_project_for, get_project_for

from . import services
from .assembly import MAX_CANDIDATES, assemble_paper, questions_in_scope
from .forms import BuildForm, NarrativesForm, QuotationChoiceForm, WorkingPaperForm
from .models import PaperBuild, WorkingPaper
from .paper import PaperOptions
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


@require_GET
def paper_quotations(request: HttpRequest, pk: int) -> HttpResponse:
    """The passages of one question of the paper, as the paper would quote them, to pin or exclude."""
    paper = access.get_editable_paper_for(request.user, pk)
    wanted = request.GET.get("question", "")
    options = PaperOptions.from_paper(paper)
    in_scope = questions_in_scope(paper.project, options)
    if not in_scope:
        raise Http404("This paper includes no research questions.")
    question_id = in_scope[0].pk if not wanted else int(wanted) if wanted.isdigit() else None
    if question_id not in {question.pk for question in in_scope}:
        raise Http404("No such research question in this paper.")
    assembled = assemble_paper(paper, reader=request.user, options=options, candidates_for=question_id)
    context = {
        "project": paper.project,
        "paper": paper,
        "assembled": assembled,
        "question": next(q for q in assembled.questions if q.pk == question_id),
        "max_candidates": MAX_CANDIDATES,
    }
    return render(request, "reports/paper_quotations.html", context)


@require_POST
def paper_quotation_choice(request: HttpRequest, pk: int) -> HttpResponse:
    paper = access.get_editable_paper_for(request.user, pk)
    form = QuotationChoiceForm(request.POST, paper=paper)
    target = reverse("reports:paper_quotations", args=[paper.pk])
    if not form.is_valid():
        messages.error(request, "Choose a passage of one of the paper's questions, and pin, exclude or clear it.")
        return redirect(target)
    question = form.cleaned_data["question"]
    excerpt_id, choice = form.cleaned_data["excerpt"], form.cleaned_data["choice"]
    try:
        services.choose_quotation(
            paper=paper, question=question, excerpt_id=excerpt_id, choice=choice, chosen_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = question.short_label or "this question"
        messages.success(
            request,
            {
                "pin": f"Pinned: the passage is quoted under {label} in the next build.",
                "exclude": f"Excluded: the passage is not quoted under {label}.",
            }.get(choice, "Choice cleared: the paper chooses this passage as it ranks."),
        )
    return redirect(f"{target}?question={question.pk}#excerpt-{excerpt_id}")


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
        "choices": dict(paper.quotation_choices.values_list("choice").annotate(count=Count("id")).order_by()),
        **_builds_context(request, paper),
    }
    return render(request, "reports/paper_detail.html", context)


@require_http_methods(["GET", "POST"])
def paper_builds(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the builds list (polled by htmx while one runs). POST: ask for a build."""
    if request.method == "GET":
        paper = access.get_paper_for(request.user, pk)
        if not request.headers.get("HX-Request"):
            # Opened on its own rather than polled: the list in its place on the paper's page.
            return redirect(f"{paper.get_absolute_url()}#builds")
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
