"""An interview as an annotated document to share: the coding beside each turn, and only what may leave the app."""

import io

import pytest
from django.urls import reverse
from docx import Document

from tests import factories as f

pytestmark = pytest.mark.django_db

TRANSCRIPT = (
    "Interviewer: How did it start?\n"
    "Ruth: Joanna Pettifer rang me about the merger.\n"
    "Jo: I would rather this stayed between us."
)


@pytest.fixture
def interview():
    project = f.make_project()
    lead = f.make_lead(project)
    interview = f.make_interview(
        f.make_case_study(project, title="Housing"), transcript=TRANSCRIPT, title="Ruth and Jo"
    )
    ruth = f.make_participant(project, pseudonym="Ruth", real_name="Ruth Ellingham")
    jo = f.make_participant(project, pseudonym="Jo", real_name="Joanna Pettifer", consent_to_quote=False)
    interview.participants.set([ruth, jo])
    trust = f.make_code(project, name="Trust")
    start = TRANSCRIPT.index("Joanna")
    f.make_excerpt(interview, start=start, end=start + 20, codes=[trust], coded_by=lead)
    f.make_excerpt(interview, start=start, end=start + 10, codes=[trust], coded_by=lead)
    return interview, lead


def test_the_annotated_document_shows_the_coding_and_withholds_what_may_not_be_quoted(client, interview):
    record, lead = interview
    client.force_login(lead)

    page = client.get(reverse("coding:interview_document", args=[record.pk])).content.decode()

    assert "Interviewer:</strong> How did it start?" in page
    assert "Ruth:</strong> [Jo] rang me about the merger." in page
    assert "Coded: Trust ×2" in page
    assert "[Withheld: this participant has not consented to be quoted]" in page
    assert "rather this stayed" not in page and "Pettifer" not in page
    assert "2 coded passages; 1 turn withheld" in page


def test_the_annotated_document_as_word(client, interview):
    record, lead = interview
    client.force_login(lead)

    response = client.get(reverse("coding:interview_document", args=[record.pk]), {"format": "docx"})

    paragraphs = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert response["Content-Disposition"] == f'attachment; filename="interview-{record.pk}-annotated.docx"'
    assert "Ruth: [Jo] rang me about the merger." in paragraphs
    assert "Coded: Trust ×2" in paragraphs
    assert "Jo: [Withheld: this participant has not consented to be quoted]" in paragraphs
    assert client.get(reverse("coding:interview_document", args=[record.pk]), {"format": "pdf"}).status_code == 400


def test_someone_outside_the_case_study_gets_nothing(client, interview):
    record, _ = interview
    client.force_login(f.make_researcher(record.project))

    assert client.get(reverse("coding:interview_document", args=[record.pk])).status_code == 404
