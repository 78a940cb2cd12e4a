"""Background work: importing a REFI-QDA file. The immediate backend runs it in the request; in production
`TASKS_BACKEND=django_tasks_db.DatabaseBackend` queues it for `manage.py worker`."""

from __future__ import annotations

from django.tasks import task

from . import jobs


@task()
def run_import(job_id: int) -> dict:
    job = jobs.run_import(job_id=job_id)
    if job is None:
        return {"job": job_id, "ran": False}
    return {"job": job_id, "ran": True, "status": job.status}
