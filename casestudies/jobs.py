"""Large transcript files leave the request: each is kept with a TranscriptImport and read by a background task.

The immediate task backend (the default) reads it as soon as the job is committed, inside the request; with
`TASKS_BACKEND=django_tasks_db.DatabaseBackend` a `manage.py worker` process picks it up and the job's page
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

from disclosure import access
from partnership import jobs

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
    name = jobs.uploaded_name(file_name)
    job = TranscriptImport(interview=interview, file_name=name, replace=replace, created_by=requested_by)
    # The stored name is ours, not the uploader's; the extension stays, since it says how to read the file.
    job.file.save(f"{uuid.uuid4().hex}{posixpath.splitext(name)[1][:10].lower()}", upload, save=False)
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


@transaction.atomic
def retry_transcript_import(*, job: TranscriptImport, requested_by: AbstractBaseUser) -> None:
    """A failed import whose file is still kept (its worker stopped) is queued again."""
    if not access.can_edit_interview(requested_by, job.interview):
        raise ValidationError("Only the case study's lead, the project's leads and admins can change this interview.")
    if not jobs.retry(TranscriptImport, job.pk):
        raise ValidationError("Only a failed import whose file is still kept can be retried: upload the file again.")
    transaction.on_commit(lambda: _enqueue(job.pk))


def _enqueue(job_id: int) -> None:
    from . import tasks  # the task is bound to the configured backend when first imported

    jobs.enqueue(TranscriptImport, job_id, queue=tasks.import_transcript_file.enqueue, what="import")


def run_transcript_import(*, job_id: int) -> TranscriptImport | None:
    """The body of the background task: claim the job, read its file, keep what it found or why it was refused."""
    return jobs.run(TranscriptImport, job_id, stage=TranscriptImport.Stage.READING, work=_import)


def _import(job_id: int) -> None:
    job = TranscriptImport.objects.select_related("interview__project", "interview__case_study", "created_by").get(
        pk=job_id
    )
    user, interview = job.created_by, job.interview
    if user is None or not user.is_active or not access.can_edit_interview(user, interview):
        jobs.fail(TranscriptImport, job.pk, "You can no longer change this interview, so the file was not imported.")
        return
    imported = jobs.read_upload(
        job,
        lambda upload: services.import_transcript(
            interview=interview, name=job.file_name, data=upload.read(), imported_by=user, replace=job.replace
        ),
    )
    if imported is not None:
        interview.refresh_from_db(fields=["transcript"])
        jobs.succeed(TranscriptImport, job.pk, summary=describe_transcript(interview.transcript))
