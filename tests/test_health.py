"""/healthz: the database reachable and a task worker seen lately, without a login and without record data."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db


def test_with_tasks_run_in_the_request_the_app_is_healthy_without_a_login(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "database": "ok",
        "worker": {"ok": True, "backend": "tasks run inside the request"},
    }
    assert "no-cache" in response["Cache-Control"]
    assert client.post(reverse("healthz")).status_code == 405


def test_a_worker_is_missing_until_it_writes_its_heartbeat(client, settings, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    first = client.get(reverse("healthz"))
    call_command("worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())
    after = client.get(reverse("healthz"))

    assert first.status_code == 503
    assert json.loads(first.content)["worker"] == {"ok": False, "last_seen": None}
    assert DBTaskResult.objects.count() == 0  # the check queues nothing
    assert after.status_code == 200
    assert json.loads(after.content)["worker"]["ok"] is True
