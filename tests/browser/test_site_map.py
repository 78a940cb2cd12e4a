"""Every page fits its screen: at a phone's, a laptop's and a desktop's size, as an admin, a lead and a researcher,
no page of the site map is wider than the window (a table too wide for it scrolls in its own box). And every page
passes axe-core's checks with no serious or critical violation.

The site map is the one the disclosure tests keep complete (every route has a recipe there), walked over the same
trap project."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client

from tests import factories as f
from tests.disclosure.conftest import trap  # noqa: F401 (the fixture)
from tests.disclosure.test_every_output import PAGE, recipes

SIZES = [(390, 844), (1024, 768), (1440, 900)]
# Not pages to look at: signing out, and the health check's JSON.
SKIP = {"logout", "healthz"}


def pages_shown(trap, role: str) -> list[str]:  # noqa: F811
    """The addresses of the site map's pages this role is shown (a refusal or a POST-only address has nothing to
    lay out)."""
    addresses = sorted(
        {
            address
            for name, requests in recipes(trap).items()
            if name not in SKIP
            for kind, address in requests
            if kind == PAGE
        }
    )
    client = Client()
    client.force_login(trap.users[role])
    shown = []
    for address in addresses:
        response = client.get(address)
        assert response.status_code < 500, f"{address} answered {response.status_code}"
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            shown.append(address)
    assert len(shown) > 30
    return shown


@pytest.mark.parametrize("role", ["admin", "lead", "researcher"])
def test_no_page_of_the_site_map_is_wider_than_the_screen(role, transactional_db, trap, page, live_server, log_in):  # noqa: F811
    shown = pages_shown(trap, role)
    log_in(trap.users[role].username, f.PASSWORD)
    too_wide = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for address in shown:
            page.goto(f"{live_server.url}{address}", wait_until="domcontentloaded")
            page_width = page.evaluate("document.documentElement.scrollWidth")
            if page_width > width:
                too_wide.append(f"{address} at {width} px: {page_width} px")
    assert too_wide == [], "\n".join(too_wide)


@pytest.mark.parametrize("role", ["admin", "lead", "researcher"])
def test_every_page_of_the_site_map_passes_axe_core(role, transactional_db, trap, page, live_server, log_in):  # noqa: F811
    """axe-core (the copy that ships in axe-playwright-python) over each page once it has settled, at a laptop's
    size: no serious or critical violation, on any page, for any role."""
    shown = pages_shown(trap, role)
    log_in(trap.users[role].username, f.PASSWORD)
    page.set_viewport_size({"width": 1024, "height": 768})
    axe = Axe()
    found = []
    for address in shown:
        page.goto(f"{live_server.url}{address}", wait_until="load")
        if page.locator("#coding-config").count():
            # The coding page draws its highlights once its data has come.
            page.locator("#transcript[data-ready=true]").wait_for(state="attached")
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
                found.append(f"{address}: {violation['id']} ({violation['impact']}) at {targets}")
    assert found == [], f"{len(found)} serious or critical violations:\n" + "\n".join(found)
