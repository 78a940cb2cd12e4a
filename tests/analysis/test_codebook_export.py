"""The codebook leaves the app as CSV, Excel or a printable page, with counts of what the reader may see."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def codebook():
    project = f.make_project(slug="books")
    lead = f.make_lead(project)
    seen = f.make_case_study(project, title="Seen")
    unseen = f.make_case_study(project, title="Unseen")
    researcher = f.make_researcher(project, seen)
    question = f.make_question(project, short_label="RQ1")
    parent = f.make_code(project, name="Barriers", colour="#aa0000", definition="What gets in the way.")
    parent.research_questions.add(question)
    child = f.make_code(project, name="Time pressure", parent=parent, definition="Named by Ruth Ellingham first.")
    f.make_participant(project, pseudonym="Ruth", real_name="Ruth Ellingham")
    f.make_excerpt(f.make_interview(seen), codes=[child], coded_by=lead)
    f.make_excerpt(f.make_interview(unseen), codes=[child], coded_by=lead)
    return project, lead, researcher


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_codebook_as_csv_has_paths_definitions_colours_and_counts(client, codebook):
    project, lead, _ = codebook
    client.force_login(lead)

    response = client.get(reverse("analysis:codebook_export", args=[project.slug]), {"format": "csv"})

    assert response["Content-Disposition"] == 'attachment; filename="books-codebook.csv"'
    rows = rows_of(response)
    assert [(r["Path"], r["Level"], r["Colour"], r["Research questions"], r["Excerpts"]) for r in rows] == [
        ("Barriers", "1", "#aa0000", "RQ1", "0"),
        ("Barriers › Time pressure", "2", "#1f77b4", "", "2"),
    ]
    assert rows[1]["Definition"] == "Named by [Ruth] first."  # the real name is redacted as in every output
    # Each code's own counts, and beside them the counts with its sub-codes: the heading gathers its sub-code's.
    assert [
        tuple(r[name] for name in ("Excerpts", "Interviews", "Case studies"))
        + tuple(r[f"{name} with sub-codes"] for name in ("Excerpts", "Interviews", "Case studies"))
        for r in rows
    ] == [("0", "0", "0", "2", "2", "2"), ("2", "2", "2", "2", "2", "2")]


def test_a_researcher_counts_only_what_they_may_see(client, codebook):
    project, _, researcher = codebook
    client.force_login(researcher)

    rows = rows_of(client.get(reverse("analysis:codebook_export", args=[project.slug]), {"format": "csv"}))

    assert [(r["Code"], r["Excerpts"], r["Case studies"], r["Excerpts with sub-codes"]) for r in rows] == [
        ("Barriers", "0", "0", "1"),
        ("Time pressure", "1", "1", "1"),
    ]


def test_the_codebook_as_excel_and_as_a_printable_page(client, codebook):
    project, lead, _ = codebook
    client.force_login(lead)
    address = reverse("analysis:codebook_export", args=[project.slug])

    book = load_workbook(io.BytesIO(client.get(address, {"format": "xlsx"}).content), read_only=True)
    sheet = [row for row in book["Codebook"].iter_rows(values_only=True)]
    page = client.get(address).content.decode()

    assert sheet[0][:2] == ("Path", "Code") and sheet[2][:2] == ("Barriers › Time pressure", "Time pressure")
    assert "What gets in the way." in page and "Ellingham" not in page
    assert client.get(address, {"format": "pdf"}).status_code == 400
    # The sheet and the page roll the sub-code's counts up into the heading too, its own beside.
    header = list(sheet[0])
    assert sheet[1][header.index("Excerpts")] == 0 and sheet[1][header.index("Excerpts with sub-codes")] == 2
    assert '<td class="num">2 <span class="muted">(0 own)</span></td>' in page


def test_someone_outside_the_project_gets_nothing(client, codebook):
    project, *_ = codebook
    client.force_login(f.make_user())

    assert client.get(reverse("analysis:codebook_export", args=[project.slug]), {"format": "csv"}).status_code == 404
