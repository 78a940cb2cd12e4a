"""Analysis records: the Framework method's summaries, and code queries saved to be run again."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from casestudies.models import CaseStudy, PhaseKind, ResearchProject, ResearchQuestion
from casestudies.validators import MAX_DESCRIPTION_LENGTH, validate_plain_text
from coding.models import Code
from disclosure import rules
from partnership.history import recorded_history


class FrameworkSummary(models.Model):
    """A researcher's summary of what one case study says about one research question (a framework-matrix cell)."""

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="framework_summaries")
    research_question = models.ForeignKey(
        ResearchQuestion, on_delete=models.CASCADE, related_name="framework_summaries"
    )
    text = models.TextField(
        blank=True,
        max_length=MAX_DESCRIPTION_LENGTH,
        validators=[MaxLengthValidator(MAX_DESCRIPTION_LENGTH), validate_plain_text],
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="framework_summaries",
        help_text="Whoever saved the summary last.",
    )
    revision = models.PositiveIntegerField(
        default=1, help_text="Counts saves, so that an edit made on an older version is refused."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = recorded_history()

    class Meta:
        ordering = ["case_study", "research_question"]
        verbose_name_plural = "framework summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["case_study", "research_question"], name="analysis_frameworksummary_one_per_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_study} × {self.research_question.short_label or self.research_question}"


class QueryOperator(models.TextChoices):
    AND = "and", "A and B (overlapping text)"
    OR = "or", "A or B"
    NOT = "not", "A and not B"
    NEAR = "near", "A within N characters of B"


class SavedQueryQuerySet(models.QuerySet["SavedQuery"]):
    def visible_to(self, user) -> SavedQueryQuerySet:
        """The saved code queries the user may see: all of their projects' for its leads; for others, those limited
        to no case study or to at least one within their reach (the limits outside it are only counted, never
        named). A query limited only to case studies outside their reach is not theirs to see, name included."""

        def reach() -> Q:
            limited = SavedQuery.case_studies.through.objects
            seen = CaseStudy.objects.visible_to(user).values("pk")
            return Q(project__in=ResearchProject.objects.visible_to(user).values("pk")) & (
                Q(project__in=ResearchProject.objects.led_by(user).values("pk"))
                | ~Q(pk__in=limited.values("savedquery_id"))
                | Q(pk__in=limited.filter(casestudy_id__in=seen).values("savedquery_id"))
            )

        return rules.within_reach(self, user, reach, joins=False)


class SavedQuery(models.Model):
    """A code query with its limits, saved by a user so that it can be run again as the coding grows."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="saved_queries")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queries")
    name = models.CharField(max_length=200, validators=[validate_plain_text])
    code_a = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="queries_as_a")
    operator = models.CharField(max_length=10, choices=QueryOperator.choices, default=QueryOperator.AND)
    code_b = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="queries_as_b")
    distance = models.PositiveIntegerField(null=True, blank=True, help_text="Characters, for “within N of”.")
    phase = models.CharField(max_length=20, choices=PhaseKind.choices, blank=True)
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_studies = models.ManyToManyField(CaseStudy, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedQueryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "saved queries"
        constraints = [
            models.UniqueConstraint(fields=["project", "owner", "name"], name="analysis_savedquery_unique_name"),
            models.CheckConstraint(
                condition=Q(operator="or") | Q(operator="and") | Q(operator="not") | Q(operator="near"),
                name="analysis_savedquery_known_operator",
            ),
            models.CheckConstraint(
                condition=~Q(operator="near") | Q(distance__isnull=False),
                name="analysis_savedquery_near_has_distance",
            ),
        ]

    def __str__(self) -> str:
        return self.name
