"""The research records: projects, their questions, case studies, organisations, participants, interviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import GenericTaggedItemBase, TagBase

from casestudies.roles import CaseStudyRole, ProjectRole
from disclosure import rules
from partnership.history import recorded_history
from partnership.jobs import BackgroundJob


class ResearchProjectQuerySet(models.QuerySet["ResearchProject"]):
    def visible_to(self, user) -> ResearchProjectQuerySet:
        """The projects within the user's reach (`disclosure.rules.project_reach`)."""
        return rules.within_reach(self, user, rules.project_reach(user))

    def led_by(self, user) -> ResearchProjectQuerySet:
        """The projects the user leads (none for admins who are not leads)."""
        return self.filter(rules.leads(user, "")) if rules.signed_in(user) else self.none()


class ResearchProject(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    centre = models.CharField(max_length=200, blank=True)
    stream = models.CharField(max_length=200, blank=True)
    summary = models.TextField(blank=True)
    quotations_may_omit_fillers = models.BooleanField(
        default=True,
        verbose_name="quotations may leave out opening fillers",
        help_text="A quotation in a paper may leave out a speaker's opening “Um,”, “Well,” or “And”, marked […]; "
        "off, every quotation is whole sentences as transcribed.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProjectMembership", related_name="research_projects"
    )

    objects = ResearchProjectQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("casestudies:project", kwargs={"slug": self.slug})


class ProjectMembership(models.Model):
    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships")
    role = models.CharField(max_length=20, choices=ProjectRole.choices, default=ProjectRole.RESEARCHER)

    history = recorded_history()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="casestudies_projectmembership_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.project})"


class PhaseKind(models.TextChoices):
    SCOPING = "scoping", "Scoping"
    CASE_STUDY = "case_study", "Case study"
    WORKSHOP = "workshop", "Workshop"


class FieldworkPhase(models.Model):
    """A phase of fieldwork, e.g. the scoping interviews of Autumn 2010."""

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(max_length=20, choices=PhaseKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty for a phase that is still going on.")
    period_label = models.CharField(max_length=100, blank=True, help_text='As the project says it, e.g. "Autumn 2010".')

    class Meta:
        ordering = ["project", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="casestudies_fieldworkphase_one_per_kind"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="casestudies_fieldworkphase_starts_before_it_ends",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Theme(models.Model):
    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="themes")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["project", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "title"], name="casestudies_theme_unique_title"),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionGroup(models.Model):
    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="question_groups")
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    is_emerging = models.BooleanField(
        default=False, help_text="Questions that emerged during the fieldwork rather than framing it."
    )

    class Meta:
        ordering = ["project", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "title"], name="casestudies_questiongroup_unique_title"),
        ]

    def __str__(self) -> str:
        return self.title


class ResearchQuestionQuerySet(models.QuerySet["ResearchQuestion"]):
    def in_order(self) -> ResearchQuestionQuerySet:
        return self.select_related("group").order_by("group__order", "group_id", "order", "id")


class ResearchQuestion(models.Model):
    group = models.ForeignKey(QuestionGroup, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    short_label = models.CharField(max_length=20, blank=True, help_text='e.g. "RQ3" or "E2".')
    order = models.PositiveIntegerField(default=0)

    objects = ResearchQuestionQuerySet.as_manager()

    class Meta:
        ordering = ["group__order", "group_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "text"], name="casestudies_researchquestion_unique_text"),
        ]

    def __str__(self) -> str:
        return f"{self.short_label} {self.text}".strip()

    @property
    def project(self) -> ResearchProject:
        return self.group.project


class Sector(models.TextChoices):
    THIRD = "third", "Third sector"
    PUBLIC = "public", "Public sector"
    PRIVATE = "private", "Private sector"


class Organisation(models.Model):
    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=20, choices=Sector.choices)
    kind = models.CharField(max_length=120, blank=True, help_text='e.g. "Housing association", "Local authority".')
    other_names = models.TextField(
        blank=True,
        help_text=(
            "Other names people use for it, one per line (“Calderbrook”, “CHG”): where its case study anonymises "
            "organisations, these are replaced in quoted text too."
        ),
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="casestudies_organisation_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def names(self) -> list[str]:
        """Its name and the other names recorded for it."""
        return [self.name, *(line.strip() for line in self.other_names.splitlines() if line.strip())]


class CaseStudyTag(TagBase):
    class Meta:
        verbose_name = "case-study tag"


class FormOfPartnership(GenericTaggedItemBase):
    tag = models.ForeignKey(CaseStudyTag, on_delete=models.CASCADE, related_name="partnership_items")


class Topic(GenericTaggedItemBase):
    tag = models.ForeignKey(CaseStudyTag, on_delete=models.CASCADE, related_name="topic_items")


class CaseStudyQuerySet(models.QuerySet["CaseStudy"]):
    def visible_to(self, user) -> CaseStudyQuerySet:
        """The case studies within the user's reach (`disclosure.rules.case_study_reach`)."""
        return rules.within_reach(self, user, rules.case_study_reach(user))


class CaseStudy(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        NEGOTIATING = "negotiating", "Negotiating access"
        FIELDWORK = "fieldwork", "Fieldwork"
        ANALYSIS = "analysis", "Analysis"
        COMPLETE = "complete", "Complete"

    class Level(models.TextChoices):
        SECTOR = "sector", "Sector"
        PARTNERSHIP = "partnership", "Partnership"
        ORGANISATION = "organisation", "Organisation"
        MULTIPLE = "multiple", "Several organisations over time"

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="case_studies")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    lead_researchers = models.CharField(
        max_length=200, blank=True, help_text="As credited in the project's publications."
    )
    focus = models.TextField(blank=True)
    sector = models.CharField(max_length=120, blank=True, help_text='The field of service, e.g. "Housing".')
    region = models.CharField(max_length=120, blank=True)
    level_of_analysis = models.CharField(max_length=20, choices=Level.choices, default=Level.ORGANISATION)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    core_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="core_of_case_studies"
    )
    focal_questions = models.ManyToManyField(ResearchQuestion, blank=True, related_name="focal_in_case_studies")
    anonymise_organisations = models.BooleanField(
        default=False,
        help_text="Outputs name its organisations by what they are (“a housing association”).",
    )
    order = models.PositiveIntegerField(default=0)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CaseStudyMembership", related_name="case_studies"
    )
    forms_of_partnership = TaggableManager(
        through=FormOfPartnership,
        blank=True,
        verbose_name="forms of partnership",
        related_name="case_studies_with_form",
    )
    topics = TaggableManager(through=Topic, blank=True, verbose_name="topics", related_name="case_studies_with_topic")

    objects = CaseStudyQuerySet.as_manager()

    history = recorded_history()

    class Meta:
        ordering = ["project", "order", "title"]
        verbose_name_plural = "case studies"
        constraints = [
            models.UniqueConstraint(fields=["project", "slug"], name="casestudies_casestudy_unique_slug"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("casestudies:case_study", kwargs={"project_slug": self.project.slug, "slug": self.slug})

    def leads(self) -> list:
        return [m.user for m in self.memberships.all() if m.role == CaseStudyMembership.Role.LEAD]


class CaseStudyMembership(models.Model):
    Role = CaseStudyRole

    case_study = models.ForeignKey(CaseStudy, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_study_memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESEARCHER)

    history = recorded_history()

    class Meta:
        ordering = ["case_study", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["case_study", "user"], name="casestudies_casestudymembership_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.case_study})"


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def visible_to(self, user) -> ParticipantQuerySet:
        """The participants within the user's reach (`disclosure.rules.participant_reach`)."""
        return rules.within_reach(self, user, rules.participant_reach(user))


class Participant(models.Model):
    class Anonymity(models.TextChoices):
        PSEUDONYM = "pseudonym", "Pseudonym only"
        ROLE_ONLY = "role_only", "Role only (no pseudonym in outputs)"
        NAMED = "named", "May be named by role and organisation"

    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="participants")
    pseudonym = models.CharField(max_length=120)
    real_name = models.CharField(
        max_length=200, blank=True, help_text="Visible to admins only; never shown in any output."
    )
    role_title = models.CharField(max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="participants"
    )
    consent_to_quote = models.BooleanField(
        default=False, help_text="Whether this participant agreed to be quoted in outputs."
    )
    anonymity = models.CharField(max_length=20, choices=Anonymity.choices, default=Anonymity.PSEUDONYM)

    objects = ParticipantQuerySet.as_manager()

    history = recorded_history()

    class Meta:
        ordering = ["pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["project", "pseudonym"], name="casestudies_participant_unique_pseudonym"),
        ]

    def __str__(self) -> str:
        return self.pseudonym

    def get_absolute_url(self) -> str:
        return reverse("casestudies:participant", kwargs={"pk": self.pk})

    @property
    def attribution(self) -> str:
        """How an output names this participant: never the real name (`disclosure.speakers.attribution`)."""
        from disclosure.speakers import attribution

        return attribution(
            pseudonym=self.pseudonym,
            role_title=self.role_title,
            organisation_kind=self.organisation.kind if self.organisation_id else "",
            anonymity=self.anonymity,
        )


class InterviewQuerySet(models.QuerySet["Interview"]):
    def visible_to(self, user) -> InterviewQuerySet:
        """The interviews within the user's reach (`disclosure.rules.interview_reach`)."""
        return rules.within_reach(self, user, rules.interview_reach(user))


class Interview(models.Model):
    project = models.ForeignKey(ResearchProject, on_delete=models.CASCADE, related_name="interviews")
    case_study = models.ForeignKey(
        CaseStudy,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interviews",
        help_text="Empty for scoping interviews.",
    )
    title = models.CharField(max_length=200)
    phase = models.CharField(max_length=20, choices=PhaseKind.choices, default=PhaseKind.CASE_STUDY)
    date = models.DateField(null=True, blank=True)
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="interviews_conducted"
    )
    participants = models.ManyToManyField(Participant, blank=True, related_name="interviews")
    transcript = models.TextField(blank=True, help_text="The canonical text; excerpts count code points in it.")
    transcript_source = models.CharField(
        max_length=255, blank=True, help_text="The file the transcript was imported from."
    )
    transcript_imported_at = models.DateTimeField(null=True, blank=True)
    transcript_imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transcripts_imported",
    )
    is_blind_coding = models.BooleanField(
        default=False, help_text="Coders see only their own excerpts until a lead reveals them."
    )
    blind_revealed_at = models.DateTimeField(null=True, blank=True)
    turns_digest = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="A digest of the text its recorded speaker turns describe; turns of another text are not read.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InterviewQuerySet.as_manager()

    history = recorded_history(excluded_fields=["turns_digest"])

    class Meta:
        ordering = ["date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phase="scoping", case_study__isnull=True) | ~Q(phase="scoping"),
                name="casestudies_interview_scoping_has_no_case_study",
            ),
            models.CheckConstraint(
                condition=~Q(phase="case_study") | Q(case_study__isnull=False),
                name="casestudies_interview_fieldwork_has_case_study",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("casestudies:interview", kwargs={"pk": self.pk})

    @property
    def word_count(self) -> int:
        return len(self.transcript.split())


class Speaker(models.Model):
    """Who speaks under one label of an interview's transcript ("Ruth", "Interviewer", "R", "Date", or the empty
    label of words before any label).

    Until someone says who it is (`kind` empty), the voice is worked out from the label and the interview's
    participants by `disclosure.speakers`; once set, it holds whatever the text or the participants on record
    become. Either way it decides, through `disclosure`, whose words a span contains and whether it may be quoted.
    """

    class Kind(models.TextChoices):
        PARTICIPANT = "participant", "A participant"
        INTERVIEWER = "interviewer", "The interviewer"
        NOTE = "note", "A note (header line), no one's words"
        UNKNOWN = "unknown", "Unknown speaker (not quotable)"

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="speakers")
    label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(
        max_length=20, choices=Kind.choices, blank=True, help_text="Empty: worked out from the label."
    )
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="speaker_labels"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)

    history = recorded_history()

    class Meta:
        ordering = ["interview", "label"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "label"], name="casestudies_speaker_unique_label"),
            models.CheckConstraint(
                condition=Q(participant__isnull=True) | Q(kind="participant"),
                name="casestudies_speaker_participant_only_for_participant_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.label or "(before any label)"


class SpeakerTurn(models.Model):
    """One turn of an interview's transcript, recorded: `[start, end)` in code points of the transcript, where
    its words start after the label written at its start (`body_start`), and its speaker. Moved with the text
    whenever the transcript changes (`casestudies.services.record_turns`)."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="turns")
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="turns")
    start = models.PositiveIntegerField()
    body_start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()

    class Meta:
        ordering = ["interview", "start"]
        constraints = [
            models.UniqueConstraint(fields=["interview", "start"], name="casestudies_turn_unique_start"),
            models.CheckConstraint(
                condition=Q(start__lte=models.F("body_start")) & Q(body_start__lte=models.F("end")),
                name="casestudies_turn_ordered_offsets",
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.start}, {self.end})"


class TranscriptImport(BackgroundJob):
    """A large transcript file imported in the background: kept until it has been read, with its progress."""

    class Stage(models.TextChoices):
        WAITING = "waiting", "Waiting for a worker"
        READING = "reading", "Reading the file"
        DONE = "done", "Done"

    SUCCEEDED_LABEL = "Imported"
    KEEPS_UPLOAD = True
    NOTHING_DONE = "Nothing was imported."
    STAGE_PROGRESS = {Stage.WAITING: 5, Stage.READING: 50, Stage.DONE: 100}

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="transcript_imports")
    file = models.FileField(
        upload_to="transcript-imports/%Y/%m/", blank=True, help_text="The uploaded file, kept until it has been read."
    )
    file_name = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    replace = models.BooleanField(default=False, help_text="Whether the import may replace a transcript.")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.WAITING)
    summary = models.TextField(blank=True, help_text="What the import found, once it has run.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="transcript_imports"
    )

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status_label})"

    def get_absolute_url(self) -> str:
        return reverse("casestudies:transcript_import", kwargs={"pk": self.interview_id, "job": self.pk})


class WorkerHeartbeat(models.Model):
    """A task worker's last sign of life, written by its housekeeping (`manage.py worker`) every few seconds;
    `/healthz` reads it. One row a worker process."""

    worker = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.worker} (seen {self.seen_at:%Y-%m-%d %H:%M:%S})"
