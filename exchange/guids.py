"""Stable GUIDs for REFI-QDA exchange.

Codes, excerpts and memos carry their own `guid`. Everything else that the format needs a GUID for
(users, interviews, case studies, variables, codings, the project) gets one derived from a fixed
namespace and stable keys, so that exporting twice gives the same GUIDs without storing anything.
"""

from __future__ import annotations

import re
import uuid

NAMESPACE = uuid.UUID("53c67c1e-a3cf-426a-8199-5f388f18a7f0")

_UUID_PATTERN = re.compile(r"^\{?([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})\}?$")


def derived_guid(kind: str, *keys: object) -> uuid.UUID:
    """A GUID that is the same every time for the same kind of record and keys."""
    return uuid.uuid5(NAMESPACE, ":".join([kind, *(str(key) for key in keys)]))


def user_guid(user_pk: int) -> uuid.UUID:
    return derived_guid("user", user_pk)


def interview_guid(interview_pk: int) -> uuid.UUID:
    return derived_guid("interview", interview_pk)


def case_study_guid(case_study_pk: int) -> uuid.UUID:
    return derived_guid("case-study", case_study_pk)


def variable_guid(project_pk: int, key: str) -> uuid.UUID:
    return derived_guid("variable", project_pk, key)


def coding_guid(excerpt_guid: uuid.UUID, code_guid: uuid.UUID) -> uuid.UUID:
    return derived_guid("coding", excerpt_guid, code_guid)


def link_guid(memo_guid: uuid.UUID) -> uuid.UUID:
    return derived_guid("memo-link", memo_guid)


def set_guid(project_pk: int, name: str) -> uuid.UUID:
    return derived_guid("set", project_pk, name)


def file_key(value: str | None) -> str:
    """How a GUID written by another tool is compared inside one file: case, braces and spacing ignored.

    Identifiers that are not GUIDs at all (some tools write `c001`) are kept as they are, so that
    references to them still resolve.
    """
    text = (value or "").strip()
    match = _UUID_PATTERN.match(text)
    if match:
        return str(uuid.UUID(match.group(1)))
    return f"raw:{text}"


def guid_from_key(key: str) -> uuid.UUID:
    """The UUID to store for a file's identifier: itself when it is a GUID, else one derived from it."""
    if key.startswith("raw:"):
        return derived_guid("foreign", key[4:])
    return uuid.UUID(key)
