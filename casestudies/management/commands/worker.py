"""`manage.py worker`: django-tasks-db's `db_worker`, with the housekeeping the jobs need.

At start and then every HEARTBEAT_SECONDS (in a thread beside the task loop) it writes this worker's heartbeat
(read by `/healthz`) and the heartbeat of the jobs it is running, and marks failed the jobs whose worker stopped
(`partnership.jobs`). At start and every hour it prunes task results, worker heartbeats and kept uploads older
than TASK_RESULTS_KEEP_DAYS.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands import db_worker

from partnership import jobs

logger = logging.getLogger(__name__)
PRUNE_EVERY_SECONDS = 3600


def _round(name: str, prune: bool) -> None:
    try:
        done = jobs.housekeeping(name)
        if prune:
            done |= jobs.prune(settings.TASK_RESULTS_KEEP_DAYS)
        if done.get("jobs_stopped") or any(done.get(key) for key in ("task_results", "workers", "files")):
            logger.info("Housekeeping: %s", done)
    except Exception:
        logger.exception("Worker housekeeping failed; trying again in %s s.", jobs.HEARTBEAT_SECONDS)


def _keep_house(name: str, stop: threading.Event) -> None:
    last_prune = time.monotonic()
    while not stop.wait(jobs.HEARTBEAT_SECONDS):
        prune = time.monotonic() - last_prune >= PRUNE_EVERY_SECONDS
        if prune:
            last_prune = time.monotonic()
        close_old_connections()
        _round(name, prune)
    connection.close()


class Command(db_worker.Command):
    help = (
        "Run the background tasks (paper builds, imports), with a heartbeat for /healthz and the running jobs, "
        "failing the jobs of workers that stopped and pruning old task results."
    )

    def handle(self, *args, worker_id: str, **options) -> None:
        name = f"{socket.gethostname()}:{os.getpid()}:{worker_id}"
        _round(name, prune=True)
        stop = threading.Event()
        keeper = threading.Thread(target=_keep_house, args=(name, stop), name="worker-housekeeping", daemon=True)
        keeper.start()
        try:
            super().handle(*args, worker_id=worker_id, **options)
        finally:
            stop.set()
