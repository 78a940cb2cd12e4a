"""The OpenAPI 3.1 description of the excerpt and code API, served at /api/openapi.json."""

from __future__ import annotations

from casestudies.validators import (
    MAX_DEFINITION_LENGTH,
    MAX_ID,
    MAX_IDS,
    MAX_MEMO_LENGTH,
    MAX_OFFSET,
    MAX_TAG_LENGTH,
    MAX_TAGS,
)

MAX_NAME_LENGTH = 200

OFFSET_NOTE = (
    "Offsets count Unicode code points of the interview's canonical transcript (what Python's str indexes), "
    "not UTF-16 code units: an emoji outside the Basic Multilingual Plane counts as one."
)


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Detail"}}},
    }


BAD_REQUEST = {
    "description": "Bad input: one message per field.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}},
}
NOT_LOGGED_IN = _error("Not logged in.")
FORBIDDEN = _error("Visible to you, but you may not change it (or the CSRF token is missing).")
NOT_FOUND = _error("Does not exist, or is outside your reach.")
TOO_LARGE = _error("The body is larger than the API accepts.")
NOT_JSON = _error("The body is not sent as JSON (Content-Type: application/json).")
STALE = {
    "description": (
        "If-Match named an older version: someone changed the excerpt since you read it. Nothing was saved; "
        "the body holds the excerpt as it is now."
    ),
    "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Stale"}}},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": (
        'The ETag from the GET, for example "3": the change is refused with 412 if the excerpt has moved on. '
        "Without it the change applies to whatever version is current."
    ),
    "schema": {"type": "string", "maxLength": 100},
}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _id_parameter(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": ID}


def _ids(description: str) -> dict:
    return {"type": "array", "items": ID, "maxItems": MAX_IDS, "description": description}


def _with_etag(description: str, ref: str) -> dict:
    return {
        "description": description,
        "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
        "content": _json(ref),
    }


EXCERPT_BODY_PROPERTIES = {
    "start": {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_OFFSET,
        "description": "First code point of the excerpt.",
    },
    "end": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_OFFSET,
        "description": "One past the last code point (exclusive), at most the transcript's length.",
    },
    "code_ids": _ids("The codes, replacing exactly any before (the same list twice changes nothing)."),
    "memo": {"type": "string", "maxLength": MAX_MEMO_LENGTH},
    "is_key_quote": {"type": "boolean"},
}


def openapi_description(*, server_url: str = "/") -> dict:
    interview_id = _id_parameter("id", "The interview's id.")
    excerpt_id = _id_parameter("id", "The excerpt's id.")
    slug = {
        "name": "slug",
        "in": "path",
        "required": True,
        "description": "The project's slug.",
        "schema": {"type": "string"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Partnership workbench: coding API",
            "version": "1.0.0",
            "description": (
                "Excerpts of interview transcripts and the project's codebook. Log in through the web page "
                "(session cookie) and send the CSRF token in the X-CSRFToken header on POST, PATCH and DELETE. "
                "The same access rules as the pages apply: anything outside your reach answers 404; under blind "
                "coding you see only your own excerpts until a lead reveals the coding. " + OFFSET_NOTE
            ),
        },
        "servers": [{"url": server_url}],
        "security": [{"session": []}],
        "paths": {
            "/api/interviews/{id}/excerpts": {
                "parameters": [interview_id],
                "get": {
                    "summary": "List the excerpts of an interview that you may see, or what changed since",
                    "description": (
                        "The ETag is the version of what you see of the interview's coding. Sent back as "
                        "If-None-Match, it answers 304 with no body until something changes: an excerpt, its "
                        "codes or memo, the codebook, the transcript, or who else has the interview open. With "
                        "`since` (a version), only the excerpts changed since then are listed, with the ids of "
                        "those deleted; `full` says when the whole list is sent instead. Reading the list counts "
                        "you as at work on the interview for 30 seconds."
                    ),
                    "operationId": "listInterviewExcerpts",
                    "parameters": [
                        {
                            "name": "since",
                            "in": "query",
                            "required": False,
                            "description": "The `version` of an earlier answer.",
                            "schema": {"type": "string", "maxLength": 200},
                        },
                        {
                            "name": "If-None-Match",
                            "in": "header",
                            "required": False,
                            "description": "The ETag of an earlier answer: 304 if nothing has changed since.",
                            "schema": {"type": "string", "maxLength": 200},
                        },
                    ],
                    "responses": {
                        "200": _with_etag("The interview and its excerpts, in transcript order.", "ExcerptList"),
                        "304": {"description": "Nothing has changed since the version named in If-None-Match."},
                        "401": NOT_LOGGED_IN,
                        "404": NOT_FOUND,
                    },
                },
                "post": {
                    "summary": "Code a passage: create an excerpt",
                    "operationId": "createExcerpt",
                    "requestBody": {"required": True, "content": _json("ExcerptCreate")},
                    "responses": {
                        "201": _with_etag("The new excerpt, with the text it covers.", "Excerpt"),
                        "400": BAD_REQUEST,
                        "401": NOT_LOGGED_IN,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                        "413": TOO_LARGE,
                        "415": NOT_JSON,
                    },
                },
            },
            "/api/interviews/{id}/presence": {
                "parameters": [interview_id],
                "delete": {
                    "summary": "Stop being shown as at work on the interview (a coding page closing)",
                    "operationId": "leaveInterview",
                    "responses": {"204": {"description": "Done."}, "401": NOT_LOGGED_IN, "404": NOT_FOUND},
                },
            },
            "/api/excerpts/{id}": {
                "parameters": [excerpt_id],
                "get": {
                    "summary": "One excerpt",
                    "operationId": "getExcerpt",
                    "responses": {
                        "200": _with_etag("The excerpt; its ETag is its version.", "Excerpt"),
                        "401": NOT_LOGGED_IN,
                        "404": NOT_FOUND,
                    },
                },
                "patch": {
                    "summary": "Change an excerpt's boundaries, codes, memo or key-quote mark",
                    "description": (
                        "Only the fields given change. Coders change their own excerpts; "
                        "leads and admins any in their project."
                    ),
                    "operationId": "updateExcerpt",
                    "parameters": [IF_MATCH],
                    "requestBody": {"required": True, "content": _json("ExcerptUpdate")},
                    "responses": {
                        "200": _with_etag("The changed excerpt, at its new version.", "Excerpt"),
                        "400": BAD_REQUEST,
                        "401": NOT_LOGGED_IN,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                        "412": STALE,
                        "413": TOO_LARGE,
                        "415": NOT_JSON,
                    },
                },
                "delete": {
                    "summary": "Delete an excerpt",
                    "operationId": "deleteExcerpt",
                    "parameters": [IF_MATCH],
                    "responses": {
                        "204": {"description": "Deleted."},
                        "401": NOT_LOGGED_IN,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                        "412": STALE,
                    },
                },
            },
            "/api/projects/{slug}/codes": {
                "parameters": [slug],
                "get": {
                    "summary": "The project's codebook, depth-first",
                    "operationId": "listCodes",
                    "responses": {
                        "200": {"description": "Every code with its path.", "content": _json("CodeList")},
                        "401": NOT_LOGGED_IN,
                        "404": NOT_FOUND,
                    },
                },
                "post": {
                    "summary": "Add a code (researchers may add codes while coding)",
                    "operationId": "createCode",
                    "requestBody": {"required": True, "content": _json("CodeCreate")},
                    "responses": {
                        "201": {"description": "The new code.", "content": _json("Code")},
                        "400": BAD_REQUEST,
                        "401": NOT_LOGGED_IN,
                        "403": FORBIDDEN,
                        "404": NOT_FOUND,
                        "413": TOO_LARGE,
                        "415": NOT_JSON,
                    },
                },
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "operationId": "getOpenAPI",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1 description.", "content": {"application/json": {}}}
                    },
                }
            },
        },
        "components": {
            "headers": {
                "ETag": {
                    "description": 'The excerpt\'s version, quoted ("3"): send it back in If-Match.',
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sessionid",
                    "description": "Django session cookie.",
                }
            },
            "schemas": {
                "Detail": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]},
                "FieldErrors": {
                    "type": "object",
                    "properties": {
                        "errors": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": (
                                "One message per field; `non_field_errors` for the rest, `body` for unreadable JSON."
                            ),
                        }
                    },
                    "required": ["errors"],
                    "example": {"errors": {"end": "End 901 is past the end of the transcript (900 characters)."}},
                },
                "Person": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
                    "required": ["id", "name"],
                },
                "Excerpt": {
                    "type": "object",
                    "description": OFFSET_NOTE,
                    "properties": {
                        "id": {"type": "integer"},
                        "interview_id": {"type": "integer"},
                        "start": {"type": "integer"},
                        "end": {"type": "integer"},
                        "text": {"type": "string", "description": "The transcript text [start, end) as stored."},
                        "code_ids": {
                            "type": "array",
                            "items": {"type": "integer"},
                            "description": "In the order applied.",
                        },
                        "memo": {"type": "string"},
                        "is_key_quote": {"type": "boolean"},
                        "needs_review": {
                            "type": "boolean",
                            "description": "A transcript correction changed its text; a coder has not confirmed it.",
                        },
                        "version": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Goes up by one on every change; the ETag.",
                        },
                        "coded_by": {"$ref": "#/components/schemas/Person"},
                        "can_edit": {"type": "boolean", "description": "Whether you may change or delete it."},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                    "required": [
                        "id",
                        "interview_id",
                        "start",
                        "end",
                        "text",
                        "code_ids",
                        "memo",
                        "is_key_quote",
                        "version",
                        "coded_by",
                        "can_edit",
                    ],
                },
                "Stale": {
                    "type": "object",
                    "properties": {
                        "detail": {"type": "string"},
                        "current": {"$ref": "#/components/schemas/Excerpt"},
                    },
                    "required": ["detail", "current"],
                },
                "ExcerptList": {
                    "type": "object",
                    "properties": {
                        "interview": {
                            "type": "object",
                            "properties": {
                                "id": {"type": "integer"},
                                "title": {"type": "string"},
                                "length": {"type": "integer", "description": "The transcript's length in code points."},
                            },
                        },
                        "version": {"type": "string", "description": "This answer's version (its ETag)."},
                        "full": {
                            "type": "boolean",
                            "description": "Whether `excerpts` is every excerpt you may see, or those changed since.",
                        },
                        "excerpts": {"type": "array", "items": {"$ref": "#/components/schemas/Excerpt"}},
                        "deleted": {
                            "type": "array",
                            "items": {"type": "integer"},
                            "description": "With `since`: the excerpts deleted (or no longer shared with you) since.",
                        },
                        "codes": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Code"},
                            "description": "With `since`: the whole codebook, sent only when it changed.",
                        },
                        "transcript_changed": {
                            "type": "boolean",
                            "description": "With `since`: the transcript was corrected or redacted since.",
                        },
                        "present": {
                            "type": "array",
                            "description": "Others with the interview open (none under blind coding).",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "id": {"type": "integer"},
                                    "name": {"type": "string"},
                                    "initials": {"type": "string"},
                                    "colour": {"type": "string"},
                                    "text_colour": {"type": "string"},
                                },
                            },
                        },
                    },
                    "required": ["interview", "version", "full", "excerpts", "present"],
                },
                "ExcerptCreate": {
                    "type": "object",
                    "description": OFFSET_NOTE,
                    "properties": EXCERPT_BODY_PROPERTIES,
                    "required": ["start", "end"],
                    "additionalProperties": False,
                    "example": {"start": 120, "end": 187, "code_ids": [4], "memo": "", "is_key_quote": False},
                },
                "ExcerptUpdate": {
                    "type": "object",
                    "properties": EXCERPT_BODY_PROPERTIES,
                    "additionalProperties": False,
                    "example": {"code_ids": [4, 9], "is_key_quote": True},
                },
                "ResearchQuestionLink": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "label": {"type": "string"}, "text": {"type": "string"}},
                },
                "Code": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "path": {"type": "string", "description": "Names from the top of the tree, joined by ' › '."},
                        "depth": {"type": "integer"},
                        "parent_id": {"type": ["integer", "null"]},
                        "colour": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
                        "definition": {"type": "string"},
                        "is_archived": {"type": "boolean"},
                        "is_codable": {"type": "boolean", "description": "False for a heading that only groups codes."},
                        "research_questions": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ResearchQuestionLink"},
                        },
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "url": {"type": "string", "description": "The code's retrieval page."},
                    },
                    "required": ["id", "name", "path", "depth", "parent_id", "colour", "is_archived", "is_codable"],
                },
                "CodeList": {
                    "type": "object",
                    "properties": {"codes": {"type": "array", "items": {"$ref": "#/components/schemas/Code"}}},
                    "required": ["codes"],
                },
                "CodeCreate": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
                        "parent_id": {"oneOf": [ID, {"type": "null"}]},
                        "definition": {"type": "string", "maxLength": MAX_DEFINITION_LENGTH},
                        "colour": {
                            "type": "string",
                            "pattern": "^#[0-9a-fA-F]{6}$",
                            "description": "#rrggbb; by default the parent's, or the next of the palette.",
                        },
                        "research_question_ids": _ids("The research questions the code helps to answer."),
                        "tags": {
                            "type": "array",
                            "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH},
                            "maxItems": MAX_TAGS,
                        },
                        "is_codable": {"type": "boolean"},
                    },
                    "required": ["name"],
                    "additionalProperties": False,
                    "example": {"name": "Lender consent", "parent_id": 12},
                },
            },
        },
    }
