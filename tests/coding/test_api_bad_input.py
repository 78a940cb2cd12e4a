"""Bad input, from the attack report: every case answers 400 (or 413) with a message per field, and writes nothing.

The same cases go through the JSON API and through every form that takes text, so that both give the same
message from the one shared validator (`casestudies/validators.py`).
"""

import json

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils.html import escape

from analysis.models import FrameworkSummary
from casestudies.models import CaseStudy, Participant
from casestudies.validators import MAX_IDS, MAX_OFFSET, MAX_TAGS, NUL_MESSAGE
from coding.api import MAX_BODY_BYTES, MAX_JSON_DEPTH, MAX_NUMBER_LENGTH
from coding.models import Code, Excerpt, ExcerptCode
from reports.models import GroupNarrative, QuestionNarrative
from tests.factories import (
    make_case_study,
    make_code,
    make_excerpt,
    make_interview,
    make_lead,
    make_project,
    make_question,
    make_researcher,
    make_working_paper,
)

pytestmark = pytest.mark.django_db

TEXT = "Interviewer: How did it start?\n\nRuth: With a phone call, really. 😀"
SURROGATE_MESSAGE = "Remove the unpaired surrogate (\\ud800): text must be valid Unicode."
LONG_TAG = "t" * 101
TAG_MESSAGE = f"A tag can have at most 100 characters; “{'t' * 20}…” has 101."
TOO_MANY_TAGS = f"Give at most {MAX_TAGS} tags (there are {MAX_TAGS + 1})."


@pytest.fixture
def world():
    project = make_project()
    case_study = make_case_study(project)
    interview = make_interview(case_study, transcript=TEXT)
    coder = make_researcher(project, case_study)
    code = make_code(project, name="Trust")
    excerpt = make_excerpt(interview, start=0, end=12, codes=[code], coded_by=coder, memo="first")
    return {
        "project": project,
        "case_study": case_study,
        "interview": interview,
        "coder": coder,
        "lead": make_lead(project),
        "code": code,
        "excerpt": excerpt,
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def raw(client: Client, method: str, url: str, body: bytes | str, **extra):
    return getattr(client, method)(url, data=body, content_type="application/json", **extra)


def snapshot(world) -> tuple:
    """Everything a refused request must leave as it was."""
    excerpt = Excerpt.objects.get(pk=world["excerpt"].pk)
    return (
        Excerpt.objects.count(),
        Code.objects.count(),
        ExcerptCode.objects.count(),
        (excerpt.start, excerpt.end, excerpt.memo, excerpt.version),
        sorted(Code.objects.values_list("name", "definition")),
    )


def deep(levels: int) -> str:
    return '{"memo": ' + "[" * levels + "]" * levels + "}"


# (what, method, target, body as sent, status, expected JSON)
API_CASES = [
    (
        "end past 2**31 on create",
        "post",
        "excerpts",
        {"start": 0, "end": 2**31},
        400,
        {"errors": {"end": f"End must be at most {MAX_OFFSET}."}},
    ),
    (
        "start past 2**31 on update",
        "patch",
        "excerpt",
        {"start": 2**40},
        400,
        {"errors": {"start": f"Start must be at most {MAX_OFFSET}."}},
    ),
    (
        "end just past the transcript",
        "patch",
        "excerpt",
        {"end": len(TEXT) + 1},
        400,
        {"errors": {"end": f"End {len(TEXT) + 1} is past the end of the transcript ({len(TEXT)} characters)."}},
    ),
    ("negative start", "post", "excerpts", {"start": -1, "end": 3}, 400, None),
    ("NUL in a memo", "patch", "excerpt", {"memo": "a\x00b"}, 400, {"errors": {"memo": NUL_MESSAGE}}),
    (
        "lone surrogate in a memo",
        "post",
        "excerpts",
        '{"start": 0, "end": 3, "memo": "\\ud800"}',
        400,
        {"errors": {"memo": SURROGATE_MESSAGE}},
    ),
    ("NUL in a code name", "post", "codes", {"name": "Tr\x00ust"}, 400, {"errors": {"name": NUL_MESSAGE}}),
    ("lone surrogate in a code name", "post", "codes", '{"name": "\\udfff"}', 400, None),
    (
        "NUL in a tag",
        "post",
        "codes",
        {"name": "Tags", "tags": ["ok", "b\x00d"]},
        400,
        {"errors": {"tags": NUL_MESSAGE}},
    ),
    (
        "lone surrogate in a field name",
        "patch",
        "excerpt",
        '{"\\ud800": 1}',
        400,
        {"errors": {"'\\ud800'": "Unknown field."}},
    ),
    (
        "JSON nested 100,000 deep",
        "patch",
        "excerpt",
        deep(100_000),
        400,
        {"errors": {"body": f"The body is not valid JSON (it is nested more than {MAX_JSON_DEPTH} levels deep)."}},
    ),
    (
        "a 5,000-digit number",
        "post",
        "excerpts",
        '{"start": 0, "end": ' + "9" * 5000 + "}",
        400,
        {"errors": {"body": f"The body is not valid JSON (a number has more than {MAX_NUMBER_LENGTH} characters)."}},
    ),
    (
        "a 400-digit float",
        "patch",
        "excerpt",
        '{"start": 1.' + "5" * 400 + "}",
        400,
        {"errors": {"body": f"The body is not valid JSON (a number has more than {MAX_NUMBER_LENGTH} characters)."}},
    ),
    (
        "NaN",
        "patch",
        "excerpt",
        '{"start": NaN}',
        400,
        {"errors": {"body": "The body is not valid JSON (NaN is not a JSON number)."}},
    ),
    (
        "not UTF-8",
        "patch",
        "excerpt",
        b'{"memo": "\xff"}',
        400,
        {"errors": {"body": "The body is not valid JSON (it is not UTF-8 text)."}},
    ),
    ("a list, not an object", "patch", "excerpt", "[1]", 400, {"errors": {"body": "The body must be a JSON object."}}),
    (
        "a tag over 100 characters",
        "post",
        "codes",
        {"name": "Tagged", "tags": [LONG_TAG]},
        400,
        {"errors": {"tags": TAG_MESSAGE}},
    ),
    (
        "too many tags",
        "post",
        "codes",
        {"name": "Tagged", "tags": [f"tag {n}" for n in range(MAX_TAGS + 1)]},
        400,
        {"errors": {"tags": TOO_MANY_TAGS}},
    ),
    (
        "2,000 tags",
        "post",
        "codes",
        {"name": "Tagged", "tags": [f"tag {n}" for n in range(2000)]},
        400,
        {"errors": {"tags": f"Give at most {MAX_TAGS} tags (there are 2000)."}},
    ),
    (
        "a memo over the limit",
        "patch",
        "excerpt",
        {"memo": "m" * 20_001},
        400,
        {"errors": {"memo": "Ensure this value has at most 20000 characters (it has 20001)."}},
    ),
    (
        "a code definition over the limit",
        "post",
        "codes",
        {"name": "Defined", "definition": "d" * 10_001},
        400,
        {"errors": {"definition": "Ensure this value has at most 10000 characters (it has 10001)."}},
    ),
    (
        "a code name over the limit",
        "post",
        "codes",
        {"name": "n" * 201},
        400,
        {"errors": {"name": "Ensure this value has at most 200 characters (it has 201)."}},
    ),
    (
        "an id past 2**63",
        "patch",
        "excerpt",
        {"code_ids": [2**63]},
        400,
        {"errors": {"code_ids": "Give a list of ids, for example [3, 7]."}},
    ),
    (
        "too many code ids",
        "patch",
        "excerpt",
        {"code_ids": list(range(1, MAX_IDS + 2))},
        400,
        {"errors": {"code_ids": f"Give at most {MAX_IDS} ids (there are {MAX_IDS + 1})."}},
    ),
    ("a parent id of 0", "post", "codes", {"name": "Child", "parent_id": 0}, 400, None),
    (
        "a 10 MB memo",
        "patch",
        "excerpt",
        {"memo": "m" * 10 * 1024 * 1024},
        413,
        {"detail": f"The body is larger than {MAX_BODY_BYTES // 1024} KB."},
    ),
    (
        "a 5 MB code definition",
        "post",
        "codes",
        {"name": "Huge", "definition": "d" * 5 * 1024 * 1024},
        413,
        {"detail": f"The body is larger than {MAX_BODY_BYTES // 1024} KB."},
    ),
]


def target_url(world, target: str) -> str:
    return {
        "excerpts": f"/api/interviews/{world['interview'].pk}/excerpts",
        "excerpt": f"/api/excerpts/{world['excerpt'].pk}",
        "codes": f"/api/projects/{world['project'].slug}/codes",
    }[target]


@pytest.mark.parametrize(
    ("what", "method", "target", "body", "status", "expected"), API_CASES, ids=[c[0] for c in API_CASES]
)
def test_bad_api_input_answers_a_message_and_writes_nothing(world, what, method, target, body, status, expected):
    before = snapshot(world)
    sent = body if isinstance(body, str | bytes) else json.dumps(body)
    response = raw(logged_in(world["coder"]), method, target_url(world, target), sent)
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    data = response.json()
    if expected is not None:
        assert data == expected
    else:
        assert set(data["errors"]) and all(isinstance(message, str) and message for message in data["errors"].values())
    assert snapshot(world) == before


def test_a_declared_oversized_body_is_refused_before_it_is_read(world):
    response = logged_in(world["coder"]).generic(
        "PATCH",
        target_url(world, "excerpt"),
        data=b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(MAX_BODY_BYTES + 1),
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The body is larger than 256 KB."}


def test_bodies_at_the_limits_are_accepted(world):
    client = logged_in(world["coder"])
    memo = "😀" * 20_000
    response = raw(client, "patch", target_url(world, "excerpt"), json.dumps({"memo": memo}))
    assert response.status_code == 200
    assert Excerpt.objects.get(pk=world["excerpt"].pk).memo == memo
    nested = raw(client, "patch", target_url(world, "excerpt"), deep(MAX_JSON_DEPTH - 1))
    assert nested.status_code == 400
    assert nested.json() == {"errors": {"memo": "The memo must be text."}}
    tags = [f"{n:03d}" + "t" * 97 for n in range(MAX_TAGS)]
    created = raw(client, "post", target_url(world, "codes"), json.dumps({"name": "Many tags", "tags": tags}))
    assert created.status_code == 201
    assert sorted(created.json()["tags"]) == tags


# Errors raised outside the views answer JSON under /api/ and pages elsewhere.


def test_a_csrf_failure_on_the_api_answers_json(world, settings):
    settings.CSRF_FAILURE_VIEW = "coding.api.csrf_failure"
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["coder"])
    response = raw(client, "patch", target_url(world, "excerpt"), json.dumps({"memo": "x"}))
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "CSRF check failed (CSRF cookie not set.): send the CSRF token in the X-CSRFToken header."
    }
    assert Excerpt.objects.get(pk=world["excerpt"].pk).memo == "first"
    page = client.post(f"/projects/{world['project'].slug}/codebook/new/", {"name": "X"})
    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")


def test_an_unknown_api_path_answers_json_404(world):
    client = logged_in(world["coder"])
    response = client.get("/api/excerpts/not-a-number")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_a_method_not_allowed_answers_json_405(world):
    response = logged_in(world["coder"]).put(target_url(world, "excerpt"), data="{}", content_type="application/json")
    assert response.status_code == 405
    assert response.json() == {"detail": "PUT is not allowed here."}
    assert response["Allow"] == "GET, PATCH, DELETE"


def test_a_server_error_on_the_api_answers_json(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("coding.api.interview_excerpts", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world["coder"])
    response = client.get(target_url(world, "excerpts"))
    assert response.status_code == 500
    assert response.json() == {"detail": "Something went wrong on the server; the error has been logged."}


@pytest.mark.parametrize("enforce_csrf_checks", [False, True], ids=["in the view", "in the CSRF middleware"])
def test_an_oversized_form_body_on_the_api_answers_json_413(world, settings, enforce_csrf_checks):
    """Django refuses a form body over DATA_UPLOAD_MAX_MEMORY_SIZE wherever it is first read."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.CSRF_FAILURE_VIEW = "coding.api.csrf_failure"
    client = Client(raise_request_exception=False, enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(world["coder"])
    # With the CSRF cookie set, the middleware reads the form body to look for the token.
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    before = snapshot(world)
    response = client.post(
        target_url(world, "excerpts"), data="memo=" + "m" * 2000, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The body is larger than 1,000 bytes."}
    assert snapshot(world) == before


# The same rules in every form that takes text: the page shows the message, and nothing is saved.


def form_cases(world) -> list:
    project, case_study = world["project"], world["case_study"]
    question = make_question(project)
    paper = make_working_paper(project)
    codebook_new = f"/projects/{project.slug}/codebook/new/"
    code_edit = f"/codes/{world['code'].pk}/edit/"
    case_study_new = f"/projects/{project.slug}/case-studies/new/"
    participant_new = f"/projects/{project.slug}/participants/new/"
    summary = f"/projects/{project.slug}/analysis/framework/{case_study.pk}/{question.pk}/edit/"
    narratives = f"/papers/{paper.pk}/narratives/"
    case_study_fields = {
        "title": "New case",
        "slug": "new-case",
        "level_of_analysis": "organisation",
        "status": "planned",
    }
    return [
        ("code name with NUL", codebook_new, {"name": "Tr\x00ust"}, NUL_MESSAGE),
        ("code definition with NUL", codebook_new, {"name": "Fine", "definition": "a\x00"}, NUL_MESSAGE),
        (
            "code definition too long",
            codebook_new,
            {"name": "Fine", "definition": "d" * 10_001},
            "Ensure this value has at most 10000 characters (it has 10001).",
        ),
        ("code tag too long", codebook_new, {"name": "Fine", "tags": f"ok, {LONG_TAG}"}, TAG_MESSAGE),
        (
            "too many code tags",
            code_edit,
            {"name": "Trust", "colour": "#1f77b4", "tags": ", ".join(f"t{n}" for n in range(MAX_TAGS + 1))},
            TOO_MANY_TAGS,
        ),
        (
            "case-study tag too long",
            case_study_new,
            {**case_study_fields, "forms_of_partnership": LONG_TAG},
            TAG_MESSAGE,
        ),
        ("case-study title with NUL", case_study_new, {**case_study_fields, "title": "A\x00"}, NUL_MESSAGE),
        (
            "case-study focus too long",
            case_study_new,
            {**case_study_fields, "focus": "f" * 20_001},
            "Ensure this value has at most 20000 characters (it has 20001).",
        ),
        (
            "participant pseudonym with NUL",
            participant_new,
            {"pseudonym": "R\x00uth", "anonymity": "pseudonym", "consent_to_quote": "on"},
            NUL_MESSAGE,
        ),
        ("framework summary with NUL", summary, {"text": "x\x00"}, NUL_MESSAGE),
        (
            "framework summary too long",
            summary,
            {"text": "s" * 20_001},
            "Ensure this value has at most 20000 characters (it has 20001).",
        ),
        (
            "narrative too long",
            narratives,
            {f"question_{question.pk}": "n" * 100_001},
            "Ensure this value has at most 100000 characters (it has 100001).",
        ),
        ("narrative with NUL", narratives, {f"group_{question.group_id}": "a\x00b"}, NUL_MESSAGE),
    ]


def form_snapshot() -> tuple:
    return (
        sorted(Code.objects.values_list("name", "definition")),
        sorted(CaseStudy.objects.values_list("title", flat=True)),
        sorted(Participant.objects.values_list("pseudonym", flat=True)),
        FrameworkSummary.objects.count(),
        GroupNarrative.objects.count() + QuestionNarrative.objects.count(),
        list(world_tags()),
    )


def world_tags():
    from taggit.models import Tag

    from casestudies.models import CaseStudyTag

    return [*Tag.objects.values_list("name", flat=True), *CaseStudyTag.objects.values_list("name", flat=True)]


def test_every_form_refuses_bad_text_with_the_shared_message_and_saves_nothing(world):
    client = logged_in(world["lead"])
    cases = form_cases(world)
    for what, url, data, message in cases:
        before = form_snapshot()
        response = client.post(url, data)
        assert response.status_code in {200, 400}, what
        assert escape(message) in response.content.decode(), what
        assert form_snapshot() == before, what


def test_a_non_ascii_digit_group_on_the_framework_page_is_not_found(world):
    client = logged_in(world["lead"])
    make_question(world["project"])
    url = f"/projects/{world['project'].slug}/analysis/framework/"
    assert client.get(url).status_code == 200
    for group in ["²", "٣", "1" * 30, "-1", "0"]:
        assert client.get(url, {"group": group}).status_code == 404, group
