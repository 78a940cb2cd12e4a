"""What the history of records cannot say by itself: what a code merge moved, and when a reader last looked."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casestudies.models import ResearchProject


class CodeMerge(models.Model):
    """One merge of a code into another, with exactly what it moved, so that it can be undone.

    The source code itself is gone after the merge; its last state stays in the code's history
    (`source_id` names it there).
    """

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="code_merges")
    source_id = models.PositiveIntegerField(help_text="The merged (deleted) code's id, as its history knows it.")
    source_name = models.CharField(max_length=200)
    target = models.ForeignKey("coding.Code", null=True, on_delete=models.SET_NULL, related_name="merges_received")
    target_name = models.CharField(max_length=200)
    moved_excerpt_ids = models.JSONField(default=list, help_text="Excerpts whose link moved from source to target.")
    shared_excerpt_ids = models.JSONField(
        default=list, help_text="Excerpts that already had the target: their source link was dropped."
    )
    moved_child_ids = models.JSONField(default=list)
    moved_memo_ids = models.JSONField(default=list)
    added_question_ids = models.JSONField(default=list, help_text="Question links the target gained.")
    source_question_ids = models.JSONField(default=list, help_text="The source's own question links.")
    target_definition_before = models.TextField(blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="code_merges"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.source_name} into {self.target_name}"


class ActivityVisit(models.Model):
    """When a reader last opened a project's Activity page: "what changed since I last looked"."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="activity_visits")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_visits")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="history_activityvisit_one_per_reader"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.project} at {self.seen_at:%Y-%m-%d %H:%M}"
