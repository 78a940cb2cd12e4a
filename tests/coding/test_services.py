import pytest
from django.core.exceptions import ValidationError

from coding import services
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
