import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.exchange import fixtures
from tests.factories import PASSWORD, make_lead, make_project


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_lead_imports_a_project_and_reads_the_report(transactional_db, live_server, page, log_in, tmp_path):
    project = make_project(title="Riverside study", slug="riverside")
    make_lead(project, username="ruth", first_name="Ruth", last_name="Ellis")
    upload = tmp_path / "riverside.qdpx"
    upload.write_bytes(fixtures.nvivo_like_qdpx())

    log_in("ruth", PASSWORD)
    page.goto(f"{live_server.url}/projects/riverside/")
    page.get_by_role("link", name="Exchange", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exchange with other tools")
    form = page.locator("form", has=page.get_by_role("heading", name="Import a project (.qdpx)"))
    form.get_by_label("File").set_input_files(str(upload))
    form.get_by_role("button", name="Import project").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Imported “riverside.qdpx”")
    summary = page.locator("table.exchange-summary")
    expect(summary.get_by_role("row", name="Excerpts")).to_contain_text("5")
    expect(page.locator("body")).to_contain_text("were counted in UTF-16 code units")
    expect(page.locator("body")).to_contain_text("The value “Female” of “Gender” on the case “Riverside”")


def test_a_refused_file_is_explained_on_its_import_page(transactional_db, live_server, page, log_in, tmp_path):
    project = make_project(title="Riverside study", slug="riverside")
    make_lead(project, username="ruth")
    upload = tmp_path / "notes.qdpx"
    upload.write_text("not a zip")

    log_in("ruth", PASSWORD)
    page.goto(f"{live_server.url}/projects/riverside/exchange/")
    form = page.locator("form", has=page.get_by_role("heading", name="Import a project (.qdpx)"))
    form.get_by_label("File").set_input_files(str(upload))
    form.get_by_role("button", name="Import project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("“notes.qdpx” was not imported")
    expect(page.get_by_role("alert")).to_have_text(
        "“notes.qdpx” is not a .qdpx project: it is not a zip archive. Nothing was imported."
    )


def test_the_import_page_follows_a_background_import_without_reloading(
    transactional_db, live_server, page, log_in, tmp_path, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    project = make_project(title="Riverside study", slug="riverside")
    make_lead(project, username="ruth")
    upload = tmp_path / "riverside.qdpx"
    upload.write_bytes(fixtures.nvivo_like_qdpx())

    log_in("ruth", PASSWORD)
    page.goto(f"{live_server.url}/projects/riverside/exchange/")
    form = page.locator("form", has=page.get_by_role("heading", name="Import a project (.qdpx)"))
    form.get_by_label("File").set_input_files(str(upload))
    form.get_by_role("button", name="Import project").click()
    expect(page.locator("#import-job")).to_contain_text("Queued: Waiting for a worker…")
    page.evaluate("window.notReloaded = true")

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())

    expect(page.get_by_role("heading", level=1)).to_have_text("Imported “riverside.qdpx”", timeout=15_000)
    expect(page.locator("table.exchange-summary").get_by_role("row", name="Excerpts")).to_contain_text("5")
    assert page.evaluate("window.notReloaded") is True
