import pytest
from django.urls import reverse
from playwright.sync_api import expect

from casestudies.models import Interview
from tests.casestudies import transcript_files as files
from tests.factories import PASSWORD, make_case_study, make_interview, make_lead, make_project


@pytest.fixture
def lead_and_interview(transactional_db):
    project = make_project()
    lead = make_lead(project, username="ruth")
    interview = make_interview(make_case_study(project), transcript="", title="Interview with the director")
    return lead, interview


@pytest.fixture
def csp_violations(page):
    seen = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    return seen


def long_transcript(turns: int = 2400) -> bytes:
    speakers = ["Interviewer", "Siân"]
    return "\n\n".join(
        f"{speakers[n % 2]}: Turn {n}. We talked about the contract, the figures and the board’s view of it all."
        for n in range(turns)
    ).encode()


def test_a_large_upload_shows_its_progress_then_the_imported_transcript(
    lead_and_interview, page, live_server, log_in, csp_violations
):
    _, interview = lead_and_interview
    data = long_transcript()
    assert len(data) > 200_000
    log_in("ruth", PASSWORD)
    page.goto(live_server.url + reverse("casestudies:interview_import", args=[interview.pk]))
    # Slow the upload to about 100 KB a second, as over a poor connection, so the progress can be seen.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 100 * 1024},
    )
    page.get_by_label("Transcript file").set_input_files({"name": "long.txt", "mimeType": "text/plain", "buffer": data})
    page.get_by_role("button", name="Import").click()

    progress = page.locator(".upload-progress progress")
    expect(progress).to_be_visible()
    page.wait_for_function(
        "() => { const bar = document.querySelector('.upload-progress progress');"
        " return bar.value > 0 && bar.value < bar.max; }"
    )
    expect(page.locator("#upload-progress-text")).to_contain_text("Uploading “long.txt”: ")
    expect(page.locator("#upload-progress-text")).to_contain_text(" of ")

    page.wait_for_url(live_server.url + interview.get_absolute_url(), timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text("Imported “long.txt”: ")
    expect(page.get_by_role("status")).to_contain_text("speakers: Interviewer (1,200), Siân (1,200)")
    expect(page.locator(".turn").first).to_contain_text("Turn 0. We talked about the contract")
    interview.refresh_from_db()
    assert interview.transcript == data.decode()
    assert csp_violations == []


def test_a_refused_file_is_explained_in_place_and_a_good_one_can_follow(
    lead_and_interview, page, live_server, log_in, csp_violations
):
    _, interview = lead_and_interview
    log_in("ruth", PASSWORD)
    url = live_server.url + reverse("casestudies:interview_import", args=[interview.pk])
    page.goto(url)
    page.get_by_label("Transcript file").set_input_files(
        {"name": "scan.pdf", "mimeType": "application/pdf", "buffer": files.pdf_image_only()}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("“scan.pdf” has no text layer")
    assert page.url == url
    assert Interview.objects.get(pk=interview.pk).transcript == ""

    page.get_by_label("Transcript file").set_input_files(
        {"name": "interview.docx", "mimeType": "application/octet-stream", "buffer": files.docx_file(files.TURNS)}
    )
    page.get_by_role("button", name="Import").click()
    page.wait_for_url(live_server.url + interview.get_absolute_url())
    expect(page.locator(".turn").nth(1)).to_have_text(
        "Siân: With a phone call, really — in the café on Dale Street. 🙂"
    )
    assert csp_violations == []


def test_a_file_over_the_limit_is_refused_before_it_is_sent(lead_and_interview, page, live_server, log_in, settings):
    _, interview = lead_and_interview
    settings.UPLOAD_MAX_BYTES = 1024
    requests = []
    log_in("ruth", PASSWORD)
    page.goto(live_server.url + reverse("casestudies:interview_import", args=[interview.pk]))
    page.on("request", lambda request: requests.append(request.method))
    page.get_by_label("Transcript file").set_input_files(
        {"name": "long.txt", "mimeType": "text/plain", "buffer": b"Q: x\n" * 1000}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_have_text(
        "“long.txt” is 4.9\u00a0KB; the largest file that can be imported is 1.0\u00a0KB."
    )
    assert "POST" not in requests


def test_a_new_interview_is_created_with_its_transcript_file(lead_and_interview, page, live_server, log_in):
    _, existing = lead_and_interview
    log_in("ruth", PASSWORD)
    page.goto(live_server.url + reverse("casestudies:interview_create", args=[existing.project.slug]))
    page.get_by_label("Title").fill("Board chair")
    page.get_by_label("Case study").select_option(label=existing.case_study.title)
    page.get_by_label("Or import a transcript file").set_input_files(
        {"name": "chair.odt", "mimeType": "application/octet-stream", "buffer": files.odt_file(files.TURNS)}
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Board chair")
    expect(page.get_by_role("status")).to_contain_text("Saved the interview “Board chair”. Imported “chair.odt”")
    assert Interview.objects.get(title="Board chair").transcript == files.CANONICAL
