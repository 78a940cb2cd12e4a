"""The codebook as a tree: one query, depth-first order with paths, sub-codes, and archived branches."""

import pytest

from coding.tree import CodeTree
from tests.factories import make_code, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def codebook():
    project = make_project()
    trust = make_code(project, name="Trust", order=1)
    money = make_code(project, name="Money", order=2)
    earned = make_code(project, name="Earned", parent=trust, order=1)
    broken = make_code(project, name="Broken", parent=trust, order=1)
    repaired = make_code(project, name="Repaired", parent=broken, is_archived=True)
    again = make_code(project, name="Again", parent=repaired)
    return project, {c.name: c for c in (trust, money, earned, broken, repaired, again)}


def test_the_tree_lists_each_code_before_its_sub_codes_with_depth_and_path(codebook, django_assert_num_queries):
    project, _ = codebook
    with django_assert_num_queries(1):
        tree = CodeTree.of(project)
    assert [(code.name, depth, path) for code, depth, path in tree.rows()] == [
        ("Trust", 0, "Trust"),
        ("Broken", 1, "Trust › Broken"),
        ("Repaired", 2, "Trust › Broken › Repaired"),
        ("Again", 3, "Trust › Broken › Repaired › Again"),
        ("Earned", 1, "Trust › Earned"),
        ("Money", 0, "Money"),
    ]
    assert [code.name for code in tree.children_of(None)] == ["Trust", "Money"]
    assert tree.position[codebook[1]["Money"].pk] == 5


def test_descendants_follow_the_tree_and_can_stop_at_archived_codes(codebook):
    project, codes = codebook
    tree = CodeTree.of(project)
    names = {code.pk: name for name, code in codes.items()}
    assert [names[pk] for pk in tree.descendants(codes["Trust"].pk)] == [
        "Trust",
        "Broken",
        "Repaired",
        "Again",
        "Earned",
    ]
    assert [names[pk] for pk in tree.descendants(codes["Trust"].pk, active_only=True)] == ["Trust", "Broken", "Earned"]
    assert tree.descendants(codes["Money"].pk) == [codes["Money"].pk]


def test_leaving_archived_codes_out_leaves_their_branch_out(codebook):
    project, _ = codebook
    tree = CodeTree.of(project, include_archived=False)
    assert [path for _, _, path in tree.rows()] == ["Trust", "Trust › Broken", "Trust › Earned", "Money"]
