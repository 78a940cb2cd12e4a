"""The admin's Organisation page with its participants inline, where admins type real names."""

import pytest
from django.views.debug import technical_500_response

from casestudies.models import Participant, Sector
from tests.factories import make_admin, make_organisation, make_participant, make_project

pytestmark = pytest.mark.django_db


def _inline_post(organisation_fields: dict, *participants: dict, initial: int = 0) -> dict:
    data = {
        **organisation_fields,
        "participants-TOTAL_FORMS": str(len(participants)),
        "participants-INITIAL_FORMS": str(initial),
        "participants-MIN_NUM_FORMS": "0",
        "participants-MAX_NUM_FORMS": "1000",
    }
    for i, participant in enumerate(participants):
        data.update({f"participants-{i}-{name}": value for name, value in participant.items()})
        data.setdefault(f"participants-{i}-anonymity", Participant.Anonymity.PSEUDONYM)
    return data


def test_admin_adds_an_organisation_with_a_participant_in_the_project_of_the_organisation(client):
    project = make_project()
    client.force_login(make_admin())
    response = client.post(
        "/admin/casestudies/organisation/add/",
        _inline_post(
            {"project": project.pk, "name": "Riverside Housing", "sector": Sector.THIRD, "kind": "Housing association"},
            {"pseudonym": "Ruth", "real_name": "Ruth Example", "role_title": "Chief executive"},
        ),
    )
    assert response.status_code == 302
    participant = Participant.objects.get(pseudonym="Ruth")
    assert participant.project == project
    assert participant.organisation.name == "Riverside Housing"
    assert participant.real_name == "Ruth Example"


def test_admin_adds_a_participant_under_an_existing_organisation(client):
    project = make_project()
    organisation = make_organisation(project, name="Council")
    client.force_login(make_admin())
    response = client.post(
        f"/admin/casestudies/organisation/{organisation.pk}/change/",
        _inline_post(
            {"project": project.pk, "name": "Council", "sector": organisation.sector, "kind": ""},
            {"pseudonym": "Sam", "real_name": "Sam Example", "organisation": organisation.pk},
        ),
    )
    assert response.status_code == 302
    assert Participant.objects.get(pseudonym="Sam").project == project


def test_a_pseudonym_taken_in_the_project_is_a_form_error_not_a_server_error(client):
    project = make_project()
    make_participant(project, pseudonym="Ruth")
    organisation = make_organisation(project, name="Council")
    client.force_login(make_admin())
    response = client.post(
        f"/admin/casestudies/organisation/{organisation.pk}/change/",
        _inline_post(
            {"project": project.pk, "name": "Council", "sector": organisation.sector, "kind": ""},
            {"pseudonym": "Ruth", "real_name": "Another Ruth", "organisation": organisation.pk},
        ),
    )
    assert response.status_code == 200
    assert "Participant with this Project and Pseudonym already exists." in response.content.decode()
    assert Participant.objects.filter(pseudonym="Ruth").count() == 1


def test_the_debug_error_page_does_not_show_a_real_name_typed_in_the_admin(client, settings):
    project = make_project()
    client.force_login(make_admin())
    response = client.post(
        "/admin/casestudies/organisation/add/",
        _inline_post(
            {"project": project.pk, "name": "Riverside Housing", "sector": Sector.THIRD, "kind": ""},
            {"pseudonym": "Ruth", "real_name": "Ruth Confidential", "role_title": "Chief executive"},
        ),
    )
    assert response.status_code == 302
    settings.DEBUG = True
    # The error page for that request, as DEBUG would show it had saving failed (no traceback: only the request).
    page = technical_500_response(response.wsgi_request, None, None, None).content.decode()
    assert "participants-0-real_name" in page
    assert "Ruth Confidential" not in page
    assert "Chief executive" in page
