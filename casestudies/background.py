"""What every upload that is worked on in the background shares: keeping the file under a name of ours,
queueing its task once the job is committed, claiming the job exactly once, recording a failure, and deleting
the file once it has been read. The transcript imports here and the REFI-QDA imports in `exchange` use it.

A job model has `status` and `stage` choices with QUEUED, RUNNING and FAILED, `file`, `error`, `task_id`,
`started_at` and `finished_at`.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

logger = logging.getLogger(__name__)
NOTHING = "Nothing was imported."


def uploaded_name(file_name: str) -> str:
    """The file's own name without any folder a browser sent, as the job shows it (the stored name is ours)."""
    return posixpath.basename(file_name.replace("\\", "/"))[-255:] or "upload"


def enqueue(model: type[models.Model], job_id: int, *, queue: Callable[[int], object], what: str) -> None:
    """Queue the job's task; if it cannot be queued, the job fails with the reason and its file is dropped."""
    try:
        result = queue(job_id)
    except Exception as error:
        logger.exception("Could not queue %s %s", what, job_id)
        fail(model, job_id, f"Could not queue the {what}: {type(error).__name__}: {error}. {NOTHING}")
        discard_file(model, job_id)
        return
    model.objects.filter(pk=job_id).update(task_id=str(result.id)[:64])


def claim(model: type[models.Model], job_id: int, *, stage: str) -> bool:
    """Mark a queued job as running; False when it is not waiting (already run, or run by another worker)."""
    claimed = model.objects.filter(pk=job_id, status=model.Status.QUEUED).update(
        status=model.Status.RUNNING, stage=stage, started_at=timezone.now()
    )
    if not claimed:
        logger.warning("%s %s is not waiting to run; nothing to do.", model.__name__, job_id)
    return bool(claimed)


def read_upload[T](job: models.Model, work: Callable[[object], T]) -> T | None:
    """Run `work` on the job's open file. A refusal (ValidationError) or a missing file becomes the job's error
    and gives None; anything else is logged, recorded as a failure and raised again for the task backend. The
    work's own transaction has left nothing half-written either way."""
    model = type(job)
    try:
        with job.file.open("rb") as upload:
            return work(upload)
    except ValidationError as error:
        fail(model, job.pk, f"{' '.join(error.messages)} {NOTHING}")
    except FileNotFoundError:
        fail(
            model, job.pk, "The uploaded file is no longer in the media storage; upload it again. Nothing was imported."
        )
    except Exception as error:
        logger.exception("%s %s of %r failed", model.__name__, job.pk, job.file_name)
        fail(model, job.pk, f"The import failed ({type(error).__name__}: {error}). {NOTHING}")
        raise
    return None


def fail(model: type[models.Model], job_id: int, message: str) -> None:
    model.objects.filter(pk=job_id).update(status=model.Status.FAILED, error=message[:4000], finished_at=timezone.now())


def discard_file(model: type[models.Model], job_id: int) -> None:
    """The upload is needed only until it has been read: nothing is kept twice."""
    name = model.objects.filter(pk=job_id).values_list("file", flat=True).first()
    if name:
        model._meta.get_field("file").storage.delete(name)
        model.objects.filter(pk=job_id).update(file="")
