"""/openapi.json, generated from the endpoint registry and the pydantic models."""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from moderation import __version__
from moderation.api.registry import ENDPOINTS, Endpoint
from moderation.models import ErrorOut

REF = "#/components/schemas/{model}"
SECURITY = {"moderator": [{"bearer": []}], "admin": [{"bearer": []}]}


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorOut": ErrorOut}
    for ep in ENDPOINTS:
        for model in (ep.request, *ep.responses.values()):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(ep: Endpoint) -> list[dict]:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
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


def _operation(ep: Endpoint) -> dict:
    responses: dict[str, dict] = {}
    for status, model in ep.responses.items():
        content = {ep.content_type: {"schema": _ref(model) if model else {}}}
        responses[str(status)] = {"description": ep.summary, "content": content}
    for status in ep.errors:
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
