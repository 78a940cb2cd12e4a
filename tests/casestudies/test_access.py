"""Who sees what: roles × pages × records. Anything outside a user's reach is a 404 that names nothing."""

import pytest
from django.urls import reverse

from tests.factories import (
    make_admin,
    make_case_study,
    make_interview,
    make_lead,
    make_participant,
    make_project,
    make_researcher,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two projects; a researcher on one case study; a lead of project A; an outsider; an admin."""
    project_a = make_project(title="Project Alpha", slug="alpha")
    project_b = make_project(title="Project Beta", slug="beta")
    mine = make_case_study(project_a, title="Mergers in the North", slug="mergers")
    theirs = make_case_study(project_a, title="Secret Consortium Study", slug="consortium")
    other_project = make_case_study(project_b, title="Hidden Beta Study", slug="hidden")
    mine_interview = make_interview(mine, title="Interview in my case")
    theirs_interview = make_interview(theirs, title="Confidential consortium interview")
    scoping_a = make_interview(None, project=project_a, title="Scoping A")
    scoping_b = make_interview(None, project=project_b, title="Scoping Beta confidential")
    participant_mine = make_participant(project_a, pseudonym="Ruth")
    participant_theirs = make_participant(project_a, pseudonym="Declan")
    mine_interview.participants.add(participant_mine)
    theirs_interview.participants.add(participant_theirs)
    return {
        "project_a": project_a,
        "project_b": project_b,
        "mine": mine,
        "theirs": theirs,
        "other_project": other_project,
        "mine_interview": mine_interview,
        "theirs_interview": theirs_interview,
        "scoping_a": scoping_a,
        "scoping_b": scoping_b,
        "participant_mine": participant_mine,
        "participant_theirs": participant_theirs,
        "researcher": make_researcher(project_a, mine),
        "lead": make_lead(project_a),
        "outsider": make_user(),
        "admin": make_admin(),
    }


def _url(world, name: str) -> str:
    match name:
        case "project_a" | "project_b":
            return reverse("casestudies:project", args=[world[name].slug])
        case "case_study_list_a":
            return reverse("casestudies:case_study_list", args=["alpha"])
        case "mine" | "theirs" | "other_project":
            return world[name].get_absolute_url()
        case "mine_interview" | "theirs_interview" | "scoping_a" | "scoping_b":
            return world[name].get_absolute_url()
        case "participant_mine" | "participant_theirs":
            return world[name].get_absolute_url()
    raise AssertionError(name)


# Expected status per (user, page). The researcher reaches their own case study, its interview and
# participant, and the project's scoping interviews; nothing else.
MATRIX = {
    "researcher": {
        "project_a": 200,
        "project_b": 404,
        "case_study_list_a": 200,
        "mine": 200,
        "theirs": 404,
        "other_project": 404,
        "mine_interview": 200,
        "theirs_interview": 404,
        "scoping_a": 200,
        "scoping_b": 404,
        "participant_mine": 200,
        "participant_theirs": 404,
    },
    "lead": {
        "project_a": 200,
        "project_b": 404,
        "case_study_list_a": 200,
        "mine": 200,
        "theirs": 200,
        "other_project": 404,
        "mine_interview": 200,
        "theirs_interview": 200,
        "scoping_a": 200,
        "scoping_b": 404,
        "participant_mine": 200,
        "participant_theirs": 200,
    },
    "outsider": {
        "project_a": 404,
        "project_b": 404,
        "case_study_list_a": 404,
        "mine": 404,
        "theirs": 404,
        "other_project": 404,
        "mine_interview": 404,
        "theirs_interview": 404,
        "scoping_a": 404,
        "scoping_b": 404,
        "participant_mine": 404,
        "participant_theirs": 404,
    },
    "admin": dict.fromkeys(
        [
            "project_a",
            "project_b",
            "case_study_list_a",
            "mine",
            "theirs",
            "other_project",
            "mine_interview",
            "theirs_interview",
            "scoping_a",
            "scoping_b",
            "participant_mine",
            "participant_theirs",
        ],
        200,
    ),
}
CASES = [(role, page, status) for role, pages in MATRIX.items() for page, status in pages.items()]
HIDDEN_TITLES = [
    "Secret Consortium Study",
    "Hidden Beta Study",
    "Confidential consortium interview",
    "Beta confidential",
]


@pytest.mark.parametrize(("role", "page", "status"), CASES)
def test_each_role_sees_exactly_its_records(client, world, role, page, status):
    client.force_login(world[role])
    response = client.get(_url(world, page))
    assert response.status_code == status
    if status == 404:
        text = response.content.decode()
        assert not any(title in text for title in HIDDEN_TITLES)


@pytest.mark.parametrize("page", sorted(MATRIX["admin"]))
def test_anonymous_visitors_are_sent_to_log_in(client, world, page):
    url = _url(world, page)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_researcher_case_study_list_shows_only_their_case_studies(client, world):
    client.force_login(world["researcher"])
    text = client.get(_url(world, "case_study_list_a")).content.decode()
    assert "Mergers in the North" in text
    assert "Secret Consortium Study" not in text


def test_researcher_dashboard_lists_scoping_interviews_of_their_project_only(client, world):
    client.force_login(world["researcher"])
    text = client.get(_url(world, "project_a")).content.decode()
    assert "Scoping A" in text
    assert "Scoping Beta confidential" not in text
    assert "Secret Consortium Study" not in text


@pytest.mark.parametrize(("role", "status"), [("researcher", 403), ("outsider", 404), ("lead", 200), ("admin", 200)])
def test_only_leads_and_admins_open_the_edit_forms(client, world, role, status):
    client.force_login(world[role])
    assert client.get(reverse("casestudies:case_study_edit", args=["alpha", "mergers"])).status_code == status
    assert client.get(reverse("casestudies:interview_edit", args=[world["mine_interview"].pk])).status_code == status
    assert (
        client.get(reverse("casestudies:participant_edit", args=[world["participant_mine"].pk])).status_code == status
    )
    new_status = 404 if role == "outsider" else status
    assert client.get(reverse("casestudies:case_study_create", args=["alpha"])).status_code == new_status


def test_real_names_are_shown_to_admins_only(client, world):
    participant = world["participant_mine"]
    for role, shown in [("researcher", False), ("lead", False), ("admin", True)]:
        client.force_login(world[role])
        for url in [participant.get_absolute_url(), reverse("casestudies:participant_list", args=["alpha"])]:
            text = client.get(url).content.decode()
            assert (participant.real_name in text) is shown, (role, url)
        edit = client.get(reverse("casestudies:participant_edit", args=[participant.pk]))
        if role == "researcher":
            assert edit.status_code == 403
            continue
        assert edit.status_code == 200
        assert ("real_name" in edit.content.decode()) is shown, role


def test_case_study_lead_researcher_may_edit_their_case_study(client, world):
    from casestudies.models import CaseStudyMembership

    CaseStudyMembership.objects.filter(case_study=world["mine"], user=world["researcher"]).update(role="lead")
    client.force_login(world["researcher"])
    assert client.get(reverse("casestudies:case_study_edit", args=["alpha", "mergers"])).status_code == 200
    assert client.get(reverse("casestudies:case_study_edit", args=["alpha", "consortium"])).status_code == 404


def test_the_admin_keeps_a_coded_transcript_read_only(client, world):
    from tests.factories import make_excerpt

    interview = world["mine_interview"]
    client.force_login(world["admin"])
    url = reverse("admin:casestudies_interview_change", args=[interview.pk])
    assert 'name="transcript"' in client.get(url).content.decode()
    make_excerpt(interview, start=0, end=11)
    assert 'name="transcript"' not in client.get(url).content.decode()
