from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation

from casestudies.models import CaseStudy, ProjectRole
from coding.colours import CODE_COLOURS


class InvitationForm(forms.Form):
    email = forms.EmailField(max_length=254)
    role = forms.ChoiceField(choices=ProjectRole.choices, initial=ProjectRole.RESEARCHER)
    case_studies = forms.ModelMultipleChoiceField(
        queryset=CaseStudy.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_studies"].queryset = CaseStudy.objects.filter(project=project).order_by("order", "title")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ProjectRole.choices)


class RemoveMemberForm(forms.Form):
    hand_to = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        label="Hand their interviews to",
        help_text="The interviews they are named as interviewer of in this project.",
    )

    def __init__(self, *args, people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hand_to"].queryset = people


class ChoosePasswordForm(forms.Form):
    """Joining with a new account: the name colleagues will see (on excerpts, memos and the history) and a
    password."""

    first_name = forms.CharField(
        label="First name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        required=False,
        help_text="If you have one.",
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput, max_length=128)

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            raise forms.ValidationError("The two passwords differ.")
        if first:
            user = get_user_model()(
                username=self.email[:150],
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            password_validation.validate_password(first, user)
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=100, required=False)
    initials = forms.RegexField(
        regex=r"^[^\s]{0,4}$",
        max_length=4,
        required=False,
        help_text="Up to four characters, no spaces, shown on coder marks.",
        error_messages={"invalid": "Initials are up to four characters without spaces."},
    )
    colour = forms.ChoiceField(
        required=False,
        widget=forms.RadioSelect,
        choices=[("", "Chosen for you"), *CODE_COLOURS],
        help_text="The colour of your initials where colleagues see you at work on an interview.",
    )
