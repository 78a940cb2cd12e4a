"""The reach rules: which rows a user may see, as conditions over lookup paths. Every model's `visible_to` builds
on these, and nothing else decides reach.

- Admins (staff) see everything; anonymous and switched-off users nothing.
- A project's leads see their whole project.
- Researchers see the case studies they are members of, their interviews and participants, and their
  project's scoping interviews.
- Under blind coding a coder sees only their own excerpts of the interview until a lead reveals everyone's.

This module imports no model: the records import it, and `disclosure.access` (the loaders and checks that views,
exports, builds and commands call) sits above both. Where a rule needs a set of other records (the interviews an
excerpt may belong to), the caller's model passes that queryset in.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

from casestudies.roles import ProjectRole


def signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def within_reach(queryset: QuerySet, user, reach: Q | Callable[[], Q], *, joins: bool = True) -> QuerySet:
    """Nothing for anonymous or inactive users, everything for admins, else the rows matching `reach`. Where
    `reach` needs querysets of other records, pass a function that builds it: it is then built only for a
    signed-in user who is not an admin.

    Where `reach` joins to-many relations, an id subquery rather than DISTINCT: the joins repeat rows, and
    DISTINCT would compare whole rows.
    """
    if not signed_in(user):
        return queryset.none()
    if user.is_staff:
        return queryset
    if callable(reach):
        reach = reach()
    if not joins:
        return queryset.filter(reach)
    return queryset.filter(pk__in=queryset.model._base_manager.filter(reach).values("pk"))


def leads(user, project: str = "project") -> Q:
    """The user leads the project at lookup path `project` (`""` for a project itself)."""
    memberships = f"{project}__memberships" if project else "memberships"
    return Q(**{f"{memberships}__user": user, f"{memberships}__role": ProjectRole.LEAD})


def project_reach(user) -> Q:
    """A project is seen by its members and by the members of its case studies."""
    return Q(memberships__user=user) | Q(case_studies__memberships__user=user)


def case_study_reach(user) -> Q:
    """Project leads see their projects' case studies; others the ones they are members of."""
    return leads(user) | Q(memberships__user=user)


def interview_reach(user, path: str = "") -> Q:
    """Interviews of visible case studies, and the scoping interviews of the user's projects; `path` leads from
    the queried record to its interviews (`"interviews__"` from a participant)."""
    return (
        leads(user, f"{path}project")
        | Q(**{f"{path}case_study__memberships__user": user})
        | Q(**{f"{path}case_study__isnull": True, f"{path}project__memberships__user": user})
    )


def participant_reach(user) -> Q:
    """A participant is visible with any interview of theirs the user can see, or to leads of the project."""
    return leads(user) | interview_reach(user, "interviews__")


def open_coding(user) -> Q:
    """Interviews whose every coder's excerpts the user sees: not blind-coded, revealed, or in a project the user
    leads (leads see through blind coding)."""
    return Q(is_blind_coding=False) | Q(blind_revealed_at__isnull=False) | leads(user)


def excerpt_reach(user, interviews: QuerySet) -> Q:
    """Excerpts of the interviews the user can see (`interviews`, already narrowed to their reach): everyone's
    where coding is open to them (`open_coding`), else only their own."""
    return Q(interview__in=interviews.filter(open_coding(user)).values("pk")) | Q(
        interview__in=interviews.values("pk"), coded_by=user
    )


def code_reach(projects: QuerySet) -> Q:
    """A codebook is seen with its project (`projects`, already narrowed to the user's reach)."""
    return Q(project__in=projects.values("pk"))
