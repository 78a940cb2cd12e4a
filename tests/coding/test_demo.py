import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Count

from casestudies.transcripts import TURN_PATTERN, split_turns
from coding import demo
from coding.models import Code, Excerpt, ExcerptCode

pytestmark = pytest.mark.django_db


def test_the_demo_codebook_is_a_tree_linked_to_the_research_questions(demo_project):
    headings = list(
        Code.objects.filter(project=demo_project, parent=None).order_by("order").values_list("name", flat=True)
    )
    assert headings[:3] == ["Forms of partnership", "Drivers of partnership", "Barriers and downsides"]
    assert headings[-1] == "In-vivo codes"
    assert not Code.objects.filter(project=demo_project, parent=None, is_codable=True).exists()
    merger = Code.objects.get(project=demo_project, name="Merger")
    assert merger.parent.name == "Forms of partnership"
    assert merger.definition.startswith("Two or more organisations becoming one")
    assert sorted(merger.research_questions.values_list("short_label", flat=True)) == ["E2", "RQ1"]
    leaves = Code.objects.filter(project=demo_project, is_codable=True)
    assert leaves.count() >= 40
    assert all(code.definition for code in leaves)
    assert not leaves.filter(research_questions=None).exists()
    linked = set(
        Code.research_questions.through.objects.filter(code__project=demo_project).values_list(
            "researchquestion__short_label", flat=True
        )
    )
    assert linked >= {"RQ1", "RQ2", "RQ3", "RQ4", "RQ5", "RQ6", "E1", "E2", "E3", "E4", "E5"}


def test_the_demo_coding_has_hundreds_of_excerpts_by_two_coders_with_key_quotes_and_memos(demo_project):
    excerpts = Excerpt.objects.filter(interview__project=demo_project)
    assert excerpts.count() >= 300
    by_coder = dict(excerpts.values_list("coded_by__username").annotate(n=Count("id")).order_by())
    assert set(by_coder) == {"lead", "researcher"}
    assert by_coder["researcher"] >= 60
    assert excerpts.filter(is_key_quote=True).count() >= 20
    assert excerpts.exclude(memo="").count() >= 40
    assert not excerpts.filter(code_links=None).exists()
    assert excerpts.values("interview").distinct().count() == 14
    researcher_interviews = set(
        excerpts.filter(coded_by__username="researcher").values_list("interview__case_study__slug", flat=True)
    )
    assert researcher_interviews == {"housing-association-mergers", "ni-housing-partnerships"}
    # Some passages are coded by both, so that an agreement check has something to compare.
    lead_spans = set(excerpts.filter(coded_by__username="lead").values_list("interview", "start", "end"))
    researcher_spans = set(excerpts.filter(coded_by__username="researcher").values_list("interview", "start", "end"))
    assert len(lead_spans & researcher_spans) >= 10
    assert researcher_spans - lead_spans


def test_demo_excerpts_are_participants_words_on_sentence_boundaries(demo_project):
    for excerpt in Excerpt.objects.filter(interview__project=demo_project).select_related("interview"):
        text = excerpt.interview.transcript
        assert excerpt.text == text[excerpt.start : excerpt.end]
        turn = next(t for t in split_turns(text) if t.start <= excerpt.start < t.end)
        assert excerpt.end <= turn.end, "an excerpt stays within one turn"
        assert not turn.is_interviewer
        speakers = {p.pseudonym for p in excerpt.interview.participants.all()}
        assert turn.speaker in speakers
        label_end = turn.start + TURN_PATTERN.match(turn.text).end()
        before = text[label_end : excerpt.start].rstrip()
        assert excerpt.start == label_end or re.search(r"[.!?…][\"'”’)\]]*$|\]$", before), excerpt.text[:60]
        assert re.search(r"[.!?…][\"'”’)\]]*$", excerpt.text), excerpt.text[-60:]
        assert "off the record" not in excerpt.text.lower()


def test_codes_fit_their_passages(demo_project):
    """Every code applied by the demo matches one of its phrases in the passage (no random coding)."""
    patterns = demo._compiled()
    links = ExcerptCode.objects.filter(excerpt__interview__project=demo_project).select_related("code", "excerpt")
    for link in links:
        assert patterns[link.code.name].search(link.excerpt.text), (link.code.name, link.excerpt.text[:80])


def test_loading_the_demo_twice_changes_nothing(demo_project):
    def snapshot():
        return (
            list(Code.objects.order_by("pk").values_list("pk", "name", "parent_id", "colour", "definition")),
            list(Excerpt.objects.order_by("pk").values_list("pk", "start", "end", "memo", "is_key_quote", "coded_by")),
            list(ExcerptCode.objects.order_by("pk").values_list("excerpt_id", "code_id")),
        )

    before = snapshot()
    out = io.StringIO()
    call_command("load_partnership_project", "--demo", stdout=out)
    assert snapshot() == before
    assert "0 excerpts added" in out.getvalue()
