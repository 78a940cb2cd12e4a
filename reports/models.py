"""Working papers: a lead's draft in the centre's series, its narratives, and each build of it."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from casestudies.models import CaseStudy, FieldworkPhase, QuestionGroup, ResearchProject, ResearchQuestion
from disclosure import rules
from partnership.history import recorded_history
from partnership.jobs import BackgroundJob

MAX_QUOTATIONS_PER_QUESTION = 12


class WorkingPaperQuerySet(models.QuerySet["WorkingPaper"]):
    def visible_to(self, user) -> WorkingPaperQuerySet:
        """A paper is read by those who may see every case study it includes (all of the project's when it names
        none); leads and admins read all of their projects' papers."""

        def reach() -> Q:
            projects = ResearchProject.objects.visible_to(user).values("pk")
            led = ResearchProject.objects.led_by(user).values("pk")
            unseen = CaseStudy.objects.exclude(pk__in=CaseStudy.objects.visible_to(user).values("pk")).values("pk")
            named = WorkingPaper.case_studies.through.objects
            names_none = ~Q(pk__in=named.values("workingpaper_id"))
            return Q(project__in=projects) & (
                Q(project__in=led)
                | (names_none & ~Q(project__in=CaseStudy.objects.filter(pk__in=unseen).values("project_id")))
                | (~names_none & ~Q(pk__in=named.filter(casestudy_id__in=unseen).values("workingpaper_id")))
            )

        return rules.within_reach(self, user, reach, joins=False)


def validate_issn(value: str) -> None:
    """An ISSN with its check digit right, as python-stdnum checks it."""
    from stdnum import issn
    from stdnum.exceptions import ValidationError as NumberError

    try:
        issn.validate(value)
    except NumberError as error:
        raise ValidationError(
            f"“{value}” is not a valid ISSN: four digits, a hyphen and four more, the last a check digit (e.g. "
            "2045-5119)."
        ) from error


class PaperSeries(models.Model):
    """A series the centre publishes its papers in ("Working Paper", "Briefing Paper"), and what every paper of it
    prints about the series: its ISSN and copyright line, and a back page about the centre and its funders."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="paper_series")
    name = models.CharField(max_length=120, help_text='As papers name their series, e.g. "Working Paper".')
    issn = models.CharField(max_length=9, blank=True, verbose_name="ISSN", validators=[validate_issn])
    copyright_line = models.CharField(
        max_length=300, blank=True, help_text="e.g. “© Third Sector Research Centre 2012. All rights reserved.”"
    )
    about_centre = models.TextField(
        blank=True, verbose_name="about the centre", help_text="Markdown, for the back page."
    )
    funders = models.CharField(
        max_length=300, blank=True, help_text="Who funds the centre, as the back page credits them."
    )
    contact = models.CharField(max_length=300, blank=True, help_text="An address or website for the back page.")

    history = recorded_history()

    class Meta:
        verbose_name_plural = "paper series"
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="reports_paperseries_one_per_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.project})"


class PaperTemplate(models.TextChoices):
    WORKING_PAPER = "working_paper", "Working paper"
    BRIEFING = "briefing", "Briefing"


class WorkingPaper(models.Model):
    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="working_papers")
    template = models.CharField(
        max_length=20,
        choices=PaperTemplate.choices,
        default=PaperTemplate.WORKING_PAPER,
        verbose_name="layout",
        help_text="A briefing runs to a few pages: key findings first, two columns, one quotation at most per "
        "question, implications for practice, and no tables, charts or appendices.",
    )
    series = models.CharField(max_length=120, default="Working Paper", help_text='e.g. "Working Paper".')
    number = models.PositiveIntegerField(null=True, blank=True, help_text="The number in the series, e.g. 58.")
    title = models.CharField(max_length=300)
    short_title = models.CharField(
        max_length=80, blank=True, help_text="For the running header of each page; the title if empty."
    )
    authors = models.CharField(
        max_length=300, blank=True, help_text="As they will be credited, e.g. “A. Smith and B. Jones”."
    )
    date = models.DateField(default=datetime.date.today)
    abstract = models.TextField(blank=True, help_text="Markdown.")
    key_findings = models.TextField(
        blank=True,
        verbose_name="executive summary and key findings",
        help_text="Markdown, read before the contents; a list of findings reads best.",
    )
    keywords = models.CharField(max_length=300, blank=True, help_text="Separated by commas or semicolons.")
    acknowledgements = models.TextField(blank=True, help_text="Markdown.")
    introduction = models.TextField(blank=True, help_text="Markdown.")
    methods_note = models.TextField(
        blank=True,
        help_text="Markdown. The phases of fieldwork and the case studies are added from the records.",
    )
    implications = models.TextField(
        blank=True, verbose_name="implications for practice", help_text="Markdown. Printed in briefings."
    )
    conclusions = models.TextField(blank=True, verbose_name="conclusions and next steps", help_text="Markdown.")
    references = models.TextField(
        blank=True,
        verbose_name="references (BibTeX)",
        help_text="The works the texts cite as [@key] (several as [@key1; @key2]), as BibTeX entries; the paper lists "
        "those it cites, author–date.",
    )

    case_studies = models.ManyToManyField(
        CaseStudy, blank=True, related_name="working_papers", help_text="None chosen: every case study."
    )
    question_groups = models.ManyToManyField(
        QuestionGroup, blank=True, related_name="working_papers", help_text="Every question of these groups."
    )
    questions = models.ManyToManyField(
        ResearchQuestion,
        blank=True,
        related_name="working_papers",
        help_text="Single questions, besides the groups above. None chosen in either: every question.",
    )
    phases = models.ManyToManyField(
        FieldworkPhase, blank=True, related_name="working_papers", help_text="None chosen: every phase."
    )

    quotations_per_question = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_QUOTATIONS_PER_QUESTION)],
        help_text="Chosen across the case studies for variety; passages pinned for a question come first.",
    )
    key_quotes_first = models.BooleanField(default=True, help_text="Passages marked as key quotes come first.")
    include_tables = models.BooleanField(
        default=True, verbose_name="tables", help_text="A table of the evidence for each question group."
    )
    include_charts = models.BooleanField(
        default=True, verbose_name="charts", help_text="A bar chart of the evidence for each question group."
    )
    question_tables = models.BooleanField(
        default=False,
        verbose_name="tables per question",
        help_text="Each question's passages by case study and code, in an appendix.",
    )
    include_appendices = models.BooleanField(
        default=True, verbose_name="appendices", help_text="The codebook, the case studies and the interviews quoted."
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="working_papers"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkingPaperQuerySet.as_manager()

    history = recorded_history()

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "series", "number"],
                condition=Q(number__isnull=False),
                name="reports_workingpaper_unique_number_in_series",
                violation_error_message="This project already has a paper with this number in the series.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reports:paper", kwargs={"pk": self.pk})

    @property
    def series_label(self) -> str:
        """As the cover says it: "Working Paper 58"."""
        return f"{self.series} {self.number}".strip() if self.number is not None else self.series

    @property
    def running_title(self) -> str:
        return self.short_title or self.title


class GroupNarrative(models.Model):
    """The lead's text that opens a question group's chapter."""

    paper = models.ForeignKey(WorkingPaper, on_delete=models.CASCADE, related_name="group_narratives")
    group = models.ForeignKey(QuestionGroup, on_delete=models.CASCADE, related_name="paper_narratives")
    text = models.TextField(blank=True, help_text="Markdown.")

    history = recorded_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "group"], name="reports_groupnarrative_one_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.paper}: {self.group}"


class QuestionNarrative(models.Model):
    """The lead's text on one research question, read before the participants' words."""

    paper = models.ForeignKey(WorkingPaper, on_delete=models.CASCADE, related_name="question_narratives")
    question = models.ForeignKey(ResearchQuestion, on_delete=models.CASCADE, related_name="paper_narratives")
    text = models.TextField(blank=True, help_text="Markdown.")

    history = recorded_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "question"], name="reports_questionnarrative_one_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.paper}: {self.question}"


class QuotationChoice(models.Model):
    """A lead's choice for one passage under one question of a paper: always quote it there (pinned, even when it is
    short), or never quote it there (excluded). Who said it still decides whether it may be quoted at all."""

    class Choice(models.TextChoices):
        PIN = "pin", "Pinned"
        EXCLUDE = "exclude", "Excluded"

    paper = models.ForeignKey(WorkingPaper, on_delete=models.CASCADE, related_name="quotation_choices")
    question = models.ForeignKey(ResearchQuestion, on_delete=models.CASCADE, related_name="quotation_choices")
    excerpt = models.ForeignKey("coding.Excerpt", on_delete=models.CASCADE, related_name="quotation_choices")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now=True)

    history = recorded_history()

    class Meta:
        ordering = ["chosen_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "question", "excerpt"], name="reports_quotationchoice_one_per_passage_and_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper}: {self.get_choice_display()} excerpt {self.excerpt_id} under {self.question}"


class PaperFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "Word"
    HTML = "html", "HTML"


class PaperBuild(BackgroundJob):
    """One rendering of a paper: queued, run in the background, kept with its file or its error."""

    class Stage(models.TextChoices):
        WAITING = "waiting", "Waiting for a worker"
        ASSEMBLING = "assembling", "Assembling the quotations"
        RENDERING = "rendering", "Rendering"
        SAVING = "saving", "Saving the file"
        DONE = "done", "Done"

    SUCCEEDED_LABEL = "Ready"
    STAGE_PROGRESS = {Stage.WAITING: 5, Stage.ASSEMBLING: 25, Stage.RENDERING: 60, Stage.SAVING: 90, Stage.DONE: 100}

    paper = models.ForeignKey(WorkingPaper, on_delete=models.CASCADE, related_name="builds")
    format = models.CharField(max_length=10, choices=PaperFormat.choices)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.WAITING)
    options = models.JSONField(
        default=dict, blank=True, help_text="The selection and options as they were when it was asked for."
    )
    file = models.FileField(upload_to="working-papers/%Y/%m/", blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    quotation_count = models.PositiveIntegerField(null=True, blank=True)
    withheld_count = models.PositiveIntegerField(null=True, blank=True)
    quoted_excerpt_ids = models.JSONField(default=list, blank=True, help_text="The excerpts the file quotes.")
    quoted_participant_ids = models.JSONField(
        default=list, blank=True, help_text="The participants whose words the file quotes."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="paper_builds"
    )

    class Meta(BackgroundJob.Meta):
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="succeeded") | ~Q(file=""), name="reports_paperbuild_success_has_a_file"
            ),
            *BackgroundJob.Meta.constraints,
        ]

    def __str__(self) -> str:
        return f"{self.paper} ({self.get_format_display()}, {self.status_label})"

    @property
    def download_name(self) -> str:
        stem = self.paper.series_label.replace(" ", "-") if self.paper.number is not None else "working-paper"
        return f"{stem}-{self.created_at:%Y%m%d-%H%M}.{self.format}"
