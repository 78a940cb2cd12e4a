import random

import pandas as pd
import pytest
from django.urls import reverse

from analysis.cooccurrence import Relation, cooccurrence_matrix, cooccurrence_pairs
from analysis.selectors import FRAME_COLUMNS, Scope, coded, coding_frame
from tests.factories import make_case_study, make_code, make_excerpt, make_interview, make_lead, make_project
from tests.querycounts import assert_flat, grow_coded_material

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded_texts():
    """The pairs within 10 characters, by hand: (x1, x1), (x1, x2), (x3, x1) 10 apart, (x3, x2) 5 apart.

    interview T: x1 [0,10) A+B · x2 [5,15) B · x3 [20,30) A · x4 [33,40) C · x5 [50,60) B
    interview U: y1 [0,5) A · y2 [90,95) B
    """
    project = make_project(slug="co")
    case_study = make_case_study(project)
    a, b, c = (make_code(project, name=name, order=n) for n, name in enumerate("ABC"))
    t = make_interview(case_study, title="T", transcript="t" * 100)
    u = make_interview(case_study, title="U", transcript="u" * 100)
    lead = make_lead(project)
    x = {
        "x1": make_excerpt(t, start=0, end=10, codes=[a, b], coded_by=lead),
        "x2": make_excerpt(t, start=5, end=15, codes=[b], coded_by=lead),
        "x3": make_excerpt(t, start=20, end=30, codes=[a], coded_by=lead),
        "x4": make_excerpt(t, start=33, end=40, codes=[c], coded_by=lead),
        "x5": make_excerpt(t, start=50, end=60, codes=[b], coded_by=lead),
        "y1": make_excerpt(u, start=0, end=5, codes=[a], coded_by=lead),
        "y2": make_excerpt(u, start=90, end=95, codes=[b], coded_by=lead),
    }
    frame = coded(coding_frame(lead, project, Scope()))
    return project, lead, frame, (a, b, c), x


def grid(frame, codes, **options):
    ids = [code.pk for code in codes]
    matrix = cooccurrence_matrix(frame, ids, **options)
    names = {code.pk: code.name for code in codes}
    return {(names[r], names[c]): int(matrix.at[r, c]) for r in ids for c in ids if r < c}


def test_overlapping_text_matches_the_hand_count(coded_texts):
    _, _, frame, codes, _ = coded_texts
    assert grid(frame, codes, relation=Relation.OVERLAP) == {("A", "B"): 2, ("A", "C"): 0, ("B", "C"): 0}


@pytest.mark.parametrize(
    ("distance", "expected"),
    [(3, {("A", "B"): 2, ("A", "C"): 1, ("B", "C"): 0}), (10, {("A", "B"): 4, ("A", "C"): 1, ("B", "C"): 1})],
)
def test_within_n_characters_matches_the_hand_count(coded_texts, distance, expected):
    _, _, frame, codes, _ = coded_texts
    assert grid(frame, codes, relation=Relation.NEAR, distance=distance) == expected


def test_the_same_interview_counts_interviews(coded_texts):
    _, _, frame, codes, _ = coded_texts
    assert grid(frame, codes, relation=Relation.INTERVIEW) == {("A", "B"): 2, ("A", "C"): 1, ("B", "C"): 1}


def test_the_pairs_behind_a_cell_are_listed(coded_texts):
    _, _, frame, (a, b, _), x = coded_texts
    pairs = cooccurrence_pairs(frame, a.pk, b.pk, relation=Relation.NEAR, distance=10)
    assert [(p.excerpt_a, p.excerpt_b, p.gap) for p in pairs] == [
        (x["x1"].pk, x["x1"].pk, -10),
        (x["x1"].pk, x["x2"].pk, -5),
        (x["x3"].pk, x["x1"].pk, 10),
        (x["x3"].pk, x["x2"].pk, 5),
    ]


@pytest.mark.parametrize("relation", [Relation.OVERLAP, Relation.NEAR])
def test_the_sweep_agrees_with_listing_every_pair_on_random_coding(relation):
    generator = random.Random(7)
    rows = []
    for excerpt_id in range(1, 400):
        interview = generator.randint(1, 6)
        start = generator.randint(0, 2000)
        end = start + generator.randint(1, 150)
        for code in generator.sample(range(1, 9), generator.randint(1, 3)):
            rows.append((excerpt_id, code, interview, 1, 1, start, end))
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    codes = list(range(1, 9))
    matrix = cooccurrence_matrix(frame, codes, relation=relation, distance=25)
    for first in codes:
        for second in codes:
            if first != second:
                listed = cooccurrence_pairs(frame, first, second, relation=relation, distance=25)
                assert matrix.at[first, second] == len(listed), (first, second)


def test_the_page_shows_the_matrix_and_links_to_the_pairs(client, coded_texts):
    project, lead, _, (a, b, _), x = coded_texts
    client.force_login(lead)
    response = client.get(reverse("analysis:cooccurrence", args=[project.slug]), {"relation": "near", "distance": 10})
    page = response.content.decode()
    link = f'href="/projects/co/analysis/co-occurrence/pairs/?relation=near&amp;distance=10&amp;a={a.pk}&amp;b={b.pk}"'
    assert f'{link} title="A × B">4</a>' in page
    # What the figures count is said above them.
    assert "Each figure counts pairs of excerpts at most 10 characters apart, one with each code" in page
    pairs = client.get(
        reverse("analysis:cooccurrence_pairs", args=[project.slug]),
        {"relation": "near", "distance": 10, "a": a.pk, "b": b.pk},
    )
    assert pairs.context["total"] == 4
    assert "One excerpt carries both codes" in pairs.content.decode()
    assert "10 characters shared" in pairs.content.decode()


def test_near_without_n_is_refused(client, coded_texts):
    project, lead, *_ = coded_texts
    client.force_login(lead)
    response = client.get(reverse("analysis:cooccurrence", args=[project.slug]), {"relation": "near"})
    assert response.status_code == 400
    assert "Give N, the most characters allowed between the two excerpts." in response.content.decode()


def test_the_same_interview_pairs_page_groups_by_interview(client, coded_texts):
    project, lead, _, (a, b, _), x = coded_texts
    client.force_login(lead)
    response = client.get(
        reverse("analysis:cooccurrence_pairs", args=[project.slug]), {"relation": "interview", "a": a.pk, "b": b.pk}
    )
    assert response.context["total"] == 2
    assert [len(item["excerpts_a"]) for item in response.context["interviews"]] == [2, 1]


def test_the_matrix_downloads_as_csv(client, coded_texts):
    project, lead, *_ = coded_texts
    client.force_login(lead)
    response = client.get(reverse("analysis:cooccurrence", args=[project.slug]), {"format": "csv"})
    assert response.content.decode("utf-8-sig").splitlines() == ["Code,A,B,C", "A,,2,0", "B,2,,0", "C,0,0,"]


def test_a_researcher_counts_only_their_case_studies(client, casebook):
    client.force_login(casebook.researcher)
    response = client.get(reverse("analysis:cooccurrence", args=[casebook.project.slug]), {"relation": "interview"})
    rows = {row["code"].name: row["excerpts"] for row in response.context["rows"]}
    assert rows == {"Trust": 4, "Distrust": 1, "Funding": 2}
    assert "Each figure counts interviews in which both codes were applied" in response.content.decode()


def test_the_pairs_page_counts_its_queries(client, coded_texts):
    project, lead, _, (a, b, _), x = coded_texts
    client.force_login(lead)
    url = reverse("analysis:cooccurrence_pairs", args=[project.slug])
    query = {"relation": "near", "distance": 10, "a": a.pk, "b": b.pk}

    def grow() -> None:
        interviews = [x["x1"].interview, x["y1"].interview]
        grow_coded_material(project, codes=[a, b], coded_by=lead, interviews=interviews)

    assert len(client.get(url, query).context["pairs"]) == 4
    assert_flat(lambda: client.get(url, query), grow, expected=14)
    assert len(client.get(url, query).context["pairs"]) > 8
