"""The working-paper pages: who may do what, the forms and their errors, and builds with their progress."""

import html
import io
import logging
import re

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from reports.models import GroupNarrative, PaperBuild, QuestionNarrative, QuotationChoice, WorkingPaper
from tests.factories import make_admin, make_project, make_researcher, make_user, make_working_paper
from tests.querycounts import assert_flat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def users(study):
    return {
        "lead": study.lead,
        # A member of both case studies the paper includes: they may read it.
        "researcher": make_researcher(study.project, study.case_a, study.case_b),
        # A member of one of them only: the paper is outside their reach.
        "partial": make_researcher(study.project, study.case_a),
        "outsider": make_user(),
        "admin": make_admin(),
    }


def built(client, study, format: str, capture) -> PaperBuild:
    """Ask for a build through the page, as a lead would, and let the (immediate) task run on commit."""
    with capture(execute=True):
        response = client.post(reverse("reports:paper_builds", args=[study.paper.pk]), {"format": format})
    assert response.status_code == 302
    return PaperBuild.objects.latest("id")


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


def visible_text(response) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()))


# --- Access ------------------------------------------------------------------------------------------------------

READ_PAGES = ["paper_list", "paper", "paper_preview", "paper_builds"]
WRITE_PAGES = ["paper_create", "paper_edit", "paper_narratives", "paper_quotations"]


def url_for(name: str, study) -> str:
    if name in {"paper_list", "paper_create"}:
        return reverse(f"reports:{name}", args=[study.project.slug])
    return reverse(f"reports:{name}", args=[study.paper.pk])


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("lead", 200, 200),
        ("admin", 200, 200),
        ("researcher", 200, 403),
        ("partial", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_leads_and_admins_write_papers_researchers_read_them_and_others_see_nothing(
    client, study, users, who, read, write
):
    client.force_login(users[who])

    # The project's list of papers is open to everyone on the project; the paper itself only within reach.
    expected = {**dict.fromkeys(READ_PAGES, read), **({"paper_list": 200} if who == "partial" else {})}
    # (The builds list is read as htmx polls it; opened on its own it leads to the paper's page.)
    polled = {"HX-Request": "true"}
    assert {name: client.get(url_for(name, study), headers=polled).status_code for name in READ_PAGES} == expected
    expected = {**dict.fromkeys(WRITE_PAGES, write), **({"paper_create": 403} if who == "partial" else {})}
    assert {name: client.get(url_for(name, study)).status_code for name in WRITE_PAGES} == expected
    response = client.post(reverse("reports:paper_builds", args=[study.paper.pk]), {"format": "pdf"})
    assert response.status_code == (302 if write == 200 else write)


def test_a_researcher_outside_one_of_its_case_studies_cannot_open_a_build(
    client, study, users, django_capture_on_commit_callbacks
):
    client.force_login(users["lead"])
    build = built(client, study, "html", django_capture_on_commit_callbacks)
    client.force_login(users["partial"])

    assert client.get(reverse("reports:build_download", args=[build.pk])).status_code == 404
    assert "Emerging findings" not in page_text(client.get(reverse("reports:paper_list", args=[study.project.slug])))


def test_a_researcher_can_download_a_build_but_not_ask_for_one(
    client, study, users, django_capture_on_commit_callbacks
):
    client.force_login(users["lead"])
    build = built(client, study, "html", django_capture_on_commit_callbacks)
    client.force_login(users["researcher"])

    response = client.get(reverse("reports:paper", args=[study.paper.pk]))
    assert "Download HTML" in page_text(response)
    assert "Build PDF" not in page_text(response)
    download = client.get(reverse("reports:build_download", args=[build.pk]))
    assert download.status_code == 200
    assert b"Emerging findings on partnership" in b"".join(download.streaming_content)
    assert client.post(reverse("reports:build_retry", args=[build.pk])).status_code == 403
    assert PaperBuild.objects.count() == 1


def test_someone_outside_the_project_cannot_download_its_builds(
    client, study, users, django_capture_on_commit_callbacks
):
    client.force_login(users["lead"])
    build = built(client, study, "html", django_capture_on_commit_callbacks)
    client.force_login(users["outsider"])

    assert client.get(reverse("reports:build_download", args=[build.pk])).status_code == 404


def test_the_nav_links_to_the_working_papers(client, study, users):
    client.force_login(users["researcher"])

    response = client.get(reverse("casestudies:project", args=[study.project.slug]))

    assert f'href="{reverse("reports:paper_list", args=[study.project.slug])}">Working papers</a>' in page_text(
        response
    )


# --- Creating and editing ----------------------------------------------------------------------------------------


def paper_form(study, **overrides) -> dict:
    data = {
        "template": "working_paper",
        "series": "Working Paper",
        "number": "59",
        "title": "Commissioning and consortia",
        "short_title": "Consortia",
        "authors": "C. Author",
        "date": "2011-12-01",
        "abstract": "",
        "introduction": "Why *consortia*?",
        "methods_note": "",
        "conclusions": "",
        "case_studies": [study.case_b.pk],
        "question_groups": [study.groups[1].pk],
        "questions": [study.questions[0].pk],
        "phases": [],
        "quotations_per_question": "2",
        "key_quotes_first": "on",
        "include_tables": "on",
        "include_appendices": "on",
    }
    data.update(overrides)
    return data


def test_a_lead_creates_a_paper_with_its_selection_and_options(client, study):
    client.force_login(study.lead)

    response = client.post(reverse("reports:paper_create", args=[study.project.slug]), paper_form(study))

    paper = WorkingPaper.objects.get(title="Commissioning and consortia")
    assert response.status_code == 302 and response["Location"] == paper.get_absolute_url()
    assert (paper.series_label, paper.quotations_per_question, paper.include_charts) == ("Working Paper 59", 2, False)
    assert list(paper.case_studies.all()) == [study.case_b]
    assert list(paper.question_groups.all()) == [study.groups[1]]
    assert list(paper.questions.all()) == [study.questions[0]]
    assert paper.created_by == study.lead
    detail = page_text(client.get(paper.get_absolute_url()))
    assert "Wellbeing consortium" in detail and "Processes; RQ1" in detail and "Tables; no charts; appendices" in detail


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        (
            {"quotations_per_question": "0"},
            "quotations_per_question",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            {"quotations_per_question": "13"},
            "quotations_per_question",
            "Ensure this value is less than or equal to 12.",
        ),
        ({"date": "31/02/2011"}, "date", "Enter a valid date."),
        (
            {"references": "@book{huxham2005, title = {Unfinished"},
            "references",
            "The references are not valid BibTeX: End of file while parsing string value.",
        ),
        (
            {
                "introduction": "As argued before [@huxham2005; @nobody].",
                "references": "@book{huxham2005, year={2005}}",
            },
            "references",
            "Cited but not in the references: [@nobody]. Add their BibTeX entries, or correct the keys.",
        ),
        (
            {"references": "@misc{k, note={x}}\n" * 501},
            "references",
            "Too many references: at most 500 entries.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_saved(client, study, overrides, field, message):
    client.force_login(study.lead)

    response = client.post(reverse("reports:paper_create", args=[study.project.slug]), paper_form(study, **overrides))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in page_text(response)
    assert WorkingPaper.objects.count() == 1


def test_a_case_study_of_another_project_cannot_be_chosen(client, study):
    other = make_project()
    from tests.factories import make_case_study

    stranger = make_case_study(other, title="Elsewhere")
    client.force_login(study.lead)

    response = client.post(
        reverse("reports:paper_create", args=[study.project.slug]), paper_form(study, case_studies=[stranger.pk])
    )

    assert response.context["form"].errors["case_studies"] == [
        f"Select a valid choice. {stranger.pk} is not one of the available choices."
    ]
    assert WorkingPaper.objects.count() == 1


def test_a_number_already_used_in_the_series_is_refused(client, study):
    client.force_login(study.lead)

    response = client.post(reverse("reports:paper_create", args=[study.project.slug]), paper_form(study, number="58"))

    assert response.context["form"].non_field_errors() == [
        "This project already has a paper with this number in the series."
    ]
    assert WorkingPaper.objects.count() == 1


def test_a_lead_edits_a_paper(client, study):
    client.force_login(study.lead)

    response = client.post(
        reverse("reports:paper_edit", args=[study.paper.pk]),
        paper_form(study, number="58", title="Renamed paper", case_studies=[], question_groups=[], questions=[]),
    )

    assert response.status_code == 302
    study.paper.refresh_from_db()
    assert study.paper.title == "Renamed paper"
    assert not study.paper.case_studies.exists()


def test_narratives_are_saved_for_groups_and_questions_and_emptied_ones_removed(client, study):
    QuestionNarrative.objects.create(paper=study.paper, question=study.questions[1], text="Old text")
    client.force_login(study.lead)
    form = client.get(reverse("reports:paper_narratives", args=[study.paper.pk]))
    assert "Old text" in page_text(form)

    response = client.post(
        reverse("reports:paper_narratives", args=[study.paper.pk]),
        {
            f"group_{study.groups[0].pk}": "The context *matters*.",
            f"question_{study.questions[0].pk}": "Many forms.",
            f"question_{study.questions[1].pk}": "  ",
        },
    )

    assert response.status_code == 302
    assert list(GroupNarrative.objects.values_list("group__title", "text")) == [("Context", "The context *matters*.")]
    assert list(QuestionNarrative.objects.values_list("question__short_label", "text")) == [("RQ1", "Many forms.")]


def test_the_preview_shows_the_paper_in_the_browser(client, study, users):
    client.force_login(users["researcher"])

    response = client.get(reverse("reports:paper_preview", args=[study.paper.pk]))

    text = visible_text(response)
    assert "3.1 RQ1 What forms does collaboration take?" in text
    assert "Key point: partnership is a marriage, not a rescue." in text
    assert "(Ruth, Chief executive, housing association, Case study A) [A1]" in text
    # The team can go from a quotation back to its passage on the coding page, offsets and all.
    # The quotation runs on to the end of the key passage's turn, so that it makes sense alone.
    key = study.excerpts["ruth_key"]
    end = study.interviews["ruth"].transcript.index("member of staff.") + len("member of staff.")
    assert f"Open on the coding page (characters {key.start}–{end})" in text
    coding_url = reverse("coding:interview", args=[study.interviews["ruth"].pk]) + f"#excerpt-{key.pk}"
    assert f'href="{coding_url}"' in page_text(response)
    assert 'src="data:image/svg+xml;base64,' in page_text(response)
    assert "Ruth Ellingham" not in text and "Confidential" not in text


def test_the_list_of_papers_takes_a_fixed_number_of_queries(client, study):
    def add_papers(numbers: range) -> None:
        for number in numbers:
            paper = make_working_paper(study.project, number=number)
            for format in ("pdf", "docx"):
                PaperBuild.objects.create(paper=paper, format=format, status="queued", created_by=study.lead)

    add_papers(range(100, 103))
    client.force_login(study.lead)
    url = reverse("reports:paper_list", args=[study.project.slug])

    assert_flat(lambda: client.get(url), lambda: add_papers(range(103, 109)), expected=6)
    assert page_text(client.get(url)).count("Working Paper 10") == 9


# --- Builds ------------------------------------------------------------------------------------------------------


def test_a_pdf_build_runs_and_the_page_offers_the_download(client, study, django_capture_on_commit_callbacks):
    client.force_login(study.lead)

    build = built(client, study, "pdf", django_capture_on_commit_callbacks)

    assert (build.status, build.stage, build.error) == ("succeeded", "done", "")
    assert build.page_count > 5 and (build.quotation_count, build.withheld_count) == (6, 1)
    assert build.options["quotations_per_question"] == 5
    page = page_text(client.get(study.paper.get_absolute_url()))
    assert "Download PDF" in page
    assert f"{build.page_count} pages, 6 quotations, 1 withheld" in page
    assert "all case studies; all questions; all phases; 5 quotations per question" in page
    assert 'hx-trigger="every 1s"' not in page
    download = client.get(reverse("reports:build_download", args=[build.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{build.download_name}"'
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    assert len(reader.pages) == build.page_count


def test_a_word_build_downloads_as_a_word_file(client, study, django_capture_on_commit_callbacks):
    client.force_login(study.lead)

    build = built(client, study, "docx", django_capture_on_commit_callbacks)

    download = client.get(reverse("reports:build_download", args=[build.pk]))
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert b"".join(download.streaming_content)[:2] == b"PK"


def test_withdrawn_consent_removes_the_participants_quotations_from_the_next_build(
    client, study, django_capture_on_commit_callbacks
):
    client.force_login(study.lead)
    first = built(client, study, "html", django_capture_on_commit_callbacks)
    ruth = study.participants["ruth"]
    ruth.consent_to_quote = False
    ruth.save()

    second = built(client, study, "html", django_capture_on_commit_callbacks)

    before, after = first.file.read().decode(), second.file.read().decode()
    assert "Key point: partnership is a marriage" in before
    assert "Key point: partnership is a marriage" not in after
    assert "Ruth (Chief executive" not in after
    assert (first.withheld_count, second.withheld_count) == (1, 5)
    assert "5 coded passages from participants who did not consent to be quoted were withheld." in " ".join(
        after.split()
    )


def test_a_failed_build_shows_its_error_is_logged_and_can_be_retried(
    client, study, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken_render(paper, format):
        raise RuntimeError("the fonts are missing")

    monkeypatch.setattr("reports.services.render", broken_render)
    client.force_login(study.lead)

    with caplog.at_level(logging.ERROR, logger="reports.services"):
        build = built(client, study, "pdf", django_capture_on_commit_callbacks)

    assert (build.status, build.stage, build.file.name) == ("failed", "rendering", "")
    assert build.error == "Failed while rendering: RuntimeError: the fonts are missing"
    assert f"Working-paper build {build.pk} failed while rendering" in caplog.text
    assert "RuntimeError: the fonts are missing" in caplog.text  # with its traceback
    page = page_text(client.get(study.paper.get_absolute_url()))
    assert "Failed while rendering: RuntimeError: the fonts are missing" in page
    assert "Retry" in page

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:build_retry", args=[build.pk]))

    assert response.status_code == 302
    retried = PaperBuild.objects.latest("id")
    assert (retried.pk != build.pk, retried.format, retried.status) == (True, "pdf", "succeeded")
    assert PaperBuild.objects.get(pk=build.pk).status == "failed"  # the failure stays listed


def test_only_a_failed_build_can_be_retried(client, study, django_capture_on_commit_callbacks):
    client.force_login(study.lead)
    build = built(client, study, "html", django_capture_on_commit_callbacks)

    response = client.post(reverse("reports:build_retry", args=[build.pk]), follow=True)

    assert "Only a failed build can be retried." in page_text(response)
    assert PaperBuild.objects.count() == 1


def test_an_unknown_format_is_refused(client, study):
    client.force_login(study.lead)

    response = client.post(reverse("reports:paper_builds", args=[study.paper.pk]), {"format": "odt"}, follow=True)

    assert "Choose PDF, Word or HTML for the build." in page_text(response)
    assert not PaperBuild.objects.exists()


def test_a_queued_build_is_polled_until_it_finishes(client, study, settings, django_capture_on_commit_callbacks):
    """With the database backend the build waits for a worker; the page polls the list until it is done."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(study.lead)

    build = built(client, study, "html", django_capture_on_commit_callbacks)

    assert (build.status, build.stage) == ("queued", "waiting")
    assert build.task_id
    partial = client.get(reverse("reports:paper_builds", args=[study.paper.pk]), headers={"HX-Request": "true"})
    text = page_text(partial)
    assert text.startswith('<div id="builds" aria-live="polite" hx-get=')
    assert 'hx-trigger="every 1s"' in text
    assert "Queued: Waiting for a worker…" in text
    assert "<html" not in text

    queued = DBTaskResult.objects.get(pk=build.task_id)
    assert (queued.task_path, queued.args_kwargs) == (
        "reports.tasks.build_working_paper",
        {"args": [build.pk], "kwargs": {}},
    )
    # What `manage.py db_worker` does with it (the worker itself runs in the browser test: it closes the
    # connection between tasks, which the transaction around this test cannot survive on PostgreSQL).
    queued.task.call(*queued.args_kwargs["args"])

    build.refresh_from_db()
    assert build.status == "succeeded"
    text = page_text(client.get(reverse("reports:paper_builds", args=[study.paper.pk]), headers={"HX-Request": "true"}))
    assert 'hx-trigger="every 1s"' not in text
    assert "Download HTML" in text


def test_the_builds_list_opened_on_its_own_leads_to_the_papers_page(client, study):
    client.force_login(study.lead)
    response = client.get(reverse("reports:paper_builds", args=[study.paper.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"{study.paper.get_absolute_url()}#builds"


def test_the_builds_list_shows_each_stage_while_it_runs(client, study):
    build = PaperBuild.objects.create(paper=study.paper, format="pdf", status="running", stage="rendering")
    client.force_login(study.lead)

    text = page_text(client.get(reverse("reports:paper_builds", args=[study.paper.pk]), headers={"HX-Request": "true"}))

    assert "Running: Rendering…" in text
    assert '<progress max="100" value="60"' in text
    assert build.progress_percent == 60


def test_the_paper_page_takes_a_fixed_number_of_queries(client, study):
    from tests.factories import make_case_study, make_question

    paper = study.paper

    def add_builds(formats: tuple[str, ...]) -> None:
        for format in formats:
            PaperBuild.objects.create(paper=paper, format=format, status="queued", created_by=study.lead)

    add_builds(("pdf", "docx", "html"))
    paper.case_studies.add(study.case_a)
    paper.questions.add(study.questions[0])
    paper.question_groups.add(study.groups[0])
    client.force_login(study.lead)

    def grow() -> None:
        add_builds(("pdf", "docx", "html") * 2)
        paper.case_studies.add(study.case_b, make_case_study(study.project), make_case_study(study.project))
        paper.questions.add(*study.questions[1:], make_question(study.project, group=study.groups[1]))
        paper.question_groups.add(study.groups[1])

    assert_flat(lambda: client.get(paper.get_absolute_url()), grow, expected=11)
    assert page_text(client.get(paper.get_absolute_url())).count("Queued: Waiting for a worker…") == 9


# --- Choosing the quotations -------------------------------------------------------------------------------------


def choose(client, study, excerpt, choice: str, question=None):
    question = question or study.questions[0]
    return client.post(
        reverse("reports:paper_quotation_choice", args=[study.paper.pk]),
        {"question": question.pk, "excerpt": excerpt.pk, "choice": choice},
    )


def test_the_quotations_page_shows_each_passage_as_the_paper_quotes_it_with_what_to_do(client, study, users):
    client.force_login(users["lead"])

    response = client.get(reverse("reports:paper_quotations", args=[study.paper.pk]))

    text = visible_text(response)
    assert "3.1 RQ1 What forms does collaboration take?" in text
    assert "From 6 coded passages in 2 interviews in 2 case studies" in text
    # Quoted, as the paper quotes it (the key point widened to make sense alone), and what may be done with it.
    assert (
        "Quoted here Key quote Housing mergers Key point: partnership is a marriage, not a rescue. Both boards" in text
    )
    assert text.count("Quoted here") == 5
    # The short answer is offered for pinning, said to be too short otherwise; no real name anywhere.
    assert "Not quoted Too short to quote unless pinned Housing mergers Short answer: better." in text
    assert "Ruth Ellingham" not in text and "[Ruth] would say that in public" in text
    # The other questions are one click away; the passages of RQ3 list what may be quoted only.
    response = client.get(
        reverse("reports:paper_quotations", args=[study.paper.pk]), {"question": study.questions[2].pk}
    )
    text = visible_text(response)
    assert "4.1 RQ3 What issues have arisen as barriers?" in text
    assert "1 of its passages may not be quoted and is not listed." in text
    assert "Confidential" not in text
    assert "Quoted under 3.1" in text


def test_a_lead_pins_a_short_passage_and_excludes_another_and_the_next_build_follows(client, study, users):
    client.force_login(users["lead"])
    short, key = study.excerpts["ruth_short"], study.excerpts["ruth_key"]

    response = choose(client, study, short, "pin")
    assert response.status_code == 302
    assert response.url.endswith(f"?question={study.questions[0].pk}#excerpt-{short.pk}")
    assert choose(client, study, key, "exclude").status_code == 302

    rows = QuotationChoice.objects.values_list("question_id", "excerpt_id", "choice", "chosen_by_id")
    assert set(rows) == {
        (study.questions[0].pk, short.pk, "pin", study.lead.pk),
        (study.questions[0].pk, key.pk, "exclude", study.lead.pk),
    }
    text = visible_text(client.get(response.url))
    assert "Pinned: the passage is quoted under RQ1 in the next build." in text
    assert "Quoted here Pinned Housing mergers Short answer: better." in text
    assert "Not quoted Excluded Key quote Housing mergers Key point" in text
    assert "Include again" in text and "Unpin" in text
    detail = visible_text(client.get(reverse("reports:paper", args=[study.paper.pk])))
    assert "Up to 5 per question, key quotes first; 1 pinned, 1 excluded" in detail

    preview = visible_text(client.get(reverse("reports:paper_preview", args=[study.paper.pk])))
    assert "Short answer: better." in preview and "Key point: partnership" not in preview

    # Clearing puts the paper back to its own ranking.
    choose(client, study, key, "clear")
    assert list(QuotationChoice.objects.values_list("excerpt_id", flat=True)) == [short.pk]
    assert "Key point: partnership" in visible_text(client.get(reverse("reports:paper_preview", args=[study.paper.pk])))


def test_pinning_a_passage_of_a_participant_who_did_not_consent_does_not_quote_it(client, study, users):
    client.force_login(users["lead"])
    judith = study.excerpts["judith_barriers"]

    assert choose(client, study, judith, "pin", question=study.questions[2]).status_code == 302

    preview = visible_text(client.get(reverse("reports:paper_preview", args=[study.paper.pk])))
    assert "Confidential" not in preview and "the board fought the merger" not in preview


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"choice": "promote"}, "Choose a passage of one of the paper's questions, and pin, exclude or clear it."),
        ({"excerpt": "abc"}, "Choose a passage of one of the paper's questions, and pin, exclude or clear it."),
        ({"question": "999999"}, "Choose a passage of one of the paper's questions, and pin, exclude or clear it."),
        ({"excerpt": "999999"}, "This passage is not in the paper's project, or not within your reach."),
        ({"question": "rq3"}, "This passage is not coded for this question."),
    ],
)
def test_a_bad_choice_is_refused_with_a_clear_message_and_nothing_is_written(client, study, users, data, message):
    client.force_login(users["lead"])
    form = {"question": study.questions[0].pk, "excerpt": study.excerpts["ruth_short"].pk, "choice": "pin", **data}
    if form["question"] == "rq3":
        form["question"] = study.questions[2].pk

    response = client.post(reverse("reports:paper_quotation_choice", args=[study.paper.pk]), form, follow=True)

    assert message in visible_text(response)
    assert QuotationChoice.objects.count() == 0


def test_a_passage_of_another_project_cannot_be_chosen(client, study, users):
    from tests.factories import make_code, make_excerpt, make_interview

    other_project = make_project(slug="other")
    elsewhere = make_interview(None, project=other_project, transcript="Someone: Words of another project entirely.")
    foreign = make_excerpt(elsewhere, start=9, end=20, codes=[make_code(other_project, name="Other")])
    client.force_login(users["lead"])

    response = choose(client, study, foreign, "pin")

    assert response.status_code == 302
    assert "This passage is not in the paper's project, or not within your reach." in visible_text(
        client.get(response.url)
    )
    assert QuotationChoice.objects.count() == 0


def test_a_researcher_cannot_choose_quotations(client, study, users):
    client.force_login(users["researcher"])

    assert choose(client, study, study.excerpts["ruth_short"], "pin").status_code == 403
    assert client.get(reverse("reports:paper_quotations", args=[study.paper.pk])).status_code == 403
    assert QuotationChoice.objects.count() == 0


def test_the_quotations_page_refuses_a_question_outside_the_paper(client, study, users):
    client.force_login(users["lead"])
    study.paper.questions.set([study.questions[0]])
    page = reverse("reports:paper_quotations", args=[study.paper.pk])

    assert client.get(page, {"question": study.questions[2].pk}).status_code == 404
    assert client.get(page, {"question": "x"}).status_code == 404
    assert client.get(page).status_code == 200


def test_the_quotations_page_takes_a_fixed_number_of_queries(client, study, users):
    from tests.querycounts import grow_coded_material

    client.force_login(users["lead"])
    page = reverse("reports:paper_quotations", args=[study.paper.pk])

    def grow() -> None:
        grow_coded_material(
            study.project,
            codes=[study.codes["forms"], study.codes["consortia"]],
            coded_by=study.lead,
            interviews=[study.interviews["ruth"], study.interviews["pair"]],
        )

    assert_flat(lambda: client.get(page), grow, expected=30)


def test_a_narrative_citing_a_work_missing_from_the_references_is_refused(client, study):
    client.force_login(study.lead)
    form = {f"question_{question.pk}": "" for question in study.questions}
    form |= {f"group_{group.pk}": "" for group in study.groups}
    form[f"question_{study.questions[0].pk}"] = "Forms vary [@nobody2011]."

    response = client.post(reverse("reports:paper_narratives", args=[study.paper.pk]), form)

    assert response.status_code == 200
    assert "Cited but not in the references: [@nobody2011]." in page_text(response)
    assert QuestionNarrative.objects.count() == 0
