"""Known answers on a small synthetic corpus with clearly separable codes; reach; rejections; the commands."""

from __future__ import annotations

import json
import pickle
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from casestudies.models import Interview
from coding import corrections
from disclosure.speakers import TranscriptVoices
from suggestions import learning, services
from suggestions.models import CodeModel, RejectedSuggestion
from tests.factories import (
    make_case_study,
    make_code,
    make_excerpt,
    make_interview,
    make_lead,
    make_participant,
    make_project,
    make_researcher,
    make_user,
)

pytestmark = pytest.mark.django_db

FUNDING = [
    "The grant money from the lottery fund paid for the budget.",
    "Our funding bid to the council budget was a grant of money.",
    "Money was tight until the grant funding arrived in the budget.",
]
TRUST = [
    "We trust each other and the relationship feels honest.",
    "Honest conversations built trust in the relationship.",
    "The relationship rests on trust and honest respect.",
]
NEUTRAL = ["The weather was grey on Tuesday.", "I drove to the office early."]


def transcript(extra: str = "") -> str:
    lines = ["Interviewer: Tell me about the grant money and trust."]
    lines += [f"Ruth: {sentence}" for sentence in FUNDING + NEUTRAL + TRUST]
    if extra:
        lines.append(f"Ruth: {extra}")
    return "\n\n".join(lines)


def coded_interview(case_study, participant, funding, trust, coder, extra=""):
    interview = make_interview(case_study, transcript=transcript(extra))
    interview.participants.add(participant)
    text = interview.transcript
    for sentence in FUNDING:
        start = text.index(sentence)
        make_excerpt(interview, start=start, end=start + len(sentence), codes=[funding], coded_by=coder)
    for sentence in TRUST + ([extra] if extra else []):
        start = text.index(sentence)
        make_excerpt(interview, start=start, end=start + len(sentence), codes=[trust], coded_by=coder)
    return interview


@pytest.fixture
def corpus():
    project = make_project()
    case_a, case_b = make_case_study(project), make_case_study(project)
    lead = make_lead(project)
    researcher = make_researcher(project, case_a)
    ruth = make_participant(project, pseudonym="Ruth")
    funding, trust = make_code(project, name="Funding"), make_code(project, name="Trust")
    coded = [coded_interview(case_a, ruth, funding, trust, lead) for _ in range(4)]
    outside = coded_interview(case_b, ruth, funding, trust, lead, extra="Marmalade makes trust honest.")
    held_out = make_interview(
        case_a,
        transcript=(
            "Interviewer: What about the grant and trust?\n\n"
            "Ruth: The lottery grant money went into the budget.\n\n"
            "Ruth: Honest trust holds the relationship together."
        ),
    )
    held_out.participants.add(ruth)
    return project, lead, researcher, funding, trust, coded, outside, held_out


def test_sentences_are_those_of_participants_turns_in_code_points():
    text = "Interviewer: Why? 😀\n\nRuth: Money 😀 matters. Trust too!"
    sentences = learning.participant_sentences(1, TranscriptVoices.of(text, []))
    assert [(s.text, text[s.start : s.end]) for s in sentences] == [
        ("Money 😀 matters.", "Money 😀 matters."),
        ("Trust too!", "Trust too!"),
    ]


def test_the_model_suggests_the_right_code_for_held_out_sentences(corpus):
    project, lead, _, funding, trust, _, _, held_out = corpus
    model = services.train_code_model(project=project, min_precision=0.5, min_examples=3)
    quality = {row["code_id"]: row for row in model.quality}
    assert quality[funding.pk]["examples"] == 15 and quality[trust.pk]["examples"] == 16
    assert quality[funding.pk]["suggested"] and quality[trust.pk]["suggested"]
    assert quality[funding.pk]["precision"] == 1.0 and quality[funding.pk]["recall"] == 1.0

    suggestions = services.suggest_codes(interview=held_out, user=lead)
    text = held_out.transcript
    found = {(text[s["start"] : s["end"]], s["code_id"]) for s in suggestions}
    assert found == {
        ("The lottery grant money went into the budget.", funding.pk),
        ("Honest trust holds the relationship together.", trust.pk),
    }
    assert all(0.5 <= s["confidence"] <= 1 for s in suggestions)


def test_a_rejected_suggestion_is_not_suggested_again(corpus):
    project, lead, _, funding, _, _, _, held_out = corpus
    services.train_code_model(project=project, min_precision=0.5, min_examples=3)
    first = [s for s in services.suggest_codes(interview=held_out, user=lead) if s["code_id"] == funding.pk][0]

    services.reject_suggestion(
        interview=held_out, code=funding, start=first["start"], end=first["end"], rejected_by=lead
    )
    services.reject_suggestion(
        interview=held_out, code=funding, start=first["start"], end=first["end"], rejected_by=lead
    )

    assert RejectedSuggestion.objects.count() == 1
    again = services.suggest_codes(interview=held_out, user=lead)
    assert (first["start"], first["end"], funding.pk) not in {(s["start"], s["end"], s["code_id"]) for s in again}


def test_already_coded_passages_are_not_suggested(corpus):
    project, lead, _, _, _, coded, _, _ = corpus
    services.train_code_model(project=project, min_precision=0.5, min_examples=3)
    assert services.suggest_codes(interview=coded[0], user=lead) == []


def test_a_researchers_model_is_trained_only_within_their_reach(corpus):
    project, lead, researcher, _, trust, _, outside, held_out = corpus
    lead_model = services.model_for(project=project, user=lead)
    researcher_model = services.model_for(project=project, user=researcher)

    assert lead_model.pk != researcher_model.pk
    assert lead_model.interview_count == 5 and researcher_model.interview_count == 4
    vocabulary = lambda model: pickle.loads(bytes(model.artefact)).vectoriser.vocabulary_  # noqa: E731, S301
    assert "marmalade" in vocabulary(lead_model)
    assert "marmalade" not in vocabulary(researcher_model)
    assert services.model_for(project=project, user=researcher).pk == researcher_model.pk
    assert CodeModel.objects.count() == 2


def test_an_outsider_gets_a_model_of_nothing(corpus):
    project, *_ = corpus
    outsider = make_user()
    model = services.model_for(project=project, user=outsider)
    assert (model.interview_count, model.excerpt_count, model.quality) == (0, 0, [])


def test_train_code_model_prints_json_per_code(corpus):
    project, _, _, funding, trust, *_ = corpus
    out = StringIO()
    call_command("train_code_model", "--project", project.slug, "--json", "--min-examples", "3", stdout=out)
    rows = json.loads(out.getvalue())
    assert [set(row) for row in rows] == [{"code_id", "precision", "recall", "examples", "suggested"}] * 2
    assert {row["code_id"] for row in rows} == {funding.pk, trust.pk}


def test_suggest_codes_prints_json_in_code_points(corpus):
    project, _, _, funding, trust, _, _, held_out = corpus
    call_command("train_code_model", "--project", project.slug, "--min-examples", "3", stdout=StringIO())
    out = StringIO()
    call_command("suggest_codes", "--interview", str(held_out.pk), "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert [set(row) for row in rows] == [{"start", "end", "code_id", "confidence"}] * 2
    assert held_out.transcript[rows[0]["start"] : rows[0]["end"]] == "The lottery grant money went into the budget."


def test_the_commands_refuse_unknown_records():
    with pytest.raises(CommandError, match="No project with the slug 'nope'"):
        call_command("train_code_model", "--project", "nope")
    with pytest.raises(CommandError, match="No interview with the id 999999"):
        call_command("suggest_codes", "--interview", "999999", "--json")
    assert CodeModel.objects.count() == 0


def test_a_redaction_drops_the_code_models_and_the_worker_trains_one_without_the_words(
    corpus, django_capture_on_commit_callbacks
):
    project, lead, researcher, *_ = corpus
    services.train_code_model(project=project)
    services.model_for(project=project, user=researcher)
    assert CodeModel.objects.filter(project=project).count() == 2

    def vocabulary() -> set[str]:
        model = CodeModel.objects.get(project=project, reach_key="project")
        return set(pickle.loads(bytes(model.artefact)).vectoriser.vocabulary_)

    assert "marmalade" in vocabulary()
    outside = Interview.objects.get(project=project, transcript__contains="Marmalade")
    redaction = corrections.plan_redaction(
        outside, phrase="Marmalade", replacement="something", scope="interview", start=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        corrections.apply_redaction(redaction, user=lead)
    assert list(CodeModel.objects.filter(project=project).values_list("reach_key", flat=True)) == ["project"]
    assert "marmalade" not in vocabulary()
