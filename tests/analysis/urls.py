"""The site's URLs with a stand-in for the coding page, which the coding app provides once merged."""

from django.http import HttpResponse
from django.urls import include, path

from partnership import urls as site_urls


def coding_page_stand_in(request, pk: int) -> HttpResponse:
    return HttpResponse(f"Coding page for interview {pk}")


coding_stand_in = ([path("interviews/<int:pk>/coding/", coding_page_stand_in, name="interview")], "coding")

urlpatterns = [path("", include(coding_stand_in))] + [
    pattern for pattern in site_urls.urlpatterns if getattr(pattern, "namespace", None) != "coding"
]
