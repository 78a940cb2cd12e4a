"""Login throttling with django-axes: the backend that refuses locked-out logins, and the page they get."""

from axes.backends import AxesStandaloneBackend
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


class LoginThrottlingBackend(AxesStandaloneBackend):
    """Refuses a login for a locked-out username and address before any password is checked.

    Every login over the web (the login page, the admin's) passes its request. `authenticate()` without one comes from
    code on the server (the test client's `login()`, a script): there is no address to throttle, so this backend
    stands aside, where axes' own would raise.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
