"""Training a project's code model for a reach, and suggesting codes for an interview.

Reach: a model is trained only on the excerpts and interviews the user may see (`disclosure.access`), and is
stored under a key naming that reach. Leads and admins share the whole-project model; a researcher gets the
model of their own reach, trained on demand the first time they ask, and never one trained on more.
"""

from __future__ import annotations

import hashlib
import logging
import pickle

from django.conf import settings
from django.db import transaction

from casestudies.models import Interview, ResearchProject
from coding.models import Excerpt, ExcerptCode
from disclosure.access import blind_interview_ids, can_manage_project
from disclosure.passages import recorded_voices

from . import learning
from .models import CodeModel, RejectedSuggestion

logger = logging.getLogger(__name__)
MIN_PRECISION = getattr(settings, "SUGGEST_MIN_PRECISION", 0.6)
MIN_EXAMPLES = getattr(settings, "SUGGEST_MIN_EXAMPLES", 5)


def _reach(user, project: ResearchProject):
    """The interviews and excerpt-code links of the project that `user` may see (all of them with no user)."""
    interviews = Interview.objects.filter(project=project)
    links = ExcerptCode.objects.filter(excerpt__interview__project=project, code__is_archived=False)
    if user is None or can_manage_project(user, project):
        return interviews, links, "project"
    interviews = interviews.filter(pk__in=Interview.objects.visible_to(user).values("pk"))
    links = links.filter(excerpt__in=Excerpt.objects.visible_to(user).values("pk"))
    visible_ids = sorted(interviews.values_list("pk", flat=True))
    blind = sorted(blind_interview_ids(user, project) & set(visible_ids))
    # Under blind coding the user's own excerpts are part of the reach, so the key names the user too.
    key = f"{visible_ids}|{blind}|{user.pk if blind else ''}"
    return interviews, links, hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def train_code_model(
    *, project: ResearchProject, user=None, min_precision: float = MIN_PRECISION, min_examples: int = MIN_EXAMPLES
) -> CodeModel:
    interviews, links, reach_key = _reach(user, project)
    spans = [
        learning.Span(interview_id, start, end, code_id)
        for interview_id, start, end, code_id in links.values_list(
            "excerpt__interview_id", "excerpt__start", "excerpt__end", "code_id"
        )
    ]
    coded = sorted({span.interview_id for span in spans})
    interviews = interviews.filter(pk__in=coded)
    transcripts = dict(interviews.values_list("pk", "transcript").iterator())
    sentences = []
    for pk, voices in recorded_voices(transcripts, transcripts=transcripts).items():
        sentences += learning.participant_sentences(pk, voices)
    rejected = [
        learning.Span(*row)
        for row in RejectedSuggestion.objects.filter(interview__in=interviews).values_list(
            "interview_id", "start", "end", "code_id"
        )
    ]
    trained, labels = learning.train(sentences, spans, rejected)
    quality = learning.cross_validate(sentences, labels, min_precision=min_precision, min_examples=min_examples)
    model, _ = CodeModel.objects.update_or_create(
        project=project,
        reach_key=reach_key,
        defaults={
            "excerpt_count": len({(s.interview_id, s.start, s.end) for s in spans}),
            "interview_count": len(coded),
            "sentence_count": len(sentences),
            "quality": [q.as_json() for q in quality],
            "artefact": pickle.dumps(trained, protocol=pickle.HIGHEST_PROTOCOL),
        },
    )
    return model


def model_for(*, project: ResearchProject, user=None) -> CodeModel:
    """The stored model of the user's reach, trained now if there is none yet."""
    _, _, reach_key = _reach(user, project)
    model = CodeModel.objects.filter(project=project, reach_key=reach_key).first()
    return model or train_code_model(project=project, user=user)


def suggest_codes(*, interview: Interview, user=None) -> list[dict]:
    """Suggested passages of the interview: sentences of participants' turns with a code the model may suggest,
    not already coded with it by an excerpt the user can see, and not rejected before."""
    model = model_for(project=interview.project, user=user)
    # The artefact is only ever written by train_code_model above, from our own fitted objects.
    trained: learning.Trained = pickle.loads(bytes(model.artefact))  # noqa: S301
    suggested = [q["code_id"] for q in model.quality if q["suggested"]]
    voices = recorded_voices([interview.pk], transcripts={interview.pk: interview.transcript})[interview.pk]
    sentences = learning.participant_sentences(interview.pk, voices)
    scores = trained.predict([s.text for s in sentences], suggested)
    links = ExcerptCode.objects.filter(excerpt__interview=interview)
    if user is not None:
        links = links.filter(excerpt__in=Excerpt.objects.visible_to(user).values("pk"))
    coded = [
        learning.Span(interview.pk, *row) for row in links.values_list("excerpt__start", "excerpt__end", "code_id")
    ]
    already = learning.labels_of(sentences, coded)
    refused = set(RejectedSuggestion.objects.filter(interview=interview).values_list("start", "end", "code_id"))
    out = []
    for code_id, probabilities in scores.items():
        for index, probability in enumerate(probabilities):
            sentence = sentences[index]
            if probability < learning.THRESHOLD or (code_id in already and already[code_id][index]):
                continue
            if (sentence.start, sentence.end, code_id) in refused:
                continue
            out.append(
                {
                    "start": sentence.start,
                    "end": sentence.end,
                    "code_id": code_id,
                    "confidence": round(float(probability), 4),
                }
            )
    return sorted(out, key=lambda item: (item["start"], -item["confidence"]))


@transaction.atomic
def reject_suggestion(*, interview: Interview, code, start: int, end: int, rejected_by) -> RejectedSuggestion:
    """Remembered once per span and code: rejecting it again keeps the first rejection."""
    existing = RejectedSuggestion.objects.filter(interview=interview, code=code, start=start, end=end).first()
    if existing:
        return existing
    rejection = RejectedSuggestion(interview=interview, code=code, start=start, end=end, rejected_by=rejected_by)
    rejection.full_clean()
    rejection.save()
    return rejection


def forget_models(*, project: ResearchProject) -> int:
    """Drop the project's code models, whose vocabulary holds the transcripts' words as they were: called whenever a
    transcript's text changes (a redaction's words must not live on in them). The project-wide model is trained
    again by the worker once the change is committed; the others as their readers next ask. Returns how many went."""
    dropped, _ = CodeModel.objects.filter(project=project).delete()
    if dropped:
        retrain_later(project)
    return dropped


def retrain_later(project: ResearchProject) -> None:
    """The worker trains the project-wide model once the current transaction is committed."""
    transaction.on_commit(lambda: _retrain(project.pk))


def _retrain(project_id: int) -> None:
    from . import tasks

    try:
        tasks.train_code_model.enqueue(project_id)
    except Exception:
        # The model is trained on demand anyway: a queue that is down costs a wait, never the change itself.
        logger.exception("Could not queue the training of project %s's code model", project_id)
