"""Admin endpoints for the site's word lists (banned → reject, suspect → hold) and the rules dry-run."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from moderation.errors import not_found
from moderation.judging.dry_run import Proposal, replay
from moderation.sites import wordlists as site_wordlists
from moderation.sites.settings import SiteSettings
from moderation.web.http import find_site, json_response, parse_body
from moderation.web.keys import CLOCK, DRY_RUNS, POOL
from moderation.web.registry import endpoint

Word = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class WordListBody(BaseModel):
    """Words and phrases; "word*" also matches longer words starting with it."""

    model_config = ConfigDict(extra="forbid")

    words: list[Word] = Field(max_length=5000)


def list_name(request: web.Request) -> str:
    name = request.match_info["name"]
    if name not in site_wordlists.NAMES:
        raise not_found("word list")
    return name


@endpoint("GET", "/v1/sites/{site}/wordlists/{name}", "One of the site's word lists", "admin",
          responses={200: WordListBody}, errors=(401, 403, 404))
async def get_wordlist(request: web.Request) -> web.Response:
    site = await find_site(request)
    words, _ = await site_wordlists.get(request.app[POOL], site.site_id, list_name(request))
    return json_response({"words": words})


@endpoint("PUT", "/v1/sites/{site}/wordlists/{name}", "Replace one of the site's word lists",
          "admin", request=WordListBody, responses={200: WordListBody},
          errors=(400, 401, 403, 404, 415, 422))
async def put_wordlist(request: web.Request) -> web.Response:
    site = await find_site(request)
    name = list_name(request)
    body = await parse_body(request, WordListBody)
    await site_wordlists.put(request.app[POOL], site.site_id, name, body.words)
    return json_response({"words": body.words})


class ProposedWordLists(BaseModel):
    model_config = ConfigDict(extra="forbid")

    banned: list[Word] | None = Field(default=None, max_length=5000)
    suspect: list[Word] | None = Field(default=None, max_length=5000)


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: SiteSettings | None = None
    wordlists: ProposedWordLists | None = None
    limit: int = Field(default=1000, ge=1, le=10_000)


class DryRunExample(BaseModel):
    id: str
    body: str
    before: str
    after: str
    verdicts: list[dict]


class DryRunResult(BaseModel):
    replayed: int
    changed: int
    by_change: dict[str, int]
    examples: list[DryRunExample]


@endpoint("POST", "/v1/sites/{site}/rules/dry-run",
          "Replay recent comments under proposed settings and word lists; changes nothing",
          "admin", request=DryRunRequest, responses={200: DryRunResult},
          errors=(400, 401, 403, 404, 415, 422, 429))
async def dry_run(request: web.Request) -> web.Response:
    site = await find_site(request)
    body = await parse_body(request, DryRunRequest)
    lists = (body.wordlists.model_dump(exclude_none=True) if body.wordlists else None)
    proposal = Proposal(settings=body.settings, wordlists=lists)
    with request.app[DRY_RUNS].slot(site.site_id):
        result = await replay(request.app[POOL], site.site_id, proposal, body.limit,
                              request.app[CLOCK]())
    return json_response(result)
