"""Loading coding records for a user: the same rules as the records they belong to."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from casestudies.access import can_manage_project, visible_projects
from casestudies.models import Interview

from .models import Code, Excerpt, Memo


def get_interview_to_code_for(user, pk: int) -> Interview:
    """The interview an excerpt is added to: the same rule as `get_interview_for`, but only the interview's own
    row without its transcript, since coding needs neither the related records nor the text (the database
    slices it)."""
    return get_object_or_404(Interview.objects.visible_to(user).defer("transcript"), pk=pk)


def visible_codes(user) -> QuerySet[Code]:
    return Code.objects.filter(project__in=visible_projects(user))


def get_code_for(user, pk: int) -> Code:
    return get_object_or_404(visible_codes(user).select_related("project", "parent"), pk=pk)


def get_managed_code_for(user, pk: int) -> Code:
    """Leads and admins reshape the codebook: rename, move, merge, archive, delete."""
    code = get_code_for(user, pk)
    if not can_manage_project(user, code.project):
        raise PermissionDenied("Only the project's leads and admins can change the codebook.")
    return code


def get_excerpt_for(user, pk: int) -> Excerpt:
    return get_object_or_404(
        Excerpt.objects.visible_to(user)
        .select_related("interview__project", "interview__case_study", "coded_by")
        .defer("interview__transcript"),
        pk=pk,
    )


def can_change_excerpt(user, excerpt: Excerpt) -> bool:
    """Coders change their own excerpts; leads and admins anyone's in their project."""
    return excerpt.coded_by_id == user.pk or can_manage_project(user, excerpt.interview.project)


def get_editable_excerpt_for(user, pk: int) -> Excerpt:
    excerpt = get_excerpt_for(user, pk)
    if not can_change_excerpt(user, excerpt):
        raise PermissionDenied("Only the excerpt's coder, the project's leads and admins can change it.")
    return excerpt


def visible_memos(user) -> QuerySet[Memo]:
    return Memo.objects.filter(project__in=visible_projects(user))
