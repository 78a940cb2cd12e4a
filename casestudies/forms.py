from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.template.defaultfilters import filesizeformat

from disclosure import access

from . import importers
from .models import (
    CaseStudy,
    Interview,
    Organisation,
    Participant,
    PhaseKind,
    ResearchProject,
    ResearchQuestion,
    Speaker,
)
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
            "anonymise_organisations",
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


SCOPING_REFUSED = "Only the project’s leads and admins can file a scoping interview; choose another phase."
CASE_STUDY_NEEDED = "Choose one of the case studies you lead."


class InterviewForm(PlainTextForm, forms.ModelForm):
    """An interview's record. Only the project's managers file scoping interviews, and only those who may
    change blind coding see its tick box; everyone else's choices stay within their own reach."""

    is_blind_coding = forms.BooleanField(
        required=False, label="Blind coding", help_text=Interview._meta.get_field("is_blind_coding").help_text
    )
    field_order = ["title", "phase", "case_study", "date", "interviewer", "participants", "is_blind_coding"]

    class Meta:
        model = Interview
        fields = ["title", "phase", "case_study", "date", "interviewer", "participants"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "participants": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.manages_project = access.can_manage_project(user, project)
        participants, interviewers = access.interview_choices_for(user, project)
        self.fields["participants"].queryset = participants
        if self.instance.interviewer_id:  # someone no longer in the project stays the interviewer they were
            interviewers = get_user_model().objects.filter(
                Q(pk__in=interviewers.values("pk")) | Q(pk=self.instance.interviewer_id)
            )
        self.fields["interviewer"].queryset = interviewers.order_by("username")
        case_study = self.fields["case_study"]
        case_study.queryset = access.editable_case_studies(user, project)
        if self.manages_project:
            case_study.help_text = "Leave empty for a scoping interview."
        else:
            # Still accepted by the field, so that clean_phase can say why it is refused.
            self.fields["phase"].widget.choices = [
                choice for choice in self.fields["phase"].choices if choice[0] != PhaseKind.SCOPING
            ]
            case_study.required = True
            case_study.error_messages.update(required=CASE_STUDY_NEEDED, invalid_choice=CASE_STUDY_NEEDED)
        if access.can_manage_blind_coding(user, self.instance):
            self.fields["is_blind_coding"].initial = self.instance.is_blind_coding
        else:
            del self.fields["is_blind_coding"]

    def clean_phase(self) -> str:
        phase = self.cleaned_data["phase"]
        if phase == PhaseKind.SCOPING and not self.manages_project:
            raise forms.ValidationError(SCOPING_REFUSED)
        return phase

    def clean(self) -> dict:
        cleaned = super().clean()
        phase, case_study = cleaned.get("phase"), cleaned.get("case_study")
        if phase == "scoping" and case_study:
            self.add_error("case_study", "A scoping interview belongs to no case study: leave this empty.")
        if phase == "case_study" and not case_study:
            self.add_error("case_study", "Choose the case study this interview belongs to.")
        return cleaned

    def wanted_blind_coding(self) -> bool | None:
        """Whether the interview should be under blind coding, or None when this user may not say."""
        if "is_blind_coding" not in self.fields:
            return None
        return self.cleaned_data["is_blind_coding"]


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


MAX_CONSENT_REASON_LENGTH = 1000

AUTOMATIC = "auto"


class SpeakerForm(PlainTextForm, forms.Form):
    """Who speaks under one label of an interview, and why the lead says so."""

    who = forms.ChoiceField(label="Who speaks under this label")
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_CONSENT_REASON_LENGTH,
        help_text="Kept with the change in the speaker’s history.",
        widget=forms.TextInput(attrs={"placeholder": "The transcriber used her initials"}),
    )

    def __init__(self, *args, people: list[Participant], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(person.pk): person for person in people}
        self.fields["who"].choices = [
            (AUTOMATIC, "Work it out from the label"),
            *[(f"participant:{pk}", f"{person.pseudonym} (participant)") for pk, person in self.people.items()],
            (Speaker.Kind.INTERVIEWER.value, "The interviewer"),
            (Speaker.Kind.NOTE.value, "A header line (no one’s words)"),
            (Speaker.Kind.UNKNOWN.value, "Unknown speaker (not quoted)"),
        ]

    def assignment(self) -> tuple[str, Participant | None]:
        """The kind and participant chosen (kind empty: worked out from the label)."""
        who = self.cleaned_data["who"]
        if who == AUTOMATIC:
            return "", None
        if who.startswith("participant:"):
            return Speaker.Kind.PARTICIPANT, self.people[who.removeprefix("participant:")]
        return who, None


class ConsentReasonForm(forms.ModelForm):
    """A change of a participant's consent to be quoted needs a reason, kept with the change in their history."""

    consent_change_reason = forms.CharField(
        label="Reason for the consent change",
        required=False,
        max_length=MAX_CONSENT_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when consent to be quoted changes; it is kept in the participant’s history.",
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        reason = (cleaned.get("consent_change_reason") or "").strip()
        if self.instance.pk and "consent_to_quote" in self.changed_data and not reason:
            self.add_error(
                "consent_change_reason", "Say why consent to be quoted changed: the reason is kept for the record."
            )
        return cleaned

    def save(self, commit: bool = True):
        reason = (self.cleaned_data.get("consent_change_reason") or "").strip()
        if reason and self.instance.pk and "consent_to_quote" in self.changed_data:
            given = "given" if self.instance.consent_to_quote else "withdrawn"
            self.instance._change_reason = f"Consent to be quoted {given}: {reason}"
        return super().save(commit)


class ParticipantForm(PlainTextForm, ConsentReasonForm):
    class Meta:
        model = Participant
        fields = ["pseudonym", "role_title", "organisation", "consent_to_quote", "anonymity", "real_name"]

    def __init__(self, *args, project: ResearchProject, show_real_name: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["organisation"].queryset = Organisation.objects.filter(project=project)
        if not show_real_name:
            del self.fields["real_name"]
