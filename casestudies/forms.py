from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from . import importers
from .models import CaseStudy, Interview, Organisation, Participant, ResearchProject, ResearchQuestion
from .validators import MAX_DESCRIPTION_LENGTH, MAX_TAGS, PlainTextForm, split_tags


class CaseStudyForm(PlainTextForm, forms.ModelForm):
    forms_of_partnership = forms.CharField(
        required=False,
        help_text=f"Separate with commas, e.g. “Merger, Group structure”; at most {MAX_TAGS}.",
    )
    text_limits = {"focus": MAX_DESCRIPTION_LENGTH}

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

    def clean_forms_of_partnership(self) -> list[str]:
        return split_tags(self.cleaned_data["forms_of_partnership"])

    def partnership_forms(self) -> list[str]:
        return self.cleaned_data["forms_of_partnership"]


class InterviewForm(PlainTextForm, forms.ModelForm):
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


def transcript_file_field(**kwargs) -> forms.FileField:
    # Empty files are let through to clean_transcript_upload, which names the file in its message.
    return forms.FileField(
        widget=forms.FileInput(attrs={"accept": importers.ACCEPT_ATTRIBUTE}), allow_empty_file=True, **kwargs
    )


def transcript_file_help() -> str:
    return (
        f"{', '.join(importers.SUPPORTED_EXTENSIONS)}; up to {filesizeformat(settings.UPLOAD_MAX_BYTES)}. "
        "Speaker turns such as “Interviewer:”, “Q:”, “R:” or a name and a colon are recognised."
    )


def clean_transcript_upload(upload: UploadedFile | None) -> UploadedFile | None:
    """The checks that need no reading of the file: its type, and its size (before it is read into memory)."""
    if upload is not None:
        importers.format_for(upload.name)
        importers.check_size(name=upload.name, size=upload.size)
    return upload


class NewInterviewForm(InterviewForm):
    transcript = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Paste the transcript, or import a file below or later. Speaker turns such as “Interviewer:” "
        "are recognised.",
    )
    transcript_file = transcript_file_field(required=False, label="Or import a transcript file")
    # A pasted transcript is bounded as an imported file is.
    text_limits = {"transcript": settings.UPLOAD_MAX_BYTES}

    class Meta(InterviewForm.Meta):
        fields = InterviewForm.Meta.fields + ["transcript"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["transcript_file"].help_text = transcript_file_help()

    def clean_transcript_file(self) -> UploadedFile | None:
        return clean_transcript_upload(self.cleaned_data.get("transcript_file"))

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("transcript_file") and cleaned.get("transcript", "").strip():
            self.add_error("transcript_file", "Paste the transcript or import a file, not both.")
        return cleaned


class TranscriptImportForm(PlainTextForm, forms.Form):
    file = transcript_file_field(label="Transcript file")
    replace = forms.BooleanField(required=False, label="Replace the current transcript")

    def __init__(self, *args, interview: Interview, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = transcript_file_help()
        if not interview.transcript.strip():
            del self.fields["replace"]

    def clean_file(self) -> UploadedFile | None:
        return clean_transcript_upload(self.cleaned_data.get("file"))

    def clean_replace(self) -> bool:
        if not self.cleaned_data["replace"]:
            raise forms.ValidationError("Tick this to replace the interview’s current transcript with the file.")
        return True


class ParticipantForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["pseudonym", "role_title", "organisation", "consent_to_quote", "anonymity", "real_name"]

    def __init__(self, *args, project: ResearchProject, show_real_name: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["organisation"].queryset = Organisation.objects.filter(project=project)
        if not show_real_name:
            del self.fields["real_name"]
