"""/openapi.json, generated from the endpoint registry and the pydantic models."""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from moderation import __version__
from moderation.queue.kinds import KINDS
from moderation.sites.wordlists import NAMES
from moderation.web.http import SITE_PATTERN
from moderation.web.models import SLUG_PATTERN, ErrorOut
from moderation.web.registry import ENDPOINTS, Endpoint

REF = "#/components/schemas/{model}"
SECURITY: dict[str, list[dict[str, list[str]]]] = {"moderator": [{"bearer": []}], "admin": [{"bearer": []}]}


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorOut": ErrorOut}
    for ep in ENDPOINTS:
        for model in (ep.request, *ep.responses.values()):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


# What the handlers accept in each path segment (anything else is 422 or 404, documented).
# Ids stay opaque strings, as SPEC promises; thread and author keys are slugs.
PATH_SCHEMAS: dict[str, dict] = {
    "site": {"type": "string", "pattern": SITE_PATTERN},
    "thread": {"type": "string", "pattern": SLUG_PATTERN},
    "author": {"type": "string", "pattern": SLUG_PATTERN},
    "kind": {"type": "string", "enum": sorted(KINDS)},
    "name": {"type": "string", "enum": sorted(NAMES)},
}


def _parameters(ep: Endpoint) -> list[dict]:
    params = [{"name": name, "in": "path", "required": True,
               "schema": PATH_SCHEMAS.get(name, {"type": "string"})}
              for name in re.findall(r"{(\w+)}", ep.path)]
    if ep.query is not None:
        schema = ep.query.model_json_schema(ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "schema": prop, "explode": True})
    params += [{"name": header, "in": "header", "required": False, "schema": {"type": "string"}}
               for header in ep.headers]
    return params


# Statuses without a body: documenting a content for them would promise one that never comes.
NO_BODY = frozenset({204, 304})


def _errors(ep: Endpoint) -> list[int]:
    """The endpoint's own errors plus those the shared machinery answers for it (so the document
    tells the truth even where a handler's list forgets one): a JSON body can be malformed or too
    deep (400), arrive too slowly (408), be too large (413), of another type (415) or invalid
    (422); a query can be invalid (422); a token can be missing (401), of another site (404) or not
    an admin's (403); a `{site}` or an id can be unknown (404); a key PostgreSQL cannot store is
    400; an endpoint that reads the database answers 503 while it is down."""
    statuses = set(ep.errors)
    if ep.request is not None:
        statuses |= {400, 408, 413, 415, 422}
    if ep.query is not None:
        statuses.add(422)
    if ep.audience in SECURITY:
        statuses |= {401, 404}
    if ep.audience == "admin":
        statuses.add(403)
    if "{" in ep.path:
        statuses.add(404)
    if "{site}" in ep.path:
        statuses |= {400, 503}  # 400: text PostgreSQL cannot store (NUL) in a key
    return sorted(statuses - set(ep.responses))


def _operation(ep: Endpoint) -> dict:
    responses: dict[str, dict] = {}
    for status, model in ep.responses.items():
        responses[str(status)] = {"description": ep.summary}
        if status not in NO_BODY:
            responses[str(status)]["content"] = {ep.content_type: {"schema": _ref(model) if model else {}}}
    for status in _errors(ep):
        responses[str(status)] = {"description": "error",
                                  "content": {"application/json": {"schema": _ref(ErrorOut)}}}
    op = {"summary": ep.summary, "operationId": ep.handler.__name__, "tags": [ep.audience],
          "parameters": _parameters(ep), "responses": responses}
    if ep.request is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(ep.request)}}}
    if ep.audience in SECURITY:
        op["security"] = SECURITY[ep.audience]
    return op


@functools.cache
def openapi_document() -> dict:
    _, schemas = models_json_schema([(m, "validation") for m in _models()], ref_template=REF)
    paths: dict[str, dict] = {}
    for ep in ENDPOINTS:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {"title": "moderation", "version": __version__,
                 "description": "Comments and author ratings through a rule queue."},
        "paths": paths,
        "components": {"schemas": schemas.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
