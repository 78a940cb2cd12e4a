"""Coding together: a coding page asks what changed on its interview since its version, and who else is at work.

Nothing is sent when nothing changed (304), a change is sent as the excerpts it touched, and under blind coding a
coder receives nothing of others: not their excerpts, not a new version when they code, not their presence.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from casestudies.models import Interview
from coding import live, services
from coding.models import Excerpt, InterviewPresence
from tests.factories import (
    make_case_study,
    make_code,
    make_interview,
    make_lead,
    make_project,
    make_researcher,
    make_user,
)

pytestmark = pytest.mark.django_db

TEXT = (
    "Interviewer: How did the partnership start?\n\n"
    "Ruth: With a phone call, really. Then a meeting in the church hall.\n\n"
    "Interviewer: And the money?\n\n"
    "Ruth: Nobody had a plan for the money."
)


@pytest.fixture
def world():
    project = make_project()
    case_study = make_case_study(project)
    interview = make_interview(case_study, transcript=TEXT)
    return {
        "project": project,
        "interview": interview,
        "trust": make_code(project, name="Trust"),
        "money": make_code(project, name="Money"),
        "lead": make_lead(project, first_name="Lena", last_name="Okafor"),
        "coder": make_researcher(project, case_study, first_name="Rafi", last_name="Ahmed"),
        "colleague": make_researcher(project, case_study, first_name="Sam", last_name="Jones"),
        "outsider": make_user(),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(interview) -> str:
    return f"/api/interviews/{interview.pk}/excerpts"


def code(world, who: str, passage: str, *codes) -> Excerpt:
    start = TEXT.index(passage)
    return services.create_excerpt(
        interview=world["interview"],
        start=start,
        end=start + len(passage),
        codes=[world[name] for name in codes],
        coded_by=world[who],
    )


def poll(client: Client, interview, version: str):
    return client.get(url(interview), {"since": version}, HTTP_IF_NONE_MATCH=f'"{version}"')


def test_nothing_is_sent_until_something_changes(world):
    client = client_for(world["coder"])
    first = client.get(url(world["interview"]))
    assert first.status_code == 200
    body = first.json()
    assert body["full"] is True and body["excerpts"] == [] and body["present"] == []
    assert first["ETag"] == f'"{body["version"]}"'
    again = poll(client, world["interview"], body["version"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


def test_a_colleagues_new_changed_and_deleted_excerpts_reach_the_page(world):
    client = client_for(world["coder"])
    version = client.get(url(world["interview"])).json()["version"]

    excerpt = code(world, "colleague", "With a phone call, really.", "trust")
    answer = poll(client, world["interview"], version)
    assert answer.status_code == 200
    body = answer.json()
    assert body["full"] is False
    assert [(row["id"], row["text"], row["code_ids"]) for row in body["excerpts"]] == [
        (excerpt.pk, "With a phone call, really.", [world["trust"].pk])
    ]
    assert body["excerpts"][0]["coded_by"]["name"] == "Sam Jones"
    assert body["excerpts"][0]["can_edit"] is False
    assert body["deleted"] == [] and "codes" not in body and body["transcript_changed"] is False
    version = body["version"]
    assert poll(client, world["interview"], version).status_code == 304

    # A memo and a second code: the excerpt as it is now, at its new version.
    services.update_excerpt(
        excerpt=Excerpt.objects.get(pk=excerpt.pk),
        changed_by=world["colleague"],
        memo="First contact.",
        codes=[world["trust"], world["money"]],
    )
    body = poll(client, world["interview"], version).json()
    [changed] = body["excerpts"]
    assert (changed["memo"], changed["code_ids"], changed["version"]) == (
        "First contact.",
        [world["trust"].pk, world["money"].pk],
        excerpt.version + 1,
    )

    services.delete_excerpt(excerpt=Excerpt.objects.get(pk=excerpt.pk), deleted_by=world["colleague"])
    body = poll(client, world["interview"], body["version"]).json()
    assert body["excerpts"] == [] and body["deleted"] == [excerpt.pk]


def test_a_merge_of_codes_reaches_the_page_though_no_excerpt_was_saved(world):
    excerpt = code(world, "colleague", "Nobody had a plan for the money.", "money")
    client = client_for(world["coder"])
    version = client.get(url(world["interview"])).json()["version"]
    services.merge_codes(source=world["money"], target=world["trust"], merged_by=world["lead"])
    body = poll(client, world["interview"], version).json()
    assert [(row["id"], row["code_ids"]) for row in body["excerpts"]] == [(excerpt.pk, [world["trust"].pk])]
    # The codebook changed too (Money is gone): the page gets it whole.
    assert [row["name"] for row in body["codes"]] == ["Trust"]


def test_a_new_code_in_the_codebook_reaches_the_page(world):
    client = client_for(world["coder"])
    version = client.get(url(world["interview"])).json()["version"]
    services.create_code(project=world["project"], name="Place", created_by=world["lead"])
    body = poll(client, world["interview"], version).json()
    assert body["excerpts"] == [] and body["deleted"] == []
    assert "Place" in [row["name"] for row in body["codes"]]


def test_a_corrected_transcript_is_announced(world):
    client = client_for(world["coder"])
    version = client.get(url(world["interview"])).json()["version"]
    Interview.objects.filter(pk=world["interview"].pk).update(turns_digest="a-new-digest-of-the-text")
    body = poll(client, world["interview"], version).json()
    assert body["transcript_changed"] is True


def test_a_change_committed_late_is_still_sent(world):
    """A write whose transaction commits after a later one's has the older history entry: the version's count
    moves, so the page asks, and changes of the last minute are sent again whatever their entry."""
    client = client_for(world["coder"])
    first = code(world, "colleague", "With a phone call, really.", "trust")
    code(world, "lead", "Then a meeting in the church hall.", "trust")
    now = live.Version.parse(client.get(url(world["interview"])).json()["version"])
    # As the page would have it had it asked between the two commits, the first of them not yet counted.
    before = live.Version(
        now.hides_others, (now.excerpts[0], now.excerpts[1] - 1), now.links, now.codes, now.transcript, now.present
    )
    body = poll(client, world["interview"], str(before)).json()
    assert first.pk in [row["id"] for row in body["excerpts"]]


def test_too_many_changes_are_sent_as_the_whole_list(world, monkeypatch):
    monkeypatch.setattr(live, "MAX_CHANGED", 1)
    client = client_for(world["coder"])
    version = client.get(url(world["interview"])).json()["version"]
    code(world, "colleague", "With a phone call, really.", "trust")
    code(world, "colleague", "Nobody had a plan for the money.", "money")
    body = poll(client, world["interview"], version).json()
    assert body["full"] is True and len(body["excerpts"]) == 2


@pytest.mark.parametrize(
    "since",
    [
        "",
        "rubbish",
        "1.2.3",
        "2.1.1.1.1.1.1.abc.def",
        "0.-1.1.1.1.1.1.abc.def",
        "0." + "9" * 300,
        "0.1.1.1.1.1.1.a.b.c",
    ],
)
def test_an_unreadable_version_gets_the_whole_list(world, since):
    code(world, "colleague", "With a phone call, really.", "trust")
    answer = client_for(world["coder"]).get(url(world["interview"]), {"since": since}, HTTP_IF_NONE_MATCH=since)
    assert answer.status_code == 200
    body = answer.json()
    assert body["full"] is True and len(body["excerpts"]) == 1


def test_under_blind_coding_a_coder_receives_nothing_of_others(world):
    Interview.objects.filter(pk=world["interview"].pk).update(is_blind_coding=True)
    coder, colleague = client_for(world["coder"]), client_for(world["colleague"])
    colleague.get(url(world["interview"]))  # The colleague has the page open too.
    client_for(world["lead"]).get(url(world["interview"]))  # And the lead.
    first = coder.get(url(world["interview"])).json()
    assert first["present"] == [] and first["excerpts"] == []
    version = first["version"]

    # Others code, change their coding and the colleague leaves: the coder's version does not move.
    theirs = code(world, "colleague", "With a phone call, really.", "trust")
    code(world, "lead", "Nobody had a plan for the money.", "money")
    services.update_excerpt(excerpt=theirs, changed_by=world["colleague"], memo="Mine alone.")
    colleague.delete(f"/api/interviews/{world['interview'].pk}/presence")
    assert poll(coder, world["interview"], version).status_code == 304

    # Their own coding reaches them as usual.
    mine = code(world, "coder", "Then a meeting in the church hall.", "trust")
    body = poll(coder, world["interview"], version).json()
    assert [row["id"] for row in body["excerpts"]] == [mine.pk] and body["deleted"] == []

    # The lead sees through blind coding, and sees who is at work.
    lead_view = client_for(world["lead"]).get(url(world["interview"])).json()
    assert len(lead_view["excerpts"]) == 3
    assert [person["name"] for person in lead_view["present"]] == ["Rafi Ahmed"]

    # Once the coding is revealed, the coder's page reads the whole list again.
    Interview.objects.filter(pk=world["interview"].pk).update(blind_revealed_at=timezone.now())
    body = poll(coder, world["interview"], body["version"]).json()
    assert body["full"] is True and len(body["excerpts"]) == 3


def test_who_else_has_the_interview_open(world):
    Profile.objects.create(user=world["colleague"], initials="SJ", colour="#117733")
    coder, colleague = client_for(world["coder"]), client_for(world["colleague"])
    version = coder.get(url(world["interview"])).json()["version"]
    colleague.get(url(world["interview"]))
    body = poll(coder, world["interview"], version).json()
    assert body["present"] == [
        {
            "id": world["colleague"].pk,
            "name": "Sam Jones",
            "initials": "SJ",
            "colour": "#117733",
            "text_colour": "#ffffff",
        }
    ]
    # The lead's colour is one of the palette's, their initials from their name.
    client_for(world["lead"]).get(url(world["interview"]))
    body = poll(coder, world["interview"], body["version"]).json()
    [lead] = [person for person in body["present"] if person["id"] == world["lead"].pk]
    assert (lead["name"], lead["initials"]) == ("Lena Okafor", "LO")
    assert lead["colour"].startswith("#") and lead["text_colour"] in ("#000000", "#ffffff")

    # Closing the page says so at once; a page that stops asking drops out after 30 seconds.
    assert colleague.delete(f"/api/interviews/{world['interview'].pk}/presence").status_code == 204
    InterviewPresence.objects.filter(user=world["lead"]).update(seen_at=timezone.now() - timedelta(seconds=31))
    body = poll(coder, world["interview"], body["version"]).json()
    assert body["present"] == []


def test_presence_is_written_at_most_every_ten_seconds(world):
    coder = client_for(world["coder"])
    coder.get(url(world["interview"]))
    seen = InterviewPresence.objects.get(user=world["coder"]).seen_at
    coder.get(url(world["interview"]))
    assert InterviewPresence.objects.get(user=world["coder"]).seen_at == seen
    InterviewPresence.objects.filter(user=world["coder"]).update(seen_at=seen - timedelta(seconds=11))
    coder.get(url(world["interview"]))
    assert InterviewPresence.objects.get(user=world["coder"]).seen_at > seen


def test_out_of_reach_the_answer_is_not_found(world):
    outsider = client_for(world["outsider"])
    assert outsider.get(url(world["interview"]), {"since": "0.0.0.0.0.0.0.x.y"}).status_code == 404
    assert outsider.delete(f"/api/interviews/{world['interview'].pk}/presence").status_code == 404
    assert not InterviewPresence.objects.filter(user=world["outsider"]).exists()
    assert Client().get(url(world["interview"])).status_code == 401
    # Leaving is a write: it needs the CSRF token like every other.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["coder"])
    assert strict.delete(f"/api/interviews/{world['interview'].pk}/presence").status_code == 403


def test_asking_costs_the_same_few_queries_however_much_coding_there_is(world, django_assert_max_num_queries):
    client = client_for(world["coder"])
    version = client.get(url(world["interview"])).json()["version"]
    with django_assert_max_num_queries(8):
        assert poll(client, world["interview"], version).status_code == 304
    for index in range(30):
        make_code(world["project"], name=f"Extra {index}")
        code(world, "colleague", "Nobody had a plan for the money.", "money")
    version = client.get(url(world["interview"])).json()["version"]
    with django_assert_max_num_queries(8):
        assert poll(client, world["interview"], version).status_code == 304
