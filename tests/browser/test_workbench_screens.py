import pytest
from playwright.sync_api import expect

from coding.models import Excerpt
from tests.browser.test_coding import drag_select, open_coding_page
from tests.factories import (
    PASSWORD,
    make_case_study,
    make_code,
    make_interview,
    make_lead,
    make_project,
    make_researcher,
)

TURNS = [
    f"Interviewer: What happened in month {n}?\n\nRuth: In month {n} the board met twice and the council "
    f"asked again about the money for the merger, number {n} of many such talks."
    for n in range(60)
]
TRANSCRIPT = "\n\n".join(TURNS)
PASSAGE = "the board met twice"


@pytest.fixture
def long_interview(transactional_db):
    project = make_project(slug="partnership")
    case_study = make_case_study(project, title="Housing mergers")
    interview = make_interview(case_study, title="Chief executive", transcript=TRANSCRIPT)
    make_researcher(project, case_study, username="rafi", first_name="Rafi", last_name="Researcher")
    make_lead(project, username="lena")
    make_code(project, name="Trust", colour="#117733")
    return {"project": project, "interview": interview}


def in_viewport(page, selector: str) -> bool:
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top >= 0 && box.left >= 0 && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
        }""",
        selector,
    )


def code_a_passage_far_down(page, live_server, interview) -> None:
    open_coding_page(page, live_server, interview)
    page.evaluate("() => document.querySelectorAll('.turn')[80].scrollIntoView({block: 'center'})")
    page.evaluate("() => window.scrollBy(0, 0)")
    turn_text = "In month 40 the board met twice"
    drag_select(page, turn_text)
    page.get_by_placeholder("Type to find or create a code").fill("trust")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Trust”")
    expect(page.locator("#excerpt-memo")).to_be_visible()


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1280, 720)])
def test_after_coding_a_passage_the_memo_box_is_on_screen_at_laptop_widths(
    long_interview, page, live_server, log_in, width, height
):
    page.set_viewport_size({"width": width, "height": height})
    log_in("rafi", PASSWORD)
    code_a_passage_far_down(page, live_server, long_interview["interview"])
    assert Excerpt.objects.get().text == "In month 40 the board met twice"
    assert in_viewport(page, "#excerpt-memo")
    # The confirmation and Undo are on screen where the coder works, not thousands of pixels above.
    assert in_viewport(page, "#coding-status") and in_viewport(page, "#undo-button")
    page.locator("#excerpt-memo").fill("Twice: a sign of trouble")
    page.locator("#excerpt-memo").blur()
    expect(page.locator("#coding-status")).to_contain_text("memo", ignore_case=True)
    assert in_viewport(page, "#coding-status")


def test_on_a_phone_the_excerpt_panel_opens_as_a_drawer_on_screen(long_interview, page, live_server, log_in):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("rafi", PASSWORD)
    code_a_passage_far_down(page, live_server, long_interview["interview"])
    assert in_viewport(page, "#excerpt-panel")
    assert page.evaluate("() => getComputedStyle(document.getElementById('excerpt-panel')).position") == "fixed"
    # The sheet leaves most of the screen to the transcript, and Undo and the status stay in view above it.
    assert page.locator("#excerpt-panel").bounding_box()["height"] <= 0.5 * 844
    assert in_viewport(page, "#coding-status") and in_viewport(page, "#undo-button")
    panel = page.locator("#excerpt-panel")
    # It closes with its own button...
    panel.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()
    # ...and with a tap beside it; a tap on the highlight opens it again.
    page.locator(".hl").first.click()
    expect(panel).to_be_visible()
    page.locator(".turn", has_text="In month 41 the board").first.click()
    expect(panel).to_be_hidden()
    # The filters and keys, below a long transcript on a phone, are one tap away.
    page.get_by_role("link", name="Filters and keys").click()
    expect(page.locator("#filter-heading")).to_be_in_viewport()


def test_on_a_phone_no_page_is_wider_than_the_screen_and_the_menu_folds(long_interview, page, live_server, log_in):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("lena", PASSWORD)
    interview = long_interview["interview"]
    project = long_interview["project"]
    paths = [
        "/",
        f"/projects/{project.slug}/",
        f"/projects/{project.slug}/codebook/",
        f"/interviews/{interview.pk}/code/",
        interview.get_absolute_url(),
    ]
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('body *'))
                .filter((e) => e.getBoundingClientRect().right > 391)
                .slice(0, 3).map((e) => `${e.tagName}.${e.className}`)"""
        )
        assert width <= 390, f"{path} is {width} px wide: {wide}"
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    links = page.locator("#nav-links")
    expect(links).to_be_hidden()
    menu.click()
    expect(links).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")


def test_the_signed_in_name_shows_at_laptop_width_and_the_current_page_is_marked(
    long_interview, page, live_server, log_in
):
    page.set_viewport_size({"width": 1280, "height": 720})
    log_in("rafi", PASSWORD)
    page.goto(f"{live_server.url}/projects/{long_interview['project'].slug}/codebook/")
    expect(page.locator(".who")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("Rafi Researcher")
    current = page.locator(".nav-links a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Codebook")


def test_single_key_shortcuts_can_be_turned_off_and_stay_off(long_interview, page, live_server, log_in):
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, long_interview["interview"])
    page.locator("#transcript").focus()
    page.keyboard.press("j")
    assert page.evaluate("() => window.getSelection().toString()").startswith("What happened in month 0")
    page.locator("#shortcut-summary").click()
    page.locator("#single-key-toggle").uncheck()
    expect(page.locator("#coding-status")).to_contain_text("Single-key shortcuts are off")
    page.reload()
    expect(page.locator("#transcript[data-ready=true]")).to_have_count(1)
    expect(page.locator("#single-key-toggle")).not_to_be_checked()
    page.evaluate("() => window.getSelection().removeAllRanges()")
    page.locator("#transcript").focus()
    page.keyboard.press("j")
    assert page.evaluate("() => window.getSelection().toString()") == ""
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => window.getSelection().toString()").startswith("What happened in month 0")
