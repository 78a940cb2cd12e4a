"""Tests that need the shared REFI-QDA folder skip in a user's clone but cannot go quiet in CI."""

import pytest

from tests.exchange.helpers import SHARED, shared_file


def test_a_missing_shared_file_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is not here"):
        shared_file(SHARED / "no-such-schema.xsd")


def test_a_missing_shared_file_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(
        pytest.fail.Exception, match="is missing: CI must have the shared REFI-QDA folder beside the checkout."
    ):
        shared_file(SHARED / "no-such-schema.xsd")


def test_a_present_shared_file_is_returned(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    present = tmp_path / "schema.xsd"
    present.write_text("<schema/>")
    assert shared_file(present) == present
