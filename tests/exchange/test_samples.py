"""Real exchange files from other tools (../shared/refi-qda/samples, described in its MANIFEST.md).

Skipped when the shared folder is not beside the checkout (a user's fresh clone); failed instead under CI=true.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casestudies.models import Interview
from coding.models import Code, Excerpt, ExcerptCode
from exchange.importing import import_codebook, import_project
from tests.factories import make_lead, make_project

from .helpers import SAMPLES, record_counts, shared_file

# file → (codes, interviews, excerpts, code applications, placeholder coders)
IMPORTS = {
    "atlasti-23.2-win_blank-atlas-project.qdpx": (0, 0, 0, 0, 0),
    "atlasti-23.2-win_target-atlas-project.qdpx": (3, 0, 0, 0, 0),
    "nvivo-12.6-win_oltas0517.qdpx": (152, 2, 303, 303, 1),
    "nvivo-15.0-mac_qc-project.qdpx": (262, 2, 0, 0, 0),
    "qc-1.3.2_demo.qdpx": (262, 2, 158, 205, 1),
    "mastodonmoodboard_example_codebook.qdc": (44, 0, 0, 0, 0),
    "taguette-1.5.2_codebook_from-tests.qdc": (3, 0, 0, 0, 0),
}
REFUSALS = {
    "mastodonmoodboard_example_codebook_defect.qdc": (
        "“mastodonmoodboard_example_codebook_defect.qdc” is not well-formed XML: mismatched tag: line 132, column 14."
    ),
    "atlasti-8.4-mac_standard-project_rezipped-by-sky-loom.qdpx": (
        "Source “1960s Coca Cola commercial - Audio.docx” (GUID 69A4332D-5B31-4915-B520-5275CFC21B40): "
        "its text file “internal://01106019-2518-43DD-BBD1-8F0252BACB30.txt” is not in the archive."
    ),
    "atlasti-8.4-mac_standard-project.qde": (
        "“atlasti-8.4-mac_standard-project.qde” is not a .qdpx project: it is not a zip archive."
    ),
}


def _sample(name: str):
    return shared_file(SAMPLES / name)


def _import(name: str):
    project = make_project()
    lead = make_lead(project)
    service = import_codebook if name.endswith(".qdc") else import_project
    with _sample(name).open("rb") as upload:
        report = service(project=project, upload=upload, file_name=name, imported_by=lead)
    return project, report


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_real_samples_import_with_the_expected_counts(name):
    project, report = _import(name)
    codes, interviews, excerpts, applications, placeholders = IMPORTS[name]
    assert Code.objects.filter(project=project).count() == codes
    assert Interview.objects.filter(project=project).count() == interviews
    assert Excerpt.objects.filter(interview__project=project).count() == excerpts
    assert ExcerptCode.objects.filter(excerpt__interview__project=project).count() == applications
    assert sum(c.new for c in report.counts if c.label == "Coders") == placeholders
    assert report.dropped == []
    for excerpt in Excerpt.objects.filter(interview__project=project).select_related("interview"):
        assert excerpt.interview.transcript[excerpt.start : excerpt.end] == excerpt.text


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_real_samples_that_cannot_be_imported_are_refused_cleanly(name):
    project = make_project()
    before = record_counts()
    service = import_codebook if name.endswith(".qdc") else import_project
    with _sample(name).open("rb") as upload, pytest.raises(ValidationError) as error:
        service(project=project, upload=upload, file_name=name, imported_by=None)
    assert error.value.messages == [REFUSALS[name]]
    assert record_counts() == before


@pytest.mark.django_db
def test_nvivo_utf16_positions_become_the_phrases_nvivo_showed():
    project, report = _import("nvivo-12.6-win_oltas0517.qdpx")
    excerpts = list(Excerpt.objects.filter(interview__project=project).select_related("interview"))
    assert any(e.text.startswith("Senkit nem lehet kötelezni oltásra,") for e in excerpts)

    def on_boundary(text: str, at: int) -> bool:
        return at in (0, len(text)) or not (text[at - 1].isalnum() and text[at].isalnum())

    on_word_boundaries = sum(
        1
        for e in excerpts
        if on_boundary(e.interview.transcript, e.start) and on_boundary(e.interview.transcript, e.end)
    )
    assert on_word_boundaries >= 300  # the MANIFEST's check: 300 of 303 under this reading, 49 under code points
    assert (
        "Positions in “videos_10_selected” were counted in UTF-16 code units (as NVivo for Windows counts); "
        "they were converted to characters." in report.notes
    )
    nested = Code.objects.filter(project=project, parent__parent__parent__isnull=False)
    assert nested.exists()


@pytest.mark.django_db
def test_qc_whole_line_selections_keep_their_lines():
    project, _report = _import("qc-1.3.2_demo.qdpx")
    first = Excerpt.objects.filter(interview__project=project).order_by("start").first()
    assert first.text == "This district goal is engage every student in joyful, purposeful learning that \n"
    assert first.interview.title == "board_2017.txt"


@pytest.mark.django_db
def test_the_same_code_tree_from_two_tools_is_matched_by_guid():
    project = make_project()
    lead = make_lead(project)
    for name in ("qc-1.3.2_demo.qdpx", "nvivo-15.0-mac_qc-project.qdpx"):
        with _sample(name).open("rb") as upload:
            report = import_project(project=project, upload=upload, file_name=name, imported_by=lead)
    assert Code.objects.filter(project=project).count() == 262
    assert [(c.new, c.matched) for c in report.counts if c.label == "Codes"] == [(0, 262)]


@pytest.mark.django_db
def test_lenient_guids_and_a_backslash_in_a_code_name_are_read():
    project, _ = _import("mastodonmoodboard_example_codebook.qdc")
    top = Code.objects.get(project=project, name="Negativ/Aufgeregt")
    assert top.colour == "#e57373"
    assert top.definition == "All emotions with negative valence and positive arousal."
    assert top.children.count() > 5
    project, _ = _import("taguette-1.5.2_codebook_from-tests.qdc")
    assert Code.objects.filter(project=project, name="interesting\\places").exists()
