"""Behind the shipped proxy every request comes from the proxy's address; the client's is the one the proxy adds
to X-Forwarded-For. Login throttling, the password-reset limit and account events all key on the client's."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import AccountEvent
from partnership.network import client_address
from tests.factories import PASSWORD, make_admin, make_user

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"
LIMIT = 5


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.TRUSTED_PROXIES = 1
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 30


def _through_proxy(client, path, data, client_address_, forwarded=None):
    """A request as nginx passes it on: from the proxy's socket, with the client's address added last."""
    header = f"{forwarded}, {client_address_}" if forwarded else client_address_
    return client.post(path, data, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)


def _log_in(client, username, password, address, path="/accounts/login/", forwarded=None):
    return _through_proxy(client, path, {"username": username, "password": password}, address, forwarded)


def test_the_client_address_is_the_one_the_nearest_proxy_added(settings):
    factory = RequestFactory()

    def address(meta):
        return client_address(factory.get("/", REMOTE_ADDR=PROXY, **meta))

    assert address({"HTTP_X_FORWARDED_FOR": "203.0.113.5"}) == "203.0.113.5"
    # What a client writes into the header itself sits further left and is never read.
    assert address({"HTTP_X_FORWARDED_FOR": "198.51.100.4, 203.0.113.5"}) == "203.0.113.5"
    assert address({"HTTP_X_FORWARDED_FOR": "2001:db8::7"}) == "2001:db8::7"
    # No header (a request that did not pass through the proxy): the socket's address.
    assert address({}) == PROXY
    assert address({"HTTP_X_FORWARDED_FOR": "not an address"}) == PROXY
    settings.TRUSTED_PROXIES = 2
    assert address({"HTTP_X_FORWARDED_FOR": "198.51.100.4, 203.0.113.5, 10.0.0.2"}) == "203.0.113.5"
    assert address({"HTTP_X_FORWARDED_FOR": "203.0.113.5"}) == PROXY
    settings.TRUSTED_PROXIES = 0
    assert address({"HTTP_X_FORWARDED_FOR": "203.0.113.5"}) == PROXY


def test_a_stranger_cannot_lock_a_user_out_from_elsewhere(client):
    make_user(username="resB")
    make_admin(username="boss")
    statuses = [_log_in(client, "resB", "wrong", "198.51.100.66").status_code for _ in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    assert _log_in(client, "resB", PASSWORD, "198.51.100.66").status_code == 429
    # The attempts are recorded under the stranger's address, not the proxy's.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}

    assert _log_in(client, "resB", PASSWORD, "203.0.113.20").status_code == 302
    client.logout()
    assert _log_in(client, "boss", PASSWORD, "203.0.113.21", path="/admin/login/").status_code == 302


def test_a_client_cannot_pose_as_another_address_by_writing_the_header(client):
    make_user(username="resB")
    for _ in range(LIMIT):
        _log_in(client, "resB", "wrong", "198.51.100.66", forwarded="203.0.113.20")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}
    assert _log_in(client, "resB", PASSWORD, "203.0.113.20").status_code == 302


def test_guesses_from_many_addresses_lock_none_of_them_out_for_the_user(client):
    make_user(username="resB")
    refused = 0
    for n in range(30):
        refused += _log_in(client, "resB", "wrong", f"198.51.100.{n + 1}").status_code == 429
    assert refused == 0
    assert _log_in(client, "resB", PASSWORD, "203.0.113.20").status_code == 302


def test_one_address_trying_many_users_is_stopped_at_the_address_limit(client, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    make_user(username="ruth")
    statuses = [_log_in(client, f"user{n}", "wrong", "198.51.100.66").status_code for n in range(12)]
    assert statuses[:11] == [200] * 11 and statuses[11] == 429
    locked = _log_in(client, "ruth", PASSWORD, "198.51.100.66")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Logging in from this address is locked after 12 failed attempts for any usernames." in text
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    assert _log_in(client, "ruth", PASSWORD, "203.0.113.20").status_code == 302


def test_password_resets_are_limited_and_recorded_per_client_address(client, settings):
    settings.PASSWORD_RESET_LIMIT = 5
    for n in range(7):
        make_user(username=f"person{n}", email=f"person{n}@example.org")
        response = _through_proxy(
            client, reverse("password_reset"), {"email": f"person{n}@example.org"}, f"203.0.113.{n + 1}"
        )
        assert response.status_code == 302
    addresses = AccountEvent.objects.filter(kind=AccountEvent.Kind.PASSWORD_RESET_REQUESTED).values_list(
        "address", flat=True
    )
    assert sorted(addresses) == sorted(f"203.0.113.{n + 1}" for n in range(7))

    statuses = [
        _through_proxy(client, reverse("password_reset"), {"email": f"x{n}@example.org"}, "198.51.100.66").status_code
        for n in range(6)
    ]
    assert statuses == [302] * 5 + [429]
