"""Coding together in real Chromium: two coders on one interview, each in their own browser, see each other's
coding arrive without reloading, and who else has the interview open; under blind coding they see neither."""

import pytest
from playwright.sync_api import expect

from casestudies.models import Interview
from coding import services
from coding.models import Excerpt
from tests.browser.conftest import log_in_on
from tests.browser.test_coding import coded_passage, coding_setup, drag_select, open_coding_page  # noqa: F401 - fixture
from tests.factories import PASSWORD, make_researcher

# Changes reach the other page within two seconds; the assertions allow for a slow machine.
ARRIVES = 5_000


@pytest.fixture
def second_page(browser, live_server):
    """Another person's browser: a context of its own, with its own session."""
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    yield lambda username: log_in_on(page, live_server.url, username, PASSWORD)
    context.close()
    assert errors == []


def test_a_coders_work_reaches_a_colleagues_page_without_a_reload(
    coding_setup,  # noqa: F811 - the fixture imported above
    page,
    live_server,
    log_in,
    second_page,
):
    interview = coding_setup["interview"]
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, interview)
    other = second_page("lena")
    open_coding_page(other, live_server, interview)
    expect(other.locator("#excerpt-summary")).to_have_text("0 excerpts")

    # Each sees the other at work, as initials in their colour.
    expect(other.get_by_role("list", name="Also coding this interview").get_by_role("listitem")).to_have_text(["RR"])
    expect(page.get_by_role("list", name="Also coding this interview").get_by_role("listitem")).to_have_text(
        ["LL"], timeout=ARRIVES
    )
    assert page.locator("#present li").get_attribute("aria-label") == "Lena Lead"

    # Rafi codes a passage: Lena's page shows it.
    drag_select(page, "Nobody had a plan for the money.")
    page.get_by_placeholder("Type to find or create a code").fill("Money")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Money”")
    expect(other.locator("#excerpt-summary")).to_have_text("1 excerpt", timeout=ARRIVES)
    expect(other.locator(".hl")).to_have_text(["Nobody had a plan for the money."])
    expect(other.locator("#live-status")).to_contain_text("Rafi Researcher coded an excerpt")
    # Rafi's own page does not report his own work back to him.
    expect(page.locator("#live-status")).to_have_text("")

    # He writes a memo; Lena opens the excerpt and reads it.
    panel = page.locator("#excerpt-panel")
    panel.get_by_label("Memo").fill("Money as the unspoken issue.")
    panel.get_by_role("button", name="Save memo").click()
    expect(page.locator("#coding-status")).to_have_text("Memo saved.")
    expect(other.locator("#live-status")).to_contain_text("An excerpt by Rafi Researcher changed", timeout=ARRIVES)
    other.locator(".hl").first.click()
    expect(other.locator("#excerpt-panel")).to_contain_text("Money as the unspoken issue.")

    # Lena adds a code to the codebook from her page: it reaches Rafi's filters.
    other.get_by_role("button", name="Close").click()
    drag_select(other, "It held for a year.")
    other.get_by_placeholder("Type to find or create a code").fill("Durability")
    other.get_by_role("option", name="Create").first.click()
    expect(other.locator("#coding-status")).to_contain_text("Durability")
    expect(page.locator("#code-filter")).to_contain_text("Durability", timeout=ARRIVES)
    expect(page.locator("#excerpt-summary")).to_have_text("2 excerpts")

    # Rafi deletes his excerpt: it goes from Lena's page, and her open panel closes.
    other.locator(".hl", has_text="Nobody had a plan").click()
    expect(other.locator("#excerpt-panel")).to_contain_text("Money as the unspoken issue.")
    page.locator(".hl", has_text="Nobody had a plan").click()
    page.locator("#excerpt-panel").get_by_role("button", name="Delete excerpt").click()
    expect(page.locator("#coding-status")).to_have_text("Excerpt deleted.")
    expect(other.locator("#excerpt-summary")).to_have_text("1 excerpt", timeout=ARRIVES)
    expect(other.locator("#excerpt-panel")).to_be_hidden()
    expect(other.locator("#coding-status")).to_have_text("The excerpt you had open was deleted by someone else.")

    # Rafi leaves: Lena no longer sees him at work.
    page.goto(f"{live_server.url}/")
    expect(other.locator("#present li")).to_have_count(0, timeout=ARRIVES)


def test_a_memo_being_written_when_someone_else_changes_it_keeps_both(
    coding_setup,  # noqa: F811
    page,
    live_server,
    log_in,
):
    interview = coding_setup["interview"]
    passage = "Nobody had a plan for the money."
    excerpt = coded_passage(coding_setup, passage, "money")
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, interview, f"#excerpt-{excerpt.pk}")
    panel = page.locator("#excerpt-panel")
    panel.get_by_label("Memo").fill("My reading, half written")
    # Meanwhile the lead writes a memo on it.
    services.update_excerpt(
        excerpt=Excerpt.objects.get(pk=excerpt.pk), changed_by=coding_setup["lead"], memo="The lead's reading."
    )
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("memo: now “The lead's reading.”", timeout=ARRIVES)
    # What Rafi was writing is still there; applying it again saves it over the lead's, knowingly.
    expect(panel.get_by_label("Memo")).to_have_value("My reading, half written")
    alert.get_by_role("button", name="Apply my change again").click()
    expect(page.locator("#coding-status")).to_have_text("Applied again: Edit memo.")
    assert Excerpt.objects.get(pk=excerpt.pk).memo == "My reading, half written"


def test_under_blind_coding_a_coder_sees_nothing_of_others_at_work(
    coding_setup,  # noqa: F811
    page,
    live_server,
    log_in,
    second_page,
):
    interview = coding_setup["interview"]
    Interview.objects.filter(pk=interview.pk).update(is_blind_coding=True)
    make_researcher(coding_setup["project"], interview.case_study, username="sam", first_name="Sam", last_name="Second")
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, interview)
    other = second_page("sam")
    open_coding_page(other, live_server, interview)
    drag_select(other, "Nobody had a plan for the money.")
    other.get_by_placeholder("Type to find or create a code").fill("Money")
    other.keyboard.press("Enter")
    expect(other.locator("#coding-status")).to_contain_text("Applied “Money”")
    # Rafi codes too, so that his page has asked and answered since Sam's excerpt.
    drag_select(page, "It held for a year.")
    page.get_by_placeholder("Type to find or create a code").fill("Trust")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Trust”")
    page.wait_for_timeout(2_500)
    expect(page.locator(".hl")).to_have_text(["It held for a year."])
    expect(page.locator("#present li")).to_have_count(0)
    expect(page.locator("#live-status")).to_have_text("")
    expect(other.locator("#present li")).to_have_count(0)
