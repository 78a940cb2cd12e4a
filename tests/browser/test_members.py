import re

from django.core import mail
from playwright.sync_api import expect

from tests import factories as f

GOOD_PASSWORD = "quiet-harbour-lantern-42"


def test_a_lead_invites_a_researcher_who_joins_codes_and_is_removed(transactional_db, live_server, page, log_in):
    project = f.make_project(title="Partnership working")
    case_a = f.make_case_study(project, title="Housing consortium")
    case_b = f.make_case_study(project, title="Employment prime contractor")
    f.make_lead(project, username="lead", email="lead@example.org")
    interview = f.make_interview(case_a, transcript="We built trust slowly across the consortium.")

    log_in("lead", f.PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.get_by_role("link", name="Members", exact=True).click()
    page.get_by_role("link", name="Invite a member").click()
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Housing consortium").check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to newcomer@example.org")
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    path = link[link.index("/invitations/") :]
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{live_server.url}{path}")
    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Okafor")
    page.locator("input[name=password1]").fill(GOOD_PASSWORD)
    page.locator("input[name=password2]").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Partnership working")
    page.get_by_label("Username").fill("newcomer@example.org")
    page.get_by_label("Password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_have_text("Nia Okafor (researcher)")  # the name given, not the address
    page.goto(f"{live_server.url}/projects/{project.slug}/case-studies/")
    expect(page.locator("main")).to_contain_text("Housing consortium")
    expect(page.locator("main")).not_to_contain_text("Employment prime contractor")
    response = page.goto(f"{live_server.url}/projects/{project.slug}/case-studies/{case_b.slug}/")
    assert response.status == 404

    from django.contrib.auth import get_user_model

    newcomer = get_user_model().objects.get(email="newcomer@example.org")
    f.make_excerpt(interview, start=0, end=15, coded_by=newcomer)
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("alert")).to_contain_text("already been accepted")

    log_in("lead", f.PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.slug}/members/")
    row = page.locator("tr", has_text="Nia Okafor")
    expect(row.get_by_role("button", name="Remove newcomer@example.org")).to_be_hidden()  # two steps, not one click
    row.get_by_text("Remove from the project…").click()
    row.get_by_role("button", name="Remove newcomer@example.org").click()
    expect(page.get_by_role("status")).to_contain_text("Nia Okafor was removed from the project")
    page.goto(f"{live_server.url}/projects/{project.slug}/analysis/excerpts/")
    expect(page.locator("main")).to_contain_text("Nia Okafor")
    page.get_by_role("button", name="Log out").click()

    log_in("newcomer@example.org", GOOD_PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")


def test_an_expired_invitation_link_is_refused_in_the_browser(transactional_db, live_server, page, settings):
    from accounts.services import invite_member

    project = f.make_project()
    settings.INVITATION_MAX_AGE_DAYS = 0
    _, link = invite_member(project=project, email="late@example.org", role="researcher")
    import time

    time.sleep(1.1)
    page.goto(f"{live_server.url}{link[link.index('/invitations/') :]}")
    expect(page.get_by_role("alert")).to_contain_text("expired")


def test_without_a_mail_server_the_lead_copies_the_link_on_a_phone_and_the_invitee_gives_a_name(
    transactional_db, live_server, page, log_in, settings
):
    """Under `make run` mail only goes to the console: the lead sees the link in a box that fits a phone's screen,
    and the members page is a column of cards no wider than the screen. A forgotten password is one link away."""
    settings.MAILERS = {"default": {"BACKEND": "accounts.mail.ConsoleEmailBackend"}}
    project = f.make_project(title="Partnership working")
    f.make_case_study(project, title="Housing consortium")
    f.make_lead(project, username="lead", email="lead@example.org")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")

    log_in("lead", f.PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.slug}/members/invite/")
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("send them the link below yourself")
    box = page.get_by_label("Invitation link")
    expect(box).to_be_visible()
    link = box.input_value()
    assert re.fullmatch(r"http://[^/]+/invitations/\S+/", link)
    width = box.bounding_box()["width"]
    assert 0 < width <= 390 - 24
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for size in ({"width": 1024, "height": 768}, {"width": 390, "height": 844}):
        page.set_viewport_size(size)
        page.goto(f"{live_server.url}/projects/{project.slug}/members/")
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    page.get_by_role("button", name="Log out").click()

    page.goto(link)
    page.get_by_label("First name").fill("Nia")
    page.locator("input[name=password1]").fill(GOOD_PASSWORD)
    page.locator("input[name=password2]").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Partnership working")
    log_in("lead", f.PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.slug}/members/")
    expect(page.locator("tr", has_text="newcomer@example.org").locator("th")).to_contain_text("Nia")
