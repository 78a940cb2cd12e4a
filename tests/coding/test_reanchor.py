"""Re-anchoring excerpts after a transcript is corrected: properties over random texts and edits."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coding.reanchor import CHANGED, DELETED, KEPT, Anchors, reanchor

# Letters, spaces, newlines, punctuation and characters outside the Basic Multilingual Plane.
ALPHABET = st.sampled_from(list("aab cde  \n\n.,'") + ["é", "😀", "𝄞", "\r"])
text_strategy = st.text(alphabet=ALPHABET, min_size=1, max_size=120)


@st.composite
def case(draw):
    """A text, excerpts on it, and one edit with the old range it touches."""
    old = draw(text_strategy)
    n = len(old)
    excerpts = []
    for key in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, n - 1))
        end = draw(st.integers(start + 1, n))
        excerpts.append((key, start, end))
    kind = draw(st.sampled_from(["insert", "delete", "replace", "crlf", "lf"]))
    if kind == "crlf":
        # Every newline becomes CRLF (an edit at each newline).
        new = old.replace("\n", "\r\n")
        touched = [(i, i) for i, c in enumerate(old) if c == "\n"]
        return old, new, excerpts, touched
    if kind == "lf":
        new = old.replace("\r\n", "\n")
        touched = [(i, i + 1) for i in range(n - 1) if old[i : i + 2] == "\r\n"]
        return old, new, excerpts, touched
    # Edits near excerpt boundaries are the interesting ones: pick the position from them half the time.
    boundaries = sorted({p for _, s, e in excerpts for p in (s, e)})
    at = draw(st.one_of(st.sampled_from(boundaries), st.integers(0, n)))
    if kind == "insert":
        inserted = draw(st.text(alphabet=ALPHABET, min_size=1, max_size=10))
        return old, old[:at] + inserted + old[at:], excerpts, [(at, at)]
    stop = draw(st.integers(min(at + 1, n), min(n, at + 15)))
    if stop <= at:
        at, stop = max(0, at - 1), max(1, at)
    replacement = "" if kind == "delete" else draw(st.text(alphabet=ALPHABET, min_size=1, max_size=10))
    return old, old[:at] + replacement + old[stop:], excerpts, [(at, stop)]


def covered_by_edit(start, end, touched):
    """Whether an edit falls inside [start, end): a deletion overlapping it, an insertion strictly inside."""
    for lo, hi in touched:
        if lo == hi:
            if start < lo < end:
                return True
        elif lo < end and hi > start:
            return True
    return False


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(case())
def test_untouched_excerpts_keep_their_text_and_none_is_dropped(data):
    old, new, excerpts, touched = data
    outcomes = reanchor(old, new, excerpts)
    assert [o.key for o in outcomes] == [key for key, _, _ in excerpts]  # none silently dropped
    for (_key, start, end), outcome in zip(excerpts, outcomes, strict=True):
        assert outcome.fate in (KEPT, CHANGED, DELETED)
        if outcome.fate == DELETED:
            assert outcome.start is None and outcome.end is None
            continue
        assert 0 <= outcome.start < outcome.end <= len(new)  # offsets within the text
        if outcome.fate == KEPT:
            assert new[outcome.start : outcome.end] == old[start:end]
        if not covered_by_edit(start, end, touched):
            assert outcome.fate == KEPT, (old, new, start, end, touched)
            assert new[outcome.start : outcome.end] == old[start:end]


@settings(max_examples=300)
@given(old=text_strategy, new=text_strategy)
def test_any_two_texts_give_a_fate_for_every_excerpt_within_the_new_text(old, new):
    excerpts = [(i, i, i + 1) for i in range(len(old))] + [("all", 0, len(old))]
    outcomes = reanchor(old, new, excerpts)
    assert len(outcomes) == len(excerpts)
    for (_key, start, end), outcome in zip(excerpts, outcomes, strict=True):
        if outcome.fate == DELETED:
            continue
        assert 0 <= outcome.start < outcome.end <= len(new)
        if outcome.fate == KEPT:
            assert new[outcome.start : outcome.end] == old[start:end]


@settings(max_examples=200)
@given(old=text_strategy, new=text_strategy)
def test_blocks_cover_both_texts_and_equal_blocks_are_equal(old, new):
    anchors = Anchors(old, new)
    i = j = 0
    for block in anchors.blocks:
        assert (block.i1, block.j1) == (i, j)
        if block.equal:
            assert old[block.i1 : block.i2] == new[block.j1 : block.j2]
        i, j = block.i2, block.j2
    assert (i, j) == (len(old), len(new))


@given(st.lists(st.sampled_from(["Kofi", "said", "😀", "the", "council", "\n", " "]), min_size=3, max_size=60))
def test_several_scattered_edits_leave_far_excerpts_alone(words):
    old = " ".join(words)
    first = old.find(" ")
    excerpts = [(0, 0, first if first > 0 else len(old))]
    # Edits only at the very end of the text, well after the first word.
    new = old + " [chief executive] said"
    outcome = reanchor(old, new, excerpts)[0]
    assert outcome.fate == KEPT
    assert (outcome.start, outcome.end) == (0, excerpts[0][2])


def test_fates_of_a_redaction():
    old = "Kofi said that John Smith, the chief, agreed. 😀 John Smith left.\n"
    new = old.replace("John Smith", "[chief executive]")
    excerpts = [
        ("name", old.index("John Smith"), old.index("John Smith") + len("John Smith")),
        ("before", 0, 4),
        ("after", old.index("left"), old.index("left") + 4),
        ("around", old.index("that"), old.index("agreed")),
    ]
    outcomes = {o.key: o for o in reanchor(old, new, excerpts)}
    assert outcomes["name"].fate == CHANGED
    assert new[outcomes["name"].start : outcomes["name"].end] == "[chief executive]"
    assert outcomes["before"].fate == KEPT and new[0:4] == "Kofi"
    assert outcomes["after"].fate == KEPT
    assert new[outcomes["after"].start : outcomes["after"].end] == "left"
    assert outcomes["around"].fate == CHANGED
    assert new[outcomes["around"].start : outcomes["around"].end] == "that [chief executive], the chief, "


def test_a_passage_cut_out_entirely_is_deleted():
    old = "First line.\nA sentence that goes.\nLast line.\n"
    new = "First line.\nLast line.\n"
    start = old.index("A sentence")
    outcome = reanchor(old, new, [("x", start, start + len("A sentence"))])[0]
    assert outcome.fate == DELETED


def test_an_excerpt_outside_the_old_text_is_refused():
    import pytest

    with pytest.raises(ValueError, match="outside the old text"):
        reanchor("abc", "abd", [("x", 2, 9)])
