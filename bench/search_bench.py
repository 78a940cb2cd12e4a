"""Benchmark of transcript search alone, on the data of bench/analysis_bench.py (200 interviews of about
35,000 characters each), built there if it is missing.

    .venv/bin/python bench/search_bench.py                                            # SQLite (Python fallback)
    DATABASE_URL=postgres:///bench_analysis .venv/bin/python bench/search_bench.py    # (createdb first)

Times several kinds of query as a project lead runs them (the median of five runs after one warm-up), and on
PostgreSQL the two parts of a search apart: ranking on the stored vectors, and marking the matches of the
best-ranked interviews with ts_headline. Then the whole search page. Target: each well under one second.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_bench import SLUG, build, timed  # noqa: E402  (sets Django up)
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.postgres.search import SearchQuery  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from analysis.search import _rank_postgresql, search_transcripts, searchable_interviews  # noqa: E402
from casestudies.models import ResearchProject  # noqa: E402

QUERIES = [
    ("two common words, every interview matches", "partnership trust"),
    ("one word", "accountability"),
    ("a phrase", '"partnership trust"'),
    ("alternatives and an exclusion", "merger or consortium -volunteer"),
    ("no match", "hovercraft"),
]


def main() -> None:
    call_command("migrate", verbosity=0)
    project = ResearchProject.objects.filter(slug=SLUG).first() or build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    lead = get_user_model().objects.get(username="bench-lead")
    print(f"Database: {connection.vendor}; {project.interviews.count()} interviews\n")
    for label, query in QUERIES:
        results = search_transcripts(lead, project, query)
        counts = (
            f"{len(results.results)} interviews, {results.hit_count} hits{' (capped)' if results.is_capped else ''}"
        )
        timed(f"Search {query!r}: {counts}", lambda query=query: search_transcripts(lead, project, query))
        print(f"  ({label})")
    if connection.vendor == "postgresql":
        terms = SearchQuery("partnership trust", config="english", search_type="websearch")
        timed(
            "  of which ranking on the stored vectors",
            lambda: _rank_postgresql(searchable_interviews(lead, project), terms),
        )
    client = Client(headers={"host": "localhost"})
    client.force_login(lead)
    url = reverse("analysis:search", args=[project.slug])
    timed("Whole search page for 'partnership trust' (HTML)", lambda: client.get(url, {"q": "partnership trust"}))


if __name__ == "__main__":
    main()
