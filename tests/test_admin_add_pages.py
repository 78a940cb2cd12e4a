"""Every add page of the admin either answers with its form, and with messages for an empty submission, or is not
offered at all: never a server error."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import make_admin

pytestmark = pytest.mark.django_db


def _add_urls():
    for model, model_admin in admin.site._registry.items():
        yield model._meta.label, reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"), model_admin


def test_every_add_page_answers_or_is_refused_and_an_empty_form_saves_nothing(client, rf):
    superuser = make_admin()
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    for label, url, model_admin in _add_urls():
        request = rf.get(url)
        request.user = superuser
        page = client.get(url)
        if not model_admin.has_add_permission(request):
            assert page.status_code == 403, label
            continue
        assert page.status_code == 200, label
        model = model_admin.model
        before = model._base_manager.count()
        submitted = client.post(url, {})
        assert submitted.status_code in {200, 302}, label
        if submitted.status_code == 200:
            assert model._base_manager.count() == before, label


def test_builds_cannot_be_added_in_the_admin(client):
    superuser = make_admin()
    superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    assert client.get(reverse("admin:reports_paperbuild_add")).status_code == 403
    assert client.post(reverse("admin:reports_paperbuild_add"), {}).status_code == 403
    listing = client.get(reverse("admin:reports_paperbuild_changelist")).content.decode()
    assert reverse("admin:reports_paperbuild_add") not in listing
