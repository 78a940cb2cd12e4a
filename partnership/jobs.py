"""Work done in the background, in one shape: `BackgroundJob`, the abstract record of one job (the transcript
imports, the REFI-QDA imports and the paper builds are its kinds), and the one runner every kind goes through:
keep an upload under a name of ours, queue the job's task once the job is committed, claim it exactly once, show
its stage, record its success or its failure, delete an upload once it has been read, and notice a worker that
stopped.

A worker (`manage.py worker`) writes a heartbeat on the jobs it is running every HEARTBEAT_SECONDS. A running job
whose heartbeat is older than STOPPED_AFTER lost its worker (killed, out of memory, the machine restarted): the
worker's housekeeping marks it failed, "the worker stopped", and its page offers Retry.
"""

from __future__ import annotations

import datetime
import logging
import posixpath
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import ClassVar

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 30
STOPPED_AFTER = timedelta(seconds=4 * HEARTBEAT_SECONDS)
# The jobs this process is running, which its heartbeat keeps alive.
_running: set[tuple[type[models.Model], int]] = set()
_running_lock = threading.Lock()


class BackgroundJob(models.Model):
    """One job run in the background: its status, its stage (each kind has its own `Stage` choices, from WAITING
    to DONE, and `STAGE_PROGRESS` for its progress bar), its error, its task and its times."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    # What a finished job of this kind is called ("Imported", "Ready").
    SUCCEEDED_LABEL: ClassVar[str] = "Done"
    # Whether `file` is an upload, kept until it has been read (and for Retry after a worker stopped).
    KEEPS_UPLOAD: ClassVar[bool] = False
    # What a failure adds when nothing was written.
    NOTHING_DONE: ClassVar[str] = ""
    STAGE_PROGRESS: ClassVar[dict[str, int]] = {"waiting": 5, "done": 100}

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=20, default="waiting")
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker running it (partnership.jobs)."
    )

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="%(app_label)s_%(class)s_failure_has_an_error"
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def status_label(self) -> str:
        return self.SUCCEEDED_LABEL if self.status == self.Status.SUCCEEDED else self.get_status_display()

    @property
    def progress_percent(self) -> int:
        return self.STAGE_PROGRESS.get(self.stage, 5)

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


def job_models(*, uploads_only: bool = False) -> list[type[BackgroundJob]]:
    """Every kind of job (or those whose file is an upload)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, BackgroundJob) and (model.KEEPS_UPLOAD or not uploads_only)
    ]


def uploaded_name(file_name: str) -> str:
    """The file's own name without any folder a browser sent, as the job shows it (the stored name is ours)."""
    return posixpath.basename(file_name.replace("\\", "/"))[-255:] or "upload"


def enqueue(model: type[BackgroundJob], job_id: int, *, queue: Callable[[int], object], what: str) -> None:
    """Queue the job's task; if it cannot be queued, the job fails with the reason and its upload is dropped."""
    try:
        result = queue(job_id)
    except Exception as error:
        logger.exception("Could not queue the %s of %s %s", what, model.__name__, job_id)
        fail(model, job_id, f"Could not queue the {what}: {type(error).__name__}: {error}. {model.NOTHING_DONE}")
        discard_file(model, job_id)
        return
    # The immediate backend has run the job by now; a queued one is picked up by `manage.py worker`.
    model.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def run[J: BackgroundJob](model: type[J], job_id: int, *, stage: str, work: Callable[[int], object]) -> J | None:
    """The body of every job's task: claim the job (None when it is not waiting: already run, or run by another
    worker), do `work(job_id)`, and let go of it whatever happens, dropping an upload once it has been read."""
    if not claim(model, job_id, stage=stage):
        return None
    try:
        work(job_id)
    finally:
        release(model, job_id)
        if model.KEEPS_UPLOAD:
            discard_file(model, job_id)
    return model.objects.get(pk=job_id)


def claim(model: type[BackgroundJob], job_id: int, *, stage: str) -> bool:
    """Mark a queued job as running, and keep its heartbeat while this process runs it (until `release`); False
    when it is not waiting (already run, or run by another worker)."""
    now = timezone.now()
    claimed = model.objects.filter(pk=job_id, status=model.Status.QUEUED).update(
        status=model.Status.RUNNING, stage=stage, started_at=now, heartbeat_at=now
    )
    if not claimed:
        logger.warning("%s %s is not waiting to run; nothing to do.", model.__name__, job_id)
        return False
    with _running_lock:
        _running.add((model, job_id))
    return True


def release(model: type[BackgroundJob], job_id: int) -> None:
    """This process no longer runs the job (it finished, or failed)."""
    with _running_lock:
        _running.discard((model, job_id))


def set_stage(model: type[BackgroundJob], job_id: int, stage: str) -> None:
    """Show what the job is doing now: its page follows it."""
    model.objects.filter(pk=job_id).update(stage=stage)


def succeed(model: type[BackgroundJob], job_id: int, **results) -> None:
    """The job is done, with what it found (`results`: the kind's own fields)."""
    model.objects.filter(pk=job_id).update(
        status=model.Status.SUCCEEDED, stage=model.Stage.DONE, finished_at=timezone.now(), **results
    )


def fail(model: type[BackgroundJob], job_id: int, message: str) -> None:
    model.objects.filter(pk=job_id).update(
        status=model.Status.FAILED, error=message.strip()[:4000], finished_at=timezone.now()
    )


def beat() -> int:
    """The heartbeat of the jobs this process is running; returns how many."""
    with _running_lock:
        running = list(_running)
    now = timezone.now()
    for model in {model for model, _ in running}:
        ids = [job_id for m, job_id in running if m is model]
        model.objects.filter(pk__in=ids, status=model.Status.RUNNING).update(heartbeat_at=now)
    return len(running)


def fail_stopped_jobs(now=None) -> int:
    """Marks failed every running job whose heartbeat stopped more than STOPPED_AFTER ago (or that never had one and
    started before that); returns how many. An upload is kept, so that Retry can read it again."""
    now = now or timezone.now()
    cut = now - STOPPED_AFTER
    stopped = 0
    for model in job_models():
        running = model.objects.filter(status=model.Status.RUNNING)
        silent = running.filter(Q(heartbeat_at__lt=cut) | Q(heartbeat_at__isnull=True, started_at__lt=cut))
        for job_id, heartbeat, started in silent.values_list("pk", "heartbeat_at", "started_at"):
            last = heartbeat or started
            seen = date_format(timezone.localtime(last), "DATETIME_FORMAT") if last else "never"
            message = f"The worker stopped while this job was running (last seen {seen}). Nothing was kept: retry it."
            unchanged = Q(heartbeat_at=heartbeat) if heartbeat else Q(heartbeat_at__isnull=True)
            stopped += running.filter(unchanged, pk=job_id).update(
                status=model.Status.FAILED, error=message, finished_at=now
            )
            logger.warning("%s %s: its worker stopped (last seen %s).", model.__name__, job_id, last)
    return stopped


def housekeeping(worker: str) -> dict[str, int]:
    """What a worker does at start and every HEARTBEAT_SECONDS: its own heartbeat and its jobs', and failing the
    jobs of workers that stopped. Old task results and the files of long-failed jobs are pruned by `prune`."""
    from casestudies.models import WorkerHeartbeat

    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(worker=worker[:200], defaults={"seen_at": now})
    return {"jobs_alive": beat(), "jobs_stopped": fail_stopped_jobs(now)}


def prune(keep_days: int) -> dict[str, int]:
    """Task results finished more than `keep_days` ago, the heartbeats of workers gone as long, and the uploads still
    kept by jobs that failed as long ago (no one retried them)."""
    from django_tasks_db.models import DBTaskResult

    from casestudies.models import WorkerHeartbeat

    cut = timezone.now() - timedelta(days=keep_days)
    results, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cut).delete()
    workers, _ = WorkerHeartbeat.objects.filter(seen_at__lt=cut).delete()
    files = 0
    for model in job_models(uploads_only=True):
        for job_id in (
            model.objects.filter(status=model.Status.FAILED, finished_at__lt=cut)
            .exclude(file="")
            .values_list("pk", flat=True)
        ):
            discard_file(model, job_id)
            files += 1
    return {"task_results": results, "workers": workers, "files": files}


def retry(model: type[models.Model], job_id: int) -> bool:
    """Put a failed upload's job back in the queue while its file is still kept; False when it cannot be. The
    caller queues its task once this is committed."""
    return bool(
        model.objects.filter(pk=job_id, status=model.Status.FAILED)
        .exclude(file="")
        .update(
            status=model.Status.QUEUED,
            stage=model.Stage.WAITING,
            error="",
            started_at=None,
            finished_at=None,
            heartbeat_at=None,
        )
    )


def read_upload[T](job: models.Model, work: Callable[[object], T]) -> T | None:
    """Run `work` on the job's open file. A refusal (ValidationError) or a missing file becomes the job's error
    and gives None; anything else is logged, recorded as a failure and raised again for the task backend. The
    work's own transaction has left nothing half-written either way."""
    model = type(job)
    try:
        with job.file.open("rb") as upload:
            return work(upload)
    except ValidationError as error:
        fail(model, job.pk, f"{' '.join(error.messages)} {model.NOTHING_DONE}")
    except FileNotFoundError:
        fail(
            model, job.pk, "The uploaded file is no longer in the media storage; upload it again. Nothing was imported."
        )
    except Exception as error:
        logger.exception("%s %s of %r failed", model.__name__, job.pk, job.file_name)
        fail(model, job.pk, f"The import failed ({type(error).__name__}: {error}). {model.NOTHING_DONE}")
        raise
    return None


def discard_file(model: type[models.Model], job_id: int) -> None:
    """The upload is needed only until it has been read: nothing is kept twice."""
    name = model.objects.filter(pk=job_id).values_list("file", flat=True).first()
    if name:
        model._meta.get_field("file").storage.delete(name)
        model.objects.filter(pk=job_id).update(file="")
