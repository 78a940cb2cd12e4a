"""Loading records for a user, and checking what they may change. Every view, API endpoint, export, build, task
and command loads records through these functions, or through a model's `visible_to`, which applies the reach
rules of `disclosure.rules`.

- Admins (staff) see and change everything.
- A project's leads change its records, its codebook and its papers.
- A case study's lead researcher also edits that case study and its interviews.
- Coders change their own excerpts.
- A working paper is read by those who may see every case study it includes (`WorkingPaper.objects.visible_to`);
  a finished build is withdrawn when what it quotes may no longer be served (`withdrawn_builds`).

Anything outside a user's reach answers 404, so that a title never leaks; a record the user can see but not
change answers 403.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from casestudies.models import (
    CaseStudy,
    CaseStudyMembership,
    Interview,
    Participant,
    ProjectMembership,
    ProjectRole,
    ResearchProject,
    Speaker,
)
from coding.models import Code, Excerpt, TranscriptCorrection
from disclosure import rules
from disclosure.rules import signed_in, within_reach
from exchange.models import ImportJob
from reports.models import PaperBuild, WorkingPaper

# --- Projects ---------------------------------------------------------------------------------------------------


def is_project_lead(user, project: ResearchProject) -> bool:
    if not signed_in(user):
        return False
    return ProjectMembership.objects.filter(user=user, project=project, role=ProjectRole.LEAD).exists()


def role_in_project(user, project: ResearchProject | None) -> str:
    """What the user is, as shown beside their name: an administrator anywhere; in a project, its lead or a
    researcher on it, else the lead researcher or a researcher of its case studies. One query, none for admins."""
    if not signed_in(user):
        return ""
    if user.is_staff:
        return "administrator"
    if project is None:
        return ""
    row = (
        ResearchProject.objects.filter(pk=project.pk)
        .values(
            project_role=Subquery(
                ProjectMembership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
            ),
            leads_a_case_study=Exists(
                CaseStudyMembership.objects.filter(
                    case_study__project=OuterRef("pk"), user=user, role=CaseStudyMembership.Role.LEAD
                )
            ),
        )
        .first()
    )
    if not row:
        return ""
    if row["project_role"]:
        return ProjectRole(row["project_role"]).label.lower()
    return (
        CaseStudyMembership.Role.LEAD if row["leads_a_case_study"] else CaseStudyMembership.Role.RESEARCHER
    ).label.lower()


def can_manage_project(user, project: ResearchProject) -> bool:
    """Admins and the project's leads change its records: case studies, interviews, participants, codebook,
    papers, blind coding."""
    return bool(signed_in(user) and (user.is_staff or is_project_lead(user, project)))


def get_project_for(user, slug: str) -> ResearchProject:
    return get_object_or_404(ResearchProject.objects.visible_to(user), slug=slug)


def get_managed_project_for(user, slug: str) -> ResearchProject:
    project = get_project_for(user, slug)
    if not can_manage_project(user, project):
        raise PermissionDenied("Only the project's leads and admins can change its records.")
    return project


def can_see_real_names(user) -> bool:
    return bool(signed_in(user) and user.is_staff)


# --- Case studies -----------------------------------------------------------------------------------------------


def can_edit_case_study(user, case_study: CaseStudy) -> bool:
    """Project managers, and the case study's own lead researcher."""
    if can_manage_project(user, case_study.project):
        return True
    return CaseStudyMembership.objects.filter(
        case_study=case_study, user=user, role=CaseStudyMembership.Role.LEAD
    ).exists()


def editable_case_studies(user, project: ResearchProject) -> QuerySet[CaseStudy]:
    """The case studies of the project the user may change (and so add interviews to)."""
    case_studies = CaseStudy.objects.filter(project=project)
    if can_manage_project(user, project):
        return case_studies
    if not signed_in(user):
        return case_studies.none()
    return case_studies.filter(memberships__user=user, memberships__role=CaseStudyMembership.Role.LEAD)


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


# --- Interviews -------------------------------------------------------------------------------------------------


def get_interview_for(user, pk: int, *, with_transcript: bool = True) -> Interview:
    """`with_transcript=False` leaves the (possibly long) transcript in the database until it is asked for."""
    interviews = Interview.objects.visible_to(user).select_related(
        "project", "case_study", "interviewer", "transcript_imported_by"
    )
    if not with_transcript:
        interviews = interviews.defer("transcript")
    return get_object_or_404(interviews, pk=pk)


def get_interview_to_code_for(user, pk: int) -> Interview:
    """The interview an excerpt is added to: the same rule as `get_interview_for`, but only the interview's own
    row without its transcript, since coding needs neither the related records nor the text (the database
    slices it)."""
    return get_object_or_404(Interview.objects.visible_to(user).defer("transcript"), pk=pk)


def can_edit_interview(user, interview: Interview) -> bool:
    if interview.case_study_id is None:
        return can_manage_project(user, interview.project)
    return can_edit_case_study(user, interview.case_study)


def get_editable_interview_for(user, pk: int) -> Interview:
    interview = get_interview_for(user, pk)
    if not can_edit_interview(user, interview):
        raise PermissionDenied("Only the case study's lead, the project's leads and admins can change this interview.")
    return interview


def can_manage_blind_coding(user, interview: Interview) -> bool:
    """Marking an interview for blind coding, and revealing it, is for those who manage the project; they also
    see through it."""
    return can_manage_project(user, interview.project)


def blind_interview_ids(user, project: ResearchProject) -> set[int]:
    """The project's interviews whose other coders' excerpts the user cannot see yet: blind coding, not revealed,
    and the user does not manage the project. The database form of this rule is `disclosure.rules.open_coding`."""
    if can_manage_project(user, project):
        return set()
    return set(
        Interview.objects.filter(project=project, is_blind_coding=True, blind_revealed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )


def blind_coding_hides_others(user, interview: Interview) -> bool:
    """Whether the user sees only their own excerpts of this interview for now."""
    return (
        interview.is_blind_coding
        and interview.blind_revealed_at is None
        and not can_manage_blind_coding(user, interview)
    )


# --- Participants -----------------------------------------------------------------------------------------------


def get_participant_for(user, pk: int) -> Participant:
    return get_object_or_404(Participant.objects.visible_to(user).select_related("project", "organisation"), pk=pk)


def get_editable_participant_for(user, pk: int) -> Participant:
    participant = get_participant_for(user, pk)
    if not can_manage_project(user, participant.project):
        raise PermissionDenied("Only the project's leads and admins can change participants.")
    return participant


# --- Codes, excerpts and memos ----------------------------------------------------------------------------------


def get_code_for(user, pk: int) -> Code:
    return get_object_or_404(Code.objects.visible_to(user).select_related("project", "parent"), pk=pk)


def get_managed_code_for(user, pk: int):
    """Leads and admins reshape the codebook: rename, move, merge, archive, delete."""
    code = get_code_for(user, pk)
    if not can_manage_project(user, code.project):
        raise PermissionDenied("Only the project's leads and admins can change the codebook.")
    return code


def get_excerpt_for(user, pk: int) -> Excerpt:
    return get_object_or_404(
        Excerpt.objects.visible_to(user)
        .select_related("interview__project", "interview__case_study", "coded_by")
        .defer("interview__transcript"),
        pk=pk,
    )


def can_change_excerpt(user, excerpt, *, manages: bool | None = None) -> bool:
    """Coders change their own excerpts; leads and admins anyone's in their project. A caller listing one project's
    excerpts passes whether the user `manages` that project (can_manage_project), asked once for the list."""
    if excerpt.coded_by_id == user.pk:
        return True
    return can_manage_project(user, excerpt.interview.project) if manages is None else manages


def get_editable_excerpt_for(user, pk: int):
    excerpt = get_excerpt_for(user, pk)
    if not can_change_excerpt(user, excerpt):
        raise PermissionDenied("Only the excerpt's coder, the project's leads and admins can change it.")
    return excerpt


# --- Working papers and their builds ----------------------------------------------------------------------------


def can_write_papers(user, project: ResearchProject) -> bool:
    return can_manage_project(user, project)


def get_paper_for(user, pk: int):
    return get_object_or_404(WorkingPaper.objects.visible_to(user).select_related("project", "created_by"), pk=pk)


def get_editable_paper_for(user, pk: int):
    paper = get_paper_for(user, pk)
    if not can_write_papers(user, paper.project):
        raise PermissionDenied("Only the project's leads and admins can change or build working papers.")
    return paper


def get_build_for(user, pk: int):
    return get_object_or_404(
        PaperBuild.objects.filter(paper__in=WorkingPaper.objects.visible_to(user)).select_related(
            "paper__project", "created_by"
        ),
        pk=pk,
    )


def get_editable_build_for(user, pk: int):
    build = get_build_for(user, pk)
    if not can_write_papers(user, build.paper.project):
        raise PermissionDenied("Only the project's leads and admins can change or build working papers.")
    return build


WITHDRAWN_CONSENT = "Withdrawn: a participant it quotes has since withdrawn consent to be quoted, or left the record."
WITHDRAWN_UNRECORDED = "Withdrawn: it was built before builds recorded whom they quote."
WITHDRAWN_REACH = "Not available to you: it quotes passages outside your reach (blind coding or case studies)."
WITHDRAWN_TEXT = (
    "Withdrawn: a transcript it quotes has since been redacted or corrected, or who speaks in it has changed; "
    "build it again to quote the transcripts as they are now."
)


def withdrawn_builds(builds, user) -> dict[int, str]:
    """Why each finished build may no longer be served to `user`, by build id; builds not named may be served.

    A build records the excerpts and participants it quotes. It is withdrawn for everyone once any of those
    participants withdraws consent or is deleted, for a reader who may not see every excerpt it quotes, and for
    everyone but admins once a transcript it quotes is redacted or corrected, or a speaker in it is changed, after
    it was built (what a redaction removes stays only in admins' reach).
    """
    finished = [build for build in builds if build.status == PaperBuild.Status.SUCCEEDED]
    people = {pk for build in finished for pk in build.quoted_participant_ids}
    consenting = set(
        Participant.objects.filter(pk__in=people, consent_to_quote=True).values_list("pk", flat=True) if people else ()
    )
    excerpt_ids = {pk for build in finished for pk in build.quoted_excerpt_ids}
    seen = (
        set(Excerpt.objects.visible_to(user).filter(pk__in=excerpt_ids).values_list("pk", flat=True))
        if excerpt_ids
        else set()
    )
    changed = set() if can_see_real_names(user) else _builds_with_changed_text(finished, excerpt_ids)
    reasons: dict[int, str] = {}
    for build in finished:
        if build.quotation_count and not build.quoted_excerpt_ids:
            reasons[build.pk] = WITHDRAWN_UNRECORDED
        elif not set(build.quoted_participant_ids) <= consenting:
            reasons[build.pk] = WITHDRAWN_CONSENT
        elif not set(build.quoted_excerpt_ids) <= seen:
            reasons[build.pk] = WITHDRAWN_REACH
        elif build.pk in changed:
            reasons[build.pk] = WITHDRAWN_TEXT
    return reasons


def _builds_with_changed_text(builds, excerpt_ids: set[int]) -> set[int]:
    """The builds quoting an interview whose transcript was corrected or redacted, or one of whose speakers was
    changed, since the build started (three or four queries, whatever the number of builds)."""
    if not excerpt_ids:
        return set()
    interview_of = dict(Excerpt.objects.filter(pk__in=excerpt_ids).values_list("pk", "interview_id"))
    gone = excerpt_ids - interview_of.keys()
    if gone:
        # A redaction may have removed a quoted excerpt: its history still says which interview it was in.
        interview_of.update(Excerpt.history.filter(id__in=gone).values_list("id", "interview_id").distinct())
    interviews = set(interview_of.values())
    earliest = min(build.started_at or build.created_at for build in builds)
    corrections = TranscriptCorrection.objects.filter(interview_id__in=interviews, made_at__gt=earliest)
    speakers = Speaker.history.filter(interview_id__in=interviews, history_date__gt=earliest)
    last_change = {}
    for interview_id, when in [
        *corrections.values_list("interview_id", "made_at"),
        *speakers.values_list("interview_id", "history_date"),
    ]:
        if interview_id not in last_change or when > last_change[interview_id]:
            last_change[interview_id] = when
    stale = set()
    for build in builds:
        built = build.started_at or build.created_at
        changes = [last_change.get(interview_of.get(pk)) for pk in build.quoted_excerpt_ids]
        if any(when is not None and when > built for when in changes):
            stale.add(build.pk)
    return stale


def get_servable_build_for(user, pk: int):
    """A build whose file may be served to the user now; a withdrawn one answers 404 and serves nothing."""
    build = get_build_for(user, pk)
    reason = withdrawn_builds([build], user).get(build.pk)
    if reason:
        raise Http404(reason)
    return build


# --- Exchange imports -------------------------------------------------------------------------------------------


def get_import_job_for(user, project_slug: str, pk: int):
    """An import into a project, for those who may import into it (its leads and admins)."""
    project = get_managed_project_for(user, project_slug)
    return get_object_or_404(ImportJob.objects.select_related("created_by", "project"), pk=pk, project=project)


# --- History of changes -----------------------------------------------------------------------------------------

# The kinds of record whose history a reader can open, as the history pages and the Activity page name them.
HISTORY_KINDS = (
    "excerpt",
    "excerpt_code",
    "code",
    "memo",
    "interview",
    "participant",
    "case_study",
    "summary",
    "paper",
)


def history_reach(user, kind: str) -> Q:
    """Which historical rows of one kind the user may see: the history of what they may see now.

    Excerpts keep their own rule, blind coding included, applied to the row as it was (its interview and
    coder), so a deleted excerpt's history stays within the same reach. A code link is seen with its
    excerpt's history. A deleted interview, participant, case study or paper is history only admins see.
    """
    projects = ResearchProject.objects.visible_to(user).values("pk")
    if kind in {"excerpt", "excerpt_code"}:
        excerpts = rules.excerpt_reach(user, Interview.objects.visible_to(user))
        if kind == "excerpt":
            return excerpts
        return Q(excerpt_id__in=Excerpt.history.model._base_manager.filter(excerpts).values("id"))
    if kind == "code":
        return Q(project_id__in=projects)
    if kind == "memo":
        return (
            Q(project_id__in=projects)
            & (Q(interview__isnull=True) | Q(interview_id__in=Interview.objects.visible_to(user).values("pk")))
            & (Q(case_study__isnull=True) | Q(case_study_id__in=CaseStudy.objects.visible_to(user).values("pk")))
        )
    if kind == "interview":
        return Q(id__in=Interview.objects.visible_to(user).values("pk"))
    if kind == "participant":
        return Q(id__in=Participant.objects.visible_to(user).values("pk"))
    if kind == "case_study":
        return Q(id__in=CaseStudy.objects.visible_to(user).values("pk"))
    if kind == "summary":
        return Q(case_study_id__in=CaseStudy.objects.visible_to(user).values("pk"))
    if kind == "paper":
        return Q(id__in=WorkingPaper.objects.visible_to(user).values("pk"))
    raise ValueError(f"No history rule for {kind!r}.")


def visible_history(user, kind: str, rows: QuerySet) -> QuerySet:
    """`rows` (historical rows of `kind`) narrowed to the user's reach."""
    return within_reach(rows, user, lambda: history_reach(user, kind), joins=False)


def hidden_history_fields(user, kind: str) -> frozenset[str]:
    """Fields a history page leaves out for this reader: a participant's real name is for admins only, and so are
    a transcript's earlier versions and an excerpt's earlier quoted text (words removed by a redaction stay there,
    and only admins may read them; an excerpt's changed boundaries still show as its offsets)."""
    if can_see_real_names(user):
        return frozenset()
    if kind == "participant":
        return frozenset({"real_name"})
    if kind == "interview":
        return frozenset({"transcript"})
    if kind == "excerpt":
        return frozenset({"text"})
    return frozenset()


def can_restore(user, project: ResearchProject) -> bool:
    """Restoring from history and undoing a merge is for the project's leads and admins."""
    return can_manage_project(user, project)
