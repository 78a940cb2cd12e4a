import pytest
from django.urls import reverse

from casestudies.models import CaseStudy, Interview, Participant
from tests.factories import make_case_study, make_lead, make_organisation, make_project, make_researcher
from tests.querycounts import assert_flat, grow_coded_material

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return make_project(slug="alpha")


def test_lead_creates_a_case_study_with_forms_of_partnership(client, project):
    client.force_login(make_lead(project))
    response = client.post(
        reverse("casestudies:case_study_create", args=["alpha"]),
        {
            "title": "Consortia in the North East",
            "slug": "consortia-ne",
            "level_of_analysis": "partnership",
            "status": "planned",
            "forms_of_partnership": "Consortium, Shared back office",
        },
    )
    case_study = CaseStudy.objects.get(slug="consortia-ne")
    assert response.status_code == 302
    assert response["Location"] == case_study.get_absolute_url()
    assert set(case_study.forms_of_partnership.names()) == {"Consortium", "Shared back office"}
    page = client.get(case_study.get_absolute_url()).content.decode()
    assert "Consortia in the North East" in page and "Shared back office" in page


def test_a_duplicate_case_study_slug_is_refused_with_a_message(client, project):
    make_case_study(project, slug="taken")
    client.force_login(make_lead(project))
    response = client.post(
        reverse("casestudies:case_study_create", args=["alpha"]),
        {"title": "Another", "slug": "taken", "level_of_analysis": "sector", "status": "planned"},
    )
    assert response.status_code == 200
    assert "Case study with this Project and Slug already exists." in response.content.decode()
    assert CaseStudy.objects.filter(slug="taken").count() == 1


def test_a_scoping_interview_with_a_case_study_is_refused(client, project):
    case_study = make_case_study(project)
    client.force_login(make_lead(project))
    response = client.post(
        reverse("casestudies:interview_create", args=["alpha"]),
        {"title": "Scoping: umbrella body", "phase": "scoping", "case_study": case_study.pk},
    )
    assert response.status_code == 200
    assert "A scoping interview belongs to no case study: leave this empty." in response.content.decode()
    assert not Interview.objects.exists()


def test_a_case_study_interview_needs_its_case_study(client, project):
    client.force_login(make_lead(project))
    response = client.post(
        reverse("casestudies:interview_create", args=["alpha"]),
        {"title": "Chief executive", "phase": "case_study"},
    )
    assert "Choose the case study this interview belongs to." in response.content.decode()
    assert not Interview.objects.exists()


def test_a_pasted_transcript_is_normalised_once_on_creation(client, project):
    case_study = make_case_study(project)
    client.force_login(make_lead(project))
    client.post(
        reverse("casestudies:interview_create", args=["alpha"]),
        {
            "title": "Chief executive",
            "phase": "case_study",
            "case_study": case_study.pk,
            "date": "2011-05-12",
            "transcript": "\ufeffInterviewer: Hello\r\n\r\nRuth: Hi 🙂",
        },
    )
    interview = Interview.objects.get()
    assert interview.transcript == "Interviewer: Hello\n\nRuth: Hi 🙂"
    page = client.get(interview.get_absolute_url()).content.decode()
    assert "12 May 2011" in page
    assert '<strong class="speaker">Ruth:</strong> Hi 🙂' in page


def test_a_researcher_cannot_add_an_interview(client, project):
    case_study = make_case_study(project)
    client.force_login(make_researcher(project, case_study))
    response = client.post(
        reverse("casestudies:interview_create", args=["alpha"]),
        {"title": "Sneaky", "phase": "case_study", "case_study": case_study.pk},
    )
    assert response.status_code == 403
    assert not Interview.objects.exists()


def test_a_participant_cannot_belong_to_another_projects_organisation(client, project):
    foreign = make_organisation(make_project())
    client.force_login(make_lead(project))
    response = client.post(
        reverse("casestudies:participant_create", args=["alpha"]),
        {"pseudonym": "Ruth", "organisation": foreign.pk, "anonymity": "pseudonym"},
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Participant.objects.exists()


def test_transcript_text_is_escaped_on_the_page(client, project):
    from tests.factories import make_interview

    interview = make_interview(make_case_study(project), transcript="Ruth: <script>alert(1)</script>")
    client.force_login(make_lead(project))
    page = client.get(interview.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_dashboard_lists_case_studies_with_counts_in_a_fixed_number_of_queries(client, project):
    from tests.factories import make_code, make_interview, make_question

    for _ in range(5):
        case_study = make_case_study(project)
        make_interview(case_study)
    make_question(project)
    lead = make_lead(project)
    client.force_login(lead)

    def grow() -> None:
        grow_coded_material(project, codes=[make_code(project)], coded_by=lead, case_studies=6)
        make_interview(project=project, phase="scoping")
        make_question(project)
        make_question(project)

    # Two of them say where the user can carry on coding (or start), one the role beside the name.
    assert_flat(lambda: client.get(project.get_absolute_url()), grow, expected=15)
    assert client.get(project.get_absolute_url()).status_code == 200


def test_the_case_study_list_takes_a_fixed_number_of_queries_however_many_case_studies(client, project):
    from tests.factories import make_code, make_interview

    for _ in range(3):
        make_interview(make_case_study(project, core_organisation=make_organisation(project)))
    lead = make_lead(project)
    client.force_login(lead)
    url = reverse("casestudies:case_study_list", args=[project.slug])

    def grow() -> None:
        grow_coded_material(project, codes=[make_code(project)], coded_by=lead, case_studies=4)
        make_case_study(project, core_organisation=make_organisation(project))

    assert_flat(lambda: client.get(url), grow, expected=8)
    page = client.get(url).content.decode()
    assert all(title in page for title in CaseStudy.objects.values_list("title", flat=True))


def test_the_participant_list_takes_a_fixed_number_of_queries_however_many_participants(client, project):
    from tests.factories import make_code, make_interview, make_participant

    interview = make_interview(make_case_study(project))
    interview.participants.set([make_participant(project, organisation=make_organisation(project))])
    lead = make_lead(project)
    client.force_login(lead)
    url = reverse("casestudies:participant_list", args=[project.slug])

    def grow() -> None:
        grow_coded_material(project, codes=[make_code(project)], coded_by=lead, case_studies=3)
        make_participant(project)

    assert_flat(lambda: client.get(url), grow, expected=6)
    page = client.get(url).content.decode()
    assert all(pseudonym in page for pseudonym in Participant.objects.values_list("pseudonym", flat=True))
