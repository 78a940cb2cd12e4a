"""The JSON API the coding page uses: an interview's excerpts and a project's codes.

Session login with CSRF, the same access rules as the pages: 404 for anything outside the user's reach,
403 for what they can see but not change, 400 with one message per field for bad input.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from casestudies.models import ResearchProject, ResearchQuestion
from disclosure.access import (
    can_change_excerpt,
    get_editable_excerpt_for,
    get_excerpt_for,
    get_interview_for,
    get_interview_to_code_for,
    get_project_for,
)

from . import services
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
            except Http404:
                return JsonResponse({"detail": "Not found."}, status=404)
            except PermissionDenied as error:
                return JsonResponse({"detail": str(error) or "You are not allowed to do this."}, status=403)
            except ValidationError as error:
                return JsonResponse({"errors": field_messages(error)}, status=400)

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


def _json_body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValidationError({"body": f"The body is not valid JSON ({error})."}) from error
    if not isinstance(data, dict):
        raise ValidationError({"body": "The body must be a JSON object."})
    return data


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id_list(data: dict, key: str, errors: dict[str, str]) -> list[int] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(_is_int(item) for item in value):
        errors[key] = "Give a list of ids, for example [3, 7]."
        return None
    return list(dict.fromkeys(value))


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


def _excerpt_changes(data: dict, *, project_id: int, partial: bool) -> dict:
    """The fields of an excerpt body, checked for type; ranges and codes are checked by the services."""
    errors: dict[str, str] = {name: "Unknown field." for name in data if name not in EXCERPT_FIELDS}
    changes: dict = {}
    for name in ("start", "end"):
        if name not in data:
            if not partial:
                errors[name] = "This field is required."
        elif not _is_int(data[name]):
            errors[name] = RANGE_MESSAGES[name]
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
        "coded_by": {"id": coder.pk, "name": person_name(coder.first_name, coder.last_name, coder.username)},
        "can_edit": can_change_excerpt(user, excerpt),
        "created_at": excerpt.created_at.isoformat(),
    }


@api_view("GET", "POST")
def interview_excerpt_list(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return _create_excerpt(request, pk)
    interview = get_interview_for(request.user, pk, with_transcript=False)
    return JsonResponse(
        {
            "interview": {"id": interview.pk, "title": interview.title, "length": transcript_length(interview)},
            "excerpts": interview_excerpts(user=request.user, interview=interview),
        }
    )


def _create_excerpt(request: HttpRequest, pk: int) -> HttpResponse:
    interview = get_interview_to_code_for(request.user, pk)
    changes = _excerpt_changes(_json_body(request), project_id=interview.project_id, partial=False)
    excerpt = services.create_excerpt(interview=interview, coded_by=request.user, **changes)
    code_ids = list(dict.fromkeys(code.pk for code in changes.get("codes", ())))
    response = JsonResponse(excerpt_json(excerpt, user=request.user, code_ids=code_ids), status=201)
    response["Location"] = reverse("coding:api_excerpt", kwargs={"pk": excerpt.pk})
    return response


@api_view("GET", "PATCH", "DELETE")
def excerpt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        return JsonResponse(excerpt_json(get_excerpt_for(request.user, pk), user=request.user))
    excerpt = get_editable_excerpt_for(request.user, pk)
    if request.method == "DELETE":
        services.delete_excerpt(excerpt=excerpt)
        return HttpResponse(status=204)
    changes = _excerpt_changes(_json_body(request), project_id=excerpt.interview.project_id, partial=True)
    excerpt = services.update_excerpt(excerpt=excerpt, changed_by=request.user, **changes)
    code_ids = [code.pk for code in dict.fromkeys(changes["codes"])] if "codes" in changes else None
    return JsonResponse(excerpt_json(excerpt, user=request.user, code_ids=code_ids))


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
    errors: dict[str, str] = {name: "Unknown field." for name in data if name not in CODE_FIELDS}
    fields: dict = {}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "A code needs a name."
    else:
        fields["name"] = name
    parent_id = data.get("parent_id")
    if parent_id is not None:
        if not _is_int(parent_id):
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


@api_view("GET", "POST")
def project_code_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Researchers may add codes while coding; reshaping the codebook is for leads, on the codebook pages."""
    project = get_project_for(request.user, slug)
    if request.method == "GET":
        links = code_links(project)
        # One reverse() for the URL pattern rather than one per code.
        url = _code_url(0).removesuffix("0/")
        codes = [
            code_json(code, depth=depth, path=path, links=links.get(code.pk, NO_LINKS), url=f"{url}{code.pk}/")
            for code, depth, path in codes_in_tree_order(project)
        ]
        return JsonResponse({"codes": codes})
    fields = _code_fields(_json_body(request), project=project)
    code = services.create_code(project=project, created_by=request.user, **fields)
    ancestors = code_ancestors(code)
    path = " › ".join([*(ancestor.name for ancestor in ancestors), code.name])
    links = code_links(project).get(code.pk, NO_LINKS)
    response = JsonResponse(
        code_json(code, depth=len(ancestors), path=path, links=links, url=_code_url(code.pk)), status=201
    )
    response["Location"] = code.get_absolute_url()
    return response


@api_view("GET")
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_description(server_url=request.build_absolute_uri("/")))
