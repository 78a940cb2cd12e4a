"""Suggested coding learnt from the team's own coding: the stored models and the rejected suggestions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from casestudies.models import Interview, ResearchProject
from coding.models import Code


class CodeModel(models.Model):
    """A model trained on the excerpts of one reach: `reach_key` names the set of excerpts and interviews it was
    trained on, so that a coder is only ever served a model built from what they may see."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="code_models")
    reach_key = models.CharField(max_length=64)
    trained_at = models.DateTimeField(auto_now=True)
    excerpt_count = models.PositiveIntegerField(default=0)
    interview_count = models.PositiveIntegerField(default=0)
    sentence_count = models.PositiveIntegerField(default=0)
    quality = models.JSONField(default=list, help_text="Per code: code_id, precision, recall, examples, suggested.")
    artefact = models.BinaryField(help_text="The fitted model, pickled by our own training only.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "reach_key"], name="suggestions_codemodel_one_per_reach"),
        ]

    def __str__(self) -> str:
        return f"{self.project} model ({self.reach_key[:8]})"


class RejectedSuggestion(models.Model):
    """A suggestion a coder turned down: never suggested again, and a strong negative in training."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="rejected_suggestions")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="rejected_suggestions")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rejections")
    rejected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "code", "start", "end"], name="suggestions_rejected_once_per_span"
            ),
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="suggestions_rejected_span"),
        ]

    def __str__(self) -> str:
        return f"{self.code} rejected on {self.interview} [{self.start}, {self.end})"
