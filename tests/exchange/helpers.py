"""Helpers for the exchange tests: the REFI-QDA schemas and samples, fixture files, record counts."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from lxml import etree

from casestudies.models import CaseStudy, Interview
from coding.models import Code, Excerpt, ExcerptCode, Memo

SHARED = Path(settings.BASE_DIR).parent / "shared" / "refi-qda"
SAMPLES = SHARED / "samples"
NS = {"q": "urn:QDA-XML:project:1.0", "c": "urn:QDA-XML:codebook:1.0"}


def shared_file(path: Path) -> Path:
    """A file from the shared REFI-QDA folder beside the checkout.

    Skipped where that folder is missing (a user's fresh clone), but never quietly in CI (CI=true), where it must be.
    """
    if not path.is_file():
        if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(
                f"{path} is missing: CI must have the shared REFI-QDA folder beside the checkout.", pytrace=False
            )
        pytest.skip(f"{path} is not here (the shared REFI-QDA folder sits beside the checkout in CI)")
    return path


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_file(SHARED / name))))


def assert_valid(document: bytes, schema_name: str) -> etree._Element:
    root = etree.fromstring(document)
    xsd = schema(schema_name)
    assert xsd.validate(root), xsd.error_log
    return root


def make_qdpx(xml: str | bytes, sources: dict[str, bytes | str] | None = None, qde_name: str = "project.qde") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(qde_name, xml.encode("utf-8") if isinstance(xml, str) else xml)
        for name, data in (sources or {}).items():
            archive.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def record_counts() -> dict[str, int]:
    """How many of each record exist: a refused import must leave every number as it was."""
    return {
        model.__name__: model.objects.count()
        for model in (Code, Interview, Excerpt, ExcerptCode, Memo, CaseStudy, get_user_model())
    }


TRANSCRIPT = (
    "Interviewer: How did the partnership start? 🙂\n\n"
    "Ruth: With a phone call, really. The café 🏠 was where we met.\n\n"
    "Interviewer: And trust?\n\n"
    "Ruth: Trust came later, after the first contract — about a year on."
)
