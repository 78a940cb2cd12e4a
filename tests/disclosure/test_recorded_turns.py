"""Who said what is a record: turns are stored when a transcript is written, and an edit never changes who spoke
without saying so (a redaction keeps every voice; a correction that moves words to another speaker is listed
and needs confirming)."""

from __future__ import annotations

import importlib
import io
import logging
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from casestudies.models import Interview, Speaker, SpeakerTurn
from casestudies.services import import_transcript, save_interview
from coding import corrections
from coding.models import TranscriptCorrection
from disclosure.passages import PassageReader, people_of_interviews, recorded_voices
from disclosure.speakers import TranscriptVoices, VoiceKind, Withheld, text_digest
from reports.assembly import assemble_paper
from tests import factories as f
from tests.querycounts import assert_flat

from .conftest import HOUSING_ONE, JO_WORDS

pytestmark = pytest.mark.django_db


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


def _turns(voices: TranscriptVoices) -> list[tuple]:
    return [
        (turn.start, turn.body_start, turn.end, turn.voice.kind, turn.voice.person.pk if turn.voice.person else None)
        for turn in voices.turns
    ]


def _as_parsed_today(interview_ids) -> tuple[dict, dict]:
    ids = list(interview_ids)
    people = people_of_interviews(ids)
    transcripts = dict(Interview.objects.filter(pk__in=ids).values_list("pk", "transcript"))
    recorded = {pk: _turns(v) for pk, v in recorded_voices(ids).items()}
    parsed = {pk: _turns(TranscriptVoices.of(text, people.get(pk, []))) for pk, text in transcripts.items()}
    return recorded, parsed


def test_recorded_turns_read_as_the_text_did_on_the_demo(demo_project):
    ids = list(Interview.objects.values_list("pk", flat=True))
    recorded, parsed = _as_parsed_today(ids)
    assert len(recorded) == len(ids) >= 12
    assert recorded == parsed
    assert sum(len(turns) for turns in recorded.values()) == SpeakerTurn.objects.count() > 200


def test_recorded_turns_read_as_the_text_did_on_the_trap(trap):
    recorded, parsed = _as_parsed_today(interview.pk for interview in trap.interviews.values())
    assert recorded == parsed


def test_the_migration_records_the_turns_of_existing_interviews(trap):
    ids = [interview.pk for interview in trap.interviews.values()]
    _, parsed = _as_parsed_today(ids)
    SpeakerTurn.objects.all().delete()
    Speaker.objects.all().delete()
    Interview.objects.update(turns_digest="")
    migration = importlib.import_module("casestudies.migrations.0008_speakers_and_turns")
    migration.record_existing_turns(apps, None)
    recorded, _ = _as_parsed_today(ids)
    assert recorded == parsed
    housing = trap.interviews["one"]
    assert sorted(Speaker.objects.filter(interview=housing).values_list("label", "kind")) == [
        ("Interviewer", ""),
        ("Jo", ""),
        ("Ruth", ""),
    ]


def test_turns_recorded_for_another_text_are_not_trusted(trap, caplog):
    housing = trap.interviews["one"]
    Interview.objects.filter(pk=housing.pk).update(transcript=housing.transcript.replace("Jo:", "Ruth:"))
    start, end = span(housing.transcript.replace("Jo:", "Ruth:"), JO_WORDS)
    with caplog.at_level(logging.ERROR, logger="disclosure.passages"):
        passage = PassageReader([housing.pk]).passage(housing.pk, start, end)
    assert passage.withheld == Withheld.NOT_ON_RECORD
    assert f"Interview {housing.pk}: its recorded turns are not of its transcript" in caplog.text


def _jo_passage(interview):
    interview.refresh_from_db()
    start, end = span(interview.transcript, JO_WORDS)
    return PassageReader([interview.pk]).passage(interview.pk, start, end)


def _redact(interview, lead, *, phrase, replacement, scope="interview", start=None, interviews=()):
    redaction = corrections.plan_redaction(
        interview, phrase=phrase, replacement=replacement, scope=scope, start=start, interviews=interviews
    )
    return redaction, corrections.apply_redaction(redaction, user=lead)


def test_redacting_a_speakers_label_keeps_their_voice_and_their_refusal(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    assert _jo_passage(housing).withheld == Withheld.NO_CONSENT
    redaction, records = _redact(housing, lead, phrase="Jo", replacement="board member")
    assert redaction.changes[0][2].renamed == {"[board member]": "Jo"}
    housing.refresh_from_db()
    assert "[board member]: The council pushed us" in housing.transcript and "\nJo:" not in housing.transcript
    passage = _jo_passage(housing)
    assert passage.withheld == Withheld.NO_CONSENT
    assert [person.pseudonym for person in passage.people] == ["Jo"]
    speaker = Speaker.objects.get(interview=housing, label="[board member]")
    assert (speaker.kind, speaker.participant) == (Speaker.Kind.PARTICIPANT, trap.participants["jo"])
    assert not Speaker.objects.filter(interview=housing, label="Jo").exists()
    assert speaker.history.latest().history_change_reason == (
        "Label “Jo” redacted as “[board member]”; the speaker is kept."
    )
    # The paper and the coded-excerpts export still withhold her words.
    for paper in trap.papers.values():
        assert JO_WORDS not in str(assemble_paper(paper, reader=None).__dict__)
    assert records[0].kind == TranscriptCorrection.Kind.REDACTION


def test_redacting_one_label_here_leaves_the_others_with_the_speaker(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    first_ruth = housing.transcript.index("Ruth:")
    _redact(housing, lead, phrase="Ruth", replacement="chair", scope="here", start=first_ruth)
    housing.refresh_from_db()
    assert housing.transcript.count("[chair]:") == 1 and housing.transcript.count("\nRuth:") == 1
    labels = dict(Speaker.objects.filter(interview=housing).values_list("label", "kind"))
    assert labels == {"Interviewer": "", "Jo": "", "Ruth": "", "[chair]": "participant"}
    voices = recorded_voices([housing.pk])[housing.pk]
    ruth = trap.participants["ruth"].pk
    said_by_ruth = [turn for turn in voices.turns if turn.voice.person and turn.voice.person.pk == ruth]
    assert [housing.transcript[t.start : t.body_start] for t in said_by_ruth] == ["[chair]: ", "Ruth: "]


def test_a_second_redaction_with_the_same_replacement_joins_the_same_speaker(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    _redact(housing, lead, phrase="Ruth", replacement="chair", scope="here", start=housing.transcript.index("Ruth:"))
    housing.refresh_from_db()
    _redact(housing, lead, phrase="Ruth", replacement="chair", scope="here", start=housing.transcript.index("Ruth:"))
    housing.refresh_from_db()
    assert list(Speaker.objects.filter(interview=housing).values_list("label", flat=True).order_by("label")) == [
        "Interviewer",
        "Jo",
        "[chair]",
    ]


def test_a_redaction_that_would_join_another_speakers_redacted_label_is_refused(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    _redact(housing, lead, phrase="Ruth", replacement="chair", scope="here", start=housing.transcript.index("Ruth:"))
    housing.refresh_from_db()
    before = housing.transcript
    with pytest.raises(ValidationError) as refused:
        _redact(housing, lead, phrase="Jo", replacement="chair")
    assert " ".join(refused.value.messages) == (
        "In “Housing one” this redaction would change who speaks, so it is not made: Line 3: “[chair]: The council "
        f"pushed us into it, frankly a {JO_WORDS} of a process.” was said by Jo; it would be Ruth’s."
    )
    housing.refresh_from_db()
    assert housing.transcript == before


@pytest.mark.parametrize(
    "phrase, replacement, message",
    [
        ("Rut", "chair", "covers part of the speaker label “Ruth:”"),
        ("Jo: The council", "someone", "covers part of the speaker label “Jo:”"),
        ("Jo", "Interviewer", "“Interviewer” is how a speaker is named"),
        ("Jo", "Ruth", "“Ruth” is how a speaker is named"),
        ("Jo", "  ", "Say what to put in its place"),
    ],
)
def test_a_redaction_that_would_blur_who_spoke_is_refused_and_writes_nothing(trap, phrase, replacement, message):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    before = housing.transcript
    turns = list(SpeakerTurn.objects.filter(interview=housing).values_list("start", "speaker__label"))
    with pytest.raises(ValidationError) as refused:
        _redact(housing, lead, phrase=phrase, replacement=replacement)
    assert message in " ".join(refused.value.messages)
    housing.refresh_from_db()
    assert housing.transcript == before
    assert list(SpeakerTurn.objects.filter(interview=housing).values_list("start", "speaker__label")) == turns
    assert not TranscriptCorrection.objects.exists()


def test_the_redaction_page_refuses_part_of_a_label_with_its_message(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    client = Client()
    client.force_login(lead)
    form = {"phrase": "Rut", "replacement": "chair", "scope": "interview", "action": "apply"}
    page = client.post(f"/interviews/{housing.pk}/redact/", form).content.decode()
    assert "covers part of the speaker label “Ruth:”" in page
    housing.refresh_from_db()
    assert "Ruth:" in housing.transcript and not TranscriptCorrection.objects.exists()


def test_the_redaction_preview_says_a_label_keeps_its_speaker(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    client = Client()
    client.force_login(lead)
    form = {"phrase": "Jo", "replacement": "board member", "scope": "interview", "action": "preview"}
    page = client.post(f"/interviews/{housing.pk}/redact/", form).content.decode()
    assert "“Jo:” becomes “[board member]:”; who speaks is kept." in page


def test_a_correction_that_gives_words_to_another_speaker_is_listed_and_needs_confirming(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    new_text = housing.transcript.replace("\nJo: The council", "\nRuth: The council")
    preview = corrections.preview(housing, new_text)
    assert preview.speaker_change_lines() == [
        f"Line 3: “Ruth: The council pushed us into it, frankly a {JO_WORDS} of a process.” was said by Jo; "
        "it would be Ruth’s."
    ]
    with pytest.raises(ValidationError, match="gives words to another speaker in 1 turn"):
        corrections.apply(interview=housing, new_text=new_text, user=lead, expected_old=housing.transcript)
    housing.refresh_from_db()
    assert "\nJo: The council" in housing.transcript and not TranscriptCorrection.objects.exists()
    corrections.apply(
        interview=housing, new_text=new_text, user=lead, expected_old=housing.transcript, speakers_confirmed=True
    )
    passage = _jo_passage(housing)
    assert [person.pseudonym for person in passage.people] == ["Ruth"]
    assert not Speaker.objects.filter(interview=housing, label="Jo").exists()


def test_a_correction_that_leaves_every_voice_applies_without_confirming(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    new_text = housing.transcript.replace("for a year", "for a whole year")
    assert corrections.preview(housing, new_text).speaker_changes == []
    corrections.apply(interview=housing, new_text=new_text, user=lead, expected_old=housing.transcript)
    housing.refresh_from_db()
    assert "for a whole year" in housing.transcript
    assert _jo_passage(housing).withheld == Withheld.NO_CONSENT


def test_removing_a_label_in_a_correction_is_a_speaker_change(trap):
    housing = trap.interviews["one"]
    new_text = housing.transcript.replace("\nJo: The council", " The council")
    lines = corrections.preview(housing, new_text).speaker_change_lines()
    assert len(lines) == 1 and "was said by Jo; it would be Ruth’s." in lines[0]


def test_the_correction_page_lists_speaker_changes_and_applies_only_when_confirmed(trap):
    housing, lead = trap.interviews["one"], trap.users["lead"]
    client = Client()
    client.force_login(lead)
    new_text = housing.transcript.replace("\nJo: The council", "\nRuth: The council")
    url = f"/interviews/{housing.pk}/correct/"
    preview = client.post(url, {"transcript": new_text, "action": "preview"})
    page = preview.content.decode()
    assert "Who speaks changes" in page and "was said by Jo; it would be Ruth’s." in page
    assert 'name="confirm_speakers"' in page
    form = {"transcript": new_text, "action": "apply", "fingerprint": preview.context["fingerprint"]}
    refused = client.post(url, form).content.decode()
    assert "gives words to another speaker in 1 turn" in refused
    housing.refresh_from_db()
    assert "\nJo: The council" in housing.transcript
    done = client.post(url, {**form, "confirm_speakers": "yes"})
    assert done.status_code == 302
    housing.refresh_from_db()
    assert "\nRuth: The council" in housing.transcript


def test_every_writer_of_a_transcript_records_its_turns(trap, tmp_path):
    project, lead = trap.project, trap.users["lead"]
    created = f.make_interview(trap.case_a, transcript="")
    import_transcript(interview=created, name="t.txt", data=HOUSING_ONE.encode(), imported_by=lead)
    edited = f.make_interview(trap.case_a, transcript="Ruth: One.")
    edited.transcript = "Ruth: One.\n\nInterviewer: Two?"
    save_interview(interview=edited)
    for interview in (created, edited):
        interview.refresh_from_db()
        assert interview.turns_digest == text_digest(interview.transcript)
        assert SpeakerTurn.objects.filter(interview=interview).count() == len(
            TranscriptVoices.of(interview.transcript, []).turns
        )
    from django.core.management import call_command

    call_command("load_partnership_project", "--demo", stdout=io.StringIO())
    for transcript, digest in Interview.objects.values_list("transcript", "turns_digest"):
        assert digest == text_digest(transcript)
    assert project.pk


def test_the_admin_edit_of_a_transcript_records_its_turns(trap):
    admin = trap.users["admin"]
    interview = f.make_interview(trap.case_a, transcript="Ruth: One.")
    client = Client()
    client.force_login(admin)
    url = f"/admin/casestudies/interview/{interview.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        {
            "project": trap.project.pk,
            "case_study": trap.case_a.pk,
            "title": "Edited",
            "phase": "case_study",
            "transcript": "Ruth: One.\n\nInterviewer: Two?",
            "participants": [],
        }
    )
    response = client.post(url, {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 302, response.content.decode()[:2000]
    interview.refresh_from_db()
    assert interview.transcript == "Ruth: One.\n\nInterviewer: Two?"
    assert interview.turns_digest == text_digest(interview.transcript)
    assert list(SpeakerTurn.objects.filter(interview=interview).values_list("speaker__label", flat=True)) == [
        "Ruth",
        "Interviewer",
    ]
    assert VoiceKind.INTERVIEWER in {t.voice.kind for t in recorded_voices([interview.pk])[interview.pk].turns}


# ------------------------------------------------------------------ the Speakers page

CHAIR_TEXT = "Interviewer: Who chaired it?\n\nChair: I did, and we merged in the end.\n\nRuth: She did."


@pytest.fixture
def chaired(trap):
    interview = f.make_interview(trap.case_a, title="Board meeting", transcript=CHAIR_TEXT)
    interview.participants.set([trap.participants["ruth"], trap.participants["jo"]])
    return interview


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _chair_passage(interview):
    start, end = span(interview.transcript, "I did, and we merged in the end.")
    return PassageReader([interview.pk]).passage(interview.pk, start, end)


def test_the_speakers_page_lists_each_label_and_flags_an_unknown_one(trap, chaired):
    page = _client(trap.users["researcher"]).get(f"/interviews/{chaired.pk}/speakers/").content.decode()
    assert "1 label with an unknown speaker:</strong>\n    “Chair”" in page
    rows = re.findall(r'<tr id="speaker-\d+"[^>]*>\s*<th scope="row">(.*?)</th>\s*<td class="num">(\d+)</td>', page)
    assert rows == [("Interviewer:", "1"), ("Chair:", "1"), ("Ruth:", "1")]
    assert "No: speaker unknown" in page
    assert 'name="reason"' not in page  # a researcher reads, but may not change who speaks
    coding = _client(trap.users["researcher"]).get(f"/interviews/{chaired.pk}/code/").content.decode()
    assert "<strong>Speaker not known:</strong> “Chair”." in coding
    assert _chair_passage(chaired).withheld == Withheld.NOT_ON_RECORD


def test_a_lead_says_who_a_label_is_with_a_reason_kept_in_the_history(trap, chaired):
    lead = trap.users["lead"]
    chair = Speaker.objects.get(interview=chaired, label="Chair")
    url = f"/interviews/{chaired.pk}/speakers/"
    form = {"speaker": chair.pk, "who": f"participant:{trap.participants['jo'].pk}", "reason": "Jo chaired the board"}
    response = _client(lead).post(url, form)
    assert response.status_code == 302
    chair.refresh_from_db()
    assert (chair.kind, chair.participant, chair.assigned_by) == ("participant", trap.participants["jo"], lead)
    latest = chair.history.latest()
    assert (latest.history_change_reason, latest.history_user) == ("Jo chaired the board", lead)
    assert _chair_passage(chaired).withheld == Withheld.NO_CONSENT  # Jo has not consented
    page = _client(lead).get(url).content.decode()
    assert "unknown speaker" not in page.split("<table")[0]
    assert "“Jo chaired the board”" in page and "No: no consent to quote" in page
    _client(lead).post(url, {**form, "who": f"participant:{trap.participants['ruth'].pk}", "reason": "Ruth, in fact"})
    assert [p.pseudonym for p in _chair_passage(chaired).people] == ["Ruth"]
    assert _chair_passage(chaired).withheld is None
    _client(lead).post(url, {**form, "who": "auto", "reason": "Back to the label"})
    chair.refresh_from_db()
    assert (chair.kind, chair.participant, chair.assigned_by) == ("", None, None)
    assert _chair_passage(chaired).withheld == Withheld.NOT_ON_RECORD


@pytest.mark.parametrize(
    "change, message",
    [
        ({"reason": "  "}, "This field is required."),
        ({"who": "participant:999999"}, "Select a valid choice."),
        ({"who": "nobody"}, "Select a valid choice."),
    ],
)
def test_a_bad_change_of_speaker_is_refused_with_a_message_and_changes_nothing(trap, chaired, change, message):
    chair = Speaker.objects.get(interview=chaired, label="Chair")
    form = {"speaker": chair.pk, "who": "interviewer", "reason": "Because", **change}
    response = _client(trap.users["lead"]).post(f"/interviews/{chaired.pk}/speakers/", form)
    assert response.status_code == 400 and message in response.content.decode()
    chair.refresh_from_db()
    assert (chair.kind, chair.participant) == ("", None)
    assert chair.history.count() == 1


def test_a_participant_not_on_the_interviews_record_is_refused(trap, chaired):
    chair = Speaker.objects.get(interview=chaired, label="Chair")
    from casestudies.services import assign_speaker

    with pytest.raises(ValidationError, match="not on this interview’s record"):
        assign_speaker(
            speaker=chair, kind="participant", participant=trap.participants["priya"], assigned_by=None, reason="x"
        )
    chair.refresh_from_db()
    assert chair.kind == ""


def test_who_may_change_a_speaker_and_see_the_page(trap, chaired):
    chair = Speaker.objects.get(interview=chaired, label="Chair")
    url = f"/interviews/{chaired.pk}/speakers/"
    form = {"speaker": chair.pk, "who": "interviewer", "reason": "Because"}
    assert _client(trap.users["researcher"]).post(url, form).status_code == 403
    assert _client(trap.users["outsider"]).get(url).status_code == 404
    other = Speaker.objects.get(interview=trap.interviews["consortium"], label="Priya")
    assert _client(trap.users["lead"]).post(url, {**form, "speaker": other.pk}).status_code == 404
    for bad in ("x", "²", "9" * 30, ""):
        assert _client(trap.users["lead"]).post(url, {**form, "speaker": bad}).status_code == 404
    chair.refresh_from_db()
    assert chair.kind == ""
    assert _client(trap.users["case_lead"]).post(url, form).status_code == 302


def test_the_speakers_page_takes_the_same_queries_however_many_labels(trap, chaired):
    client = _client(trap.users["lead"])
    url = f"/interviews/{chaired.pk}/speakers/"

    def grow():
        chaired.transcript += "".join(f"\n\nSpeaker {n}: Words {n}." for n in range(5))
        save_interview(interview=chaired)
        for speaker in Speaker.objects.filter(interview=chaired, label__startswith="Speaker"):
            from casestudies.services import assign_speaker

            assign_speaker(speaker=speaker, kind="interviewer", participant=None, assigned_by=None, reason="Team")

    Speaker.objects.filter(interview=chaired, label="Chair").update(kind="interviewer")
    assert_flat(lambda: client.get(url), grow, expected=10)


# ------------------------------------------------------------------ anonymised organisations' other names


def test_an_anonymised_organisations_other_names_are_replaced_in_quoted_text(trap, client):
    from casestudies.models import Organisation
    from disclosure.redaction import redactor_for

    northgate = Organisation.objects.get(project=trap.project, name="Northgate Homes")
    northgate.other_names = "Northgate\nNGH\n\nN\n"
    northgate.save()
    redactor = redactor_for(trap.project)
    assert redactor.redact("Northgate Homes, Northgate and NGH (N) merged.") == (
        "[a housing association], [a housing association] and [a housing association] (N) merged."
    )
    one = trap.interviews["one"]
    text = one.transcript.replace("Ruth: Northgate Homes had", "Ruth: NGH had")
    corrections.apply(interview=one, new_text=text, user=trap.users["lead"], expected_old=one.transcript)
    client.force_login(trap.users["lead"])
    export = client.get(reverse("analysis:excerpts", args=[trap.project.slug]), {"format": "csv"})
    assert export.status_code == 200, export.status_code
    body = export.content.decode("utf-8-sig")
    assert "[a housing association] had talked to" in body and "NGH" not in body
