import io

import openpyxl
import pytest
from django.urls import reverse

from analysis.selectors import SCOPING_KEY, Scope, build_matrix
from casestudies.models import PhaseKind
from tests.querycounts import assert_flat, grow_coded_material

pytestmark = pytest.mark.django_db


def figures(matrix, measure="excerpts"):
    """The matrix as {row label: {column label: figure}}, leaving out zeros."""
    table = {}
    for row in matrix.rows:
        for column in matrix.columns:
            value = matrix.value(measure, row.key, column.key)
            if value:
                table.setdefault(row.label, {})[column.label] = value
    return table


def totals(matrix, measure="excerpts"):
    return {row.label: int(matrix.row_totals[measure].get(row.key, 0)) for row in matrix.rows}


def test_codes_by_case_study_match_the_hand_counts(casebook):
    matrix = build_matrix(casebook.lead, casebook.project, Scope(), "codes-by-case-study")
    assert [c.label for c in matrix.columns] == ["Alpha", "Beta", "Gamma", "No case study (scoping and workshops)"]
    assert [r.label for r in matrix.rows] == ["Trust", "Distrust", "Funding"]
    # A code's row counts its sub-codes' excerpts too: Trust holds Distrust's passage in Beta.
    assert figures(matrix) == {
        "Trust": {"Alpha": 3, "Beta": 1, "Gamma": 1, "No case study (scoping and workshops)": 1},
        "Distrust": {"Beta": 1},
        "Funding": {"Alpha": 2},
    }
    assert figures(matrix, "interviews") == {
        "Trust": {"Alpha": 2, "Beta": 1, "Gamma": 1, "No case study (scoping and workshops)": 1},
        "Distrust": {"Beta": 1},
        "Funding": {"Alpha": 2},
    }
    assert totals(matrix) == {"Trust": 6, "Distrust": 1, "Funding": 2}
    # e2 carries two codes but counts once in Alpha's total.
    column_totals = matrix.column_totals["excerpts"]
    assert (column_totals[casebook.alpha.pk], column_totals[SCOPING_KEY]) == (4, 1)
    assert matrix.grand_totals == {"excerpts": 7, "interviews": 5}


def test_codes_by_sector_and_kind_follow_the_speaker_of_each_excerpt(casebook):
    sectors = build_matrix(casebook.lead, casebook.project, Scope(), "codes-by-sector")
    assert figures(sectors) == {
        "Trust": {"Third sector": 3, "Public sector": 2, "Not attributed": 1},
        "Distrust": {"Public sector": 1},
        "Funding": {"Third sector": 2},
    }
    kinds = build_matrix(casebook.lead, casebook.project, Scope(), "codes-by-kind")
    assert [(c.label, c.detail) for c in kinds.columns] == [
        ("Local authority", "Public sector"),
        ("Housing association", "Third sector"),
        ("Not attributed", ""),
    ]
    assert figures(kinds)["Trust"] == {"Housing association": 3, "Local authority": 2, "Not attributed": 1}


def test_codes_by_coder_match_the_hand_counts(casebook):
    matrix = build_matrix(casebook.lead, casebook.project, Scope(), "codes-by-coder")
    assert figures(matrix) == {
        "Trust": {"Alice Adams": 5, "Bob Brown": 1},
        "Distrust": {"Bob Brown": 1},
        "Funding": {"Alice Adams": 1, "Bob Brown": 1},
    }


def test_question_coverage_marks_gaps_and_focal_questions(casebook):
    matrix = build_matrix(casebook.lead, casebook.project, Scope(), "questions-by-case-study")
    assert figures(matrix) == {
        "RQ1": {"Alpha": 3, "Gamma": 1, "No case study (scoping and workshops)": 1},
        "RQ2": {"Alpha": 2},
    }
    rows = matrix.table("excerpts", sort="", link="/x/", scope=[])
    gaps = {
        (row.heading.label, matrix.columns[i].label) for row in rows for i, cell in enumerate(row.cells) if cell.is_gap
    }
    assert ("RQ1", "Beta") in gaps and ("RQ3", "Alpha") in gaps and ("RQ1", "Alpha") not in gaps
    assert len(gaps) == 12 - 4
    focal = {
        (row.heading.label, matrix.columns[i].label) for row in rows for i, c in enumerate(row.cells) if c.is_focal
    }
    assert focal == {("RQ1", "Alpha"), ("RQ3", "Alpha")}


def test_filters_limit_the_figures(casebook):
    scoping = build_matrix(casebook.lead, casebook.project, Scope(phase=PhaseKind.SCOPING), "codes-by-case-study")
    assert figures(scoping) == {"Trust": {"No case study (scoping and workshops)": 1}}
    bob = build_matrix(casebook.lead, casebook.project, Scope(coder_id=casebook.bob.pk), "codes-by-case-study")
    assert figures(bob) == {"Trust": {"Beta": 1}, "Distrust": {"Beta": 1}, "Funding": {"Alpha": 1}}
    beta_only = build_matrix(
        casebook.lead, casebook.project, Scope(case_study_ids=(casebook.beta.pk,)), "codes-by-case-study"
    )
    assert [c.label for c in beta_only.columns] == ["Beta"]
    assert figures(beta_only) == {"Trust": {"Beta": 1}, "Distrust": {"Beta": 1}}


def test_a_researcher_sees_no_figures_from_case_studies_outside_their_reach(casebook):
    matrix = build_matrix(casebook.researcher, casebook.project, Scope(), "codes-by-case-study")
    assert "Gamma" not in [c.label for c in matrix.columns]
    assert totals(matrix)["Trust"] == 5
    coder = build_matrix(casebook.researcher, casebook.project, Scope(), "codes-by-coder")
    assert figures(coder)["Trust"] == {"Alice Adams": 4, "Bob Brown": 1}


def test_blind_coding_hides_the_other_coders_excerpts_from_the_counts(casebook):
    interview = casebook.interviews.i1
    interview.is_blind_coding = True
    interview.save()
    as_bob = build_matrix(casebook.bob, casebook.project, Scope(), "codes-by-case-study")
    assert figures(as_bob)["Trust"] == {"Alpha": 1, "Beta": 1, "No case study (scoping and workshops)": 1}
    as_lead = build_matrix(casebook.lead, casebook.project, Scope(), "codes-by-case-study")
    assert figures(as_lead)["Trust"]["Alpha"] == 3


def test_the_matrix_page_links_each_figure_to_its_excerpts(client, casebook):
    from tests.factories import make_code

    client.force_login(casebook.lead)
    url = reverse("analysis:matrix", args=[casebook.project.slug, "codes-by-case-study"])

    def grow() -> None:
        grow_coded_material(
            casebook.project,
            codes=[casebook.trust, casebook.distrust, make_code(casebook.project)],
            coded_by=casebook.bob,
            interviews=[casebook.interviews.i3, casebook.interviews.i4],
        )

    assert_flat(lambda: client.get(url), grow, expected=10)
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Codes by case study" in page
    # A code with sub-codes links to its excerpts and theirs, as its figures count them.
    cell = (
        f'href="/projects/partnership-test/analysis/excerpts/?code={casebook.trust.pk}&amp;subcodes=include'
        f'&amp;case_study={casebook.alpha.pk}" title="Trust × Alpha">3</a>'
    )
    assert cell in page
    beta = (
        f'href="/projects/partnership-test/analysis/excerpts/?code={casebook.trust.pk}&amp;subcodes=include'
        f'&amp;case_study={casebook.beta.pk}" title="Trust × Beta">'
    )
    assert beta in page
    excerpts = reverse("analysis:excerpts", args=[casebook.project.slug])
    listing = client.get(excerpts, {"code": casebook.trust.pk, "subcodes": "include", "case_study": casebook.alpha.pk})
    shown = [row["excerpt"] for row in listing.context["rows"]]
    e = casebook.excerpts
    assert shown == [e.e1, e.e2, e.e4]
    assert "3</strong> excerpts" in listing.content.decode()
    listing = client.get(excerpts, {"code": casebook.trust.pk, "subcodes": "include", "case_study": casebook.beta.pk})
    assert e.e5 in [row["excerpt"] for row in listing.context["rows"]]  # Distrust's passage
    assert "Code “Trust” with its sub-codes" in listing.content.decode()
    # The code alone, as the codebook's own count has it.
    listing = client.get(excerpts, {"code": casebook.trust.pk, "case_study": casebook.beta.pk})
    assert e.e5 not in [row["excerpt"] for row in listing.context["rows"]]


def test_the_matrix_page_keeps_its_filters_in_the_links(client, casebook):
    client.force_login(casebook.lead)
    url = reverse("analysis:matrix", args=[casebook.project.slug, "codes-by-coder"])
    page = client.get(url, {"phase": "case_study", "measure": "interviews"}).content.decode()
    assert (
        f"?phase=case_study&amp;coder={casebook.bob.pk}&amp;code={casebook.funding.pk}&amp;coder={casebook.bob.pk}"
        not in page
    )
    assert (
        f'href="/projects/partnership-test/analysis/excerpts/?phase=case_study&amp;code={casebook.funding.pk}&amp;coder={casebook.bob.pk}"'
        in page
    )
    assert '<strong aria-current="true">Interviews coded</strong>' in page


def test_sorting_by_total_puts_the_largest_first(client, casebook):
    client.force_login(casebook.lead)
    url = reverse("analysis:matrix", args=[casebook.project.slug, "codes-by-case-study"])
    rows = client.get(url, {"sort": "total"}).context["rows"]
    assert [row.heading.label for row in rows] == ["Trust", "Funding", "Distrust"]
    rows = client.get(url, {"sort": f"column:{casebook.beta.pk}"}).context["rows"]
    # Trust holds Distrust's passage in Beta too: a tie, kept in codebook order.
    assert [row.heading.label for row in rows] == ["Trust", "Distrust", "Funding"]


def test_the_matrix_downloads_as_csv_and_xlsx(client, casebook):
    client.force_login(casebook.lead)
    url = reverse("analysis:matrix", args=[casebook.project.slug, "codes-by-case-study"])
    response = client.get(url, {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="partnership-test-codes-by-case-study-excerpts.csv"'
    assert response.content.decode("utf-8").splitlines() == [
        "\ufeffCode,Alpha,Beta,Gamma,No case study (scoping and workshops),Total",
        "Trust,3,1,1,1,6",
        "Trust › Distrust,0,1,0,0,1",
        "Funding,2,0,0,0,2",
        "Total,4,1,1,1,7",
    ]
    response = client.get(url, {"format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Excerpts", "Interviews coded"]
    rows = [list(row) for row in workbook["Interviews coded"].iter_rows(values_only=True)]
    assert rows[0] == ["Code", "Alpha", "Beta", "Gamma", "No case study (scoping and workshops)", "Total"]
    assert rows[1] == ["Trust", 2, 1, 1, 1, 5]
    assert rows[-1] == ["Total", 2, 1, 1, 1, 5]


def test_the_question_matrix_page_shows_gaps(client, casebook):
    client.force_login(casebook.researcher)
    url = reverse("analysis:matrix", args=[casebook.project.slug, "questions-by-case-study"])
    page = client.get(url).content.decode()
    assert (
        page.count('<span class="gap-label">Gap</span>') == 9 - 3 + 1
    )  # 3 questions × 3 columns, 3 filled, and the legend
    assert "Gamma" not in page


def test_a_case_study_outside_reach_cannot_be_listed(client, casebook):
    client.force_login(casebook.researcher)
    url = reverse("analysis:excerpts", args=[casebook.project.slug])
    response = client.get(url, {"case_study": casebook.gamma.pk})
    assert response.status_code == 400
    assert "Case study: Choose one of the case studies you can see." in response.content.decode()
    response = client.get(url, {"case_studies": casebook.gamma.pk})
    assert response.status_code == 400
    assert (
        f"Select a valid choice. {casebook.gamma.pk} is not one of the available choices." in response.content.decode()
    )


def test_an_unknown_matrix_or_project_is_not_found(client, casebook):
    from tests.factories import make_project

    client.force_login(casebook.researcher)
    other = make_project(slug="elsewhere")
    assert client.get(reverse("analysis:matrix", args=[casebook.project.slug, "nonsense"])).status_code == 404
    assert client.get(reverse("analysis:matrix", args=[other.slug, "codes-by-coder"])).status_code == 404
    assert client.get(reverse("analysis:index", args=[other.slug])).status_code == 404


def test_the_analysis_pages_need_a_login(client, casebook):
    for url in (
        reverse("analysis:index", args=[casebook.project.slug]),
        reverse("analysis:matrix", args=[casebook.project.slug, "codes-by-coder"]),
        reverse("analysis:excerpts", args=[casebook.project.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_index_lists_the_tools_and_the_nav_links_to_it(client, casebook):
    client.force_login(casebook.researcher)
    page = client.get(reverse("analysis:index", args=[casebook.project.slug])).content.decode()
    for title in (
        "Codes by case study",
        "Framework matrix",
        "Code queries",
        "Co-occurrence",
        "Search the transcripts",
        "Inter-coder agreement",
        "All excerpts",
    ):
        assert title in page
    assert '<li><a href="/projects/partnership-test/analysis/">Analysis</a></li>' in page


def test_the_excerpt_list_describes_its_filters(client, casebook):
    client.force_login(casebook.lead)
    response = client.get(
        reverse("analysis:excerpts", args=[casebook.project.slug]),
        {"question": casebook.rq2.pk, "phase": "case_study", "coder": casebook.bob.pk},
    )
    assert response.context["description"] == "research question RQ2; case study phase; coded by Bob Brown"
    assert [row["excerpt"] for row in response.context["rows"]] == [casebook.excerpts.e3]
