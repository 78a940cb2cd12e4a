import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from coding import services
from coding.colours import PALETTE_COLOURS, colour_distance
from coding.models import Code, Excerpt, ExcerptCode
from coding.selectors import codes_in_tree_order
from tests.factories import make_case_study, make_code, make_excerpt, make_interview, make_project, make_user

pytestmark = pytest.mark.django_db

TEXT = "Interviewer: Was it 🙂 or 😬?\n\nRuth: Café – 合作 – شراكة, honestly."


@pytest.fixture
def interview():
    return make_interview(make_case_study(make_project()), transcript=TEXT)


def test_an_excerpt_stores_the_code_points_it_covers_beyond_the_bmp(interview):
    start = TEXT.index("🙂")
    excerpt = services.create_excerpt(interview=interview, start=start, end=start + 6, coded_by=make_user())
    assert excerpt.text == "🙂 or 😬"
    assert Excerpt.objects.get().text == TEXT[start : start + 6]


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (-1, 4, "start", "Start must be a whole number of characters, 0 or more."),
        (5, 5, "end", "End (5) must come after start (5)."),
        (9, 3, "end", "End (3) must come after start (9)."),
        (0, len(TEXT) + 1, "end", f"End {len(TEXT) + 1} is past the end of the transcript ({len(TEXT)} characters)."),
    ],
)
def test_an_out_of_range_excerpt_is_refused_and_nothing_is_written(interview, start, end, field, message):
    with pytest.raises(ValidationError) as error:
        services.create_excerpt(interview=interview, start=start, end=end, coded_by=make_user())
    assert error.value.message_dict[field] == [message]
    assert not Excerpt.objects.exists()


def test_a_code_from_another_project_is_refused(interview):
    foreign = make_code(make_project(), name="Trust")
    with pytest.raises(ValidationError) as error:
        services.create_excerpt(interview=interview, start=0, end=5, coded_by=make_user(), codes=[foreign])
    assert error.value.message_dict["code_ids"] == ["The code “Trust” belongs to another project."]
    assert not Excerpt.objects.exists()


def test_merging_moves_excerpts_children_and_links_without_duplicates(interview):
    project = interview.project
    source, target = make_code(project, name="Trust"), make_code(project, name="Trust and distrust")
    child = make_code(project, name="Broken promises", parent=source)
    both = make_excerpt(interview, codes=[source, target])
    only_source = make_excerpt(interview, start=3, codes=[source])
    services.merge_codes(source=source, target=target)
    assert not Code.objects.filter(pk=source.pk).exists()
    assert set(both.codes.all()) == {target}
    assert set(only_source.codes.all()) == {target}
    assert ExcerptCode.objects.filter(code=target).count() == 2
    child.refresh_from_db()
    assert child.parent == target


def test_a_code_cannot_move_under_its_own_descendant(interview):
    project = interview.project
    top = make_code(project, name="Drivers")
    middle = make_code(project, name="Financial", parent=top)
    bottom = make_code(project, name="Lenders", parent=middle)
    with pytest.raises(ValidationError) as error:
        services.move_code(code=top, parent=bottom)
    assert error.value.message_dict["parent"] == ["A code cannot be moved under itself or one of its own sub-codes."]
    top.refresh_from_db()
    assert top.parent is None


def test_sibling_names_are_unique_ignoring_case(interview):
    project = interview.project
    services.create_code(project=project, name="Trust", created_by=None)
    with pytest.raises(ValidationError) as error:
        services.create_code(project=project, name="trust", created_by=None)
    assert error.value.message_dict["name"] == ["A code named “trust” already exists at the top of the codebook."]
    assert Code.objects.count() == 1


def test_the_tree_lists_codes_depth_first_with_paths(interview):
    project = interview.project
    drivers = make_code(project, name="Drivers")
    make_code(project, name="Barriers")
    make_code(project, name="Financial", parent=drivers)
    rows = [(depth, path) for _, depth, path in codes_in_tree_order(project)]
    assert rows == [(0, "Barriers"), (0, "Drivers"), (1, "Drivers › Financial")]


def test_many_excerpts_are_created_at_once_with_their_codes(interview):
    coder = make_user()
    trust = make_code(interview.project, name="Trust")
    made = services.create_excerpts(
        interview=interview,
        coded_by=coder,
        excerpts=[
            services.NewExcerpt(start=TEXT.index("🙂"), end=TEXT.index("🙂") + 1, codes=[trust]),
            services.NewExcerpt(start=TEXT.index("合作"), end=TEXT.index("合作") + 2, memo="CJK", is_key_quote=True),
        ],
    )
    assert [excerpt.text for excerpt in made] == ["🙂", "合作"]
    assert list(Excerpt.objects.get(text="🙂").codes.all()) == [trust]
    assert Excerpt.objects.get(text="合作").memo == "CJK"


def test_one_bad_excerpt_in_a_batch_writes_none(interview):
    with pytest.raises(ValidationError) as error:
        services.create_excerpts(
            interview=interview,
            coded_by=make_user(),
            excerpts=[services.NewExcerpt(start=0, end=5), services.NewExcerpt(start=9, end=3)],
        )
    assert error.value.messages == ["Excerpt 2 [9, 3): End (3) must come after start (9)."]
    assert not Excerpt.objects.exists()


def test_a_batch_keeps_each_excerpts_own_coder_guid_and_recorded_dates(interview):
    batch_coder, own_coder = make_user(), make_user()
    trust, money = make_code(interview.project, name="Trust"), make_code(interview.project, name="Money")
    guid = uuid.UUID("6f0a2b1c-0000-4000-8000-000000000001")
    made_at = dt.datetime(2011, 5, 12, 9, 30, tzinfo=dt.UTC)
    changed_at = dt.datetime(2011, 6, 1, 14, 0, tzinfo=dt.UTC)
    applied_at = dt.datetime(2011, 5, 13, 10, 0, tzinfo=dt.UTC)
    services.create_excerpts(
        interview=interview,
        coded_by=batch_coder,
        excerpts=[
            services.NewExcerpt(
                start=TEXT.index("🙂"),
                end=TEXT.index("🙂") + 1,
                codes=[trust, money],
                coded_by=own_coder,
                guid=guid,
                created_at=made_at,
                updated_at=changed_at,
                applied_at={trust.pk: applied_at},
            ),
            services.NewExcerpt(start=TEXT.index("合作"), end=TEXT.index("合作") + 2),
        ],
    )
    kept = Excerpt.objects.get(text="🙂")
    assert (kept.coded_by, kept.guid, kept.created_at, kept.updated_at) == (own_coder, guid, made_at, changed_at)
    assert ExcerptCode.objects.get(excerpt=kept, code=trust).applied_at == applied_at
    assert ExcerptCode.objects.get(excerpt=kept, code=money).applied_at > changed_at
    assert ExcerptCode.objects.get(excerpt=kept, code=money).applied_by == own_coder
    plain = Excerpt.objects.get(text="合作")
    assert plain.coded_by == batch_coder
    assert plain.created_at > changed_at


def test_a_batch_with_a_guid_already_in_use_writes_none(interview):
    taken = make_excerpt(interview, start=0, end=5)
    with pytest.raises(ValidationError) as error:
        services.create_excerpts(
            interview=interview,
            coded_by=make_user(),
            excerpts=[services.NewExcerpt(start=6, end=9), services.NewExcerpt(start=9, end=12, guid=taken.guid)],
        )
    assert error.value.messages == [f"Excerpt 2 [9, 12): An excerpt with the GUID {taken.guid} already exists."]
    assert list(Excerpt.objects.all()) == [taken]


def test_a_batch_needs_a_coder_for_every_excerpt(interview):
    with pytest.raises(ValidationError) as error:
        services.create_excerpts(interview=interview, excerpts=[services.NewExcerpt(start=0, end=5)])
    assert error.value.messages == ["Excerpt 1 [0, 5): An excerpt needs a coder."]
    assert not Excerpt.objects.exists()


def test_an_imported_code_keeps_its_guid_unless_another_code_has_it(interview):
    guid = uuid.UUID("6f0a2b1c-0000-4000-8000-000000000002")
    code = services.create_code(project=interview.project, name="Trust", created_by=None, guid=guid, order=3)
    assert (code.guid, code.order) == (guid, 3)
    with pytest.raises(ValidationError) as error:
        services.create_code(project=make_project(), name="Trust", created_by=None, guid=guid)
    assert error.value.messages == ["Code with this Guid already exists."]
    assert Code.objects.count() == 1


def test_a_new_code_takes_a_palette_colour_that_no_sibling_or_parent_uses(interview):
    project = interview.project
    codes = [services.create_code(project=project, name=f"Theme {n}", created_by=None) for n in range(9)]
    assert sorted(code.colour for code in codes) == sorted(PALETTE_COLOURS)
    assert codes[0].colour == PALETTE_COLOURS[0]
    # No grey: a grey highlight reads as "no colour". The second code, furthest from the first, is not one either.
    more = [services.create_code(project=project, name=f"More {n}", created_by=None) for n in range(12)]
    for code in codes + more:
        red, green, blue = (int(code.colour[i : i + 2], 16) for i in (1, 3, 5))
        assert max(red, green, blue) - min(red, green, blue) > 40, code.colour
    parent = codes[1]
    children = [
        services.create_code(project=project, name=f"Sub {n}", parent=parent, created_by=None) for n in range(3)
    ]
    colours = [child.colour for child in children]
    assert parent.colour not in colours
    assert len(set(colours)) == 3


def test_a_new_code_avoids_a_colour_close_to_one_already_in_use(interview):
    project = interview.project
    # Five oranges chosen by hand: the next code must not be a sixth.
    for n, colour in enumerate(["#ff7f0e", "#ff8c1a", "#f97306", "#ffa040", "#e8740c"]):
        services.create_code(project=project, name=f"Orange {n}", colour=colour, created_by=None)
    new = services.create_code(project=project, name="Fresh", created_by=None)
    assert new.colour in PALETTE_COLOURS
    assert min(colour_distance(new.colour, c) for c in ["#ff7f0e", "#ff8c1a", "#f97306"]) > 300


@pytest.mark.parametrize("name", ["Barriers / Time pressure", "Barriers/Time", "Drivers › Lenders"])
def test_a_code_name_with_a_path_separator_is_refused_and_nothing_is_saved(interview, name):
    with pytest.raises(ValidationError) as error:
        services.create_code(project=interview.project, name=name, created_by=None)
    assert "cannot contain “/” or “›”" in error.value.messages[0]
    assert "choose its parent" in error.value.messages[0]
    assert Code.objects.count() == 0


def test_renaming_a_code_to_a_path_is_refused_but_an_imported_slash_name_survives_other_edits(interview):
    code = services.create_code(project=interview.project, name="Trust", created_by=None)
    with pytest.raises(ValidationError):
        services.update_code(code=code, name="Trust / Low")
    code.refresh_from_db()
    assert code.name == "Trust"
    imported = services.create_code(project=interview.project, name="Time/cost", created_by=None, allow_separator=True)
    services.update_code(code=imported, name="Time/cost", definition="Both at once")
    imported.refresh_from_db()
    assert (imported.name, imported.definition) == ("Time/cost", "Both at once")


def test_an_excerpt_of_a_deferred_transcript_is_measured_and_sliced_by_the_database(interview):
    from casestudies.models import Interview

    deferred = Interview.objects.defer("transcript").get(pk=interview.pk)
    start = TEXT.index("😬")
    excerpt = services.create_excerpt(interview=deferred, start=start, end=start + 1, coded_by=make_user())
    assert excerpt.text == "😬"
    assert "transcript" in deferred.get_deferred_fields()
    with pytest.raises(ValidationError) as error:
        services.create_excerpt(interview=deferred, start=0, end=len(TEXT) + 1, coded_by=make_user())
    assert error.value.message_dict["end"] == [
        f"End {len(TEXT) + 1} is past the end of the transcript ({len(TEXT)} characters)."
    ]
