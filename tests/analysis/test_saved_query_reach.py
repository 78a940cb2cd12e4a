"""A saved code query never shows, to someone running it, the case studies outside their reach."""

import pytest
from django.urls import reverse

from analysis import services
from tests.factories import (
    make_case_study,
    make_code,
    make_excerpt,
    make_interview,
    make_lead,
    make_project,
    make_researcher,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    project = make_project(slug="q")
    alpha = make_case_study(project, title="Alpha housing", order=1)
    secret = make_case_study(project, title="Secret merger in Barnsley", order=2)
    a, b = make_code(project, name="A"), make_code(project, name="B")
    lead = make_lead(project, username="lead")
    researcher = make_researcher(project, alpha, username="rafi")
    mine = make_interview(alpha, title="Alpha interview", transcript="m" * 50)
    hidden = make_interview(secret, title="Barnsley chief executive", transcript="s" * 50)
    make_excerpt(mine, start=0, end=10, codes=[a], coded_by=lead)
    make_excerpt(hidden, start=0, end=10, codes=[a], coded_by=lead)
    only_secret = services.save_code_query(
        project=project, owner=lead, name="Merger only", code_a=a, operator="or", code_b=b, case_studies=[secret]
    )
    both = services.save_code_query(
        project=project, owner=lead, name="Both", code_a=a, operator="or", code_b=b, case_studies=[alpha, secret]
    )
    return project, alpha, secret, lead, researcher, (a, b), only_secret, both


def test_a_researcher_sees_no_title_of_a_case_study_outside_their_reach(client, world):
    project, alpha, secret, _, researcher, (a, b), *_ = world
    client.force_login(researcher)
    page = client.get(reverse("analysis:queries", args=[project.slug])).content.decode()
    assert "Secret merger in Barnsley" not in page
    assert "within Alpha housing and 1 case study outside your reach" in page
    # A query limited only to case studies outside their reach is not theirs to see, its name included.
    assert "Merger only" not in page


def test_a_researcher_runs_a_saved_query_only_over_the_case_studies_they_can_see(client, world):
    project, alpha, secret, _, researcher, (a, b), only_secret, both = world
    client.force_login(researcher)
    url = reverse("analysis:queries", args=[project.slug])
    response = client.get(url)
    runs = {item["query"].name: item["run"] for item in response.context["saved_queries"]}
    assert runs == {"Both": f"code_a={a.pk}&operator=or&code_b={b.pk}&case_studies={alpha.pk}"}
    again = client.get(f"{url}?{runs['Both']}")
    assert again.context["total"] == 1
    assert "Barnsley" not in again.content.decode()
    forced = client.get(url, {"code_a": a.pk, "operator": "or", "code_b": b.pk, "case_studies": secret.pk})
    assert forced.status_code == 400
    assert "Barnsley" not in forced.content.decode()


def test_a_researcher_cannot_delete_a_saved_query_outside_their_reach(client, world):
    project, _, _, _, researcher, _, only_secret, _ = world
    client.force_login(researcher)

    response = client.post(reverse("analysis:query_delete", args=[project.slug, only_secret.pk]))

    assert response.status_code == 404
    assert type(only_secret).objects.filter(pk=only_secret.pk).exists()


def test_a_lead_sees_every_case_study_a_saved_query_is_limited_to(client, world):
    project, alpha, secret, lead, *_ = world
    client.force_login(lead)
    page = client.get(reverse("analysis:queries", args=[project.slug])).content.decode()
    assert "within Alpha housing, Secret merger in Barnsley" in page
    assert "outside your reach" not in page
