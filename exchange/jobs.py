"""Imports that leave the request: each upload is kept with an ImportJob and imported by a background task.

The immediate task backend (the default) runs the import as soon as the job is committed, inside the request;
with `TASKS_BACKEND=django_tasks_db.DatabaseBackend` a `manage.py worker` process picks it up and the job's
page follows its stages. The task checks again that the user may import into the project, and the uploaded
file is deleted once the import has run, whatever the outcome.
"""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction

from casestudies.models import ResearchProject
from disclosure import access
from partnership import jobs

from .importing import import_codebook, import_project
from .models import ImportJob

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
    job = ImportJob(project=project, kind=kind, file_name=jobs.uploaded_name(file_name))
    job.created_by = requested_by
    # The stored name is ours, not the uploader's: the original name is kept in file_name for the report.
    job.file.save(f"{uuid.uuid4().hex}{_EXTENSIONS[kind]}", upload, save=False)
    job.full_clean()
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


@transaction.atomic
def retry_import(*, job: ImportJob) -> None:
    """A failed import whose file is still kept (its worker stopped) is queued again; the task checks again that its
    uploader may import into the project."""
    if not jobs.retry(ImportJob, job.pk):
        raise ValidationError("Only a failed import whose file is still kept can be retried: upload the file again.")
    transaction.on_commit(lambda: _enqueue(job.pk))


def _enqueue(job_id: int) -> None:
    from . import tasks  # the task is bound to the configured backend when first imported

    jobs.enqueue(ImportJob, job_id, queue=tasks.run_import.enqueue, what="import")


def run_import(*, job_id: int) -> ImportJob | None:
    """The body of the background task: claim the job, import its file, keep the report or the reason.

    A refusal (a ValidationError: a file that cannot be read, a rule broken) is the job's error, shown to the
    user; anything else is logged with its traceback, recorded as a failure and raised again for the backend.
    Either way the import's own transaction has left nothing half-written.
    """
    return jobs.run(ImportJob, job_id, stage=ImportJob.Stage.READING, work=_import)


def _import(job_id: int) -> None:
    job = ImportJob.objects.select_related("project", "created_by").get(pk=job_id)
    user = job.created_by
    if user is None or not user.is_active or not access.can_manage_project(user, job.project):
        jobs.fail(ImportJob, job.pk, "You can no longer import into this project, so the file was not imported.")
        return
    importer = import_project if job.kind == ImportJob.Kind.PROJECT else import_codebook
    report = jobs.read_upload(
        job,
        lambda upload: importer(
            project=job.project,
            upload=upload,
            file_name=job.file_name,
            imported_by=user,
            on_stage=lambda stage: jobs.set_stage(ImportJob, job.pk, stage),
        ),
    )
    if report is not None:
        jobs.succeed(ImportJob, job.pk, report=report.to_dict())
