"""Login throttling (django-axes): repeated wrong passwords lock out that username from that address."""

import pytest
from axes.models import AccessAttempt

from tests.factories import PASSWORD, make_admin, make_user

pytestmark = pytest.mark.django_db

LIMIT = 5


def _log_in(client, path: str, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_after_five_wrong_passwords_even_the_right_one_is_refused_with_a_clear_message(client):
    user = make_user(username="ruth")
    for _ in range(LIMIT - 1):
        assert _log_in(client, "/accounts/login/", "ruth", "wrong").status_code == 200
    locked = _log_in(client, "/accounts/login/", "ruth", "wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "Logging in as “ruth” from this address is locked after 5 failed attempts." in locked.content.decode()
    assert "Try again in 1\xa0hour, or ask an admin to unlock it sooner." in locked.content.decode()

    right = _log_in(client, "/accounts/login/", "ruth", PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    # The refused attempt during the lockout counts as one more.
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == LIMIT + 1


def test_fewer_failures_than_the_limit_do_not_stop_the_right_password(client):
    make_user(username="ruth")
    for _ in range(LIMIT - 1):
        _log_in(client, "/accounts/login/", "ruth", "wrong")
    assert _log_in(client, "/accounts/login/", "ruth", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200
    # A successful login starts the count again.
    assert not AccessAttempt.objects.filter(username="ruth").exists()


def test_the_lockout_is_for_that_username_from_that_address(client):
    make_user(username="ruth")
    make_user(username="sam")
    for _ in range(LIMIT):
        _log_in(client, "/accounts/login/", "ruth", "wrong")
    assert _log_in(client, "/accounts/login/", "sam", PASSWORD).status_code == 302
    client.logout()
    assert _log_in(client, "/accounts/login/", "ruth", PASSWORD, address="198.51.100.4").status_code == 302


def test_the_admin_login_is_throttled_too(client):
    make_admin(username="boss")
    for _ in range(LIMIT):
        _log_in(client, "/admin/login/", "boss", "wrong")
    response = _log_in(client, "/admin/login/", "boss", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


def test_an_admin_unlocks_a_locked_out_user_from_the_access_attempts_page(client):
    make_user(username="ruth")
    for _ in range(LIMIT):
        _log_in(client, "/accounts/login/", "ruth", "wrong")
    attempt = AccessAttempt.objects.get(username="ruth")

    admin = make_admin()
    client.force_login(admin)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "ruth" in listing.content.decode()
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    client.logout()

    assert _log_in(client, "/accounts/login/", "ruth", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_a_login_from_code_without_a_request_still_checks_the_password(client):
    make_user(username="ruth")
    assert client.login(username="ruth", password="wrong") is False
    assert client.login(username="ruth", password=PASSWORD) is True
    assert client.get("/").status_code == 200
