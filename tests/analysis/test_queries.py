import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from analysis import services
from analysis.models import QueryOperator, SavedQuery
from analysis.queries import run_code_query
from analysis.selectors import Scope, coded, coding_frame
from tests.factories import (
    make_case_study,
    make_code,
    make_excerpt,
    make_interview,
    make_lead,
    make_project,
    make_researcher,
)
from tests.querycounts import assert_flat, grow_coded_material

pytestmark = pytest.mark.django_db


@pytest.fixture
def texts():
    """
    interview T: x1 [0,10) A+B · x2 [5,15) B · x3 [20,30) A · x4 [33,40) C · x5 [50,60) A (coded by bob)
    interview U (other case study): y1 [0,5) A · y2 [3,8) B
    """
    project = make_project(slug="q")
    one, two = make_case_study(project, title="One", order=1), make_case_study(project, title="Two", order=2)
    a, b, c = (make_code(project, name=name, order=n) for n, name in enumerate("ABC"))
    t = make_interview(one, title="T", transcript="t" * 100)
    u = make_interview(two, title="U", transcript="u" * 100)
    lead, bob = make_lead(project, username="lead"), make_researcher(project, one, username="bob")
    x = {
        "x1": make_excerpt(t, start=0, end=10, codes=[a, b], coded_by=lead),
        "x2": make_excerpt(t, start=5, end=15, codes=[b], coded_by=lead),
        "x3": make_excerpt(t, start=20, end=30, codes=[a], coded_by=lead),
        "x4": make_excerpt(t, start=33, end=40, codes=[c], coded_by=lead),
        "x5": make_excerpt(t, start=50, end=60, codes=[a], coded_by=bob),
        "y1": make_excerpt(u, start=0, end=5, codes=[a], coded_by=lead),
        "y2": make_excerpt(u, start=3, end=8, codes=[b], coded_by=lead),
    }
    return project, lead, bob, (one, two), (a, b, c), x


def found(texts, operator, first="A", second="B", distance=None, scope=None):
    project, lead, _, _, codes, x = texts
    by_name = {code.name: code.pk for code in codes}
    frame = coded(coding_frame(lead, project, scope or Scope()))
    ids = run_code_query(frame, code_a=by_name[first], operator=operator, code_b=by_name[second], distance=distance)
    names = {excerpt.pk: name for name, excerpt in x.items()}
    return [names[pk] for pk in ids]


def test_and_finds_a_excerpts_overlapping_b_text(texts):
    assert found(texts, QueryOperator.AND) == ["x1", "y1"]


def test_or_finds_either(texts):
    assert found(texts, QueryOperator.OR) == ["x1", "x2", "x3", "x5", "y1", "y2"]


def test_not_leaves_out_a_excerpts_that_touch_b_text(texts):
    assert found(texts, QueryOperator.NOT) == ["x3", "x5"]


def test_within_n_characters(texts):
    assert found(texts, QueryOperator.NEAR, "A", "C", distance=3) == ["x3"]
    assert found(texts, QueryOperator.NEAR, "A", "C", distance=2) == []
    assert found(texts, QueryOperator.NEAR, "C", "A", distance=10) == ["x4"]
    assert found(texts, QueryOperator.NEAR, "A", "B", distance=5) == ["x1", "x3", "y1"]


def test_limits_by_case_study_and_coder(texts):
    _, _, bob, (one, _), *_ = texts
    assert found(texts, QueryOperator.OR, scope=Scope(case_study_ids=(one.pk,))) == ["x1", "x2", "x3", "x5"]
    assert found(texts, QueryOperator.OR, scope=Scope(coder_id=bob.pk)) == ["x5"]


def test_the_page_runs_saves_and_reruns_a_query(client, texts):
    project, lead, _, (one, _), (a, b, _), x = texts
    client.force_login(lead)
    url = reverse("analysis:queries", args=[project.slug])
    params = {"code_a": a.pk, "operator": "not", "code_b": b.pk, "case_studies": one.pk}
    response = client.get(url, params)
    page = response.content.decode()
    assert "“A” and not “B”: 2 excerpts" in page
    assert [row["excerpt"] for row in response.context["rows"]] == [x["x3"], x["x5"]]
    save = client.post(
        f"{reverse('analysis:query_save', args=[project.slug])}?{response.context['query']}", {"name": " Not B "}
    )
    assert save.status_code == 302
    saved = SavedQuery.objects.get()
    assert (saved.name, saved.owner, saved.operator, list(saved.case_studies.all())) == ("Not B", lead, "not", [one])
    listing = client.get(url).content.decode()
    run = f"?code_a={a.pk}&amp;operator=not&amp;code_b={b.pk}&amp;case_studies={one.pk}"
    assert f'<a href="{run}">Not B</a>' in listing
    again = client.get(f"{url}{run.replace('&amp;', '&')}")
    assert again.context["total"] == 2


def test_a_second_query_with_the_same_name_is_refused(texts):
    project, lead, _, _, (a, b, _), _ = texts
    services.save_code_query(project=project, owner=lead, name="Trust", code_a=a, operator="and", code_b=b)
    with pytest.raises(ValidationError) as error:
        services.save_code_query(project=project, owner=lead, name="trust", code_a=a, operator="or", code_b=b)
    assert error.value.message_dict["name"] == ["You already have a query named “trust”; choose another name."]
    assert SavedQuery.objects.count() == 1


def test_a_code_of_another_project_is_refused(texts):
    project, lead, _, _, (a, _, _), _ = texts
    foreign = make_code(make_project(), name="Elsewhere")
    with pytest.raises(ValidationError) as error:
        services.save_code_query(project=project, owner=lead, name="X", code_a=a, operator="and", code_b=foreign)
    assert error.value.message_dict["code_a"] == ["The code “Elsewhere” belongs to another project."]
    assert not SavedQuery.objects.exists()


def test_near_without_n_is_refused_on_the_page(client, texts):
    project, lead, _, _, (a, b, _), _ = texts
    client.force_login(lead)
    response = client.get(
        reverse("analysis:queries", args=[project.slug]), {"code_a": a.pk, "operator": "near", "code_b": b.pk}
    )
    assert response.status_code == 400
    assert "Give N, the most characters allowed between the two codes’ excerpts." in response.content.decode()


def test_only_the_owner_or_a_lead_deletes_a_saved_query(client, texts):
    project, lead, bob, _, (a, b, _), _ = texts
    query = services.save_code_query(project=project, owner=lead, name="Mine", code_a=a, operator="and", code_b=b)
    client.force_login(bob)
    url = reverse("analysis:query_delete", args=[project.slug, query.pk])
    assert client.post(url).status_code == 403
    assert SavedQuery.objects.exists()
    client.force_login(lead)
    assert client.post(url).status_code == 302
    assert not SavedQuery.objects.exists()


def test_results_export_as_csv(client, texts):
    project, lead, _, _, (a, b, _), x = texts
    client.force_login(lead)
    response = client.get(
        reverse("analysis:queries", args=[project.slug]),
        {"code_a": a.pk, "operator": "and", "code_b": b.pk, "format": "csv"},
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [int(row["Excerpt ID"]) for row in rows] == [x["x1"].pk, x["y1"].pk]


def test_a_researcher_gets_no_results_from_outside_their_case_studies(client, texts):
    project, _, bob, _, (a, b, _), x = texts
    client.force_login(bob)
    response = client.get(
        reverse("analysis:queries", args=[project.slug]), {"code_a": a.pk, "operator": "or", "code_b": b.pk}
    )
    assert [row["excerpt"] for row in response.context["rows"]] == [x["x1"], x["x2"], x["x3"], x["x5"]]


def test_the_results_page_counts_its_queries(client, texts):
    project, lead, _, _, (a, b, _), x = texts
    client.force_login(lead)
    url = reverse("analysis:queries", args=[project.slug])
    query = {"code_a": a.pk, "operator": "or", "code_b": b.pk}

    def grow() -> None:
        interviews = [x["x1"].interview, x["y1"].interview]
        grow_coded_material(project, codes=[a, b], coded_by=lead, interviews=interviews)

    assert_flat(lambda: client.get(url, query), grow, expected=17)
    assert client.get(url, query).context["total"] == 24
