"""Analysis pages. They read through the selectors and the pandas engines and write only through the services;
what they add is the shaping of what they read for their templates: rows, figures, and the links and query
strings that keep a page's filters."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from casestudies.models import Interview, PhaseKind, QuestionGroup, ResearchQuestion
from casestudies.validators import parse_id
from coding.models import Excerpt, ExcerptCode
from disclosure import access
from disclosure.redaction import redactor_for

from . import services
from .cooccurrence import Relation, cooccurrence_interviews, cooccurrence_pairs
from .exports import CODEBOOK_HEADER, CODEBOOK_WIDTHS, codebook_entries, codebook_rows, export_excerpts
from .forms import (
    AgreementForm,
    CodeHitsForm,
    CodeQueryForm,
    CooccurrenceForm,
    CooccurrencePairsForm,
    DisagreementForm,
    ExcerptFilterForm,
    SaveQueryForm,
    ScopeForm,
    SearchForm,
    SummaryForm,
)
from .matrices import MEASURES, NONE_PARAM
from .models import SavedQuery
from .queries import describe_query, run_code_query
from .search import SearchResults, search_transcripts
from .selectors import (
    MATRIX_KINDS,
    CellFilter,
    Scope,
    agreement_report,
    attribute_excerpts,
    blind_hidden_interviews,
    build_matrix,
    case_studies_in_reach,
    coded,
    coding_frame,
    cooccurrence_table,
    excerpt_ids,
    excerpts_in_scope,
    framework_cell,
    framework_matrix,
    side_by_side,
)
from .tabular import Sheet, csv_download, xlsx_download

EXCERPTS_PER_PAGE = 50
# A report to print beyond this many excerpts would be a page no browser renders well; the spreadsheets hold all.
MAX_REPORT_EXCERPTS = 5_000


def index(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    context = {
        "project": project,
        "matrices": MATRIX_KINDS,
        "can_manage": access.can_manage_project(request.user, project),
    }
    return render(request, "analysis/index.html", context)


def codebook_export(request: HttpRequest, project_slug: str) -> HttpResponse:
    """The codebook as CSV, XLSX or a printable page: paths, definitions, colours, questions and counts (of
    what the reader may see), through the project's redaction like every file that leaves the app."""
    project = access.get_project_for(request.user, project_slug)
    entries = codebook_entries(request.user, project)
    file_format = request.GET.get("format", "html")
    redactor = redactor_for(project)
    name = f"{project.slug}-codebook"
    if file_format == "csv":
        return csv_download(name, CODEBOOK_HEADER, codebook_rows(entries), redactor=redactor)
    if file_format == "xlsx":
        sheet = Sheet("Codebook", CODEBOOK_HEADER, codebook_rows(entries), widths=CODEBOOK_WIDTHS, wrap=True)
        return xlsx_download(name, [sheet], redactor=redactor)
    if file_format != "html":
        return HttpResponse("Choose csv, xlsx or html.", status=400, content_type="text/plain; charset=utf-8")
    for entry in entries:
        entry.definition = redactor.redact(entry.definition)
    context = {"project": project, "entries": entries, "generated_at": timezone.now()}
    return render(request, "analysis/codebook_print.html", context)


def matrix(request: HttpRequest, project_slug: str, kind: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    if kind not in MATRIX_KINDS:
        raise Http404("No such matrix.")
    form = ScopeForm(request.GET, project=project, user=request.user)
    measure = request.GET.get("measure") if request.GET.get("measure") in MEASURES else "excerpts"
    sort = request.GET.get("sort", "")
    context = {"project": project, "form": form, "kind": kind, "title": MATRIX_KINDS[kind], "kinds": MATRIX_KINDS}
    if not form.is_valid():
        return render(request, "analysis/matrix.html", context, status=400)
    scope = form.scope()
    result = build_matrix(request.user, project, scope, kind)
    file_format = request.GET.get("format")
    if file_format == "csv":
        header, rows = result.export_rows(measure, sort=sort)
        return csv_download(f"{project.slug}-{kind}-{measure}", header, rows, redactor=redactor_for(project))
    if file_format == "xlsx":
        sheets = [Sheet(label, *result.export_rows(name, sort=sort)) for name, label in MEASURES.items()]
        return xlsx_download(f"{project.slug}-{kind}", sheets, redactor=redactor_for(project))
    link = reverse("analysis:excerpts", args=[project.slug])
    here = query_pairs(request, leave_out={"format"})
    context.update(
        matrix=result,
        measure=measure,
        measures=MEASURES,
        measure_label=MEASURES[measure],
        sort=sort,
        keep=[(name, value) for name, value in (("measure", measure), ("sort", sort)) if value],
        rows=result.table(measure, sort=sort, link=link, scope=scope.as_query()),
        column_totals=result.column_total_cells(measure, link=link, scope=scope.as_query()),
        grand_total=result.grand_totals[measure],
        all_url=f"{link}?{urlencode(scope.as_query())}",
        links=_matrix_links(here),
        column_sort_links=[(column, _query(here, sort=f"column:{column.key}")) for column in result.columns],
    )
    return render(request, "analysis/matrix.html", context)


def query_pairs(request: HttpRequest, *, leave_out: set[str] = frozenset()) -> list[tuple[str, str]]:
    """The page's query string as (name, value) pairs, repeated names kept, those in `leave_out` left out."""
    return [(key, value) for key, values in request.GET.lists() for value in values if key not in leave_out]


def _query(pairs: list[tuple[str, str]], **changes: str) -> str:
    kept = [(key, value) for key, value in pairs if key not in changes and key != "format"]
    return urlencode(kept + [(key, value) for key, value in changes.items() if value])


def _excerpt_report(request: HttpRequest, project, export, *, description: str) -> HttpResponse:
    """Every excerpt of a list as a report to print or save: the same rows, withholding and redaction as the
    spreadsheets, grouped by interview."""
    redactor = redactor_for(project)
    interviews: dict[tuple, list[dict]] = {}
    for row in export.rows[:MAX_REPORT_EXCERPTS]:
        values = dict(zip(export.header, [redactor.redact_value(value) for value in row], strict=True))
        record = {
            "text": values["Text"],
            "speakers": "; ".join(filter(None, [values["Participant"], values["Participant role"]])),
            "codes": values["Codes"],
            "coder": values["Coder"],
            "start": values["Start"],
            "end": values["End"],
            "memo": values["Memo"],
            "is_key_quote": values["Key quote"],
        }
        key = (values["Case study"], values["Interview"], values["Interview date"])
        interviews.setdefault(key, []).append(record)
    context = {
        "project": project,
        "interviews": [(key, rows) for key, rows in interviews.items()],
        "summary": export.summary,
        "cut_to": MAX_REPORT_EXCERPTS if len(export.rows) > MAX_REPORT_EXCERPTS else None,
        "description": redactor.redact(description),
        "generated_at": timezone.now(),
    }
    response = render(request, "analysis/excerpt_report.html", context)
    response["Content-Disposition"] = f'inline; filename="{project.slug}-excerpts.html"'
    return response


def _matrix_links(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Query strings for the measure, sort and download links, keeping the filters."""
    return {
        "excerpts": _query(pairs, measure="excerpts"),
        "interviews": _query(pairs, measure="interviews"),
        "natural": _query(pairs, sort=""),
        "total": _query(pairs, sort="total"),
        "csv": _query(pairs, format="csv"),
        "xlsx": _query(pairs, format="xlsx"),
    }


def excerpt_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """The excerpts behind a figure (or all of them, filtered), with downloads of the same list."""
    project = access.get_project_for(request.user, project_slug)
    form = ExcerptFilterForm(request.GET, project=project, user=request.user)
    context = {"project": project, "form": form}
    if not form.is_valid():
        return render(request, "analysis/excerpt_list.html", context, status=400)
    scope, data = form.scope(), form.cleaned_data
    cell = CellFilter(
        code_id=data["code"].pk if data.get("code") else None,
        with_subcodes=data.get("subcodes") == "include",
        case_key=data.get("case_study"),
        sector=_none_as_blank(data.get("sector")),
        kind=_none_as_blank(data.get("kind")),
        question_id=data["question"].pk if data.get("question") else None,
    )
    ids = excerpt_ids(request.user, project, scope, cell)
    file_format = request.GET.get("format")
    if file_format in {"csv", "xlsx", "html"}:
        export = export_excerpts(project, excerpts_in_scope(request.user, project, scope), keep=set(ids))
        if file_format == "html":
            return _excerpt_report(request, project, export, description=describe_filters(form))
        if file_format == "csv":
            return csv_download(f"{project.slug}-excerpts", export.header, export.rows, redactor=redactor_for(project))
        return xlsx_download(
            f"{project.slug}-excerpts", export.sheets(filters=describe_filters(form)), redactor=redactor_for(project)
        )
    page = Paginator(ids, EXCERPTS_PER_PAGE).get_page(request.GET.get("page"))
    context.update(
        page=page,
        rows=excerpt_rows(list(page.object_list)),
        total=len(ids),
        description=describe_filters(form),
        query=_query(query_pairs(request), page=""),
    )
    return render(request, "analysis/excerpt_list.html", context)


def _none_as_blank(value: str | None) -> str | None:
    if not value:
        return None
    return "" if value == NONE_PARAM else value


def describe_filters(form: ExcerptFilterForm) -> str:
    """The filters in words, for the page heading and the export's About sheet."""
    data, parts = form.cleaned_data, []
    if data.get("code"):
        subcodes = " with its sub-codes" if data.get("subcodes") == "include" else ""
        parts.append(f"code “{data['code'].name}”{subcodes}")
    if data.get("question"):
        question = data["question"]
        parts.append(f"research question {question.short_label or question.text}")
    if data.get("case_study") == 0:
        parts.append("no case study")
    elif data.get("case_study"):
        parts.append(f"case study “{form.fields['case_studies'].queryset.get(pk=data['case_study']).title}”")
    if data.get("sector"):
        parts.append("speaker not attributed" if data["sector"] == NONE_PARAM else f"{data['sector']} sector")
    if data.get("kind"):
        parts.append("speaker not attributed" if data["kind"] == NONE_PARAM else f"kind “{data['kind']}”")
    if data.get("phase"):
        parts.append(f"{PhaseKind(data['phase']).label.lower()} phase")
    if data.get("coder"):
        parts.append(f"coded by {data['coder'].get_full_name() or data['coder'].get_username()}")
    if data.get("case_studies"):
        parts.append("within " + ", ".join(case_study.title for case_study in data["case_studies"]))
    return "; ".join(parts)


def excerpt_rows(ids: list[int]) -> list[dict]:
    """Excerpts in the given order with their codes and speaker, in three or four queries."""
    excerpts = Excerpt.objects.filter(pk__in=ids).select_related("interview__case_study", "coded_by")
    excerpts = excerpts.prefetch_related(
        Prefetch("code_links", queryset=ExcerptCode.objects.select_related("code").order_by("code__name"))
    )
    by_pk = {excerpt.pk: excerpt for excerpt in excerpts}
    ordered = [by_pk[pk] for pk in ids if pk in by_pk]
    passages = attribute_excerpts((e.pk, e.interview_id, e.start, e.end) for e in ordered)
    return [
        {
            "excerpt": excerpt,
            "codes": [link.code for link in excerpt.code_links.all()],
            "passage": passages[excerpt.pk],
        }
        for excerpt in ordered
    ]


def _framework_group(request: HttpRequest, project) -> QuestionGroup:
    groups = project.question_groups.order_by("order", "id")
    wanted = request.GET.get("group")
    if wanted:
        pk = parse_id(wanted)
        if pk is None:
            raise Http404("No such question group.")
        return get_object_or_404(groups, pk=pk)
    group = groups.first()
    if group is None:
        raise Http404("This project has no research questions yet.")
    return group


def framework(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    group = _framework_group(request, project)
    chart = framework_matrix(request.user, project, group)
    if request.GET.get("format") == "xlsx":
        header, rows = chart.export_rows()
        questions = [[q.short_label, q.text] for q in chart.questions]
        sheets = [
            Sheet(
                f"Framework - {group.title}",
                header,
                rows,
                widths=[30, 18, 18, 18, 28] + [50, 10] * len(questions),
                wrap=True,
            ),
            Sheet("Questions", ["Label", "Research question"], questions, widths=[10, 100], wrap=True),
        ]
        return xlsx_download(f"{project.slug}-framework-{slugify(group.title)}", sheets, redactor=redactor_for(project))
    context = {
        "project": project,
        "group": group,
        "groups": project.question_groups.order_by("order", "id"),
        "chart": chart,
    }
    return render(request, "analysis/framework.html", context)


def _framework_records(request: HttpRequest, project_slug: str, case_study_pk: int, question_pk: int):
    project = access.get_project_for(request.user, project_slug)
    case_study = get_object_or_404(case_studies_in_reach(request.user, project), pk=case_study_pk)
    question = get_object_or_404(
        ResearchQuestion.objects.select_related("group"), pk=question_pk, group__project=project
    )
    return project, case_study, question


def framework_cell_view(request: HttpRequest, project_slug: str, case_study_pk: int, question_pk: int) -> HttpResponse:
    project, case_study, question = _framework_records(request, project_slug, case_study_pk, question_pk)
    cell = framework_cell(request.user, project, case_study, question)
    if not request.headers.get("HX-Request"):
        # Opened on its own (a link opened in a new tab): the cell in its place on the whole page.
        return redirect(_framework_cell_url(project, question, cell))
    return render(request, "analysis/framework.html#cell", {"project": project, "cell": cell})


def _framework_cell_url(project, question, cell) -> str:
    return f"{reverse('analysis:framework', args=[project.slug])}?group={question.group_id}#{cell.dom_id}"


@require_http_methods(["GET", "POST"])
def framework_edit(request: HttpRequest, project_slug: str, case_study_pk: int, question_pk: int) -> HttpResponse:
    project, case_study, question = _framework_records(request, project_slug, case_study_pk, question_pk)
    cell = framework_cell(request.user, project, case_study, question)
    initial = {"text": cell.summary.text, "revision": cell.summary.revision} if cell.summary else {}
    form = SummaryForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.save_framework_summary(
                case_study=case_study,
                research_question=question,
                text=form.cleaned_data["text"],
                author=request.user,
                revision=form.cleaned_data["revision"],
            )
        except ValidationError as error:
            form.add_error(None, error)
            status = 400
        else:
            if request.headers.get("HX-Request"):
                cell = framework_cell(request.user, project, case_study, question)
                return render(request, "analysis/framework.html#cell", {"project": project, "cell": cell})
            messages.success(request, f"Saved the summary for {case_study.title}, {question.short_label}.")
            return redirect(_framework_cell_url(project, question, cell))
    elif request.method == "POST":
        status = 400
    context = {"project": project, "cell": cell, "form": form}
    template = "analysis/framework.html#edit" if request.headers.get("HX-Request") else "analysis/framework_edit.html"
    return render(request, template, context, status=status)


def framework_excerpts(request: HttpRequest, project_slug: str, case_study_pk: int, question_pk: int) -> HttpResponse:
    project, case_study, question = _framework_records(request, project_slug, case_study_pk, question_pk)
    query = urlencode({"case_study": case_study.pk, "question": question.pk})
    if not request.headers.get("HX-Request"):
        return redirect(f"{reverse('analysis:excerpts', args=[project.slug])}?{query}")
    ids = excerpt_ids(
        request.user, project, Scope(case_study_ids=(case_study.pk,)), CellFilter(question_id=question.pk)
    )
    context = {
        "project": project,
        "case_study": case_study,
        "question": question,
        "rows": excerpt_rows(ids[:EXCERPTS_PER_PAGE]),
        "total": len(ids),
        "all_url": f"{reverse('analysis:excerpts', args=[project.slug])}?{query}",
    }
    return render(request, "analysis/framework.html#side-panel", context)


def _with_default(request: HttpRequest, **defaults: str):
    data = request.GET.copy()
    for key, value in defaults.items():
        data.setdefault(key, value)
    return data


def cooccurrence(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    form = CooccurrenceForm(_with_default(request, relation=Relation.OVERLAP), project=project, user=request.user)
    context = {"project": project, "form": form}
    if not form.is_valid():
        return render(request, "analysis/cooccurrence.html", context, status=400)
    scope, relation, distance = form.scope(), form.cleaned_data["relation"], form.cleaned_data.get("distance") or 0
    table = cooccurrence_table(request.user, project, scope, relation=relation, distance=distance)
    file_format, name = request.GET.get("format"), f"{project.slug}-cooccurrence-{relation}"
    if file_format == "csv":
        return csv_download(name, *table.export_rows(), redactor=redactor_for(project))
    if file_format == "xlsx":
        return xlsx_download(name, [Sheet("Co-occurrence", *table.export_rows())], redactor=redactor_for(project))
    query = [*scope.as_query(), ("relation", relation)]
    if relation == Relation.NEAR:
        query.append(("distance", str(distance)))
    here = query_pairs(request)
    context.update(
        computed=True,
        codes=table.codes,
        rows=table.rows(link=reverse("analysis:cooccurrence_pairs", args=[project.slug]), query=query),
        relation_label=Relation(relation).label,
        relation=relation,
        distance=distance,
        csv_query=_query(here, format="csv"),
        xlsx_query=_query(here, format="xlsx"),
    )
    return render(request, "analysis/cooccurrence.html", context)


def cooccurrence_pairs_view(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    form = CooccurrencePairsForm(_with_default(request, relation=Relation.OVERLAP), project=project, user=request.user)
    context = {"project": project, "form": form}
    if not form.is_valid():
        return render(request, "analysis/cooccurrence_pairs.html", context, status=400)
    data = form.cleaned_data
    code_a, code_b, relation, distance = data["a"], data["b"], data["relation"], data.get("distance") or 0
    frame = coded(coding_frame(request.user, project, form.scope()))
    context.update(
        code_a=code_a, code_b=code_b, relation=relation, distance=distance, relation_label=Relation(relation).label
    )
    query = urlencode(query_pairs(request, leave_out={"page"}))
    if relation == Relation.INTERVIEW:
        groups = cooccurrence_interviews(frame, code_a.pk, code_b.pk)
        page = Paginator(groups, 20).get_page(request.GET.get("page"))
        ids = [pk for _, xs, ys in page.object_list for pk in (*xs, *ys)]
        by_pk = {row["excerpt"].pk: row for row in excerpt_rows(ids)}
        interviews = [
            {"excerpts_a": [by_pk[x] for x in xs if x in by_pk], "excerpts_b": [by_pk[y] for y in ys if y in by_pk]}
            for _, xs, ys in page.object_list
        ]
        context.update(page=page, interviews=interviews, total=len(groups), query=query)
        return render(request, "analysis/cooccurrence_pairs.html", context)
    pairs = cooccurrence_pairs(frame, code_a.pk, code_b.pk, relation=relation, distance=distance)
    page = Paginator(pairs, EXCERPTS_PER_PAGE).get_page(request.GET.get("page"))
    ids = list(dict.fromkeys(pk for pair in page.object_list for pk in (pair.excerpt_a, pair.excerpt_b)))
    by_pk = {row["excerpt"].pk: row for row in excerpt_rows(ids)}
    context.update(
        page=page,
        pairs=[{"pair": pair, "a": by_pk[pair.excerpt_a], "b": by_pk[pair.excerpt_b]} for pair in page.object_list],
        total=len(pairs),
        query=query,
    )
    return render(request, "analysis/cooccurrence_pairs.html", context)


def _saved_query_string(query: SavedQuery, case_studies: list) -> str:
    pairs = [("code_a", query.code_a_id), ("operator", query.operator), ("code_b", query.code_b_id)]
    if query.distance is not None:
        pairs.append(("distance", query.distance))
    if query.phase:
        pairs.append(("phase", query.phase))
    if query.coder_id:
        pairs.append(("coder", query.coder_id))
    pairs += [("case_studies", case_study.pk) for case_study in case_studies]
    return urlencode(pairs)


def _saved_query_item(query: SavedQuery, *, reachable: set[int], can_delete: bool) -> dict:
    """A saved query as the user may see it: only the titles of the case studies within their reach, the
    others counted; limited to none they can see, it is not offered to run (it would find nothing of theirs)."""
    chosen = list(query.case_studies.all())
    in_reach = [case_study for case_study in chosen if case_study.pk in reachable]
    runnable = bool(in_reach) or not chosen
    return {
        "query": query,
        "run": _saved_query_string(query, in_reach) if runnable else None,
        "description": describe_query(
            code_a=query.code_a.name, operator=query.operator, code_b=query.code_b.name, distance=query.distance
        ),
        "case_studies": in_reach,
        "out_of_reach": len(chosen) - len(in_reach),
        "can_delete": can_delete,
    }


def code_query(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    asked = "code_a" in request.GET
    form = CodeQueryForm(request.GET if asked else None, project=project, user=request.user)
    saved = (
        SavedQuery.objects.visible_to(request.user)
        .filter(project=project)
        .select_related("owner", "code_a", "code_b", "coder")
        .prefetch_related("case_studies")
    )
    can_manage = access.can_manage_project(request.user, project)
    saved = list(saved)
    reachable: set[int] = set()
    if any(query.case_studies.all() for query in saved):
        reachable = set(case_studies_in_reach(request.user, project).values_list("pk", flat=True))
    context = {
        "project": project,
        "form": form,
        "saved_queries": [
            _saved_query_item(query, reachable=reachable, can_delete=can_manage or query.owner_id == request.user.pk)
            for query in saved
        ],
    }
    if not asked:
        return render(request, "analysis/queries.html", context)
    if not form.is_valid():
        return render(request, "analysis/queries.html", context, status=400)
    data, scope = form.cleaned_data, form.scope()
    frame = coded(coding_frame(request.user, project, scope))
    ids = run_code_query(
        frame, code_a=data["code_a"].pk, operator=data["operator"], code_b=data["code_b"].pk, distance=data["distance"]
    )
    description = describe_query(
        code_a=data["code_a"].name, operator=data["operator"], code_b=data["code_b"].name, distance=data["distance"]
    )
    file_format = request.GET.get("format")
    if file_format in {"csv", "xlsx"}:
        export = export_excerpts(project, excerpts_in_scope(request.user, project, scope), keep=set(ids))
        name = f"{project.slug}-query"
        if file_format == "csv":
            return csv_download(name, export.header, export.rows, redactor=redactor_for(project))
        return xlsx_download(name, export.sheets(filters=f"Code query: {description}"), redactor=redactor_for(project))
    here = query_pairs(request, leave_out={"page", "format"})
    page = Paginator(ids, EXCERPTS_PER_PAGE).get_page(request.GET.get("page"))
    context.update(
        asked=True,
        description=description,
        total=len(ids),
        page=page,
        rows=excerpt_rows(list(page.object_list)),
        query=urlencode(here),
        save_form=SaveQueryForm(),
    )
    return render(request, "analysis/queries.html", context)


@require_POST
def code_query_save(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    form = CodeQueryForm(request.GET, project=project, user=request.user)
    save_form = SaveQueryForm(request.POST)
    back = f"{reverse('analysis:queries', args=[project.slug])}?{request.GET.urlencode()}"
    if form.is_valid() and save_form.is_valid():
        data = form.cleaned_data
        try:
            services.save_code_query(
                project=project,
                owner=request.user,
                name=save_form.cleaned_data["name"],
                code_a=data["code_a"],
                operator=data["operator"],
                code_b=data["code_b"],
                distance=data["distance"],
                phase=data["phase"],
                coder=data["coder"],
                case_studies=list(data["case_studies"]),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Saved the query “{save_form.cleaned_data['name'].strip()}”.")
        return redirect(back)
    errors = [*form.non_field_errors(), *(e for field in form for e in field.errors), *save_form.errors.get("name", [])]
    messages.error(request, " ".join(errors) or "The query could not be saved.")
    return redirect(back)


@require_POST
def code_query_delete(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    query = get_object_or_404(SavedQuery.objects.visible_to(request.user).filter(project=project), pk=pk)
    if query.owner_id != request.user.pk and not access.can_manage_project(request.user, project):
        raise PermissionDenied("Only the query's owner, the project's leads and admins can delete it.")
    services.delete_saved_query(query=query)
    messages.success(request, f"Deleted the query “{query.name}”.")
    return redirect("analysis:queries", project.slug)


def _run_search(request: HttpRequest, project) -> tuple[SearchForm, SearchResults | None]:
    form = SearchForm(request.GET, project=project, user=request.user)
    if not form.is_valid() or not form.cleaned_data["q"].strip():
        return form, None
    data = form.cleaned_data
    results = search_transcripts(
        request.user,
        project,
        data["q"],
        case_study_ids=tuple(case_study.pk for case_study in data["case_studies"]),
        phase=data["phase"],
    )
    return form, results


def search(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    form, results = _run_search(request, project)
    context = {
        "project": project,
        "form": form,
        "results": results,
        "code_form": CodeHitsForm(project=project),
        "query": request.GET.urlencode(),
    }
    return render(request, "analysis/search.html", context, status=400 if form.errors else 200)


@require_POST
def search_code(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Code the selected hits (or all of them) with one code, as excerpts of the searcher."""
    project = access.get_project_for(request.user, project_slug)
    back = f"{reverse('analysis:search', args=[project.slug])}?{request.GET.urlencode()}"
    form, results = _run_search(request, project)
    code_form = CodeHitsForm(request.POST, project=project)
    if results is None or not code_form.is_valid():
        problems = [error for errors in code_form.errors.values() for error in errors] or [
            "Search for something first."
        ]
        messages.error(request, " ".join(problems))
        return redirect(back)
    chosen = set(request.POST.getlist("hits"))
    hits = [(interview, hit) for interview, hit in results.hits() if "all" in request.POST or hit.key in chosen]
    code = code_form.cleaned_data["code"]
    try:
        outcome = services.code_search_hits(
            hits=hits, extent=code_form.cleaned_data["extent"], code=code, coded_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, outcome.describe(code))
    return redirect(back)


def agreement_view(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    asked = "coder_a" in request.GET
    form = AgreementForm(request.GET if asked else None, project=project, user=request.user)
    context = {"project": project, "form": form}
    if not asked:
        return render(request, "analysis/agreement.html", context)
    if not form.is_valid():
        return render(request, "analysis/agreement.html", context, status=400)
    data = form.cleaned_data
    report = agreement_report(
        request.user,
        project,
        coder_a=data["coder_a"].pk,
        coder_b=data["coder_b"].pk,
        interview_ids=[interview.pk for interview in data["interviews"]],
        code_ids=[code.pk for code in data["codes"]],
    )
    tables = {result.code_id: result.table for result in report.result.by_code}
    rows = [{"code": code, "path": path, "table": tables[code.pk]} for code, path in report.codes]
    if request.GET.get("format") in {"csv", "xlsx"}:
        header = [
            "Code",
            "Both (a)",
            "First only (b)",
            "Second only (c)",
            "Neither (d)",
            "Agreement %",
            "Kappa",
            "Alpha",
        ]
        lines = [[row["path"], *_figures(row["table"])] for row in rows]
        lines.append(["All codes (pooled)", *_figures(report.result.pooled)])
        name = f"{project.slug}-agreement"
        if request.GET["format"] == "csv":
            return csv_download(name, header, lines, redactor=redactor_for(project))
        return xlsx_download(
            name,
            [Sheet("Agreement", header, lines, widths=[40, 12, 14, 14, 12, 12, 10, 10])],
            redactor=redactor_for(project),
        )
    base = query_pairs(request, leave_out={"format", "codes"})
    context.update(
        report=report,
        rows=rows,
        pooled=report.result.pooled,
        coder_a=data["coder_a"],
        coder_b=data["coder_b"],
        query=urlencode(base + [("codes", pk) for pk in request.GET.getlist("codes")]),
        disagreement_base=urlencode([(k, v) for k, v in base if k != "interviews"]),
    )
    return render(request, "analysis/agreement.html", context)


def _figures(table) -> list:
    def rounded(value: float | None, places: int) -> float | None:
        return None if value is None else round(value, places)

    return [
        table.a,
        table.b,
        table.c,
        table.d,
        rounded(table.percent, 1),
        rounded(table.kappa, 3),
        rounded(table.alpha, 3),
    ]


def disagreements(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Two coders' coding of one interview side by side, paragraph by paragraph, where they differ."""
    project = access.get_project_for(request.user, project_slug)
    form = DisagreementForm(request.GET, project=project, user=request.user)
    context = {"project": project, "form": form}
    if not form.is_valid():
        return render(request, "analysis/disagreements.html", context, status=400)
    data = form.cleaned_data
    interview, coder_a, coder_b = data["interview"], data["coder_a"], data["coder_b"]
    if interview.pk in blind_hidden_interviews(request.user, project):
        raise PermissionDenied("This interview is under blind coding: a lead has to reveal its coders’ excerpts first.")
    paragraphs, codes = side_by_side(
        request.user,
        project,
        interview=interview,
        coders=(coder_a, coder_b),
        code_ids=[code.pk for code in data["codes"]],
        everything=data["everything"],
    )
    context.update(interview=interview, coder_a=coder_a, coder_b=coder_b, paragraphs=paragraphs, codes=codes)
    return render(request, "analysis/disagreements.html", context)


def blind_coding(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    visible = Interview.objects.visible_to(request.user).filter(project=project).values("pk")
    interviews = (
        Interview.objects.filter(pk__in=visible)
        .select_related("case_study")
        .defer("transcript")
        .order_by("case_study__order", "date", "title")
    )
    context = {
        "project": project,
        "interviews": interviews,
        "can_manage": access.can_manage_project(request.user, project),
    }
    return render(request, "analysis/blind_coding.html", context)


@require_POST
def blind_coding_change(request: HttpRequest, project_slug: str, pk: int, action: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    interview = access.get_interview_for(request.user, pk)
    if interview.project_id != project.pk:
        raise Http404("No such interview in this project.")
    if not access.can_manage_blind_coding(request.user, interview):
        raise PermissionDenied("Only the project's leads and admins can start blind coding or reveal it.")
    change = {"start": services.start_blind_coding, "reveal": services.reveal_blind_coding}.get(action)
    if change is None:
        raise Http404("No such change.")
    try:
        change(interview=interview)
    except ValidationError as error:
        messages.error(request, f"{interview.title}: {' '.join(error.messages)}")
    else:
        done = "is now under blind coding" if action == "start" else "— its coders can now see each other’s excerpts"
        messages.success(request, f"“{interview.title}” {done}.")
    return redirect("analysis:blind_coding", project.slug)
