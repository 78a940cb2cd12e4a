"""An import that runs in the background: the uploaded file, what the import is doing, and its report."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from casestudies.models import ResearchProject


class ImportJob(models.Model):
    """One REFI-QDA import: queued with its file, run by a task, kept with its report or its error."""

    class Kind(models.TextChoices):
        PROJECT = "project", "REFI-QDA project (.qdpx)"
        CODEBOOK = "codebook", "REFI-QDA codebook (.qdc)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Failed"

    class Stage(models.TextChoices):
        WAITING = "waiting", "Waiting for a worker"
        READING = "reading", "Reading the file"
        WRITING = "writing", "Writing the records"
        DONE = "done", "Done"

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(
        upload_to="imports/%Y/%m/", blank=True, help_text="The uploaded file, kept only until the import has run."
    )
    file_name = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.WAITING)
    report = models.JSONField(default=dict, blank=True, help_text="What the import did (exchange.report).")
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker running it (casestudies.background)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="exchange_importjob_failure_has_an_error"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("exchange:job", args=[self.project.slug, self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def progress_percent(self) -> int:
        return {self.Stage.WAITING: 5, self.Stage.READING: 30, self.Stage.WRITING: 70, self.Stage.DONE: 100}[self.stage]

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None
