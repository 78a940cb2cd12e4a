"""Analysis pages: thin views over the selectors (reading), the engines (pandas) and the services (writing)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from casestudies import access
from coding.models import Excerpt, ExcerptCode

from .exports import export_excerpts
from .forms import ExcerptFilterForm, ScopeForm
from .matrices import MEASURES, NONE_PARAM
from .selectors import MATRIX_KINDS, CellFilter, attribute_excerpts, build_matrix, excerpt_ids, visible_excerpts
from .tabular import Sheet, csv_download, xlsx_download

EXCERPTS_PER_PAGE = 50


def index(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    context = {
        "project": project,
        "matrices": MATRIX_KINDS,
        "can_manage": access.can_manage_project(request.user, project),
    }
    return render(request, "analysis/index.html", context)


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
        return csv_download(f"{project.slug}-{kind}-{measure}", header, rows)
    if file_format == "xlsx":
        sheets = [Sheet(label, *result.export_rows(name, sort=sort)) for name, label in MEASURES.items()]
        return xlsx_download(f"{project.slug}-{kind}", sheets)
    link = reverse("analysis:excerpts", args=[project.slug])
    query = [pair for pair in request.GET.lists() if pair[0] not in {"format"}]
    here = [(key, value) for key, values in query for value in values]
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


def _query(pairs: list[tuple[str, str]], **changes: str) -> str:
    kept = [(key, value) for key, value in pairs if key not in changes and key != "format"]
    return urlencode(kept + [(key, value) for key, value in changes.items() if value])


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
        case_key=data.get("case_study"),
        sector=_none_as_blank(data.get("sector")),
        kind=_none_as_blank(data.get("kind")),
        question_id=data["question"].pk if data.get("question") else None,
    )
    ids = excerpt_ids(request.user, project, scope, cell)
    file_format = request.GET.get("format")
    if file_format in {"csv", "xlsx"}:
        export = export_excerpts(project, visible_excerpts(request.user, project, scope), keep=set(ids))
        if file_format == "csv":
            return csv_download(f"{project.slug}-excerpts", export.header, export.rows)
        return xlsx_download(f"{project.slug}-excerpts", export.sheets(filters=describe_filters(form)))
    page = Paginator(ids, EXCERPTS_PER_PAGE).get_page(request.GET.get("page"))
    context.update(
        page=page,
        rows=excerpt_rows(list(page.object_list)),
        total=len(ids),
        description=describe_filters(form),
        query=_query([(k, v) for k, values in request.GET.lists() for v in values], page=""),
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
        parts.append(f"code “{data['code'].name}”")
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
        parts.append(f"phase {data['phase'].replace('_', ' ')}")
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
    attribution = attribute_excerpts((e.pk, e.interview_id, e.start) for e in ordered)
    return [
        {
            "excerpt": excerpt,
            "codes": [link.code for link in excerpt.code_links.all()],
            "participant": attribution.participant_of(excerpt.pk),
        }
        for excerpt in ordered
    ]
