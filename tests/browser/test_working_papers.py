"""A lead builds the demo working paper in the browser and downloads it."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def open_demo_paper(page):
    page.get_by_role("link", name="Working papers", exact=True).click()
    page.get_by_role("link", name="Partnership working in and with the third sector: emerging findings").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("emerging findings from the case studies")


def test_a_lead_gets_the_demo_paper_as_a_pdf_in_one_click(transactional_db, demo_project, log_in, tmp_path):
    page = log_in("lead")
    open_demo_paper(page)

    # The build runs inside the request here (the immediate backend): rendering the demo paper takes about 25 s,
    # near Playwright's 30-second wait for the navigation a click starts.
    page.get_by_role("button", name="Build PDF").click(timeout=120_000)

    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        download_link.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith("Working-Paper-58-") and path.suffix == ".pdf"
    reader = PdfReader(path)
    assert "emerging findings from the case studies" in reader.pages[0].extract_text().replace("\n", " ")


def test_the_page_follows_a_background_build_without_reloading(transactional_db, demo_project, log_in, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    page = log_in("lead")
    open_demo_paper(page)

    page.get_by_role("button", name="Build HTML").click()
    expect(page.locator("#builds")).to_contain_text("Queued: Waiting for a worker…")
    page.evaluate("window.notReloaded = true")

    call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())

    expect(page.get_by_role("link", name="Download HTML")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.notReloaded") is True


def test_a_researcher_reads_the_preview_of_a_paper_within_their_reach_but_cannot_build(
    transactional_db, demo_project, log_in
):
    page = log_in("researcher")
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.get_by_role("link", name="Working papers", exact=True).click()
    # The demo's working paper spans six case studies; the researcher is on two, so only the briefing is theirs.
    expect(
        page.get_by_role("link", name="Partnership working in and with the third sector: emerging findings")
    ).to_have_count(0)
    page.get_by_role("link", name="Housing associations in partnership: a briefing from two case studies").click()

    expect(page.get_by_role("button", name="Build PDF")).to_have_count(0)
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_role("heading", name="Key findings")).to_be_visible()
    expect(page.locator("article.paper-preview")).to_contain_text("Briefing Paper")
    assert console_errors == []  # nothing the content security policy had to block


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768}, {"width": 390, "height": 844}])
def test_a_lead_pins_and_excludes_quotations_for_a_question(transactional_db, demo_project, log_in, viewport):
    from reports.models import QuotationChoice

    page = log_in("lead")
    open_demo_paper(page)
    page.set_viewport_size(viewport)
    page.get_by_role("link", name="Quotations", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Quotations")
    page.get_by_role("navigation", name="Research questions").get_by_role("link", name="3.2 RQ2").click()
    expect(page.get_by_role("heading", level=2).first).to_contain_text("3.2 RQ2")

    quoted = page.locator("li.candidate", has=page.locator(".badge", has_text="Quoted here")).first
    excerpt_id = quoted.get_attribute("id")
    quoted.get_by_role("button", name="Exclude").click()
    expect(page.get_by_role("status")).to_contain_text("Excluded: the passage is not quoted under RQ2.")
    excluded = page.locator(f"#{excerpt_id}")
    expect(excluded.locator(".badge", has_text="Excluded")).to_be_visible()
    expect(excluded.get_by_role("button", name="Include again")).to_be_visible()

    waiting = (
        page.locator("li.candidate", has=page.locator(".badge", has_text="Not quoted"))
        .filter(has_not=page.locator(".badge", has_text="Excluded"))
        .first
    )
    pinned_id = waiting.get_attribute("id")
    waiting.get_by_role("button", name="Pin").click()
    pinned = page.locator(f"#{pinned_id}")
    expect(pinned.locator(".badge", has_text="Pinned")).to_be_visible()
    expect(pinned.locator(".badge", has_text="Quoted here")).to_be_visible()

    choices = dict(QuotationChoice.objects.values_list("excerpt_id", "choice"))
    assert choices == {
        int(excerpt_id.removeprefix("excerpt-")): "exclude",
        int(pinned_id.removeprefix("excerpt-")): "pin",
    }
    # Nothing runs off the side of the screen, on a laptop or a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
