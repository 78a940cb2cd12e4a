import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import AccountEvent, Invitation
from accounts.services import invitation_token, invite_member
from casestudies.models import CaseStudyMembership, Interview, ProjectMembership, ProjectRole
from coding.models import Excerpt
from tests import factories as f
from tests.querycounts import assert_flat

pytestmark = pytest.mark.django_db
User = get_user_model()
GOOD_PASSWORD = "quiet-harbour-lantern-42"


def link_path(text: str) -> str:
    return re.search(r"https?://[^/\s]+(/invitations/\S+/)", text).group(1)


@pytest.fixture
def team():
    project = f.make_project()
    case_a, case_b = f.make_case_study(project), f.make_case_study(project)
    lead = f.make_lead(project, email="lead@example.org")
    return project, case_a, case_b, lead


def invite_through_page(client, project, lead, case_study, email="new@example.org"):
    client.force_login(lead)
    return client.post(
        reverse("accounts:invite", args=[project.slug]),
        {"email": email, "role": ProjectRole.RESEARCHER, "case_studies": [case_study.pk]},
    )


def test_a_lead_invites_and_the_invitee_sees_only_their_case_study(client, team, django_capture_on_commit_callbacks):
    project, case_a, case_b, lead = team
    with django_capture_on_commit_callbacks(execute=True):
        response = invite_through_page(client, project, lead, case_a)
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.org"]
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.INVITATION_SENT, email="new@example.org").count() == 1
    client.logout()
    path = link_path(mail.outbox[0].body)
    response = client.post(
        path, {"first_name": "Nia", "last_name": "Okafor", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert user.check_password(GOOD_PASSWORD)
    # Colleagues see the name the invitee gave, not their address.
    assert user.get_full_name() == "Nia Okafor"
    assert ProjectMembership.objects.get(project=project, user=user).role == ProjectRole.RESEARCHER
    assert list(CaseStudyMembership.objects.filter(user=user).values_list("case_study", flat=True)) == [case_a.pk]
    assert client.login(username="new@example.org", password=GOOD_PASSWORD)
    page = client.get(reverse("casestudies:case_study_list", args=[project.slug])).content.decode()
    assert case_a.title in page and case_b.title not in page
    assert client.get(reverse("casestudies:case_study", args=[project.slug, case_b.slug])).status_code == 404
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.INVITATION_ACCEPTED, user=user).count() == 1


def test_a_used_invitation_link_is_refused_with_a_message(client, team):
    project, case_a, _, lead = team
    _, link = invite_member(project=project, email="once@example.org", role="researcher", case_studies=[case_a])
    path = link_path(link)
    client.post(path, {"first_name": "Once", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    client.logout()
    other = "other-" + GOOD_PASSWORD
    response = client.post(path, {"first_name": "Twice", "password1": other, "password2": other})
    assert response.status_code == 410
    assert "already been accepted" in response.content.decode()
    assert User.objects.get(email="once@example.org").check_password(GOOD_PASSWORD)


def test_an_expired_invitation_link_is_refused_with_a_message(client, team, settings):
    project, case_a, _, _ = team
    _, link = invite_member(project=project, email="late@example.org", role="researcher", case_studies=[case_a])
    later = __import__("time").time() + (settings.INVITATION_MAX_AGE_DAYS + 1) * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(link_path(link))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="late@example.org").exists()


def test_a_tampered_link_is_refused(client, team):
    project, case_a, _, _ = team
    invitation, _ = invite_member(project=project, email="x@example.org", role="researcher")
    token = invitation_token(invitation)
    response = client.get(reverse("accounts:accept_invitation", args=[token[:-2] + "zz"]))
    assert response.status_code == 410 and "not valid" in response.content.decode()


def test_a_weak_password_is_refused_and_nothing_is_created(client, team):
    project, case_a, _, _ = team
    _, link = invite_member(project=project, email="weak@example.org", role="researcher", case_studies=[case_a])
    response = client.post(link_path(link), {"first_name": "Wes", "password1": "password", "password2": "password"})
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    assert not User.objects.filter(email="weak@example.org").exists()
    assert Invitation.objects.get(email="weak@example.org").accepted_at is None


def test_a_bad_email_or_outside_case_study_is_refused(client, team):
    project, case_a, _, lead = team
    other_case = f.make_case_study()
    client.force_login(lead)
    response = client.post(reverse("accounts:invite", args=[project.slug]), {"email": "nope", "role": "researcher"})
    assert "Enter a valid email address" in response.content.decode()
    response = client.post(
        reverse("accounts:invite", args=[project.slug]),
        {"email": "a@example.org", "role": "researcher", "case_studies": [other_case.pk]},
    )
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_researcher_cannot_open_or_use_the_members_page(client, team):
    project, case_a, _, lead = team
    researcher = f.make_researcher(project, case_a)
    client.force_login(researcher)
    assert client.get(reverse("accounts:members", args=[project.slug])).status_code == 403
    response = client.post(reverse("accounts:remove_member", args=[project.slug, lead.pk]))
    assert response.status_code == 403
    assert ProjectMembership.objects.filter(user=lead).exists()
    outsider = f.make_user()
    client.force_login(outsider)
    assert client.get(reverse("accounts:members", args=[project.slug])).status_code == 404


def test_removing_a_member_deactivates_them_keeps_their_excerpts_and_hands_on_interviews(client, team):
    project, case_a, _, lead = team
    leaving = f.make_researcher(project, case_a)
    interview = f.make_interview(case_a, interviewer=leaving)
    excerpt = f.make_excerpt(interview, coded_by=leaving)
    client.force_login(lead)
    response = client.post(
        reverse("accounts:remove_member", args=[project.slug, leaving.pk]), {"hand_to": lead.pk}, follow=True
    )
    assert "1 interviews handed on" in response.content.decode()
    leaving.refresh_from_db()
    assert leaving.is_active is False
    assert not ProjectMembership.objects.filter(user=leaving).exists()
    assert not CaseStudyMembership.objects.filter(user=leaving).exists()
    assert Interview.objects.get(pk=interview.pk).interviewer == lead
    assert Excerpt.objects.get(pk=excerpt.pk).coded_by == leaving
    assert ProjectMembership.history.filter(user_id=leaving.pk, history_type="-").count() == 1
    assert client.login(username=leaving.username, password=f.PASSWORD) is False
    kinds = set(AccountEvent.objects.filter(user=leaving).values_list("kind", flat=True))
    assert kinds == {AccountEvent.Kind.MEMBER_REMOVED, AccountEvent.Kind.ACCOUNT_DEACTIVATED}


def test_a_removed_member_loses_access_in_an_open_session(client, team):
    project, case_a, _, lead = team
    leaving = f.make_researcher(project, case_a)
    from accounts.services import remove_member

    client.force_login(leaving)
    assert client.get(case_a.get_absolute_url()).status_code == 200
    remove_member(project=project, user=leaving, removed_by=lead)
    assert client.get(case_a.get_absolute_url()).status_code == 302


def test_a_member_of_another_project_stays_active_but_loses_this_one(client, team):
    project, case_a, _, lead = team
    other = f.make_project()
    member = f.make_researcher(project, case_a)
    ProjectMembership.objects.create(project=other, user=member)
    client.force_login(lead)
    client.post(reverse("accounts:remove_member", args=[project.slug, member.pk]))
    member.refresh_from_db()
    assert member.is_active is True
    client.force_login(member)
    assert client.get(case_a.get_absolute_url()).status_code == 404


def test_the_last_lead_cannot_be_demoted_and_nothing_changes(client, team):
    project, _, _, lead = team
    admin = f.make_admin()
    client.force_login(admin)
    response = client.post(
        reverse("accounts:change_role", args=[project.slug, lead.pk]), {"role": "researcher"}, follow=True
    )
    assert "at least one lead" in response.content.decode()
    assert ProjectMembership.objects.get(user=lead).role == ProjectRole.LEAD


def test_a_lead_changes_a_role_and_it_is_in_the_history(client, team):
    project, case_a, _, lead = team
    member = f.make_researcher(project, case_a)
    ProjectMembership.objects.get_or_create(project=project, user=member)
    client.force_login(lead)
    client.post(reverse("accounts:change_role", args=[project.slug, member.pk]), {"role": "lead"})
    membership = ProjectMembership.objects.get(project=project, user=member)
    assert membership.role == ProjectRole.LEAD
    assert membership.history.first().history_user == lead


def test_the_members_page_lists_members_in_flat_queries(client, team):
    project, case_a, case_b, lead = team
    client.force_login(lead)
    members_url = reverse("accounts:members", args=[project.slug])
    f.make_researcher(project, case_a, email="first@example.org")

    def grow():
        for n in range(3):
            f.make_researcher(project, case_b, email=f"more{n}@example.org")

    response = client.get(members_url)
    assert "first@example.org" in response.content.decode()
    assert_flat(lambda: client.get(members_url), grow, expected=queries(client, members_url))


def queries(client, address) -> int:
    from tests.querycounts import queries_of

    return queries_of(lambda: client.get(address))


def test_invite_member_command_prints_the_link(team, capsys):
    project, case_a, _, _ = team
    call_command(
        "invite_member",
        "--project",
        project.slug,
        "--email",
        "cli@example.org",
        "--role",
        "researcher",
        "--case-study",
        case_a.slug,
    )
    assert "/invitations/" in capsys.readouterr().out
    invitation = Invitation.objects.get(email="cli@example.org")
    assert list(invitation.case_studies.all()) == [case_a]


def test_invite_member_command_refuses_an_unknown_case_study(team):
    project, _, _, _ = team
    with pytest.raises(CommandError, match="no-such"):
        call_command(
            "invite_member",
            "--project",
            project.slug,
            "--email",
            "c@example.org",
            "--role",
            "lead",
            "--case-study",
            "no-such",
        )
    assert not Invitation.objects.exists()


def test_password_reset_is_recorded_and_throttled(client, team, settings):
    _, _, _, lead = team
    settings.PASSWORD_RESET_LIMIT = 2
    for _ in range(2):
        assert client.post(reverse("password_reset"), {"email": "lead@example.org"}).status_code == 302
    response = client.post(reverse("password_reset"), {"email": "lead@example.org"})
    assert response.status_code == 429
    assert "Too many reset requests" in response.content.decode()
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.PASSWORD_RESET_REQUESTED).count() == 2
    assert len(mail.outbox) == 2


def test_password_change_uses_the_sites_page(client, team):
    _, _, _, lead = team
    client.force_login(lead)
    response = client.get(reverse("password_change"))
    assert "Change your password" in response.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": f.PASSWORD, "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.check_password(GOOD_PASSWORD)


def test_account_events_are_shown_to_admins(client, team):
    project, _, _, _ = team
    invite_member(project=project, email="seen@example.org", role="researcher")
    client.force_login(f.make_admin())
    page = client.get(reverse("admin:accounts_accountevent_changelist")).content.decode()
    assert "seen@example.org" in page and "Invitation sent" in page


def test_the_profile_page_saves_a_display_name_and_initials(client, team):
    from accounts.models import Profile

    _, _, _, lead = team
    client.force_login(lead)
    response = client.post(reverse("accounts:profile"), {"display_name": "Ruth Ellis", "initials": ""}, follow=True)
    assert "Your profile is saved" in response.content.decode()
    profile = Profile.objects.get(user=lead)
    assert (profile.display_name, profile.initials) == ("Ruth Ellis", "RE")
    assert profile.history.count() == 1


def test_bad_initials_are_refused_and_nothing_is_saved(client, team):
    from accounts.models import Profile

    _, _, _, lead = team
    client.force_login(lead)
    response = client.post(reverse("accounts:profile"), {"display_name": "Ruth", "initials": "R E L L"})
    assert "Initials are up to four characters without spaces" in response.content.decode()
    assert not Profile.objects.exists()


def test_the_profile_page_saves_a_colour_for_ones_initials(client, team):
    from accounts.models import Profile

    _, _, _, lead = team
    client.force_login(lead)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Chosen for you" in page and "Forest green" in page
    client.post(reverse("accounts:profile"), {"display_name": "Ruth Ellis", "initials": "", "colour": "#117733"})
    assert Profile.objects.get(user=lead).colour == "#117733"
    page = client.get(reverse("accounts:profile")).content.decode()
    assert re.search(r'<input type="radio" name="colour" value="#117733"[^>]* checked>', page)


def test_a_colour_not_offered_is_refused_and_nothing_is_saved(client, team):
    from accounts.models import Profile

    _, _, _, lead = team
    client.force_login(lead)
    response = client.post(reverse("accounts:profile"), {"display_name": "Ruth", "initials": "", "colour": "red"})
    assert "Select a valid choice" in response.content.decode()
    assert not Profile.objects.exists()
