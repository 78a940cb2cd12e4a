"""Large transcript files are read by the task worker: the page follows the import, and a refusal writes nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from casestudies import jobs
from casestudies.models import TranscriptImport
from tests import factories as f

pytestmark = pytest.mark.django_db

TEXT = b"Interviewer: How did the partnership start?\n\nRuth: With a phone call, really."


@pytest.fixture(autouse=True)
def small_threshold(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TRANSCRIPT_BACKGROUND_BYTES = 10  # every test file counts as large


@pytest.fixture
def interview():
    project = f.make_project()
    lead = f.make_lead(project)
    return f.make_interview(f.make_case_study(project), transcript=""), lead


def upload(client, interview, name="ruth.txt", data=TEXT):
    return client.post(
        reverse("casestudies:interview_import", args=[interview.pk]), {"file": SimpleUploadedFile(name, data)}
    )


def stored_files(tmp_path) -> list:
    return [path for path in tmp_path.rglob("*") if path.is_file()]


def test_a_large_file_is_imported_by_a_task_and_its_page_says_what_was_found(
    client, interview, tmp_path, django_capture_on_commit_callbacks
):
    record, lead = interview
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, record)

    job = TranscriptImport.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.status, job.file_name) == ("succeeded", "ruth.txt")
    record.refresh_from_db()
    assert record.transcript == TEXT.decode()
    assert stored_files(tmp_path) == []  # the upload is not kept once read
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Imported “ruth.txt”" in page and "speakers: Interviewer (1), Ruth (1)" in page


def test_under_the_database_backend_the_page_waits_for_the_worker(client, interview, settings, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    record, lead = interview
    client.force_login(lead)

    upload(client, record)
    job = TranscriptImport.objects.get()
    waiting = client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())

    assert "Queued: Waiting for a worker…" in waiting and 'hx-trigger="every 1s"' in waiting
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert "hx-trigger" not in client.get(job.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()


def test_a_refused_file_is_explained_on_its_page_and_nothing_is_written(
    client, interview, tmp_path, django_capture_on_commit_callbacks
):
    record, lead = interview
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        upload(client, record, name="broken.docx", data=b"this is not a Word file at all")

    job = TranscriptImport.objects.get()
    record.refresh_from_db()
    assert job.status == "failed" and job.error.endswith("Nothing was imported.")
    assert record.transcript == "" and stored_files(tmp_path) == []
    page = client.get(job.get_absolute_url()).content.decode()
    assert "“broken.docx” was not imported" in page and 'role="alert"' in page


def test_the_task_checks_again_that_the_user_may_change_the_interview(interview, django_capture_on_commit_callbacks):
    record, lead = interview
    with django_capture_on_commit_callbacks(execute=False):
        job = jobs.request_transcript_import(
            interview=record, upload=SimpleUploadedFile("ruth.txt", TEXT), file_name="ruth.txt", requested_by=lead
        )
    lead.project_memberships.all().delete()

    jobs.run_transcript_import(job_id=job.pk)

    job.refresh_from_db()
    record.refresh_from_db()
    assert job.error == "You can no longer change this interview, so the file was not imported."
    assert record.transcript == ""


def test_an_import_runs_once_and_its_page_is_outside_others_reach(
    client, interview, django_capture_on_commit_callbacks
):
    record, lead = interview
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, record)
    job = TranscriptImport.objects.get()

    assert jobs.run_transcript_import(job_id=job.pk) is None
    client.force_login(f.make_user())
    assert client.get(job.get_absolute_url()).status_code == 404
