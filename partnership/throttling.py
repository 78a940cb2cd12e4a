"""The page a locked-out login attempt gets (django-axes calls it as AXES_LOCKOUT_CALLABLE)."""

from axes.helpers import get_client_username
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timesince


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    now = timezone.now()
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff": timesince(now - settings.AXES_COOLOFF_TIME, now),
    }
    return render(request, "registration/locked_out.html", context, status=429)
