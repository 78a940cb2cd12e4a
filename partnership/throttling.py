"""Login throttling with django-axes: the backend that refuses locked-out logins, the handler that counts failures
per username and address and per address alone, and the page a locked-out login gets."""

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timesince


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    now = timezone.now()
    address_locked = getattr(request, "axes_address_locked", False)
    context = {
        "username": get_client_username(request, credentials) or "",
        "address_locked": address_locked,
        "failure_limit": settings.LOGIN_ADDRESS_FAILURE_LIMIT if address_locked else settings.AXES_FAILURE_LIMIT,
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


class LoginAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler, plus a limit per address: AXES_FAILURE_LIMIT failures lock one username from
    one address (AXES_LOCKOUT_PARAMETERS); LOGIN_ADDRESS_FAILURE_LIMIT failures within the cool-off, for any
    usernames, lock the address itself."""

    def address_failures(self, request) -> int:
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return 0
        recent = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            recent = recent.filter(attempt_time__gte=get_cool_off_threshold(request))
        return recent.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def _address_locked(self, request) -> bool:
        locked = self.address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT
        if locked:
            request.axes_address_locked = True
        return locked

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or self._address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not getattr(request, "axes_locked_out", False) and self._address_locked(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
