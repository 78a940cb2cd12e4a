"""Who may see and change what. Every view loads records through these helpers.

Anything outside a user's reach is answered with 404, so that a title never leaks; a record the user
can see but not change is answered with 403.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import (
    CaseStudy,
    CaseStudyMembership,
    Interview,
    Participant,
    ProjectMembership,
    ProjectRole,
    ResearchProject,
)


def visible_projects(user) -> QuerySet[ResearchProject]:
    if not user.is_authenticated or not user.is_active:
        return ResearchProject.objects.none()
    if user.is_staff:
        return ResearchProject.objects.all()
    return ResearchProject.objects.filter(
        pk__in=ResearchProject.objects.filter(
            Q(memberships__user=user) | Q(case_studies__memberships__user=user)
        ).values("pk")
    )


def lead_project_ids(user) -> QuerySet:
    """The ids of the projects the user leads, as a subquery."""
    return ProjectMembership.objects.filter(user=user, role=ProjectRole.LEAD).values("project_id")


def is_project_lead(user, project: ResearchProject) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return ProjectMembership.objects.filter(user=user, project=project, role=ProjectRole.LEAD).exists()


def can_manage_project(user, project: ResearchProject) -> bool:
    """Admins and the project's leads change its records: case studies, interviews, participants, codebook."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or is_project_lead(user, project)))


def can_edit_case_study(user, case_study: CaseStudy) -> bool:
    """Project managers, and the case study's own lead researcher."""
    if can_manage_project(user, case_study.project):
        return True
    return CaseStudyMembership.objects.filter(
        case_study=case_study, user=user, role=CaseStudyMembership.Role.LEAD
    ).exists()


def get_project_for(user, slug: str) -> ResearchProject:
    return get_object_or_404(visible_projects(user), slug=slug)


def get_managed_project_for(user, slug: str) -> ResearchProject:
    project = get_project_for(user, slug)
    if not can_manage_project(user, project):
        raise PermissionDenied("Only the project's leads and admins can change its records.")
    return project


def get_case_study_for(user, project_slug: str, slug: str) -> CaseStudy:
    return get_object_or_404(
        CaseStudy.objects.visible_to(user).select_related("project", "core_organisation"),
        project__slug=project_slug,
        slug=slug,
    )


def get_editable_case_study_for(user, project_slug: str, slug: str) -> CaseStudy:
    case_study = get_case_study_for(user, project_slug, slug)
    if not can_edit_case_study(user, case_study):
        raise PermissionDenied("Only the case study's lead, the project's leads and admins can change it.")
    return case_study


def get_interview_for(user, pk: int, *, with_transcript: bool = True) -> Interview:
    """`with_transcript=False` leaves the (possibly long) transcript in the database until it is asked for."""
    interviews = Interview.objects.visible_to(user).select_related(
        "project", "case_study", "interviewer", "transcript_imported_by"
    )
    if not with_transcript:
        interviews = interviews.defer("transcript")
    return get_object_or_404(interviews, pk=pk)


def can_edit_interview(user, interview: Interview) -> bool:
    if interview.case_study_id is None:
        return can_manage_project(user, interview.project)
    return can_edit_case_study(user, interview.case_study)


def get_editable_interview_for(user, pk: int) -> Interview:
    interview = get_interview_for(user, pk)
    if not can_edit_interview(user, interview):
        raise PermissionDenied("Only the case study's lead, the project's leads and admins can change this interview.")
    return interview


def get_participant_for(user, pk: int) -> Participant:
    return get_object_or_404(Participant.objects.visible_to(user).select_related("project", "organisation"), pk=pk)


def get_editable_participant_for(user, pk: int) -> Participant:
    participant = get_participant_for(user, pk)
    if not can_manage_project(user, participant.project):
        raise PermissionDenied("Only the project's leads and admins can change participants.")
    return participant


def can_see_real_names(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def interview_choices_for(user, project: ResearchProject) -> tuple[QuerySet[Participant], QuerySet]:
    """Whom an interview form offers: as participants, those the user may see in the project (all of them for
    its managers); as interviewer, the people of the project and of the case studies the user can see in it
    (every active user for admins), so that the form never lists a name from outside the user's reach."""
    participants = Participant.objects.filter(project=project)
    if not can_manage_project(user, project):
        participants = participants.filter(pk__in=Participant.objects.visible_to(user).values("pk"))
    people = get_user_model().objects.filter(is_active=True)
    if not user.is_staff:
        case_studies = CaseStudy.objects.visible_to(user).filter(project=project).values("pk")
        people = people.filter(
            Q(project_memberships__project=project) | Q(case_study_memberships__case_study__in=case_studies)
        )
        people = get_user_model().objects.filter(pk__in=people.values("pk"))
    return participants.select_related("organisation"), people.order_by("username")


def editable_case_studies(user, project: ResearchProject) -> QuerySet[CaseStudy]:
    """The case studies of the project whose interviews the user may add, change or move an interview to."""
    visible = CaseStudy.objects.visible_to(user).filter(project=project)
    return CaseStudy.objects.filter(
        pk__in=[case_study.pk for case_study in visible if can_edit_case_study(user, case_study)]
    )


def can_manage_blind_coding(user, interview: Interview) -> bool:
    """Who starts, reveals or ends blind coding: whoever sees through it (the project's leads and admins)."""
    return can_manage_project(user, interview.project)
