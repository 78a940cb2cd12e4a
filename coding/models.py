"""Coding: the codebook tree, excerpts of transcripts with their codes, and memos."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from taggit.managers import TaggableManager

from casestudies.models import CaseStudy, Interview, ResearchProject, ResearchQuestion
from casestudies.validators import MAX_DEFINITION_LENGTH, MAX_MEMO_LENGTH, MAX_NARRATIVE_LENGTH, validate_plain_text
from coding.colours import HEX_COLOUR
from disclosure import rules
from partnership.history import recorded_history

colour_validator = RegexValidator(HEX_COLOUR.pattern, "Enter a colour as #rrggbb, for example #1f77b4.")


class CodeQuerySet(models.QuerySet["Code"]):
    def active(self) -> CodeQuerySet:
        return self.filter(is_archived=False)

    def visible_to(self, user) -> CodeQuerySet:
        """The codebooks of the projects within the user's reach (`disclosure.rules.code_reach`)."""
        return rules.within_reach(
            self, user, lambda: rules.code_reach(ResearchProject.objects.visible_to(user)), joins=False
        )


class Code(models.Model):
    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="codes")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=200, validators=[validate_plain_text])
    definition = models.TextField(
        blank=True,
        max_length=MAX_DEFINITION_LENGTH,
        validators=[MaxLengthValidator(MAX_DEFINITION_LENGTH), validate_plain_text],
    )
    colour = models.CharField(max_length=7, default="#1f77b4", validators=[colour_validator])
    research_questions = models.ManyToManyField(ResearchQuestion, blank=True, related_name="codes")
    tags = TaggableManager(blank=True)
    is_archived = models.BooleanField(default=False)
    is_codable = models.BooleanField(default=True, help_text="A heading-only code groups others and is not applied.")
    order = models.PositiveIntegerField(default=0)
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="codes_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CodeQuerySet.as_manager()

    history = recorded_history()

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"],
                condition=Q(parent__isnull=False),
                name="coding_code_unique_name_in_parent",
            ),
            models.UniqueConstraint(
                fields=["project", "name"],
                condition=Q(parent__isnull=True),
                name="coding_code_unique_name_at_top",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="coding_code_not_its_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("coding:code", kwargs={"pk": self.pk})


class ExcerptQuerySet(models.QuerySet["Excerpt"]):
    def visible_to(self, user) -> ExcerptQuerySet:
        """The excerpts within the user's reach, blind coding applied (`disclosure.rules.excerpt_reach`)."""
        return rules.within_reach(
            self, user, lambda: rules.excerpt_reach(user, Interview.objects.visible_to(user)), joins=False
        )


class Excerpt(models.Model):
    """A passage [start, end) of an interview's transcript, counted in code points, with its codes."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="excerpts")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField(help_text="The transcript text the excerpt covers, stored when it is made.")
    coded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="excerpts")
    codes = models.ManyToManyField(Code, through="ExcerptCode", related_name="excerpts")
    memo = models.TextField(
        blank=True, max_length=MAX_MEMO_LENGTH, validators=[MaxLengthValidator(MAX_MEMO_LENGTH), validate_plain_text]
    )
    is_key_quote = models.BooleanField(default=False)
    needs_review = models.BooleanField(
        default=False, help_text="Set when a transcript correction changed the excerpt's text; a coder confirms it."
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Counts writes, so that a change made on an older version is refused (If-Match)."
    )
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ExcerptQuerySet.as_manager()

    history = recorded_history()

    class Meta:
        ordering = ["interview", "start", "end"]
        indexes = [models.Index(fields=["interview", "start"], name="coding_excerpt_by_position")]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="coding_excerpt_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.interview} [{self.start}, {self.end})"

    def get_absolute_url(self) -> str:
        return f"{reverse('coding:interview', kwargs={'pk': self.interview_id})}#excerpt-{self.pk}"


class ExcerptCode(models.Model):
    excerpt = models.ForeignKey(Excerpt, on_delete=models.CASCADE, related_name="code_links")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="excerpt_links")
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="code_applications"
    )
    applied_at = models.DateTimeField(auto_now_add=True)

    history = recorded_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["excerpt", "code"], name="coding_excerptcode_once_per_excerpt"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.excerpt}"


class Memo(models.Model):
    """A memo on a code, an interview, a case study, or (with none of them) on the project."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="memos")
    code = models.ForeignKey(Code, null=True, blank=True, on_delete=models.CASCADE, related_name="memos")
    interview = models.ForeignKey(Interview, null=True, blank=True, on_delete=models.CASCADE, related_name="memos")
    case_study = models.ForeignKey(CaseStudy, null=True, blank=True, on_delete=models.CASCADE, related_name="memos")
    title = models.CharField(max_length=200, blank=True, validators=[validate_plain_text])
    text = models.TextField(
        max_length=MAX_NARRATIVE_LENGTH, validators=[MaxLengthValidator(MAX_NARRATIVE_LENGTH), validate_plain_text]
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Counts saves, so that an edit made on an older version is refused."
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="memos")
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = recorded_history()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(code__isnull=True, interview__isnull=True)
                    | Q(code__isnull=True, case_study__isnull=True)
                    | Q(interview__isnull=True, case_study__isnull=True)
                ),
                name="coding_memo_on_at_most_one_record",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.text[:60]


class TranscriptCorrection(models.Model):
    """A record of one correction (or redaction) of a coded transcript: who, when, and what it did."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        REDACTION = "redaction", "Redaction"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="transcript_corrections")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="transcript_corrections"
    )
    made_at = models.DateTimeField(auto_now_add=True)
    kept = models.PositiveIntegerField(default=0)
    needing_review = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    removed_excerpts = models.JSONField(
        default=list, blank=True, help_text="Each removed excerpt: its text, offsets, codes and coder."
    )

    class Meta:
        ordering = ["-made_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.interview} by {self.made_by}"


class InterviewPresence(models.Model):
    """Who has an interview's coding page open: refreshed while the page is open, gone when it closes."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coding_presences")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "user"], name="coding_presence_once_per_user"),
        ]
        indexes = [models.Index(fields=["interview", "seen_at"], name="coding_presence_by_time")]

    def __str__(self) -> str:
        return f"{self.user} on {self.interview} at {self.seen_at:%H:%M:%S}"
