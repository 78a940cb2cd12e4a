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
    page.locator("input[name=password1]").fill(GOOD_PASSWORD)
    page.locator("input[name=password2]").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Partnership working")
    page.get_by_label("Username").fill("newcomer@example.org")
    page.get_by_label("Password").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/projects/{project.slug}/case-studies/")
    expect(page.locator("main")).to_contain_text("Housing consortium")
    expect(page.locator("main")).not_to_contain_text("Employment prime contractor")
    response = page.goto(f"{live_server.url}/projects/{project.slug}/case-studies/{case_b.slug}/")
    assert response.status == 404

    from django.contrib.auth import get_user_model

    newcomer = get_user_model().objects.get(email="newcomer@example.org")
    newcomer.first_name, newcomer.last_name = "Nia", "Newcomer"
    newcomer.save()
    f.make_excerpt(interview, start=0, end=15, coded_by=newcomer)
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("alert")).to_contain_text("already been accepted")

    log_in("lead", f.PASSWORD)
    page.goto(f"{live_server.url}/projects/{project.slug}/members/")
    page.get_by_role("button", name="Remove newcomer@example.org").click()
    expect(page.get_by_role("status")).to_contain_text("newcomer@example.org was removed from the project")
    page.goto(f"{live_server.url}/projects/{project.slug}/analysis/excerpts/")
    expect(page.locator("main")).to_contain_text("Nia Newcomer")
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
