"""Learning codes from the team's own coding: sentences of participants' turns, TF-IDF word n-grams and one
logistic regression per code, with quality measured by cross-validation grouped by interview.

Pure: it works on texts and spans handed to it, and reads nothing from the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from disclosure.speakers import TranscriptVoices, VoiceKind

# The coding page's sentence navigation (static/js/coding/text.js) splits the same way when the browser has no
# Intl.Segmenter: up to and including a run of end marks and closing quotes.
SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+[\"'”’)\]]*|$)\s*")
THRESHOLD = 0.5
REJECTED_WEIGHT = 5.0  # a rejected suggestion counts as this many ordinary negatives
MAX_SENTENCES = 400_000  # bound on one training set: beyond it training refuses rather than exhausting memory


@dataclass(frozen=True)
class Sentence:
    interview_id: int
    start: int
    end: int
    text: str


def participant_sentences(interview_id: int, voices: TranscriptVoices) -> list[Sentence]:
    """The sentences of the participants' turns (as recorded: `disclosure.passages.recorded_voices`), offsets in
    code points; labels and interviewer turns excluded."""
    sentences = []
    transcript = voices.text
    for turn in voices.turns:
        if turn.voice.kind not in (VoiceKind.PARTICIPANT, VoiceKind.UNKNOWN):
            continue
        body = transcript[turn.body_start : turn.end]
        for match in SENTENCE.finditer(body):
            piece = match.group(0)
            lead = len(piece) - len(piece.lstrip())
            trimmed = piece.rstrip()
            if not trimmed.strip():
                continue
            start = turn.body_start + match.start() + lead
            end = turn.body_start + match.start() + len(trimmed)
            if end > start:
                sentences.append(Sentence(interview_id, start, end, transcript[start:end]))
    return sentences


@dataclass(frozen=True)
class Span:
    interview_id: int
    start: int
    end: int
    code_id: int


def _covered(sentence: Sentence, span: Span) -> bool:
    """A sentence carries a span's code when the span covers most of the sentence."""
    overlap = min(sentence.end, span.end) - max(sentence.start, span.start)
    return overlap * 2 > sentence.end - sentence.start


def labels_of(sentences: Sequence[Sentence], spans: Iterable[Span]) -> dict[int, np.ndarray]:
    """For each code, a 0/1 array over the sentences."""
    by_interview: dict[int, list[int]] = {}
    for index, sentence in enumerate(sentences):
        by_interview.setdefault(sentence.interview_id, []).append(index)
    labels: dict[int, np.ndarray] = {}
    for span in spans:
        row = labels.setdefault(span.code_id, np.zeros(len(sentences), dtype=np.int8))
        for index in by_interview.get(span.interview_id, ()):
            sentence = sentences[index]
            if sentence.end > span.start and sentence.start < span.end and _covered(sentence, span):
                row[index] = 1
    return labels


def _vectoriser() -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, max_features=200_000)


@dataclass
class Trained:
    vectoriser: TfidfVectorizer
    classifiers: dict[int, LogisticRegression] = field(default_factory=dict)

    def predict(self, texts: Sequence[str], code_ids: Iterable[int]) -> dict[int, np.ndarray]:
        if not texts:
            return {}
        matrix = self.vectoriser.transform(texts)
        return {
            code_id: self.classifiers[code_id].predict_proba(matrix)[:, 1]
            for code_id in code_ids
            if code_id in self.classifiers
        }


def _fit(matrix, y: np.ndarray, weights: np.ndarray) -> LogisticRegression | None:
    if y.min() == y.max():
        return None
    return LogisticRegression(C=10.0, class_weight="balanced", max_iter=1000).fit(matrix, y, sample_weight=weights)


def _weights(code_id: int, count: int, rejected: dict[int, set[int]]) -> np.ndarray:
    weights = np.ones(count)
    for index in rejected.get(code_id, ()):
        weights[index] = REJECTED_WEIGHT
    return weights


def train(
    sentences: Sequence[Sentence], spans: Iterable[Span], rejected_spans: Iterable[Span] = ()
) -> tuple[Trained, dict[int, np.ndarray]]:
    """Fit the vectoriser and one classifier per code; returns the model and the labels it learnt from."""
    if len(sentences) > MAX_SENTENCES:
        raise ValueError(f"Training is limited to {MAX_SENTENCES} sentences; this reach has {len(sentences)}.")
    labels = labels_of(sentences, spans)
    rejected = _rejected_indices(sentences, labels, rejected_spans)
    vectoriser = _vectoriser()
    matrix = vectoriser.fit_transform([s.text for s in sentences]) if sentences else None
    trained = Trained(vectoriser)
    for code_id, y in labels.items():
        classifier = _fit(matrix, y, _weights(code_id, len(sentences), rejected))
        if classifier is not None:
            trained.classifiers[code_id] = classifier
    return trained, labels


def _rejected_indices(sentences, labels, rejected_spans) -> dict[int, set[int]]:
    """Sentences covered by a rejected suggestion: negatives of that code (weighted), unless coded with it."""
    rejected: dict[int, set[int]] = {}
    for code_id, row in labels_of(sentences, rejected_spans).items():
        coded = labels.get(code_id)
        rejected[code_id] = {int(i) for i in np.flatnonzero(row) if coded is None or not coded[i]}
    return rejected


@dataclass(frozen=True)
class Quality:
    code_id: int
    precision: float | None
    recall: float | None
    examples: int
    suggested: bool

    def as_json(self) -> dict:
        return {
            "code_id": self.code_id,
            "precision": self.precision,
            "recall": self.recall,
            "examples": self.examples,
            "suggested": self.suggested,
        }


def cross_validate(
    sentences: Sequence[Sentence],
    labels: dict[int, np.ndarray],
    *,
    min_precision: float,
    min_examples: int,
    folds: int = 5,
) -> list[Quality]:
    """Precision and recall per code from GroupKFold by interview: no interview is in both training and test."""
    groups = np.array([s.interview_id for s in sentences])
    distinct = len(set(groups.tolist()))
    texts = [s.text for s in sentences]
    counts = {code_id: {"tp": 0, "fp": 0, "fn": 0} for code_id in labels}
    if distinct >= 2:
        for train_index, test_index in GroupKFold(n_splits=min(folds, distinct)).split(texts, groups=groups):
            vectoriser = _vectoriser()
            train_matrix = vectoriser.fit_transform([texts[i] for i in train_index])
            test_matrix = vectoriser.transform([texts[i] for i in test_index])
            for code_id, y in labels.items():
                truth = y[test_index]
                classifier = _fit(train_matrix, y[train_index], np.ones(len(train_index)))
                guess = (
                    np.zeros(len(test_index), dtype=np.int8)
                    if classifier is None
                    else (classifier.predict_proba(test_matrix)[:, 1] >= THRESHOLD).astype(np.int8)
                )
                counts[code_id]["tp"] += int(((guess == 1) & (truth == 1)).sum())
                counts[code_id]["fp"] += int(((guess == 1) & (truth == 0)).sum())
                counts[code_id]["fn"] += int(((guess == 0) & (truth == 1)).sum())
    qualities = []
    for code_id, y in sorted(labels.items()):
        tp, fp, fn = counts[code_id]["tp"], counts[code_id]["fp"], counts[code_id]["fn"]
        precision = round(tp / (tp + fp), 4) if distinct >= 2 and tp + fp else None
        recall = round(tp / (tp + fn), 4) if distinct >= 2 and tp + fn else None
        examples = int(y.sum())
        suggested = examples >= min_examples and precision is not None and precision >= min_precision
        qualities.append(Quality(code_id, precision, recall, examples, suggested))
    return qualities
