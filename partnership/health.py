"""`/healthz`: whether this app server can reach the database and whether a task worker has been seen lately,
for a load balancer or a monitor. It needs no login and says nothing about the records.

The database task backend keeps no worker heartbeat of its own, so the check keeps one: when no task has
finished for a while and no heartbeat is waiting, it queues a tiny heartbeat task, and the next check sees
whether a worker ran it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.tasks import task
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
# A worker that has run nothing for this long is reported missing (a heartbeat is queued at half of it).
WORKER_SEEN_WITHIN = datetime.timedelta(seconds=settings.HEALTH_WORKER_SECONDS)


@task()
def heartbeat() -> str:
    """Nothing but proof that a worker is taking tasks."""
    return "alive"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return JsonResponse({"database": f"unreachable: {type(error).__name__}"}, status=503)
    worker = _worker_state()
    healthy = worker["ok"]
    return JsonResponse({"database": "ok", "worker": worker}, status=200 if healthy else 503)


def _worker_state() -> dict:
    if settings.TASKS["default"]["BACKEND"] != DATABASE_BACKEND:
        return {"ok": True, "backend": "tasks run inside the request"}
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    seen = DBTaskResult.objects.exclude(finished_at=None).order_by("-finished_at").values_list("finished_at", flat=True)
    last = seen.first()
    if last is None or now - last > WORKER_SEEN_WITHIN / 2:
        waiting = DBTaskResult.objects.filter(task_path=f"{__name__}.heartbeat", status="READY").exists()
        if not waiting:
            heartbeat.enqueue()
    ok = last is not None and now - last <= WORKER_SEEN_WITHIN
    return {"ok": ok, "last_task_finished": last.isoformat() if last else None}
