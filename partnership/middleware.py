"""Middleware of the site as a whole."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class PrivateCacheControlMiddleware:
    """Every response to a logged-in user is private and not stored: pages, fragments, API answers, downloads.

    Transcripts, coding and working papers must not stay in a shared proxy's cache or on the disk of a borrowed
    computer after logging out. Static files never get here: WhiteNoise answers them earlier in the chain, with
    their own long-lived caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response
