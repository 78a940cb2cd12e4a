"""Accounts as a team meets them under `make run`, where no mail server is set up: console mail that can be read
and used as it stands, the invitation link on the page, a way to a forgotten password, and a name on joining."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend
from django.urls import reverse

from accounts.mail import ConsoleEmailBackend
from accounts.models import Invitation
from accounts.services import invite_member
from casestudies.models import ProjectRole
from tests import factories as f

pytestmark = pytest.mark.django_db
User = get_user_model()
LINK = "http://127.0.0.1:8000/invitations/" + "MTIz:1uABCD:" + "x" * 60 + "/"
BODY = f"You are invited to join Partnership working – the consortium study.\n\nChoose your password here:\n{LINK}\n"


@pytest.fixture
def console_mail(settings):
    settings.MAILERS = {"default": {"BACKEND": "accounts.mail.ConsoleEmailBackend"}}


@pytest.fixture
def team():
    project = f.make_project()
    case_study = f.make_case_study(project)
    return project, case_study, f.make_lead(project, email="lead@example.org")


def written(backend_class, message) -> str:
    stream = io.StringIO()
    backend_class(stream=stream).send_messages([message])
    return stream.getvalue()


def test_console_mail_is_plain_text_with_each_link_whole_on_one_line():
    message = EmailMessage("Invitation to Partnership working", BODY, "workbench@localhost", ["new@example.org"])
    text = written(ConsoleEmailBackend, message)
    assert text.splitlines()[:4] == [
        "From: workbench@localhost",
        "To: new@example.org",
        "Subject: Invitation to Partnership working",
        "",
    ]
    assert LINK in text.splitlines()  # a line of its own, whole
    assert "Partnership working – the consortium study." in text  # not encoded
    # What Django's own console backend writes for the same message: the link broken by quoted-printable.
    assert LINK not in written(DjangoConsoleBackend, message).splitlines()


def test_console_mail_says_that_an_html_version_was_left_out():
    message = EmailMultiAlternatives("Reset", BODY, "workbench@localhost", ["lead@example.org"])
    message.attach_alternative(f'<p><a href="{LINK}">Reset</a></p>', "text/html")
    text = written(ConsoleEmailBackend, message)
    assert LINK in text.splitlines() and "(Also sent as text/html, not shown here.)" in text and "<p>" not in text


def test_with_console_mail_the_lead_is_shown_the_invitation_link_to_pass_on(
    client, team, console_mail, capsys, django_capture_on_commit_callbacks
):
    project, case_study, lead = team
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invite", args=[project.slug]),
            {"email": "new@example.org", "role": ProjectRole.RESEARCHER, "case_studies": [case_study.pk]},
            follow=True,
        )
    page = response.content.decode()
    assert "No mail server is set up, so the email was only written to this server&#x27;s console" in page
    shown = re.search(r'<input type="text" readonly value="(http://testserver/invitations/[^"]+/)"', page).group(1)
    # The link on the page is the one in the console mail, and it works.
    assert shown in capsys.readouterr().out.splitlines()
    client.logout()
    path = shown.removeprefix("http://testserver")
    response = client.post(
        path,
        {"first_name": "Nia", "last_name": "Okafor", "password1": "quiet-harbour-42", "password2": "quiet-harbour-42"},
    )
    assert response.status_code == 302 and User.objects.get(email="new@example.org").get_full_name() == "Nia Okafor"

    # Sending again shows the new link too.
    client.force_login(lead)
    invitation, _ = invite_member(project=project, email="later@example.org", role=ProjectRole.RESEARCHER)
    response = client.post(reverse("accounts:send_invitation_again", args=[project.slug, invitation.pk]), follow=True)
    assert re.search(r'readonly value="http://testserver/invitations/[^"]+/"', response.content.decode())


def test_with_a_real_mail_server_the_link_is_not_shown(client, team, django_capture_on_commit_callbacks):
    project, case_study, lead = team
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invite", args=[project.slug]),
            {"email": "new@example.org", "role": ProjectRole.RESEARCHER},
            follow=True,
        )
    page = response.content.decode()
    assert "Invitation sent to new@example.org." in page
    assert "testserver/invitations/" not in page and "readonly" not in page and len(mail.outbox) == 1


def test_joining_asks_for_a_name_and_without_one_creates_nothing(client, team):
    project, case_study, _ = team
    _, link = invite_member(project=project, email="anon@example.org", role=ProjectRole.RESEARCHER)
    path = link[link.index("/invitations/") :]
    page = client.get(path).content.decode()
    assert 'name="first_name"' in page and 'autocomplete="given-name"' in page and 'name="last_name"' in page
    response = client.post(path, {"first_name": "  ", "password1": "quiet-harbour-42", "password2": "quiet-harbour-42"})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not User.objects.filter(email="anon@example.org").exists()
    assert Invitation.objects.get(email="anon@example.org").accepted_at is None


def test_the_login_page_leads_to_a_password_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'<a href="{reverse("password_reset")}">Forgotten your password?</a>' in page


def test_a_reset_requested_with_console_mail_says_where_the_email_went(client, console_mail, capsys):
    f.make_user(username="lead", email="lead@example.org")
    response = client.post(reverse("password_reset"), {"email": "lead@example.org"}, follow=True)
    page = response.content.decode()
    assert "Check your email" in page and "written to the server's console" in page
    reset = re.search(r"http://testserver(/accounts/reset/\S+/)", capsys.readouterr().out).group(1)
    assert client.get(reset, follow=True).status_code == 200


def test_a_reset_page_with_a_real_mail_server_does_not_mention_the_console(client):
    page = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True).content.decode()
    assert "Check your email" in page and "console" not in page
