"""The three kinds of background job share one record (`partnership.jobs.BackgroundJob`), one runner and one
progress display; moving them onto it kept every row."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from casestudies.models import TranscriptImport
from exchange.models import ImportJob
from partnership import jobs
from reports.models import PaperBuild
from tests import factories as f


def test_every_kind_of_job_is_a_background_job_with_one_lifecycle():
    assert {model.__name__ for model in jobs.job_models()} == {"TranscriptImport", "ImportJob", "PaperBuild"}
    assert {model.__name__ for model in jobs.job_models(uploads_only=True)} == {"TranscriptImport", "ImportJob"}
    for model in jobs.job_models():
        assert model.Status is jobs.BackgroundJob.Status
        assert {model.Stage.WAITING, model.Stage.DONE} <= set(model.Stage.values)
        assert set(model.STAGE_PROGRESS) == set(model.Stage.values)
        names = {constraint.name for constraint in model._meta.constraints}
        assert f"{model._meta.app_label}_{model._meta.model_name}_failure_has_an_error" in names
        assert model._meta.get_field("created_at").default is timezone.now


def test_a_job_reads_as_its_kind_says(db):
    build = PaperBuild(status="succeeded", stage="done")
    job = ImportJob(status="succeeded", stage="done")
    assert (build.status_label, job.status_label) == ("Ready", "Imported")
    assert PaperBuild(status="running", stage="rendering").progress_percent == 60
    started = timezone.now()
    assert ImportJob(started_at=started, finished_at=started + datetime.timedelta(seconds=3)).duration.seconds == 3


@pytest.fixture
def queued_jobs(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    project = f.make_project(slug="jobs")
    lead = f.make_lead(project)
    interview = f.make_interview(f.make_case_study(project), transcript="")
    paper = f.make_working_paper(project)
    return {
        "lead": lead,
        "urls": {
            "transcript": TranscriptImport.objects.create(
                interview=interview, file_name="long.docx", created_by=lead
            ).get_absolute_url(),
            "import": ImportJob.objects.create(
                project=project, kind="project", file_name="study.qdpx", created_by=lead
            ).get_absolute_url(),
            "build": (
                PaperBuild.objects.create(paper=paper, format="pdf", created_by=lead)
                and reverse("reports:paper", args=[paper.pk])
            ),
        },
    }


def test_every_page_that_follows_a_job_polls_and_shows_progress_the_same_way(client, queued_jobs):
    client.force_login(queued_jobs["lead"])
    for kind, url in queued_jobs["urls"].items():
        page = client.get(url).content.decode()
        assert 'hx-trigger="every 1s" hx-swap="outerHTML"' in page, kind
        assert '<span class="status">Queued: Waiting for a worker…</span>' in page, kind
        assert '<progress max="100" value="5" aria-label="' in page, kind


@pytest.mark.django_db(transaction=True)
def test_moving_the_jobs_onto_one_model_keeps_every_row():
    before = [
        ("casestudies", "0010_workerheartbeat_transcriptimport_heartbeat_at"),
        ("exchange", "0002_importjob_heartbeat_at"),
        ("reports", "0006_paperbuild_heartbeat_at"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    project = old.get_model("casestudies", "ResearchProject").objects.create(title="Old", slug="old")
    interview = old.get_model("casestudies", "Interview").objects.create(project=project, title="Old", phase="scoping")
    paper = old.get_model("reports", "WorkingPaper").objects.create(project=project, title="Old paper")
    when = timezone.now() - datetime.timedelta(days=3)
    old.get_model("casestudies", "TranscriptImport").objects.create(
        interview=interview, file_name="a.docx", status="failed", error="Refused.", stage="done"
    )
    old.get_model("exchange", "ImportJob").objects.create(
        project=project, kind="project", file_name="b.qdpx", status="succeeded", stage="done", created_at=when
    )
    old.get_model("reports", "PaperBuild").objects.create(
        paper=paper, format="pdf", status="succeeded", stage="done", file="x.pdf", page_count=12, created_at=when
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert TranscriptImport.objects.get().error == "Refused."
    assert ImportJob.objects.get().created_at == when
    build = PaperBuild.objects.get()
    assert (build.status_label, build.page_count, build.file.name, build.created_at) == ("Ready", 12, "x.pdf", when)
