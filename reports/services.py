"""Every write to working papers and their builds goes through one of these functions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from casestudies.models import CaseStudy, FieldworkPhase, QuestionGroup, ResearchQuestion
from disclosure.access import can_write_papers
from partnership import jobs

from .assembly import assemble_paper, codes_of_question
from .models import GroupNarrative, PaperBuild, PaperFormat, QuestionNarrative, QuotationChoice, WorkingPaper
from .paper import AssembledPaper, PaperOptions
from .rendering import RenderedPaper, render

logger = logging.getLogger(__name__)


@transaction.atomic
def save_paper(
    *,
    paper: WorkingPaper,
    case_studies: Iterable[CaseStudy] = (),
    question_groups: Iterable[QuestionGroup] = (),
    questions: Iterable[ResearchQuestion] = (),
    phases: Iterable[FieldworkPhase] = (),
    created_by: AbstractBaseUser | None = None,
) -> WorkingPaper:
    """Create or update a paper and what it includes; everything it names must belong to its project."""
    case_studies, question_groups = list(case_studies), list(question_groups)
    questions, phases = list(questions), list(phases)
    project_id = paper.project_id
    errors = {}
    if any(case_study.project_id != project_id for case_study in case_studies):
        errors["case_studies"] = "A chosen case study belongs to another project."
    if any(group.project_id != project_id for group in question_groups):
        errors["question_groups"] = "A chosen question group belongs to another project."
    if any(question.group.project_id != project_id for question in questions):
        errors["questions"] = "A chosen question belongs to another project."
    if any(phase.project_id != project_id for phase in phases):
        errors["phases"] = "A chosen phase belongs to another project."
    if errors:
        raise ValidationError(errors)
    if paper.pk is None and created_by is not None:
        paper.created_by = created_by
    paper.full_clean()
    paper.save()
    paper.case_studies.set(case_studies)
    paper.question_groups.set(question_groups)
    paper.questions.set(questions)
    paper.phases.set(phases)
    return paper


CLEAR = "clear"


@transaction.atomic
def choose_quotation(
    *, paper: WorkingPaper, question: ResearchQuestion, excerpt_id: int, choice: str, chosen_by
) -> QuotationChoice | None:
    """Pin a passage for one question of the paper (quoted there whatever its length or rank), exclude it there, or
    clear the choice (`CLEAR`). The passage must be coded for the question and within the chooser's reach; who said
    it still decides whether it may be quoted at all."""
    from coding.models import Excerpt, ExcerptCode

    if choice not in {*QuotationChoice.Choice.values, CLEAR}:
        raise ValidationError("Choose to pin the passage, exclude it, or clear the choice.")
    if question.group.project_id != paper.project_id:
        raise ValidationError("This research question belongs to another project.")
    excerpt = (
        Excerpt.objects.visible_to(chosen_by).filter(pk=excerpt_id, interview__project_id=paper.project_id).first()
    )
    if excerpt is None:
        raise ValidationError("This passage is not in the paper's project, or not within your reach.")
    if not ExcerptCode.objects.filter(excerpt=excerpt, code_id__in=codes_of_question(question)).exists():
        raise ValidationError("This passage is not coded for this question.")
    existing = QuotationChoice.objects.select_for_update().filter(paper=paper, question=question, excerpt=excerpt)
    if choice == CLEAR:
        for row in existing:
            row.delete()
        chosen = None
    else:
        chosen, _ = QuotationChoice.objects.update_or_create(
            paper=paper, question=question, excerpt=excerpt, defaults={"choice": choice, "chosen_by": chosen_by}
        )
    paper.save(update_fields=["updated_at"])
    return chosen


@transaction.atomic
def save_narratives(
    *,
    paper: WorkingPaper,
    group_texts: Mapping[QuestionGroup, str],
    question_texts: Mapping[ResearchQuestion, str],
) -> WorkingPaper:
    """The lead's text for each question group and research question; an emptied text is removed.

    The paper counts as updated only when a text changed."""
    if any(group.project_id != paper.project_id for group in group_texts):
        raise ValidationError("A question group belongs to another project.")
    if any(question.group.project_id != paper.project_id for question in question_texts):
        raise ValidationError("A research question belongs to another project.")
    changed = False
    for model, key, texts in (
        (GroupNarrative, "group", group_texts),
        (QuestionNarrative, "question", question_texts),
    ):
        for target, text in texts.items():
            text = text.strip()
            if not text:
                deleted, _ = model.objects.filter(paper=paper, **{key: target}).delete()
                changed = changed or bool(deleted)
                continue
            narrative = model.objects.filter(paper=paper, **{key: target}).first() or model(
                paper=paper, **{key: target}
            )
            if narrative.pk is not None and narrative.text == text:
                continue
            narrative.text = text
            narrative.full_clean()
            narrative.save()
            changed = True
    if changed:
        paper.save(update_fields=["updated_at"])
    return paper


@transaction.atomic
def request_build(*, paper: WorkingPaper, format: str, requested_by: AbstractBaseUser | None) -> PaperBuild:
    """Record a build with the paper's options as they are now, and queue it once the record is committed."""
    if format not in PaperFormat.values:
        raise ValidationError({"format": f"Choose one of: {', '.join(PaperFormat.values)}."})
    build = PaperBuild(
        paper=paper,
        format=format,
        options=PaperOptions.from_paper(paper).to_snapshot(),
        created_by=requested_by if requested_by and requested_by.is_authenticated else None,
    )
    build.full_clean(exclude=["file"])
    build.save()
    transaction.on_commit(lambda: _enqueue(build.pk))
    return build


@transaction.atomic
def retry_build(*, build: PaperBuild, requested_by: AbstractBaseUser | None) -> PaperBuild:
    """A failed build is asked for again, as a new build in the same format with the paper's current options."""
    if build.status != PaperBuild.Status.FAILED:
        raise ValidationError("Only a failed build can be retried.")
    return request_build(paper=build.paper, format=build.format, requested_by=requested_by)


def _enqueue(build_id: int) -> None:
    def queue(job_id: int):
        from .tasks import build_working_paper  # the task is bound to the configured backend when first imported

        return build_working_paper.enqueue(job_id)

    jobs.enqueue(PaperBuild, build_id, queue=queue, what="build")


def produce_paper(
    paper: WorkingPaper,
    *,
    reader,
    format: str,
    options: PaperOptions | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[AssembledPaper, RenderedPaper]:
    """Assemble for `reader` (see `assemble_paper`), then render: what a build and the command line both do."""
    stage = on_stage or (lambda name: None)
    stage(PaperBuild.Stage.ASSEMBLING)
    assembled = assemble_paper(paper, reader=reader, options=options)
    stage(PaperBuild.Stage.RENDERING)
    return assembled, render(assembled, format)


def run_build(*, build_id: int) -> PaperBuild | None:
    """The body of the background task. Each step is written at once, so that the paper's page can show it.

    A failure is written on the build, logged with its traceback, and raised again for the task backend.
    """
    return jobs.run(PaperBuild, build_id, stage=PaperBuild.Stage.ASSEMBLING, work=_build)


def _build(build_id: int) -> None:
    build = PaperBuild.objects.select_related("paper__project", "created_by").get(pk=build_id)
    try:
        # The build is made for the person who asked for it, and checked again here: reach may have changed
        # while it waited for a worker.
        if build.created_by is None or not can_write_papers(build.created_by, build.paper.project):
            raise PermissionDenied("The person who asked for this build may no longer build this paper.")
        assembled, rendered = produce_paper(
            build.paper,
            reader=build.created_by,
            format=build.format,
            options=PaperOptions.from_snapshot(build.options),
            on_stage=lambda stage: _set_stage(build, stage),
        )
        _set_stage(build, PaperBuild.Stage.SAVING)
        _finish(build, assembled=assembled, rendered=rendered)
    except Exception as error:
        logger.exception("Working-paper build %s failed while %s", build_id, build.stage)
        jobs.fail(
            PaperBuild, build_id, f"Failed while {build.get_stage_display().lower()}: {type(error).__name__}: {error}"
        )
        raise


def _set_stage(build: PaperBuild, stage: str) -> None:
    build.stage = stage
    jobs.set_stage(PaperBuild, build.pk, stage)


def _finish(build: PaperBuild, *, assembled: AssembledPaper, rendered: RenderedPaper) -> None:
    build.file.save(build.download_name, ContentFile(rendered.content), save=False)
    jobs.succeed(
        PaperBuild,
        build.pk,
        file=build.file.name,
        page_count=rendered.page_count,
        quotation_count=assembled.quotation_count,
        withheld_count=assembled.withheld_count,
        quoted_excerpt_ids=assembled.quoted_excerpt_ids,
        quoted_participant_ids=assembled.quoted_participant_ids,
    )
