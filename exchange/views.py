from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casestudies.models import ResearchProject
from disclosure import access

from .exporting import build_codebook, build_project_archive
from .forms import ImportForm
from .jobs import request_import, retry_import
from .models import ImportJob
from .report import ImportReport

RECENT_IMPORTS = 10


def _page(request: HttpRequest, project: ResearchProject, *, failed: ImportForm | None = None) -> HttpResponse:
    forms = {kind: ImportForm(initial={"kind": kind}, auto_id=f"id_{kind}_%s") for kind in ImportForm.KINDS}
    if failed is not None and failed.data.get("kind") in forms:
        forms[failed.data["kind"]] = failed
    context = {
        "project": project,
        "can_manage": access.can_manage_project(request.user, project),
        "whole_project": access.can_manage_project(request.user, project),
        "project_form": forms["project"],
        "codebook_form": forms["codebook"],
        "recent_imports": (
            list(ImportJob.objects.filter(project=project).select_related("created_by", "project")[:RECENT_IMPORTS])
            if access.can_manage_project(request.user, project)
            else []
        ),
    }
    return render(request, "exchange/exchange.html", context, status=400 if failed is not None else 200)


@require_GET
def exchange_page(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    return _page(request, project)


def _download(data: bytes, *, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@require_GET
def export_qdpx(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    data = build_project_archive(project=project, user=request.user)
    return _download(data, content_type="application/zip", file_name=f"{project.slug}.qdpx")


@require_GET
def export_qdc(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_project_for(request.user, project_slug)
    try:
        data = build_codebook(project)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("exchange:exchange", project_slug=project.slug)
    return _download(data, content_type="application/xml", file_name=f"{project.slug}.qdc")


@require_POST
def import_file(request: HttpRequest, project_slug: str) -> HttpResponse:
    project = access.get_managed_project_for(request.user, project_slug)
    kind = request.POST.get("kind") if request.POST.get("kind") in ImportForm.KINDS else "project"
    form = ImportForm(request.POST, request.FILES, auto_id=f"id_{kind}_%s")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = request_import(
                project=project,
                kind=form.cleaned_data["kind"],
                upload=upload,
                file_name=upload.name,
                requested_by=request.user,
            )
        except ValidationError as error:
            form.add_error("file", f"{' '.join(error.messages)} Nothing was imported.")
        else:
            return redirect(job)
    return _page(request, project, failed=form)


@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """An import's progress while it runs (htmx polls the partial), then its report or why it failed. A POST retries
    a failed import whose file is still kept."""
    job = access.get_import_job_for(request.user, project_slug, pk)
    if request.method == "POST":
        try:
            retry_import(job=job)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(job.get_absolute_url())
    project = job.project
    context = {
        "project": project,
        "job": job,
        "report": ImportReport.from_dict(job.report) if job.status == ImportJob.Status.SUCCEEDED else None,
    }
    template = "exchange/job.html#job" if request.headers.get("HX-Request") else "exchange/job.html"
    return render(request, template, context)
