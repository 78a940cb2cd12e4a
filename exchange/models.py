"""An import that runs in the background: the uploaded file, what the import is doing, and its report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from casestudies.models import ResearchProject
from partnership.jobs import BackgroundJob


class ImportJob(BackgroundJob):
    """One REFI-QDA import: queued with its file, run by a task, kept with its report or its error."""

    class Kind(models.TextChoices):
        PROJECT = "project", "REFI-QDA project (.qdpx)"
        CODEBOOK = "codebook", "REFI-QDA codebook (.qdc)"

    class Stage(models.TextChoices):
        WAITING = "waiting", "Waiting for a worker"
        READING = "reading", "Reading the file"
        WRITING = "writing", "Writing the records"
        DONE = "done", "Done"

    SUCCEEDED_LABEL = "Imported"
    KEEPS_UPLOAD = True
    NOTHING_DONE = "Nothing was imported."
    STAGE_PROGRESS = {Stage.WAITING: 5, Stage.READING: 30, Stage.WRITING: 70, Stage.DONE: 100}

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="import_jobs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(
        upload_to="imports/%Y/%m/", blank=True, help_text="The uploaded file, kept only until the import has run."
    )
    file_name = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.WAITING)
    report = models.JSONField(default=dict, blank=True, help_text="What the import did (exchange.report).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status_label})"

    def get_absolute_url(self) -> str:
        return reverse("exchange:job", args=[self.project.slug, self.pk])
