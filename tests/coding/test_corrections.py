"""Correcting and redacting a coded transcript: what happens to each excerpt, and the record kept."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coding import corrections
from coding.models import Excerpt, TranscriptCorrection
from disclosure.access import get_editable_interview_for
from tests.factories import make_case_study, make_code, make_excerpt, make_interview, make_lead, make_researcher

TEXT = (
    "Interviewer: Who chaired it?\n\nRuth: John Smith 😀 chaired it, and the council agreed.\n\nRuth: Later it folded."
)


def span(text, phrase):
    start = text.index(phrase)
    return start, start + len(phrase)


@pytest.fixture
def setting(db):
    case_study = make_case_study()
    interview = make_interview(case_study, transcript=TEXT)
    lead = make_lead(case_study.project)
    code = make_code(case_study.project, name="Governance")
    untouched = make_excerpt(
        interview, start=span(TEXT, "the council agreed")[0], end=span(TEXT, "the council agreed")[1]
    )
    named = make_excerpt(
        interview,
        start=span(TEXT, "John Smith 😀 chaired")[0],
        end=span(TEXT, "John Smith 😀 chaired")[1],
        codes=[code],
    )
    folded = make_excerpt(
        interview, start=span(TEXT, "Later it folded.")[0], end=span(TEXT, "Later it folded.")[1], codes=[code]
    )
    return interview, lead, untouched, named, folded


def test_a_correction_keeps_reanchors_and_removes_and_records_it(setting):
    interview, lead, untouched, named, folded = setting
    new = TEXT.replace("John Smith", "Jon Smyth").replace("\n\nRuth: Later it folded.", "")
    new = "Recorded in March.\n" + new
    preview = corrections.preview(interview, new)
    assert [e.pk for e, _ in preview.kept] == [untouched.pk]
    assert [e.pk for e, _ in preview.changed] == [named.pk]
    assert [e.pk for e, _ in preview.removed] == [folded.pk]
    record = corrections.apply(interview=interview, new_text=new, user=lead, expected_old=TEXT)
    interview.refresh_from_db()
    assert interview.transcript == new
    untouched.refresh_from_db()
    assert untouched.text == "the council agreed" == new[untouched.start : untouched.end]
    assert (untouched.needs_review, untouched.version) == (False, 2)
    named.refresh_from_db()
    assert named.needs_review and named.version == 2
    assert named.text == new[named.start : named.end] == "Jon Smyth 😀 chaired"
    assert not Excerpt.objects.filter(pk=folded.pk).exists()
    assert (record.kept, record.needing_review, record.removed, record.made_by) == (1, 1, 1, lead)
    assert record.removed_excerpts[0]["text"] == "Later it folded."
    assert record.removed_excerpts[0]["codes"] == ["Governance"]
    assert record.removed_excerpts[0]["coder"] == folded.coded_by.username


def test_a_redaction_of_every_occurrence(setting):
    interview, lead, untouched, named, _folded = setting
    new = corrections.redacted_text(interview.transcript, phrase="John Smith", replacement="chief executive")
    corrections.apply(interview=interview, new_text=new, user=lead, expected_old=TEXT, kind="redaction")
    interview.refresh_from_db()
    assert "John Smith" not in interview.transcript and "[chief executive] 😀 chaired" in interview.transcript
    named.refresh_from_db()
    assert named.text == "[chief executive] 😀 chaired" and named.needs_review
    untouched.refresh_from_db()
    assert not untouched.needs_review
    assert TranscriptCorrection.objects.get().kind == "redaction"


def test_a_redaction_of_one_occurrence_checks_the_selection(setting):
    interview, *_ = setting
    start = interview.transcript.index("council")
    assert "[body]" in corrections.redacted_text(
        interview.transcript, phrase="council", replacement="[body]", start=start
    )
    with pytest.raises(ValidationError, match="no longer at that place"):
        corrections.redacted_text(interview.transcript, phrase="council", replacement="body", start=start + 1)
    with pytest.raises(ValidationError, match="what to put in its place"):
        corrections.redacted_text(interview.transcript, phrase="council", replacement=" [] ")


def test_a_stale_preview_or_bad_text_writes_nothing(setting):
    interview, lead, untouched, named, folded = setting
    with pytest.raises(corrections.TranscriptChanged, match="preview again"):
        corrections.apply(interview=interview, new_text=TEXT + " more", user=lead, expected_old=TEXT + "x")
    with pytest.raises(ValidationError, match="NUL"):
        corrections.apply(interview=interview, new_text="a\x00b", user=lead, expected_old=TEXT)
    with pytest.raises(ValidationError, match="empty"):
        corrections.apply(interview=interview, new_text="\n\n", user=lead, expected_old=TEXT)
    interview.refresh_from_db()
    assert interview.transcript == TEXT
    assert not TranscriptCorrection.objects.exists()
    assert Excerpt.objects.filter(interview=interview, version=1, needs_review=False).count() == 3


def test_only_leads_may_correct(setting):
    interview, lead, *_ = setting
    researcher = make_researcher(interview.project, interview.case_study)
    assert get_editable_interview_for(lead, interview.pk) == interview
    with pytest.raises(PermissionDenied):
        get_editable_interview_for(researcher, interview.pk)


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_the_correction_page_previews_then_applies(setting):
    interview, lead, untouched, named, folded = setting
    client = client_for(lead)
    page = client.get(f"/interviews/{interview.pk}/correct/")
    assert page.status_code == 200 and "John Smith 😀 chaired it" in page.content.decode()
    new = TEXT.replace("John Smith", "<b>Jon</b>").replace("\n\nRuth: Later it folded.", "")
    preview = client.post(f"/interviews/{interview.pk}/correct/", {"transcript": new, "action": "preview"})
    body = preview.content.decode()
    assert "<strong>1</strong> kept, <strong>1</strong> needing review, <strong>1</strong> removed." in body
    assert "&lt;b&gt;Jon&lt;/b&gt; 😀 chaired" in body and "<b>Jon</b>" not in body
    assert "Later it folded." in body
    interview.refresh_from_db()
    assert interview.transcript == TEXT  # a preview writes nothing
    fingerprint = preview.context["fingerprint"]
    done = client.post(
        f"/interviews/{interview.pk}/correct/", {"transcript": new, "action": "apply", "fingerprint": fingerprint}
    )
    assert done.status_code == 302 and done["Location"] == f"/interviews/{interview.pk}/review/"
    interview.refresh_from_db()
    assert interview.transcript == new
    review = client.get(f"/interviews/{interview.pk}/review/").content.decode()
    assert "&lt;b&gt;Jon&lt;/b&gt; 😀 chaired" in review
    assert "Removed: “Later it folded.” (Governance; coded by" in review
    api = client.get(f"/api/interviews/{interview.pk}/excerpts").json()
    rows = api["excerpts"] if isinstance(api, dict) else api
    assert {row["id"]: row["needs_review"] for row in rows} == {untouched.pk: False, named.pk: True}
    confirmed = client.post(f"/excerpts/{named.pk}/reviewed/")
    assert confirmed.status_code == 302
    named.refresh_from_db()
    assert not named.needs_review and named.version == 3


def test_the_correction_page_refuses_a_stale_preview_and_bad_text(setting):
    interview, lead, *_ = setting
    client = client_for(lead)
    stale = client.post(
        f"/interviews/{interview.pk}/correct/", {"transcript": TEXT + " x", "action": "apply", "fingerprint": "old"}
    )
    assert "changed by someone else since this preview" in stale.content.decode()
    bad = client.post(f"/interviews/{interview.pk}/correct/", {"transcript": "a\x00b", "action": "preview"})
    assert "NUL" in bad.content.decode()
    interview.refresh_from_db()
    assert interview.transcript == TEXT and not TranscriptCorrection.objects.exists()


def test_a_researcher_can_neither_correct_nor_confirm_others(setting):
    interview, _lead, _untouched, named, _folded = setting
    researcher = make_researcher(interview.project, interview.case_study)
    client = client_for(researcher)
    assert client.get(f"/interviews/{interview.pk}/correct/").status_code == 403
    assert (
        client.post(f"/interviews/{interview.pk}/correct/", {"transcript": "x", "action": "apply"}).status_code == 403
    )
    Excerpt.objects.filter(pk=named.pk).update(needs_review=True)
    assert client.post(f"/excerpts/{named.pk}/reviewed/").status_code == 403
    assert Excerpt.objects.get(pk=named.pk).needs_review
    interview.refresh_from_db()
    assert interview.transcript == TEXT


def test_the_redaction_page_takes_the_selection_previews_and_redacts_everywhere_in_the_project(setting):
    interview, lead, untouched, named, folded = setting
    other = make_interview(interview.case_study, title="Second", transcript="Ruth: I spoke to John Smith later.")
    client = client_for(lead)
    start, end = span(TEXT, "John Smith")
    page = client.get(f"/interviews/{interview.pk}/redact/?start={start}&end={end}").content.decode()
    assert 'value="John Smith"' in page and "Every occurrence in every interview of the project" in page
    form = {"phrase": "John Smith", "replacement": "chair", "scope": "project", "start": start}
    preview = client.post(f"/interviews/{interview.pk}/redact/", {**form, "action": "preview"})
    body = preview.content.decode()
    assert interview.title in body and "Second" in body
    interview.refresh_from_db()
    assert "John Smith" in interview.transcript  # a preview writes nothing
    done = client.post(
        f"/interviews/{interview.pk}/redact/",
        {**form, "action": "apply", "fingerprint": preview.context["fingerprint"]},
    )
    assert done.status_code == 302
    interview.refresh_from_db()
    other.refresh_from_db()
    assert "John Smith" not in interview.transcript and "[chair] 😀 chaired" in interview.transcript
    assert other.transcript == "Ruth: I spoke to [chair] later."
    named.refresh_from_db()
    assert named.text == interview.transcript[named.start : named.end] and named.needs_review
    assert TranscriptCorrection.objects.filter(kind=TranscriptCorrection.Kind.REDACTION).count() == 2
    coding_page = client.get(f"/interviews/{interview.pk}/code/").content.decode()
    assert "John Smith" not in coding_page


@pytest.mark.parametrize(
    "form, message",
    [
        ({"phrase": "John Smith", "replacement": "", "scope": "interview"}, "Say what to put in its place"),
        ({"phrase": "John Smith", "replacement": "[x] y", "scope": "interview"}, "without square brackets"),
        ({"phrase": "Nobody", "replacement": "x", "scope": "interview"}, "does not occur in the transcript"),
        ({"phrase": "John Smith", "replacement": "x", "scope": "here", "start": "3"}, "no longer at that place"),
        ({"phrase": "John Smith", "replacement": "x", "scope": "everywhere"}, "Choose where to redact"),
        ({"phrase": "", "replacement": "x", "scope": "interview"}, "Select the text to redact"),
    ],
)
def test_the_redaction_page_refuses_bad_input_and_writes_nothing(setting, form, message):
    interview, lead, *_ = setting
    response = client_for(lead).post(f"/interviews/{interview.pk}/redact/", {**form, "action": "apply"})
    assert response.status_code == 200 and message in response.content.decode()
    interview.refresh_from_db()
    assert interview.transcript == TEXT and not TranscriptCorrection.objects.exists()


def test_a_redaction_across_the_project_is_for_leads_and_a_redacted_removal_keeps_no_name(setting):
    interview, lead, untouched, named, folded = setting
    researcher = make_researcher(interview.project, interview.case_study)
    refused = client_for(researcher).get(f"/interviews/{interview.pk}/redact/")
    assert refused.status_code == 403
    only_name = make_excerpt(interview, start=span(TEXT, "John Smith")[0], end=span(TEXT, "John Smith")[1])
    redaction = corrections.plan_redaction(
        interview, phrase="John Smith", replacement="chair", scope="interview", start=None
    )
    [record] = corrections.apply_redaction(redaction, user=lead)
    assert "John Smith" not in str(record.removed_excerpts)
    remaining = Excerpt.objects.filter(pk=only_name.pk).first()
    if remaining is None:  # removed: its record keeps the replacement, not the name
        assert "[chair]" in str(record.removed_excerpts)
    else:  # re-anchored to what its words became, and marked for review
        assert remaining.text == "[chair]" and remaining.needs_review
    assert record.kind == TranscriptCorrection.Kind.REDACTION


def test_a_corrected_file_is_read_and_previewed_before_anything_changes(setting):
    from django.core.files.uploadedfile import SimpleUploadedFile

    interview, lead, *_ = setting
    client = client_for(lead)
    corrected = TEXT.replace("John Smith", "Jon Smyth")
    upload = SimpleUploadedFile("corrected.txt", corrected.encode("utf-8"), content_type="text/plain")
    response = client.post(f"/interviews/{interview.pk}/correct/", {"file": upload, "action": "apply"})
    body = response.content.decode()
    assert response.status_code == 200 and "Jon Smyth" in body and "needing review" in body
    interview.refresh_from_db()
    assert interview.transcript == TEXT  # an uploaded file is only previewed
    done = client.post(
        f"/interviews/{interview.pk}/correct/",
        {"transcript": response.context["text"], "action": "apply", "fingerprint": response.context["fingerprint"]},
    )
    assert done.status_code == 302
    interview.refresh_from_db()
    assert "Jon Smyth" in interview.transcript


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("empty.txt", b"", "is empty"),
        ("notes.exe", b"MZ binary", "cannot be imported"),
    ],
)
def test_a_bad_corrected_file_is_refused_with_a_message_and_nothing_changes(setting, name, data, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    interview, lead, *_ = setting
    response = client_for(lead).post(
        f"/interviews/{interview.pk}/correct/", {"file": SimpleUploadedFile(name, data), "action": "preview"}
    )
    assert response.status_code == 200 and message in response.content.decode()
    interview.refresh_from_db()
    assert interview.transcript == TEXT and not TranscriptCorrection.objects.exists()


def test_the_project_review_list_shows_what_the_reader_may_see_at_a_flat_query_count(setting):
    from tests.querycounts import assert_flat

    interview, lead, untouched, named, folded = setting
    project = interview.project
    hidden_case = make_case_study(project, title="Hidden case")
    hidden = make_interview(hidden_case, title="Hidden interview", transcript="Ruth: Secret words here.")
    secret = make_excerpt(hidden, start=6, end=18)
    Excerpt.objects.filter(pk__in=[named.pk, secret.pk]).update(needs_review=True)
    researcher = make_researcher(project, interview.case_study)
    page = client_for(researcher).get(f"/projects/{project.slug}/review/").content.decode()
    assert "John Smith 😀 chaired" in page and "Secret words" not in page and "Hidden interview" not in page
    lead_page = client_for(lead).get(f"/projects/{project.slug}/review/").content.decode()
    assert "Secret words" in lead_page and "Hidden interview" in lead_page

    client = client_for(lead)

    def grow():
        more = make_interview(interview.case_study, title="More", transcript="Ruth: More words to review.")
        for start in (0, 6, 12):
            Excerpt.objects.filter(pk=make_excerpt(more, start=start, end=start + 4).pk).update(needs_review=True)

    assert_flat(lambda: client.get(f"/projects/{project.slug}/review/"), grow, expected=8)


def test_the_review_lists_offer_confirm_only_on_the_excerpts_the_reader_may_confirm(setting):
    """A researcher confirms their own excerpts; the lead's are listed with who confirms them, not with a button that
    ends on a refusal. The lead may confirm every one."""
    interview, lead, untouched, named, folded = setting
    project = interview.project
    researcher = make_researcher(project, interview.case_study)
    own = make_excerpt(interview, start=0, end=4, coded_by=researcher)
    Excerpt.objects.filter(pk__in=[named.pk, own.pk]).update(needs_review=True)
    assert named.coded_by != researcher
    confirm = '<form method="post" action="/excerpts/{}/reviewed/">'
    for path in (f"/projects/{project.slug}/review/", f"/interviews/{interview.pk}/review/"):
        page = client_for(researcher).get(path).content.decode()
        assert confirm.format(own.pk) in page and confirm.format(named.pk) not in page
        assert page.count("Its coder or a project lead confirms it.") == 1
        lead_page = client_for(lead).get(path).content.decode()
        assert confirm.format(own.pk) in lead_page and confirm.format(named.pk) in lead_page
        assert "Its coder or a project lead confirms it." not in lead_page
    # The refusal, where it is still reached (an old tab), leads somewhere.
    refused = client_for(researcher).post(f"/excerpts/{named.pk}/reviewed/")
    assert refused.status_code == 403 and 'href="/">Back to your projects</a>' in refused.content.decode()


def test_a_correction_moves_untouched_excerpts_with_a_row_of_history_each(setting):
    interview, lead, untouched, named, folded = setting
    new = "Preface.\n\n" + TEXT
    corrections.apply(interview=interview, new_text=new, user=lead, expected_old=TEXT)
    for excerpt in (untouched, named, folded):
        old_start = excerpt.start
        excerpt.refresh_from_db()
        assert (excerpt.start, excerpt.version, excerpt.needs_review) == (old_start + 10, 2, False)
        assert new[excerpt.start : excerpt.end] == excerpt.text
        latest = excerpt.history.latest()
        assert (latest.history_type, latest.start, latest.version, latest.history_user) == ("~", excerpt.start, 2, lead)
