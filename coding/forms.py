from __future__ import annotations

from django import forms

from casestudies.models import CaseStudy, PhaseKind, ResearchProject, ResearchQuestion
from casestudies.validators import MAX_DEFINITION_LENGTH, MAX_TAGS, PlainTextForm, split_tags

from .colours import CODE_COLOURS
from .models import Code
from .tree import CodeTree


class CodeChoiceField(forms.ModelChoiceField):
    """Codes shown with their path, so that two "Other" codes under different parents can be told apart."""

    def __init__(self, *, rows: list[tuple[Code, int, str]], **kwargs) -> None:
        self.paths = {code.pk: path for code, _, path in rows}
        super().__init__(queryset=Code.objects.filter(pk__in=list(self.paths)), **kwargs)
        self.choices = [("", kwargs.get("empty_label", "---------"))] if not self.required else []
        self.choices += [(code.pk, path) for code, _, path in rows]

    def label_from_instance(self, obj: Code) -> str:
        return self.paths.get(obj.pk, obj.name)


class CodeForm(PlainTextForm, forms.Form):
    name = forms.CharField(max_length=200)
    parent = forms.ModelChoiceField(
        queryset=Code.objects.none(),
        required=False,
        empty_label="— Top of the codebook —",
        help_text="Where the code sits in the tree.",
    )
    definition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=MAX_DEFINITION_LENGTH,
        help_text="When to apply this code, and when not to: what a second coder needs to know.",
    )
    colour = forms.ChoiceField(
        required=False,
        widget=forms.RadioSelect,
        help_text="“Automatic” takes the colour-blind-safe colour most distinct from the other codes beside it.",
    )
    research_questions = forms.ModelMultipleChoiceField(
        queryset=ResearchQuestion.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The research questions this code helps to answer.",
    )
    tags = forms.CharField(
        required=False, help_text=f"Separate with commas, e.g. “housing, finance”; at most {MAX_TAGS}."
    )
    is_codable = forms.BooleanField(
        required=False,
        initial=True,
        label="Can be applied to excerpts",
        help_text="Untick for a heading that only groups other codes.",
    )

    def __init__(self, *args, project: ResearchProject, code: Code | None = None, **kwargs) -> None:
        if code is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": code.name,
                    "parent": code.parent_id,
                    "definition": code.definition,
                    "colour": code.colour,
                    "research_questions": list(code.research_questions.all()),
                    "tags": ", ".join(sorted(tag.name for tag in code.tags.all())),
                    "is_codable": code.is_codable,
                },
            )
        super().__init__(*args, **kwargs)
        if code is None:
            self.fields["colour"].choices = [("", "Automatic"), *CODE_COLOURS]
        else:
            current = code.colour.lower()
            extra = [] if current in dict(CODE_COLOURS) else [(current, "Its current colour")]
            self.fields["colour"].choices = [*extra, *CODE_COLOURS]
            self.fields["colour"].required = True
            self.fields["colour"].help_text = ""
            self.initial["colour"] = current
        tree = CodeTree.of(project)
        rows = tree.rows()
        if code is not None:
            excluded = set(tree.descendants(code.pk))
            rows = [row for row in rows if row[0].pk not in excluded]
        self.fields["parent"] = CodeChoiceField(
            rows=rows,
            required=False,
            empty_label="— Top of the codebook —",
            help_text=self.fields["parent"].help_text,
        )
        questions = ResearchQuestion.objects.filter(group__project=project).in_order()
        self.fields["research_questions"].queryset = questions
        self.fields["research_questions"].label_from_instance = lambda q: f"{q.short_label} {q.text}".strip()

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data["tags"])

    def tag_names(self) -> list[str]:
        return self.cleaned_data["tags"]


class MergeForm(PlainTextForm, forms.Form):
    target = forms.ModelChoiceField(queryset=Code.objects.none(), label="Merge into")

    def __init__(self, *args, code: Code, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        tree = CodeTree.of(code.project)
        excluded = set(tree.descendants(code.pk))
        self.fields["target"] = CodeChoiceField(
            rows=[row for row in tree.rows() if row[0].pk not in excluded],
            label="Merge into",
            help_text="Its excerpts, sub-codes, memos and research-question links move to this code.",
        )


SCOPING = "scoping"


class RetrievalFilterForm(PlainTextForm, forms.Form):
    """The filters of a retrieval page; every choice is limited to what the user can see."""

    case_study = forms.ChoiceField(required=False, label="Case study")
    phase = forms.ChoiceField(required=False, choices=[("", "All phases"), *PhaseKind.choices])
    coder = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    code = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        *args,
        case_studies: list[CaseStudy],
        coders: list[tuple[int, str]],
        codes: list[tuple[Code, int, str]] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case_studies = {str(case_study.pk): case_study for case_study in case_studies}
        self.fields["case_study"].choices = [
            ("", "All case studies"),
            *((str(cs.pk), cs.title) for cs in case_studies),
            (SCOPING, "Scoping interviews (no case study)"),
        ]
        self.fields["coder"].choices = [("", "All coders"), *((str(pk), name) for pk, name in coders)]
        if codes is None:
            del self.fields["code"]
        else:
            self.fields["code"].choices = [("", "All codes"), *((str(code.pk), path) for code, _, path in codes)]

    def filters(self) -> dict:
        """Keyword arguments for `retrieval_excerpts`, from valid input; no filtering from invalid input."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        chosen = data.get("case_study") or ""
        return {
            "case_study": self.case_studies.get(chosen),
            "scoping_only": chosen == SCOPING,
            "phase": data.get("phase") or "",
            "coder_id": data.get("coder"),
        }
