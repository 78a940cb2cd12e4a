import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from casestudies.models import CaseStudy, ResearchQuestion
from coding.models import Excerpt
from tests.factories import make_code, make_excerpt, make_interview


@pytest.fixture(autouse=True)
def coding_page_url(settings):
    """Excerpts link to the coding page (`coding:interview`); stand in for it until the coding app has it."""
    try:
        reverse("coding:interview", kwargs={"pk": 1})
    except NoReverseMatch:
        settings.ROOT_URLCONF = "tests.analysis.urls"


@pytest.fixture
def coded_demo(transactional_db, demo_project):
    case_study = CaseStudy.objects.get(project=demo_project, slug="housing-association-mergers")
    question = ResearchQuestion.objects.get(group__project=demo_project, short_label="RQ2")
    code = make_code(demo_project, name="Drivers of merger")
    code.research_questions.set([question])
    interview = make_interview(
        case_study,
        title="Merger drivers",
        transcript="Martin: The regulator pushed us towards the merger. Lenders wanted scale.",
    )
    lead = demo_project.memberships.get(user__username="lead").user
    make_excerpt(interview, start=8, end=52, codes=[code], coded_by=lead)
    return demo_project, case_study, question, code


def test_a_framework_summary_is_written_in_place_and_its_excerpts_read_in_the_side_panel(
    page, live_server, log_in, coded_demo
):
    project, case_study, question, _ = coded_demo
    log_in("lead")
    page.goto(f"{live_server.url}/projects/{project.slug}/analysis/framework/?group={question.group_id}")
    cell = page.locator(f"#cell-{case_study.pk}-{question.pk}")
    cell.get_by_role("link", name="Write a summary").click()
    cell.get_by_label("Summary").fill("Regulators and lenders drove the mergers.")
    cell.get_by_role("button", name="Save").click()
    expect(cell).to_contain_text("Regulators and lenders drove the mergers.")
    expect(cell).to_contain_text("Lena Lead (demo)")
    cell.get_by_role("link", name="1 excerpt").click()
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("The regulator pushed us towards the merger.")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()


def test_search_hits_are_coded_in_one_step(page, live_server, log_in, coded_demo):
    project, _, _, code = coded_demo
    log_in("lead")
    page.goto(f"{live_server.url}/projects/{project.slug}/analysis/search/?q=%22lenders+wanted+scale%22")
    expect(page.locator("mark").first).to_contain_text("Lenders")
    page.get_by_role("button", name="Select all hits shown").click()
    page.get_by_label("Code:", exact=True).select_option(label="Drivers of merger")
    page.get_by_label("as excerpts of:").select_option(label="the sentence")
    page.get_by_role("button", name="Code the selected hits").click()
    expect(page.get_by_role("status")).to_contain_text("Coded 1 passage with “Drivers of merger”: 1 new excerpt.")
    assert Excerpt.objects.filter(text="Lenders wanted scale.", codes=code).exists()


def test_the_analysis_link_leads_to_the_matrices(page, live_server, log_in, coded_demo):
    project, case_study, _, _ = coded_demo
    log_in("researcher")
    page.get_by_role("link", name="Analysis").click()
    page.get_by_role("link", name="Codes by case study").click()
    table = page.locator("table.matrix")
    expect(table).to_contain_text("Drivers of merger")
    expect(table).not_to_contain_text("Turning Point")
    table.get_by_role("link", name="1", exact=True).first.click()
    expect(page.locator("table.excerpts")).to_contain_text("The regulator pushed us towards the merger.")


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1440, 900)])
def test_the_codebook_and_the_matrix_show_every_count_column_at_laptop_widths(
    page, live_server, log_in, coded_demo, width, height
):
    """The demo's seven case-study columns with their long titles, and the codebook's count columns, fit a laptop's
    screen without scrolling sideways; a matrix too wide for the screen still shows its total."""
    project, *_ = coded_demo
    log_in("lead")
    page.set_viewport_size({"width": width, "height": height})
    for path, last in (
        (f"/projects/{project.slug}/codebook/", "Case studies"),
        (f"/projects/{project.slug}/analysis/matrices/codes-by-case-study/", "Total"),
    ):
        page.goto(f"{live_server.url}{path}")
        table = page.locator("table").first
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth"), path
        heading = page.locator("thead th", has_text=last).last.bounding_box()
        assert heading["x"] + heading["width"] <= width, (path, heading)
    page.set_viewport_size({"width": 600, "height": height})
    page.goto(f"{live_server.url}/projects/{project.slug}/analysis/matrices/codes-by-case-study/")
    total = page.locator("thead th", has_text="Total").last.bounding_box()
    assert total["x"] + total["width"] <= 600  # held at the right edge of its scrolling box


def test_a_long_definition_in_the_codebook_is_shown_whole_on_demand(page, live_server, log_in, coded_demo):
    project, *_ = coded_demo
    long = "Apply to reasons given for merging. " * 12 + "The last words of the definition."
    make_code(project, name="Long definition", definition=long)
    make_code(project, name="Short definition", definition="Reasons for merging.")
    log_in("lead")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{live_server.url}/projects/{project.slug}/codebook/")
    long_row = page.locator("tr", has=page.locator("th", has_text="Long definition"))
    short_row = page.locator("tr", has=page.locator("th", has_text="Short definition"))
    expect(short_row.get_by_role("button", name="Show all")).to_have_count(0)
    clamp = long_row.locator(".clamp")
    clamped = clamp.evaluate("c => c.clientHeight")
    assert clamp.evaluate("c => c.scrollHeight > c.clientHeight")
    button = long_row.get_by_role("button", name="Show all")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.click()
    expect(long_row.get_by_role("button", name="Show less")).to_have_attribute("aria-expanded", "true")
    assert clamp.evaluate("c => c.clientHeight") > clamped
    assert clamp.evaluate("c => c.scrollHeight <= c.clientHeight + 1")
    # The count columns still fit the laptop's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
