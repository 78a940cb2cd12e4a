"""Imports that leave the request: each upload is kept with an ImportJob and imported by a background task.

The immediate task backend (the default) runs the import as soon as the job is committed, inside the request;
with `TASKS_BACKEND=django_tasks_db.DatabaseBackend` a `manage.py db_worker` process picks it up and the job's
page follows its stages. The task checks again that the user may import into the project, and the uploaded
file is deleted once the import has run, whatever the outcome.
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

from casestudies.models import ResearchProject
from disclosure import access

from .importing import import_codebook, import_project
from .models import ImportJob
from .report import ImportReport

logger = logging.getLogger(__name__)

_EXTENSIONS = {ImportJob.Kind.PROJECT: ".qdpx", ImportJob.Kind.CODEBOOK: ".qdc"}


@transaction.atomic
def request_import(
    *, project: ResearchProject, kind: str, upload: File, file_name: str, requested_by: AbstractBaseUser
) -> ImportJob:
    """Keep the uploaded file with a queued job, and queue its import once the job is committed."""
    if kind not in ImportJob.Kind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(ImportJob.Kind.values)}."})
    if not access.can_manage_project(requested_by, project):
        raise ValidationError("Only the project's leads and admins can import into the project.")
    job = ImportJob(
        project=project, kind=kind, file_name=posixpath.basename(file_name.replace("\\", "/"))[-255:] or "upload"
    )
    job.created_by = requested_by
    # The stored name is ours, not the uploader's: the original name is kept in file_name for the report.
    job.file.save(f"{uuid.uuid4().hex}{_EXTENSIONS[kind]}", upload, save=False)
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    try:
        from . import tasks  # the task is bound to the configured backend when first imported

        result = tasks.run_import.enqueue(job_id)
    except Exception as error:
        logger.exception("Could not queue import %s", job_id)
        _fail(job_id, f"Could not queue the import: {type(error).__name__}: {error}. Nothing was imported.")
        _discard_file(job_id)
        return
    ImportJob.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def run_import(*, job_id: int) -> ImportJob | None:
    """The body of the background task: claim the job, import its file, keep the report or the reason.

    A refusal (a ValidationError: a file that cannot be read, a rule broken) is the job's error, shown to the
    user; anything else is logged with its traceback, recorded as a failure and raised again for the backend.
    Either way the import's own transaction has left nothing half-written.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, stage=ImportJob.Stage.READING, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("Import %s is not waiting to run; nothing to do.", job_id)
        return None
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    try:
        _import(job)
    finally:
        _discard_file(job_id)
    return _reloaded(job_id)


def _import(job: ImportJob) -> None:
    user = job.created_by
    if user is None or not user.is_active or not access.can_manage_project(user, job.project):
        _fail(job.pk, "You can no longer import into this project, so the file was not imported.")
        return
    importer = import_project if job.kind == ImportJob.Kind.PROJECT else import_codebook
    try:
        with job.file.open("rb") as upload:
            report = importer(
                project=job.project,
                upload=upload,
                file_name=job.file_name,
                imported_by=user,
                on_stage=lambda stage: ImportJob.objects.filter(pk=job.pk).update(stage=stage),
            )
    except ValidationError as error:
        _fail(job.pk, f"{' '.join(error.messages)} Nothing was imported.")
    except FileNotFoundError:
        _fail(job.pk, "The uploaded file is no longer in the media storage; upload it again. Nothing was imported.")
    except Exception as error:
        logger.exception("Import %s of %r failed", job.pk, job.file_name)
        _fail(job.pk, f"The import failed ({type(error).__name__}: {error}). Nothing was imported.")
        raise
    else:
        _finish(job.pk, report)


def _reloaded(job_id: int) -> ImportJob:
    return ImportJob.objects.select_related("project", "created_by").get(pk=job_id)


@transaction.atomic
def _finish(job_id: int, report: ImportReport) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.SUCCEEDED,
        stage=ImportJob.Stage.DONE,
        report=report.to_dict(),
        finished_at=timezone.now(),
    )


@transaction.atomic
def _fail(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.FAILED, error=message[:4000], finished_at=timezone.now()
    )


def _discard_file(job_id: int) -> None:
    """The upload is needed only by its import: transcripts and coding are not kept twice."""
    name = ImportJob.objects.filter(pk=job_id).values_list("file", flat=True).first()
    if name:
        ImportJob._meta.get_field("file").storage.delete(name)
        ImportJob.objects.filter(pk=job_id).update(file="")
