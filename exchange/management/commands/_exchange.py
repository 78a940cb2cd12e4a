"""What the four exchange commands share: finding the project, and reporting a refusal."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from casestudies.models import ResearchProject


def get_project(slug: str) -> ResearchProject:
    try:
        return ResearchProject.objects.get(slug=slug)
    except ResearchProject.DoesNotExist as error:
        raise CommandError(f"There is no project with the slug “{slug}”.") from error


def get_user(username: str | None):
    if not username:
        return None
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist as error:
        raise CommandError(f"There is no user “{username}”.") from error
