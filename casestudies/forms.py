from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from .models import CaseStudy, Interview, Organisation, Participant, ResearchProject, ResearchQuestion


class CaseStudyForm(forms.ModelForm):
    forms_of_partnership = forms.CharField(
        required=False,
        help_text="Separate with commas, e.g. “Merger, Group structure”.",
    )

    class Meta:
        model = CaseStudy
        fields = [
            "title",
            "slug",
            "lead_researchers",
            "focus",
            "sector",
            "region",
            "level_of_analysis",
            "status",
            "core_organisation",
            "focal_questions",
        ]
        widgets = {"focal_questions": forms.CheckboxSelectMultiple, "focus": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, project: ResearchProject, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["core_organisation"].queryset = Organisation.objects.filter(project=project)
        self.fields["focal_questions"].queryset = ResearchQuestion.objects.filter(group__project=project).in_order()
        if self.instance.pk:
            self.fields["forms_of_partnership"].initial = ", ".join(
                sorted(tag.name for tag in self.instance.forms_of_partnership.all())
            )

    def partnership_forms(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["forms_of_partnership"].split(",") if name.strip()]


class InterviewForm(forms.ModelForm):
    class Meta:
        model = Interview
        fields = ["title", "phase", "case_study", "date", "interviewer", "participants", "is_blind_coding"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "participants": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, project: ResearchProject, case_studies, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["case_study"].queryset = case_studies
        self.fields["case_study"].help_text = "Leave empty for a scoping interview."
        self.fields["participants"].queryset = Participant.objects.filter(project=project).select_related(
            "organisation"
        )
        self.fields["interviewer"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")

    def clean(self) -> dict:
        cleaned = super().clean()
        phase, case_study = cleaned.get("phase"), cleaned.get("case_study")
        if phase == "scoping" and case_study:
            self.add_error("case_study", "A scoping interview belongs to no case study: leave this empty.")
        if phase == "case_study" and not case_study:
            self.add_error("case_study", "Choose the case study this interview belongs to.")
        return cleaned


class NewInterviewForm(InterviewForm):
    transcript = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Paste the transcript, or import a file later. Speaker turns such as “Interviewer:” are recognised.",
    )

    class Meta(InterviewForm.Meta):
        fields = InterviewForm.Meta.fields + ["transcript"]


class ParticipantForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["pseudonym", "role_title", "organisation", "consent_to_quote", "anonymity", "real_name"]

    def __init__(self, *args, project: ResearchProject, show_real_name: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["organisation"].queryset = Organisation.objects.filter(project=project)
        if not show_real_name:
            del self.fields["real_name"]
