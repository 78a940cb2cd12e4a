"""Restore from history: what was deleted comes back exactly; a merge is undone exactly; bad cases refused."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casestudies.models import Interview
from coding import services as coding
from coding.models import Code, Excerpt, ExcerptCode, Memo
from history import services
from history.models import CodeMerge
from tests.factories import make_case_study, make_code, make_interview, make_lead, make_question, make_researcher

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    case_study = make_case_study()
    project = case_study.project
    lead = make_lead(project)
    coder = make_researcher(project, case_study)
    interview = make_interview(case_study)
    return {"project": project, "lead": lead, "coder": coder, "interview": interview, "case_study": case_study}


def test_a_deleted_excerpt_comes_back_with_its_codes_and_memo(world):
    trust, money, dropped = (make_code(world["project"], name=name) for name in ("Trust", "Money", "Dropped"))
    excerpt = coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["coder"], codes=[trust, dropped], memo="Why"
    )
    # A code removed by an earlier edit stays removed; one added later comes back.
    coding.update_excerpt(excerpt=excerpt, changed_by=world["coder"], codes=[trust, money], is_key_quote=True)
    pk, guid = excerpt.pk, excerpt.guid
    coding.delete_excerpt(excerpt=excerpt, deleted_by=world["coder"])
    assert not Excerpt.objects.filter(pk=pk).exists()

    restored, missing = services.restore_excerpt(excerpt_id=pk, restored_by=world["lead"])

    restored = Excerpt.objects.get(pk=pk)
    assert (restored.start, restored.end, restored.text, restored.memo, restored.is_key_quote) == (
        0,
        11,
        "Interviewer",
        "Why",
        True,
    )
    assert restored.guid == guid and restored.coded_by == world["coder"]
    assert sorted(restored.codes.values_list("name", flat=True)) == ["Money", "Trust"]
    assert missing == []
    last = Excerpt.history.filter(id=pk).latest("history_date")
    assert (last.history_type, last.history_user, last.history_change_reason) == (
        "+",
        world["lead"],
        "Restored from history",
    )


def test_restoring_an_excerpt_re_anchors_by_its_unique_text_when_the_transcript_moved(world):
    interview = world["interview"]
    excerpt = coding.create_excerpt(interview=interview, start=51, end=63, coded_by=world["coder"])
    assert excerpt.text == "With a phone"
    pk = excerpt.pk
    coding.delete_excerpt(excerpt=excerpt, deleted_by=world["coder"])
    Interview.objects.filter(pk=interview.pk).update(transcript="Preface. " + interview.transcript)

    services.restore_excerpt(excerpt_id=pk, restored_by=world["lead"])

    restored = Excerpt.objects.get(pk=pk)
    assert (restored.start, restored.end, restored.text) == (60, 72, "With a phone")


@pytest.mark.parametrize(
    "transcript, message",
    [
        ("Nothing like it.", "no longer contains this excerpt's text"),
        ("An Interviewer and an Interviewer.", "now occurs more than once"),
    ],
)
def test_restoring_an_excerpt_whose_text_cannot_be_placed_is_refused(world, transcript, message):
    excerpt = coding.create_excerpt(interview=world["interview"], start=0, end=11, coded_by=world["coder"])
    pk = excerpt.pk
    coding.delete_excerpt(excerpt=excerpt, deleted_by=world["coder"])
    Interview.objects.filter(pk=world["interview"].pk).update(transcript=transcript)

    with pytest.raises(ValidationError) as refused:
        services.restore_excerpt(excerpt_id=pk, restored_by=world["lead"])

    assert message in " ".join(refused.value.messages)
    assert not Excerpt.objects.filter(pk=pk).exists()


def test_only_leads_restore(world):
    excerpt = coding.create_excerpt(interview=world["interview"], start=0, end=11, coded_by=world["coder"])
    pk = excerpt.pk
    coding.delete_excerpt(excerpt=excerpt, deleted_by=world["coder"])

    with pytest.raises(PermissionDenied):
        services.restore_excerpt(excerpt_id=pk, restored_by=world["coder"])

    assert not Excerpt.objects.filter(pk=pk).exists()


def test_restoring_an_excerpt_that_exists_is_refused(world):
    excerpt = coding.create_excerpt(interview=world["interview"], start=0, end=11, coded_by=world["coder"])
    with pytest.raises(ValidationError, match="has not been deleted"):
        services.restore_excerpt(excerpt_id=excerpt.pk, restored_by=world["lead"])


def test_a_deleted_memo_comes_back(world):
    code = make_code(world["project"], name="Trust")
    memo = coding.save_memo(project=world["project"], author=world["coder"], text="First thoughts", code=code)
    coding.save_memo(project=world["project"], author=world["coder"], text="Second thoughts", memo=memo)
    pk = memo.pk
    Memo.objects.get(pk=pk).delete()

    services.restore_memo(memo_id=pk, restored_by=world["lead"])

    memo = Memo.objects.get(pk=pk)
    assert (memo.text, memo.code, memo.author) == ("Second thoughts", code, world["coder"])


def test_an_archived_code_is_restored_and_a_deleted_one_comes_back(world):
    archived = make_code(world["project"], name="Old")
    coding.set_code_archived(code=archived, is_archived=True)
    services.restore_code(code_id=archived.pk, restored_by=world["lead"])
    assert Code.objects.get(pk=archived.pk).is_archived is False

    parent = make_code(world["project"], name="Parent")
    doomed = coding.create_code(
        project=world["project"], name="Doomed", created_by=world["lead"], parent=parent, definition="Def"
    )
    pk, guid = doomed.pk, doomed.guid
    coding.delete_code(code=doomed)
    services.restore_code(code_id=pk, restored_by=world["lead"])
    back = Code.objects.get(pk=pk)
    assert (back.name, back.parent, back.definition, back.guid) == ("Doomed", parent, "Def", guid)


def test_a_deleted_code_whose_name_was_taken_since_is_refused(world):
    doomed = make_code(world["project"], name="Doomed")
    pk = doomed.pk
    coding.delete_code(code=doomed)
    make_code(world["project"], name="Doomed")

    with pytest.raises(ValidationError, match="already exists"):
        services.restore_code(code_id=pk, restored_by=world["lead"])
    assert not Code.objects.filter(pk=pk).exists()


def test_undoing_a_merge_puts_every_excerpt_back_on_the_code_it_came_from(world):
    project, coder = world["project"], world["coder"]
    question, shared_question = make_question(project), make_question(project)
    source = coding.create_code(
        project=project,
        name="Funding",
        created_by=world["lead"],
        definition="Money matters",
        research_questions=[question, shared_question],
    )
    target = coding.create_code(
        project=project,
        name="Resources",
        created_by=world["lead"],
        definition="Means",
        research_questions=[shared_question],
    )
    child = make_code(project, name="Grants", parent=source)
    only_source = coding.create_excerpt(interview=world["interview"], start=0, end=11, coded_by=coder, codes=[source])
    both = coding.create_excerpt(interview=world["interview"], start=13, end=20, coded_by=coder, codes=[source, target])
    only_target = coding.create_excerpt(interview=world["interview"], start=21, end=30, coded_by=coder, codes=[target])
    memo = coding.save_memo(project=project, author=coder, text="On funding", code=source)
    source_pk = source.pk

    coding.merge_codes(source=source, target=target, merged_by=world["lead"])
    assert not Code.objects.filter(pk=source_pk).exists()
    merge = CodeMerge.objects.get()
    assert (merge.moved_excerpt_ids, merge.shared_excerpt_ids) == ([only_source.pk], [both.pk])

    services.undo_merge(merge=merge, undone_by=world["lead"])

    def codes_of(excerpt):
        return sorted(ExcerptCode.objects.filter(excerpt=excerpt).values_list("code__name", flat=True))

    assert codes_of(only_source) == ["Funding"]
    assert codes_of(both) == ["Funding", "Resources"]
    assert codes_of(only_target) == ["Resources"]
    source = Code.objects.get(pk=source_pk)
    target.refresh_from_db()
    child.refresh_from_db()
    memo.refresh_from_db()
    assert (child.parent, memo.code, target.definition) == (source, source, "Means")
    assert set(source.research_questions.all()) == {question, shared_question}
    assert list(target.research_questions.all()) == [shared_question]
    merge.refresh_from_db()
    assert merge.undone_at is not None
    with pytest.raises(ValidationError, match="already been undone"):
        services.undo_merge(merge=merge, undone_by=world["lead"])


def test_batch_excerpt_writes_record_history_with_their_coder(world):
    code = make_code(world["project"], name="Trust")
    made = coding.create_excerpts(
        interview=world["interview"],
        excerpts=[coding.NewExcerpt(start=0, end=11, codes=[code]), coding.NewExcerpt(start=13, end=20)],
        coded_by=world["coder"],
    )
    rows = Excerpt.history.filter(id__in=[e.pk for e in made])
    assert sorted((row.id, row.history_type, row.history_user_id) for row in rows) == sorted(
        (e.pk, "+", world["coder"].pk) for e in made
    )
    links = ExcerptCode.history.filter(excerpt_id=made[0].pk)
    assert [(row.code_id, row.history_type, row.history_user_id) for row in links] == [
        (code.pk, "+", world["coder"].pk)
    ]


def fields_of(row, *, leave_out=("id", "version", "created_at", "updated_at")) -> dict:
    return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields if f.attname not in leave_out}


def test_a_restored_excerpt_memo_and_code_keep_every_field_they_had(world):
    """Nothing is copied by hand, so nothing is dropped: an excerpt still to be reviewed after a correction comes
    back still to be reviewed."""
    code = make_code(world["project"], name="Trust", definition="Where trust is built.", colour="#336699")
    excerpt = coding.create_excerpt(
        interview=world["interview"], start=0, end=11, coded_by=world["coder"], codes=[code], memo="Why"
    )
    Excerpt.objects.filter(pk=excerpt.pk).update(needs_review=True, is_key_quote=True)
    excerpt.refresh_from_db()
    memo = Memo.objects.create(
        project=world["project"], code=code, title="On trust", text="Trust is slow.", author=world["lead"]
    )
    before = {"excerpt": fields_of(excerpt), "memo": fields_of(memo), "code": fields_of(code)}

    ids = {"excerpt": excerpt.pk, "memo": memo.pk, "code": code.pk}
    coding.delete_excerpt(excerpt=excerpt, deleted_by=world["coder"])
    services.restore_excerpt(excerpt_id=ids["excerpt"], restored_by=world["lead"])
    restored_excerpt = Excerpt.objects.get(pk=ids["excerpt"])
    assert restored_excerpt.needs_review is True
    assert fields_of(restored_excerpt) == before["excerpt"]

    memo.delete()
    services.restore_memo(memo_id=ids["memo"], restored_by=world["lead"])
    assert fields_of(Memo.objects.get(pk=ids["memo"])) == before["memo"]

    ExcerptCode.objects.filter(code=code).delete()
    Memo.objects.filter(code=code).delete()
    code.delete()
    services.restore_code(code_id=ids["code"], restored_by=world["lead"])
    assert fields_of(Code.objects.get(pk=ids["code"])) == before["code"]
