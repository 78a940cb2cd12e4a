"""What recording history costs on the hot path: creating an excerpt (with two codes) through the coding API.

    .venv/bin/python bench/history_cost.py                      # SQLite (a temporary file)
    DATABASE_URL=postgres:///partnership .venv/bin/python bench/history_cost.py   # PostgreSQL (test_partnership)

Both figures come from the same run on the same throw-away database: blocks of requests with history recorded
and blocks with it switched off alternate, so that a busy machine slows both alike. Each request goes through
the full Django stack in process (middleware, session, CSRF, access checks, JSON). It prints the medians, the
difference and whether it meets the target (under 15% more).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from simple_history.models import HistoricalRecords  # noqa: E402

TARGET = 0.15


@contextlib.contextmanager
def history_off():
    """No historical rows written: the per-save record and the batch writes' history both skipped."""
    from coding import services

    def plain_bulk_create(objs, model, batch_size=None, **_ignored):
        return model.objects.bulk_create(objs, batch_size=batch_size)

    saved_record, saved_bulk = HistoricalRecords.create_historical_record, services.bulk_create_with_history
    HistoricalRecords.create_historical_record = lambda self, instance, history_type, using=None: None
    services.bulk_create_with_history = plain_bulk_create
    try:
        yield
    finally:
        HistoricalRecords.create_historical_record = saved_record
        services.bulk_create_with_history = saved_bulk


def run(options: argparse.Namespace) -> None:
    from coding.models import Excerpt
    from tests.factories import make_case_study, make_code, make_interview, make_researcher

    case_study = make_case_study()
    coder = make_researcher(case_study.project, case_study)
    words = ("partnership council contract trust funding board tenants housing charity " * 1200).split()
    interview = make_interview(case_study, transcript=" ".join(words))
    codes = [make_code(case_study.project, name=f"Code {n}").pk for n in range(2)]
    client = Client()
    client.force_login(coder)
    url = f"/api/interviews/{interview.pk}/excerpts"
    length = len(interview.transcript)
    position = 0

    def create() -> float:
        nonlocal position
        start = (position * 37) % (length - 100)
        position += 1
        body = json.dumps({"start": start, "end": start + 60, "code_ids": codes})
        began = time.perf_counter()
        response = client.post(url, data=body, content_type="application/json")
        elapsed = time.perf_counter() - began
        if response.status_code != 201:
            raise SystemExit(f"POST failed: {response.status_code} {response.content[:300]!r}")
        return elapsed * 1000

    for _ in range(20):  # warm up both paths
        create()
        with history_off():
            create()
    with_history: list[float] = []
    without: list[float] = []
    for _ in range(options.blocks):
        with_history += [create() for _ in range(options.block_size)]
        with history_off():
            without += [create() for _ in range(options.block_size)]
    recorded = Excerpt.history.count()
    on, off = statistics.median(with_history), statistics.median(without)
    extra = on / off - 1
    engine = connection.vendor
    print(f"History cost on excerpt creation ({engine}, {len(with_history)} requests each way, two codes each)")
    print(f"  median with history:    {on:7.2f} ms")
    print(f"  median without history: {off:7.2f} ms")
    verdict = "OK" if extra < TARGET else "MISSED"
    print(f"  difference:             {extra:+7.1%}  (target: under {TARGET:.0%} more) {verdict}")
    print(f"  historical excerpt rows written: {recorded}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=20)
    parser.add_argument("--block-size", type=int, default=15)
    options = parser.parse_args()
    setup_test_environment()
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(Path(tempfile.mkdtemp()) / "history-bench.sqlite3")
    database["CONN_MAX_AGE"] = None
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        run(options)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
