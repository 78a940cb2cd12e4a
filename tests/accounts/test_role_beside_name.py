"""Beside the signed-in person's name, the header says what they are where they are: an administrator anywhere,
and in a project its lead, a researcher on it, or the lead researcher or a researcher of its case studies."""

import re

import pytest
from django.test import Client

from casestudies.models import CaseStudyMembership
from tests.factories import make_admin, make_case_study, make_lead, make_project, make_researcher, make_user

pytestmark = pytest.mark.django_db


def who(user, address: str) -> str:
    client = Client()
    client.force_login(user)
    page = client.get(address, follow=True).content.decode()
    return " ".join(
        re.sub(r"<[^>]+>", " ", re.search(r'<span class="who">(.*?)</span>\s*<button', page, re.S)[1]).split()
    )


def test_the_header_names_the_role_in_the_project_shown():
    project, other = make_project(), make_project()
    case_study = make_case_study(project)
    case_lead = make_user(first_name="Cas", last_name="Lead")
    CaseStudyMembership.objects.create(case_study=case_study, user=case_lead, role=CaseStudyMembership.Role.LEAD)
    case_member = make_user(first_name="Cas", last_name="Member")
    CaseStudyMembership.objects.create(case_study=case_study, user=case_member)
    lead = make_lead(project, first_name="Lena", last_name="Lead")
    make_researcher(other, first_name="Lena", last_name="Lead", username="lena-elsewhere")
    researcher = make_researcher(project, case_study, first_name="Rafi", last_name="Researcher")
    url = project.get_absolute_url()
    assert who(lead, url) == "Lena Lead (project lead)"
    assert who(researcher, url) == "Rafi Researcher (researcher)"
    assert who(case_lead, url) == "Cas Lead (lead researcher)"
    assert who(case_member, url) == "Cas Member (researcher)"
    assert who(make_admin(first_name="Ada", last_name="Admin"), url) == "Ada Admin (administrator)"
    # Where no project is shown (the account page), a member's name stands alone.
    assert who(lead, "/accounts/profile/") == "Lena Lead"
