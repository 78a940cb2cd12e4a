"""History pages, the Activity page and restore through the pages: what each reader sees, and who writes."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis.services import code_search_hits
from casestudies.models import Interview, Participant
from coding import corrections
from coding import services as coding
from coding.models import Code, Excerpt, ExcerptCode
from exchange.importing import import_project
from history.models import ActivityVisit
from tests.factories import (
    make_admin,
    make_case_study,
    make_code,
    make_interview,
    make_lead,
    make_participant,
    make_project,
    make_researcher,
)
from tests.querycounts import assert_flat

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    project = make_project(slug="p")
    shared, hidden = make_case_study(project, title="Shared"), make_case_study(project, title="Hidden")
    lead = make_lead(project, username="lead", first_name="Lena", last_name="Lead")
    coder = make_researcher(project, shared, username="coder", first_name="Cora", last_name="Coder")
    other = make_researcher(project, shared, username="other", first_name="Otto", last_name="Other")
    interview = make_interview(shared, title="Main")
    secret = make_interview(hidden, title="Secret", transcript="Ruth: The secret words of the hidden case.")
    trust, money = make_code(project, name="Trust"), make_code(project, name="Money")
    return {
        "project": project,
        "shared": shared,
        "hidden": hidden,
        "lead": lead,
        "coder": coder,
        "other": other,
        "interview": interview,
        "secret": secret,
        "trust": trust,
        "money": money,
    }


def history_url(kind, pk):
    return reverse("history:record", args=[kind, pk])


def api(client, method, url, body=None):
    return getattr(client, method)(
        url, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


def test_the_api_writes_history_and_the_excerpt_page_shows_codes_by_name(client, world):
    client.force_login(world["coder"])
    url = reverse("coding:api_interview_excerpts", args=[world["interview"].pk])
    made = api(client, "post", url, {"start": 0, "end": 11, "code_ids": [world["trust"].pk]}).json()
    detail = reverse("coding:api_excerpt", args=[made["id"]])
    assert api(client, "patch", detail, {"memo": "Sounds wary", "code_ids": [world["money"].pk]}).status_code == 200

    rows = list(Excerpt.history.filter(id=made["id"]).order_by("history_date"))
    assert [(row.history_type, row.history_user) for row in rows] == [("+", world["coder"]), ("~", world["coder"])]
    page = client.get(history_url("excerpt", made["id"])).content.decode()
    assert "Cora Coder" in page
    assert "Sounds wary" in page
    assert "Code added" in page and "Code removed" in page
    assert "Trust" in page and "Money" in page
    assert f"#{world['trust'].pk}" not in page

    assert api(client, "delete", detail).status_code == 204
    removed = ExcerptCode.history.filter(excerpt_id=made["id"], history_type="-", code_id=world["money"].pk).get()
    assert removed.history_user == world["coder"]


def test_a_page_edit_and_the_admin_record_who_changed_a_code(client, world):
    client.force_login(world["lead"])
    response = client.post(
        reverse("coding:code_edit", args=[world["trust"].pk]),
        {"name": "Trust and distrust", "definition": "", "colour": "#1f77b4", "is_codable": "on", "order": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    last = Code.history.filter(id=world["trust"].pk).latest("history_date")
    assert (last.name, last.history_user) == ("Trust and distrust", world["lead"])
    page = client.get(history_url("code", world["trust"].pk)).content.decode()
    assert "Trust and distrust" in page and "Lena Lead" in page

    admin = make_admin(username="root")
    client.force_login(admin)
    response = client.post(
        reverse("admin:coding_code_change", args=[world["money"].pk]),
        {
            "project": world["project"].pk,
            "name": "Money matters",
            "definition": "",
            "colour": "#ff7f0e",
            "order": 0,
            "is_codable": "on",
            "tags": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    last = Code.history.filter(id=world["money"].pk).latest("history_date")
    assert (last.name, last.history_user) == ("Money matters", admin)


def test_search_and_code_records_history_for_each_excerpt_made(world):
    from analysis.search import search_transcripts

    results = search_transcripts(world["coder"], world["project"], "phone")
    hits = list(results.hits())
    assert hits
    code_search_hits(hits=hits, extent="sentence", code=world["trust"], coded_by=world["coder"])

    made = Excerpt.objects.get(interview=world["interview"])
    assert [(r.history_type, r.history_user) for r in Excerpt.history.filter(id=made.pk)] == [("+", world["coder"])]
    links = ExcerptCode.history.filter(excerpt_id=made.pk)
    assert [(r.code_id, r.history_type, r.history_user) for r in links] == [(world["trust"].pk, "+", world["coder"])]


def test_the_refi_qda_import_records_history_of_every_excerpt_and_memo(world):
    from tests.exchange import fixtures as f

    project = make_project(title="Imported")
    lead = make_lead(project, username="ruth", first_name="Ruth", last_name="Ellis")
    import_project(project=project, upload=f.nvivo_like_qdpx(), file_name="riverside.qdpx", imported_by=lead)

    excerpts = Excerpt.objects.filter(interview__project=project)
    assert excerpts.count() > 0
    recorded = Excerpt.history.filter(id__in=excerpts.values("pk"), history_type="+")
    assert recorded.count() == excerpts.count()
    assert set(recorded.values_list("history_user", flat=True)) == {lead.pk}
    links = ExcerptCode.objects.filter(excerpt__in=excerpts)
    assert ExcerptCode.history.filter(id__in=links.values("pk"), history_type="+").count() == links.count()
    assert Interview.history.filter(project=project).exists()


def test_blind_coding_hides_other_coders_excerpt_history(client, world):
    Interview.objects.filter(pk=world["interview"].pk).update(is_blind_coding=True)
    theirs = coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["other"], memo="Otto's"
    )
    mine = coding.create_excerpt(interview=world["interview"], start=13, end=20, coded_by=world["coder"])
    client.force_login(world["coder"])

    assert client.get(history_url("excerpt", theirs.pk)).status_code == 404
    assert client.get(history_url("excerpt", mine.pk)).status_code == 200
    activity = rows_of(client.get(reverse("history:activity", args=["p"])).content.decode())
    assert "Otto" not in activity and theirs.text not in activity.replace(mine.text, "")
    client.force_login(world["lead"])
    assert client.get(history_url("excerpt", theirs.pk)).status_code == 200


def test_a_researcher_sees_no_history_of_a_case_study_outside_their_reach(client, world):
    hidden = coding.create_excerpt(interview=world["secret"], start=0, end=10, coded_by=world["lead"])
    participant = make_participant(world["project"], pseudonym="Hidden person")
    world["secret"].participants.add(participant)
    client.force_login(world["coder"])

    for kind, pk in (("excerpt", hidden.pk), ("interview", world["secret"].pk), ("participant", participant.pk)):
        assert client.get(history_url(kind, pk)).status_code == 404
    activity = client.get(reverse("history:activity", args=["p"])).content.decode()
    assert "secret words" not in activity and "Hidden person" not in activity and "Secret" not in activity


def test_a_participant_history_shows_the_consent_reason_and_hides_the_real_name(client, world):
    participant = make_participant(world["project"], pseudonym="Ruth", real_name="Ruth Realname")
    world["interview"].participants.add(participant)
    client.force_login(world["lead"])
    edit = reverse("casestudies:participant_edit", args=[participant.pk])
    form = {"pseudonym": "Ruth", "role_title": "Chief executive", "anonymity": "pseudonym"}

    refused = client.post(edit, form)
    assert "Say why consent to be quoted changed" in refused.content.decode()
    assert Participant.objects.get(pk=participant.pk).consent_to_quote is True

    assert client.post(edit, {**form, "consent_change_reason": "Withdrew by email on 3 May"}).status_code == 302
    assert Participant.objects.get(pk=participant.pk).consent_to_quote is False
    last = Participant.history.filter(id=participant.pk).latest("history_date")
    assert last.history_change_reason == "Consent to be quoted withdrawn: Withdrew by email on 3 May"
    for reader in (world["lead"], world["coder"]):
        client.force_login(reader)
        page = client.get(history_url("participant", participant.pk)).content.decode()
        assert "Withdrew by email on 3 May" in page
        assert "Realname" not in page
    client.force_login(make_admin())
    assert "Ruth Realname" in client.get(history_url("participant", participant.pk)).content.decode()


def test_a_long_transcript_change_is_shown_as_a_compact_diff(client, world):
    lines = [f"Line {n}: something was said here about the partnership." for n in range(2000)]
    interview = make_interview(world["shared"], title="Long", transcript="\n".join(lines))
    lines[1000] = "Line 1000: a corrected hearing of the name."
    interview.transcript = "\n".join(lines)
    interview.save()
    client.force_login(make_admin())

    page = client.get(history_url("interview", interview.pk)).content.decode()

    assert "a corrected hearing of the name" in page
    assert "Line 999:" in page and "Line 1001:" in page
    assert "Line 500:" not in page
    assert len(page) < 60_000
    # Earlier versions of a transcript (what a redaction removed) are for admins only.
    client.force_login(world["lead"])
    page = client.get(history_url("interview", interview.pk)).content.decode()
    assert "Line 1000: something was said" not in page and "a corrected hearing" not in page


def rows_of(page: str) -> str:
    """The Activity table's rows, without the filter form (which lists everyone)."""
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""


def test_the_activity_page_filters_remembers_what_was_marked_seen_and_stays_flat(client, world):
    client.force_login(world["lead"])
    url = reverse("history:activity", args=["p"])
    coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["coder"], codes=[world["trust"]]
    )
    page = client.get(url)
    first = rows_of(page.content.decode())
    assert "Interviewer" in first and "Cora Coder" in first
    assert "You have not marked this project’s activity as seen yet." in page.content.decode()
    # Reading the page writes nothing; marking it seen is a POST, up to when the page was shown.
    assert not ActivityVisit.objects.filter(project=world["project"], user=world["lead"]).exists()
    shown_at = page.context["shown_at"]
    coding.create_excerpt(interview=world["interview"], start=13, end=20, coded_by=world["other"])
    seen = reverse("history:activity_seen", args=["p"])
    assert client.get(seen).status_code == 405
    response = client.post(seen, {"shown_at": shown_at}, follow=True)
    assert "Marked everything shown as seen." in response.content.decode()
    assert "You last marked this activity as seen on" in response.content.decode()
    since = rows_of(client.get(url, {"since": "last"}).content.decode())
    assert "Otto Other" in since and "Cora Coder" not in since

    client.post(seen, {"shown_at": "not a time"})
    assert "No changes since you marked them seen" in client.get(url, {"since": "last"}).content.decode()
    visit = ActivityVisit.objects.get(project=world["project"], user=world["lead"])
    client.post(seen, {"shown_at": "2999-01-01T00:00:00+00:00"})
    visit_after = ActivityVisit.objects.get(pk=visit.pk)
    assert visit.seen_at <= visit_after.seen_at <= timezone.now()

    by_person = rows_of(client.get(url, {"person": world["coder"].pk, "kind": "excerpt"}).content.decode())
    assert "Cora Coder" in by_person and "Otto Other" not in by_person
    in_hidden = client.get(url, {"case_study": world["hidden"].pk, "kind": "excerpt"}).content.decode()
    assert rows_of(in_hidden) == "" and "No changes to show" in in_hidden

    def grow():
        for start in range(21, 40, 2):
            coding.create_excerpt(
                interview=world["interview"],
                start=start,
                end=start + 1,
                coded_by=world["coder"],
                codes=[world["money"]],
            )
        make_participant(world["project"])

    # Session, user, project, case studies, people, last visit, one query per kind (nine), the excerpts' texts as
    # they are now (a lead is not an admin), the role beside the name; nothing written.
    assert_flat(lambda: client.get(url), grow, expected=17)


def test_an_excerpt_history_page_takes_the_same_queries_however_long_its_history(client, world):
    excerpt = coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["coder"], codes=[world["trust"]]
    )
    client.force_login(world["lead"])
    url = history_url("excerpt", excerpt.pk)

    def grow():
        for n in range(5):
            codes = [world["trust"]] if n % 2 else [world["money"]]
            coding.update_excerpt(excerpt=excerpt, changed_by=world["coder"], memo=f"Memo {n}", codes=codes)

    before = client.get(url)
    assert before.status_code == 200
    from tests.querycounts import queries_of

    expected = queries_of(lambda: client.get(url))
    assert_flat(lambda: client.get(url), grow, expected=expected)


def test_a_lead_restores_a_deleted_excerpt_from_its_history_page_and_a_researcher_cannot(client, world):
    excerpt = coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["coder"], codes=[world["trust"]], memo="Keep me"
    )
    pk = excerpt.pk
    coding.delete_excerpt(excerpt=excerpt, deleted_by=world["coder"])
    restore = reverse("history:restore", args=["excerpt", pk])

    client.force_login(world["coder"])
    assert "Restore this excerpt" not in client.get(history_url("excerpt", pk)).content.decode()
    assert client.post(restore).status_code == 403
    assert not Excerpt.objects.filter(pk=pk).exists()

    client.force_login(world["lead"])
    assert "Restore this excerpt" in client.get(history_url("excerpt", pk)).content.decode()
    page = client.get(client.post(restore)["Location"]).content.decode()
    assert "Restored the excerpt" in page
    assert list(Excerpt.objects.get(pk=pk).codes.all()) == [world["trust"]]
    again = client.get(client.post(restore)["Location"]).content.decode()
    assert "This excerpt has not been deleted." in again


def test_a_merge_is_undone_from_the_merged_code_history_page(client, world):
    excerpt = coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["coder"], codes=[world["money"]]
    )
    client.force_login(world["lead"])
    client.post(reverse("coding:code_merge", args=[world["money"].pk]), {"target": world["trust"].pk})
    assert list(excerpt.codes.all()) == [world["trust"]]

    page = client.get(history_url("code", world["money"].pk)).content.decode()
    assert "Undo the merge into “Trust”" in page
    from history.models import CodeMerge

    merge = CodeMerge.objects.get()
    response = client.post(reverse("history:undo_merge", args=[merge.pk]))
    assert response.status_code == 302
    assert list(excerpt.codes.all()) == [Code.objects.get(name="Money")]


def test_an_excerpts_earlier_text_is_for_admins_only(client, world):
    excerpt = coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["coder"], codes=[world["trust"]]
    )
    Excerpt.objects.filter(pk=excerpt.pk).update(text="before")
    excerpt.refresh_from_db()
    excerpt.text = "Whisperedname said so"
    excerpt.save()
    excerpt.text = "[chair] said so"
    excerpt.save()
    client.force_login(world["coder"])
    assert "Whisperedname" not in client.get(history_url("excerpt", excerpt.pk)).content.decode()
    client.force_login(make_admin())
    assert "Whisperedname" in client.get(history_url("excerpt", excerpt.pk)).content.decode()


def test_the_activity_page_shows_others_than_admins_no_words_a_redaction_removed(client, world):
    interview = world["interview"]
    excerpt = coding.create_excerpt(interview=interview, start=0, end=30, coded_by=world["coder"])
    phrase = interview.transcript[13:24]
    redaction = corrections.plan_redaction(
        interview, phrase=phrase, replacement="question", scope="interview", start=None
    )
    corrections.apply_redaction(redaction, user=world["lead"])
    excerpt.refresh_from_db()
    assert phrase not in excerpt.text and "[question]" in excerpt.text
    url = reverse("history:activity", args=["p"])
    for reader in ("lead", "coder"):
        client.force_login(world[reader])
        page = rows_of(client.get(url).content.decode())
        assert phrase not in page and f"“{excerpt.text[:80]}”" in page
    Excerpt.objects.filter(pk=excerpt.pk).delete()
    page = rows_of(client.get(url).content.decode())
    assert phrase not in page and f"excerpt {excerpt.pk} (deleted)" in page
    client.force_login(make_admin())
    assert phrase in rows_of(client.get(url).content.decode())
