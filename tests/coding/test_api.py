import json

import pytest
from django.test import Client
from django.utils import timezone
from openapi_spec_validator import validate

from coding import colours
from coding.models import Code, Excerpt
from tests.factories import (
    make_admin,
    make_case_study,
    make_code,
    make_excerpt,
    make_interview,
    make_lead,
    make_project,
    make_question,
    make_researcher,
    make_user,
)
from tests.querycounts import assert_flat

pytestmark = pytest.mark.django_db

# Astral emoji (two UTF-16 units each), a combining accent, CJK, Arabic and Hebrew (right-to-left).
TEXT = (
    "Interviewer: How did the partnership start? 🤝\n\n"
    "Ruth: Cafe\u0301 meetings, mostly 😀👍🏽. We called it 合作 — or شراكة, or שותפות.\n\n"
    "Interviewer: And then?\n\n"
    "Ruth: Then the money went 📉."
)


def api(client: Client, method: str, url: str, body=None):
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(url, data=data, content_type="application/json")


@pytest.fixture
def world():
    project = make_project()
    case_study = make_case_study(project)
    other_case_study = make_case_study(project)
    interview = make_interview(case_study, transcript=TEXT)
    trust = make_code(project, name="Trust")
    money = make_code(project, name="Money")
    return {
        "project": project,
        "case_study": case_study,
        "interview": interview,
        "trust": trust,
        "money": money,
        "lead": make_lead(project),
        "coder": make_researcher(project, case_study),
        "colleague": make_researcher(project, case_study),
        "elsewhere": make_researcher(project, other_case_study),
        "outsider": make_user(),
        "admin": make_admin(),
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def excerpts_url(interview) -> str:
    return f"/api/interviews/{interview.pk}/excerpts"


@pytest.mark.parametrize(
    "passage",
    ["😀👍🏽", "Cafe\u0301", "合作", "شراكة, or שותפות", "🤝\n\nRuth: Cafe\u0301", "📉."],
)
def test_offsets_round_trip_in_code_points_through_the_api(world, passage):
    client = client_for(world["coder"])
    start = TEXT.index(passage)
    end = start + len(passage)
    created = api(client, "post", excerpts_url(world["interview"]), {"start": start, "end": end, "code_ids": []})
    assert created.status_code == 201, created.content
    assert created.json()["text"] == passage
    assert (created.json()["start"], created.json()["end"]) == (start, end)
    listed = api(client, "get", excerpts_url(world["interview"])).json()
    assert [(e["start"], e["end"], e["text"]) for e in listed["excerpts"]] == [(start, end, passage)]
    assert listed["interview"]["length"] == len(TEXT)
    assert Excerpt.objects.get().text == passage


def test_changing_boundaries_re_reads_the_text_across_astral_characters(world):
    client = client_for(world["coder"])
    start = TEXT.index("😀")
    created = api(client, "post", excerpts_url(world["interview"]), {"start": start, "end": start + 1}).json()
    assert created["text"] == "😀"
    changed = api(client, "patch", f"/api/excerpts/{created['id']}", {"end": start + 3})
    assert changed.status_code == 200
    assert changed.json()["text"] == "😀👍🏽"[:3]
    assert Excerpt.objects.get().text == TEXT[start : start + 3]


def test_create_applies_codes_memo_and_key_quote_and_the_list_returns_them(world):
    client = client_for(world["coder"])
    body = {
        "start": 0,
        "end": 11,
        "code_ids": [world["money"].pk, world["trust"].pk],
        "memo": "Asks about origins.",
        "is_key_quote": True,
    }
    created = api(client, "post", excerpts_url(world["interview"]), body)
    assert created.status_code == 201
    data = created.json()
    assert data["code_ids"] == [world["money"].pk, world["trust"].pk]
    assert data["memo"] == "Asks about origins."
    assert data["is_key_quote"] is True
    assert data["coded_by"] == {"id": world["coder"].pk, "name": world["coder"].get_full_name()}
    assert data["can_edit"] is True
    assert created["Location"] == f"/api/excerpts/{data['id']}"
    assert api(client, "get", f"/api/excerpts/{data['id']}").json()["code_ids"] == body["code_ids"]


def test_patch_changes_only_the_fields_given(world):
    excerpt = make_excerpt(world["interview"], start=0, end=11, codes=[world["trust"]], coded_by=world["coder"])
    client = client_for(world["coder"])
    response = api(client, "patch", f"/api/excerpts/{excerpt.pk}", {"code_ids": [world["money"].pk], "memo": "m"})
    assert response.status_code == 200
    excerpt.refresh_from_db()
    assert list(excerpt.codes.all()) == [world["money"]]
    assert excerpt.memo == "m"
    assert (excerpt.start, excerpt.end, excerpt.is_key_quote) == (0, 11, False)


def test_delete_removes_the_excerpt(world):
    excerpt = make_excerpt(world["interview"], codes=[world["trust"]], coded_by=world["coder"])
    response = api(client_for(world["coder"]), "delete", f"/api/excerpts/{excerpt.pk}")
    assert response.status_code == 204
    assert not Excerpt.objects.exists()


# Who may do what. "own" is the coder's excerpt; leads and admins may change anyone's in their project.
MATRIX = [
    # user, list, create, read own, change own, delete own, codes list, codes create
    ("admin", 200, 201, 200, 200, 204, 200, 201),
    ("lead", 200, 201, 200, 200, 204, 200, 201),
    ("coder", 200, 201, 200, 200, 204, 200, 201),
    ("colleague", 200, 201, 200, 403, 403, 200, 201),
    ("elsewhere", 404, 404, 404, 404, 404, 200, 201),
    ("outsider", 404, 404, 404, 404, 404, 404, 404),
    (None, 401, 401, 401, 401, 401, 401, 401),
]


@pytest.mark.parametrize(
    ("who", "list_", "create", "read", "change", "delete", "codes", "add_code"),
    MATRIX,
)
def test_the_permission_matrix(world, who, list_, create, read, change, delete, codes, add_code):
    excerpt = make_excerpt(world["interview"], start=0, end=11, codes=[world["trust"]], coded_by=world["coder"])
    client = client_for(world[who] if who else None)
    url = f"/api/excerpts/{excerpt.pk}"
    codes_url = f"/api/projects/{world['project'].slug}/codes"
    assert api(client, "get", excerpts_url(world["interview"])).status_code == list_
    assert api(client, "post", excerpts_url(world["interview"]), {"start": 0, "end": 4}).status_code == create
    assert api(client, "get", url).status_code == read
    assert api(client, "patch", url, {"memo": "changed"}).status_code == change
    assert api(client, "get", codes_url).status_code == codes
    assert api(client, "post", codes_url, {"name": f"New {who}"}).status_code == add_code
    assert api(client, "delete", url).status_code == delete
    excerpt_left = Excerpt.objects.filter(pk=excerpt.pk).first()
    if change != 200 and excerpt_left:
        assert excerpt_left.memo == ""


def test_errors_are_json_with_a_message(world):
    excerpt = make_excerpt(world["interview"], coded_by=world["coder"])
    assert api(client_for(None), "get", f"/api/excerpts/{excerpt.pk}").json() == {"detail": "Log in to use the API."}
    assert api(client_for(world["outsider"]), "get", f"/api/excerpts/{excerpt.pk}").json() == {"detail": "Not found."}
    refused = api(client_for(world["colleague"]), "delete", f"/api/excerpts/{excerpt.pk}")
    assert refused.json() == {"detail": "Only the excerpt's coder, the project's leads and admins can change it."}
    wrong_method = api(client_for(world["coder"]), "put", f"/api/excerpts/{excerpt.pk}", {})
    assert wrong_method.status_code == 405
    assert wrong_method["Allow"] == "GET, PATCH, DELETE"


def test_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["coder"])
    client.get(f"/interviews/{world['interview'].pk}/code/")
    url = excerpts_url(world["interview"])
    body = json.dumps({"start": 0, "end": 4})
    assert client.post(url, body, content_type="application/json").status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert Excerpt.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"start": "This field is required.", "end": "This field is required."}),
        ({"start": "3", "end": 9}, {"start": "Start must be a whole number of characters, 0 or more."}),
        ({"start": 0, "end": 2.5}, {"end": "End must be a whole number of characters, 1 or more."}),
        ({"start": True, "end": 4}, {"start": "Start must be a whole number of characters, 0 or more."}),
        ({"start": -1, "end": 4}, {"start": "Start must be a whole number of characters, 0 or more."}),
        ({"start": 4, "end": 4}, {"end": "End (4) must come after start (4)."}),
        (
            {"start": 0, "end": len(TEXT) + 1},
            {"end": f"End {len(TEXT) + 1} is past the end of the transcript ({len(TEXT)} characters)."},
        ),
        ({"start": 0, "end": 4, "code_ids": [999999]}, {"code_ids": "No code with id 999999 in this project."}),
        ({"start": 0, "end": 4, "code_ids": "1"}, {"code_ids": "Give a list of ids, for example [3, 7]."}),
        ({"start": 0, "end": 4, "memo": 5}, {"memo": "The memo must be text."}),
        ({"start": 0, "end": 4, "is_key_quote": "yes"}, {"is_key_quote": "is_key_quote must be true or false."}),
        ({"start": 0, "end": 4, "colour": "#ff0000"}, {"colour": "Unknown field."}),
    ],
)
def test_bad_excerpt_input_gets_a_message_per_field_and_writes_nothing(world, body, errors):
    response = api(client_for(world["coder"]), "post", excerpts_url(world["interview"]), body)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert not Excerpt.objects.exists()


def test_a_body_that_is_not_json_is_refused(world):
    client = client_for(world["coder"])
    response = client.post(excerpts_url(world["interview"]), "start=0", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"]["body"].startswith("The body is not valid JSON")
    response = api(client, "post", excerpts_url(world["interview"]), [0, 4])
    assert response.json() == {"errors": {"body": "The body must be a JSON object."}}
    assert not Excerpt.objects.exists()


def test_codes_of_another_project_archived_codes_and_headings_are_refused(world):
    client = client_for(world["coder"])
    foreign = make_code(make_project(), name="Elsewhere")
    archived = make_code(world["project"], name="Old", is_archived=True)
    heading = make_code(world["project"], name="Drivers", is_codable=False)
    cases = [
        (foreign, f"No code with id {foreign.pk} in this project."),
        (archived, "The code “Old” is archived; restore it to apply it."),
        (heading, "The code “Drivers” is a heading and cannot be applied."),
    ]
    for code, message in cases:
        response = api(client, "post", excerpts_url(world["interview"]), {"start": 0, "end": 4, "code_ids": [code.pk]})
        assert response.json() == {"errors": {"code_ids": message}}
    assert not Excerpt.objects.exists()


def test_a_bad_patch_leaves_the_excerpt_as_it_was(world):
    excerpt = make_excerpt(world["interview"], start=0, end=11, codes=[world["trust"]], coded_by=world["coder"])
    response = api(
        client_for(world["coder"]),
        "patch",
        f"/api/excerpts/{excerpt.pk}",
        {"start": 20, "end": 10, "code_ids": [world["money"].pk], "memo": "lost"},
    )
    assert response.json() == {"errors": {"end": "End (10) must come after start (20)."}}
    excerpt.refresh_from_db()
    assert (excerpt.start, excerpt.end, excerpt.memo) == (0, 11, "")
    assert list(excerpt.codes.all()) == [world["trust"]]


def test_blind_coding_shows_a_coder_only_their_own_excerpts_until_revealed(world):
    interview = world["interview"]
    interview.is_blind_coding = True
    interview.save()
    own = make_excerpt(interview, start=0, end=5, coded_by=world["coder"])
    other = make_excerpt(interview, start=6, end=9, coded_by=world["colleague"])
    coder = client_for(world["coder"])
    assert [e["id"] for e in api(coder, "get", excerpts_url(interview)).json()["excerpts"]] == [own.pk]
    assert api(coder, "get", f"/api/excerpts/{other.pk}").status_code == 404
    lead = client_for(world["lead"])
    assert [e["id"] for e in api(lead, "get", excerpts_url(interview)).json()["excerpts"]] == [own.pk, other.pk]
    interview.blind_revealed_at = timezone.now()
    interview.save()
    assert [e["id"] for e in api(coder, "get", excerpts_url(interview)).json()["excerpts"]] == [own.pk, other.pk]


def test_the_excerpt_list_takes_a_fixed_number_of_queries(world):
    interview = world["interview"]
    for start in range(0, 8, 2):
        make_excerpt(interview, start=start, end=start + 5, codes=[world["trust"], world["money"]])
    make_excerpt(make_interview(world["case_study"], transcript=TEXT), codes=[world["trust"]])
    client = client_for(world["lead"])

    def grow() -> None:
        extra = [make_code(world["project"]) for _ in range(3)]
        for start in range(8, 40, 2):
            make_excerpt(interview, start=start, end=start + 5, codes=[world["trust"], world["money"], *extra])

    # The first read counts the lead as at work on the interview (a write, every ten seconds at most).
    api(client, "get", excerpts_url(interview))
    # Session, user, interview, who else is at work, the coding's version, its length, lead check, excerpts,
    # code links.
    assert_flat(lambda: api(client, "get", excerpts_url(interview)), grow, expected=9)
    response = api(client, "get", excerpts_url(interview))
    assert len(response.json()["excerpts"]) == 20
    assert response.json()["excerpts"][0]["code_ids"] == [world["trust"].pk, world["money"].pk]


def test_creating_an_excerpt_takes_a_fixed_number_of_queries(world, django_assert_num_queries):
    client = client_for(world["coder"])
    body = {"start": 0, "end": 11, "code_ids": [world["money"].pk, world["trust"].pk]}
    # Session, user, interview (with the access check), codes, savepoint, the covered text, excerpt, code
    # links, their two history rows (one insert each), release. The transcript is never loaded: the database
    # slices it.
    with django_assert_num_queries(11) as captured:
        response = api(client, "post", excerpts_url(world["interview"]), body)
    assert response.status_code == 201
    assert response.json()["text"] == "Interviewer"
    loads = [query["sql"] for query in captured.captured_queries if '"casestudies_interview"."title"' in query["sql"]]
    assert len(loads) == 1
    assert '"casestudies_interview"."transcript"' not in loads[0]
    assert list(
        Excerpt.objects.get(pk=response.json()["id"]).codes.order_by("name").values_list("name", flat=True)
    ) == [
        "Money",
        "Trust",
    ]


def test_the_codes_list_is_the_tree_in_order_with_paths(world):
    project = world["project"]
    question = make_question(project, short_label="RQ2", text="What drives partnership?")
    drivers = make_code(project, name="Drivers", is_codable=False, order=1)
    cuts = make_code(project, name="Spending cuts", parent=drivers)
    cuts.research_questions.add(question)
    cuts.tags.add("finance")
    data = api(client_for(world["coder"]), "get", f"/api/projects/{project.slug}/codes").json()
    rows = [(c["path"], c["depth"], c["is_codable"]) for c in data["codes"]]
    assert rows == [
        ("Money", 0, True),
        ("Trust", 0, True),
        ("Drivers", 0, False),
        ("Drivers › Spending cuts", 1, True),
    ]
    cuts_json = data["codes"][3]
    assert cuts_json["research_questions"] == [{"id": question.pk, "label": "RQ2", "text": "What drives partnership?"}]
    assert cuts_json["tags"] == ["finance"]
    assert cuts_json["url"] == f"/codes/{cuts.pk}/"


def test_a_researcher_adds_a_sub_code_in_a_palette_colour_distinct_from_its_parents(world):
    project = world["project"]
    drivers = make_code(project, name="Drivers", colour="#d62728")
    response = api(
        client_for(world["coder"]),
        "post",
        f"/api/projects/{project.slug}/codes",
        {"name": "  Lender pressure ", "parent_id": drivers.pk, "tags": ["finance"]},
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["name"], data["path"], data["depth"]) == ("Lender pressure", "Drivers › Lender pressure", 1)
    assert data["colour"] in colours.PALETTE_COLOURS
    assert data["colour"] != "#d62728"
    code = Code.objects.get(pk=data["id"])
    assert code.created_by == world["coder"]
    assert list(code.tags.names()) == ["finance"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": "A code needs a name."}),
        ({"name": "   "}, {"name": "A code needs a name."}),
        ({"name": "trust"}, {"name": "A code named “trust” already exists at the top of the codebook."}),
        ({"name": "New", "parent_id": 999999}, {"parent_id": "No code with id 999999 in this project."}),
        ({"name": "New", "colour": "red"}, {"colour": "Enter a colour as #rrggbb, for example #1f77b4."}),
        (
            {"name": "New", "research_question_ids": [999999]},
            {"research_question_ids": "No research question with id 999999 in this project."},
        ),
        ({"name": "New", "tags": "finance"}, {"tags": 'Give the tags as a list of words, for example ["housing"].'}),
        ({"name": "New", "is_archived": True}, {"is_archived": "Unknown field."}),
        (
            {"name": "Barriers / Time pressure"},
            {
                "name": "A code name cannot contain “/” or “›”: they separate a parent from its sub-code. "
                "To make “Time pressure” a sub-code, choose its parent."
            },
        ),
    ],
)
def test_bad_code_input_gets_a_message_per_field_and_writes_nothing(world, body, errors):
    before = Code.objects.count()
    response = api(client_for(world["coder"]), "post", f"/api/projects/{world['project'].slug}/codes", body)
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert Code.objects.count() == before


def test_the_openapi_description_is_valid_and_lists_the_paths(world):
    response = client_for(world["coder"]).get("/api/openapi.json")
    assert response.status_code == 200
    description = response.json()
    validate(description)
    assert set(description["paths"]) == {
        "/api/interviews/{id}/excerpts",
        "/api/interviews/{id}/presence",
        "/api/excerpts/{id}",
        "/api/projects/{slug}/codes",
        "/api/openapi.json",
    }
    assert set(description["paths"]["/api/excerpts/{id}"]) >= {"get", "patch", "delete"}
    assert set(description["components"]["schemas"]["ExcerptCreate"]["properties"]) == {
        "start",
        "end",
        "code_ids",
        "memo",
        "is_key_quote",
    }


def test_a_body_that_is_not_sent_as_json_is_refused_with_415_and_nothing_is_written(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["coder"])
    client.get(f"/interviews/{world['interview'].pk}/code/")
    token = client.cookies["csrftoken"].value
    url = excerpts_url(world["interview"])
    body = json.dumps({"start": 0, "end": 4})
    for content_type in ("multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded", "text/plain"):
        response = client.post(url, body, content_type=content_type, headers={"X-CSRFToken": token})
        assert response.status_code == 415, content_type
        assert response["Content-Type"] == "application/json"
        media = content_type.split(";")[0]
        assert response.json() == {
            "detail": f"The body must be JSON, sent with Content-Type: application/json, not {media}."
        }
    # A real multipart upload too, its token in the form, as a browser's form would send it.
    upload = client.post(url, {"csrfmiddlewaretoken": token, "start": "0", "end": "4"})
    assert upload.status_code == 415
    assert Excerpt.objects.count() == 0
    # JSON under a +json type is JSON.
    response = client.post(url, body, content_type="application/merge-patch+json", headers={"X-CSRFToken": token})
    assert response.status_code == 201
