"""Who may read and who may change working papers. Readers: everyone who can see the project.
Writers (create, edit, build): the project's leads and admins."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from casestudies.access import can_manage_project

from .models import PaperBuild, WorkingPaper


def can_write_papers(user, project) -> bool:
    return can_manage_project(user, project)


def get_paper_for(user, pk: int) -> WorkingPaper:
    return get_object_or_404(WorkingPaper.objects.visible_to(user).select_related("project", "created_by"), pk=pk)


def get_editable_paper_for(user, pk: int) -> WorkingPaper:
    paper = get_paper_for(user, pk)
    if not can_write_papers(user, paper.project):
        raise PermissionDenied("Only the project's leads and admins can change or build working papers.")
    return paper


def get_build_for(user, pk: int) -> PaperBuild:
    return get_object_or_404(
        PaperBuild.objects.filter(paper__in=WorkingPaper.objects.visible_to(user)).select_related(
            "paper__project", "created_by"
        ),
        pk=pk,
    )


def get_editable_build_for(user, pk: int) -> PaperBuild:
    build = get_build_for(user, pk)
    if not can_write_papers(user, build.paper.project):
        raise PermissionDenied("Only the project's leads and admins can change or build working papers.")
    return build
