import random

import krippendorff
import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from sklearn.metrics import cohen_kappa_score

from analysis import services
from analysis.agreement import Table, character_table
from analysis.selectors import agreement_report
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


# Hand-worked case 1, over 100 characters: A codes [0, 25), B codes [5, 35).
#   a = 20 (both, [5, 25)), b = 5 (A only, [0, 5)), c = 10 (B only, [25, 35)), d = 65.
#   Percent agreement = (20 + 65) / 100 = 85%.
#   Kappa: p_o = 0.85; A codes 25%, B 30%, so p_e = 0.25 × 0.30 + 0.75 × 0.70 = 0.60;
#          kappa = (0.85 − 0.60) / (1 − 0.60) = 0.625.
#   Alpha: coincidences o11 = 40, o00 = 130, o01 = o10 = 15; n = 200, n1 = 55, n0 = 145;
#          alpha = 1 − (n − 1)(o01 + o10) / (2 · n0 · n1) = 1 − 199 × 30 / (2 × 145 × 55) = 1 − 5970 / 15950 = 0.625705…
CASE_1 = Table(a=20, b=5, c=10, d=65)
# Hand-worked case 2: A codes [50, 60) and [55, 70) (its own excerpts overlap: 20 characters), B nothing.
#   a = 0, b = 20, c = 0, d = 80. Percent = 80%. p_e = 0.2 × 0 + 0.8 × 1 = 0.8, kappa = (0.8 − 0.8) / 0.2 = 0.
#   Alpha: n0 = 180, n1 = 20; alpha = 1 − 199 × 20 / (180 × 20) = 1 − 3980 / 3600 = −0.105555…
CASE_2 = Table(a=0, b=20, c=0, d=80)
# Pooled (1 + 2): a = 20, b = 25, c = 10, d = 145, N = 200. Percent = 165 / 200 = 82.5%.
#   Kappa: p_o = 0.825, p_e = 0.225 × 0.15 + 0.775 × 0.85 = 0.6925, kappa = 0.1325 / 0.3075 = 0.430894…
#   Alpha: n = 400, n0 = 325, n1 = 75: 1 − 399 × 35 / (325 × 75) = 1 − 13965 / 24375 = 0.427076…


def test_the_tables_are_counted_from_spans():
    assert character_table([(0, 25)], [(5, 35)], 100) == CASE_1
    assert character_table([(50, 60), (55, 70)], [], 100) == CASE_2


def test_case_1_known_answers():
    assert CASE_1.percent == pytest.approx(85.0)
    assert CASE_1.kappa == pytest.approx(0.625)
    assert CASE_1.alpha == pytest.approx(1 - 5970 / 15950)


def test_case_2_known_answers():
    assert CASE_2.percent == pytest.approx(80.0)
    assert CASE_2.kappa == pytest.approx(0.0)
    assert CASE_2.alpha == pytest.approx(1 - 3980 / 3600)


def test_pooled_known_answers():
    pooled = CASE_1 + CASE_2
    assert pooled == Table(a=20, b=25, c=10, d=145)
    assert pooled.percent == pytest.approx(82.5)
    assert pooled.kappa == pytest.approx(0.1325 / 0.3075)
    assert pooled.alpha == pytest.approx(1 - 13965 / 24375)


def test_without_variation_kappa_and_alpha_are_undefined():
    nothing = Table(d=100)
    assert (nothing.percent, nothing.kappa, nothing.alpha) == (100.0, None, None)
    assert Table().percent is None


def expand(table: Table) -> tuple[list[int], list[int]]:
    first = [1] * table.a + [1] * table.b + [0] * table.c + [0] * table.d
    second = [1] * table.a + [0] * table.b + [1] * table.c + [0] * table.d
    return first, second


@pytest.mark.parametrize("seed", range(6))
def test_the_figures_match_the_libraries_on_character_level_data(seed):
    generator = random.Random(seed)
    table = Table(*(generator.randint(0, 60) for _ in range(4)))
    first, second = expand(table)
    if len(set(first + second)) < 2:
        return
    assert table.kappa == pytest.approx(cohen_kappa_score(first, second))
    expected = krippendorff.alpha(reliability_data=np.array([first, second]), level_of_measurement="nominal")
    assert table.alpha == pytest.approx(expected)


@pytest.fixture
def two_coders():
    project = make_project(slug="icr")
    case_study = make_case_study(project, title="Alpha")
    lead = make_lead(project, username="lead")
    alice = make_researcher(project, case_study, username="alice", first_name="Alice", last_name="Adams")
    bob = make_researcher(project, case_study, username="bob", first_name="Bob", last_name="Brown")
    trust, funding = make_code(project, name="Trust", order=1), make_code(project, name="Funding", order=2)
    one = make_interview(case_study, title="One", transcript="x" * 100)
    make_excerpt(one, start=0, end=25, codes=[trust], coded_by=alice)
    make_excerpt(one, start=5, end=35, codes=[trust], coded_by=bob)
    make_excerpt(one, start=50, end=60, codes=[funding], coded_by=alice)
    make_excerpt(one, start=55, end=70, codes=[funding], coded_by=alice)
    return project, lead, alice, bob, (trust, funding), one


def test_the_report_over_the_interviews_both_coded(two_coders):
    project, lead, alice, bob, (trust, funding), one = two_coders
    report = agreement_report(lead, project, coder_a=alice.pk, coder_b=bob.pk, interview_ids=[], code_ids=[])
    assert [interview.title for interview in report.interviews] == ["One"]
    tables = {result.code_id: result.table for result in report.result.by_code}
    assert tables == {trust.pk: CASE_1, funding.pk: CASE_2}
    assert report.result.pooled == CASE_1 + CASE_2


def test_a_second_interview_adds_its_characters(two_coders):
    project, lead, alice, bob, (trust, _), one = two_coders
    two = make_interview(one.case_study, title="Two", transcript="y" * 50)
    make_excerpt(two, start=0, end=10, codes=[trust], coded_by=alice)
    make_excerpt(two, start=0, end=10, codes=[trust], coded_by=bob)
    report = agreement_report(lead, project, coder_a=alice.pk, coder_b=bob.pk, interview_ids=[], code_ids=[trust.pk])
    assert report.result.by_code[0].table == Table(a=30, b=5, c=10, d=105)


def test_the_page_shows_each_code_and_the_pooled_figures(client, two_coders):
    project, lead, alice, bob, (trust, funding), one = two_coders
    client.force_login(lead)
    response = client.get(reverse("analysis:agreement", args=[project.slug]), {"coder_a": alice.pk, "coder_b": bob.pk})
    page = response.content.decode()
    assert '<th scope="row">Trust</th>' in page
    assert "85.0%" in page and "0.625" in page and "0.626" in page
    assert "80.0%" in page and "-0.106" in page
    assert "82.5%" in page and "0.431" in page and "0.427" in page
    csv = client.get(
        reverse("analysis:agreement", args=[project.slug]), {"coder_a": alice.pk, "coder_b": bob.pk, "format": "csv"}
    ).content.decode("utf-8-sig")
    assert csv.splitlines()[1] == "Trust,20,5,10,65,85.0,0.625,0.626"


def test_the_same_coder_twice_is_refused(client, two_coders):
    project, lead, alice, *_ = two_coders
    client.force_login(lead)
    response = client.get(
        reverse("analysis:agreement", args=[project.slug]), {"coder_a": alice.pk, "coder_b": alice.pk}
    )
    assert response.status_code == 400
    assert "Choose two different coders." in response.content.decode()


def test_disagreements_are_shown_side_by_side(client, two_coders):
    project, lead, alice, bob, (trust, _), one = two_coders
    client.force_login(lead)
    response = client.get(
        reverse("analysis:disagreements", args=[project.slug]),
        {"coder_a": alice.pk, "coder_b": bob.pk, "interview": one.pk, "codes": trust.pk},
    )
    page = response.content.decode()
    assert '<span class="coded differ" title="Trust">xxxxx</span><span class="coded agree" title="Trust">' in page
    assert "Characters 0–5, only Alice Adams: Trust" in page
    assert "Characters 25–35, only Bob Brown: Trust" in page


def test_under_blind_coding_a_researcher_cannot_compare(client, two_coders):
    project, lead, alice, bob, (trust, _), one = two_coders
    services.start_blind_coding(interview=one)
    open_interview = make_interview(one.case_study, title="Open", transcript="z" * 40)
    make_excerpt(open_interview, start=0, end=4, codes=[trust], coded_by=bob)
    report = agreement_report(alice, project, coder_a=alice.pk, coder_b=bob.pk, interview_ids=[one.pk], code_ids=[])
    assert (report.interviews, report.left_out_blind) == ([], 1)
    client.force_login(alice)
    response = client.get(
        reverse("analysis:disagreements", args=[project.slug]),
        {"coder_a": alice.pk, "coder_b": bob.pk, "interview": one.pk},
    )
    assert response.status_code == 403
    lead_report = agreement_report(lead, project, coder_a=alice.pk, coder_b=bob.pk, interview_ids=[one.pk], code_ids=[])
    assert len(lead_report.interviews) == 1


def test_a_lead_starts_and_reveals_blind_coding(client, two_coders):
    project, lead, alice, bob, _, one = two_coders
    client.force_login(lead)
    start = reverse("analysis:blind_coding_change", args=[project.slug, one.pk, "start"])
    reveal = reverse("analysis:blind_coding_change", args=[project.slug, one.pk, "reveal"])
    assert client.post(start).status_code == 302
    one.refresh_from_db()
    assert (one.is_blind_coding, one.blind_revealed_at) == (True, None)
    client.force_login(bob)
    from coding.models import Excerpt

    assert set(Excerpt.objects.visible_to(bob).values_list("coded_by__username", flat=True)) == {"bob"}
    client.force_login(lead)
    client.post(reveal)
    one.refresh_from_db()
    assert one.blind_revealed_at is not None
    assert set(Excerpt.objects.visible_to(bob).values_list("coded_by__username", flat=True)) == {"alice", "bob"}
    page = client.get(reverse("analysis:blind_coding", args=[project.slug])).content.decode()
    assert "Revealed on" in page


def test_a_researcher_cannot_change_blind_coding(client, two_coders):
    project, _, alice, _, _, one = two_coders
    client.force_login(alice)
    response = client.post(reverse("analysis:blind_coding_change", args=[project.slug, one.pk, "start"]))
    assert response.status_code == 403
    one.refresh_from_db()
    assert not one.is_blind_coding


def test_blind_coding_rules(two_coders):
    *_, one = two_coders
    with pytest.raises(ValidationError) as error:
        services.reveal_blind_coding(interview=one)
    assert error.value.messages == ["This interview is not under blind coding."]
    services.start_blind_coding(interview=one)
    with pytest.raises(ValidationError) as error:
        services.start_blind_coding(interview=one)
    assert error.value.messages == ["This interview is already under blind coding."]
    services.reveal_blind_coding(interview=one)
    with pytest.raises(ValidationError) as error:
        services.reveal_blind_coding(interview=one)
    assert error.value.messages[0].startswith("The coders’ excerpts were already revealed on ")


@pytest.mark.parametrize("seed", range(4))
def test_the_sweep_counts_the_same_as_character_sets(seed):
    import pandas as pd

    from analysis.agreement import tables

    generator = random.Random(seed)
    lengths = {10: 300, 11: 120, 12: 500}
    codes = [1, 2, 3]
    rows = []
    for _ in range(120):
        interview = generator.choice(list(lengths))
        start = generator.randrange(0, lengths[interview] - 1)
        end = generator.randint(start + 1, min(lengths[interview], start + 80))
        rows.append((generator.random() < 0.5, generator.choice(codes), interview, start, end))
    frame = pd.DataFrame(rows, columns=["first", "code_id", "interview_id", "start", "end"])
    for code, table in zip(codes, tables(frame, code_ids=codes, lengths=lengths), strict=True):
        covered = {True: set(), False: set()}
        for first, row_code, interview, start, end in rows:
            if row_code == code:
                covered[first].update((interview, n) for n in range(start, end))
        both = len(covered[True] & covered[False])
        expected = Table(both, len(covered[True]) - both, len(covered[False]) - both, 0)
        expected = Table(
            expected.a, expected.b, expected.c, sum(lengths.values()) - expected.a - expected.b - expected.c
        )
        assert table == expected
