"""Query counts that cannot hide an N+1: a page is measured, its data grows, and it is measured again.

A cap (`django_assert_max_num_queries`) lets a query per row hide under it while the data is small;
asserting the same exact count at two sizes does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def captured_queries(fn: Callable[[], Any]) -> list[str]:
    """The SQL of every query `fn` runs."""
    with CaptureQueriesContext(connection) as context:
        fn()
    return [query["sql"] for query in context.captured_queries]


def queries_of(fn: Callable[[], Any]) -> int:
    """How many queries `fn` runs."""
    return len(captured_queries(fn))


def assert_flat(make_request: Callable[[], Any], grow: Callable[[], Any], expected: int) -> None:
    """`make_request` runs exactly `expected` queries before and after `grow` adds more of what it lists."""
    before = captured_queries(make_request)
    grow()
    after = captured_queries(make_request)
    assert (len(before), len(after)) == (expected, expected), "\n".join(
        [f"{len(before)} queries, then {len(after)} after growing:", *after]
    )


def grow_coded_material(
    project: Any,
    *,
    codes: Iterable[Any],
    coded_by: Any,
    interviews: Iterable[Any] = (),
    case_studies: int = 2,
    members: Iterable[Any] = (),
) -> None:
    """More of what list pages iterate over, across several parents.

    Each of `interviews` gains excerpts; `case_studies` new case studies, shared with `members`, each get
    two interviews with two new participants (one in a new organisation) and excerpts under every code.
    """
    from casestudies.models import CaseStudyMembership
    from tests import factories as f

    codes = list(codes)
    transcript = "Ruth: We trusted them. Money mattered too, a lot. Trust came later, slowly."
    for interview in interviews:
        for start in range(0, 12, 4):
            f.make_excerpt(interview, start=start, end=start + 3, codes=codes, coded_by=coded_by)
    for _ in range(case_studies):
        case_study = f.make_case_study(project)
        for member in members:
            CaseStudyMembership.objects.get_or_create(case_study=case_study, user=member)
        organisation = f.make_organisation(project)
        for _ in range(2):
            interview = f.make_interview(case_study, transcript=transcript)
            interview.participants.set(
                [f.make_participant(project, organisation=organisation), f.make_participant(project)]
            )
            for start in range(0, 30, 10):
                f.make_excerpt(interview, start=start, end=start + 8, codes=codes, coded_by=coded_by)
