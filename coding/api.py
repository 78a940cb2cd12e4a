"""The JSON API the coding page uses: an interview's excerpts and a project's codes.

Session login with CSRF, the same access rules as the pages: 404 for anything outside the user's reach,
403 for what they can see but not change, 400 with one message per field for bad input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views import csrf, defaults

from casestudies.models import ResearchProject, ResearchQuestion
from casestudies.validators import MAX_ID, MAX_IDS, MAX_OFFSET, validate_plain_text
from disclosure.access import (
    can_change_excerpt,
    get_editable_excerpt_for,
    get_excerpt_for,
    get_interview_for,
    get_interview_to_code_for,
    get_project_for,
)

from . import live, services
from .models import Code, Excerpt
from .openapi import openapi_description
from .selectors import (
    CodeLinks,
    code_ancestors,
    code_links,
    codes_in_tree_order,
    interview_excerpts,
    person_name,
    transcript_length,
)

NO_LINKS = CodeLinks()

View = Callable[..., HttpResponse]

# Bounds on a request body, checked before and while it is parsed: the largest legitimate body (a memo of
# MAX_MEMO_LENGTH characters, each escaped as \uXXXX) fits well within the size.
MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 20
MAX_NUMBER_LENGTH = 20


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _detail(message: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def api_view(*methods: str) -> Callable[[View], View]:
    """JSON in and out: 401 before login, 405 for other methods, and errors as JSON rather than pages."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return JsonResponse({"detail": "Log in to use the API."}, status=401)
            if request.method not in methods:
                response = JsonResponse({"detail": f"{request.method} is not allowed here."}, status=405)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except (Http404, ObjectDoesNotExist):
                return _detail("Not found.", 404)
            except PermissionDenied as error:
                return _detail(str(error) or "You are not allowed to do this.", 403)
            except ValidationError as error:
                return JsonResponse({"errors": field_messages(error)}, status=400)
            except services.StaleVersion as error:
                return _stale(request, error.current)
            except RequestDataTooBig:
                return _too_large()
            except UnsupportedMediaType as error:
                return _detail(str(error), 415)

        # Login is still required: the wrapper answers 401 in JSON instead of redirecting to the login page.
        return login_not_required(wrapper)

    return decorator


def field_messages(error: ValidationError) -> dict[str, str]:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if name == NON_FIELD_ERRORS else name): " ".join(messages)
            for name, messages in error.message_dict.items()
        }
    return {"non_field_errors": " ".join(error.messages)}


def _too_large() -> JsonResponse:
    """413, naming the limit that applies: the API's own, or Django's DATA_UPLOAD_MAX_MEMORY_SIZE if smaller."""
    limit = min(MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or MAX_BODY_BYTES)
    size = f"{limit // 1024} KB" if limit % 1024 == 0 else f"{limit:,} bytes"
    return _detail(f"The body is larger than {size}.", 413)


class _Unreadable(ValueError):
    pass


def _number(kind: Callable[[str], object]) -> Callable[[str], object]:
    def parse(text: str) -> object:
        if len(text) > MAX_NUMBER_LENGTH:
            raise _Unreadable(f"a number has more than {MAX_NUMBER_LENGTH} characters")
        return kind(text)

    return parse


def _no_constant(name: str) -> object:
    raise _Unreadable(f"{name} is not a JSON number")


# String literals, then everything but brackets, are dropped to measure the nesting before the (recursive)
# parser runs.
_JSON_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]++")
_AS_PARENTHESES = str.maketrans("[{]}", "(())")


def _nested_too_deep(text: str) -> bool:
    """Whether arrays and objects nest more than MAX_JSON_DEPTH deep, in at most that many passes at C speed:
    each pass removes the innermost pairs, so a pair still left after them sits deeper."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False  # Too few brackets to nest deeper; most bodies stop here.
    brackets = _NOT_BRACKETS.sub("", _JSON_STRING.sub("", text)).translate(_AS_PARENTHESES)
    for _ in range(MAX_JSON_DEPTH):
        inner_removed = brackets.replace("()", "")
        if inner_removed == brackets:
            break
        brackets = inner_removed
    return "()" in brackets


def parse_json(body: bytes) -> object:
    """JSON with bounds: the body's size, its nesting depth and the length of each number are limited."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestDataTooBig("The body is too large.")
    try:
        text = body.decode("utf-8")
        if _nested_too_deep(text):
            raise _Unreadable(f"it is nested more than {MAX_JSON_DEPTH} levels deep")
        return json.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_no_constant)
    except UnicodeDecodeError as error:
        raise ValidationError({"body": "The body is not valid JSON (it is not UTF-8 text)."}) from error
    except (_Unreadable, json.JSONDecodeError, RecursionError) as error:
        raise ValidationError({"body": f"The body is not valid JSON ({error})."}) from error


class UnsupportedMediaType(Exception):
    """A body that is not JSON (a form, a multipart upload, text): answered 415 before it is read."""


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def _json_body(request: HttpRequest) -> dict:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    length = int(declared) if declared.isascii() and declared.isdigit() else None
    # Too large is said first, whatever the body is: it is never read.
    if length is not None and length > min(MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE or MAX_BODY_BYTES):
        raise RequestDataTooBig("The body is too large.")
    if (request.content_type or length != 0) and not _is_json(request.content_type or ""):
        raise UnsupportedMediaType(
            f"The body must be JSON, sent with Content-Type: application/json, not {request.content_type or 'none'}."
        )
    data = parse_json(request.body or b"{}")
    if not isinstance(data, dict):
        raise ValidationError({"body": "The body must be a JSON object."})
    _check_strings(data)
    return data


def _check_strings(data: dict) -> None:
    """Every text in the body, at any depth, refused if it holds a NUL or a lone surrogate: one message a field."""
    errors: dict[str, list[str]] = {}

    def walk(name: str, value: object) -> None:
        if isinstance(value, str):
            try:
                validate_plain_text(value)
            except ValidationError as error:
                errors.setdefault(name, error.messages)
        elif isinstance(value, list):
            for item in value:
                walk(name, item)

    for name, value in data.items():
        walk(_safe_name(name), value)
    if errors:
        raise ValidationError(errors)


def _safe_name(name: str) -> str:
    """A field name fit to echo back in a message (a name can carry anything a string can)."""
    try:
        validate_plain_text(name)
    except ValidationError:
        return ascii(name)
    return name


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_id(value) -> bool:
    return _is_int(value) and 1 <= value <= MAX_ID


def _id_list(data: dict, key: str, errors: dict[str, str]) -> list[int] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(_is_id(item) for item in value):
        errors[key] = "Give a list of ids, for example [3, 7]."
        return None
    ids = list(dict.fromkeys(value))
    if len(ids) > MAX_IDS:
        errors[key] = f"Give at most {MAX_IDS} ids (there are {len(ids)})."
        return None
    return ids


def _codes_by_id(project_id: int, ids: list[int], errors: dict[str, str], key: str = "code_ids") -> list[Code]:
    found = {code.pk: code for code in Code.objects.filter(project_id=project_id, pk__in=ids).order_by()}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        errors[key] = f"No code with id {', '.join(missing)} in this project."
    return [found[pk] for pk in ids if pk in found]


EXCERPT_FIELDS = ("start", "end", "code_ids", "memo", "is_key_quote")
RANGE_MESSAGES = {
    "start": "Start must be a whole number of characters, 0 or more.",
    "end": "End must be a whole number of characters, 1 or more.",
}
TOO_FAR = {"start": f"Start must be at most {MAX_OFFSET}.", "end": f"End must be at most {MAX_OFFSET}."}


def _excerpt_changes(data: dict, *, project_id: int, partial: bool) -> dict:
    """The fields of an excerpt body, checked for type; ranges and codes are checked by the services."""
    errors: dict[str, str] = {_safe_name(name): "Unknown field." for name in data if name not in EXCERPT_FIELDS}
    changes: dict = {}
    for name in ("start", "end"):
        if name not in data:
            if not partial:
                errors[name] = "This field is required."
        elif not _is_int(data[name]):
            errors[name] = RANGE_MESSAGES[name]
        elif data[name] > MAX_OFFSET:
            errors[name] = TOO_FAR[name]
        else:
            changes[name] = data[name]
    ids = _id_list(data, "code_ids", errors)
    if ids is not None:
        changes["codes"] = _codes_by_id(project_id, ids, errors)
    if "memo" in data:
        if isinstance(data["memo"], str):
            changes["memo"] = data["memo"]
        else:
            errors["memo"] = "The memo must be text."
    if "is_key_quote" in data:
        if isinstance(data["is_key_quote"], bool):
            changes["is_key_quote"] = data["is_key_quote"]
        else:
            errors["is_key_quote"] = "is_key_quote must be true or false."
    if errors:
        raise ValidationError(errors)
    return changes


def excerpt_json(excerpt: Excerpt, *, user, code_ids: list[int] | None = None) -> dict:
    coder = excerpt.coded_by
    if code_ids is None:
        code_ids = list(excerpt.code_links.order_by("id").values_list("code_id", flat=True))
    return {
        "id": excerpt.pk,
        "interview_id": excerpt.interview_id,
        "start": excerpt.start,
        "end": excerpt.end,
        "text": excerpt.text,
        "code_ids": code_ids,
        "memo": excerpt.memo,
        "is_key_quote": excerpt.is_key_quote,
        "needs_review": excerpt.needs_review,
        "version": excerpt.version,
        "coded_by": {"id": coder.pk, "name": person_name(coder.first_name, coder.last_name, coder.username)},
        "can_edit": can_change_excerpt(user, excerpt),
        "created_at": excerpt.created_at.isoformat(),
    }


@api_view("GET", "POST")
def interview_excerpt_list(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return _create_excerpt(request, pk)
    interview = get_interview_for(request.user, pk, with_transcript=False)
    state = live.coding_state(request.user, interview)
    version = state.version
    if request.headers.get("If-None-Match", "").strip() == version.etag:
        return _not_modified(version)
    since = live.Version.parse(request.GET["since"]) if "since" in request.GET else None
    changes = live.changes_since(request.user, interview, since, version) if since else None
    body = {
        "interview": {"id": interview.pk, "title": interview.title, "length": transcript_length(interview)},
        "version": str(version),
        "full": changes is None,
        "present": [colleague.as_json() for colleague in state.colleagues],
    }
    if changes is None:
        body["excerpts"] = interview_excerpts(user=request.user, interview=interview)
    else:
        body |= changes
        body["transcript_changed"] = since.transcript != version.transcript
        if since.codes != version.codes:
            body["codes"] = _codes_json(interview.project)
    response = JsonResponse(body)
    response["ETag"] = version.etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _not_modified(version: live.Version) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = version.etag
    response["Cache-Control"] = "private, no-cache"
    return response


@api_view("DELETE")
def interview_presence(request: HttpRequest, pk: int) -> HttpResponse:
    """A coding page closing: its coder is no longer shown to others as at work on the interview."""
    interview = get_interview_to_code_for(request.user, pk)
    live.leave(request.user, interview)
    return HttpResponse(status=204)


def _create_excerpt(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_interview_to_code_for(request.user, pk)
    changes = _excerpt_changes(_json_body(request), project_id=interview.project_id, partial=False)
    excerpt = services.create_excerpt(interview=interview, coded_by=request.user, **changes)
    code_ids = list(dict.fromkeys(code.pk for code in changes.get("codes", ())))
    response = JsonResponse(excerpt_json(excerpt, user=request.user, code_ids=code_ids), status=201)
    response["Location"] = reverse("coding:api_excerpt", kwargs={"pk": excerpt.pk})
    return _with_etag(response, excerpt)


def _etag(excerpt: Excerpt) -> str:
    return f'"{excerpt.version}"'


def _if_match(request: HttpRequest) -> int | None:
    """The version an If-Match header names: None without one (or with *); 0, which no version is, if unreadable."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    tag = header.removeprefix("W/").strip('"')
    return int(tag) if tag.isascii() and tag.isdigit() and len(tag) <= 10 else 0


def _with_etag(response: HttpResponse, excerpt: Excerpt) -> HttpResponse:
    response["ETag"] = _etag(excerpt)
    return response


def _stale(request: HttpRequest, current) -> JsonResponse:
    """412: the record changed since the client read it; the body is how it is now, to show and reapply on."""
    response = JsonResponse(
        {
            "detail": (
                f"This excerpt has been changed by someone else since you loaded it (it is now version "
                f"{current.version}). Nothing was saved: look at the current state and apply your change again."
            ),
            "current": excerpt_json(current, user=request.user),
        },
        status=412,
    )
    return _with_etag(response, current)


@api_view("GET", "PATCH", "DELETE")
def excerpt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """GET answers an ETag (the version); PATCH and DELETE with If-Match are refused with 412 once it is stale."""
    if request.method == "GET":
        excerpt = get_excerpt_for(request.user, pk)
        return _with_etag(JsonResponse(excerpt_json(excerpt, user=request.user)), excerpt)
    excerpt = get_editable_excerpt_for(request.user, pk)
    expected_version = _if_match(request)
    if request.method == "DELETE":
        services.delete_excerpt(excerpt=excerpt, expected_version=expected_version, deleted_by=request.user)
        return HttpResponse(status=204)
    changes = _excerpt_changes(_json_body(request), project_id=excerpt.interview.project_id, partial=True)
    excerpt = services.update_excerpt(
        excerpt=excerpt, changed_by=request.user, expected_version=expected_version, **changes
    )
    code_ids = [code.pk for code in dict.fromkeys(changes["codes"])] if "codes" in changes else None
    return _with_etag(JsonResponse(excerpt_json(excerpt, user=request.user, code_ids=code_ids)), excerpt)


def code_json(code: Code, *, depth: int, path: str, links: CodeLinks, url: str) -> dict:
    return {
        "id": code.pk,
        "name": code.name,
        "path": path,
        "depth": depth,
        "parent_id": code.parent_id,
        "colour": code.colour,
        "definition": code.definition,
        "is_archived": code.is_archived,
        "is_codable": code.is_codable,
        "research_questions": [
            {"id": question.pk, "label": question.short_label, "text": question.text} for question in links.questions
        ],
        "tags": list(links.tags),
        "url": url,
    }


def _code_url(pk: int) -> str:
    return reverse("coding:code", kwargs={"pk": pk})


CODE_FIELDS = ("name", "parent_id", "definition", "colour", "research_question_ids", "tags", "is_codable")


def _code_fields(data: dict, *, project: ResearchProject) -> dict:
    errors: dict[str, str] = {_safe_name(name): "Unknown field." for name in data if name not in CODE_FIELDS}
    fields: dict = {}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "A code needs a name."
    else:
        fields["name"] = name
    parent_id = data.get("parent_id")
    if parent_id is not None:
        if not _is_id(parent_id):
            errors["parent_id"] = "Give the parent as a code id, or null for the top of the codebook."
        else:
            parents = _codes_by_id(project.pk, [parent_id], errors, key="parent_id")
            fields["parent"] = parents[0] if parents else None
    for text_field in ("definition", "colour"):
        if text_field in data:
            if isinstance(data[text_field], str):
                fields[text_field] = data[text_field]
            else:
                errors[text_field] = f"The {text_field} must be text."
    ids = _id_list(data, "research_question_ids", errors)
    if ids:
        questions = {
            question.pk: question
            for question in ResearchQuestion.objects.filter(group__project=project, pk__in=ids).select_related("group")
        }
        missing = [str(pk) for pk in ids if pk not in questions]
        if missing:
            errors["research_question_ids"] = f"No research question with id {', '.join(missing)} in this project."
        fields["research_questions"] = list(questions.values())
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list) or not all(isinstance(tag, str) and tag.strip() for tag in tags):
            errors["tags"] = 'Give the tags as a list of words, for example ["housing"].'
        else:
            fields["tags"] = [tag.strip() for tag in tags]
    if "is_codable" in data:
        if isinstance(data["is_codable"], bool):
            fields["is_codable"] = data["is_codable"]
        else:
            errors["is_codable"] = "is_codable must be true or false."
    if errors:
        raise ValidationError(errors)
    return fields


def _codes_json(project: ResearchProject) -> list[dict]:
    links = code_links(project)
    # One reverse() for the URL pattern rather than one per code.
    url = _code_url(0).removesuffix("0/")
    return [
        code_json(code, depth=depth, path=path, links=links.get(code.pk, NO_LINKS), url=f"{url}{code.pk}/")
        for code, depth, path in codes_in_tree_order(project)
    ]


@api_view("GET", "POST")
def project_code_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Researchers may add codes while coding; reshaping the codebook is for leads, on the codebook pages."""
    project = get_project_for(request.user, slug)
    if request.method == "GET":
        return JsonResponse({"codes": _codes_json(project)})
    fields = _code_fields(_json_body(request), project=project)
    code = services.create_code(project=project, created_by=request.user, **fields)
    ancestors = code_ancestors(code)
    path = " › ".join([*(ancestor.name for ancestor in ancestors), code.name])
    links = code_links(project, code_ids=[code.pk]).get(code.pk, NO_LINKS)
    response = JsonResponse(
        code_json(code, depth=len(ancestors), path=path, links=links, url=_code_url(code.pk)), status=201
    )
    response["Location"] = code.get_absolute_url()
    return response


@api_view("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_description(server_url=request.build_absolute_uri("/")))


# Errors raised before or around the API's views (CSRF, unknown paths, oversized bodies, crashes) answer JSON
# under /api/ too, and the usual pages elsewhere. Wired in partnership/urls.py (handler400...) and through
# CSRF_FAILURE_VIEW.


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_api_request(request):
        return _detail(f"CSRF check failed ({reason}): send the CSRF token in the X-CSRFToken header.", 403)
    return csrf.csrf_failure(request, reason=reason)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        if isinstance(exception, RequestDataTooBig):
            return _too_large()
        return _detail("Bad request.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return _detail(str(exception) or "You are not allowed to do this.", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api_request(request):
        return _detail("Not found.", 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return _detail("Something went wrong on the server; the error has been logged.", 500)
    return defaults.server_error(request)
