"""An address has one working invitation link per project, a removal closes it, a removed member comes back only
through a lead's invitation made after the removal and never with the old password, and a mail server that is down
leaves the invitation saved and says so."""

import html
import re
import smtplib
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import AccountEvent, Invitation
from casestudies.models import CaseStudyMembership, ProjectMembership, ProjectRole
from tests import factories as f

pytestmark = pytest.mark.django_db
User = get_user_model()
OLD_PASSWORD = "old-harbour-lantern-42"
NEW_PASSWORD = "new-quiet-meadow-lantern-77"


@pytest.fixture
def team():
    project = f.make_project()
    case_study = f.make_case_study(project)
    lead = f.make_lead(project, email="lead@example.org")
    return project, case_study, lead


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _link_path(text: str) -> str:
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", text).group(1)


def _invite(client, project, lead, case_study, email="resb@example.org", capture=None):
    client.force_login(lead)
    with capture(execute=True):
        response = client.post(
            reverse("accounts:invite", args=[project.slug]),
            {"email": email, "role": ProjectRole.RESEARCHER, "case_studies": [case_study.pk]},
            follow=True,
        )
    client.logout()
    return response


def _link_from(invitation) -> str:
    return reverse("accounts:accept_invitation", args=[services.invitation_token(invitation)])


def _accept(client, path, password=NEW_PASSWORD):
    return client.post(path, {"first_name": "Kit", "password1": password, "password2": password})


def test_the_reproduction_a_second_invitation_no_longer_brings_a_removed_member_back(
    client, team, django_capture_on_commit_callbacks
):
    project, case_study, lead = team
    _invite(client, project, lead, case_study, capture=django_capture_on_commit_callbacks)
    _invite(client, project, lead, case_study, capture=django_capture_on_commit_callbacks)
    first, second = (_link_path(message.body) for message in mail.outbox)
    # The second invitation replaced the first: one link works.
    assert services.open_invitations().filter(email="resb@example.org").count() == 1
    refused = client.get(first)
    assert refused.status_code == 410 and services.REVOKED in _text(refused)

    assert _accept(client, second, OLD_PASSWORD).status_code == 302
    member = User.objects.get(email="resb@example.org")
    client.force_login(lead)
    client.post(reverse("accounts:remove_member", args=[project.slug, member.pk]), {"hand_to": ""})
    client.logout()
    member.refresh_from_db()
    assert member.is_active is False

    # Every link sent before the removal stays closed.
    for path in (first, second):
        response = client.post(path, {"first_name": "Kit", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 410
    member.refresh_from_db()
    assert member.is_active is False
    assert not ProjectMembership.objects.filter(user=member).exists()
    assert not CaseStudyMembership.objects.filter(user=member).exists()
    assert not client.login(username=member.username, password=OLD_PASSWORD)


def test_removing_a_member_revokes_their_open_invitations(client, team, django_capture_on_commit_callbacks):
    project, case_study, lead = team
    other_project = f.make_project()
    member = f.make_researcher(project, case_study, email="resb@example.org")
    # Open invitations of a member's address: one made before they joined another way, one from another project.
    Invitation.objects.create(project=project, email="resb@example.org", role="lead")
    services.invite_member(project=other_project, email="resb@example.org", role="researcher")
    client.force_login(lead)
    client.post(reverse("accounts:remove_member", args=[project.slug, member.pk]), {"hand_to": ""})
    # This project's invitation is revoked; the account is switched off, so the other project's is closed too.
    assert not services.open_invitations().filter(email="resb@example.org").exists()
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.INVITATION_REVOKED).count() == 2


def test_a_lead_invites_a_removed_member_again_and_they_choose_a_new_password(
    client, team, django_capture_on_commit_callbacks
):
    project, case_study, lead = team
    member = f.make_researcher(project, case_study, email="resb@example.org")
    member.set_password(OLD_PASSWORD)
    member.save()
    services.remove_member(project=project, user=member, removed_by=lead)
    response = _invite(client, project, lead, case_study, capture=django_capture_on_commit_callbacks)
    assert "Invitation sent to resb@example.org." in response.content.decode()
    path = _link_path(mail.outbox[-1].body)

    page = client.get(path).content.decode()
    assert "was switched off" in page and "the one it had before no longer works" in page
    assert _accept(client, path).status_code == 302
    member.refresh_from_db()
    assert member.is_active is True
    assert not member.check_password(OLD_PASSWORD) and member.check_password(NEW_PASSWORD)
    assert ProjectMembership.objects.filter(project=project, user=member).exists()
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.ACCOUNT_REACTIVATED, user=member).exists()


def test_an_active_account_joins_with_its_own_password_and_is_not_asked_for_one(
    client, team, django_capture_on_commit_callbacks
):
    project, case_study, lead = team
    other = f.make_project()
    existing = f.make_lead(other, email="resb@example.org")
    _invite(client, project, lead, case_study, capture=django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[-1].body)
    page = client.get(path).content.decode()
    assert "You already have an account" in page and "password1" not in page
    assert client.post(path).status_code == 302
    assert ProjectMembership.objects.filter(project=project, user=existing).exists()
    existing.refresh_from_db()
    assert existing.check_password(f.PASSWORD)


def test_a_revoked_invitation_is_refused_and_the_lead_sees_it_gone(client, team, django_capture_on_commit_callbacks):
    project, case_study, lead = team
    _invite(client, project, lead, case_study, capture=django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get(email="resb@example.org")
    client.force_login(lead)
    response = client.post(reverse("accounts:revoke_invitation", args=[project.slug, invitation.pk]), follow=True)
    assert "The invitation to resb@example.org is withdrawn" in response.content.decode()
    assert "resb@example.org" not in response.content.decode().split("Open invitations")[1]
    client.logout()
    refused = _accept(client, _link_path(mail.outbox[-1].body))
    assert refused.status_code == 410 and services.REVOKED in _text(refused)
    assert not User.objects.filter(email="resb@example.org").exists()


def test_another_projects_lead_cannot_revoke_or_resend(client, team):
    project, case_study, lead = team
    invitation, _ = services.invite_member(project=project, email="resb@example.org", role="researcher")
    stranger = f.make_lead(f.make_project())
    client.force_login(stranger)
    for name in ("accounts:revoke_invitation", "accounts:send_invitation_again"):
        assert client.post(reverse(name, args=[project.slug, invitation.pk])).status_code == 404
    researcher = f.make_researcher(project, case_study)
    client.force_login(researcher)
    assert client.post(reverse("accounts:revoke_invitation", args=[project.slug, invitation.pk])).status_code == 403
    assert services.open_invitations().filter(pk=invitation.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_invitation_made_while_the_mail_server_is_down_is_saved_and_can_be_sent_again(client, team):
    # Committed for real, so that the email goes out when the invitation is committed, as it does in production.
    project, case_study, lead = team
    client.force_login(lead)
    with mock.patch("accounts.services.send_mail", side_effect=ConnectionRefusedError(111, "Connection refused")):
        response = client.post(
            reverse("accounts:invite", args=[project.slug]),
            {"email": "resb@example.org", "role": ProjectRole.RESEARCHER, "case_studies": [case_study.pk]},
            follow=True,
        )
    client.logout()
    assert response.status_code == 200
    text = response.content.decode()
    assert (
        "The invitation to resb@example.org is saved, but its email was not sent: [Errno 111] Connection refused."
        in text
    )
    invitation = Invitation.objects.get(email="resb@example.org")
    assert invitation.send_error == "not sent: [Errno 111] Connection refused" and invitation.sent_at is None
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.INVITATION_NOT_SENT).count() == 1
    client.force_login(lead)
    members = client.get(reverse("accounts:members", args=[project.slug])).content.decode()
    assert "email not sent: [Errno 111] Connection refused" in members and "Send again" in members

    with mock.patch("accounts.services.send_mail", side_effect=smtplib.SMTPServerDisconnected("gone")):
        again = client.post(reverse("accounts:send_invitation_again", args=[project.slug, invitation.pk]), follow=True)
    assert "its email was not sent: gone" in again.content.decode()
    assert len(mail.outbox) == 0

    sent = client.post(reverse("accounts:send_invitation_again", args=[project.slug, invitation.pk]), follow=True)
    assert "Invitation sent to resb@example.org." in sent.content.decode()
    invitation.refresh_from_db()
    assert invitation.send_error == "" and invitation.sent_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["resb@example.org"]
    client.logout()
    assert _accept(client, _link_path(mail.outbox[0].body)).status_code == 302


def test_a_password_reset_with_the_mail_server_down_is_recorded_for_admins(client, team):
    project, case_study, lead = team
    with mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError(111, "Connection refused")
    ):
        response = client.post(reverse("password_reset"), {"email": "lead@example.org"})
    # The page is the same as when the mail goes out: it never tells which addresses have an account.
    assert response.status_code == 302
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.PASSWORD_RESET_NOT_SENT)
    assert event.user == lead and event.detail == "not sent: [Errno 111] Connection refused"


def test_an_account_an_admin_switches_off_comes_back_only_through_a_later_invitation(client, team):
    project, case_study, lead = team
    member = f.make_researcher(project, case_study, email="resb@example.org")
    earlier, _ = services.invite_member(project=f.make_project(), email="resb@example.org", role="researcher")
    boss = f.make_admin()
    boss.is_superuser = True
    boss.save()
    client.force_login(boss)
    page = client.get(reverse("admin:auth_user_change", args=[member.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(
        {
            "is_active": "",
            "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
            "groups": [],
            "user_permissions": [],
        }
    )
    data = {key: value for key, value in data.items() if key not in {"date_joined", "last_login"}}
    response = client.post(reverse("admin:auth_user_change", args=[member.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.is_active is False
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.ACCOUNT_DEACTIVATED, user=member)
    assert event.actor == boss
    # The invitation made before is revoked with it, and could not bring the account back anyway.
    assert not services.open_invitations().filter(pk=earlier.pk).exists()
    assert not services.may_reactivate(member, earlier)
    client.logout()
    assert client.get(_link_from(earlier)).status_code == 410
