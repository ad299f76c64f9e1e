"""The admin endpoint of imports: the same file as `moderation import` takes, as an upload."""

from __future__ import annotations

import asyncio
import io
import tempfile
from pathlib import Path
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from moderation.errors import ApiError
from moderation.imports.native import import_native
from moderation.imports.runner import Progress, run_import
from moderation.web.http import find_site, json_response, parse_query
from moderation.web.keys import CONFIG, POOL
from moderation.web.models import Strict
from moderation.web.registry import endpoint

CHUNK = 1 << 20


class ImportQuery(Strict):
    source: Literal["disqus", "wordpress", "isso", "remark42", "native"]
    moderate: bool = Field(default=False, description=(
        "send the comments through the rules instead of trusting them as history"))


class SkippedExample(BaseModel):
    where: str
    reason: str


class ImportSummary(BaseModel):
    read: int = Field(description="comments and bad records read")
    imported: int
    already_imported: int = Field(description="there from an earlier run: not stored twice")
    threads: int
    orphans: int = Field(description="replies whose parent is not in the file, kept top-level")
    skipped: int
    skipped_by_reason: dict[str, int]
    skipped_examples: list[SkippedExample]


async def save_upload(request: web.Request, folder: Path, limit: int) -> Path:
    """The body, streamed to a file (an export may be far larger than memory)."""
    path = folder / "upload"
    size = 0
    out = await asyncio.to_thread(open, path, "wb")  # disk writes off the event loop
    try:
        async for chunk in request.content.iter_chunked(CHUNK):
            size += len(chunk)
            if size > limit:
                raise ApiError(413, "body_too_large",
                               f"an upload over {limit:,} bytes; use `moderation import` instead")
            await asyncio.to_thread(out.write, chunk)
    finally:
        out.close()
    if size == 0:
        raise ApiError(422, "empty_file", "send the export file as the request body")
    return path


@endpoint("POST", "/v1/sites/{site}/imports",
          "Import an export file sent as the body (Disqus XML, WordPress WXR, Isso SQLite, "
          "Remark42 backup, or a `moderation export`; gzipped or not); answers when it is done",
          "admin", query=ImportQuery, responses={200: ImportSummary},
          errors=(401, 403, 404, 413, 422))
async def import_upload(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, ImportQuery)
    if query.moderate and query.source == "native":
        raise ApiError(422, "validation_failed", "a native export keeps its decisions",
                       [{"field": "moderate", "type": "not_for_native",
                         "message": "--moderate is for peers' exports"}])
    with tempfile.TemporaryDirectory(prefix="moderation-import-") as folder:
        path = await save_upload(request, Path(folder), request.app[CONFIG].import_max_bytes)
        quiet = Progress(io.StringIO())  # progress is for terminals
        try:
            if query.source == "native":
                summary = await import_native(request.app[POOL], site.site_id, path, quiet)
            else:
                summary = await run_import(request.app[POOL], site.site_id, query.source, path,
                                           moderate=query.moderate, progress=quiet)
        except ValueError as exc:  # not that format at all: nothing was stored
            raise ApiError(422, "unreadable_file", f"not a {query.source} export: {exc}") from None
    return json_response(summary.as_dict())

