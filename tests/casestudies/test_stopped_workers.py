"""A worker that dies mid-job: its jobs stop beating, the housekeeping of the workers marks them failed ("the worker
stopped"), their pages offer Retry, and a retried import runs from the kept file. Old task results are pruned."""

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from casestudies.models import TranscriptImport, WorkerHeartbeat
from exchange.models import ImportJob
from partnership import jobs
from reports.models import PaperBuild
from tests import factories as f

pytestmark = pytest.mark.django_db

TEXT = b"Interviewer: How did the partnership start?\n\nRuth: With a phone call, really."
LONG_AGO = timedelta(minutes=10)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def interview():
    project = f.make_project()
    lead = f.make_lead(project)
    return f.make_interview(f.make_case_study(project), transcript=""), lead


def _running_import(interview, lead, *, silent_for: timedelta | None, heartbeat=True) -> TranscriptImport:
    job = TranscriptImport(interview=interview, file_name="ruth.txt", created_by=lead)
    job.file.save("upload.txt", ContentFile(TEXT), save=False)
    job.save()
    now = timezone.now()
    started = now - (silent_for or timedelta(0)) - timedelta(seconds=5)
    TranscriptImport.objects.filter(pk=job.pk).update(
        status="running",
        stage="reading",
        started_at=started,
        heartbeat_at=(now - silent_for if silent_for else now) if heartbeat else None,
    )
    return TranscriptImport.objects.get(pk=job.pk)


def test_a_job_whose_heartbeat_stopped_is_failed_and_a_beating_one_is_left_alone(interview):
    record, lead = interview
    stopped = _running_import(record, lead, silent_for=LONG_AGO)
    never_beat = _running_import(record, lead, silent_for=LONG_AGO, heartbeat=False)
    alive = _running_import(record, lead, silent_for=timedelta(seconds=20))

    assert jobs.fail_stopped_jobs() == 2

    for job in (stopped, never_beat):
        job.refresh_from_db()
        assert job.status == "failed" and job.finished_at is not None
        assert job.error.startswith("The worker stopped while this job was running (last seen ")
        assert job.error.endswith("Nothing was kept: retry it.")
        assert job.file  # kept for Retry
    alive.refresh_from_db()
    assert alive.status == "running"
    assert jobs.fail_stopped_jobs() == 0


def test_builds_and_project_imports_are_watched_the_same_way(interview):
    record, lead = interview
    long_ago = timezone.now() - LONG_AGO
    job = ImportJob.objects.create(project=record.project, kind="project", file_name="p.qdpx", created_by=lead)
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=long_ago, heartbeat_at=long_ago)
    build = PaperBuild.objects.create(paper=f.make_working_paper(record.project), format="pdf", created_by=lead)
    PaperBuild.objects.filter(pk=build.pk).update(status="running", started_at=long_ago, heartbeat_at=long_ago)

    assert jobs.fail_stopped_jobs() == 2

    assert ImportJob.objects.get(pk=job.pk).error.startswith("The worker stopped while this job was running")
    build.refresh_from_db()
    assert build.status == "failed" and build.error.startswith("The worker stopped while this job was running")


def test_a_running_job_keeps_beating_while_its_process_runs_it(interview):
    record, lead = interview
    job = TranscriptImport.objects.create(interview=record, file_name="ruth.txt", created_by=lead)
    assert jobs.claim(TranscriptImport, job.pk, stage="reading")
    TranscriptImport.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    assert jobs.beat() == 1
    assert timezone.now() - TranscriptImport.objects.get(pk=job.pk).heartbeat_at < timedelta(seconds=5)
    assert jobs.fail_stopped_jobs() == 0
    jobs.release(TranscriptImport, job.pk)
    assert jobs.beat() == 0


def test_the_page_of_a_stopped_import_offers_retry_and_the_retry_imports_the_kept_file(
    client, interview, tmp_path, django_capture_on_commit_callbacks
):
    record, lead = interview
    job = _running_import(record, lead, silent_for=LONG_AGO)
    jobs.fail_stopped_jobs()
    client.force_login(lead)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "was not imported" in page and "The worker stopped while this job was running" in page
    assert ">Retry</button>" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(job.get_absolute_url())
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "succeeded" and not job.file
    record.refresh_from_db()
    assert record.transcript == TEXT.decode()


def test_retry_is_refused_for_others_and_when_the_file_is_gone(client, interview):
    record, lead = interview
    job = _running_import(record, lead, silent_for=LONG_AGO)
    jobs.fail_stopped_jobs()
    researcher = f.make_researcher(record.project, record.case_study)
    client.force_login(researcher)
    assert client.post(job.get_absolute_url()).status_code in {403, 404}
    assert TranscriptImport.objects.get(pk=job.pk).status == "failed"

    jobs.discard_file(TranscriptImport, job.pk)
    client.force_login(lead)
    page = client.post(job.get_absolute_url(), follow=True).content.decode()
    assert "Only a failed import whose file is still kept can be retried: upload the file again." in page
    assert ">Retry</button>" not in page
    assert TranscriptImport.objects.get(pk=job.pk).status == "failed"


def test_the_worker_beats_fails_stopped_jobs_and_prunes_old_results_when_it_starts(
    interview, settings, transactional_db
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    record, lead = interview
    stopped = _running_import(record, lead, silent_for=LONG_AGO)
    old = timezone.now() - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS + 1)
    kept_upload = _running_import(record, lead, silent_for=LONG_AGO)
    TranscriptImport.objects.filter(pk=kept_upload.pk).update(status="failed", error="x", finished_at=old)
    DBTaskResult.objects.create(
        status="SUCCESSFUL",
        task_path="casestudies.tasks.import_transcript_file",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=old,
        finished_at=old,
        queue_name="default",
        exception_class_path="",
        traceback="",
    )

    call_command("worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())

    assert WorkerHeartbeat.objects.count() == 1
    assert TranscriptImport.objects.get(pk=stopped.pk).status == "failed"
    assert not DBTaskResult.objects.filter(finished_at=old).exists()
    assert not TranscriptImport.objects.get(pk=kept_upload.pk).file


def test_healthz_reads_the_heartbeat_and_never_the_task_results(client, settings, transactional_db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with CaptureQueriesContext(connection) as queries:
        missing = client.get(reverse("healthz"))
    assert missing.status_code == 503
    assert not any("dbtaskresult" in query["sql"].lower() for query in queries.captured_queries)
    call_command("worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())
    assert client.get(reverse("healthz")).status_code == 200
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(seconds=settings.HEALTH_WORKER_SECONDS + 1))
    assert client.get(reverse("healthz")).status_code == 503
