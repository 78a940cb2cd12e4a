"""The project's page tells a coder where to carry on: the interviews they coded last, each linked to the excerpt
they last worked on; and someone who has coded nothing yet where to start."""

import re

import pytest
from django.test import Client

from casestudies.models import Interview
from coding import services
from tests.factories import make_case_study, make_code, make_interview, make_lead, make_project, make_researcher

pytestmark = pytest.mark.django_db

TEXT = "Interviewer: How did it start?\n\nRuth: With a phone call, really. Then a meeting in the church hall."


@pytest.fixture
def world():
    project = make_project()
    ours, theirs = make_case_study(project, title="Ours"), make_case_study(project, title="Theirs")
    return {
        "project": project,
        "first": make_interview(ours, title="Chief executive", transcript=TEXT),
        "second": make_interview(ours, title="Board chair", transcript=TEXT),
        "empty": make_interview(ours, title="Not transcribed", transcript=""),
        "elsewhere": make_interview(theirs, title="Out of reach", transcript=TEXT),
        "coder": make_researcher(project, ours, first_name="Rafi"),
        "lead": make_lead(project),
        "code": make_code(project, name="Trust"),
    }


def code(world, interview: str, passage: str, who: str = "coder"):
    start = TEXT.index(passage)
    return services.create_excerpt(
        interview=world[interview],
        start=start,
        end=start + len(passage),
        codes=[world["code"]],
        coded_by=world[who],
    )


def project_page(world, who: str = "coder") -> str:
    client = Client()
    client.force_login(world[who])
    return client.get(world["project"].get_absolute_url()).content.decode()


def test_a_coder_carries_on_where_they_last_coded(world):
    code(world, "second", "With a phone call, really.")
    code(world, "first", "With a phone call, really.")
    last = code(world, "first", "Then a meeting in the church hall.")
    code(world, "second", "Then a meeting", who="lead")  # Someone else's coding is not theirs to carry on.
    page = project_page(world)
    assert "Carry on coding" in page
    section = page.split('id="carry-on-heading"')[1].split("</section>")[0]
    links = re.findall(r'<a(?: class="button")? href="([^"]+)">([^<]+)</a>', section)
    assert links == [
        (f"/interviews/{world['first'].pk}/code/#excerpt-{last.pk}", "Carry on: Chief executive"),
        (
            f"/interviews/{world['second'].pk}/code/#excerpt-{world['second'].excerpts.get(coded_by=world['coder']).pk}",
            "Board chair",
        ),
    ]
    assert "2 excerpts of yours" in section and "1 excerpt of yours" in section


def test_someone_who_has_coded_nothing_is_shown_where_to_start(world):
    page = project_page(world)
    section = page.split('id="carry-on-heading"')[1].split("</section>")[0]
    assert "Start coding" in page
    assert "Code Chief executive" in section and "Code Board chair" in section
    # Not an interview without a transcript, nor one outside the coder's case studies.
    assert "Not transcribed" not in section and "Out of reach" not in section


def test_nothing_to_code_shows_no_section(world):
    Interview.objects.exclude(pk=world["empty"].pk).update(transcript="")
    assert "carry-on-heading" not in project_page(world)
