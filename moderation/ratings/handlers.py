"""Public rating endpoints: rate an author, read one author's aggregate, many, or as JSON-LD.

Reads are the hot path (every article page shows its author's stars): one statement by key,
plain dicts through orjson, a strong ETag of the exact bytes, and 304 when the client has them.
`serve` also shares each rendered answer for `rating_cache_s` (1 s by default, see
moderation.web.shared_answers): far below the max-age that browsers and CDNs already cache it for, and
it saves the database round trip and the routing that otherwise dominate the cost of a read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import orjson
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from moderation.errors import ApiError, not_found
from moderation.identity.sso import resolve_rater
from moderation.ratings import store as ratings
from moderation.web.etags import cacheable
from moderation.web.http import (
    count_public_write,
    find_site,
    json_response,
    parse_body,
    parse_query,
    slug_param,
)
from moderation.web.keys import CLOCK, NOTIFIER, POOL, PUBLIC_READS, SIGNER
from moderation.web.models import (
    AggregateRatingLd,
    AuthorRating,
    AuthorRatings,
    RatingAccepted,
    RatingIn,
    Slug,
)
from moderation.web.registry import endpoint
from moderation.web.shared_answers import share_for

AUTHOR_PATH = "/v1/sites/{site}/authors/{author}"


@dataclass(frozen=True, slots=True)
class RatingReads:
    """How rating reads are answered: the bayesian prior weight, max-age, and how long a process
    shares a rendered answer (moderation.web.shared_answers).

    Settled once per app from Config's `rating_prior_weight`, `rating_max_age_s`, `rating_cache_s`.
    """

    prior_weight: float
    max_age: int
    share_s: float = 0.0

    @classmethod
    def from_config(cls, config) -> RatingReads:
        return cls(config.rating_prior_weight, config.rating_max_age_s, config.rating_cache_s)


RATING_READS = web.AppKey("rating_reads", RatingReads)


def reads_of(request: web.Request) -> RatingReads:
    return request.app[RATING_READS]


class RatingsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author: Annotated[list[Slug], Field(min_length=1, max_length=100)]


class JsonLdQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=200)] | None = Field(
        default=None, description="the author's display name; the author key when absent")


def author_slug(request: web.Request) -> str:
    return slug_param(request, "author")


@endpoint("POST", AUTHOR_PATH + "/ratings", "Rate an author 1-5; stored and queued for the rules",
          "public", request=RatingIn, responses={202: RatingAccepted},
          errors=(400, 401, 404, 413, 415, 422, 429, 503), enqueues=True)
async def post_rating(request: web.Request) -> web.Response:
    site = await find_site(request)
    author = author_slug(request)
    body = await parse_body(request, RatingIn)
    ip_hash = await count_public_write(request, site, "rating")
    rater = resolve_rater(request.app[SIGNER], site, body.rater.fingerprint if body.rater else None,
                          body.sso_token, ip_hash, request.app[CLOCK]())
    rating_id, _ = await ratings.accept(request.app[POOL], ratings.NewRating(
        site.site_id, author, rater.key, body.score, ip_hash, rater.verified, rater.name,
        rater.email), request.app[NOTIFIER].poke)
    return json_response({"id": str(rating_id), "status": "pending"}, status=202)


@endpoint("GET", AUTHOR_PATH + "/rating", "An author's aggregate rating; unknown authors count 0",
          "public", responses={200: AuthorRating, 304: None}, errors=(404, 422, 503),
          headers=("If-None-Match",))
async def author_rating(request: web.Request) -> web.Response:
    author = author_slug(request)
    reads = reads_of(request)
    found = await request.app[PUBLIC_READS].run(ratings.read_one, request.match_info["site"],
                                                author)
    if found is None:
        raise not_found("site")
    aggregate, prior_mean = found
    body = orjson.dumps(ratings.summary(author, aggregate, prior_mean, reads.prior_weight))
    return share_for(request, cacheable(request, body, reads.max_age), reads.share_s)


@endpoint("GET", "/v1/sites/{site}/ratings", "Aggregate ratings of up to 100 authors", "public",
          query=RatingsQuery, responses={200: AuthorRatings, 304: None}, errors=(404, 422, 503),
          headers=("If-None-Match",))
async def author_ratings(request: web.Request) -> web.Response:
    site = await find_site(request)
    query = parse_query(request, RatingsQuery, lists=("author",))
    aggregates, prior_mean = await request.app[PUBLIC_READS].run(ratings.read_many, site.site_id,
                                                                 query.author)
    reads = reads_of(request)
    body = orjson.dumps({"ratings": {
        author: ratings.summary(author, aggregate, prior_mean, reads.prior_weight)
        for author, aggregate in aggregates.items()}})
    return cacheable(request, body, reads.max_age)


@endpoint("GET", AUTHOR_PATH + "/rating.jsonld",
          "schema.org AggregateRating for the article page; 404 until the author has ratings",
          "public", query=JsonLdQuery, responses={200: AggregateRatingLd, 304: None},
          errors=(404, 422, 503), headers=("If-None-Match",), content_type="application/ld+json")
async def author_rating_jsonld(request: web.Request) -> web.Response:
    author = author_slug(request)
    query = parse_query(request, JsonLdQuery)
    found = await request.app[PUBLIC_READS].run(ratings.read_one, request.match_info["site"],
                                                author)
    if found is None:
        raise not_found("site")
    aggregate, _ = found
    if aggregate.count == 0:
        # Search engines reject an AggregateRating without ratings; the page should omit it.
        raise ApiError(404, "no_ratings", "this author has no approved ratings yet")
    max_age = reads_of(request).max_age
    body = orjson.dumps({
        "@context": "https://schema.org", "@type": "AggregateRating",
        "itemReviewed": {"@type": "Person", "name": query.name or author},
        "ratingValue": round(aggregate.sum / aggregate.count, 2),
        "ratingCount": aggregate.count, "bestRating": 5, "worstRating": 1})
    return cacheable(request, body, max_age, content_type="application/ld+json")
