import csv
import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from analysis.exports import WITHHELD
from analysis.tabular import Sheet, csv_bytes, xlsx_bytes
from coding.models import Excerpt
from disclosure.redaction import Redactor
from disclosure.speakers import Withheld
from tests.factories import make_code, make_excerpt
from tests.querycounts import assert_flat, grow_coded_material

pytestmark = pytest.mark.django_db


def read_csv(data: bytes) -> list[dict]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_command_writes_every_excerpt_as_csv(casebook, tmp_path):
    out = tmp_path / "excerpts.csv"
    stdout = io.StringIO()
    call_command(
        "export_excerpts", "--project", "partnership-test", "--format", "csv", "--out", str(out), stdout=stdout
    )
    assert stdout.getvalue().strip() == (
        f"Wrote {out}: 7 excerpts; the text of 3 was withheld: 2 no consent to quote, 1 speaker not on record."
    )
    rows = read_csv(out.read_bytes())
    assert [int(row["Excerpt ID"]) for row in rows] == [
        e.pk
        for e in (
            casebook.excerpts.e1,
            casebook.excerpts.e2,
            casebook.excerpts.e3,
            casebook.excerpts.e4,
            casebook.excerpts.e5,
            casebook.excerpts.e7,
            casebook.excerpts.e6,
        )
    ]
    first = rows[0]
    interview_date = casebook.interviews.i1.date
    assert first == {
        "Excerpt ID": str(casebook.excerpts.e1.pk),
        "Case study": "Alpha",
        "Interview": "Alpha one",
        "Interview date": interview_date.isoformat() if interview_date else "",
        "Phase": "Case study",
        "Participant": "Ruth",
        "Participant role": "Chief executive",
        "Organisation kind": "Housing association",
        "Sector": "Third sector",
        "Consent to quote": "Yes",
        "Coder": "Alice Adams",
        "Codes": "Trust",
        "Text": "We trusted them.",
        "Memo": "",
        "Key quote": "No",
        "Start": "6",
        "End": "22",
        "Created": first["Created"],
    }
    assert rows[1]["Codes"] == "Funding; Trust"
    graham = rows[3]
    assert (graham["Participant"], graham["Consent to quote"], graham["Text"]) == (
        "Graham",
        "No",
        WITHHELD[Withheld.NO_CONSENT],
    )
    assert rows[2]["Participant"] == "Ruth"  # the Ruth turn of a two-person interview
    everything = out.read_text(encoding="utf-8-sig")
    assert "Ellingham" not in everything and "Pettifer" not in everything


def test_a_role_only_participant_is_exported_without_the_pseudonym(casebook, tmp_path):
    casebook.ruth.anonymity = "role_only"
    casebook.ruth.save()
    out = tmp_path / "excerpts.csv"
    call_command(
        "export_excerpts", "--project", "partnership-test", "--format", "csv", "--out", str(out), stdout=io.StringIO()
    )
    first = read_csv(out.read_bytes())[0]
    assert (first["Participant"], first["Participant role"]) == ("", "Chief executive")


def test_the_command_writes_xlsx_with_real_dates_and_an_about_sheet(casebook, tmp_path):
    casebook.interviews.i1.date = datetime.date(2011, 5, 12)
    casebook.interviews.i1.save()
    out = tmp_path / "excerpts.xlsx"
    call_command(
        "export_excerpts", "--project", "partnership-test", "--format", "xlsx", "--out", str(out), stdout=io.StringIO()
    )
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Excerpts", "About this export"]
    sheet = workbook["Excerpts"]
    header = [cell.value for cell in sheet[1]]
    date_cell = sheet.cell(row=2, column=header.index("Interview date") + 1)
    assert date_cell.value == datetime.datetime(2011, 5, 12)
    assert date_cell.number_format == "d mmm yyyy"
    about = {row[0]: row[1] for row in workbook["About this export"].iter_rows(min_row=2, values_only=True)}
    assert about["Excerpts"] == 7
    assert about["Texts withheld"] == "2 no consent to quote, 1 speaker not on record"


def test_cells_that_look_like_formulas_are_neutralised(casebook, tmp_path):
    code = make_code(casebook.project, name='=HYPERLINK("http://evil.example","click")')
    make_excerpt(casebook.interviews.i1, start=0, end=5, codes=[code], coded_by=casebook.alice, memo="@SUM(A1:A9)")
    out = tmp_path / "excerpts.csv"
    call_command(
        "export_excerpts", "--project", "partnership-test", "--format", "csv", "--out", str(out), stdout=io.StringIO()
    )
    row = next(r for r in read_csv(out.read_bytes()) if r["Memo"])
    assert row["Codes"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Memo"] == "'@SUM(A1:A9)"
    xlsx = tmp_path / "excerpts.xlsx"
    call_command(
        "export_excerpts", "--project", "partnership-test", "--format", "xlsx", "--out", str(xlsx), stdout=io.StringIO()
    )
    sheet = openpyxl.load_workbook(xlsx)["Excerpts"]
    memo = next(cell for cell in sheet["N"] if cell.value == "@SUM(A1:A9)")
    assert (memo.data_type, memo.quotePrefix) == ("s", True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+2", "'=1+2"), ("+44 121", "'+44 121"), ("-5", "'-5"), ("@me", "'@me"), ("\t=x", "'\t=x"), ("a=b", "a=b")],
)
def test_csv_neutralises_each_formula_trigger(value, expected):
    data = csv_bytes(["Text", "Number"], [[value, -5]], redactor=Redactor())
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1] == [expected, "-5"]


def test_xlsx_keeps_formula_like_text_as_text():
    data = xlsx_bytes([Sheet("Data", ["Text"], [["=1+2"], ["plain"]])], redactor=Redactor())
    cells = [row[0] for row in openpyxl.load_workbook(io.BytesIO(data))["Data"].iter_rows(min_row=2)]
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells] == [("=1+2", "s", True), ("plain", "s", False)]


def test_an_unknown_project_is_refused_with_a_clear_message(casebook, tmp_path):
    with pytest.raises(CommandError, match="No project has the slug “nope”."):
        call_command("export_excerpts", "--project", "nope", "--format", "csv", "--out", str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_a_missing_folder_is_refused_with_a_clear_message(casebook, tmp_path):
    target = tmp_path / "missing" / "x.csv"
    with pytest.raises(CommandError, match=f"The folder {tmp_path / 'missing'} does not exist."):
        call_command("export_excerpts", "--project", "partnership-test", "--format", "csv", "--out", str(target))


def test_the_web_export_has_only_what_the_user_can_see(client, casebook):
    client.force_login(casebook.researcher)
    url = reverse("analysis:excerpts", args=[casebook.project.slug])
    response = client.get(url, {"format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="partnership-test-excerpts.csv"'
    rows = read_csv(response.content)
    assert len(rows) == 6
    assert "Gamma" not in {row["Case study"] for row in rows}
    response = client.get(url, {"format": "xlsx", "code": casebook.funding.pk})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Excerpts"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        casebook.excerpts.e2.pk,
        casebook.excerpts.e3.pk,
    ]
    about = openpyxl.load_workbook(io.BytesIO(response.content))["About this export"]
    assert ["Filters", "code “Funding”"] in [list(row) for row in about.iter_rows(values_only=True)]


def test_the_excerpt_list_page_counts_its_queries(client, casebook):
    client.force_login(casebook.lead)
    url = reverse("analysis:excerpts", args=[casebook.project.slug])

    def grow() -> None:
        for n in range(30):
            make_excerpt(casebook.interviews.i2, start=n, end=n + 5, codes=[casebook.trust], coded_by=casebook.bob)
        grow_coded_material(
            casebook.project,
            codes=[casebook.trust, casebook.funding],
            coded_by=casebook.alice,
            interviews=[casebook.interviews.i1, casebook.interviews.i3],
        )

    assert_flat(lambda: client.get(url), grow, expected=12)
    response = client.get(url)
    assert response.context["total"] == Excerpt.objects.count() == 55
    assert len(response.context["rows"]) == 50  # the first page


def test_every_excerpt_as_a_report_to_print_withholds_and_redacts_as_the_spreadsheets_do(client, casebook):
    project = casebook.project
    client.force_login(casebook.lead)

    response = client.get(reverse("analysis:excerpts", args=[project.slug]), {"format": "html"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "7 excerpts; the text of 3 was withheld: 2 no consent to quote, 1 speaker not on record." in page
    assert "[Withheld: a participant has not consented to be quoted]" in page
    assert "We never really trusted the charity" not in page  # Graham did not consent
    assert "Ellingham" not in page and "Pettifer" not in page
