import pytest
from django.db import connection
from django.urls import reverse

from analysis.search import _marked_spans, search_in_python, search_transcripts, searchable_interviews
from coding.models import Excerpt
from tests.factories import (
    make_case_study,
    make_code,
    make_excerpt,
    make_interview,
    make_lead,
    make_participant,
    make_project,
    make_researcher,
)
from tests.querycounts import assert_flat

pytestmark = pytest.mark.django_db

TEXT = (
    "Interviewer: Tell me about the partnership.\n\n"
    "Ruth: The partnerships began in 2009. We merged later! Trust was low 🙂 at first, but the partnership grew.\n\n"
    "Ruth: Funding came from the council <script>alert(1)</script> and it was fine."
)


@pytest.fixture
def corpus():
    project = make_project(slug="s")
    shared, hidden = (
        make_case_study(project, title="Shared", order=1),
        make_case_study(project, title="Hidden", order=2),
    )
    lead = make_lead(project, username="lead")
    researcher = make_researcher(project, shared, username="res")
    main = make_interview(shared, title="Main", transcript=TEXT)
    other = make_interview(shared, title="Other", transcript="Ruth: One partnership only, and no trust at all.")
    secret = make_interview(hidden, title="Secret", transcript="Ruth: The secret partnership with the council.")
    trust = make_code(project, name="Partnership")
    return project, lead, researcher, (main, other, secret), trust


def sentences(results):
    return [
        (interview.title, TEXT[hit.start : hit.end] if interview.title == "Main" else hit.start)
        for interview, hit in results.hits()
    ]


def test_hits_are_the_sentences_with_matches_ranked_by_interview(corpus):
    project, lead, *_ = corpus
    results = search_transcripts(lead, project, "partnership")
    # Main has three matches; Other and Secret one each, and keep their date-then-title order.
    assert [result.interview.title for result in results.results] == ["Main", "Other", "Secret"]
    main = results.results[0]
    assert [TEXT[hit.start : hit.end] for hit in main.hits] == [
        "Tell me about the partnership.",
        "The partnerships began in 2009.",
        "Trust was low 🙂 at first, but the partnership grew.",
    ]
    assert [TEXT[s:e] for hit in main.hits for s, e in hit.matches] == ["partnership", "partnerships", "partnership"]
    grew = main.hits[2]
    assert TEXT[grew.paragraph[0] : grew.paragraph[1]].startswith("The partnerships began")
    assert [(text, mark) for text, mark in grew.snippet] == [
        ("Trust was low 🙂 at first, but the ", False),
        ("partnership", True),
        (" grew.", False),
    ]


def test_phrases_exclusions_and_alternatives(corpus):
    project, lead, *_ = corpus
    assert [r.interview.title for r in search_transcripts(lead, project, '"partnership grew"').results] == ["Main"]
    assert [r.interview.title for r in search_transcripts(lead, project, "trust -merged").results] == ["Other"]
    either = search_transcripts(lead, project, "funding or secret")
    assert sorted(r.interview.title for r in either.results) == ["Main", "Secret"]


def test_a_researcher_searches_only_the_transcripts_they_can_see(corpus):
    project, _, researcher, *_ = corpus
    results = search_transcripts(researcher, project, "partnership")
    assert [result.interview.title for result in results.results] == ["Main", "Other"]


def test_filters_by_case_study(corpus):
    project, lead, _, (main, _, secret), _ = corpus
    results = search_transcripts(lead, project, "council", case_study_ids=(secret.case_study_id,))
    assert [result.interview.title for result in results.results] == ["Secret"]


def test_the_python_fallback_works_on_any_database(corpus):
    project, lead, *_ = corpus
    results = search_in_python(searchable_interviews(lead, project), "partnerships")
    assert [r.interview.title for r in results.results] == ["Main"]
    assert [TEXT[s:e] for _, hit in results.hits() for s, e in hit.matches] == ["partnerships"]
    assert search_in_python(searchable_interviews(lead, project), "-trust").results == []


def test_headline_marks_are_turned_into_offsets():
    marked = "Café \ue000partners\ue001 🙂 and \ue000partnership\ue001."
    assert _marked_spans(marked, "Café partners 🙂 and partnership.") == [(5, 13), (20, 31)]
    assert _marked_spans(marked, "something else") is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_postgresql_stems_words(corpus):
    project, lead, *_ = corpus
    results = search_transcripts(lead, project, "merging")
    assert results.engine == "postgresql"
    assert [TEXT[s:e] for _, hit in results.hits() for s, e in hit.matches] == ["merged"]


def test_the_page_escapes_transcript_text_and_marks_matches(client, corpus):
    project, lead, *_ = corpus
    client.force_login(lead)
    page = client.get(reverse("analysis:search", args=[project.slug]), {"q": "council"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert "<mark>council</mark>" in page


def code(client, project, query, data):
    """Post to "code hits"; the redirect and the messages the search page then shows."""
    url = f"{reverse('analysis:search_code', args=[project.slug])}?q={query}"
    response = client.post(url, data)
    page = client.get(response["Location"])
    return response, [str(message) for message in page.context["messages"]]


def test_coding_selected_hits_makes_excerpts_of_the_searcher(client, corpus):
    project, _, researcher, (main, *_), code_record = corpus
    client.force_login(researcher)
    results = search_transcripts(researcher, project, "partnership")
    first, third = results.results[0].hits[0], results.results[0].hits[2]
    response, said = code(
        client, project, "partnership", {"hits": [first.key, third.key], "code": code_record.pk, "extent": "sentence"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/projects/s/analysis/search/?q=partnership"
    assert said == ["Coded 2 passages with “Partnership”: 2 new excerpts."]
    made = list(Excerpt.objects.order_by("start"))
    assert [(e.text, e.coded_by, list(e.codes.all())) for e in made] == [
        ("Tell me about the partnership.", researcher, [code_record]),
        ("Trust was low 🙂 at first, but the partnership grew.", researcher, [code_record]),
    ]
    _, said = code(client, project, "partnership", {"hits": [first.key], "code": code_record.pk, "extent": "sentence"})
    assert said == ["Coded 1 passage with “Partnership”: 0 new excerpts, 1 already coded."]
    assert Excerpt.objects.count() == 2


def test_coding_all_hits_by_matched_words_and_adding_to_an_existing_excerpt(client, corpus):
    project, lead, _, (main, other, secret), code_record = corpus
    start = TEXT.index("partnerships")
    existing = make_excerpt(main, start=start, end=start + len("partnerships"), coded_by=lead)
    client.force_login(lead)
    _, said = code(client, project, "partnership", {"all": "1", "code": code_record.pk, "extent": "match"})
    assert said == ["Coded 5 passages with “Partnership”: 4 new excerpts, 1 existing excerpt given the code."]
    assert set(existing.codes.all()) == {code_record}
    assert sorted(Excerpt.objects.values_list("text", flat=True)) == ["partnership"] * 4 + ["partnerships"]


def test_coding_with_nothing_selected_writes_nothing(client, corpus):
    project, lead, *_, code_record = corpus
    client.force_login(lead)
    _, said = code(client, project, "partnership", {"code": code_record.pk, "extent": "sentence"})
    assert said == ["Choose at least one hit to code."]
    assert not Excerpt.objects.exists()


def test_an_archived_code_cannot_be_applied(client, corpus):
    project, lead, *_, code_record = corpus
    code_record.is_archived = True
    code_record.save()
    client.force_login(lead)
    _, said = code(client, project, "partnership", {"all": "1", "code": code_record.pk, "extent": "sentence"})
    assert said == ["Select a valid choice. That choice is not one of the available choices."]
    assert not Excerpt.objects.exists()


def test_the_search_page_counts_its_queries(client, corpus):
    project, lead, *_, code_record = corpus
    client.force_login(lead)
    url = reverse("analysis:search", args=[project.slug])

    def grow() -> None:
        for _ in range(2):
            case_study = make_case_study(project)
            for _ in range(3):
                interview = make_interview(case_study, transcript="Ruth: Our partnership grew slowly.")
                interview.participants.set([make_participant(project), make_participant(project)])
                make_excerpt(interview, start=6, end=20, codes=[code_record], coded_by=lead)

    # PostgreSQL searches the stored, indexed vectors; SQLite its fallback in Python: their paths differ by a query.
    expected = 8 if connection.vendor == "postgresql" else 7
    assert_flat(lambda: client.get(url, {"q": "partnership"}), grow, expected=expected)
    assert client.get(url, {"q": "partnership"}).context["results"].hit_count == 11


def test_search_follows_a_replaced_transcript(corpus):
    """On PostgreSQL the stored search vector is recomputed by the database when the transcript changes."""
    from casestudies.services import import_transcript

    project, lead, _, (_, other, _), _ = corpus
    assert [r.interview.title for r in search_transcripts(lead, project, "hovercraft").results] == []
    data = b"Ruth: We crossed by hovercraft to meet the partnership board."
    import_transcript(interview=other, name="other.txt", data=data, imported_by=lead, replace=True)
    results = search_transcripts(lead, project, "hovercraft")
    assert [r.interview.title for r in results.results] == ["Other"]
    assert [other.transcript[s:e] for _, hit in results.hits() for s, e in hit.matches] == ["hovercraft"]
    assert [r.interview.title for r in search_transcripts(lead, project, "trust").results] == ["Main"]  # not Other


def _columns() -> list[str]:
    from casestudies.models import Interview

    with connection.cursor() as cursor:
        return [
            column.name for column in connection.introspection.get_table_description(cursor, Interview._meta.db_table)
        ]


def test_the_stored_search_vector_exists_only_on_postgresql(db):
    assert ("transcript_search" in _columns()) is (connection.vendor == "postgresql")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_ranking_on_the_stored_vectors_is_ranking_on_the_parsed_transcripts(corpus):
    from django.contrib.postgres.search import SearchQuery

    from analysis.search import _rank_postgresql

    project, lead, _, (main, other, secret), _ = corpus
    make_interview(main.case_study, title="Partnership twice", transcript="Ruth: Partnership, partnership, trust.")
    for query in ("partnership", "partnership trust", '"partnership grew" or secret', "trust -merged"):
        terms = SearchQuery(query, config="english", search_type="websearch")
        stored = _rank_postgresql(searchable_interviews(lead, project), terms)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT id, ts_rank(to_tsvector('english', transcript), websearch_to_tsquery('english', %s)) AS rank
                FROM casestudies_interview
                WHERE project_id = %s AND to_tsvector('english', transcript) @@ websearch_to_tsquery('english', %s)
                ORDER BY rank DESC, date NULLS LAST, title, id
                """,
                [query, project.pk, query],
            )
            parsed = [(pk, float(rank)) for pk, rank in cursor.fetchall()]
        assert stored == parsed
        assert stored  # every query matches something here


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_the_migration_drops_the_vector_and_adds_it_back_for_existing_transcripts(corpus):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("analysis.migrations.0002_add_transcript_search_vector")
    project, lead, *_ = corpus
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL alters no table with checks still pending
    with connection.schema_editor() as editor:
        migration.drop_search_vector(apps, editor)
    assert "transcript_search" not in _columns()
    with connection.schema_editor() as editor:
        migration.add_search_vector(apps, editor)
    assert "transcript_search" in _columns()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'analysis_interview_transcript_search'")
        assert "USING gin (transcript_search)" in cursor.fetchone()[0]
    assert [r.interview.title for r in search_transcripts(lead, project, "partnership").results] == [
        "Main",
        "Other",
        "Secret",
    ]
