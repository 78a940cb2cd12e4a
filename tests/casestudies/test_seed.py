import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casestudies.models import (
    CaseStudy,
    CaseStudyMembership,
    FieldworkPhase,
    Interview,
    Participant,
    QuestionGroup,
    ResearchQuestion,
    Theme,
)
from casestudies.transcripts import split_turns

pytestmark = pytest.mark.django_db

FICTIONAL_NOTICE = "FICTIONAL DEMO MATERIAL"


def test_the_project_is_loaded_as_the_briefing_describes_it():
    call_command("load_partnership_project", stdout=io.StringIO())
    assert Theme.objects.count() == 3
    groups = list(QuestionGroup.objects.order_by("order").values_list("title", flat=True))
    assert groups == [
        "Context",
        "Partnership processes and relationships",
        "Learning, innovation and evaluation",
        "Emerging questions",
    ]
    main = list(ResearchQuestion.objects.in_order().filter(group__is_emerging=False))
    assert [q.short_label for q in main] == ["RQ1", "RQ2", "RQ3", "RQ4", "RQ5", "RQ6"]
    assert main[0].text.startswith("What are the key forms of inter-organisational collaboration")
    assert main[5].text == "How can partnerships best be evaluated?"
    assert ResearchQuestion.objects.filter(group__is_emerging=True).count() == 5
    assert CaseStudy.objects.count() == 6
    mergers = CaseStudy.objects.get(slug="housing-association-mergers")
    assert mergers.lead_researchers == "David Mullins"
    assert set(mergers.forms_of_partnership.names()) == {"Merger", "Group structure"}
    phases = FieldworkPhase.objects.order_by("starts_on")
    assert [p.period_label for p in phases] == ["Autumn 2010", "May–August 2011", "September 2011 onwards"]
    assert not Interview.objects.exists()


def _rows_in_every_table() -> dict[str, int]:
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def test_loading_twice_writes_nothing_anywhere_history_included():
    call_command("load_partnership_project", "--demo", stdout=io.StringIO())
    first = _rows_in_every_table()
    assert first["casestudies_historicalcasestudy"] == 6
    assert first["casestudies_historicalparticipant"] > 0
    with CaptureQueriesContext(connection) as queries:
        call_command("load_partnership_project", "--demo", stdout=io.StringIO())
    assert _rows_in_every_table() == first
    writes = [q["sql"] for q in queries if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_a_second_load_brings_a_changed_record_back_and_saves_only_that_one():
    call_command("load_partnership_project", "--demo", stdout=io.StringIO())
    CaseStudy.objects.filter(slug="housing-association-mergers").update(region="Elsewhere")
    before = _rows_in_every_table()
    call_command("load_partnership_project", "--demo", stdout=io.StringIO())
    assert CaseStudy.objects.get(slug="housing-association-mergers").region == "England"
    after = _rows_in_every_table()
    assert {table: after[table] - before[table] for table in after if after[table] != before[table]} == {
        "casestudies_historicalcasestudy": 1
    }
    change = CaseStudy.history.filter(slug="housing-association-mergers").latest("history_date")
    assert change.history_type == "~"
    assert change.region == "England"


def test_demo_material_is_fictional_long_enough_and_has_speaker_turns(demo_project):
    interviews = list(Interview.objects.all())
    assert len(interviews) >= 12
    assert {i.phase for i in interviews} >= {"scoping", "case_study"}
    for interview in interviews:
        assert interview.transcript.startswith(FICTIONAL_NOTICE), interview.title
        assert 1500 <= interview.word_count <= 4000, (interview.title, interview.word_count)
        speakers = {turn.speaker for turn in split_turns(interview.transcript) if turn.speaker}
        assert "Interviewer" in speakers
        assert {p.pseudonym for p in interview.participants.all()} <= speakers


def test_demo_has_a_participant_who_has_not_consented_to_be_quoted(demo_project):
    assert Participant.objects.filter(consent_to_quote=False).exists()


def test_demo_researcher_is_a_member_of_the_two_housing_case_studies_only(demo_project):
    slugs = set(
        CaseStudyMembership.objects.filter(user__username="researcher").values_list("case_study__slug", flat=True)
    )
    assert slugs == {"housing-association-mergers", "ni-housing-partnerships"}


def test_demo_users_have_example_addresses_so_that_a_reset_can_be_tried(demo_project, client):
    from django.contrib.auth import get_user_model
    from django.core import mail
    from django.urls import reverse

    users = get_user_model().objects.filter(username__in=["admin", "lead", "researcher"])
    assert sorted(users.values_list("email", flat=True)) == [
        "admin@example.org",
        "lead@example.org",
        "researcher@example.org",
    ]
    client.post(reverse("password_reset"), {"email": "lead@example.org"})
    assert [message.to for message in mail.outbox] == [["lead@example.org"]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_no_demo_pseudonym_gives_a_real_name_away(demo_project):
    from disclosure.redaction import pseudonym_discloses

    people = list(Participant.objects.values_list("pseudonym", "real_name"))
    assert len(people) == 16
    assert [p for p, real in people if pseudonym_discloses(pseudonym=p, real_name=real)] == []
