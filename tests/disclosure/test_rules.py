"""The reach rules, as each model's `visible_to` applies them, for every role over the trap; and the rule-book's
place below the models it rules on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from analysis.models import SavedQuery
from casestudies.models import CaseStudy, Interview, Participant, ResearchProject
from coding.models import Code, Excerpt
from reports.models import WorkingPaper

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_the_rules_import_no_model_so_the_models_can_import_them():
    for path in (ROOT / "disclosure" / "rules.py", ROOT / "casestudies" / "roles.py"):
        modules = imported_modules(path)
        assert not [name for name in modules if name.endswith("models") and name != "django.db.models"], path
    for app in ("casestudies", "coding", "reports", "analysis"):
        modules = imported_modules(ROOT / app / "models.py")
        assert "disclosure.access" not in modules, app


def test_no_model_reaches_the_loaders_lazily():
    """The models call the rules, never `disclosure.access` (which sits above them), even inside a function."""
    for app in ("casestudies", "coding", "reports", "analysis", "exchange", "history"):
        assert "disclosure.access" not in (ROOT / app / "models.py").read_text(), app


def names(queryset) -> set[str]:
    return {str(row) for row in queryset}


@pytest.fixture
def reach(trap):
    def of(role: str) -> dict[str, set]:
        user = AnonymousUser() if role == "anonymous" else trap.users[role]
        return {
            "projects": set(ResearchProject.objects.visible_to(user).values_list("slug", flat=True)),
            "case_studies": set(CaseStudy.objects.visible_to(user).values_list("slug", flat=True)),
            "interviews": set(Interview.objects.visible_to(user).values_list("title", flat=True)),
            "participants": set(Participant.objects.visible_to(user).values_list("pseudonym", flat=True)),
            "codes": set(Code.objects.visible_to(user).values_list("name", flat=True)),
            "excerpts": {
                key for key, excerpt in trap.excerpts.items() if Excerpt.objects.visible_to(user).filter(pk=excerpt.pk)
            },
            "papers": set(WorkingPaper.objects.visible_to(user).values_list("title", flat=True)),
            "saved_queries": set(SavedQuery.objects.visible_to(user).values_list("name", flat=True)),
        }

    return of


HOUSING = {"Housing one", "Housing no record", "Housing blind"}
EVERY_EXCERPT = {
    "spanning",
    "ruth_names",
    "ruth_surname",
    "jo",
    "interviewer",
    "norecord",
    "blind_lead",
    "blind_other",
    "consortium",
}
OPEN_HOUSING_EXCERPTS = {"spanning", "ruth_names", "ruth_surname", "jo", "interviewer", "norecord"}


@pytest.mark.parametrize("role", ["admin", "lead"])
def test_admins_and_the_projects_leads_see_all_of_it(reach, role):
    seen = reach(role)
    assert seen["projects"] == {"trap"}
    assert seen["case_studies"] == {"housing", "consortium"}
    assert seen["interviews"] == HOUSING | {"Consortium one"}
    assert seen["participants"] == {"Ruth", "Jo", "Priya"}
    assert seen["codes"] == {"Trust"}
    assert seen["excerpts"] == EVERY_EXCERPT
    assert seen["papers"] == {"Trap paper, all case studies", "Trap paper, housing"}
    assert seen["saved_queries"] == {"Consortium trust query"}


@pytest.mark.parametrize(("role", "own_blind"), [("researcher", "blind_lead"), ("coder", "blind_other")])
def test_a_researcher_sees_their_case_study_and_only_their_own_blind_coding(reach, role, own_blind):
    seen = reach(role)
    assert seen["projects"] == {"trap"}
    assert seen["case_studies"] == {"housing"}
    assert seen["interviews"] == HOUSING
    assert seen["participants"] == {"Ruth", "Jo"}
    assert seen["codes"] == {"Trust"}
    assert seen["excerpts"] == OPEN_HOUSING_EXCERPTS | {own_blind}
    assert seen["papers"] == {"Trap paper, housing"}
    assert seen["saved_queries"] == set()


def test_a_revealed_interview_shows_every_coders_excerpts(trap, reach):
    from django.utils import timezone

    Interview.objects.filter(pk=trap.interviews["blind"].pk).update(blind_revealed_at=timezone.now())
    assert reach("researcher")["excerpts"] == OPEN_HOUSING_EXCERPTS | {"blind_lead", "blind_other"}


@pytest.mark.parametrize("role", ["outsider", "anonymous"])
def test_an_outsider_and_a_stranger_see_nothing(reach, role):
    assert reach(role) == {
        "projects": set(),
        "case_studies": set(),
        "interviews": set(),
        "participants": set(),
        "codes": set(),
        "excerpts": set(),
        "papers": set(),
        "saved_queries": set(),
    }


def test_a_switched_off_account_sees_nothing(trap, reach):
    trap.users["lead"].is_active = False
    trap.users["lead"].save(update_fields=["is_active"])
    assert not any(reach("lead").values())


def test_each_rule_answers_in_one_query(trap, django_assert_num_queries):
    researcher = trap.users["researcher"]
    for model in (ResearchProject, CaseStudy, Interview, Participant, Code, Excerpt, WorkingPaper, SavedQuery):
        with django_assert_num_queries(1):
            list(model.objects.visible_to(researcher))
