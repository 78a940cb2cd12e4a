from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from casestudies.models import CaseStudy, FieldworkPhase, QuestionGroup, ResearchProject, ResearchQuestion
from casestudies.validators import PlainTextForm, plain_text_fields

from .models import PaperFormat, QuotationChoice, WorkingPaper
from .references import References


class WorkingPaperForm(PlainTextForm, forms.ModelForm):
    class Meta:
        model = WorkingPaper
        fields = [
            "template",
            "series",
            "number",
            "title",
            "short_title",
            "authors",
            "date",
            "abstract",
            "key_findings",
            "keywords",
            "acknowledgements",
            "introduction",
            "methods_note",
            "implications",
            "conclusions",
            "references",
            "case_studies",
            "question_groups",
            "questions",
            "phases",
            "quotations_per_question",
            "key_quotes_first",
            "include_tables",
            "include_charts",
            "question_tables",
            "include_appendices",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "abstract": forms.Textarea(attrs={"rows": 4}),
            "key_findings": forms.Textarea(attrs={"rows": 6}),
            "acknowledgements": forms.Textarea(attrs={"rows": 3}),
            "introduction": forms.Textarea(attrs={"rows": 8}),
            "methods_note": forms.Textarea(attrs={"rows": 5}),
            "implications": forms.Textarea(attrs={"rows": 5}),
            "conclusions": forms.Textarea(attrs={"rows": 6}),
            "references": forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
            "case_studies": forms.CheckboxSelectMultiple,
            "question_groups": forms.CheckboxSelectMultiple,
            "questions": forms.CheckboxSelectMultiple,
            "phases": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, project: ResearchProject, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.fields["case_studies"].queryset = CaseStudy.objects.filter(project=project).order_by("order", "title")
        self.fields["question_groups"].queryset = QuestionGroup.objects.filter(project=project)
        self.fields["questions"].queryset = ResearchQuestion.objects.filter(group__project=project).in_order()
        self.fields["phases"].queryset = FieldworkPhase.objects.filter(project=project)
        if not self.instance.pk:
            self.initial.setdefault("series", "Working Paper")

    CITING_FIELDS = ("abstract", "key_findings", "introduction", "methods_note", "implications", "conclusions")

    def clean(self):
        cleaned = super().clean()
        try:
            references = References.parse(cleaned.get("references", ""))
        except ValidationError as error:
            self.add_error("references", error)
            return cleaned
        narratives = []
        if self.instance.pk:
            narratives = [
                *self.instance.group_narratives.values_list("text", flat=True),
                *self.instance.question_narratives.values_list("text", flat=True),
            ]
        missing = references.missing(*(cleaned.get(name, "") for name in self.CITING_FIELDS), *narratives)
        if missing:
            self.add_error("references", _missing_message(missing))
        return cleaned


class NarrativesForm(forms.Form):
    """One Markdown text for each question group and each research question of the project, in order."""

    def __init__(self, *args, paper: WorkingPaper, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.paper = paper
        group_texts = dict(paper.group_narratives.values_list("group_id", "text"))
        question_texts = dict(paper.question_narratives.values_list("question_id", "text"))
        self.groups = list(QuestionGroup.objects.filter(project=paper.project).prefetch_related("questions"))
        self.sections = []
        for group in self.groups:
            group_field = f"group_{group.pk}"
            self.fields[group_field] = forms.CharField(
                required=False,
                label=f"{group.title}: opening text",
                initial=group_texts.get(group.pk, ""),
                widget=forms.Textarea(attrs={"rows": 4}),
            )
            names = [group_field]
            for question in group.questions.all():
                name = f"question_{question.pk}"
                self.fields[name] = forms.CharField(
                    required=False,
                    label=str(question),
                    initial=question_texts.get(question.pk, ""),
                    widget=forms.Textarea(attrs={"rows": 5}),
                )
                names.append(name)
            self.sections.append((group, " ".join(names)))
        plain_text_fields(self)

    def clean(self):
        cleaned = super().clean()
        missing = References.saved(self.paper.references).missing(
            *(text for text in cleaned.values() if isinstance(text, str))
        )
        if missing:
            raise ValidationError(_missing_message(missing))
        return cleaned

    def group_texts(self) -> dict:
        return {group: self.cleaned_data[f"group_{group.pk}"] for group in self.groups}

    def question_texts(self) -> dict:
        return {
            question: self.cleaned_data[f"question_{question.pk}"]
            for group in self.groups
            for question in group.questions.all()
        }


class BuildForm(forms.Form):
    format = forms.ChoiceField(choices=PaperFormat.choices)


class QuotationChoiceForm(forms.Form):
    """A lead's choice for one passage under one of the paper's questions."""

    question = forms.ModelChoiceField(queryset=ResearchQuestion.objects.none())
    excerpt = forms.IntegerField(min_value=1)
    choice = forms.ChoiceField(choices=[*QuotationChoice.Choice.choices, ("clear", "Clear")])

    def __init__(self, *args, paper: WorkingPaper, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].queryset = ResearchQuestion.objects.filter(group__project=paper.project)


def _missing_message(keys: list[str]) -> str:
    cited = ", ".join(f"[@{key}]" for key in dict.fromkeys(keys))
    return f"Cited but not in the references: {cited}. Add their BibTeX entries, or correct the keys."
