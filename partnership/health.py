"""`/healthz`: whether this app server can reach the database and whether a task worker has been seen lately,
for a load balancer or a monitor. It needs no login and says nothing about the records.

Each worker (`manage.py worker`) writes its heartbeat every 30 seconds into a table of one row a worker; the check
reads the newest, by an index, and never scans the task results.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
# A worker whose heartbeat is older than this is reported missing.
WORKER_SEEN_WITHIN = datetime.timedelta(seconds=settings.HEALTH_WORKER_SECONDS)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        worker = _worker_state()
    except DatabaseError as error:
        return JsonResponse({"database": f"unreachable: {type(error).__name__}"}, status=503)
    return JsonResponse({"database": "ok", "worker": worker}, status=200 if worker["ok"] else 503)


def _worker_state() -> dict:
    if settings.TASKS["default"]["BACKEND"] != DATABASE_BACKEND:
        return {"ok": True, "backend": "tasks run inside the request"}
    from casestudies.models import WorkerHeartbeat

    last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    ok = last is not None and timezone.now() - last <= WORKER_SEEN_WITHIN
    return {"ok": ok, "last_seen": last.isoformat() if last else None}
