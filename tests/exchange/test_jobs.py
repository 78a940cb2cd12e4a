"""REFI-QDA imports run as background tasks: queued with their file, followed on a page, checked again."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from casestudies.models import ProjectMembership
from coding.models import Code, Excerpt
from exchange import importing, jobs
from exchange.models import ImportJob
from tests.factories import make_lead, make_project

from . import fixtures as f
from .helpers import record_counts


@pytest.fixture
def target(db):
    project = make_project(title="Riverside study", slug="riverside")
    return project, make_lead(project, username="ruth", first_name="Ruth", last_name="Ellis")


def _request(project, lead, data: bytes, capture, *, name: str = "riverside.qdpx", kind: str = "project"):
    with capture(execute=True):
        job = jobs.request_import(
            project=project, kind=kind, upload=SimpleUploadedFile(name, data), file_name=name, requested_by=lead
        )
    job.refresh_from_db()
    return job


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_under_the_database_backend_an_import_waits_for_a_worker_and_its_page_polls_until_done(
    client, target, settings, django_capture_on_commit_callbacks, media_root
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    project, lead = target
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exchange:import", args=[project.slug]),
            {"kind": "project", "file": SimpleUploadedFile("riverside.qdpx", f.nvivo_like_qdpx())},
        )
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.status, job.stage, job.file_name) == ("queued", "waiting", "riverside.qdpx")
    assert (media_root / job.file.name).read_bytes() == f.nvivo_like_qdpx()
    assert not Excerpt.objects.exists()

    partial = _text(client.get(job.get_absolute_url(), headers={"HX-Request": "true"}))
    assert partial.startswith(f'<div id="import-job" aria-live="polite" hx-get="{job.get_absolute_url()}"')
    assert 'hx-trigger="every 1s"' in partial
    assert "Queued: Waiting for a worker…" in partial
    assert '<progress max="100" value="5"' in partial
    assert "<html" not in partial

    queued = DBTaskResult.objects.get(pk=job.task_id)
    assert (queued.task_path, queued.args_kwargs) == ("exchange.tasks.run_import", {"args": [job.pk], "kwargs": {}})
    queued.task.call(*queued.args_kwargs["args"])  # what `manage.py db_worker` does with it

    job.refresh_from_db()
    assert (job.status, job.stage, job.file.name) == ("succeeded", "done", "")
    assert not list(media_root.rglob("*.qdpx")), "the upload is deleted once it has been imported"
    assert Excerpt.objects.filter(interview__project=project).count() == 5
    partial = _text(client.get(job.get_absolute_url(), headers={"HX-Request": "true"}))
    assert 'hx-trigger="every 1s"' not in partial
    assert "Imported “riverside.qdpx”" in partial
    assert '<tr><th scope="row">Excerpts</th><td class="num">5</td><td class="num">0</td></tr>' in partial


def test_the_import_page_shows_the_stage_a_running_import_has_reached(client, target):
    project, lead = target
    job = ImportJob.objects.create(
        project=project, kind="project", file_name="big.qdpx", status="running", stage="writing", created_by=lead
    )
    client.force_login(lead)
    text = _text(client.get(job.get_absolute_url()))
    assert "Importing “big.qdpx”" in text
    assert "Running: Writing the records…" in text
    assert '<progress max="100" value="70"' in text
    assert f'hx-get="{job.get_absolute_url()}" hx-trigger="every 1s"' in text


def test_the_task_checks_again_that_the_user_may_import(target, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    project, lead = target
    job = _request(project, lead, f.nvivo_like_qdpx(), django_capture_on_commit_callbacks)
    ProjectMembership.objects.filter(project=project, user=lead).delete()  # no longer a lead when it runs
    before = record_counts()

    job = jobs.run_import(job_id=job.pk)

    assert (job.status, job.error) == (
        "failed",
        "You can no longer import into this project, so the file was not imported.",
    )
    assert record_counts() == before
    assert job.file.name == ""


def test_a_refused_file_fails_its_job_with_the_reason_and_writes_nothing(target, django_capture_on_commit_callbacks):
    project, lead = target
    before = record_counts()
    job = _request(project, lead, b"not a zip", django_capture_on_commit_callbacks, name="notes.qdpx")
    assert (job.status, job.error) == (
        "failed",
        "“notes.qdpx” is not a .qdpx project: it is not a zip archive. Nothing was imported.",
    )
    assert record_counts() == before


def test_a_failure_half_way_is_recorded_raised_for_the_backend_and_leaves_nothing_behind(
    target, settings, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    project, lead = target
    job = _request(project, lead, f.nvivo_like_qdpx(), django_capture_on_commit_callbacks)
    before = record_counts()

    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing._ProjectImport, "import_notes", broken)
    with pytest.raises(RuntimeError):
        jobs.run_import(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.error, job.file.name) == (
        "failed",
        "The import failed (RuntimeError: disk full). Nothing was imported.",
        "",
    )
    assert record_counts() == before
    assert f"ImportJob {job.pk} of 'riverside.qdpx' failed" in caplog.text


def test_a_job_runs_once(target, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    project, lead = target
    job = _request(project, lead, f.nvivo_like_qdpx(), django_capture_on_commit_callbacks)
    first, second = jobs.run_import(job_id=job.pk), jobs.run_import(job_id=job.pk)
    assert (first.status, second) == ("succeeded", None)
    assert Excerpt.objects.filter(interview__project=project).count() == 5


def test_an_import_that_cannot_be_queued_is_marked_failed(target, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "nowhere.TaskBackend"}}
    project, lead = target
    job = _request(project, lead, f.nvivo_like_qdpx(), django_capture_on_commit_callbacks)
    assert job.status == "failed"
    assert job.error.startswith("Could not queue the import: InvalidTaskBackend: Could not find backend")
    assert job.file.name == ""


def test_a_codebook_import_runs_as_a_job_too(target, django_capture_on_commit_callbacks):
    project, lead = target
    qdc = f"""<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA 24"><Codes>
      <Code guid="{f.TRUST}" name="Trust" isCodable="true"/></Codes></CodeBook>"""
    job = _request(project, lead, qdc.encode(), django_capture_on_commit_callbacks, name="codes.qdc", kind="codebook")
    assert (job.status, job.report["kind"], job.report["origin"]) == ("succeeded", "codebook", "MAXQDA 24")
    assert Code.objects.get(project=project).name == "Trust"
