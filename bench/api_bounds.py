"""What the coding API's bounds cost, and how fast it refuses what is beyond them.

    .venv/bin/python bench/api_bounds.py                      # SQLite (a temporary file)
    DATABASE_URL=postgres:///partnership .venv/bin/python bench/api_bounds.py   # PostgreSQL (test_partnership)

It builds its own throw-away database (Django's test database for the configured one). Requests go through the
full Django stack in process. Figures: parsing a body at the size limit (the depth scan and the bounded
parser), refusing a body nested 100,000 deep, a 5,000-digit number and a 10 MB memo, creating a code with the
most tags allowed and refusing one with 2,000 (which took 4.8 s before the bound), and a PATCH with If-Match.
Targets: every refusal under 50 ms; a body at the limit parsed in under 20 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

RUNS = 5


def median_ms(call) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        began = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def run() -> None:
    from casestudies.models import CaseStudy, Interview, PhaseKind, ProjectMembership, ProjectRole, ResearchProject
    from casestudies.services import record_turns
    from casestudies.validators import MAX_TAGS
    from coding.api import MAX_BODY_BYTES, parse_json
    from coding.models import Code
    from coding.services import create_excerpt

    project = ResearchProject.objects.create(title="Bench", slug="bench")
    case_study = CaseStudy.objects.create(project=project, title="Case", slug="case")
    interview = Interview.objects.create(
        project=project, case_study=case_study, title="I", phase=PhaseKind.CASE_STUDY, transcript="word " * 10_000
    )
    record_turns(interview=interview)
    user = get_user_model().objects.create_user("bench", password="bench-password-1", is_staff=True)
    ProjectMembership.objects.create(project=project, user=user, role=ProjectRole.LEAD)
    excerpt = create_excerpt(interview=interview, start=0, end=4, coded_by=user)
    client = Client()
    client.force_login(user)
    excerpt_url, codes_url = f"/api/excerpts/{excerpt.pk}", f"/api/projects/{project.slug}/codes"

    def send(method: str, url: str, body: str, headers: dict | None = None):
        return getattr(client, method)(url, data=body, content_type="application/json", headers=headers or {})

    memo_body = json.dumps({"memo": "😀" * 20_000})
    print(f"Body at the limit ({MAX_BODY_BYTES // 1024} KB) and its parts, median of {RUNS}:")
    big_lists = json.dumps({"tags": [[1, [2, [3]]]] * (MAX_BODY_BYTES // 20)})
    for label, body in (
        ("memo of 20,000 emoji, escaped", memo_body),
        ("lists three deep, many brackets (parse only)", big_lists),
    ):
        raw = body.encode()
        ms, _ = median_ms(lambda raw=raw: _try(parse_json, raw))
        print(f"  parse_json, {label} ({len(raw) // 1024} KB): {ms:.1f} ms")
    ms, response = median_ms(lambda: send("patch", excerpt_url, memo_body))
    print(f"  PATCH with that memo, whole stack: {ms:.1f} ms ({response.status_code})")

    print("Refusals, whole stack:")
    nested = '{"memo": ' + "[" * 100_000 + "]" * 100_000 + "}"
    for label, method, url, body in (
        ("JSON nested 100,000 deep", "patch", excerpt_url, nested),
        ("a 5,000-digit number", "patch", excerpt_url, '{"start": ' + "9" * 5000 + "}"),
        ("end of 2**31", "patch", excerpt_url, json.dumps({"end": 2**31})),
        ("a 10 MB memo", "patch", excerpt_url, json.dumps({"memo": "m" * 10 * 1024 * 1024})),
        ("2,000 tags", "post", codes_url, json.dumps({"name": "Many", "tags": [f"t{n}" for n in range(2000)]})),
    ):
        ms, response = median_ms(lambda method=method, url=url, body=body: send(method, url, body))
        print(f"  {label}: {ms:.1f} ms ({response.status_code})")

    print("Writes at the bounds:")
    counter = iter(range(10_000))
    ms, response = median_ms(
        lambda: send(
            "post",
            codes_url,
            json.dumps({"name": f"Tagged {next(counter)}", "tags": [f"t{n}" for n in range(MAX_TAGS)]}),
        )
    )
    print(f"  a code with {MAX_TAGS} tags: {ms:.1f} ms ({response.status_code})")
    etag = {"current": client.get(excerpt_url)["ETag"]}

    def patch_if_match():
        response = send("patch", excerpt_url, '{"is_key_quote": true}', {"If-Match": etag["current"]})
        etag["current"] = response["ETag"]
        return response

    ms, response = median_ms(patch_if_match)
    print(f"  PATCH with If-Match: {ms:.1f} ms ({response.status_code})")
    print(f"  codes in the database: {Code.objects.count()}")


def _try(parse, raw: bytes):
    try:
        return parse(raw)
    except Exception as error:  # noqa: BLE001 - the figure is the time to refuse
        return error


def main() -> None:
    setup_test_environment()
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp()) / "api-bounds-bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"Database: {connection.vendor}")
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
