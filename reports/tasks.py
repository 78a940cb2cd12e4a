"""Background work: building a working paper. The immediate backend runs it in the request; in production
`TASKS_BACKEND=django_tasks_db.DatabaseBackend` queues it for `manage.py worker`."""

from __future__ import annotations

from django.tasks import task

from . import services


@task()
def build_working_paper(build_id: int) -> dict:
    build = services.run_build(build_id=build_id)
    if build is None:
        return {"build": build_id, "ran": False}
    return {"build": build_id, "ran": True, "status": build.status, "pages": build.page_count}
