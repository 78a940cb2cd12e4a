"""Where the writes of the case-study records begin and end: a transcript file is read before any transaction
opens (the parse may take seconds, and on SQLite a transaction holds the write lock every coder's save waits on),
and a record's many-to-many values are written in the same transaction as the record, so that a failure leaves
neither."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.db.models.signals import m2m_changed
from django.urls import reverse

from casestudies import importers, services, views
from casestudies.models import CaseStudy, Interview
from tests.factories import make_case_study, make_interview, make_lead, make_participant, make_question

TRANSCRIPT = b"Interviewer: How did it start?\n\nRuth: With a phone call."


@pytest.fixture
def parses(monkeypatch) -> list[bool]:
    """Whether a transaction was open each time a transcript file was read."""
    seen: list[bool] = []

    def reading(**kwargs):
        seen.append(connection.in_atomic_block)
        return importers.read_transcript(**kwargs)

    monkeypatch.setattr(services, "read_transcript", reading)
    monkeypatch.setattr(views, "read_transcript", reading, raising=False)
    return seen


@pytest.mark.django_db(transaction=True)
def test_a_transcript_file_is_read_before_any_transaction_opens(client, parses, tmp_path):
    case_study = make_case_study()
    project = case_study.project
    lead = make_lead(project)
    client.force_login(lead)

    client.post(
        reverse("casestudies:interview_create", args=[project.slug]),
        {
            "title": "Chair",
            "phase": "case_study",
            "case_study": case_study.pk,
            "transcript_file": SimpleUploadedFile("chair.txt", TRANSCRIPT),
        },
    )
    created = Interview.objects.get(title="Chair")
    assert created.transcript.startswith("Interviewer: How did it start?")

    empty = make_interview(case_study, transcript="")
    client.post(
        reverse("casestudies:interview_import", args=[empty.pk]), {"file": SimpleUploadedFile("a.txt", TRANSCRIPT)}
    )
    empty.refresh_from_db()
    assert empty.transcript.startswith("Interviewer: How did it start?")

    path = tmp_path / "cli.txt"
    path.write_bytes(TRANSCRIPT)
    call_command("import_transcript", str(path), "--title", "From the command line", "--case-study", case_study.slug)
    assert Interview.objects.filter(title="From the command line").exists()

    assert parses == [False, False, False]


@pytest.fixture
def failing_m2m():
    """Make writing a case study's questions or an interview's participants fail, as a lost connection or a
    constraint would."""

    def fail(sender, action, **kwargs):
        if action == "pre_add" and sender in (CaseStudy.focal_questions.through, Interview.participants.through):
            raise RuntimeError("the many-to-many write failed")

    m2m_changed.connect(fail, dispatch_uid="failing-m2m")
    yield
    m2m_changed.disconnect(dispatch_uid="failing-m2m")


@pytest.mark.django_db
def test_a_case_study_and_its_questions_are_saved_together_or_not_at_all(client, failing_m2m):
    case_study = make_case_study(title="Housing mergers", level_of_analysis="sector", status="planned")
    question = make_question(case_study.project)
    client.force_login(make_lead(case_study.project))
    with pytest.raises(RuntimeError, match="the many-to-many write failed"):
        client.post(
            reverse("casestudies:case_study_edit", args=[case_study.project.slug, case_study.slug]),
            {
                "title": "Renamed",
                "slug": case_study.slug,
                "sector": "Housing",
                "level_of_analysis": "sector",
                "status": "planned",
                "focal_questions": [question.pk],
            },
        )
    case_study.refresh_from_db()
    assert case_study.title == "Housing mergers"
    assert not case_study.focal_questions.exists()


@pytest.mark.django_db
def test_an_interview_and_its_participants_are_saved_together_or_not_at_all(client, failing_m2m):
    case_study = make_case_study()
    participant = make_participant(case_study.project)
    client.force_login(make_lead(case_study.project))
    with pytest.raises(RuntimeError, match="the many-to-many write failed"):
        client.post(
            reverse("casestudies:interview_create", args=[case_study.project.slug]),
            {"title": "Chair", "phase": "case_study", "case_study": case_study.pk, "participants": [participant.pk]},
        )
    assert not Interview.objects.filter(title="Chair").exists()
    assert CaseStudy.objects.get(pk=case_study.pk).interviews.count() == 0
