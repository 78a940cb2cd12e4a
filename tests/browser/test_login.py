import pytest
from playwright.sync_api import expect


@pytest.mark.parametrize(
    ("username", "sees", "does_not_see"),
    [
        (
            "researcher",
            ["Housing association mergers in England", "Housing partnerships and consortia"],
            ["Turning Point"],
        ),
        ("lead", ["Turning Point Connected Care", "Employment services prime contractor"], ["Admin"]),
        ("admin", ["Royal National Institute of Blind People", "Admin"], []),
    ],
)
def test_each_demo_user_logs_in_and_sees_their_dashboard(
    transactional_db, demo_project, log_in, username, sees, does_not_see
):
    page = log_in(username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Partnership working in and with the third sector")
    table = page.locator("table.data")
    for text in sees:
        expect(page.locator("body")).to_contain_text(text)
    for text in does_not_see:
        expect(table).not_to_contain_text(text)
    if username != "admin":
        expect(page.get_by_role("link", name="Admin", exact=True)).to_have_count(0)


def test_a_wrong_password_is_refused(transactional_db, demo_project, log_in):
    page = log_in("researcher", "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
