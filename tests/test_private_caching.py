"""Responses to a logged-in user are neither kept by shared caches nor stored by the browser; static files are."""

import pytest
from django.urls import reverse

from tests.factories import make_admin, make_interview, make_lead, make_project

pytestmark = pytest.mark.django_db


def test_pages_api_answers_and_downloads_for_a_logged_in_user_are_private_and_not_stored(client):
    project = make_project()
    interview = make_interview(project=project, case_study=None)
    client.force_login(make_lead(project))
    for url, params in [
        (project.get_absolute_url(), {}),
        (reverse("coding:api_interview_excerpts", args=[interview.pk]), {}),
        (reverse("analysis:excerpts", args=[project.slug]), {"format": "csv"}),
        ("/no-such-page/", {}),
    ]:
        response = client.get(url, params)
        assert response.status_code in {200, 404}, url
        assert response["Cache-Control"] == "private, no-store", url


def test_the_admin_is_private_and_not_stored(client):
    client.force_login(make_admin())
    assert client.get("/admin/")["Cache-Control"] == "private, no-store"


def test_the_login_page_keeps_its_own_never_cache_headers(client):
    response = client.get("/accounts/login/")
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_static_files_keep_their_public_caching_for_a_logged_in_user(client, settings):
    # Serve from the source folders, as `make dev` does, rather than from the collected files.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    client.force_login(make_admin())
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "private" not in response["Cache-Control"]
