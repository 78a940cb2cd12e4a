from casestudies.transcripts import normalise_transcript, split_turns


def test_normalising_removes_the_bom_and_unifies_newlines():
    assert (
        normalise_transcript("\ufeffInterviewer: Hi\r\n\r\nR: Hello\rthere\n") == "Interviewer: Hi\n\nR: Hello\nthere"
    )


def test_turns_keep_offsets_into_the_canonical_text_even_after_non_bmp_characters():
    text = "Interviewer: Did it work? 🙂\n\nRuth: Yes — mostly.\n\n[00:01:02] Q: And now?"
    turns = split_turns(text)
    assert [t.speaker for t in turns] == ["Interviewer", "Ruth", "Q"]
    assert [text[t.start : t.end] for t in turns] == [t.text for t in turns]
    assert turns[2].timestamp == "00:01:02"
    assert turns[0].is_interviewer and turns[2].is_interviewer and not turns[1].is_interviewer
    assert [t.body for t in turns] == ["Did it work? 🙂", "Yes — mostly.", "And now?"]


def test_a_paragraph_without_a_label_has_no_speaker():
    assert split_turns("Just some notes: not a turn")[0].speaker == ""


def test_a_line_that_opens_with_a_label_starts_a_turn_without_a_blank_line_before_it():
    text = "Notes before the interview\nInterviewer: Where did it start?\nŁukasz: In Leeds,\nin 2009.\n\nQ: And?"
    turns = split_turns(text)
    assert [(t.speaker, t.text) for t in turns] == [
        ("", "Notes before the interview"),
        ("Interviewer", "Interviewer: Where did it start?"),
        ("Łukasz", "Łukasz: In Leeds,\nin 2009."),
        ("Q", "Q: And?"),
    ]
    assert [text[t.start : t.end] for t in turns] == [t.text for t in turns]


def test_a_label_alone_on_its_line_opens_the_turn_below_it():
    turns = split_turns("(00:04:10) Siân Jones:\nWe met at the café.\n\nnote: not a label")
    assert [(t.timestamp, t.speaker, t.body) for t in turns] == [
        ("00:04:10", "Siân Jones", "We met at the café."),
        ("", "", "note: not a label"),
    ]
