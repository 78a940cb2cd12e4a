from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casestudies.models import Interview, ProjectMembership, ProjectRole
from coding.models import Code, Excerpt
from exchange.models import ImportJob
from tests.factories import PASSWORD, make_lead, make_project, make_researcher, make_user
from tests.querycounts import assert_flat

from . import fixtures as f
from .helpers import NS, assert_valid, make_qdpx, record_counts, unzip


def _login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def upload(client, django_capture_on_commit_callbacks):
    """Post a file to the import form; the import task runs when the job commits (immediate backend)."""

    def post(project, data: bytes, name: str, kind: str = "project"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("exchange:import", args=[project.slug]),
                {"kind": kind, "file": SimpleUploadedFile(name, data)},
            )

    return post


@pytest.fixture
def project(db):
    return make_project(title="Riverside study", slug="riverside")


def test_the_exchange_page_offers_exports_and_imports_to_a_lead(client, project):
    response = _login(client, make_lead(project)).get(reverse("exchange:exchange", args=[project.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Exchange with other tools" in page
    assert f'href="{reverse("exchange:export_qdpx", args=[project.slug])}"' in page
    assert f'href="{reverse("exchange:export_qdc", args=[project.slug])}"' in page
    assert "Import a project (.qdpx)" in page and "Import a codebook (.qdc)" in page
    assert f'<a href="{reverse("exchange:exchange", args=[project.slug])}">Exchange</a>' in page


def test_a_researcher_sees_exports_but_no_import_forms(client, project):
    researcher = make_researcher(project)
    page = _login(client, researcher).get(reverse("exchange:exchange", args=[project.slug])).content.decode()
    assert "Download riverside.qdpx" in page
    assert "As a researcher you export what you can see" in page
    assert "Import a project (.qdpx)" not in page
    assert "Only the project's leads and admins can import into the project." in page


def test_a_researcher_cannot_import(client, project, upload):
    researcher = make_researcher(project)
    before = record_counts()
    _login(client, researcher)
    response = upload(project, f.nvivo_like_qdpx(), "x.qdpx")
    assert response.status_code == 403
    assert record_counts() == before


def test_outsiders_get_404_for_every_exchange_page(client, project, upload):
    _login(client, make_user())
    for name in ("exchange", "export_qdpx", "export_qdc"):
        assert client.get(reverse(f"exchange:{name}", args=[project.slug])).status_code == 404
    assert upload(project, f.nvivo_like_qdpx(), "x.qdpx").status_code == 404
    job = ImportJob.objects.create(project=project, kind="project", file_name="x.qdpx", status="succeeded")
    assert client.get(job.get_absolute_url()).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.get(reverse("exchange:export_qdpx", args=[project.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_export_buttons_download_valid_files(client, coded_project):
    project = coded_project["project"]
    _login(client, coded_project["lead"])
    response = client.get(reverse("exchange:export_qdpx", args=[project.slug]))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{project.slug}.qdpx"'
    root = assert_valid(unzip(response.content)["project.qde"], "Project-mrt2019.xsd")
    assert len(root.findall("q:Sources/q:TextSource", NS)) == 3
    response = client.get(reverse("exchange:export_qdc", args=[project.slug]))
    assert response["Content-Disposition"] == f'attachment; filename="{project.slug}.qdc"'
    assert_valid(response.content, "Codebook-mrt2019.xsd")


def test_a_researchers_download_holds_only_what_they_can_see(client, coded_project):
    project = coded_project["project"]
    _login(client, coded_project["researcher"])
    files = unzip(client.get(reverse("exchange:export_qdpx", args=[project.slug])).content)
    assert len(files) == 3  # project.qde and two of the three transcripts


def test_exporting_an_empty_codebook_explains_why_not(client, project):
    _login(client, make_lead(project))
    response = client.get(reverse("exchange:export_qdc", args=[project.slug]), follow=True)
    assert "The project has no codes yet, so there is no codebook to export." in response.content.decode()


def test_an_import_shows_its_report(client, project, upload):
    lead = make_lead(project, first_name="Ruth", last_name="Ellis")
    _login(client, lead)
    response = upload(project, f.nvivo_like_qdpx(), "riverside.qdpx")
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:job", args=[project.slug, job.pk])
    assert (job.status, job.stage, job.created_by, job.file.name) == ("succeeded", "done", lead, "")

    page = client.get(response["Location"]).content.decode()
    assert "Imported “riverside.qdpx”" in page
    assert "Project from NVivo for Windows 12.6." in page
    assert '<tr><th scope="row">Excerpts</th><td class="num">5</td><td class="num">0</td></tr>' in page
    assert "“Alex Morgan” → a new inactive placeholder account “Alex Morgan (imported)” (refi-alex-morgan)." in page
    assert "were counted in UTF-16 code units" in page
    assert "The value “Female” of “Gender” on the case “Riverside”</td><td>the workbench has no field for it" in page
    assert Excerpt.objects.filter(interview__project=project).count() == 5


def test_a_codebook_import_shows_its_report(client, project, upload):
    _login(client, make_lead(project))
    qdc = f"""<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA 24"><Codes>
      <Code guid="{f.TRUST}" name="Trust &amp; &lt;respect&gt;" isCodable="true"/></Codes></CodeBook>"""
    response = upload(project, qdc.encode(), "codes.qdc", kind="codebook")
    page = client.get(response["Location"]).content.decode()
    assert "Codebook from MAXQDA 24." in page
    assert "Trust &amp; &lt;respect&gt;" in page  # escaped, never marked safe
    assert "Nothing was dropped." in page
    assert Code.objects.get(project=project).name == "Trust & <respect>"


def test_a_refused_file_is_explained_on_its_import_page_and_nothing_is_written(client, project, upload):
    _login(client, make_lead(project))
    before = record_counts()
    response = upload(project, make_qdpx(f.nvivo_like_project()), "broken.qdpx")
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "“broken.qdpx” was not imported" in page
    assert (
        f'<p class="error import-error" role="alert">Source “Interview with Ruth” (GUID {f.SOURCE}): its text file '
        f"“internal://{f.SOURCE_FILE}” is not in the archive. Nothing was imported.</p>" in page
    )
    assert record_counts() == before
    assert not Interview.objects.exists()
    assert (job.status, job.file.name) == ("failed", "")


def test_a_file_that_is_not_a_zip_is_refused_on_its_import_page(client, project, upload):
    _login(client, make_lead(project))
    response = upload(project, b"just text", "notes.qdpx")
    page = client.get(response["Location"]).content.decode()
    assert "“notes.qdpx” is not a .qdpx project: it is not a zip archive. Nothing was imported." in page


def test_an_upload_over_the_size_limit_is_refused(client, project, settings, upload):
    settings.UPLOAD_MAX_BYTES = 1024
    _login(client, make_lead(project))
    response = upload(project, b"0" * 2048, "big.qdpx")
    assert response.status_code == 400
    assert "The file is 2.0\xa0KB; the limit is 1.0\xa0KB." in response.content.decode()


def test_an_import_page_is_shown_only_under_its_own_project(client, project, upload):
    lead = make_lead(project)
    other = make_project(slug="other")
    make_lead(other, username="other-lead")
    ProjectMembership.objects.create(project=other, user=lead, role=ProjectRole.LEAD)
    _login(client, lead)
    upload(project, f.nvivo_like_qdpx(), "riverside.qdpx")
    job = ImportJob.objects.get()
    assert client.get(reverse("exchange:job", args=[other.slug, job.pk])).status_code == 404
    assert client.get(reverse("exchange:job", args=[project.slug, job.pk])).status_code == 200


def test_the_exchange_page_lists_recent_imports_to_a_lead(client, project, upload):
    lead = make_lead(project, first_name="Ruth", last_name="Ellis")
    _login(client, lead)
    upload(project, f.nvivo_like_qdpx(), "riverside.qdpx")
    upload(project, b"just text", "notes.qdpx")
    page = client.get(reverse("exchange:exchange", args=[project.slug])).content.decode()
    first, second = ImportJob.objects.order_by("pk")
    assert f'<td><a href="{first.get_absolute_url()}">riverside.qdpx</a></td>' in page
    assert f'<td><a href="{second.get_absolute_url()}">notes.qdpx</a></td>' in page
    assert page.count("<td>Ruth Ellis</td>") == 2
    assert "<td>Imported</td>" in page and "<td>Failed</td>" in page


def test_the_exchange_page_takes_a_fixed_number_of_queries_however_many_imports(client, project):
    lead = make_lead(project)

    def add_imports(count: int) -> None:
        for n in range(count):
            ImportJob.objects.create(
                project=project,
                kind="project" if n % 2 else "codebook",
                file_name=f"import-{n}.qdpx",
                status="succeeded",
                created_by=make_lead(project),
            )

    add_imports(2)
    _login(client, lead)
    url = reverse("exchange:exchange", args=[project.slug])

    assert_flat(lambda: client.get(url), lambda: add_imports(8), expected=8)
    assert client.get(url).content.decode().count('<tr class="import ') == 10
