import pytest
from playwright.sync_api import expect

from coding import services
from coding.models import Code, Excerpt
from tests.factories import (
    PASSWORD,
    make_case_study,
    make_code,
    make_interview,
    make_lead,
    make_project,
    make_researcher,
)

TRANSCRIPT = (
    "Interviewer: How did it start?\n\n"
    "Ruth: We met at the café 😀 and shook hands 🤝 on it. Then the council called. "
    "Nobody had a plan for the money.\n\n"
    "Interviewer: And after that?\n\n"
    "Ruth: The board said 合作 was the word, and שותפות in the other office. It held for a year."
)


@pytest.fixture
def coding_setup(transactional_db):
    project = make_project(slug="partnership")
    case_study = make_case_study(project, title="Housing mergers")
    interview = make_interview(case_study, title="Chief executive", transcript=TRANSCRIPT)
    coder = make_researcher(project, case_study, username="rafi", first_name="Rafi", last_name="Researcher")
    lead = make_lead(project, username="lena", first_name="Lena", last_name="Lead")
    trust = make_code(project, name="Trust", colour="#2ca02c")
    money = make_code(project, name="Money", colour="#d62728")
    return {"project": project, "interview": interview, "coder": coder, "lead": lead, "trust": trust, "money": money}


def open_coding_page(page, live_server, interview, fragment=""):
    page.goto(f"{live_server.url}/interviews/{interview.pk}/code/{fragment}")
    expect(page.locator("#transcript[data-ready=true]")).to_have_count(1)


def drag_select(page, passage: str, *, alt: bool = False) -> None:
    """Select `passage` with the mouse: press before its first character, release after its last (holding Alt,
    where asked)."""
    box = passage_box(page, passage)
    if alt:
        page.keyboard.down("Alt")
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=8)
    page.mouse.up()
    if alt:
        page.keyboard.up("Alt")


def passage_box(page, passage: str) -> dict:
    """Where `passage` is on the screen: a point inside its first character (x1, y1) and its last (x2, y2)."""
    box = page.evaluate(
        """(passage) => {
            for (const turn of document.querySelectorAll('.turn')) {
                const walker = document.createTreeWalker(turn, NodeFilter.SHOW_TEXT);
                const nodes = [];
                let text = '';
                for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                    nodes.push([n, text.length]);
                    text += n.data;
                }
                const at = text.indexOf(passage);
                if (at < 0) continue;
                const point = (offset) => {
                    for (let i = nodes.length - 1; i >= 0; i--) {
                        if (nodes[i][1] <= offset) return [nodes[i][0], offset - nodes[i][1]];
                    }
                };
                const rect = (offset, length) => {
                    const [node, local] = point(offset);
                    const range = document.createRange();
                    range.setStart(node, local);
                    range.setEnd(node, local + length);
                    return range.getBoundingClientRect();
                };
                const last = passage.codePointAt(passage.length - 2) > 0xffff ? 2 : 1;
                const first = rect(at, passage.codePointAt(0) > 0xffff ? 2 : 1);
                const end = rect(at + passage.length - last, last);
                return {
                    x1: first.left + 1, y1: first.top + first.height / 2,
                    x2: end.right - 1, y2: end.top + end.height / 2,
                };
            }
            return null;
        }""",
        passage,
    )
    assert box, f"{passage!r} is not on the page"
    return box


def coded_passage(coding_setup, passage: str, code: str):
    """An excerpt of `passage` with the code named, coded by the researcher (rafi) before the page opens."""
    start = TRANSCRIPT.index(passage)
    return services.create_excerpt(
        interview=coding_setup["interview"],
        start=start,
        end=start + len(passage),
        codes=[coding_setup[code]],
        coded_by=coding_setup["coder"],
    )


def highlighted_text(page) -> str:
    return page.evaluate("() => Array.from(document.querySelectorAll('.hl'), (s) => s.textContent).join('')")


def test_a_mouse_selection_with_an_emoji_is_coded_and_still_covers_the_same_characters_after_reload(
    coding_setup, page, live_server, log_in
):
    log_in("rafi", PASSWORD)
    interview = coding_setup["interview"]
    open_coding_page(page, live_server, interview)
    passage = "the café 😀 and shook hands 🤝"
    drag_select(page, passage)
    picker = page.get_by_role("dialog", name="Apply a code")
    expect(picker).to_be_visible()
    expect(picker).to_contain_text("Code “the café 😀 and shook hands 🤝”")
    page.get_by_placeholder("Type to find or create a code").fill("tru")
    page.get_by_role("option", name="Trust").click()
    expect(page.locator("#coding-status")).to_contain_text("Applied “Trust”")
    excerpt = Excerpt.objects.get()
    assert excerpt.text == passage
    assert (excerpt.start, excerpt.end) == (TRANSCRIPT.index(passage), TRANSCRIPT.index(passage) + len(passage))
    assert list(excerpt.codes.all()) == [coding_setup["trust"]]
    page.reload()
    expect(page.locator("#transcript[data-ready=true]")).to_have_count(1)
    assert highlighted_text(page) == passage
    expect(page.locator(".stripe")).to_have_count(1)


def test_a_mouse_drag_snaps_to_whole_words_and_alt_selects_exactly(coding_setup, page, live_server, log_in):
    log_in("rafi", PASSWORD)
    interview = coding_setup["interview"]
    open_coding_page(page, live_server, interview)
    picker = page.get_by_role("dialog", name="Apply a code")

    drag_select(page, "oard said 合作 was the wo")  # starts and ends inside words
    expect(picker).to_contain_text("Code “board said 合作 was the word”")
    page.get_by_placeholder("Type to find or create a code").fill("tru")
    page.get_by_role("option", name="Trust").click()
    expect(page.locator("#coding-status")).to_contain_text("Applied “Trust”")
    assert Excerpt.objects.get().text == "board said 合作 was the word"

    drag_select(page, "ouncil call", alt=True)  # exactly as dragged
    expect(picker).to_contain_text("Code “ouncil call”")
    page.keyboard.press("Escape")

    drag_select(page, "held for a year")  # whole words already: unchanged, and never past the turn's end
    expect(picker).to_contain_text("Code “held for a year”")


def test_overlapping_codes_stay_distinguishable(coding_setup, page, live_server, log_in):
    interview = coding_setup["interview"]
    first = "We met at the café 😀 and shook hands"
    start = TRANSCRIPT.index(first)
    services.create_excerpt(
        interview=interview,
        start=start,
        end=start + len(first),
        codes=[coding_setup["trust"]],
        coded_by=coding_setup["coder"],
    )
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, interview)
    drag_select(page, "shook hands 🤝 on it. Then the council called.")
    page.get_by_placeholder("Type to find or create a code").fill("money")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Money”")
    overlap = page.locator(".hl-overlap")
    expect(overlap).to_have_count(1)
    expect(overlap).to_have_text("shook hands")
    ids = sorted(Excerpt.objects.values_list("pk", flat=True))
    assert sorted(int(i) for i in overlap.get_attribute("data-ids").split()) == ids
    expect(page.locator(".stripe")).to_have_count(2)
    lanes = page.evaluate("() => Array.from(document.querySelectorAll('.stripe'), (s) => s.style.left)")
    assert len(set(lanes)) == 2
    overlap.click()
    panel = page.locator("#excerpt-panel")
    expect(panel).to_contain_text("2 excerpts here")
    expect(panel.get_by_role("button", name="1. Trust (you)")).to_be_visible()
    expect(panel.get_by_role("button", name="2. Money (you)")).to_be_visible()


def test_undo_reverses_coding_actions_by_button_and_by_ctrl_z(coding_setup, page, live_server, log_in):
    log_in("rafi", PASSWORD)
    interview = coding_setup["interview"]
    open_coding_page(page, live_server, interview)
    drag_select(page, "Then the council called.")
    page.get_by_placeholder("Type to find or create a code").fill("Trust")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Trust”")
    assert Excerpt.objects.count() == 1
    expect(page.locator("#undo-label")).to_have_text("Apply “Trust”")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#coding-status")).to_contain_text("Undone: Apply “Trust”.")
    expect(page.locator(".hl")).to_have_count(0)
    assert Excerpt.objects.count() == 0

    drag_select(page, "Nobody had a plan for the money.")
    page.get_by_placeholder("Type to find or create a code").fill("Money")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Money”")
    panel = page.locator("#excerpt-panel")
    panel.get_by_label("Memo").fill("Money as the unspoken issue.")
    panel.get_by_role("button", name="Save memo").click()
    expect(page.locator("#coding-status")).to_have_text("Memo saved.")
    panel.get_by_role("button", name="Delete excerpt").click()
    expect(page.locator("#coding-status")).to_have_text("Excerpt deleted.")
    assert Excerpt.objects.count() == 0
    page.locator("#transcript").focus()
    page.keyboard.press("Control+z")
    expect(page.locator("#coding-status")).to_contain_text("Undone: Delete")
    excerpt = Excerpt.objects.get()
    assert (excerpt.text, excerpt.memo) == ("Nobody had a plan for the money.", "Money as the unspoken issue.")
    assert list(excerpt.codes.all()) == [coding_setup["money"]]
    page.keyboard.press("Control+z")
    expect(page.locator("#coding-status")).to_contain_text("Undone: Edit memo.")
    assert Excerpt.objects.get().memo == ""


def test_the_code_picker_works_by_keyboard_alone(coding_setup, page, live_server, log_in):
    log_in("rafi", PASSWORD)
    interview = coding_setup["interview"]
    open_coding_page(page, live_server, interview)
    for _ in range(40):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "transcript":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "transcript"

    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_have_attribute("open", "")
    expect(page.locator("#shortcuts")).to_contain_text("Select the next or previous sentence")
    page.keyboard.press("?")

    page.keyboard.press("j")  # "How did it start?"
    page.keyboard.press("j")  # Ruth's first sentence
    page.keyboard.press("Shift+J")  # ... and the next one
    assert page.evaluate("() => window.getSelection().toString()") == (
        "We met at the café 😀 and shook hands 🤝 on it. Then the council called."
    )
    page.keyboard.press("Enter")
    combobox = page.get_by_placeholder("Type to find or create a code")
    expect(combobox).to_be_focused()
    page.keyboard.type("tru")
    expect(page.get_by_role("option", name="Trust")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Trust”")
    assert Excerpt.objects.get().text == "We met at the café 😀 and shook hands 🤝 on it. Then the council called."

    # A new code, by keyboard: select the next sentence, type a new name, choose "Create code".
    page.locator("#transcript").focus()
    page.keyboard.press("Escape")
    page.keyboard.press("j")  # carries on after the passage just coded
    page.keyboard.press("Enter")
    page.keyboard.type("Handshakes")
    expect(page.get_by_role("option", name="Create code “Handshakes”")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “Handshakes”")
    created = Excerpt.objects.get(codes__name="Handshakes")
    assert created.text == "Nobody had a plan for the money."
    assert created.coded_by == coding_setup["coder"]

    # An in-vivo code named from the words selected: the last option, reached with the up arrow.
    page.keyboard.press("Escape")
    page.keyboard.press("]")
    page.keyboard.press("]")
    page.keyboard.press("Shift+K")
    assert page.evaluate("() => window.getSelection().toString()") == (
        "The board said 合作 was the word, and שותפות in the other office."
    )
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowUp")
    expect(
        page.get_by_role(
            "option", name="In-vivo code “The board said 合作 was the word, and שותפות in the other office”"
        )
    ).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page.locator("#coding-status")).to_contain_text("Applied “The board said 合作 was the word")
    in_vivo = Code.objects.get(name="The board said 合作 was the word, and שותפות in the other office")
    assert in_vivo.parent.name == "In-vivo codes"
    assert not in_vivo.parent.is_codable
    assert (
        Excerpt.objects.get(codes=in_vivo).text == "The board said 合作 was the word, and שותפות in the other office."
    )


def test_a_link_from_retrieval_scrolls_to_the_excerpt_and_flashes_it(coding_setup, page, live_server, log_in):
    interview = coding_setup["interview"]
    passage = "It held for a year."
    start = TRANSCRIPT.index(passage)
    excerpt = services.create_excerpt(
        interview=interview,
        start=start,
        end=start + len(passage),
        codes=[coding_setup["trust"]],
        coded_by=coding_setup["lead"],
        memo="Durability of the deal.",
    )
    log_in("rafi", PASSWORD)
    page.goto(f"{live_server.url}/codes/{coding_setup['trust'].pk}/")
    page.get_by_role("link", name="Chief executive").click()
    expect(page.locator("#transcript[data-ready=true]")).to_have_count(1)
    assert page.url.endswith(f"/interviews/{interview.pk}/code/#excerpt-{excerpt.pk}")
    flashed = page.locator(".hl-flash")
    expect(flashed).to_have_text(passage)
    expect(flashed).to_be_in_viewport()
    panel = page.locator("#excerpt-panel")
    expect(panel).to_contain_text("Coded by Lena Lead")
    expect(panel).to_contain_text("Durability of the deal.")
    expect(panel).to_contain_text("Only its coder and the project's leads can change this excerpt.")


def test_quick_successive_codings_are_all_saved_in_order(coding_setup, page, live_server, log_in):
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, coding_setup["interview"])
    page.locator("#transcript").focus()
    page.keyboard.press("j")
    page.keyboard.press("j")
    for name in ("Trust", "Money", "Trust"):
        page.keyboard.press("Enter")
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        page.keyboard.press("j")
    expect(page.locator("#excerpt-summary")).to_have_text("3 excerpts")
    rows = list(Excerpt.objects.order_by("start").values_list("text", "codes__name"))
    assert rows == [
        ("We met at the café 😀 and shook hands 🤝 on it.", "Trust"),
        ("Then the council called.", "Money"),
        ("Nobody had a plan for the money.", "Trust"),
    ]
    page.keyboard.press("Control+z")
    expect(page.locator("#excerpt-summary")).to_have_text("2 excerpts")
    assert not Excerpt.objects.filter(text="Nobody had a plan for the money.").exists()


def test_the_correction_editor_uses_the_page_at_laptop_and_phone_sizes(coding_setup, page, live_server, log_in):
    log_in("lena", PASSWORD)
    interview = coding_setup["interview"]
    for width, height in ((1024, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/interviews/{interview.pk}/correct/")
        box = page.get_by_label("Transcript").bounding_box()
        main = page.locator("main").bounding_box()
        # The editor spans the content column and most of the screen's height; the page is no wider than it.
        assert box["width"] >= main["width"] - 64, (width, box)
        assert box["height"] >= 0.6 * height, (width, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_coding_page_passes_axe_core_with_its_picker_and_panel_open(coding_setup, page, live_server, log_in):
    from axe_playwright_python.sync_playwright import Axe

    def serious() -> list[str]:
        violations = Axe().run(page).response["violations"]
        return [f"{v['id']} at {v['nodes'][0]['target']}" for v in violations if v["impact"] in ("serious", "critical")]

    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, coding_setup["interview"])
    drag_select(page, "Nobody had a plan for the money.")
    expect(page.get_by_role("dialog", name="Apply a code")).to_be_visible()
    assert serious() == []
    page.get_by_placeholder("Type to find or create a code").fill("Money")
    page.keyboard.press("Enter")
    expect(page.locator("#excerpt-panel")).to_be_visible()
    assert serious() == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert serious() == []


def test_a_highlight_names_its_codes_not_by_colour_alone(coding_setup, page, live_server, log_in):
    interview = coding_setup["interview"]
    passage = "Nobody had a plan for the money."
    start = TRANSCRIPT.index(passage)
    services.create_excerpt(
        interview=interview,
        start=start,
        end=start + len(passage),
        codes=[coding_setup["money"], coding_setup["trust"]],
        coded_by=coding_setup["coder"],
    )
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, interview)
    highlight = page.locator(".hl").first
    label = "window.getComputedStyle(document.querySelector('.hl'), '::before').content"
    # In codebook order, as the excerpt's panel lists them.
    assert page.evaluate(label) == '"Money, Trust"'
    assert highlight.get_attribute("title") == "Money, Trust"
    # The name is drawn beside the text, never part of it.
    assert highlight.text_content() == passage
    page.get_by_label("Code names on the highlights").uncheck()
    assert page.evaluate(label) == "none"
    page.reload()
    expect(page.locator("#transcript[data-ready=true]")).to_have_count(1)
    expect(page.get_by_label("Code names on the highlights")).not_to_be_checked()


def test_a_coder_remaps_the_single_key_shortcuts_and_keeps_them(coding_setup, page, live_server, log_in):
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, coding_setup["interview"])
    page.locator("#shortcut-summary").click()
    page.get_by_text("Change the keys").click()
    next_sentence = page.get_by_label("Select the next sentence (with Shift: extend the selection)")
    expect(next_sentence).to_have_value("j")

    # A key already in use is refused, and nothing changes.
    next_sentence.fill("k")
    page.get_by_role("button", name="Save the keys").click()
    message = "“k” is the key for more than one action: give each its own."
    expect(page.locator("#key-form .error")).to_have_text([message, message])
    expect(next_sentence).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Select the previous sentence (with Shift: shrink the selection)")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert page.evaluate("localStorage.getItem('coding:keys')") is None

    next_sentence.fill("F")
    page.get_by_role("button", name="Save the keys").click()
    expect(page.locator("#coding-status")).to_have_text("Keys saved in this browser.")
    expect(page.locator("#key-form .error")).to_have_count(0)
    expect(page.locator(".shortcut-list kbd[data-key=nextSentence]").first).to_have_text("F")
    assert "press F to select a sentence" in page.locator("#transcript").get_attribute("aria-label")

    page.locator("#transcript").focus()
    page.keyboard.press("j")  # no longer a shortcut
    assert page.evaluate("() => window.getSelection().toString()") == ""
    page.keyboard.press("f")
    page.keyboard.press("f")
    page.keyboard.press("Shift+F")
    assert page.evaluate("() => window.getSelection().toString()") == (
        "We met at the café 😀 and shook hands 🤝 on it. Then the council called."
    )

    # Kept in this browser; and the usual keys come back on request.
    page.reload()
    expect(page.locator("#transcript[data-ready=true]")).to_have_count(1)
    expect(page.locator(".shortcut-list kbd[data-key=nextSentence]").first).to_have_text("F")
    page.locator("#shortcut-summary").click()
    page.get_by_text("Change the keys").click()
    page.get_by_role("button", name="Back to the usual keys").click()
    expect(page.locator(".shortcut-list kbd[data-key=nextSentence]").first).to_have_text("J")
    expect(page.get_by_label("Select the next sentence (with Shift: extend the selection)")).to_have_value("j")


def test_dragging_an_excerpts_edges_moves_its_boundaries_to_whole_words(coding_setup, page, live_server, log_in):
    interview = coding_setup["interview"]
    passage = "Nobody had a plan for the money."
    excerpt = coded_passage(coding_setup, passage, "money")
    log_in("rafi", PASSWORD)
    open_coding_page(page, live_server, interview, f"#excerpt-{excerpt.pk}")

    def drag(handle: str, to: dict) -> None:
        box = page.locator(handle).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(to["x"], to["y"], steps=6)
        page.mouse.up()

    # The start, dropped inside "council", moves to the start of that word.
    council = passage_box(page, "council")
    drag(".edge-start", {"x": (council["x1"] + council["x2"]) / 2, "y": council["y1"]})
    expect(page.locator("#coding-status")).to_have_text("Boundaries changed.")
    excerpt.refresh_from_db()
    assert excerpt.text == "council called. Nobody had a plan for the money."
    # The end, dropped inside "plan", moves to the end of that word.
    plan = passage_box(page, "plan")
    drag(".edge-end", {"x": (plan["x1"] + plan["x2"]) / 2, "y": plan["y1"]})
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.hl'), (s) => s.textContent).join('') === "
        "'council called. Nobody had a plan'"
    )
    excerpt.refresh_from_db()
    assert excerpt.text == "council called. Nobody had a plan"
    # Undone like any other change.
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#coding-status")).to_contain_text("Undone: Change boundaries.")
    excerpt.refresh_from_db()
    assert excerpt.text == "council called. Nobody had a plan for the money."
