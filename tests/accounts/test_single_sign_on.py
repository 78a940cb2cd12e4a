"""Single sign-on as mozilla-django-oidc's own tests exercise it: the provider's token and userinfo endpoints are
mocked (`requests` in the library's auth module) and the ID token's signature check is patched out."""

import html
from unittest import mock

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts import services
from accounts.models import AccountEvent, Invitation
from accounts.oidc import InstitutionSignInBackend
from accounts.services import invite_member
from casestudies.models import CaseStudyMembership, ProjectMembership
from tests import factories as f

pytestmark = pytest.mark.django_db
User = get_user_model()
PROVIDER = {
    "OIDC_RP_CLIENT_ID": "workbench",
    "OIDC_RP_CLIENT_SECRET": "client-secret",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://sso.example.ac.uk/authorize",
    "OIDC_OP_TOKEN_ENDPOINT": "https://sso.example.ac.uk/token",
    "OIDC_OP_USER_ENDPOINT": "https://sso.example.ac.uk/userinfo",
    "OIDC_OP_JWKS_ENDPOINT": "https://sso.example.ac.uk/jwks",
    "OIDC_RP_SIGN_ALGO": "RS256",
    "OIDC_RP_SCOPES": "openid email profile",
}


def sign_in(claims: dict):
    """The provider's callback with a code: token exchange, ID token check, userinfo, then our backend."""
    request = RequestFactory().get("/oidc/callback/", {"code": "the-code", "state": "the-state"})
    request.session = {}
    token_response = mock.Mock(status_code=200)
    token_response.json.return_value = {"id_token": "header.payload.signature", "access_token": "access"}
    userinfo_response = mock.Mock(status_code=200, headers={"content-type": "application/json"})
    userinfo_response.json.return_value = claims
    with (
        override_settings(**PROVIDER),
        mock.patch("mozilla_django_oidc.auth.requests") as requests,
        mock.patch.object(InstitutionSignInBackend, "verify_token", return_value={"sub": "x", "nonce": None}),
        mock.patch("mozilla_django_oidc.auth.reverse", return_value="/oidc/callback/"),
    ):
        requests.post.return_value = token_response
        requests.get.return_value = userinfo_response
        user = InstitutionSignInBackend().authenticate(request, nonce=None)
        assert requests.post.call_args.kwargs["data"]["code"] == "the-code"
    return user


def test_an_unknown_person_gets_an_inactive_account_awaiting_approval():
    user = sign_in({"email": "Stranger@Example.ac.uk", "given_name": "Sam", "family_name": "Stranger"})
    assert user.email == "stranger@example.ac.uk" and user.is_active is False
    assert not user.has_usable_password()
    assert not ProjectMembership.objects.filter(user=user).exists()
    event = AccountEvent.objects.get(user=user)
    assert event.kind == AccountEvent.Kind.SIGN_IN_AWAITING_APPROVAL


def test_an_invited_person_signs_in_with_the_invitations_memberships():
    project = f.make_project()
    case_study = f.make_case_study(project)
    invite_member(project=project, email="invited@example.ac.uk", role="researcher", case_studies=[case_study])
    user = sign_in({"email": "invited@example.ac.uk"})
    assert user.is_active is True
    assert ProjectMembership.objects.get(user=user).project == project
    assert CaseStudyMembership.objects.get(user=user).case_study == case_study
    assert Invitation.objects.get(email="invited@example.ac.uk").accepted_by == user


def test_an_account_awaiting_approval_is_activated_by_a_later_invitation():
    first = sign_in({"email": "later@example.ac.uk"})
    assert first.is_active is False
    project = f.make_project()
    invite_member(project=project, email="later@example.ac.uk", role="lead")
    again = sign_in({"email": "later@example.ac.uk"})
    assert again.pk == first.pk and again.is_active is True
    assert ProjectMembership.objects.get(user=again).role == "lead"


def test_a_removed_member_stays_refused():
    removed = f.make_user(email="gone@example.ac.uk", is_active=False)
    user = sign_in({"email": "gone@example.ac.uk"})
    assert user.pk == removed.pk and user.is_active is False
    assert User.objects.filter(email__iexact="gone@example.ac.uk").count() == 1


def test_a_sign_in_without_an_email_claim_is_refused_and_creates_nothing():
    assert sign_in({"sub": "no-email"}) is None
    assert not User.objects.exists()


def test_a_removed_member_comes_back_only_through_an_invitation_made_after_the_removal():
    project, elsewhere = f.make_project(), f.make_project()
    lead = f.make_lead(project)
    member = f.make_researcher(project, email="gone@example.ac.uk")
    # An invitation from another project, made before the removal (removal closes it; reopened here as a leftover).
    earlier, _ = invite_member(project=elsewhere, email="gone@example.ac.uk", role="researcher")
    services.remove_member(project=project, user=member, removed_by=lead)
    Invitation.objects.filter(pk=earlier.pk).update(revoked_at=None)
    assert sign_in({"email": "gone@example.ac.uk"}).is_active is False
    refusal = AccountEvent.objects.get(kind=AccountEvent.Kind.SIGN_IN_REFUSED, user=member)
    assert refusal.detail.startswith("Your account was switched off after this invitation was sent")
    assert not ProjectMembership.objects.filter(user=member).exists()

    Invitation.objects.filter(pk=earlier.pk).update(revoked_at=timezone.now())
    invite_member(project=project, email="gone@example.ac.uk", role="researcher", invited_by=lead)
    back = sign_in({"email": "gone@example.ac.uk"})
    assert back.pk == member.pk and back.is_active is True
    # Single sign-on brings the account back without a password: the old one never works again.
    assert not back.has_usable_password()
    assert ProjectMembership.objects.get(user=back).project == project


def _callback(failure: Exception | None = None, query: dict | None = None):
    """The callback view itself, with a session holding the state it expects."""
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.oidc import SignInCallbackView

    session = SessionStore()
    session["oidc_states"] = {"the-state": {"nonce": "n", "code_verifier": None}}
    session.save()
    request = RequestFactory().get("/oidc/callback/", query or {"code": "the-code", "state": "the-state"})
    request.session = session
    request.user = AnonymousUser()
    with (
        override_settings(**PROVIDER, AUTHENTICATION_BACKENDS=["accounts.oidc.InstitutionSignInBackend"]),
        mock.patch("mozilla_django_oidc.auth.requests.post", side_effect=failure),
        mock.patch("mozilla_django_oidc.auth.reverse", return_value="/oidc/callback/"),
    ):
        return SignInCallbackView.as_view()(request)


def test_an_unreachable_provider_sends_the_person_back_to_the_login_page_with_the_reason(client, caplog):
    response = _callback(requests.exceptions.ConnectionError("Name or service not known"))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?sign_in=unreachable"
    assert "Single sign-on failed: the provider could not be reached (ConnectionError" in caplog.text
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.SIGN_IN_REFUSED)
    assert "could not be reached" in event.detail
    page = " ".join(html.unescape(client.get(response["Location"]).content.decode()).split())
    assert "Single sign-on failed: your institution's sign-in service could not be reached just now." in page


def test_a_provider_error_or_a_declined_sign_in_is_refused_without_a_server_error():
    answer = mock.Mock(status_code=500)
    error = requests.exceptions.HTTPError("500 Server Error", response=answer)
    assert _callback(error)["Location"] == "/accounts/login/?sign_in=provider_error"
    declined = _callback(query={"error": "access_denied", "state": "the-state"})
    assert declined["Location"] == "/accounts/login/?sign_in=denied"
    assert not User.objects.exists()
