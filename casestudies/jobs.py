"""Large transcript files leave the request: each is kept with a TranscriptImport and read by a background task.

The immediate task backend (the default) reads it as soon as the job is committed, inside the request; with
`TASKS_BACKEND=django_tasks_db.DatabaseBackend` a `manage.py db_worker` process picks it up and the job's page
follows it. The task checks again that the user may change the interview, and the uploaded file is deleted
once it has been read, whatever the outcome.
"""

from __future__ import annotations

import logging
import posixpath
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from disclosure import access

from . import services
from .importers import describe_transcript
from .models import Interview, TranscriptImport

logger = logging.getLogger(__name__)


@transaction.atomic
def request_transcript_import(
    *, interview: Interview, upload: File, file_name: str, requested_by: AbstractBaseUser, replace: bool = False
) -> TranscriptImport:
    """Keep the uploaded file with a queued job, and queue its import once the job is committed."""
    if not access.can_edit_interview(requested_by, interview):
        raise ValidationError("Only the case study's lead, the project's leads and admins can change this interview.")
    name = posixpath.basename(file_name.replace("\\", "/"))[-255:] or "upload"
    job = TranscriptImport(interview=interview, file_name=name, replace=replace, created_by=requested_by)
    # The stored name is ours, not the uploader's; the extension stays, since it says how to read the file.
    job.file.save(f"{uuid.uuid4().hex}{posixpath.splitext(name)[1][:10].lower()}", upload, save=False)
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    try:
        from . import tasks  # the task is bound to the configured backend when first imported

        result = tasks.import_transcript_file.enqueue(job_id)
    except Exception as error:
        logger.exception("Could not queue transcript import %s", job_id)
        _fail(job_id, f"Could not queue the import: {type(error).__name__}: {error}. Nothing was imported.")
        _discard_file(job_id)
        return
    TranscriptImport.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def run_transcript_import(*, job_id: int) -> TranscriptImport | None:
    """The body of the background task: claim the job, read its file, keep what it found or why it was refused."""
    claimed = TranscriptImport.objects.filter(pk=job_id, status=TranscriptImport.Status.QUEUED).update(
        status=TranscriptImport.Status.RUNNING, stage=TranscriptImport.Stage.READING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("Transcript import %s is not waiting to run; nothing to do.", job_id)
        return None
    job = TranscriptImport.objects.select_related("interview__project", "interview__case_study", "created_by").get(
        pk=job_id
    )
    try:
        _import(job)
    finally:
        _discard_file(job_id)
    return TranscriptImport.objects.get(pk=job_id)


def _import(job: TranscriptImport) -> None:
    user, interview = job.created_by, job.interview
    if user is None or not user.is_active or not access.can_edit_interview(user, interview):
        _fail(job.pk, "You can no longer change this interview, so the file was not imported.")
        return
    try:
        with job.file.open("rb") as upload:
            data = upload.read()
        services.import_transcript(
            interview=interview, name=job.file_name, data=data, imported_by=user, replace=job.replace
        )
    except ValidationError as error:
        _fail(job.pk, f"{' '.join(error.messages)} Nothing was imported.")
    except FileNotFoundError:
        _fail(job.pk, "The uploaded file is no longer in the media storage; upload it again. Nothing was imported.")
    except Exception as error:
        logger.exception("Transcript import %s of %r failed", job.pk, job.file_name)
        _fail(job.pk, f"The import failed ({type(error).__name__}: {error}). Nothing was imported.")
        raise
    else:
        interview.refresh_from_db(fields=["transcript"])
        TranscriptImport.objects.filter(pk=job.pk).update(
            status=TranscriptImport.Status.SUCCEEDED,
            stage=TranscriptImport.Stage.DONE,
            summary=describe_transcript(interview.transcript),
            finished_at=timezone.now(),
        )


def _fail(job_id: int, message: str) -> None:
    TranscriptImport.objects.filter(pk=job_id).update(
        status=TranscriptImport.Status.FAILED, error=message[:4000], finished_at=timezone.now()
    )


def _discard_file(job_id: int) -> None:
    """The upload is needed only until it has been read: the transcript is not kept twice."""
    name = TranscriptImport.objects.filter(pk=job_id).values_list("file", flat=True).first()
    if name:
        TranscriptImport._meta.get_field("file").storage.delete(name)
