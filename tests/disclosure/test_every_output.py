"""One test for every output: each page, API endpoint, download, paper preview, build and exchange file is produced
for every role over the trap project (see conftest.py), and the same policy is checked on all of them.

- Reach: nobody outside case B meets its words, title, participants or saved query; blind coding holds.
- Real names: nowhere but on admins' pages; and never in what leaves the app.
- What leaves the app (downloads, the paper's preview and builds) quotes no words that may not be quoted, and
  names no anonymised organisation.

Every route of the site must have a recipe here: `test_every_route_has_a_recipe` fails on one it does not know,
so that a new output cannot be added without being checked.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from casestudies.models import TranscriptImport
from coding import corrections
from coding.models import Excerpt
from disclosure.access import withdrawn_builds
from exchange.models import ImportJob
from reports import services as paper_services
from reports.models import PaperBuild

from .conftest import (
    ANONYMISED_ORGANISATION,
    BLIND_MEMO,
    CASE_B_TITLE,
    CASE_B_WORDS,
    JO_WORDS,
    NEVER_TYPED,
    NORECORD_WORDS,
    REAL_NAMES,
    SAVED_QUERY,
)

pytestmark = pytest.mark.django_db

PAGE, OUTPUT, TRANSFER = "page", "leaves the app", "transfer between the team's tools"
ROLES = ["admin", "lead", "case_lead", "researcher", "outsider"]
OUTSIDE_CASE_B = {"case_lead", "researcher", "outsider"}
MATRIX_KINDS = ["codes-by-case-study", "codes-by-sector", "codes-by-kind", "codes-by-coder", "questions-by-case-study"]


def url(name: str, *args, **query) -> str:
    return reverse(name, args=args) + (f"?{urlencode(query, doseq=True)}" if query else "")


def each(values, make):
    return [make(value) for value in values]


def recipes(trap) -> dict[str, list[tuple[str, str]]]:
    """Every named route with the (category, address) requests that exercise it over the trap."""
    slug = trap.project.slug
    a, b = trap.case_a, trap.case_b
    interviews = list(trap.interviews.values())
    excerpts = list(trap.excerpts.values())
    participants = list(trap.participants.values())
    papers = list(trap.papers.values())
    code, question = trap.code.pk, trap.question.pk
    group = trap.question.group_id
    coders = {"coder_a": trap.users["lead"].pk, "coder_b": trap.users["coder"].pk}
    pair = {"a": code, "b": code, "relation": "overlap"}
    query = {"code_a": code, "code_b": code, "operator": "or"}
    page = lambda *pairs: [(PAGE, address) for address in pairs]  # noqa: E731
    out = lambda *pairs: [(OUTPUT, address) for address in pairs]  # noqa: E731
    builds = list(PaperBuild.objects.filter(paper__project=trap.project))
    jobs = list(ImportJob.objects.filter(project=trap.project))
    transcript_jobs = list(TranscriptImport.objects.filter(interview__project=trap.project))
    return {
        "login": page(url("login")),
        "logout": page(url("logout")),
        "healthz": page(url("healthz")),
        "casestudies:dashboard": page(url("casestudies:dashboard")),
        "casestudies:project": page(url("casestudies:project", slug)),
        "casestudies:case_study_list": page(url("casestudies:case_study_list", slug)),
        "casestudies:case_study_create": page(url("casestudies:case_study_create", slug)),
        "casestudies:case_study": page(*(url("casestudies:case_study", slug, cs.slug) for cs in (a, b))),
        "casestudies:case_study_edit": page(*(url("casestudies:case_study_edit", slug, cs.slug) for cs in (a, b))),
        "casestudies:interview_create": page(url("casestudies:interview_create", slug)),
        "casestudies:participant_list": page(url("casestudies:participant_list", slug)),
        "casestudies:participant_create": page(url("casestudies:participant_create", slug)),
        "casestudies:interview": page(*each(interviews, lambda i: url("casestudies:interview", i.pk))),
        "casestudies:interview_speakers": page(
            *each(interviews, lambda i: url("casestudies:interview_speakers", i.pk))
        ),
        "casestudies:interview_edit": page(*each(interviews, lambda i: url("casestudies:interview_edit", i.pk))),
        "casestudies:interview_import": page(*each(interviews, lambda i: url("casestudies:interview_import", i.pk))),
        "casestudies:transcript_import": page(*each(transcript_jobs, lambda job: job.get_absolute_url())),
        "casestudies:participant": page(*each(participants, lambda p: url("casestudies:participant", p.pk))),
        "casestudies:participant_edit": page(*each(participants, lambda p: url("casestudies:participant_edit", p.pk))),
        "coding:codebook": page(url("coding:codebook", slug)),
        "coding:code_create": page(url("coding:code_create", slug)),
        "coding:key_quotes": page(url("coding:key_quotes", slug)),
        "coding:code": page(url("coding:code", code)),
        "coding:code_edit": page(url("coding:code_edit", code)),
        "coding:code_merge": page(url("coding:code_merge", code)),
        "coding:code_archive": page(url("coding:code_archive", code)),
        "coding:code_delete": page(url("coding:code_delete", code)),
        "coding:interview": page(*each(interviews, lambda i: url("coding:interview", i.pk))),
        "coding:interview_document": out(
            *(url("coding:interview_document", i.pk, format=f) for i in interviews for f in ("html", "docx"))
        ),
        "coding:transcript_correct": page(*each(interviews, lambda i: url("coding:transcript_correct", i.pk))),
        "coding:transcript_redact": page(
            *each(interviews, lambda i: url("coding:transcript_redact", i.pk, start=0, end=5))
        ),
        "coding:project_review": page(url("coding:project_review", slug)),
        "coding:transcript_review": page(*each(interviews, lambda i: url("coding:transcript_review", i.pk))),
        "coding:excerpt_reviewed": page(*each(excerpts, lambda e: url("coding:excerpt_reviewed", e.pk))),
        "coding:api_interview_excerpts": page(
            *each(interviews, lambda i: url("coding:api_interview_excerpts", i.pk)),
            # What changed since the start, as a page under blind coding (1) and one outside it (0) would ask.
            *(
                url("coding:api_interview_excerpts", i.pk, since=f"{hides}.0.0.0.0.0.0.none.0")
                for i in interviews
                for hides in (0, 1)
            ),
        ),
        "coding:api_interview_presence": page(*each(interviews, lambda i: url("coding:api_interview_presence", i.pk))),
        "coding:api_excerpt": page(*each(excerpts, lambda e: url("coding:api_excerpt", e.pk))),
        "coding:api_codes": page(url("coding:api_codes", slug)),
        "coding:api_openapi": page(url("coding:api_openapi")),
        "analysis:index": page(url("analysis:index", slug)),
        "analysis:matrix": page(*(url("analysis:matrix", slug, kind) for kind in MATRIX_KINDS))
        + out(*(url("analysis:matrix", slug, kind, format=f) for kind in MATRIX_KINDS for f in ("csv", "xlsx"))),
        "analysis:codebook_export": out(
            *(url("analysis:codebook_export", slug, format=f) for f in ("html", "csv", "xlsx"))
        ),
        "analysis:excerpts": page(url("analysis:excerpts", slug))
        + out(*(url("analysis:excerpts", slug, format=f) for f in ("csv", "xlsx", "html"))),
        "analysis:framework": page(url("analysis:framework", slug, group=group))
        + out(url("analysis:framework", slug, group=group, format="xlsx")),
        "analysis:framework_cell": page(*(url("analysis:framework_cell", slug, cs.pk, question) for cs in (a, b))),
        "analysis:framework_edit": page(*(url("analysis:framework_edit", slug, cs.pk, question) for cs in (a, b))),
        "analysis:framework_excerpts": page(
            *(url("analysis:framework_excerpts", slug, cs.pk, question) for cs in (a, b))
        ),
        "analysis:cooccurrence": page(url("analysis:cooccurrence", slug))
        + out(*(url("analysis:cooccurrence", slug, format=f) for f in ("csv", "xlsx"))),
        "analysis:cooccurrence_pairs": page(url("analysis:cooccurrence_pairs", slug, **pair)),
        "analysis:queries": page(url("analysis:queries", slug), url("analysis:queries", slug, **query))
        + out(*(url("analysis:queries", slug, **query, format=f) for f in ("csv", "xlsx"))),
        "analysis:query_save": page(url("analysis:query_save", slug)),
        "analysis:query_delete": page(url("analysis:query_delete", slug, trap.saved_query.pk)),
        "analysis:search": page(url("analysis:search", slug, q="trust")),
        "analysis:search_code": page(url("analysis:search_code", slug)),
        "analysis:agreement": page(url("analysis:agreement", slug, **coders))
        + out(*(url("analysis:agreement", slug, **coders, format=f) for f in ("csv", "xlsx"))),
        "analysis:disagreements": page(
            *each(interviews, lambda i: url("analysis:disagreements", slug, **coders, interview=i.pk, everything="on"))
        ),
        "analysis:blind_coding": page(url("analysis:blind_coding", slug)),
        "analysis:blind_coding_change": page(
            url("analysis:blind_coding_change", slug, trap.interviews["blind"].pk, "reveal")
        ),
        "reports:paper_list": page(url("reports:paper_list", slug)),
        "reports:paper_create": page(url("reports:paper_create", slug)),
        "reports:paper": page(*each(papers, lambda p: url("reports:paper", p.pk))),
        "reports:paper_edit": page(*each(papers, lambda p: url("reports:paper_edit", p.pk))),
        "reports:paper_narratives": page(*each(papers, lambda p: url("reports:paper_narratives", p.pk))),
        "reports:paper_preview": out(*each(papers, lambda p: url("reports:paper_preview", p.pk))),
        "reports:paper_quotations": out(
            *each(papers, lambda p: url("reports:paper_quotations", p.pk, question=question))
        ),
        "reports:paper_quotation_choice": page(*each(papers, lambda p: url("reports:paper_quotation_choice", p.pk))),
        "reports:paper_builds": page(*each(papers, lambda p: url("reports:paper_builds", p.pk))),
        "reports:build_retry": page(*each(builds, lambda build: url("reports:build_retry", build.pk))),
        "reports:build_download": out(*each(builds, lambda build: url("reports:build_download", build.pk))),
        "exchange:exchange": page(url("exchange:exchange", slug)),
        "exchange:export_qdpx": [(TRANSFER, url("exchange:export_qdpx", slug))],
        "exchange:export_qdc": [(TRANSFER, url("exchange:export_qdc", slug))],
        "exchange:import": page(url("exchange:import", slug)),
        "exchange:job": page(*each(jobs, lambda job: url("exchange:job", slug, job.pk))),
        "password_change": page(url("password_change")),
        "password_change_done": page(url("password_change_done")),
        "password_reset": page(url("password_reset")),
        "password_reset_done": page(url("password_reset_done")),
        "password_reset_confirm": page(url("password_reset_confirm", "MQ", "set-password")),
        "password_reset_complete": page(url("password_reset_complete")),
        "accounts:profile": page(url("accounts:profile")),
        "accounts:members": page(url("accounts:members", slug)),
        "accounts:invite": page(url("accounts:invite", slug)),
        "accounts:change_role": page(url("accounts:change_role", slug, trap.users["coder"].pk)),
        "accounts:remove_member": page(url("accounts:remove_member", slug, trap.users["coder"].pk)),
        "accounts:accept_invitation": page(url("accounts:accept_invitation", "not-a-token")),
        "accounts:send_invitation_again": page(url("accounts:send_invitation_again", slug, 1)),
        "accounts:revoke_invitation": page(url("accounts:revoke_invitation", slug, 1)),
        "history:activity": page(
            url("history:activity", slug),
            *(url("history:activity", slug, case_study=cs.pk) for cs in (a, b)),
            *(url("history:activity", slug, kind=kind) for kind in ("excerpt", "excerpt_code", "participant", "memo")),
        ),
        "history:activity_seen": page(url("history:activity_seen", slug)),
        "history:record": page(
            *each(excerpts, lambda e: url("history:record", "excerpt", e.pk)),
            *each(interviews, lambda i: url("history:record", "interview", i.pk)),
            *each(participants, lambda p: url("history:record", "participant", p.pk)),
            url("history:record", "code", code),
        ),
        "history:restore": page(*each(excerpts, lambda e: url("history:restore", "excerpt", e.pk))),
        "history:undo_merge": page(url("history:undo_merge", 1)),
    }


# The admin site is for admins (staff) only and shows them everything by design; its routes are Django's own.
NOT_OUTPUTS = {"admin"}


def route_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
                if inner in NOT_OUTPUTS:
                    continue
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_every_route_has_a_recipe(trap):
    known = set(recipes(trap))

    assert route_names() - known == set(), "add the new route to recipes() so that the policy is checked on it"
    assert known - route_names() == set()


# --- Reading any output as text ---------------------------------------------------------------------------------


def text_of(response) -> str:
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(value) for sheet in book for row in sheet.iter_rows(values_only=True) for value in row if value
        )
    if "wordprocessingml" in content_type:
        from docx import Document

        document = Document(io.BytesIO(body))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    if "pdf" in content_type:
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    if "csv" in content_type:
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    text = body.decode("utf-8", "replace")
    return " ".join(re.sub(r"<[^>]+>", " ", text).split()) if "html" in content_type else text


def problems(role: str, category: str, text: str) -> list[str]:
    found = []
    folded = " ".join(text.split())
    if role in OUTSIDE_CASE_B:
        found += [f"out of reach: {w!r}" for w in (CASE_B_WORDS, CASE_B_TITLE, "Priya", SAVED_QUERY) if w in folded]
        if BLIND_MEMO in folded:
            found.append("blind coding broken: another coder's memo")
    if role != "admin" and NEVER_TYPED in folded:
        found.append("a real name recorded for admins only")
    if category == OUTPUT:
        found += [f"unquotable words: {w!r}" for w in (JO_WORDS, NORECORD_WORDS) if w in folded]
        found += [f"real name: {name!r}" for name in REAL_NAMES if name in folded]
        if ANONYMISED_ORGANISATION in folded:
            found.append("an anonymised organisation named")
    return found


@pytest.fixture
def builds(trap, settings, tmp_path, django_capture_on_commit_callbacks):
    """A build of each format of each paper, asked for by the lead, as the paper's page does."""
    settings.MEDIA_ROOT = tmp_path
    made = []
    for paper in trap.papers.values():
        for format in ("pdf", "docx", "html"):
            with django_capture_on_commit_callbacks(execute=True):
                made.append(paper_services.request_build(paper=paper, format=format, requested_by=trap.users["lead"]))
    for build in made:
        build.refresh_from_db()
        assert build.status == PaperBuild.Status.SUCCEEDED, build.error
    return made


def matrix_failures(role, trap, client) -> tuple[list[str], int]:
    """Every output as `role` gets it: what discloses too much, and how many outputs were served."""
    client.force_login(trap.users[role])
    failures = []
    served = 0
    for name, requests in recipes(trap).items():
        for category, address in requests:
            response = client.get(address)
            assert response.status_code < 500, f"{address} answered {response.status_code}"
            if response.status_code == 200:
                served += 1
                failures += [f"{name} {address}: {p}" for p in problems(role, category, text_of(response))]
    return failures, served


@pytest.mark.parametrize("role", ROLES)
def test_every_output_holds_the_policy_for(role, trap, builds, client):
    failures, served = matrix_failures(role, trap, client)
    assert failures == [], "\n".join(failures)
    assert served > (60 if role != "outsider" else 1)


def _redact_jo_everywhere(trap):
    one = trap.interviews["one"]
    return corrections.plan_redaction(one, phrase="Jo", replacement="board member", scope="interview", start=None)


def _redact_jo_here(trap):
    one = trap.interviews["one"]
    start = one.transcript.index("\nJo:") + 1
    return corrections.plan_redaction(one, phrase="Jo", replacement="board member", scope="here", start=start)


def _redact_jo_across_the_project(trap):
    one = trap.interviews["one"]
    interviews = list(trap.project.interviews.all())
    return corrections.plan_redaction(
        one, phrase="Jo", replacement="board member", scope="project", start=None, interviews=interviews
    )


REDACTED_PHRASE = "for a year before we merged"


def _redact_a_phrase_across_the_project(trap):
    one = trap.interviews["one"]
    interviews = list(trap.project.interviews.all())
    return corrections.plan_redaction(
        one,
        phrase=REDACTED_PHRASE,
        replacement="spoke with the council",
        scope="project",
        start=None,
        interviews=interviews,
    )


def _correct_from_a_file(trap, client):
    """A corrected file uploaded on the correction page, previewed, then applied as the page does."""
    one = trap.interviews["one"]
    address = url("coding:transcript_correct", one.pk)
    corrected = one.transcript.replace("pushed", "forced").encode("utf-8")
    preview = client.post(address, {"file": SimpleUploadedFile("corrected.txt", corrected, "text/plain")})
    assert preview.status_code == 200 and preview.context["preview"] is not None
    done = client.post(
        address,
        {"transcript": preview.context["text"], "action": "apply", "fingerprint": preview.context["fingerprint"]},
    )
    assert done.status_code == 302


SEQUENCES = {
    "redact Jo's label here": _redact_jo_here,
    "redact Jo's label in the interview": _redact_jo_everywhere,
    "redact Jo's label across the project": _redact_jo_across_the_project,
    "redact a phrase across the project": _redact_a_phrase_across_the_project,
    "correct a word in Jo's turn from the form": lambda trap: trap.interviews["one"].transcript.replace(
        "pushed", "forced"
    ),
    "correct a word in Jo's turn from a file": _correct_from_a_file,
}


def _export(client, trap) -> dict[str, dict]:
    export = client.get(url("analysis:excerpts", trap.project.slug, format="csv"))
    return {row["Excerpt ID"]: row for row in csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")))}


@pytest.mark.parametrize("sequence", SEQUENCES)
def test_every_output_holds_the_policy_after_a_change_of_text(sequence, trap, client):
    """A change of a transcript's text never makes an unquotable speaker quotable, nor changes an attribution, nor
    leaves redacted words in any output; the paper and the export still withhold the same number of passages."""
    lead = trap.users["lead"]
    client.force_login(lead)
    before = _export(client, trap)
    if "phrase" in sequence:
        assert any(REDACTED_PHRASE in row["Text"] for row in before.values())
    step = SEQUENCES[sequence]
    if step is _correct_from_a_file:
        step(trap, client)
    else:
        planned = step(trap)
        if isinstance(planned, str):
            one = trap.interviews["one"]
            corrections.apply(interview=one, new_text=planned, user=lead, expected_old=one.transcript)
        else:
            corrections.apply_redaction(planned, user=lead)
    for role in ("lead", "researcher", "case_lead"):
        failures, served = matrix_failures(role, trap, client)
        if "phrase" in sequence:
            for name, requests in recipes(trap).items():
                for _category, address in requests:
                    response = client.get(address)
                    if response.status_code == 200 and REDACTED_PHRASE in " ".join(text_of(response).split()):
                        failures.append(f"{name} {address}: redacted words")
        assert failures == [], "\n".join(failures)
        assert served > 60
    client.force_login(lead)
    after = _export(client, trap)
    assert after.keys() == before.keys()
    for key, row in after.items():
        for column in ("Participant", "Consent to quote"):
            assert row[column] == before[key][column], (key, column)
    withheld = sum(1 for row in after.values() if row["Consent to quote"] == "No")
    assert withheld == 3
    preview = text_of(client.get(url("reports:paper_preview", trap.papers["all"].pk)))
    assert f"{withheld} coded passages were withheld" in preview


def test_the_command_line_outputs_hold_the_policy(trap, builds, tmp_path):
    csv_file, html_file = tmp_path / "excerpts.csv", tmp_path / "paper.html"
    call_command("export_excerpts", "--project", trap.project.slug, "--format", "csv", "--out", str(csv_file))
    call_command("build_working_paper", str(trap.papers["all"].pk), "--format", "html", "--out", str(html_file))
    call_command(
        "build_working_paper",
        str(trap.papers["housing"].pk),
        "--format",
        "html",
        "--out",
        str(tmp_path / "researcher.html"),
        "--as",
        trap.users["researcher"].username,
    )

    for path in (csv_file, html_file, tmp_path / "researcher.html"):
        assert problems("lead", OUTPUT, path.read_text(encoding="utf-8-sig")) == []
    assert problems("researcher", OUTPUT, (tmp_path / "researcher.html").read_text()) == []


def test_withheld_counts_agree_between_the_paper_and_the_export(trap, client):
    client.force_login(trap.users["lead"])
    export = client.get(url("analysis:excerpts", trap.project.slug, format="csv"))
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    withheld_in_export = sum(1 for row in rows if row["Consent to quote"] == "No")

    preview = text_of(client.get(url("reports:paper_preview", trap.papers["all"].pk)))

    assert withheld_in_export == 3  # spanning, jo and norecord: the interviewer's words are quotable
    assert f"{withheld_in_export} coded passages were withheld" in preview
    assert "with words whose speaker is not on record" in preview


def test_a_withdrawn_consent_withdraws_the_builds_that_quote_them(trap, builds, client):
    ruth = trap.participants["ruth"]
    quoting = [build for build in builds if ruth.pk in build.quoted_participant_ids]
    assert quoting

    ruth.consent_to_quote = False
    ruth.save()

    client.force_login(trap.users["lead"])
    for build in quoting:
        assert client.get(url("reports:build_download", build.pk)).status_code == 404
    page = text_of(client.get(url("reports:paper", trap.papers["all"].pk)))
    assert "Withdrawn: a participant it quotes has since withdrawn consent" in page
    assert "Build again" in page
    assert set(withdrawn_builds(quoting, trap.users["lead"])) == {build.pk for build in quoting}


@pytest.mark.parametrize("change", ["redaction", "speaker"])
def test_builds_made_before_a_redaction_or_a_change_of_speaker_are_withdrawn_but_for_admins(
    change, trap, builds, client
):
    lead = trap.users["lead"]
    changed = trap.interviews["consortium" if change == "redaction" else "one"]
    if change == "redaction":
        redaction = corrections.plan_redaction(
            changed, phrase="consortium was built", replacement="it was built", scope="interview", start=None
        )
        corrections.apply_redaction(redaction, user=lead)
    else:
        from casestudies.models import Speaker
        from casestudies.services import assign_speaker

        interviewer = Speaker.objects.get(interview=changed, label="Interviewer")
        assign_speaker(speaker=interviewer, kind="unknown", participant=None, assigned_by=lead, reason="Not sure")
    in_changed = {excerpt.pk for excerpt in trap.excerpts.values() if excerpt.interview_id == changed.pk}
    quoting = [build for build in builds if set(build.quoted_excerpt_ids) & in_changed]
    others = [build for build in builds if build not in quoting]
    assert quoting
    # The housing paper quotes nothing of the consortium's interview: a redaction there leaves its builds alone.
    assert len(others) == (3 if change == "redaction" else 0)

    client.force_login(lead)
    for build in quoting:
        assert client.get(url("reports:build_download", build.pk)).status_code == 404
    for build in others:
        assert client.get(url("reports:build_download", build.pk)).status_code == 200
    page = text_of(client.get(url("reports:paper", trap.papers["all"].pk)))
    assert "Withdrawn: a transcript it quotes has since been redacted or corrected" in page
    assert "Build again" in page
    assert withdrawn_builds(quoting, trap.users["admin"]) == {}
    client.force_login(trap.users["admin"])
    assert all(client.get(url("reports:build_download", b.pk)).status_code == 200 for b in quoting)


def test_a_researcher_cannot_open_a_leads_build_that_quotes_blind_coded_passages(
    trap, settings, tmp_path, django_capture_on_commit_callbacks, client
):
    """The researcher's own blind-coded passage overlaps the other coder's; without it, and with the other
    coder's marked a key quote, the lead's build quotes that passage, which the researcher may not see yet, while
    its coder may."""
    settings.MEDIA_ROOT = tmp_path
    trap.excerpts["blind_lead"].delete()
    Excerpt.objects.filter(pk=trap.excerpts["blind_other"].pk).update(is_key_quote=True)
    with django_capture_on_commit_callbacks(execute=True):
        build = paper_services.request_build(
            paper=trap.papers["housing"], format="html", requested_by=trap.users["lead"]
        )
    build.refresh_from_db()
    assert build.status == PaperBuild.Status.SUCCEEDED, build.error
    assert trap.excerpts["blind_other"].pk in build.quoted_excerpt_ids

    for reader, status in (("researcher", 404), ("coder", 200), ("lead", 200)):
        client.force_login(trap.users[reader])
        assert client.get(url("reports:build_download", build.pk)).status_code == status, reader
