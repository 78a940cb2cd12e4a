"""What a case-study lead may attach to, move and switch on an interview: never beyond their own reach."""

import pytest
from django.urls import reverse

from casestudies.models import CaseStudyMembership, Interview, PhaseKind
from coding.models import Excerpt
from tests.factories import (
    make_admin,
    make_case_study,
    make_excerpt,
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
    """A case-study lead of "Mine"; "Theirs" is another case study of the same project they are no member of."""
    project = make_project(slug="alpha")
    mine = make_case_study(project, title="Mine", slug="mine")
    theirs = make_case_study(project, title="Theirs", slug="theirs")
    cs_lead = make_researcher(project, username="cs-lead")
    CaseStudyMembership.objects.create(case_study=mine, user=cs_lead, role=CaseStudyMembership.Role.LEAD)
    colleague = make_researcher(project, mine, username="colleague-carla")
    theirs_only = make_user(username="theirs-only-tom")
    CaseStudyMembership.objects.create(case_study=theirs, user=theirs_only)
    outsider = make_user(username="outsider-olga")
    ruth = make_participant(project, pseudonym="Ruth Visible")
    hidden = make_participant(project, pseudonym="Hidden Harriet")
    loose = make_participant(project, pseudonym="Loose Lorna")
    interview = make_interview(mine, title="Chief executive", transcript="Ruth: We trusted them, mostly.")
    interview.participants.set([ruth])
    make_interview(theirs, title="Their interview").participants.set([hidden])
    return {
        "project": project,
        "mine": mine,
        "theirs": theirs,
        "cs_lead": cs_lead,
        "lead": make_lead(project, username="project-lead"),
        "colleague": colleague,
        "theirs_only": theirs_only,
        "outsider": outsider,
        "ruth": ruth,
        "hidden": hidden,
        "loose": loose,
        "interview": interview,
    }


def create_url() -> str:
    return reverse("casestudies:interview_create", args=["alpha"])


def edit_url(interview: Interview) -> str:
    return reverse("casestudies:interview_edit", args=[interview.pk])


def fields(interview: Interview, **changes) -> dict:
    data = {
        "title": interview.title,
        "phase": interview.phase,
        "case_study": interview.case_study_id or "",
        "participants": [p.pk for p in interview.participants.all()],
    }
    data.update(changes)
    return data


def offered(response, name: str) -> set[str]:
    return {str(label) for _, label in response.context["form"].fields[name].choices if _ != ""}


@pytest.mark.parametrize("page", ["create", "edit"])
def test_a_case_study_lead_is_offered_only_participants_and_interviewers_within_their_reach(client, world, page):
    client.force_login(world["cs_lead"])
    response = client.get(create_url() if page == "create" else edit_url(world["interview"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert offered(response, "participants") == {"Ruth Visible"}
    assert "Hidden Harriet" not in html and "Loose Lorna" not in html
    assert offered(response, "interviewer") == {"cs-lead", "colleague-carla", "project-lead"}
    assert "outsider-olga" not in html and "theirs-only-tom" not in html


def test_a_project_lead_is_offered_the_projects_participants_and_people(client, world):
    client.force_login(world["lead"])
    response = client.get(create_url())
    assert offered(response, "participants") == {"Ruth Visible", "Hidden Harriet", "Loose Lorna"}
    assert offered(response, "interviewer") == {"cs-lead", "colleague-carla", "project-lead", "theirs-only-tom"}


def test_an_admin_is_offered_every_active_user_as_interviewer(client, world):
    admin = make_admin(username="admin-ada")
    client.force_login(admin)
    response = client.get(create_url())
    assert {"outsider-olga", "admin-ada", "theirs-only-tom"} <= offered(response, "interviewer")


def test_a_case_study_lead_cannot_attach_an_out_of_reach_participant(client, world):
    client.force_login(world["cs_lead"])
    hidden = world["hidden"]
    response = client.post(
        create_url(),
        {"title": "New one", "phase": "case_study", "case_study": world["mine"].pk, "participants": [hidden.pk]},
    )
    assert response.status_code == 200
    assert f"Select a valid choice. {hidden.pk} is not one of the available choices." in response.content.decode()
    assert not Interview.objects.filter(title="New one").exists()
    interview = world["interview"]
    response = client.post(edit_url(interview), fields(interview, participants=[world["ruth"].pk, hidden.pk]))
    assert f"Select a valid choice. {hidden.pk} is not one of the available choices." in response.content.decode()
    assert list(interview.participants.all()) == [world["ruth"]]


def test_a_case_study_lead_cannot_name_someone_outside_their_reach_as_interviewer(client, world):
    client.force_login(world["cs_lead"])
    interview = world["interview"]
    response = client.post(edit_url(interview), fields(interview, interviewer=world["outsider"].pk))
    assert "Select a valid choice. That choice is not one of the available choices." in response.content.decode()
    interview.refresh_from_db()
    assert interview.interviewer is None


def test_an_interview_keeps_its_interviewer_when_they_are_no_longer_a_member(client, world):
    interview = world["interview"]
    Interview.objects.filter(pk=interview.pk).update(interviewer=world["outsider"])
    client.force_login(world["cs_lead"])
    response = client.post(edit_url(interview), fields(interview, title="Renamed", interviewer=world["outsider"].pk))
    assert response.status_code == 302
    interview.refresh_from_db()
    assert (interview.title, interview.interviewer) == ("Renamed", world["outsider"])


SCOPING_REFUSED = "Only the project’s leads and admins can file a scoping interview; choose another phase."
CASE_STUDY_NEEDED = "Choose one of the case studies you lead."


def test_a_case_study_lead_is_not_offered_scoping_and_cannot_create_a_scoping_interview(client, world):
    client.force_login(world["cs_lead"])
    page = client.get(create_url()).content.decode()
    assert 'value="scoping"' not in page
    response = client.post(create_url(), {"title": "Umbrella body", "phase": "scoping"})
    assert response.status_code == 200
    assert SCOPING_REFUSED in response.content.decode()
    assert not Interview.objects.filter(title="Umbrella body").exists()


def test_a_case_study_lead_cannot_leave_an_interview_outside_any_case_study(client, world):
    client.force_login(world["cs_lead"])
    response = client.post(create_url(), {"title": "Workshop notes", "phase": "workshop"})
    assert CASE_STUDY_NEEDED in response.content.decode()
    assert not Interview.objects.filter(title="Workshop notes").exists()


def test_a_case_study_lead_cannot_move_a_coded_interview_to_scoping(client, world):
    interview = world["interview"]
    excerpt = make_excerpt(interview, start=0, end=10, coded_by=world["colleague"])
    client.force_login(world["cs_lead"])
    response = client.post(edit_url(interview), fields(interview, phase="scoping", case_study=""))
    assert response.status_code == 200
    assert SCOPING_REFUSED in response.content.decode()
    interview.refresh_from_db()
    assert (interview.phase, interview.case_study) == (PhaseKind.CASE_STUDY, world["mine"])
    assert Excerpt.objects.visible_to(world["cs_lead"]).filter(pk=excerpt.pk).exists()


def test_a_case_study_lead_cannot_move_an_interview_to_a_case_study_they_do_not_lead(client, world):
    CaseStudyMembership.objects.create(case_study=world["theirs"], user=world["cs_lead"])
    interview = world["interview"]
    client.force_login(world["cs_lead"])
    response = client.post(edit_url(interview), fields(interview, case_study=world["theirs"].pk))
    assert CASE_STUDY_NEEDED in response.content.decode()
    interview.refresh_from_db()
    assert interview.case_study == world["mine"]


def test_a_project_lead_still_moves_an_interview_to_scoping(client, world):
    interview = world["interview"]
    client.force_login(world["lead"])
    response = client.post(edit_url(interview), fields(interview, phase="scoping", case_study=""))
    assert response.status_code == 302
    interview.refresh_from_db()
    assert (interview.phase, interview.case_study) == (PhaseKind.SCOPING, None)


def test_a_case_study_lead_cannot_switch_blind_coding_through_the_form(client, world):
    interview = world["interview"]
    client.force_login(world["cs_lead"])
    page = client.get(edit_url(interview)).content.decode()
    assert "is_blind_coding" not in page
    response = client.post(edit_url(interview), fields(interview, is_blind_coding="on"))
    assert response.status_code == 302
    interview.refresh_from_db()
    assert not interview.is_blind_coding
    Interview.objects.filter(pk=interview.pk).update(is_blind_coding=True)
    client.post(edit_url(interview), fields(interview, title="Renamed"))
    interview.refresh_from_db()
    assert (interview.title, interview.is_blind_coding, interview.blind_revealed_at) == ("Renamed", True, None)


def test_blind_coding_through_the_form_agrees_with_the_blind_coding_page(client, world):
    interview = world["interview"]
    project = world["project"]
    client.force_login(world["lead"])
    response = client.post(edit_url(interview), fields(interview, is_blind_coding="on"))
    assert response.status_code == 302
    interview.refresh_from_db()
    assert (interview.is_blind_coding, interview.blind_revealed_at) == (True, None)
    client.post(reverse("analysis:blind_coding_change", args=[project.slug, interview.pk, "reveal"]))
    interview.refresh_from_db()
    assert interview.blind_revealed_at is not None
    client.post(edit_url(interview), fields(interview, is_blind_coding="on", title="Untouched"))
    interview.refresh_from_db()
    assert interview.blind_revealed_at is not None
    response = client.post(edit_url(interview), fields(interview))
    assert response.status_code == 302
    interview.refresh_from_db()
    assert (interview.is_blind_coding, interview.blind_revealed_at) == (False, None)
    page = client.get(reverse("analysis:blind_coding", args=[project.slug])).content.decode()
    assert "Revealed on" not in page and "Open" in page


def test_a_new_interview_can_start_under_blind_coding(client, world):
    client.force_login(world["lead"])
    response = client.post(
        create_url(),
        {"title": "Blind one", "phase": "case_study", "case_study": world["mine"].pk, "is_blind_coding": "on"},
    )
    assert response.status_code == 302
    interview = Interview.objects.get(title="Blind one")
    assert (interview.is_blind_coding, interview.blind_revealed_at) == (True, None)


def test_a_case_study_lead_cannot_change_blind_coding_on_the_blind_coding_page(client, world):
    interview = world["interview"]
    client.force_login(world["cs_lead"])
    response = client.post(reverse("analysis:blind_coding_change", args=["alpha", interview.pk, "start"]))
    assert response.status_code == 403
    interview.refresh_from_db()
    assert not interview.is_blind_coding


DISCLOSES = "is the participant’s real name or part of it, so it discloses who they are: choose another pseudonym."


def admin_participant_fields(project, **changes) -> dict:
    data = {
        "project": project.pk,
        "pseudonym": "Ruth",
        "real_name": "Ruth Ellingham",
        "role_title": "Chief executive",
        "anonymity": "pseudonym",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("pseudonym", "warned"),
    [("ruth", True), ("ELLINGHAM", True), (" Ruth  Ellingham ", True), ("Rhiannon", False), ("Ruth E", False)],
)
def test_the_admin_warns_when_a_pseudonym_is_the_real_name(client, pseudonym, warned):
    project = make_project()
    client.force_login(make_admin())
    response = client.post(
        reverse("admin:casestudies_participant_add"),
        admin_participant_fields(project, pseudonym=pseudonym),
        follow=True,
    )
    assert response.status_code == 200
    assert project.participants.count() == 1
    shown = [str(message) for message in response.context["messages"]]
    assert any(DISCLOSES in message for message in shown) is warned


def test_the_admin_warns_about_a_disclosing_pseudonym_in_the_organisation_inline(client):
    from tests.factories import make_organisation

    project = make_project()
    organisation = make_organisation(project)
    participant = make_participant(project, pseudonym="Anon", real_name="Graham Pettifer", organisation=organisation)
    client.force_login(make_admin())
    response = client.post(
        reverse("admin:casestudies_organisation_change", args=[organisation.pk]),
        {
            "project": project.pk,
            "name": organisation.name,
            "sector": organisation.sector,
            "kind": organisation.kind,
            "participants-TOTAL_FORMS": "1",
            "participants-INITIAL_FORMS": "1",
            "participants-0-id": participant.pk,
            "participants-0-organisation": organisation.pk,
            "participants-0-pseudonym": "Pettifer",
            "participants-0-real_name": "Graham Pettifer",
            "participants-0-consent_to_quote": "on",
            "participants-0-anonymity": "pseudonym",
        },
        follow=True,
    )
    assert response.status_code == 200
    participant.refresh_from_db()
    assert participant.pseudonym == "Pettifer"
    shown = [str(message) for message in response.context["messages"]]
    assert "The pseudonym “Pettifer” " + DISCLOSES in shown


@pytest.mark.parametrize(("pseudonym", "warned"), [("Ruth", True), ("Rhiannon", False)])
def test_the_participant_form_warns_when_a_pseudonym_is_the_real_name(client, pseudonym, warned):
    project = make_project()
    client.force_login(make_admin())
    response = client.post(
        reverse("casestudies:participant_create", args=[project.slug]),
        {
            "pseudonym": pseudonym,
            "real_name": "Ruth Ellingham",
            "role_title": "Chief executive",
            "anonymity": "pseudonym",
        },
        follow=True,
    )
    assert project.participants.get().pseudonym == pseudonym
    shown = [str(message) for message in response.context["messages"]]
    assert any(DISCLOSES in message for message in shown) is warned
