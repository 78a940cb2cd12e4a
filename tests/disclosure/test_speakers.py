"""The speakers of a span, and whether it may be quoted: examples, then random layouts checked against an oracle.

The oracle builds a transcript turn by turn and records, for every character, whose words it is (nobody's for
labels and line breaks). The policy must find exactly those speakers in any span, and call the span quotable
exactly when every one of them may be quoted.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure.speakers import Person, TranscriptVoices, VoiceKind, Withheld, label_matches

RUTH = Person(pk=1, pseudonym="Ruth", role_title="Chief executive", consent_to_quote=True)
JO = Person(pk=2, pseudonym="Jo", role_title="Commissioner", consent_to_quote=False)
PEOPLE = [RUTH, JO]


def passage_of(text: str, words: str, people=PEOPLE):
    start = text.index(words)
    return TranscriptVoices.of(text, people).passage(start, start + len(words))


def test_a_passage_running_from_a_consenting_into_a_non_consenting_turn_is_withheld():
    text = "Ruth: We merged in 2009.\nJo: The council pushed for it."

    passage = passage_of(text, "merged in 2009.\nJo: The council")

    assert [person.pseudonym for person in passage.people] == ["Ruth", "Jo"]
    assert passage.withheld == Withheld.NO_CONSENT
    assert passage.attribution == "Ruth (Chief executive) and Jo (Commissioner)"


def test_the_same_passage_is_quotable_once_both_consent():
    text = "Ruth: We merged in 2009.\nJo: The council pushed for it."
    jo = Person(pk=2, pseudonym="Jo", role_title="Commissioner", consent_to_quote=True)

    passage = passage_of(text, "merged in 2009.\nJo: The council", people=[RUTH, jo])

    assert passage.may_quote


def test_a_passage_that_only_grazes_the_next_speakers_label_is_not_theirs():
    text = "Ruth: We merged in 2009.\nJo: The council pushed for it."

    passage = passage_of(text, "merged in 2009.\nJo")

    assert [person.pseudonym for person in passage.people] == ["Ruth"]
    assert passage.may_quote


def test_words_with_no_speaker_on_record_are_not_quotable():
    text = "Someone: Trust is everything here."

    passage = passage_of(text, "Trust is everything", people=[])

    assert passage.withheld == Withheld.NOT_ON_RECORD
    assert not passage.people


def test_a_label_matching_nobody_in_a_two_person_interview_is_not_on_record():
    text = "Ruth: Fine.\nCommissioners: Both of us would say the same."

    passage = passage_of(text, "Both of us")

    assert passage.withheld == Withheld.NOT_ON_RECORD


def test_the_interviewers_words_are_quotable_and_the_only_participant_answers_under_any_label():
    text = "Interviewer: Why merge?\nR: Money, mostly."

    passage = passage_of(text, "Why merge?\nR: Money", people=[RUTH])

    assert passage.has_interviewer
    assert [person.pseudonym for person in passage.people] == ["Ruth"]
    assert passage.may_quote


def test_one_turn_per_line_gives_each_line_its_own_speaker():
    text = "Interviewer: And the board?\nRuth: The board agreed.\nInterviewer: When?\nRuth: In May."

    passage = passage_of(text, "In May.")

    assert [part.voice.kind for part in passage.parts] == [VoiceKind.PARTICIPANT]
    assert passage.people == [RUTH]


def test_an_unlabelled_paragraph_carries_on_the_speaker_before_it():
    text = "Jo: First point.\n\nAnd a second paragraph of mine."

    passage = passage_of(text, "second paragraph")

    assert passage.people == [JO]
    assert passage.withheld == Withheld.NO_CONSENT


def test_header_lines_are_no_ones_turn_and_do_not_carry_on():
    text = "Interview: Housing one\nDate: 17 May 2011\n\nRuth: We merged.\n\nAnd then we grew."

    header = passage_of(text, "Housing one\nDate: 17 May 2011", people=[RUTH, JO])
    after = passage_of(text, "And then we grew.", people=[RUTH, JO])

    assert header.may_quote and not header.people
    assert [part.voice.kind for part in header.parts] == [VoiceKind.NOTE, VoiceKind.NOTE]
    assert after.people == [RUTH]


def test_labels_name_a_pseudonym_in_full_or_by_its_first_word():
    assert label_matches("Ruth", "Ruth")
    assert label_matches("ruth ellis", "Ruth")
    assert label_matches("Ruth", "Ruth Ellis")
    assert not label_matches("Ruthie", "Ruth")
    assert not label_matches("", "Ruth")


# --- Random layouts ---------------------------------------------------------------------------------------------

SPEAKERS = ["Interviewer", "Ruth", "Jo", "Sam", None]  # Sam is on nobody's record; None: a turn without a label
word = st.text(alphabet="abcdefgh", min_size=1, max_size=6)
body = st.lists(word, min_size=1, max_size=5).map(" ".join)
turn = st.tuples(st.sampled_from(SPEAKERS), body)
separator = st.sampled_from(["\n", "\n\n"])


@st.composite
def layouts(draw):
    turns = draw(st.lists(turn, min_size=1, max_size=8))
    people = draw(st.sampled_from([[], [RUTH], [JO], [RUTH, JO]]))
    text, owners = "", []
    current = None
    for index, (speaker, said) in enumerate(turns):
        if index:
            gap = draw(separator)
            text += gap
            owners += [None] * len(gap)
        if speaker is not None:
            label = f"{speaker}: "
            text += label
            owners += [None] * len(label)
            current = speaker
        elif current is None:
            current = "(start)"
        text += said
        # The spaces between words are no one's words either.
        owners += [None if character == " " else current for character in said]
    return text, owners, people


def expected_voice(owner: str, people: list[Person]):
    """(kind, person pk) the oracle expects for words whose turn was written with label `owner`."""
    if owner == "Interviewer":
        return (VoiceKind.INTERVIEWER, None)
    named = [p for p in people if p.pseudonym == owner]
    if named:
        return (VoiceKind.PARTICIPANT, named[0].pk)
    if len(people) == 1:
        return (VoiceKind.PARTICIPANT, people[0].pk)
    return (VoiceKind.UNKNOWN, None)


@settings(max_examples=300, deadline=None)
@given(layouts(), st.data())
def test_the_speakers_of_any_span_are_exactly_those_whose_words_it_contains(layout, data):
    text, owners, people = layout
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))

    passage = TranscriptVoices.of(text, people).passage(start, end)

    expected = {expected_voice(owners[i], people) for i in range(start, end) if owners[i] is not None}
    found = {(part.voice.kind, part.voice.person.pk if part.voice.person else None) for part in passage.parts}
    assert found == expected
    # Every character of someone's words in the span is in exactly one part; labels and line breaks in none.
    covered = [i for part in passage.parts for i in range(part.start, part.end) if not text[i].isspace()]
    assert covered == [i for i in range(start, end) if owners[i] is not None and not text[i].isspace()]
    consent = {p.pk: p.consent_to_quote for p in people}
    quotable = bool(expected) and all(
        kind == VoiceKind.INTERVIEWER or (kind == VoiceKind.PARTICIPANT and consent[pk]) for kind, pk in expected
    )
    assert passage.may_quote == quotable
