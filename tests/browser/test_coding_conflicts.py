"""The coding page when someone else changed an excerpt first: it says what changed and lets the coder reapply."""

from playwright.sync_api import expect

from coding import services
from coding.models import Excerpt
from tests.browser.test_coding import coded_passage, coding_setup, open_coding_page  # noqa: F401 - fixture
from tests.factories import PASSWORD


def test_a_memo_saved_over_a_newer_version_shows_what_changed_and_can_be_reapplied(
    coding_setup,  # noqa: F811 - the fixture imported above
    page,
    live_server,
    log_in,
):
    interview = coding_setup["interview"]
    passage = "Nobody had a plan for the money."
    excerpt = coded_passage(coding_setup, passage, "trust")
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, interview, f"#excerpt-{excerpt.pk}")
    panel = page.locator("#excerpt-panel")
    expect(panel).to_contain_text(passage)
    # Meanwhile the lead, in another browser, writes a memo and adds a code.
    services.update_excerpt(
        excerpt=Excerpt.objects.get(pk=excerpt.pk),
        changed_by=coding_setup["lead"],
        memo="The lead's reading.",
        codes=[coding_setup["trust"], coding_setup["money"]],
    )
    panel.get_by_label("Memo").fill("Money as the unspoken issue.")
    panel.get_by_role("button", name="Save memo").click()
    expect(page.locator("#coding-status")).to_contain_text("was changed elsewhere; nothing was saved")
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("Your change (“Edit memo”) was not saved.")
    expect(alert).to_contain_text("memo: now “The lead's reading.”")
    expect(alert).to_contain_text("codes: now Trust, Money")
    assert Excerpt.objects.get(pk=excerpt.pk).memo == "The lead's reading."
    alert.get_by_role("button", name="Apply my change again").click()
    expect(page.locator("#coding-status")).to_have_text("Applied again: Edit memo.")
    expect(panel.get_by_role("alert")).to_have_count(0)
    stored = Excerpt.objects.get(pk=excerpt.pk)
    assert (stored.memo, stored.version) == ("Money as the unspoken issue.", 3)
    assert set(stored.codes.values_list("name", flat=True)) == {"Trust", "Money"}
