from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods

from casestudies.models import CaseStudy, ResearchProject
from casestudies.transcripts import TURN_PATTERN, Turn, split_turns
from disclosure.access import (
    blind_coding_hides_others,
    can_edit_interview,
    can_manage_project,
    get_code_for,
    get_interview_for,
    get_managed_code_for,
    get_project_for,
)
from disclosure.passages import interview_speakers
from disclosure.speakers import is_header_label

from . import services
from .documents import annotated_docx, annotated_interview
from .forms import CodeForm, MergeForm, RetrievalFilterForm
from .models import Code
from .selectors import (
    CodeCounts,
    CodeLinks,
    code_ancestors,
    code_links,
    codebook_counts,
    coders_in_project,
    codes_in_tree_order,
    recent_code_ids,
    retrieval_excerpts,
    with_context,
)

EXCERPTS_PER_PAGE = 25
NO_COUNTS = CodeCounts()
NO_LINKS = CodeLinks()


@dataclass(frozen=True)
class CodebookRow:
    code: Code
    indent: int
    path: str
    counts: CodeCounts
    links: CodeLinks
    url: str
    search: str
    # With its sub-codes: distinct excerpts, interviews and case studies.
    rolled_up: CodeCounts = NO_COUNTS


def codebook(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_project_for(request.user, project_slug)
    show_archived = request.GET.get("archived") == "show"
    can_manage = can_manage_project(request.user, project)
    counts = codebook_counts(user=request.user, project=project, manages=can_manage)
    links = code_links(project)
    # One reverse() per kind of link rather than one per code: the codebook can have hundreds.
    code_url = reverse("coding:code", kwargs={"pk": 0}).removesuffix("0/")
    rows = []
    for code, depth, path in codes_in_tree_order(project, include_archived=show_archived):
        linked = links.get(code.pk, NO_LINKS)
        rows.append(
            CodebookRow(
                code=code,
                indent=min(depth, 12),
                path=path,
                counts=counts.own.get(code.pk, NO_COUNTS),
                links=linked,
                url=f"{code_url}{code.pk}/",
                search=" ".join([path, code.definition, *linked.tags]).lower(),
                rolled_up=counts.rolled_up.get(code.pk, NO_COUNTS),
            )
        )
    context = {
        "project": project,
        "rows": rows,
        "show_archived": show_archived,
        "archived_count": Code.objects.filter(project=project, is_archived=True).count(),
        "can_manage": can_manage,
    }
    return render(request, "coding/codebook.html", context)


@require_http_methods(["GET", "POST"])
def code_create(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Researchers may add codes too; only leads reshape the tree afterwards."""
    project = get_project_for(request.user, project_slug)
    form = CodeForm(request.POST or None, project=project, initial={"parent": request.GET.get("parent")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            code = services.create_code(
                project=project,
                created_by=request.user,
                name=data["name"],
                parent=data["parent"],
                definition=data["definition"],
                colour=data["colour"] or None,
                research_questions=data["research_questions"],
                tags=form.tag_names(),
                is_codable=data["is_codable"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added the code “{code.name}”.")
            return redirect("coding:codebook", project_slug=project.slug)
    return render(request, "coding/code_form.html", {"project": project, "form": form, "code": None})


@require_http_methods(["GET", "POST"])
def code_edit(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_managed_code_for(request.user, pk)
    form = CodeForm(request.POST or None, project=code.project, code=code)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_code(
                code=code,
                name=data["name"],
                definition=data["definition"],
                colour=data["colour"] or code.colour,
                research_questions=data["research_questions"],
                tags=form.tag_names(),
                is_codable=data["is_codable"],
            )
            if data["parent"] != code.parent:
                services.move_code(code=code, parent=data["parent"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved the code “{code.name}”.")
            return redirect(code)
    return render(request, "coding/code_form.html", {"project": code.project, "form": form, "code": code})


@require_http_methods(["GET", "POST"])
def code_merge(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_managed_code_for(request.user, pk)
    form = MergeForm(request.POST or None, code=code)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        try:
            services.merge_codes(source=code, target=target, merged_by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"Merged “{code.name}” into “{target.name}”; its excerpts now carry “{target.name}”. To undo it, open "
                f"the merge under Activity, then Undo the merge.",
            )
            return redirect(target)
    return render(request, "coding/code_merge.html", {"project": code.project, "form": form, "code": code})


@require_http_methods(["GET", "POST"])
def code_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archiving asks first (GET shows what it does, with its excerpt count); restoring is one click."""
    code = get_managed_code_for(request.user, pk)
    if request.method == "GET":
        if code.is_archived:
            return redirect(code)
        context = {"project": code.project, "code": code, "excerpt_count": code.excerpt_links.count()}
        return render(request, "coding/code_archive.html", context)
    archive = request.POST.get("archive") == "1"
    services.set_code_archived(code=code, is_archived=archive)
    if archive:
        messages.success(request, f"Archived “{code.name}”: it keeps its excerpts but cannot be applied.")
    else:
        messages.success(request, f"Restored “{code.name}”.")
    return redirect(code)


@require_http_methods(["GET", "POST"])
def code_delete(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_managed_code_for(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            services.delete_code(code=code)
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(request, f"Deleted the code “{code.name}”.")
            return redirect("coding:codebook", project_slug=code.project.slug)
    return render(request, "coding/code_delete.html", {"project": code.project, "code": code, "error": error})


def _paginated_excerpts(request: HttpRequest, excerpts) -> tuple:
    page = Paginator(excerpts, EXCERPTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, with_context(list(page.object_list)), query.urlencode()


def _filter_form(request: HttpRequest, project: ResearchProject, **kwargs) -> RetrievalFilterForm:
    case_studies = list(CaseStudy.objects.visible_to(request.user).filter(project=project).order_by("order", "title"))
    coders = coders_in_project(user=request.user, project=project)
    return RetrievalFilterForm(request.GET or None, case_studies=case_studies, coders=coders, **kwargs)


def code_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The code's retrieval page: every excerpt across the project coded with it."""
    code = get_code_for(request.user, pk)
    project = code.project
    form = _filter_form(request, project)
    with_subcodes = request.GET.get("subcodes") == "include"
    excerpts = retrieval_excerpts(
        user=request.user, project=project, code=code, with_subcodes=with_subcodes, **form.filters()
    )
    page, retrieved, query = _paginated_excerpts(request, excerpts)
    context = {
        "project": project,
        "code": code,
        "ancestors": code_ancestors(code),
        "children": code.children.order_by("order", "name"),
        "research_questions": code.research_questions.in_order(),
        "tags": sorted(tag.name for tag in code.tags.all()),
        "form": form,
        "page": page,
        "retrieved": retrieved,
        "query": query,
        "can_manage": can_manage_project(request.user, project),
        "with_subcodes": with_subcodes,
    }
    return render(request, "coding/code_detail.html", context)


def key_quotes(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = get_project_for(request.user, project_slug)
    codes = codes_in_tree_order(project)
    form = _filter_form(request, project, codes=codes)
    filters = form.filters()
    code_id = form.cleaned_data.get("code") if form.is_bound and form.is_valid() else None
    code = next((code for code, _, _ in codes if code.pk == code_id), None)
    excerpts = retrieval_excerpts(user=request.user, project=project, key_quotes_only=True, code=code, **filters)
    page, retrieved, query = _paginated_excerpts(request, excerpts)
    context = {"project": project, "form": form, "page": page, "retrieved": retrieved, "query": query}
    return render(request, "coding/key_quotes.html", context)


WORD_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def interview_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The interview as an annotated document to share (HTML to print or save, or Word), through the policy."""
    interview = get_interview_for(request.user, pk)
    document = annotated_interview(user=request.user, interview=interview)
    file_format = request.GET.get("format", "html")
    filename = f"interview-{interview.pk}-annotated"
    if file_format == "docx":
        response = HttpResponse(annotated_docx(document), content_type=WORD_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}.docx"'
        return response
    if file_format != "html":
        return HttpResponse("Choose html or docx.", status=400, content_type="text/plain; charset=utf-8")
    context = {"project": interview.project, "interview": interview, "document": document}
    return render(request, "coding/interview_document.html", context)


def transcript_html(turns: list[Turn]) -> SafeString:
    """The turns as paragraphs carrying their code-point offsets; the text is escaped by format_html.

    Built in Python rather than by a template loop: a 50,000-word transcript has thousands of turns, and a
    template renders them several times more slowly. A turn's text content is exactly its transcript text,
    which is what the page's offset arithmetic relies on.
    """
    rows = []
    for turn in turns:
        label = TURN_PATTERN.match(turn.text)
        label_end = label.end() if label else 0
        classes = "turn"
        if turn.speaker and is_header_label(turn.speaker):
            classes += " note"
        elif turn.speaker:
            classes += " has-speaker"
        if turn.is_interviewer:
            classes += " interviewer"
        rows.append((classes, turn.start, turn.end, turn.text[:label_end], turn.text[label_end:]))
    return format_html_join(
        "\n", '<p class="{}" data-start="{}" data-end="{}"><span class="speaker">{}</span>{}</p>', rows
    )


def interview_coding(request: HttpRequest, pk: int) -> HttpResponse:
    """The coding page: the transcript by turns, each carrying its code-point offset; the rest is drawn in JS."""
    interview = get_interview_for(request.user, pk)
    project = interview.project
    turns = split_turns(interview.transcript)
    manages = can_manage_project(request.user, project)
    config = {
        "interviewId": interview.pk,
        "projectSlug": project.slug,
        "excerptsUrl": reverse("coding:api_interview_excerpts", kwargs={"pk": interview.pk}),
        "excerptUrl": reverse("coding:api_excerpt", kwargs={"pk": 0}).removesuffix("0"),
        "presenceUrl": reverse("coding:api_interview_presence", kwargs={"pk": interview.pk}),
        "codesUrl": reverse("coding:api_codes", kwargs={"slug": project.slug}),
        "codebookUrl": reverse("coding:codebook", kwargs={"project_slug": project.slug}),
        "user": {"id": request.user.pk, "name": request.user.get_full_name() or request.user.get_username()},
        "recentCodeIds": recent_code_ids(user=request.user, project=project),
        "canManage": manages,
        "reviewUrl": reverse("coding:transcript_review", kwargs={"pk": interview.pk}),
    }
    context = {
        "project": project,
        "interview": interview,
        "participants": interview.participants.all(),
        "turns": turns,
        "transcript_html": transcript_html(turns),
        "config": config,
        "is_blind": blind_coding_hides_others(request.user, interview),
        "unknown_speakers": [row for row in interview_speakers(interview) if row.is_unknown and row.turns],
        "can_edit_transcript": can_edit_interview(request.user, interview),
    }
    return render(request, "coding/interview_coding.html", context)
