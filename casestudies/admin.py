from django import forms
from django.contrib import admin
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters

from .forms import ConsentReasonForm
from .models import (
    CaseStudy,
    CaseStudyMembership,
    FieldworkPhase,
    Interview,
    Organisation,
    Participant,
    ProjectMembership,
    QuestionGroup,
    ResearchProject,
    ResearchQuestion,
    Theme,
)
from .services import save_interview
from .views import warn_if_pseudonym_discloses


class ProjectMembershipInline(admin.TabularInline):
    model = ProjectMembership
    extra = 0
    autocomplete_fields = ["user"]


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0


class FieldworkPhaseInline(admin.TabularInline):
    model = FieldworkPhase
    extra = 0


@admin.register(ResearchProject)
class ResearchProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "centre", "stream"]
    search_fields = ["title", "slug", "centre"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ProjectMembershipInline, ThemeInline, FieldworkPhaseInline]


class ResearchQuestionInline(admin.TabularInline):
    model = ResearchQuestion
    extra = 0


@admin.register(QuestionGroup)
class QuestionGroupAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "order", "is_emerging"]
    list_filter = ["project", "is_emerging"]
    ordering = ["project", "order"]
    inlines = [ResearchQuestionInline]


@admin.register(ResearchQuestion)
class ResearchQuestionAdmin(admin.ModelAdmin):
    list_display = ["short_label", "text", "group", "order"]
    list_filter = ["group__project", "group"]
    search_fields = ["text", "short_label"]
    list_select_related = ["group"]


class CaseStudyMembershipInline(admin.TabularInline):
    model = CaseStudyMembership
    extra = 0
    autocomplete_fields = ["user"]


class InterviewInline(admin.TabularInline):
    model = Interview
    extra = 0
    fields = ["title", "phase", "date", "interviewer"]
    show_change_link = True


@admin.register(CaseStudy)
class CaseStudyAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "lead_researchers", "sector", "region", "status", "interview_count"]
    list_filter = ["project", "status", "sector", "level_of_analysis"]
    search_fields = ["title", "focus", "lead_researchers", "region"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["focal_questions"]
    inlines = [CaseStudyMembershipInline, InterviewInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project").annotate(_interviews=Count("interviews"))

    @admin.display(description="Interviews", ordering="_interviews")
    def interview_count(self, obj: CaseStudy) -> int:
        return obj._interviews


# Real names are typed on these pages: no error report (not even the DEBUG page) shows them.
sensitive_real_names = method_decorator(sensitive_post_parameters("real_name"))


class ParticipantInlineForm(ConsentReasonForm):
    def _get_validation_exclusions(self) -> set[str]:
        # The project is not on the form (the formset sets it), but a pseudonym is unique within its project:
        # checking that constraint here makes a duplicate a form error rather than an IntegrityError.
        exclusions = super()._get_validation_exclusions()
        exclusions.discard("project")
        return exclusions


class ParticipantInlineFormSet(BaseInlineFormSet):
    """A participant added under an organisation belongs to the organisation's project."""

    def _construct_form(self, i: int, **kwargs) -> forms.ModelForm:
        form = super()._construct_form(i, **kwargs)
        if form.instance.project_id is None:
            form.instance.project_id = self.instance.project_id
        return form


class ParticipantInline(admin.TabularInline):
    model = Participant
    form = ParticipantInlineForm
    formset = ParticipantInlineFormSet
    extra = 0
    fields = ["pseudonym", "real_name", "role_title", "consent_to_quote", "consent_change_reason", "anonymity"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "kind", "project"]
    list_filter = ["project", "sector", "kind"]
    search_fields = ["name", "kind"]
    inlines = [ParticipantInline]

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Participant:
            for inline_form in formset.forms:
                if inline_form.instance.pk and inline_form.instance not in formset.deleted_objects:
                    warn_if_pseudonym_discloses(request, inline_form.instance)

    @sensitive_real_names
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)


class ParticipantAdminForm(ConsentReasonForm):
    class Meta:
        model = Participant
        fields = "__all__"


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    form = ParticipantAdminForm
    list_display = ["pseudonym", "real_name", "role_title", "organisation", "consent_to_quote", "anonymity"]
    list_filter = ["project", "consent_to_quote", "anonymity", "organisation__sector"]
    search_fields = ["pseudonym", "real_name", "role_title", "organisation__name"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        warn_if_pseudonym_discloses(request, obj)

    @sensitive_real_names
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    list_display = ["title", "case_study", "phase", "date", "interviewer", "words"]
    list_filter = ["project", "phase", "case_study", "is_blind_coding"]
    search_fields = ["title", "transcript", "participants__pseudonym"]
    date_hierarchy = "date"
    list_select_related = ["case_study", "interviewer"]
    filter_horizontal = ["participants"]
    readonly_fields = [
        "transcript_source",
        "transcript_imported_at",
        "transcript_imported_by",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        # Through the service, which records the speaker turns of a new or changed transcript.
        save_interview(interview=obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # Excerpts count code points of the canonical text: once coded, it must not change under them.
        if obj is not None and obj.excerpts.exists():
            fields.append("transcript")
        return fields

    @admin.display(description="Words")
    def words(self, obj: Interview) -> int:
        return obj.word_count


@admin.register(CaseStudyMembership)
class CaseStudyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "case_study", "role"]
    list_filter = ["role", "case_study"]
    search_fields = ["user__username", "case_study__title"]


@admin.register(FieldworkPhase)
class FieldworkPhaseAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "kind", "starts_on", "ends_on", "period_label"]
    list_filter = ["project", "kind"]
