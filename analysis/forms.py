"""Forms that read the analysis pages' filters; every choice is limited to what the user can see."""

from __future__ import annotations

from django import forms

from casestudies.models import Interview, PhaseKind, ResearchProject, ResearchQuestion, Sector
from casestudies.validators import MAX_DESCRIPTION_LENGTH, PlainTextForm, parse_id
from coding.models import Code
from coding.selectors import codes_in_tree_order

from .cooccurrence import Relation
from .matrices import NONE_PARAM
from .models import QueryOperator
from .search import Extent
from .selectors import Scope, case_studies_in_reach, coders_of


class CoderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class CodeChoiceField(forms.ModelChoiceField):
    """Codes labelled with their path in the codebook ("Drivers › Financial")."""

    def __init__(self, *args, paths: dict[int, str] | None = None, **kwargs) -> None:
        self.paths = paths or {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return self.paths.get(obj.pk, obj.name)


def code_choices(project: ResearchProject, *, codable_only: bool = False):
    ordered = [
        (code, path)
        for code, _, path in codes_in_tree_order(project, include_archived=False)
        if code.is_codable or not codable_only
    ]
    return [code.pk for code, _ in ordered], {code.pk: path for code, path in ordered}


class ScopeForm(PlainTextForm, forms.Form):
    """Phase, coder and case-study subset: the limits every matrix and query offers."""

    phase = forms.ChoiceField(required=False, choices=[("", "All phases"), *PhaseKind.choices])
    coder = CoderChoiceField(queryset=None, required=False, empty_label="All coders")
    case_studies = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Case studies"
    )

    def __init__(self, data=None, *, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.project = project
        self.fields["coder"].queryset = coders_of(user, project)
        self.fields["case_studies"].queryset = case_studies_in_reach(user, project)

    def scope(self) -> Scope:
        data = self.cleaned_data
        return Scope(
            phase=data.get("phase") or "",
            coder_id=data["coder"].pk if data.get("coder") else None,
            case_study_ids=tuple(case_study.pk for case_study in data.get("case_studies") or []),
        )


class ExcerptFilterForm(ScopeForm):
    """The scope, plus the row and column of the figure whose excerpts are listed."""

    code = forms.ModelChoiceField(queryset=None, required=False)
    subcodes = forms.ChoiceField(
        required=False, choices=[("", "The code alone"), ("include", "The code and its sub-codes")], label="Sub-codes"
    )
    case_study = forms.CharField(required=False)
    sector = forms.ChoiceField(required=False, choices=[("", "Any"), *Sector.choices, (NONE_PARAM, "Not attributed")])
    kind = forms.CharField(required=False, max_length=120)
    question = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, data=None, *, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(data, project=project, user=user, **kwargs)
        self.fields["code"].queryset = Code.objects.filter(project=project)
        self.fields["question"].queryset = ResearchQuestion.objects.filter(group__project=project)

    def cell_fields(self) -> list:
        return [self[name] for name in ("code", "subcodes", "case_study", "sector", "kind", "question")]

    def clean_case_study(self) -> int | None:
        value = self.cleaned_data["case_study"]
        if not value:
            return None
        if value == NONE_PARAM:
            return 0
        pk = parse_id(value)
        if pk is not None and self.fields["case_studies"].queryset.filter(pk=pk).exists():
            return pk
        raise forms.ValidationError("Choose one of the case studies you can see.")


class CodeQueryForm(ScopeForm):
    """A code query: A and/or/not B, or A within N characters of B, within a scope."""

    code_a = CodeChoiceField(queryset=None, label="Code A")
    operator = forms.ChoiceField(choices=QueryOperator.choices, initial=QueryOperator.AND)
    code_b = CodeChoiceField(queryset=None, label="Code B")
    distance = forms.IntegerField(
        required=False, min_value=0, max_value=1_000_000, label="N (characters)", help_text="For “within N characters”."
    )

    def __init__(self, data=None, *, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(data, project=project, user=user, **kwargs)
        order, paths = code_choices(project)
        for name in ("code_a", "code_b"):
            field = self.fields[name]
            field.queryset = Code.objects.filter(project=project, is_archived=False)
            field.paths = paths
            field.choices = [("", "---------")] + [(pk, paths[pk]) for pk in order]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("operator") == QueryOperator.NEAR and data.get("distance") is None:
            self.add_error("distance", "Give N, the most characters allowed between the two codes’ excerpts.")
        return data


class SummaryForm(PlainTextForm, forms.Form):
    text = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_DESCRIPTION_LENGTH,
        label="Summary",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What this case study tells us about the question, in a few sentences; cite excerpts as you wish.",
    )
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CooccurrenceForm(ScopeForm):
    relation = forms.ChoiceField(
        choices=Relation.choices, initial=Relation.OVERLAP, widget=forms.RadioSelect, label="Codes that occur in"
    )
    distance = forms.IntegerField(
        required=False, min_value=0, max_value=1_000_000, label="N (characters)", help_text="For “within N characters”."
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("relation") == Relation.NEAR and data.get("distance") is None:
            self.add_error("distance", "Give N, the most characters allowed between the two excerpts.")
        return data


class CooccurrencePairsForm(CooccurrenceForm):
    a = forms.ModelChoiceField(queryset=None, label="Code A")
    b = forms.ModelChoiceField(queryset=None, label="Code B")

    def __init__(self, data=None, *, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(data, project=project, user=user, **kwargs)
        self.fields["a"].queryset = self.fields["b"].queryset = Code.objects.filter(project=project)


class SaveQueryForm(PlainTextForm, forms.Form):
    name = forms.CharField(max_length=200, label="Save this query as")


class SearchForm(PlainTextForm, forms.Form):
    q = forms.CharField(max_length=300, required=False, label="Search the transcripts")
    phase = forms.ChoiceField(required=False, choices=[("", "All phases"), *PhaseKind.choices])
    case_studies = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Case studies"
    )

    def __init__(self, data=None, *, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["case_studies"].queryset = case_studies_in_reach(user, project)


class CodeHitsForm(PlainTextForm, forms.Form):
    code = CodeChoiceField(queryset=None, label="Code")
    extent = forms.ChoiceField(choices=Extent.CHOICES, initial=Extent.SENTENCE, label="as excerpts of")

    def __init__(self, data=None, *, project: ResearchProject, **kwargs) -> None:
        super().__init__(data, **kwargs)
        order, paths = code_choices(project, codable_only=True)
        field = self.fields["code"]
        field.queryset = Code.objects.filter(project=project, is_archived=False, is_codable=True)
        field.paths = paths
        field.choices = [("", "Choose a code")] + [(pk, paths[pk]) for pk in order]


class InterviewChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        where = obj.case_study.title if obj.case_study_id else obj.get_phase_display()
        return f"{obj.title} ({where})"


class AgreementForm(PlainTextForm, forms.Form):
    coder_a = CoderChoiceField(queryset=None, label="First coder", empty_label="Choose a coder")
    coder_b = CoderChoiceField(queryset=None, label="Second coder", empty_label="Choose a coder")
    interviews = InterviewChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave them all unticked for every interview both coders have coded.",
    )
    codes = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave them all unticked for every code either coder applied.",
    )

    def __init__(self, data=None, *, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(data, **kwargs)
        coders = coders_of(user, project)
        self.fields["coder_a"].queryset = self.fields["coder_b"].queryset = coders
        visible = Interview.objects.visible_to(user).filter(project=project).values("pk")
        self.fields["interviews"].queryset = (
            Interview.objects.filter(pk__in=visible)
            .select_related("case_study")
            .order_by("case_study__order", "date", "title")
        )
        order, paths = code_choices(project, codable_only=True)
        self.fields["codes"].queryset = Code.objects.filter(project=project)
        self.fields["codes"].choices = [(pk, paths[pk]) for pk in order]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("coder_a") and data.get("coder_a") == data.get("coder_b"):
            self.add_error("coder_b", "Choose two different coders.")
        return data


class DisagreementForm(AgreementForm):
    interview = forms.ModelChoiceField(queryset=None)
    everything = forms.BooleanField(required=False, label="Show every paragraph, not only those with disagreements")

    def __init__(self, data=None, *, project: ResearchProject, user, **kwargs) -> None:
        super().__init__(data, project=project, user=user, **kwargs)
        self.fields["interview"].queryset = self.fields["interviews"].queryset
