"""Bounds on what a user can type or send, shared by every form and the JSON API.

Text is refused if it holds a NUL character (PostgreSQL cannot store one) or a lone UTF-16 surrogate (a JSON
body can carry "\\ud800", which no UTF-8 text can hold); numbers read from a query string or a body are refused
unless they are plain ASCII digits within a database integer; tags are bounded in length and in number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils.deconstruct import deconstructible

# Offsets are stored in 32-bit integer columns (and PostgreSQL's substring() takes an integer).
MAX_OFFSET = 2**31 - 1
# Ids are 64-bit (BigAutoField).
MAX_ID = 2**63 - 1
# django-taggit's Tag.name is a CharField(max_length=100).
MAX_TAG_LENGTH = 100
MAX_TAGS = 50
# The most ids one list may hold (codes of an excerpt, research questions of a code).
MAX_IDS = 100
# Free text: generous for what a researcher writes, small enough that a page or export stays readable.
MAX_MEMO_LENGTH = 20_000
MAX_DEFINITION_LENGTH = 10_000
MAX_DESCRIPTION_LENGTH = 20_000
MAX_NARRATIVE_LENGTH = 100_000

NUL_MESSAGE = "Remove the NUL character (\\u0000): text cannot contain it."
SURROGATE_MESSAGE = "Remove the unpaired surrogate (\\u{code:04x}): text must be valid Unicode."

_SURROGATE = re.compile("[\ud800-\udfff]")


@deconstructible
class PlainTextValidator:
    """Refuses a NUL character or a lone surrogate, with a message that says which."""

    def __call__(self, value) -> None:
        if not isinstance(value, str):
            return
        if "\x00" in value:
            raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")
        surrogate = _SURROGATE.search(value)
        if surrogate:
            raise ValidationError(SURROGATE_MESSAGE.format(code=ord(surrogate.group())), code="surrogate")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator)

    def __hash__(self) -> int:
        return hash(PlainTextValidator)


validate_plain_text = PlainTextValidator()


def plain_text_fields(form: forms.BaseForm, *, limits: dict[str, int] | None = None) -> None:
    """Give every text field of a form the shared check (in place of Django's own NUL check, whose message
    differs from the API's), and a length bound to those without one: `limits` by field name, else
    MAX_NARRATIVE_LENGTH."""
    limits = limits or {}
    for name, field in form.fields.items():
        if not isinstance(field, forms.CharField):
            continue
        field.validators = [
            validator
            for validator in field.validators
            if not isinstance(validator, ProhibitNullCharactersValidator | PlainTextValidator)
        ]
        field.validators.append(validate_plain_text)
        if field.max_length is None:
            field.max_length = limits.get(name, MAX_NARRATIVE_LENGTH)
            field.validators.append(MaxLengthValidator(field.max_length))
            field.widget.attrs.update(field.widget_attrs(field.widget))


class PlainTextForm:
    """Mixin for forms: every text field refuses NUL characters and lone surrogates, and is bounded in length
    (`text_limits` by field name, else MAX_NARRATIVE_LENGTH)."""

    text_limits: dict[str, int] = {}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        plain_text_fields(self, limits=self.text_limits)


def check_tags(names: Iterable[str]) -> list[str]:
    """Tags as stored: stripped, empty ones dropped, duplicates once; bounded in length and in number."""
    tags: dict[str, str] = {}
    for name in names:
        validate_plain_text(name)
        name = name.strip()
        if not name:
            continue
        if len(name) > MAX_TAG_LENGTH:
            raise ValidationError(
                f"A tag can have at most {MAX_TAG_LENGTH} characters; “{name[:20]}…” has {len(name)}.",
                code="tag_too_long",
            )
        tags.setdefault(name, name)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"Give at most {MAX_TAGS} tags (there are {len(tags)}).", code="too_many_tags")
    return list(tags.values())


def split_tags(text: str) -> list[str]:
    """Comma-separated tags from a form field, checked."""
    return check_tags(text.split(","))


def parse_id(value: str | None) -> int | None:
    """A positive id from a query string, or None: only ASCII digits count ("²".isdigit() is true, int() fails)."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
