"""The services refuse what the forms cannot send, and leave nothing half-written."""

import pytest
from django.core.exceptions import ValidationError

from reports import services
from reports.models import GroupNarrative, PaperBuild, WorkingPaper
from tests.factories import make_case_study, make_project, make_question

pytestmark = pytest.mark.django_db


def test_a_paper_cannot_include_another_projects_records(study):
    other = make_project()
    paper = WorkingPaper(project=study.project, title="Mixed up")

    with pytest.raises(ValidationError) as error:
        services.save_paper(
            paper=paper,
            case_studies=[make_case_study(other)],
            questions=[make_question(other)],
        )

    assert error.value.message_dict == {
        "case_studies": ["A chosen case study belongs to another project."],
        "questions": ["A chosen question belongs to another project."],
    }
    assert not WorkingPaper.objects.filter(title="Mixed up").exists()


def test_narratives_cannot_be_written_for_another_projects_questions(study):
    other_question = make_question(make_project())

    with pytest.raises(ValidationError) as error:
        services.save_narratives(
            paper=study.paper,
            group_texts={study.groups[0]: "Fine."},
            question_texts={other_question: "Not here."},
        )

    assert error.value.messages == ["A research question belongs to another project."]
    assert not GroupNarrative.objects.exists()


def test_a_build_needs_a_known_format(study):
    with pytest.raises(ValidationError) as error:
        services.request_build(paper=study.paper, format="odt", requested_by=study.lead)

    assert error.value.message_dict == {"format": ["Choose one of: pdf, docx, html."]}
    assert not PaperBuild.objects.exists()


def test_a_build_runs_once_even_if_its_task_is_delivered_twice(study, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    build = PaperBuild.objects.create(paper=study.paper, format="html", created_by=study.lead)

    first = services.run_build(build_id=build.pk)
    second = services.run_build(build_id=build.pk)

    assert (first.status, second) == ("succeeded", None)
    assert PaperBuild.objects.get(pk=build.pk).finished_at == first.finished_at


def test_a_build_that_cannot_be_queued_is_marked_failed(study, settings, caplog, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "nowhere.TaskBackend"}}

    with django_capture_on_commit_callbacks(execute=True):
        build = services.request_build(paper=study.paper, format="pdf", requested_by=study.lead)

    build.refresh_from_db()
    assert build.status == "failed"
    assert build.error.startswith("Could not queue the build: InvalidTaskBackend: Could not find backend")
    assert f"Could not queue the build of PaperBuild {build.pk}" in caplog.text
