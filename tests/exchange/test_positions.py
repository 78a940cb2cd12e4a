from __future__ import annotations

import pytest

from exchange.positions import (
    CODE_POINTS,
    CODE_POINTS_BOM,
    UTF16,
    UTF16_LF,
    RawSelection,
    convert_selections,
)

EMOJI_TEXT = "We met 👋 at the hall 🏛️, then talked about money 💷 and trust."


def _utf16(text: str, phrase: str) -> RawSelection:
    index = text.index(phrase)
    start = len(text[:index].encode("utf-16-le")) // 2
    return RawSelection(start, start + len(phrase.encode("utf-16-le")) // 2)


def _code_points(text: str, phrase: str, name: str = "") -> RawSelection:
    index = text.index(phrase)
    return RawSelection(index, index + len(phrase), name)


def _texts(canonical: str, converted) -> list[str | None]:
    return [None if span is None else canonical[span[0] : span[1]] for span in converted.ranges]


def test_code_points_are_the_default_reading():
    selections = [_code_points(EMOJI_TEXT, "the hall"), _code_points(EMOJI_TEXT, "money 💷 and trust")]
    canonical, converted = convert_selections(raw=EMOJI_TEXT, selections=selections)
    assert converted.reading is CODE_POINTS
    assert _texts(canonical, converted) == ["the hall", "money 💷 and trust"]


def test_utf16_code_units_are_detected_from_word_boundaries():
    selections = [_utf16(EMOJI_TEXT, phrase) for phrase in ("the hall", "talked about money", "and trust")]
    canonical, converted = convert_selections(raw=EMOJI_TEXT, selections=selections)
    assert converted.reading is UTF16
    assert _texts(canonical, converted) == ["the hall", "talked about money", "and trust"]


def test_a_name_quoting_the_text_decides_between_readings():
    text = "ab😀cd😀ef😀gh"
    # Under code points [4, 6) is "d😀"; under UTF-16 units it is "cd": the name says which.
    canonical, converted = convert_selections(raw=text, selections=[RawSelection(4, 6, "cd")])
    assert converted.reading is UTF16
    assert _texts(canonical, converted) == ["cd"]
    canonical, converted = convert_selections(raw=text, selections=[RawSelection(4, 6, "d😀")])
    assert converted.reading is CODE_POINTS


def test_a_shortened_name_with_an_ellipsis_still_matches():
    text = "😀 " * 3 + "The partnership began with a single phone call from the council."
    selection = _utf16(text, "The partnership began with a single phone call")
    named = RawSelection(selection.start, selection.end, "The partnership began…")
    _canonical, converted = convert_selections(raw=text, selections=[named])
    assert converted.reading is UTF16


def test_nvivo_origin_breaks_a_tie_towards_utf16():
    text = "💷💷 one two three"
    selection = RawSelection(5, 8)  # "two" in UTF-16 units, " tw" in code points: both plausible by boundary
    _canonical, converted = convert_selections(raw=text, selections=[selection], origin="NVivo for Mac 15")
    assert converted.reading is UTF16


def test_crlf_and_bom_are_removed_and_positions_follow():
    raw = "\ufeffFirst line.\r\nSecond 🙂 line.\r\n\r\nThird line.\r\n"
    body = raw[1:]
    selections = [_utf16(body, "Second 🙂 line."), _utf16(body, "Third line.")]
    canonical, converted = convert_selections(raw=raw, selections=selections)
    assert canonical == "First line.\nSecond 🙂 line.\n\nThird line.\n"
    assert converted.reading is UTF16
    assert _texts(canonical, converted) == ["Second 🙂 line.", "Third line."]


def test_utf16_over_line_endings_counted_once():
    raw = "Alpha 🙂 beta.\r\nGamma 🙂 delta.\r\nEpsilon zeta."
    lf = raw.replace("\r\n", "\n")
    selections = [_utf16(lf, "Gamma"), _utf16(lf, "delta"), _utf16(lf, "Epsilon zeta")]
    canonical, converted = convert_selections(raw=raw, selections=selections)
    assert converted.reading is UTF16_LF
    assert _texts(canonical, converted) == ["Gamma", "delta", "Epsilon zeta"]


def test_a_byte_order_mark_counted_as_a_character_is_detected():
    raw = "\ufeffHello there, general."
    selections = [RawSelection(7, 12), RawSelection(14, 21)]  # "there" and "general" when the BOM counts
    canonical, converted = convert_selections(raw=raw, selections=selections)
    assert converted.reading is CODE_POINTS_BOM
    assert _texts(canonical, converted) == ["there", "general"]


def test_blank_lines_at_the_ends_are_kept_and_so_are_selections_of_them():
    raw = "\r\n\r\nText in the middle.\r\n\r\n"
    body = raw.replace("\r\n", "\n")
    selections = [RawSelection(0, 2), RawSelection(2, 6), RawSelection(2, 23), RawSelection(21, 23)]
    canonical, converted = convert_selections(raw=body, selections=selections)
    assert canonical == body
    assert _texts(canonical, converted) == ["\n\n", "Text", "Text in the middle.\n\n", "\n\n"]
    canonical, converted = convert_selections(raw=raw, selections=[RawSelection(4, 27), RawSelection(0, 4)])
    assert canonical == body
    assert _texts(canonical, converted) == ["Text in the middle.\n\n", "\n\n"]


def test_a_selection_between_the_cr_and_lf_of_a_line_ending_is_dropped_with_why():
    raw = "One line.\r\nAnother line.\r\nA third line.\r\nA fourth."
    body = raw.replace("\r\n", "\n")
    # Under code points over the CRLF text [0, 10) ends between CR and LF: no place in the LF text is that.
    selections = [
        _code_points(raw, "Another line.", name="Another line."),
        _code_points(raw, "A third line.", name="A third line."),
        RawSelection(0, 10),
    ]
    canonical, converted = convert_selections(raw=raw, selections=selections)
    assert canonical == body
    assert converted.reading is CODE_POINTS
    assert _texts(canonical, converted) == ["Another line.", "A third line.", None]
    assert converted.reasons[2] == (
        "it starts or ends between the two characters of a line ending (CR LF), which become one"
    )


def test_impossible_selections_are_explained():
    selections = [RawSelection(5, 3), RawSelection(0, 400), RawSelection(-1, 2)]
    _canonical, converted = convert_selections(raw="Short text.", selections=selections)
    assert converted.ranges == [None, None, None]
    assert converted.reasons == [
        "its positions [5, 3) are not a range",
        "it ends at 400, past the end of the text (11)",
        "its positions [-1, 2) are not a range",
    ]


def test_a_selection_splitting_a_surrogate_pair_is_refused_under_utf16():
    text = "😀😀😀 word word word"
    good = [_utf16(text, "word")] * 5
    _canonical, converted = convert_selections(raw=text, selections=[*good, RawSelection(1, 8)])
    assert converted.reading is UTF16
    assert converted.ranges[-1] is None
    assert converted.reasons[-1] == "it starts or ends inside a character"


def test_a_text_with_two_byte_order_marks_is_refused():
    with pytest.raises(ValueError, match="more than one byte-order mark"):
        convert_selections(raw="\ufeff\ufeffText", selections=[])
