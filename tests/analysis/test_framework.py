import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from analysis import services
from analysis.models import FrameworkSummary
from analysis.selectors import framework_matrix
from tests.factories import make_project, make_question
from tests.querycounts import assert_flat, grow_coded_material

pytestmark = pytest.mark.django_db


def edit_url(casebook, case_study, question):
    return reverse("analysis:framework_edit", args=[casebook.project.slug, case_study.pk, question.pk])


def test_the_chart_has_a_row_per_visible_case_study_and_counts_linked_excerpts(casebook):
    chart = framework_matrix(casebook.lead, casebook.project, casebook.rq1.group)
    assert [q.short_label for q in chart.questions] == ["RQ1", "RQ2", "RQ3"]
    assert [row.case_study.title for row in chart.rows] == ["Alpha", "Beta", "Gamma"]
    counts = {
        (row.case_study.title, cell.question.short_label): cell.excerpt_count
        for row in chart.rows
        for cell in row.cells
    }
    assert counts == {
        ("Alpha", "RQ1"): 3,
        ("Alpha", "RQ2"): 2,
        ("Alpha", "RQ3"): 0,
        ("Beta", "RQ1"): 0,
        ("Beta", "RQ2"): 0,
        ("Beta", "RQ3"): 0,
        ("Gamma", "RQ1"): 1,
        ("Gamma", "RQ2"): 0,
        ("Gamma", "RQ3"): 0,
    }
    researcher_chart = framework_matrix(casebook.researcher, casebook.project, casebook.rq1.group)
    assert [row.case_study.title for row in researcher_chart.rows] == ["Alpha", "Beta"]


def test_a_summary_is_written_in_place_and_shown_in_the_cell(client, casebook):
    client.force_login(casebook.researcher)
    url = edit_url(casebook, casebook.alpha, casebook.rq1)
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'<td id="cell-{casebook.alpha.pk}-{casebook.rq1.pk}" class="framework-cell editing">' in form
    response = client.post(
        url, {"text": "Trust grew <slowly> after the merger.", "revision": ""}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    cell = response.content.decode()
    assert "<p>Trust grew &lt;slowly&gt; after the merger.</p>" in cell
    assert "Rafi Researcher" in cell
    assert '>3 excerpts<span class="visually-hidden"> for Alpha, RQ1</span></a>' in cell
    summary = FrameworkSummary.objects.get()
    assert (summary.author, summary.revision, summary.case_study, summary.research_question) == (
        casebook.researcher,
        1,
        casebook.alpha,
        casebook.rq1,
    )
    page = client.get(reverse("analysis:framework", args=[casebook.project.slug])).content.decode()
    assert "Trust grew &lt;slowly&gt; after the merger." in page


def test_saving_without_htmx_redirects_back_to_the_chart(client, casebook):
    client.force_login(casebook.lead)
    response = client.post(edit_url(casebook, casebook.beta, casebook.rq2), {"text": "Costs fell."})
    assert response.status_code == 302
    assert response["Location"] == (
        f"/projects/partnership-test/analysis/framework/?group={casebook.rq2.group_id}#cell-{casebook.beta.pk}-{casebook.rq2.pk}"
    )


def test_a_cell_opened_on_its_own_leads_to_its_place_in_the_chart(client, casebook):
    client.force_login(casebook.lead)
    args = [casebook.project.slug, casebook.alpha.pk, casebook.rq1.pk]
    response = client.get(reverse("analysis:framework_cell", args=args))
    assert response.status_code == 302
    chart = reverse("analysis:framework", args=[casebook.project.slug])
    assert response["Location"].startswith(f"{chart}?group={casebook.rq1.group_id}#")
    fragment = client.get(reverse("analysis:framework_cell", args=args), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()


def test_an_edit_made_on_an_old_version_is_refused_and_nothing_changes(client, casebook):
    services.save_framework_summary(
        case_study=casebook.alpha, research_question=casebook.rq1, text="First.", author=casebook.lead, revision=None
    )
    client.force_login(casebook.researcher)
    response = client.post(
        edit_url(casebook, casebook.alpha, casebook.rq1),
        {"text": "Mine.", "revision": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    summary = FrameworkSummary.objects.get()
    when = timezone.localtime(summary.updated_at).strftime("%-d %B %Y at %H:%M")
    assert (
        f"Lena Lead changed this summary on {when}, after you opened it. Copy your text, cancel, and merge the two."
        in response.content.decode()
    )
    assert (summary.text, summary.revision) == ("First.", 1)


def test_a_summary_that_is_too_long_is_refused(casebook):
    with pytest.raises(ValidationError) as error:
        services.save_framework_summary(
            case_study=casebook.alpha,
            research_question=casebook.rq1,
            text="x" * 4001,
            author=casebook.lead,
            revision=None,
        )
    assert error.value.message_dict["text"] == ["A summary can be at most 4,000 characters; this one has 4,001."]
    assert not FrameworkSummary.objects.exists()


def test_a_question_of_another_project_is_refused(casebook):
    foreign = make_question(make_project())
    with pytest.raises(ValidationError) as error:
        services.save_framework_summary(
            case_study=casebook.alpha, research_question=foreign, text="No.", author=casebook.lead, revision=None
        )
    assert error.value.message_dict["text"] == ["This research question belongs to another project."]
    assert not FrameworkSummary.objects.exists()


def test_a_case_study_outside_reach_cannot_be_read_or_written(client, casebook):
    client.force_login(casebook.researcher)
    assert client.get(edit_url(casebook, casebook.gamma, casebook.rq1)).status_code == 404
    assert client.post(edit_url(casebook, casebook.gamma, casebook.rq1), {"text": "x"}).status_code == 404
    url = reverse("analysis:framework_excerpts", args=[casebook.project.slug, casebook.gamma.pk, casebook.rq1.pk])
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    assert not FrameworkSummary.objects.exists()


def test_the_side_panel_lists_the_linked_excerpts(client, casebook):
    client.force_login(casebook.lead)
    url = reverse("analysis:framework_excerpts", args=[casebook.project.slug, casebook.alpha.pk, casebook.rq2.pk])
    panel = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<strong>2</strong> excerpts" in panel
    assert f"<blockquote>{casebook.excerpts.e2.text}</blockquote>" in panel
    assert f"<blockquote>{casebook.excerpts.e3.text}</blockquote>" in panel
    assert client.get(url)["Location"] == (
        f"/projects/partnership-test/analysis/excerpts/?case_study={casebook.alpha.pk}&question={casebook.rq2.pk}"
    )


def test_the_chart_page_counts_its_queries(client, casebook):
    client.force_login(casebook.lead)
    url = reverse("analysis:framework", args=[casebook.project.slug])

    def grow() -> None:
        grow_coded_material(
            casebook.project,
            codes=[casebook.trust, casebook.funding],
            coded_by=casebook.alice,
            interviews=[casebook.interviews.i1, casebook.interviews.i3],
            case_studies=3,
        )

    assert_flat(lambda: client.get(url), grow, expected=12)
    response = client.get(url)
    assert response.status_code == 200


def test_the_chart_downloads_as_xlsx(client, casebook):
    services.save_framework_summary(
        case_study=casebook.alpha,
        research_question=casebook.rq1,
        text="=Trust matters.",
        author=casebook.lead,
        revision=None,
    )
    client.force_login(casebook.lead)
    response = client.get(reverse("analysis:framework", args=[casebook.project.slug]), {"format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook[workbook.sheetnames[0]]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "Case study",
        "Sector",
        "Region",
        "Level of analysis",
        "Forms of partnership",
        "RQ1 summary",
        "RQ1 excerpts",
        "RQ2 summary",
        "RQ2 excerpts",
        "RQ3 summary",
        "RQ3 excerpts",
    ]
    assert rows[1] == ["Alpha", "Housing", None, "Organisation", None, "=Trust matters.", 3, None, 2, None, 0]
    assert sheet["F2"].quotePrefix is True
    assert workbook["Questions"]["B2"].value == "What drives partnership?"
